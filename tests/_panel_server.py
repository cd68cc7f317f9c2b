"""``portlab serve`` for the tests and the benchmarks (not a test module).

:class:`ServeProcess` starts the command a user runs, ``python -m portlab.cli serve``, on a
free port and waits until its index page answers; :meth:`ServeProcess.stop` ends it.
:func:`in_process` serves the apps in a thread of the test's own process
(``portlab.apps.serve(..., threaded=True)``, as Panel's own UI tests do), so a test can
compare what the page shows with direct calls on the very same inputs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _jupyterlab import free_port

#: JavaScript: ``text(node)``, the text a node shows (its shadow roots included, style sheets
#: left out), and ``find(root, cls)``, the first element of class ``cls`` under ``root`` or in
#: any shadow root under it (Panel's components live in shadow roots)
_DEEP = """
  const text = (node) => {
    if (['STYLE', 'SCRIPT', 'LINK'].includes(node.nodeName)) return '';
    let out = node.nodeType === Node.TEXT_NODE ? node.textContent : '';
    if (node.shadowRoot) out += text(node.shadowRoot);
    for (const child of node.childNodes) out += text(child);
    return out;
  };
  const find = (root, name) => {
    const hit = root.querySelector('.' + name);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      const inner = el.shadowRoot && find(el.shadowRoot, name);
      if (inner) return inner;
    }
    return null;
  };
  const drawn = (cls) => {
    const el = find(document, cls);
    const now = el ? text(el).replace(/\\s+/g, ' ').trim() : '';
    const idle = window.Bokeh && Bokeh.documents.every((d) => d.is_idle)
      && !find(document, 'pn-loading');
    return [now, now.length >= 40 && idle];
  };
"""

#: true once the element of the given class shows text that has not changed for a second,
#: with every Bokeh document idle and nothing loading: a section arrived from the server and
#: was drawn
DEEP_TEXT_SETTLED = (
    "(cls) => {"
    + _DEEP
    + """
  const [now, ok] = drawn(cls);
  const state = window.__settled || (window.__settled = {});
  if (!ok || now !== state[cls]) {
    state[cls] = now;
    state[cls + '@'] = performance.now();
    return false;
  }
  return performance.now() - state[cls + '@'] > 1000;
}"""
)

#: the time (ms since navigation start) once the element of the given class shows text, with
#: every Bokeh document idle and nothing loading; null before
DEEP_TEXT_DRAWN = "(cls) => {" + _DEEP + "\n  return drawn(cls)[1] ? performance.now() : null;\n}"


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Until ``url`` answers 200 (or ``process`` exits, or ``timeout`` seconds pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} not up after {timeout:.0f} s")


class ServeProcess:
    """``portlab serve ARGS --port N`` in a subprocess (its output in ``log_path``)."""

    def __init__(self, root: Path, *args: str, timeout: float = 60.0) -> None:
        self.port = free_port()
        self.log_path = root / f"serve-{self.port}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portlab.cli", "serve", "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        try:
            wait_http(f"http://127.0.0.1:{self.port}/", timeout, self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"portlab serve did not start:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def in_process(**kwargs: Any) -> Iterator[Any]:
    """``portlab.apps.serve(**kwargs)`` on a free port in a thread; yields the ``Served``."""
    from portlab.apps import serve

    port = free_port()
    served = serve(port=port, threaded=True, **kwargs)
    try:
        wait_http(f"http://127.0.0.1:{port}/", 60)
        yield served
    finally:
        served.stop()

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

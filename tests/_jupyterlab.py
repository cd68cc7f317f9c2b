"""A real JupyterLab for the browser tests and the browser benchmark (not a test module).

:class:`LabServer` starts ``portlab lab FOLDER --no-browser --port N`` (the command a user
runs) on a free port with a random token, in a private Jupyter configuration: its own
config, settings and workspaces folders, the app exposed to the page as
``window.jupyterapp`` (so a test can run JupyterLab commands, as JupyterLab's own Galata
tests do) and no news or update checks (no network). :class:`LabPage` drives one notebook in
Chromium through Playwright: open it, wait for its kernel, run every cell, wait until all ran,
add and run a cell, and read what the page shows.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: flags of a headless Chromium on a machine with no outside network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """``portlab lab`` on ``root / "notebooks"``, stopped by :meth:`stop` (kernels included)."""

    def __init__(self, root: Path, *, timeout: float = 90.0) -> None:
        self.root = root
        self.folder = root / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        config = root / "jupyter-config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "IdentityProvider": {"token": self.token},
                    "ServerApp": {"port_retries": 0, "ip": "127.0.0.1"},
                    "LabApp": {
                        "expose_app_in_browser": True,
                        "news_url": None,
                        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    },
                }
            ),
            encoding="utf-8",
        )
        settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # no "Would you like to get notified about official Jupyter news?" toast
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
        )
        tracker = root / "lab-settings" / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True, exist_ok=True)
        # every cell in the page (JupyterLab's default renders only the cells in view)
        (tracker / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}), encoding="utf-8"
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTERLAB_SETTINGS_DIR": str(root / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(root / "lab-workspaces"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = root / "jupyterlab.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        cmd = [sys.executable, "-m", "portlab.cli", "lab", str(self.folder), "--no-browser"]
        self.process = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: the server and its kernels
        )
        self._wait_ready(timeout)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str, workspace: str = "default") -> str:
        """``notebook`` opened alone in a fresh ``workspace`` (``reset``: no tab restored)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        status = f"{self.base}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"portlab lab exited ({self.process.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"JupyterLab not up after {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # jupyter: shut kernels down, exit
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@dataclass
class LabPage:
    """One notebook open in JupyterLab in a Playwright ``page``."""

    page: Any
    server: LabServer
    notebook: str

    def open(self, timeout: float = 90_000) -> None:
        workspace = f"w{secrets.token_hex(4)}"  # a page of its own: no other notebook restored
        self.page.set_default_timeout(60_000)
        self.page.goto(self.server.url(self.notebook, workspace), wait_until="domcontentloaded")
        self.page.wait_for_function(
            "() => window.jupyterapp && document.querySelector('.jp-NotebookPanel')",
            timeout=timeout,
        )
        self.wait_kernel_idle(timeout)

    def wait_kernel_idle(self, timeout: float = 90_000) -> None:
        self.page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                const k = w && w.sessionContext && w.sessionContext.session
                    && w.sessionContext.session.kernel;
                return k && k.status === 'idle'; }""",
            timeout=timeout,
        )

    def command(self, name: str, args: dict | None = None) -> None:
        self.page.evaluate(
            "([name, args]) => window.jupyterapp.commands.execute(name, args || {})",
            [name, args],
        )

    def run_all(self, timeout: float = 180_000) -> None:
        """Run every cell (JupyterLab's "Run All Cells") and wait until all have run."""
        self.command("notebook:run-all-cells")
        self.wait_all_ran(timeout)

    def prompts(self) -> list[str]:
        return self.page.evaluate(
            """() => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll(
                '.jp-CodeCell .jp-InputArea-prompt')).map((e) => e.textContent.trim())"""
        )

    def wait_all_ran(self, timeout: float = 180_000) -> None:
        deadline = time.monotonic() + timeout / 1e3
        while time.monotonic() < deadline:
            prompts = self.prompts()
            if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
                self.wait_kernel_idle(timeout)
                return
            errors = self.errors_shown()
            if errors:  # "Run All" stops at a cell that raised: the rest never run
                raise AssertionError(f"{self.notebook}: a cell raised:\n{errors[0][-2000:]}")
            self.page.wait_for_timeout(250)
        raise TimeoutError(f"{self.notebook}: cells did not all run: {self.prompts()}")

    def run_code(self, code: str, timeout: float = 60_000) -> str:
        """Append a cell holding ``code`` at the end, run it, return its text output."""
        before = len(self.prompts())
        self.page.evaluate(
            """(code) => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.model.sharedModel.insertCell(nb.model.cells.length,
                    { cell_type: 'code', source: code });
                nb.activeCellIndex = nb.model.cells.length - 1; }""",
            code,
        )
        self.command("notebook:run-cell")
        self.page.wait_for_function(
            """(n) => { const p = window.jupyterapp.shell.currentWidget.node
                    .querySelectorAll('.jp-CodeCell .jp-InputArea-prompt');
                return p.length === n && /\\[\\d+\\]/.test(p[n - 1].textContent); }""",
            arg=before + 1,
            timeout=timeout,
        )
        self.wait_kernel_idle(timeout)  # the reply can arrive before the cell's output
        output = self.page.locator(".jp-CodeCell").nth(before).locator(".jp-OutputArea")
        deadline = time.monotonic() + 5
        while not output.inner_text().strip() and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        text = output.inner_text()
        if "Traceback" in text:
            raise AssertionError(f"{self.notebook}: the added cell raised:\n{text[-2000:]}")
        return text

    def errors_shown(self) -> list[str]:
        """Text of every error output (a traceback) in the notebook."""
        return self.page.evaluate(
            """() => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                .map((e) => e.textContent).filter((t) => /Traceback|Error/.test(t))"""
        )

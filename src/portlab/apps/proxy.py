"""JupyterLab launcher entries for the apps (``jupyter_serverproxy_servers`` entry points).

With jupyter-server-proxy installed (it is a dependency of portlab), JupyterLab's launcher
shows "portlab PM dashboard" and "portlab coordination console"; a click starts
``portlab serve --app NAME`` on a free port behind JupyterLab's own server (its login
protects it) and opens the app in a JupyterLab tab.

Examples
--------
>>> from portlab.apps.proxy import dashboard
>>> spec = dashboard()
>>> spec["launcher_entry"]["title"], spec["launcher_entry"]["path_info"]
('portlab PM dashboard', 'portlab-dashboard/dashboard')
"""

from __future__ import annotations

import sys
from typing import Any

from portlab.apps.server import TITLES, App

__all__ = ["console", "dashboard", "server_process"]


def server_process(app: App) -> dict[str, Any]:
    """The jupyter-server-proxy configuration of ``app`` (see the module docstring).

    The app is served under the proxy's own path (``{base_url}portlab-NAME``, sent whole:
    ``absolute_url``) so that its pages, resources and websocket resolve through the proxy;
    the websocket's origin is the JupyterLab page, hence ``--allow-websocket-origin *``
    (the server listens on 127.0.0.1 only, behind JupyterLab's authentication).
    """
    name = f"portlab-{app.value}"
    command = [
        sys.executable,
        "-m",
        "portlab.cli",
        "serve",
        "--app",
        app.value,
        "--port",
        "{port}",
        "--prefix",
        "{base_url}" + name,
        "--allow-websocket-origin",
        "*",
    ]
    return {
        "command": command,
        "timeout": 120,
        "absolute_url": True,
        "new_browser_tab": False,  # in a JupyterLab tab, not a new browser window
        "launcher_entry": {
            "enabled": True,
            "title": TITLES[app],
            "path_info": f"{name}/{app.value}",
            "category": "Other",
        },
    }


def dashboard() -> dict[str, Any]:
    """Entry point ``portlab-dashboard``."""
    return server_process(App.DASHBOARD)


def console() -> dict[str, Any]:
    """Entry point ``portlab-console``."""
    return server_process(App.CONSOLE)

"""``portlab serve``: URLs, index page, loopback-only by default, websocket origins, basic
authentication, bad arguments; the JupyterLab launcher entries."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import urllib.request
from importlib.metadata import entry_points

import pytest

from _panel_server import ServeProcess
from portlab.apps import DEFAULT_APPS, App, app_urls


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portlab.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = ServeProcess(tmp_path_factory.mktemp("serve"))
    yield server
    server.stop()


def test_prints_the_urls_and_serves_an_index_of_both_apps(served):
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/", timeout=10) as r:
        page = r.read().decode()
    for app in DEFAULT_APPS:
        assert f"/{app.value}" in page
        assert "/sweep" not in page  # served only with a sweep's results
        assert f"portlab {app.value}: http://127.0.0.1:{served.port}/{app.value}" in served.log()


def _non_loopback_ipv4() -> str | None:
    """An IPv4 address of this machine's other interfaces (Linux's SIOCGIFADDR; stdlib only)."""
    import fcntl
    import struct

    siocgifaddr = 0x8915
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(
                    s.fileno(), siocgifaddr, struct.pack("256s", name.encode()[:15])
                )
            except OSError:  # an interface without an IPv4 address
                continue
            address = socket.inet_ntoa(packed[20:24])
            if not address.startswith("127."):
                return address
    return None


def test_refuses_connections_on_other_interfaces_by_default(served):
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no network interface besides loopback")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, served.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", served.port), timeout=5).close()  # served here


def _handshake(port: int, origin: str) -> int:
    """Status of a websocket handshake on the dashboard's websocket from a page at ``origin``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.request(
        "GET",
        f"/{App.DASHBOARD.value}/ws",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
            "Origin": origin,
        },
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_websocket_only_from_pages_of_the_served_address(served):
    assert _handshake(served.port, "http://evil.example:8000") == 403
    # the server's own pages pass the origin check (the session token is checked next)
    assert _handshake(served.port, f"http://127.0.0.1:{served.port}") != 403
    assert _handshake(served.port, f"http://localhost:{served.port}") != 403


def test_basic_auth_asks_for_a_login(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"pm": "s3cret"}), encoding="utf-8")
    server = ServeProcess(tmp_path, "--basic-auth", str(users))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", f"/{App.DASHBOARD.value}")
        response = conn.getresponse()
        assert response.status in (302, 303)
        assert "login" in response.getheader("Location", "")
        conn.close()
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "--port 0: not a port number"),
        (["--portfolio", "no-such-file.json"], "no-such-file.json"),
        (["--sectors", "s.csv"], "--sectors goes with a prices CSV"),
        (["--app", "nope"], "invalid choice"),
        (["--num-procs", "0"], "--num-procs 0: at least one server process"),
        (["--num-procs", "2", "--show"], "--show goes with one server process"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message):
    done = _run_cli(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run_cli("--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"portlab: error: port {port} is in use; pick another with --port"
    ]


def test_several_server_processes_share_the_port(tmp_path):
    import psutil

    server = ServeProcess(tmp_path, "--num-procs", "2", "--app", "dashboard")
    try:
        children = psutil.Process(server.process.pid).children()
        assert len(children) == 2  # the parent watches two forked servers
        url = f"http://127.0.0.1:{server.port}/{App.DASHBOARD.value}"
        for _ in range(4):  # sessions land on either process; every one gets its page
            with urllib.request.urlopen(url, timeout=60) as page:
                assert page.status == 200 and b"PM dashboard" in page.read()
        # the URLs said once, by portlab (Panel's "Launching server" came from each process)
        log = server.log()
        assert log.count(f"portlab dashboard: {url}") == 1 and "Launching server" not in log
    finally:
        server.stop()


def test_several_processes_need_a_server_of_their_own():
    from portlab.apps import serve
    from portlab.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cannot run in a thread"):
        serve(num_procs=2, threaded=True, warm=False)
    with pytest.raises(ValidationError, match="at least one"):
        serve(num_procs=0, threaded=True, warm=False)


def test_app_urls():
    assert app_urls("127.0.0.1", 5006) == {
        App.DASHBOARD: "http://127.0.0.1:5006/dashboard",
        App.CONSOLE: "http://127.0.0.1:5006/console",
        App.SWEEP: "http://127.0.0.1:5006/sweep",
    }
    assert app_urls("::1", 80, "/proxy/x/")[App.CONSOLE] == "http://[::1]:80/proxy/x/console"


def test_jupyterlab_launcher_entries_start_portlab_serve_behind_the_proxy():
    found = {ep.name: ep.load()() for ep in entry_points(group="jupyter_serverproxy_servers")}
    assert set(found) >= {"portlab-dashboard", "portlab-console"}
    for app in DEFAULT_APPS:
        spec = found[f"portlab-{app.value}"]
        command = spec["command"]
        assert command[:4] == [sys.executable, "-m", "portlab.cli", "serve"]
        assert command[command.index("--app") + 1] == app.value
        assert command[command.index("--port") + 1] == "{port}"
        assert command[command.index("--prefix") + 1] == "{base_url}" + f"portlab-{app.value}"
        assert spec["launcher_entry"]["path_info"] == f"portlab-{app.value}/{app.value}"

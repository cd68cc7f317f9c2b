"""The server's share of ten PMs opening the dashboard at once (issue 11's concurrency budget).

``bench_apps.py`` opens ten Chromium pages at once on this machine: the ten browsers and the
server then share its two cores, and a page with nothing of portlab's is itself about 12x
slower ten at once than alone. Here the browsers are left out: what each of ten PMs' browsers asks
the server for a first view is asked by a protocol client that costs next to nothing (this
benchmark's one asyncio loop): the page (``GET /dashboard``: the server creates the session
and builds the page), then, over the session's websocket, the document (``PULL-DOC``: the
server serialises the first view's models). Timed from the request to the document received;
one session at a time (median of 5), then ten at once (the slowest), on a ``portlab serve``
of one process and of two (``--num-procs 2``).

From these and the browser's own share (a single Chromium first view, bench_apps.py, less the
server's part), an estimate of the slowest of ten PMs on their own machines:
browser share + the server's slowest of ten, against the single first view.

Run:  python benchmarks/bench_server.py [--sessions 10] [--browser-first-view 1.3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

from _panel_server import ServeProcess

CONCURRENT_FACTOR = 2.0
_TOKEN = re.compile(r'"token"\s*:\s*"([^"]+)"')


async def _message(ws) -> dict:
    """One Bokeh protocol message's header (its metadata, content and buffers read past)."""
    header = json.loads(await ws.read_message())
    await ws.read_message()  # metadata
    await ws.read_message()  # content (the document, for PULL-DOC-REPLY): not parsed here
    for _ in range(header.get("num_buffers", 0)):
        await ws.read_message()
    return header


async def first_view(port: int) -> float:
    """Seconds from asking for the dashboard's page to its first view's document received."""
    started = time.perf_counter()
    page = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/dashboard", request_timeout=300)
    token = _TOKEN.search(page.body.decode()).group(1)
    ws = await websocket_connect(
        f"ws://127.0.0.1:{port}/dashboard/ws", subprotocols=["bokeh", token]
    )
    try:
        while (await _message(ws))["msgtype"] != "ACK":
            pass
        header = {"msgid": uuid.uuid4().hex, "msgtype": "PULL-DOC-REQ"}
        for frame in (header, {}, {}):
            await ws.write_message(json.dumps(frame))
        while (await _message(ws))["msgtype"] != "PULL-DOC-REPLY":
            pass
        return time.perf_counter() - started
    finally:
        ws.close()


async def _at_once(port: int, sessions: int) -> list[float]:
    return list(await asyncio.gather(*(first_view(port) for _ in range(sessions))))


def measure(port: int, sessions: int) -> tuple[float, float]:
    """(single-session median of 5, slowest of ``sessions`` at once), seconds."""
    asyncio.run(first_view(port))  # the process's first session: imports, resources
    asyncio.run(_at_once(port, sessions))  # every process of the server warmed
    single = statistics.median(asyncio.run(first_view(port)) for _ in range(5))
    worst = statistics.median(max(asyncio.run(_at_once(port, sessions))) for _ in range(3))
    return single, worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--browser-first-view", type=float, default=None, metavar="S",
                    help="a single Chromium first view, s (bench_apps.py): adds the estimate")  # fmt: skip
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp())
    print(f"the server's part of a dashboard first view (page + document), s; "
          f"{args.sessions} at once: median of 3 rounds of the slowest")  # fmt: skip
    for procs in (1, 2):
        server = ServeProcess(root, "--app", "dashboard", "--num-procs", str(procs), timeout=120)
        try:
            single, worst = measure(server.port, args.sessions)
        finally:
            server.stop()
        line = (f"  {procs} process{'es' if procs > 1 else '  '}: single {single:5.2f}  "
                f"{args.sessions} at once, slowest {worst:5.2f} = {worst / single:4.1f}x")  # fmt: skip
        if args.browser_first_view is not None:
            browser = args.browser_first_view - single
            estimate = browser + worst
            line += (f"; ten PMs on their own machines: ~{estimate:4.2f} s = "
                     f"{estimate / args.browser_first_view:3.1f}x the single first view "
                     f"(budget {CONCURRENT_FACTOR:.0f}x)")  # fmt: skip
        print(line)


if __name__ == "__main__":
    main()

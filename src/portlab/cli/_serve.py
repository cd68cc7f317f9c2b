"""``portlab serve``: the PM dashboard and the coordination console on a Panel server
(private; see :mod:`portlab.cli`)."""

from __future__ import annotations

import argparse
import errno
from pathlib import Path

from portlab.cli._common import ExitCode, Fatal, emit, show_warning
from portlab.cli._inputs import build_coordinator, check_input, load_policy, read_market, reading

__all__ = ["configure", "run"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``portlab serve``."""
    from portlab.apps.server import DEFAULT_ADDRESS, DEFAULT_PORT, App

    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"interface to listen on (default {DEFAULT_ADDRESS}: this machine only; "
        "0.0.0.0 for every interface, with --basic-auth)",
    )
    p.add_argument("--portfolio", type=Path, metavar="FILE", help="portfolio JSON (default: "
                   "the bundled example portfolio)")  # fmt: skip
    p.add_argument("--market", default="sample", metavar="sample|FILE", help="'sample' (the "
                   "bundled data, default) or a prices CSV with a Date column")  # fmt: skip
    p.add_argument("--sectors", type=Path, metavar="FILE", help="CSV of instrument sectors "
                   "(columns ticker, sector); only with a prices CSV")  # fmt: skip
    p.add_argument("--policy", type=Path, metavar="FILE", help="policy YAML the apps start from")
    p.add_argument(
        "--app",
        action="append",
        choices=[a.value for a in App],
        help="serve only this app (repeatable; default the dashboard and the console, and the "
        "sweep explorer with --sweep)",
    )
    p.add_argument("--journal", metavar="URL", help="a decision journal (SQLite file or "
                   "postgresql://...): the dashboard shows its latest decisions")  # fmt: skip
    p.add_argument("--sweep", type=Path, metavar="RESULTS.parquet", help="a sweep's results "
                   "(portlab sweep --out) for the sweep explorer at /sweep")  # fmt: skip
    p.add_argument("--sweep-spec", type=Path, metavar="SPEC.yaml", help="the sweep's spec: "
                   "the explorer then opens a clicked scenario's decisions")  # fmt: skip
    p.add_argument("--basic-auth", type=Path, metavar="FILE", help="JSON file of users and "
                   "passwords ({\"user\": \"password\"}): every page asks for a login")  # fmt: skip
    p.add_argument("--prefix", default="", help="URL prefix (behind a proxy)")
    p.add_argument(
        "--allow-websocket-origin",
        action="append",
        metavar="HOST[:PORT]",
        help="a host pages may be served from (repeatable; default the address served)",
    )
    p.add_argument("--num-procs", type=int, default=1, metavar="N", help="server processes "
                   "sharing the port, for a team on a machine with several cores (default 1; "
                   "not with --show)")  # fmt: skip
    p.add_argument("--show", action="store_true", help="open the index page in a browser")


def run(args: argparse.Namespace) -> int:
    from portlab.apps.server import App, app_urls, chosen_apps, serve
    from portlab.state import PortfolioState

    if not 0 < args.port < 65536:
        raise Fatal(f"--port {args.port}: not a port number (1-65535)")
    if args.num_procs < 1:
        raise Fatal(f"--num-procs {args.num_procs}: at least one server process")
    if args.num_procs > 1 and args.show:
        raise Fatal("--show goes with one server process (each process would open a page)")
    market_file = None if args.market == "sample" else Path(args.market)
    if args.sectors is not None and market_file is None:
        raise Fatal("--sectors goes with a prices CSV (--market FILE); the sample has its own")
    given = {
        "--portfolio": args.portfolio,
        "--market": market_file,
        "--sectors": args.sectors,
        "--policy": args.policy,
        "--basic-auth": args.basic_auth,
        "--sweep": args.sweep,
        "--sweep-spec": args.sweep_spec,
    }
    for option, path in given.items():
        if path is not None:
            check_input(option, path)
    config = load_policy(args.policy) if args.policy else None
    coordinator = build_coordinator(argparse.Namespace(resolution=None, allocation=None), config)
    state = None
    if args.portfolio is not None:
        with reading(args.portfolio):
            state = PortfolioState.from_json(args.portfolio)
    market = read_market(args.market, args.sectors)
    if args.address not in _LOOPBACK and args.basic_auth is None:
        show_warning(
            f"serving on {args.address} without --basic-auth: anyone who can reach this "
            "machine can use the apps",
            UserWarning,
        )
    if args.sweep_spec is not None and args.sweep is None:
        raise Fatal("--sweep-spec goes with --sweep RESULTS.parquet")
    sweep_results = sweep = None
    if args.sweep is not None:
        from portlab.sweep import load_spec, read_results

        sweep_results = read_results(args.sweep)
        sweep = load_spec(args.sweep_spec) if args.sweep_spec is not None else None
    journal = _journal(args.journal)
    apps = chosen_apps(tuple(App(a) for a in args.app) if args.app else None, sweep is not None
                       or sweep_results is not None)  # fmt: skip
    if App.SWEEP in apps and sweep_results is None:
        raise Fatal("--app sweep: give the sweep's results with --sweep RESULTS.parquet")
    urls = app_urls(args.address, args.port, args.prefix)
    for app in apps:
        emit(f"portlab {app.value}: {urls[app]}")
    emit("press Ctrl+C to stop")
    try:
        serve(
            market,
            state,
            coordinator,
            port=args.port,
            address=args.address,
            prefix=args.prefix,
            websocket_origins=args.allow_websocket_origin,
            basic_auth=args.basic_auth,
            apps=apps,
            show=args.show,
            num_procs=args.num_procs,
            sweep_results=sweep_results,
            sweep=sweep,
            journal=journal,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Fatal(f"port {args.port} is in use; pick another with --port") from None
        raise Fatal(f"cannot listen on {args.address}:{args.port} ({exc.strerror})") from None
    return ExitCode.OK


def _journal(url: str | None) -> str | None:
    """``--journal``, checked now: it opens, and a file given exists (one line if not)."""
    if url is None:
        return None
    from portlab.exceptions import PortlabError
    from portlab.journal import open_existing

    try:
        with open_existing(url):
            pass
    except PortlabError as exc:
        raise Fatal(f"--journal {url}: {' '.join(str(exc).split())}") from None
    return url

"""The ``portlab`` command line.

``portlab coordinate`` reads signal events (JSON Lines), a portfolio (JSON) and optionally
rebalance requests and a policy, and writes decision events and rejections (JSON Lines).
``portlab demo`` coordinates the bundled example batch against the bundled sample market.

Exit status: 0 when everything was coordinated; 1 when some input events were invalid (the
valid ones are still coordinated and written, the invalid ones are listed on stderr as
``file:line: field: message`` and written as rejections); 2 when the inputs cannot be used
at all (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]


class _Fatal(Exception):
    """An input error that stops the command (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    from portlab import __version__

    p = argparse.ArgumentParser(
        prog="portlab",
        description="portlab: coordinate trading signals and rebalance requests into "
        "sized, policy-compliant decisions.",
    )
    p.add_argument("--version", action="version", version=f"portlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser(
        "coordinate", help="coordinate a batch of signal events into decision events"
    )
    c.add_argument("--signals", required=True, type=Path, help="JSON Lines of TradingSignalEvent")
    c.add_argument(
        "--portfolio",
        required=True,
        type=Path,
        help="portfolio JSON: {'positions': {id: {'quantity', 'avg_price'}}, 'cash'}",
    )
    c.add_argument("--rebalance", type=Path, help="JSON Lines of RebalanceRequestEvent")
    c.add_argument(
        "--policy", type=Path, help="YAML with policy (and optional sizing, risk_loop) settings"
    )
    c.add_argument(
        "--market",
        default="sample",
        help="'sample' (bundled data, default) or a prices CSV with a Date column",
    )
    c.add_argument(
        "--sectors", type=Path, help="CSV of instrument sectors (columns ticker, sector)"
    )
    c.add_argument(
        "--resolution",
        help="conflict resolution (HIGHEST_PRIORITY, BEST_RISK_REWARD, "
        "PERFORMANCE_WEIGHTED, FIRST_IN_FIRST_OUT, NET, WEIGHTED_AVERAGE, VOLATILITY_ADJUSTED)",
    )
    c.add_argument("--allocation", choices=["OPTIMAL", "GREEDY"], help="capital allocation mode")
    c.add_argument("--as-of", help="timestamp stamped on the decisions (default: latest input)")
    c.add_argument(
        "--out", required=True, type=Path, help="where to write decision events (JSON Lines)"
    )
    c.add_argument(
        "--rejections",
        type=Path,
        help="where to write rejections (JSON Lines; default: OUT with .rejections.jsonl)",
    )
    c.add_argument("--quiet", action="store_true", help="print nothing on success")

    d = sub.add_parser(
        "demo", help="coordinate the bundled example batch on the bundled sample market"
    )
    d.add_argument("--resolution", help="conflict resolution (see 'coordinate')")
    d.add_argument("--allocation", choices=["OPTIMAL", "GREEDY"], help="capital allocation mode")
    d.add_argument("--json", action="store_true", help="print the decision events as JSON Lines")
    return p


def _market(spec: str, sectors: Path | None):
    from portlab.datasets import load_sample
    from portlab.market import Market

    if spec == "sample":
        return load_sample()
    path = Path(spec)
    if not path.is_file():
        raise _Fatal(f"{spec}: no such market file (use 'sample' or a prices CSV)")
    return Market.from_csv(path, sectors=sectors)


def _coordinator(args: argparse.Namespace):
    from portlab.engine import Coordinator, load_config

    kwargs: dict[str, Any] = {}
    if getattr(args, "resolution", None):
        kwargs["resolution"] = args.resolution.upper()
    policy = sizing = loop = None
    if getattr(args, "policy", None):
        if not args.policy.is_file():
            raise _Fatal(f"{args.policy}: no such policy file")
        policy, sizing, loop = load_config(args.policy)
    if getattr(args, "allocation", None):
        sizing = (
            sizing.model_copy(update={"allocation": args.allocation})
            if sizing
            else {"allocation": args.allocation}
        )
    return Coordinator(policy, sizing, risk_loop=loop, **kwargs)


def _read(path: Path, model) -> Any:
    from portlab.events import read_jsonl

    if not path.is_file():
        raise _Fatal(f"{path}: no such file")
    return read_jsonl(path, model)


def _coordinate(args: argparse.Namespace) -> int:
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent, write_jsonl
    from portlab.state import PortfolioState

    if not args.portfolio.is_file():
        raise _Fatal(f"{args.portfolio}: no such file")
    state = PortfolioState.from_json(args.portfolio)
    signals = _read(args.signals, TradingSignalEvent)
    requests = _read(args.rebalance, RebalanceRequestEvent) if args.rebalance else None
    market = _market(args.market, args.sectors)
    coordinator = _coordinator(args)
    result = coordinator.coordinate(
        signals.events, state, market, requests.events if requests else None, as_of=args.as_of
    )
    bad = [(args.signals, e) for e in signals.errors]
    if requests:
        bad += [(args.rebalance, e) for e in requests.errors]
    by_line: dict[tuple, list[str]] = {}
    for path, err in bad:
        by_line.setdefault((str(path), err.line), []).append(
            f"{err.field or '(line)'}: {err.message}"
        )
    for (path, line), msgs in by_line.items():
        print(f"{path}:{line}: " + "; ".join(msgs), file=sys.stderr)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out, result.events())
    rej_path = args.rejections or args.out.with_name(
        args.out.name.removesuffix(".jsonl") + ".rejections.jsonl"
    )
    with open(rej_path, "w") as fh:
        for row in result.rejections.to_dict("records"):
            fh.write(json.dumps(row, default=str) + "\n")
        for path, err in bad:
            fh.write(
                json.dumps(
                    {
                        "source": "INPUT",
                        "id": err.event_id,
                        "reason": "INVALID",
                        "detail": f"{path}:{err.line}: {err.message}",
                        "field": err.field,
                    }
                )
                + "\n"
            )
    if not args.quiet:
        print(result.summary())
        print(
            f"wrote {len(result.decisions)} decisions to {args.out}, "
            f"{len(result.rejections) + len(bad)} rejections to {rej_path}"
        )
    return 1 if bad else 0


def _demo(args: argparse.Namespace) -> int:
    import pandas as pd

    from portlab.datasets import example_batch, load_sample

    batch = example_batch()
    market = load_sample()
    result = _coordinator(args).coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    if args.json:
        for ev in result.events():
            print(ev.to_json())
        return 0
    cols = [
        "instrument_id",
        "action",
        "share_quantity",
        "trade_amount",
        "position_size",
        "kelly_fraction",
        "priority",
        "origin",
        "time_horizon",
    ]
    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.4f}".format
    ):
        print(
            f"portlab demo: {len(batch.signals)} signals and {len(batch.rebalance_requests)} "
            f"rebalance request against a {result.nav:,.0f} portfolio, sample market as of "
            f"{market.dates[-1]:%Y-%m-%d}\n"
        )
        print("Decisions")
        table = result.decisions[cols].astype({"share_quantity": "int64"})
        print(table.to_string(index=False))
        print("\nRejections")
        print(
            result.rejections[["source", "id", "instrument_id", "reason", "detail"]].to_string(
                index=False
            )
        )
        print("\nReasoning of the first decision:")
        print("  " + result.decisions["reasoning"].iloc[0])
    s = result.stats
    print(
        f"\n{s['total_signals']} signals: {s['accepted_signals']} accepted, {s['resized_signals']} "
        f"resized, {s['rejected_signals']} rejected, {s['conflicted_signals']} in conflicts; "
        f"{s['elapsed_ms']:.1f} ms"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from portlab.exceptions import PortlabError

    try:
        return _coordinate(args) if args.command == "coordinate" else _demo(args)
    except (_Fatal, PortlabError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"portlab: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

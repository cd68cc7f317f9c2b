"""``portlab demo``: the bundled example batch on the bundled sample market, as tables (private)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from portlab.cli._common import ExitCode, emit
from portlab.cli._inputs import build_coordinator
from portlab.cli._summary import plural, summary_lines

__all__ = ["run"]


def _money(x: float, currency: str) -> str:
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{abs(x):,.2f}"


def _pct(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x + 0.0:.2%}"


def _table(headers: list[str], rows: list[list[Any]], right: set[int]) -> list[str]:
    """Text columns: ``right`` ones right-aligned (numbers), the others left-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [fmt(headers), *(fmt(r) for r in rows)]


def run(args: argparse.Namespace) -> int:
    from portlab.datasets import example_batch, load_sample

    batch = example_batch()
    market = load_sample()
    coordinator = build_coordinator(args, None)
    result = coordinator.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    if args.json:
        for ev in result.events():
            emit(ev.to_json())
        return ExitCode.OK
    d = result.decisions
    emit(
        f"portlab demo: {plural(len(batch.signals), 'signal')} and "
        f"{plural(len(batch.rebalance_requests), 'rebalance request')} against a "
        f"${result.nav:,.0f} portfolio; sample market as of {market.dates[-1]:%Y-%m-%d}; "
        f"{coordinator.resolution.value} resolution, {coordinator.sizing.allocation.value} "
        "allocation\n"
    )
    emit("Decisions (sizes and weights in % of the portfolio's value)")
    headers = ["instrument", "action", "shares", "price", "amount", "Kelly trade", "size",
               "weight before -> after", "priority", "origin", "horizon"]  # fmt: skip
    rows = [
        [r.instrument_id, r.action, f"{int(r.share_quantity):,}", _money(r.price, "$"),
         _money(r.trade_amount, "$"), _pct(r.signal_trade), _pct(r.final_size),
         f"{_pct(r.current_position)} -> {_pct(r.target_position)}", r.priority, r.origin,
         r.time_horizon]
        for r in d.itertuples(index=False)
    ]  # fmt: skip
    for line in _table(headers, rows, right={2, 3, 4, 5, 6, 7}):
        emit(line)
    emit("  (Kelly trade: the move toward the signal's Kelly target before any limit; "
          "size: what the limits and the correlation adjustment left)")  # fmt: skip
    emit("\nRejections")
    rej = result.rejections
    cells = [[r.source, r.id, r.instrument_id, r.reason, r.detail] for r in rej.itertuples()]
    for line in _table(["source", "id", "instrument", "reason", "detail"], cells, right=set()):
        emit(line)
    if len(d):
        emit("\nReasoning of the first decision:")
        emit("  " + str(d["reasoning"].iloc[0]))
    emit()
    for line in summary_lines(result, len(batch.rebalance_requests)):
        emit(line)
    return ExitCode.OK

"""Rebalance requests → instrument-level adjustments the engine can trade.

Instrument adjustments are taken as their ``target_weight`` and re-measured against the
actual portfolio (the request's ``current_weight`` may be stale). Sector adjustments are
spread over their ``affected_instruments``: reductions pro rata to the instruments' current
``|weight|``, increases pro rata too (equally when none is held). Strategy-level adjustments
are not instrument trades; they are reported as UNSUPPORTED (``portlab.analytics`` turns
strategy weights into trades).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portlab.engine._table import Table, empty
from portlab.engine.book import Book
from portlab.engine.outcome import Rejections, RejectReason, Source

__all__ = ["REQUEST_COLUMNS", "adjustments"]

_URGENCY_RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "CRITICAL": 3}
_PRIORITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}
REQUEST_COLUMNS = (
    "adj_id",
    "request_id",
    "instrument_id",
    "inst",
    "delta",
    "priority",
    "urgency",
    "timestamp",
    "rebalance_type",
)


def _events(requests: Any, rej: Rejections) -> list:
    if requests is None:
        return []
    if not (isinstance(requests, Sequence) and not isinstance(requests, str | bytes)):
        requests = [requests]
    if not any(isinstance(r, Mapping | str | bytes) for r in requests):
        return list(requests)
    from portlab.events import parse_rebalance_requests

    batch = parse_rebalance_requests(requests)
    seen: set[int] = set()
    for err in batch.errors:  # the valid requests go on; each bad one is reported once
        if err.index not in seen:
            seen.add(err.index)
            rej.add(
                Source.REBALANCE,
                [err.event_id or f"index-{err.index}"],
                [None],
                None,
                RejectReason.INVALID,
                f"{err.field}: {err.message}",
                field=err.field,
            )
    return list(batch.events)


def _val(x: Any) -> str:
    return getattr(x, "value", x) if x is not None else ""


def adjustments(
    requests: Any, book: Book, rej: Rejections
) -> tuple[Table, dict[str, dict[str, Any]]]:
    """Instrument-level adjustments of the requests, one row per instrument.

    Returns
    -------
    table : Table with :data:`REQUEST_COLUMNS`; ``delta`` is the signed weight change
        wanted (target minus actual current weight), fraction of NAV; ``timestamp`` in int64
        nanoseconds (UTC).
    constraints : dict
        Per request id: ``max_turnover`` (fraction of NAV), ``min_trade_size`` (currency),
        ``execution_timeframe`` (str), each None when the request gives none.
    """
    rows: list[tuple] = []
    constraints: dict[str, dict[str, Any]] = {}
    index = book.instruments
    for ev in _events(requests, rej):
        rid = ev.eventId
        c = getattr(ev, "constraints", None)
        constraints[rid] = {
            "max_turnover": getattr(c, "max_turnover", None),
            "min_trade_size": getattr(c, "min_trade_size", None),
            "execution_timeframe": getattr(c, "execution_timeframe", None),
        }
        rtype = _val(getattr(ev, "rebalance_type", ""))
        bump = 1 if rtype == "RISK_DRIVEN" else 0
        trigger = getattr(ev, "trigger_reason", None)
        default_urgency = _val(getattr(trigger, "urgency", None)) or "NORMAL"
        seen: dict[str, int] = {}
        ts = pd.Timestamp(ev.timestamp)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        for adj in ev.target_adjustments:
            urgency = _val(getattr(adj, "urgency", None)) or default_urgency
            prio = getattr(adj, "priority", None)
            rank = _PRIORITY_RANK[_val(prio)] if prio is not None else _URGENCY_RANK.get(urgency, 1)
            rank = min(rank + bump, 3)
            if getattr(adj, "instrument_id", None) is not None:
                name = adj.instrument_id
                i = index.get_indexer([name])[0]
                seen[name] = seen.get(name, 0) + 1
                aid = f"{rid}/{name}" if seen[name] == 1 else f"{rid}/{name}#{seen[name]}"
                if i < 0 or not np.isfinite(book.price[i]):
                    reason = RejectReason.UNKNOWN_INSTRUMENT if i < 0 else RejectReason.NO_PRICE
                    rej.add(Source.REBALANCE, [aid], [name], None, reason, "cannot trade it")
                    continue
                rows.append(
                    (aid, rid, name, i, adj.target_weight - book.w[i], rank, urgency, ts, rtype)
                )
            elif getattr(adj, "sector", None) is not None:
                rows.extend(_sector_rows(adj, book, rid, rank, urgency, ts, rtype, rej))
            else:
                sid = getattr(adj, "strategy_id", "?")
                rej.add(
                    Source.REBALANCE,
                    [f"{rid}/strategy:{sid}"],
                    [None],
                    [sid],
                    RejectReason.UNSUPPORTED,
                    "strategy-level adjustment: not an instrument trade (see portlab.analytics)",
                )
    if not rows:
        return empty(REQUEST_COLUMNS), constraints
    frame = pd.DataFrame(rows, columns=list(REQUEST_COLUMNS))
    # the latest request for an instrument supersedes earlier ones
    frame = frame.sort_values(["timestamp", "adj_id"], kind="stable")
    old = frame.duplicated("inst", keep="last")
    if old.any():
        latest = frame.drop_duplicates("inst", keep="last").set_index("inst")["adj_id"]
        gone = frame.loc[old]
        rej.add(
            Source.REBALANCE,
            gone["adj_id"],
            gone["instrument_id"],
            None,
            RejectReason.SUPERSEDED,
            "a later rebalance request adjusts the same instrument",
            winner=latest.reindex(gone["inst"]).to_numpy(),
        )
        frame = frame.loc[~old]
    tiny = np.abs(frame["delta"].to_numpy()) < 1e-12
    if tiny.any():
        t = frame.loc[tiny]
        rej.add(
            Source.REBALANCE,
            t["adj_id"],
            t["instrument_id"],
            None,
            RejectReason.AT_TARGET,
            "already at the target weight",
        )
        frame = frame.loc[~tiny]
    table = {c: frame[c].to_numpy(dtype=object) for c in REQUEST_COLUMNS}
    table["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_convert("UTC").as_unit("ns").asi8
    table["inst"] = frame["inst"].to_numpy(dtype=int)
    table["delta"] = frame["delta"].to_numpy(dtype=float)
    table["priority"] = frame["priority"].to_numpy(dtype=int)
    return table, constraints


def _sector_rows(adj, book: Book, rid, rank, urgency, ts, rtype, rej: Rejections) -> list[tuple]:
    sector = adj.sector
    aid = f"{rid}/sector:{sector}"
    names = list(getattr(adj, "affected_instruments", None) or [])
    if not names:
        codes = np.flatnonzero(book.sector_labels == sector)
        names = list(book.instruments[np.isin(book.sector, codes)])
    idx = book.instruments.get_indexer(names)
    ok = (idx >= 0) & np.isfinite(book.price[np.maximum(idx, 0)])
    idx = idx[ok]
    if len(idx) == 0:
        rej.add(
            Source.REBALANCE,
            [aid],
            [None],
            None,
            RejectReason.UNKNOWN_INSTRUMENT,
            f"no tradable instrument of sector {sector!r} in the market",
        )
        return []
    held = np.abs(book.w[idx])
    actual = float(held.sum())
    change = adj.target_exposure - actual
    if abs(change) < 1e-12:
        rej.add(
            Source.REBALANCE,
            [aid],
            [None],
            None,
            RejectReason.AT_TARGET,
            f"sector {sector!r} already at {adj.target_exposure:.4f}",
        )
        return []
    if change < 0 and actual == 0:
        rej.add(
            Source.REBALANCE,
            [aid],
            [None],
            None,
            RejectReason.AT_TARGET,
            f"nothing held in sector {sector!r} to reduce",
        )
        return []
    share = held / actual if actual > 0 else np.full(len(idx), 1.0 / len(idx))
    sign = np.sign(book.w[idx])
    sign = np.where(sign == 0, 1.0, sign)
    # gross exposure change distributed; each instrument moves toward/away from zero
    deltas = sign * change * share
    return [
        (
            f"{aid}/{book.instruments[i]}",
            rid,
            book.instruments[i],
            int(i),
            float(dlt),
            rank,
            urgency,
            ts,
            rtype,
        )
        for i, dlt in zip(idx, deltas, strict=True)
        if dlt != 0
    ]

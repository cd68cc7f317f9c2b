"""Rebalance requests → instrument-level adjustments the engine can trade.

Instrument adjustments are taken as their ``target_weight`` and re-measured against the
actual portfolio: the trade wanted is ``target_weight`` minus the instrument's weight in the
given :class:`~portlab.state.PortfolioState` at the market's last prices. The request's own
``current_weight`` and ``adjustment_needed`` are not used (they may be stale: the portfolio
moved since the request was written); :mod:`portlab.events` checks that they agree with each
other. Sector adjustments likewise take ``target_exposure`` against the actual gross exposure
of the sector's instruments and spread the change over their ``affected_instruments``:
reductions pro rata to the instruments' current ``|weight|``, increases pro rata too (equally
when none is held). Strategy-level adjustments are not instrument trades; they are reported
as UNSUPPORTED (``portlab.analytics`` turns strategy weights into trades).

Feasibility against the hard no-short rule is decided here, before conflict resolution: under
``Policy(allow_short=False)`` an adjustment whose target weight is negative and below the
current weight (it would open or add to a short position) is rejected up front with reason
POLICY_LIMIT, rule ``short_selling``. It therefore never overrides a signal on the same
instrument. (A negative target above a short already held only covers part of it and is
kept.) Likewise an adjustment that adds exposure to an instrument without risk data (too
little price history) is rejected as NO_RISK_DATA, as a signal would be; a reduction is kept.

Bad input: ``rebalance_requests`` that is not None, a request (event or JSON dict) or a list
of them is a :class:`~portlab.exceptions.ValidationError` naming the argument; a bad element
of the list, a request repeating an earlier one's ``eventId``, or a request whose timestamp
lies outside 1677-09-21..2262-04-11, is an INVALID rejection and the other requests go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from portlab.engine.book import Book
from portlab.engine.columns import ADJUSTMENTS
from portlab.engine.outcome import Rejections, RejectReason, Source, fmt_pct
from portlab.engine.table import Table, empty
from portlab.engine.times import OUT_OF_RANGE, TIME_MAX, TIME_MIN
from portlab.engine.tolerances import SIZE_TOL
from portlab.events import RebalanceRequestEvent, parse_rebalance_requests
from portlab.exceptions import ValidationError
from portlab.types import RequestsLike

__all__ = ["ADJUSTMENT_COLUMNS", "RequestConstraints", "adjustments"]

_URGENCY_RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "CRITICAL": 3}
_PRIORITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}
#: columns of the adjustment table (:data:`portlab.engine.columns.ADJUSTMENTS`)
ADJUSTMENT_COLUMNS = ADJUSTMENTS.names


class RequestConstraints(TypedDict):
    """A rebalance request's ``constraints`` block (each None when the request gives none)."""

    max_turnover: float | None  # fraction of NAV
    min_trade_size: float | None  # currency
    execution_timeframe: str | None


def _events(requests: RequestsLike, rej: Rejections) -> list[RebalanceRequestEvent]:
    if requests is None:
        return []
    if isinstance(requests, RebalanceRequestEvent | Mapping):
        requests = [requests]
    elif not isinstance(requests, Sequence) or isinstance(requests, str | bytes | bytearray):
        hint = (
            " (read a JSON Lines file with portlab.events.read_jsonl(path, RebalanceRequestEvent))"
            if isinstance(requests, str | bytes | bytearray)
            else ""
        )
        raise ValidationError(
            "rebalance_requests: expected a RebalanceRequestEvent (or its JSON dict) or a list "
            f"of them, got {type(requests).__name__}{hint}"
        )
    batch = parse_rebalance_requests(requests)  # events pass as they are; repeated ids do not
    seen: set[int] = set()
    for err in batch.errors:  # the valid requests go on; each bad one is reported once
        if err.index not in seen:
            seen.add(err.index)
            where = err.field or f"rebalance_requests[{err.index}]"
            rej.add(
                Source.REBALANCE,
                [err.event_id or f"index-{err.index}"],
                [None],
                None,
                RejectReason.INVALID,
                f"{where}: {err.message}",
                field=err.field,
            )
    return list(batch.events)


def _val(x: Any) -> str:
    return getattr(x, "value", x) if x is not None else ""


def adjustments(
    requests: RequestsLike, book: Book, rej: Rejections, allow_short: bool = True
) -> tuple[Table, dict[str, RequestConstraints]]:
    """Instrument-level adjustments of the requests, one row per instrument.

    Parameters
    ----------
    requests : None, RebalanceRequestEvent, dict, or a list of them
    book : Book
        The actual portfolio: ``weight_change`` is measured against its weights, never the
        request's ``current_weight`` or ``adjustment_needed``.
    rej : Rejections
        Receives invalid requests, unknown instruments, superseded and at-target adjustments,
        adjustments adding exposure to an instrument without risk data (NO_RISK_DATA) and,
        when ``allow_short`` is False, adjustments that would need a short position.
    allow_short : bool
        The policy's ``allow_short``. When False an adjustment whose target weight is below
        both zero and the current weight is rejected here (POLICY_LIMIT, rule
        ``short_selling``), before it can take part in conflict resolution.

    Returns
    -------
    table : Table with :data:`ADJUSTMENT_COLUMNS` (:data:`~portlab.engine.columns.ADJUSTMENTS`);
        ``weight_change`` is the signed weight change wanted (target minus actual current
        weight), fraction of NAV; ``timestamp`` in int64 nanoseconds (UTC).
    constraints : dict
        Per request id, its :class:`RequestConstraints`.
    """
    rows: list[tuple] = []
    constraints: dict[str, RequestConstraints] = {}
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
        ts = pd.Timestamp(ev.timestamp) if ev.timestamp_given else pd.NaT  # NaT: no time
        ts = ts.tz_localize("UTC") if ts is not pd.NaT and ts.tzinfo is None else ts
        if ts is not pd.NaT and not TIME_MIN <= ts <= TIME_MAX:
            rej.add(
                Source.REBALANCE,
                [rid],
                [None],
                None,
                RejectReason.INVALID,
                f"timestamp: {OUT_OF_RANGE}",
                field="timestamp",
            )
            continue
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
                    reason, why = (
                        (RejectReason.UNKNOWN_INSTRUMENT, "instrument not in the market")
                        if i < 0
                        else (RejectReason.NO_PRICE, "no current price (delisted or stale)")
                    )
                    rej.add(Source.REBALANCE, [aid], [name], None, reason, why)
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
        return empty(ADJUSTMENT_COLUMNS), constraints
    frame = pd.DataFrame(rows, columns=list(ADJUSTMENT_COLUMNS))
    # the latest request for an instrument supersedes earlier ones
    # (a request without a time counts as the oldest)
    frame = frame.sort_values(["timestamp", "adjustment_id"], kind="stable", na_position="first")
    old = frame.duplicated("instrument", keep="last")
    if old.any():
        latest = frame.drop_duplicates("instrument", keep="last").set_index("instrument")
        latest = latest["adjustment_id"]
        gone = frame.loc[old]
        rej.add(
            Source.REBALANCE,
            gone["adjustment_id"],
            gone["instrument_id"],
            None,
            RejectReason.SUPERSEDED,
            "a later rebalance request adjusts the same instrument",
            winner=latest.reindex(gone["instrument"]).to_numpy(),
        )
        frame = frame.loc[~old]
    tiny = np.abs(frame["weight_change"].to_numpy()) < SIZE_TOL
    if tiny.any():
        t = frame.loc[tiny]
        rej.add(
            Source.REBALANCE,
            t["adjustment_id"],
            t["instrument_id"],
            None,
            RejectReason.AT_TARGET,
            "already at the target weight",
        )
        frame = frame.loc[~tiny]
    if not allow_short:
        frame = _no_short(frame, book, rej)
    frame = _no_risk_data(frame, book, rej)
    table = {c: frame[c].to_numpy(dtype=object) for c in ADJUSTMENT_COLUMNS}
    table["timestamp"] = (
        pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)).as_unit("ns").asi8
    )
    table["instrument"] = frame["instrument"].to_numpy(dtype=int)
    table["weight_change"] = frame["weight_change"].to_numpy(dtype=float)
    table["priority"] = frame["priority"].to_numpy(dtype=int)
    return table, constraints


def _no_short(frame: pd.DataFrame, book: Book, rej: Rejections) -> pd.DataFrame:
    """Reject adjustments whose target needs a short position (``allow_short=False``).

    The target weight is ``w + weight_change``; it is infeasible under the hard no-short rule when it
    is negative and below the current weight ``w`` (opening a short from a long or flat
    position, or adding to a short already held). Selling down to zero remains possible with
    a target of 0, so the rejection says so.
    """
    w0 = book.w[frame["instrument"].to_numpy(dtype=int)]
    target = w0 + frame["weight_change"].to_numpy(dtype=float)
    bad = (target < -SIZE_TOL) & (target < w0 - SIZE_TOL)
    if not bad.any():
        return frame
    details = []
    for aid, t, w in zip(frame["adjustment_id"].to_numpy()[bad], target[bad], w0[bad], strict=True):
        what = "sector adjustment implies target weight" if "/sector:" in aid else "target weight"
        if w > 0:
            fix = f"a target of 0% sells the {fmt_pct(w)} held down to flat"
            needs = "needs a short position"
        elif w == 0:
            fix = "use a target of 0% or more"
            needs = "needs a short position"
        else:
            fix = f"use a target between {fmt_pct(w)} and 0% to cover part of the short"
            needs = "adds to the short position"
        details.append(
            f"{what} {fmt_pct(t)} {needs} (current weight {fmt_pct(w)}) but the policy does "
            f"not allow short selling (allow_short=False); {fix}"
        )
    gone = frame.loc[bad]
    rej.add(
        Source.REBALANCE,
        gone["adjustment_id"],
        gone["instrument_id"],
        None,
        RejectReason.POLICY_LIMIT,
        details,
        rule="short_selling",
    )
    return frame.loc[~bad]


def _no_risk_data(frame: pd.DataFrame, book: Book, rej: Rejections) -> pd.DataFrame:
    """Reject adjustments that add exposure to an instrument the risk model knows nothing of.

    Without a volatility (too little price history) the volatility and correlation limits
    cannot be checked for a trade that adds exposure, as for signals (NO_RISK_DATA). A pure
    reduction (toward zero on the same side) needs no risk data and is kept.
    """
    instrument = frame["instrument"].to_numpy(dtype=int)
    w0 = book.w[instrument]
    target = w0 + frame["weight_change"].to_numpy(dtype=float)
    reduces = (target * w0 >= 0) & (np.abs(target) <= np.abs(w0) + SIZE_TOL)
    bad = ~book.risk_ok[instrument] & ~reduces
    if not bad.any():
        return frame
    gone = frame.loc[bad]
    rej.add(
        Source.REBALANCE,
        gone["adjustment_id"],
        gone["instrument_id"],
        None,
        RejectReason.NO_RISK_DATA,
        "no volatility in the risk model (too little history): a trade adding exposure "
        "cannot be checked against the volatility and correlation limits",
    )
    return frame.loc[~bad]


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
    if abs(change) < SIZE_TOL:
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

"""Stage 1 — validate and enrich signals (seed 003's pipeline: validate, enrich, prioritise).

Signals arrive as a list of :class:`~portlab.events.TradingSignalEvent` (or their JSON dicts)
or as a DataFrame with the columns of :data:`portlab.events.SIGNAL_COLUMNS`. Both become one
column table, checked row by row but vectorized; bad rows become rejections naming the field,
the rest go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portlab.engine._table import Table, obj, take
from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.strategies import DEFAULT_STRATEGY, PerformanceTier, Strategy
from portlab.exceptions import ValidationError

__all__ = ["PRIORITY_LEVELS", "URGENCY_LEVELS", "assign_priority", "enrich", "signal_table"]

#: priority labels by rank (0 = LOW ... 3 = CRITICAL)
PRIORITY_LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
URGENCY_LEVELS = ("LOW", "NORMAL", "HIGH", "CRITICAL")
_ACTIONS = {"BUY": 1, "SELL": -1, "HOLD": 0}
_STRENGTHS = {"WEAK", "MODERATE", "STRONG", "VERY_STRONG"}
_REQUIRED = ("instrument_id", "action", "confidence")
_TEXT = ("signal_id", "instrument_id", "action", "strength", "strategy_id", "urgency")
_NUMERIC = {
    # column: (lower, upper, lower inclusive, upper inclusive)
    "confidence": (0.0, 1.0, True, True),
    "success_probability": (0.0, 1.0, True, True),
    "signal_score": (-1.0, 1.0, True, True),
    "price_target": (0.0, np.inf, False, False),
    "stop_price": (0.0, np.inf, False, False),
    "expected_return": (-np.inf, np.inf, False, False),
    "horizon_days": (0.0, np.inf, False, False),
    "lot_size": (1.0, np.inf, True, False),
}
_FIELD_PATH = {
    "signal_id": "eventId",
    "timestamp": "timestamp",
    "instrument_id": "signal.instrument_id",
    "action": "signal.action",
    "confidence": "signal.confidence",
    "strength": "signal.strength",
    "signal_score": "signal.signal_score",
    "strategy_id": "signal.strategy_id",
    "urgency": "signal.urgency",
    "lot_size": "signal.lot_size",
    "price_target": "expected_outcomes.price_target",
    "expected_return": "expected_outcomes.expected_return",
    "success_probability": "expected_outcomes.success_probability",
    "stop_price": "expected_outcomes.stop_price",
    "horizon_days": "expected_outcomes.horizon_days",
}


def _val(x: Any) -> Any:
    return getattr(x, "value", x)


def _from_events(events: Sequence[Any]) -> dict[str, np.ndarray]:
    """Columns straight from validated events (no per-row pandas)."""
    cols: dict[str, list] = {c: [] for c in ("signal_id", "timestamp", *_TEXT[1:], *_NUMERIC)}
    nan = float("nan")
    for ev in events:
        s, o = ev.signal, ev.expected_outcomes
        cols["signal_id"].append(ev.eventId)
        cols["timestamp"].append(ev.timestamp)
        cols["instrument_id"].append(s.instrument_id)
        cols["action"].append(_val(s.action))
        cols["strength"].append(_val(s.strength))
        cols["strategy_id"].append(getattr(s, "strategy_id", None))
        cols["urgency"].append(_val(getattr(s, "urgency", None)))
        cols["confidence"].append(s.confidence)
        cols["signal_score"].append(s.signal_score)
        cols["lot_size"].append(getattr(s, "lot_size", None) or nan)
        cols["price_target"].append(o.price_target)
        cols["expected_return"].append(o.expected_return)
        cols["success_probability"].append(o.success_probability)
        cols["stop_price"].append(nan if getattr(o, "stop_price", None) is None else o.stop_price)
        cols["horizon_days"].append(
            nan if getattr(o, "horizon_days", None) is None else o.horizon_days
        )
    out = {k: obj(v) for k, v in cols.items() if k in _TEXT}
    out.update({k: np.asarray(v, dtype=float) for k, v in cols.items() if k in _NUMERIC})
    out["timestamp"] = (
        pd.DatetimeIndex(pd.to_datetime(cols["timestamp"], utc=True)).as_unit("ns").asi8
    )
    return out


def _from_frame(df: pd.DataFrame) -> dict[str, np.ndarray]:
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(f"signals frame lacks required column(s) {missing}")
    n = len(df)
    out: dict[str, np.ndarray] = {}
    for c in _TEXT:
        out[c] = df[c].to_numpy(dtype=object) if c in df.columns else np.full(n, None, dtype=object)
    for c in _NUMERIC:
        out[c] = df[c].to_numpy() if c in df.columns else np.full(n, np.nan)
    if "timestamp" in df.columns:
        ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce")
        out["timestamp_bad"] = (ts.isna() & df["timestamp"].notna()).to_numpy()
        out["timestamp"] = pd.DatetimeIndex(ts).as_unit("ns").asi8  # NaT -> min int64
    else:
        out["timestamp"] = np.full(n, np.iinfo(np.int64).min)
    return out


def _raw(signals: Any, rejections: Rejections) -> dict[str, np.ndarray]:
    if signals is None:
        return _from_events([])
    if isinstance(signals, pd.DataFrame):
        return _from_frame(signals) if len(signals) else _from_events([])
    if isinstance(signals, Sequence) and not isinstance(signals, str | bytes):
        if any(isinstance(s, Mapping | str | bytes) for s in signals):
            signals = _parsed(signals, rejections)
        return _from_events(signals)
    raise ValidationError(
        f"signals must be a list of TradingSignalEvent or a DataFrame, not {type(signals).__name__}"
    )


def _parsed(records: Sequence[Any], rejections: Rejections) -> list:
    """Validate JSON-shaped records; bad ones become INVALID rejections (first error each)."""
    from portlab.events import parse_signals

    batch = parse_signals(records)
    first: dict[int, Any] = {}
    for err in batch.errors:
        first.setdefault(err.index, err)
    for index, err in first.items():
        rec = records[index]
        sig = rec.get("signal") if isinstance(rec, Mapping) else None
        inst = sig.get("instrument_id") if isinstance(sig, Mapping) else None
        rejections.add(
            Source.SIGNAL,
            [err.event_id or f"index-{index}"],
            [inst],
            None,
            RejectReason.INVALID,
            f"{err.field}: {err.message}",
            field=err.field,
        )
    return list(batch.events)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _upper(values: np.ndarray) -> np.ndarray:
    return obj(
        v.strip().upper() if isinstance(v, str) else (None if _missing(v) else str(v))
        for v in values
    )


def signal_table(signals: Any, rejections: Rejections, as_of_ns: int) -> Table:
    """Validate signals into the engine's column table.

    Invalid rows are recorded in ``rejections`` (reason INVALID, with the field's dotted
    path) and left out. The table's columns: ``signal_id``, ``timestamp`` (int64 ns, UTC;
    missing → ``as_of``), ``instrument_id``, ``action``, ``direction`` (+1 BUY, -1 SELL,
    0 HOLD), the numeric fields as float (NaN when absent), ``strength``, ``strategy_id``
    (``"default"`` when absent), ``urgency`` (NORMAL when absent), ``lot_size`` (1 when absent).
    """
    raw = _raw(signals, rejections)
    n = len(raw["signal_id"])
    problems: dict[int, tuple[str, str]] = {}

    def flag(mask: np.ndarray, col: str, message: Any) -> None:
        for i in np.flatnonzero(mask):
            if i not in problems:
                problems[i] = (col, message(i) if callable(message) else message)

    ids = obj(f"row-{i}" if _missing(v) else str(v) for i, v in enumerate(raw["signal_id"]))
    seen: set = set()
    dup = np.zeros(n, dtype=bool)
    for i, v in enumerate(ids):
        dup[i] = v in seen
        seen.add(v)
    flag(dup, "signal_id", "duplicate eventId in batch")

    ts = raw["timestamp"]
    if "timestamp_bad" in raw:
        flag(raw["timestamp_bad"], "timestamp", "not a timestamp")
    ts = np.where(ts == np.iinfo(np.int64).min, as_of_ns, ts)

    inst = raw["instrument_id"]
    bad_inst = np.array([not (isinstance(v, str) and v.strip()) for v in inst], dtype=bool)
    flag(bad_inst, "instrument_id", "missing or empty")
    inst = obj(v.strip() if isinstance(v, str) else "" for v in inst)

    action = _upper(raw["action"])
    direction = np.array([_ACTIONS.get(a, 9) for a in action], dtype=int)
    flag(
        direction == 9,
        "action",
        lambda i: f"unknown action {raw['action'][i]!r} (BUY, SELL or HOLD)",
    )
    direction[direction == 9] = 0

    out: Table = {
        "signal_id": ids,
        "timestamp": ts,
        "instrument_id": inst,
        "action": action,
        "direction": direction,
    }
    for col, (lo, hi, lo_in, hi_in) in _NUMERIC.items():
        col_raw = raw[col]
        vals = (
            pd.to_numeric(pd.Series(col_raw, copy=False), errors="coerce").to_numpy(dtype=float)
            if col_raw.dtype == object
            else col_raw.astype(float)
        )
        if col_raw.dtype == object:
            flag(
                np.isnan(vals) & np.array([not _missing(v) for v in col_raw], dtype=bool),
                col,
                "not a number",
            )
        present = ~np.isnan(vals)
        if col == "expected_return":
            out_of = present & ~np.isfinite(vals)
        else:
            low = (vals < lo) if lo_in else (vals <= lo)
            high = (vals > hi) if hi_in else (vals >= hi)
            out_of = present & (low | high)
        bounds = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
        flag(out_of, col, lambda i, v=vals, b=bounds: f"{v[i]!r} outside {b}")
        out[col] = vals
    flag(np.isnan(out["confidence"]), "confidence", "required")

    strength = _upper(raw["strength"])
    flag(
        np.array([s is not None and s not in _STRENGTHS for s in strength], dtype=bool),
        "strength",
        lambda i: f"unknown strength {strength[i]!r}",
    )
    out["strength"] = strength
    urgency = obj("NORMAL" if u is None else u for u in _upper(raw["urgency"]))
    flag(
        np.array([u not in URGENCY_LEVELS for u in urgency], dtype=bool),
        "urgency",
        lambda i: f"unknown urgency {urgency[i]!r}",
    )
    out["urgency"] = urgency
    out["strategy_id"] = obj(
        DEFAULT_STRATEGY if _missing(v) or v == "" else str(v) for v in raw["strategy_id"]
    )
    out["lot_size"] = np.nan_to_num(out["lot_size"], nan=1.0)

    if problems:
        rows = np.array(sorted(problems))
        rejections.add(
            Source.SIGNAL,
            out["signal_id"][rows],
            out["instrument_id"][rows],
            out["strategy_id"][rows],
            RejectReason.INVALID,
            [f"{_FIELD_PATH[problems[r][0]]}: {problems[r][1]}" for r in rows],
            field=[_FIELD_PATH[problems[r][0]] for r in rows],
        )
        keep = np.ones(n, dtype=bool)
        keep[rows] = False
        out = take(out, keep)
    return out


def assign_priority(confidence: np.ndarray, urgency: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """Seed 003's priority levels as ranks 0..3 (LOW, MEDIUM, HIGH, CRITICAL).

    CRITICAL: excellent track record and confidence >= 0.8, or CRITICAL urgency.
    HIGH: good or excellent track record, or an average record with confidence >= 0.8, or
    HIGH urgency. MEDIUM: average record (the default for strategies without one).
    LOW: poor record (unless urgency lifts it).

    Parameters
    ----------
    confidence : ndarray of float, shape (m,)
    urgency : ndarray of str, shape (m,)
        LOW, NORMAL, HIGH or CRITICAL.
    tiers : ndarray of int, shape (m,)
        :class:`~portlab.engine.strategies.PerformanceTier` values.
    """
    base = np.select(
        [
            (tiers == PerformanceTier.EXCELLENT) & (confidence >= 0.8),
            tiers >= PerformanceTier.GOOD,
            (tiers == PerformanceTier.AVERAGE) & (confidence >= 0.8),
            tiers == PerformanceTier.AVERAGE,
        ],
        [3, 2, 2, 1],
        default=0,
    )
    by_urgency = np.select([urgency == "CRITICAL", urgency == "HIGH"], [3, 2], default=0)
    return np.maximum(base, by_urgency)


def enrich(
    sig: Table,
    registry: Mapping[str, Strategy],
    instruments: pd.Index,
    price_ok: np.ndarray,
    risk_ok: np.ndarray,
    rejections: Rejections,
) -> Table:
    """Match signals to the market and the strategy registry; add priority and weights.

    Rejects (and drops) HOLD signals, unknown instruments, instruments without a price or
    risk data, and — when strategies are registered — signals of unregistered strategies.
    Adds ``inst`` (position in the universe), ``tier``, ``perf_score``, ``strategy_weight``
    and ``priority`` (rank 0..3).
    """
    inst = (
        instruments.get_indexer(sig["instrument_id"])
        if len(sig["instrument_id"])
        else np.zeros(0, dtype=int)
    )
    safe = np.maximum(inst, 0)
    strategies = sig["strategy_id"]
    checks = [
        (sig["direction"] == 0, RejectReason.HOLD, "HOLD signal: no trade requested"),
        (inst < 0, RejectReason.UNKNOWN_INSTRUMENT, "instrument not in the market"),
        (
            (inst >= 0) & ~price_ok[safe],
            RejectReason.NO_PRICE,
            "no current price (delisted or stale)",
        ),
        (
            (inst >= 0) & ~risk_ok[safe],
            RejectReason.NO_RISK_DATA,
            "no volatility in the risk model (too little history)",
        ),
    ]
    if registry:
        unknown = np.array([s not in registry for s in strategies], dtype=bool)
        checks.append(
            (
                unknown,
                RejectReason.UNKNOWN_STRATEGY,
                "strategy is not registered with the coordinator",
            )
        )
    drop = np.zeros(len(inst), dtype=bool)
    for mask, reason, detail in checks:
        mask = mask & ~drop
        if mask.any():
            rejections.add(
                Source.SIGNAL,
                sig["signal_id"][mask],
                sig["instrument_id"][mask],
                strategies[mask],
                reason,
                detail,
            )
            drop |= mask
    sig = take(sig, ~drop)
    sig["inst"] = inst[~drop]
    records = {name: registry.get(name) for name in set(sig["strategy_id"])}
    tier_of = {
        k: int(r.track_record.tier()) if r else int(PerformanceTier.AVERAGE)
        for k, r in records.items()
    }
    score_of = {k: r.track_record.score() if r else 0.5 for k, r in records.items()}
    weight_of = {k: r.weight if r else 1.0 for k, r in records.items()}
    names = sig["strategy_id"]
    sig["tier"] = np.array([tier_of[s] for s in names], dtype=int)
    sig["perf_score"] = np.array([score_of[s] for s in names], dtype=float)
    sig["strategy_weight"] = np.array([weight_of[s] for s in names], dtype=float)
    sig["priority"] = assign_priority(sig["confidence"], sig["urgency"], sig["tier"])
    return sig

"""Validate and enrich signals: validate, match to market and registry, prioritise (§1, §4).

Signals arrive as a list of :class:`~portlab.events.TradingSignalEvent` (or their JSON dicts)
or as a DataFrame with the columns of :data:`portlab.events.SIGNAL_COLUMNS`. Both become one
column table (:data:`~portlab.engine.columns.SIGNALS`), checked row by row but vectorized;
bad rows become rejections naming the field, the rest go on. :func:`enrich` adds the columns
of :data:`~portlab.engine.columns.ENRICHMENT`, including the priority (specification §4).

Bad input, case by case: anything but a list (or tuple) or a DataFrame is a
:class:`~portlab.exceptions.ValidationError` naming ``signals``, as is a DataFrame without the
required columns or with a column twice. Inside a list, an element that is neither an event nor
a JSON dict/string is an INVALID rejection naming its position, and the other elements go on.
In a DataFrame, a timestamp that is a number or a boolean, unparseable, or outside the range
pandas can represent (1677-09-21 to 2262-04-11) is an INVALID rejection of the row (ISO 8601
strings in mixed forms are read; a time without a zone is taken as UTC); so is a boolean in a
numeric column and an ``instrument_id`` that is not a string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.strategies import NEUTRAL_SCORE, PerformanceTier, Strategy
from portlab.engine.table import Table, object_array, take
from portlab.engine.times import NO_TIME, OUT_OF_RANGE, utc_nanoseconds
from portlab.events import DEFAULT_STRATEGY, TradingSignalEvent, parse_signals
from portlab.exceptions import ValidationError
from portlab.types import SignalsLike

__all__ = [
    "HIGH_CONFIDENCE",
    "PRIORITY_LEVELS",
    "URGENCY_LEVELS",
    "assign_priority",
    "enrich",
    "signal_table",
]

#: priority labels by rank (0 = LOW ... 3 = CRITICAL)
PRIORITY_LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
URGENCY_LEVELS = ("LOW", "NORMAL", "HIGH", "CRITICAL")
#: confidence at or above which a signal counts as highly confident: it lifts an excellent
#: track record to CRITICAL and an average one to HIGH (the priority rules, specification §4)
HIGH_CONFIDENCE = 0.8
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


def _show(v: Any) -> str:
    """A user's value for a message: strings quoted, numbers as people read them."""
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | float | np.integer | np.floating):
        return f"{float(v):g}"
    return f"{type(v).__name__} {v}"


def _parse_times(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A DataFrame's timestamp column as (int64 ns UTC, unparseable mask, out-of-range mask).

    Missing values are NaT and not flagged. Numbers and booleans are never timestamps (pandas
    would read 5 as 5 ns after 1970). Strings are read as ISO 8601 in any of its forms; the
    few that fail get one more, slower try with pandas' general parser.
    """
    n = len(col)
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        idx = pd.DatetimeIndex(col)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        ns, out = utc_nanoseconds(idx)
        return ns, np.zeros(n, dtype=bool), out
    values = col.to_numpy(dtype=object)
    missing = np.array([_missing(v) for v in values], dtype=bool)
    number = np.array(
        [isinstance(v, bool | int | float | np.number | np.bool_) for v in values], dtype=bool
    )
    bad = number & ~missing
    use = np.flatnonzero(~missing & ~number)
    stamps = np.full(n, pd.NaT, dtype=object)
    if len(use):
        got = pd.to_datetime(
            pd.Series(values[use], dtype=object), utc=True, format="ISO8601", errors="coerce"
        )
        stamps[use] = list(got)
        for i in use[got.isna().to_numpy()]:
            try:
                ts = pd.Timestamp(values[i])
            except (ValueError, TypeError, OverflowError):
                ts = pd.NaT
            if ts is pd.NaT:
                bad[i] = True
            else:
                stamps[i] = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    ns, out = utc_nanoseconds(pd.DatetimeIndex(pd.to_datetime(list(stamps), utc=True)))
    return ns, bad, out


def _from_events(events: Sequence[Any]) -> dict[str, np.ndarray]:
    """Columns straight from validated events (no per-row pandas)."""
    cols: dict[str, list] = {c: [] for c in ("signal_id", "timestamp", *_TEXT[1:], *_NUMERIC)}
    nan = float("nan")
    for ev in events:
        s, o = ev.signal, ev.expected_outcomes
        cols["signal_id"].append(ev.eventId)
        cols["timestamp"].append(ev.timestamp if ev.timestamp_given else None)  # None: no time
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
    out = {k: object_array(v) for k, v in cols.items() if k in _TEXT}
    out.update({k: np.asarray(v, dtype=float) for k, v in cols.items() if k in _NUMERIC})
    stamps = pd.DatetimeIndex(pd.to_datetime(cols["timestamp"], utc=True))
    out["timestamp"], out["timestamp_out_of_range"] = utc_nanoseconds(stamps)
    return out


def _from_frame(df: pd.DataFrame) -> dict[str, np.ndarray]:
    twice = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if twice:
        raise ValidationError(f"signals: column(s) {twice} appear more than once in the DataFrame")
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(
            f"signals: the DataFrame lacks required column(s) {missing} "
            f"(see portlab.events.SIGNAL_COLUMNS)"
        )
    n = len(df)
    out: dict[str, np.ndarray] = {}
    for c in _TEXT:
        out[c] = df[c].to_numpy(dtype=object) if c in df.columns else np.full(n, None, dtype=object)
    for c in _NUMERIC:
        out[c] = df[c].to_numpy() if c in df.columns else np.full(n, np.nan)
    if "timestamp" in df.columns:
        out["timestamp"], out["timestamp_unparsed"], out["timestamp_out_of_range"] = _parse_times(
            df["timestamp"]
        )
    else:
        out["timestamp"] = np.full(n, NO_TIME)
    return out


_ACCEPTS = (
    "a list of TradingSignalEvent (or their JSON dicts) or a DataFrame with the columns of "
    "portlab.events.SIGNAL_COLUMNS"
)


def _raw(signals: SignalsLike, rejections: Rejections) -> dict[str, np.ndarray]:
    """The signal columns as read, values not yet checked, plus the flags of
    :data:`~portlab.engine.columns.READ_FLAGS` where the input can have them."""
    if signals is None:
        return _from_events([])
    if isinstance(signals, pd.DataFrame):
        return _from_frame(signals) if len(signals) else _from_events([])
    if isinstance(signals, Sequence) and not isinstance(signals, str | bytes | bytearray):
        if not all(isinstance(s, TradingSignalEvent) for s in signals):
            signals = _parsed(signals, rejections)
        return _from_events(signals)
    hint = ""
    if isinstance(signals, str | bytes | bytearray):
        hint = " (read a JSON Lines file with portlab.events.read_jsonl(path, TradingSignalEvent))"
    elif isinstance(signals, Mapping):
        hint = " (put a single signal in a list)"
    raise ValidationError(f"signals: expected {_ACCEPTS}, got {type(signals).__name__}{hint}")


def _parsed(records: Sequence[Any], rejections: Rejections) -> list:
    """Validate JSON-shaped records; bad ones become INVALID rejections (first error each)."""
    batch = parse_signals(records)
    first: dict[int, Any] = {}
    for err in batch.errors:
        first.setdefault(err.index, err)
    for index, err in first.items():
        rec = records[index]
        body = rec.get("signal") if isinstance(rec, Mapping) else None
        name = body.get("instrument_id") if isinstance(body, Mapping) else None
        rejections.add(
            Source.SIGNAL,
            [err.event_id or f"index-{index}"],
            [name if isinstance(name, str) else None],
            None,
            RejectReason.INVALID,
            f"{err.field}: {err.message}" if err.field else f"signals[{index}]: {err.message}",
            field=err.field,
        )
    return list(batch.events)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _plain(values: np.ndarray) -> np.ndarray:
    """A numeric column as a numpy array: nullable and Arrow dtypes give object (NA -> None)."""
    if values.dtype == object or values.dtype.kind in "biuf":
        return values
    return np.asarray(values, dtype=object)


def _upper(values: np.ndarray) -> np.ndarray:
    return object_array(
        v.strip().upper() if isinstance(v, str) else (None if _missing(v) else str(v))
        for v in values
    )


def signal_table(signals: SignalsLike, rejections: Rejections, as_of_ns: int) -> Table:
    """Validate signals into the engine's column table.

    Invalid rows are recorded in ``rejections`` (reason INVALID, with the field's dotted
    path) and left out. The table has the columns of :data:`~portlab.engine.columns.SIGNALS`:
    ``signal_id``, ``timestamp`` (int64 ns, UTC; missing → ``as_of_ns``), ``instrument_id``,
    ``action``, ``direction`` (+1 BUY, -1 SELL, 0 HOLD), the numeric fields as float (NaN
    when absent), ``strength``, ``strategy_id`` (``"default"`` when absent), ``urgency``
    (NORMAL when absent), ``lot_size`` (1 when absent).
    """
    raw = _raw(signals, rejections)
    n = len(raw["signal_id"])
    problems: dict[int, tuple[str, str]] = {}

    def flag(mask: np.ndarray, col: str, message: Any) -> None:
        for i in np.flatnonzero(mask):
            if i not in problems:
                problems[i] = (col, message(i) if callable(message) else message)

    ids = object_array(
        f"row-{i}" if _missing(v) else str(v) for i, v in enumerate(raw["signal_id"])
    )
    seen: set = set()
    dup = np.zeros(n, dtype=bool)
    for i, v in enumerate(ids):
        dup[i] = v in seen
        seen.add(v)
    flag(dup, "signal_id", "duplicate eventId in batch")

    ts = raw["timestamp"]
    if "timestamp_unparsed" in raw:
        flag(
            raw["timestamp_unparsed"],
            "timestamp",
            "not a timestamp (use ISO 8601, e.g. 2022-12-28T14:55:00Z)",
        )
    if "timestamp_out_of_range" in raw:
        flag(raw["timestamp_out_of_range"], "timestamp", OUT_OF_RANGE)
    ts = np.where(ts == NO_TIME, as_of_ns, ts)

    names = raw["instrument_id"]
    flag(np.array([_missing(v) for v in names], dtype=bool), "instrument_id", "required")
    flag(
        np.array([not _missing(v) and not isinstance(v, str) for v in names], dtype=bool),
        "instrument_id",
        lambda i: f"expected a string, got {_show(names[i])}",
    )
    flag(
        np.array([isinstance(v, str) and not v.strip() for v in names], dtype=bool),
        "instrument_id",
        "empty",
    )
    names = object_array(v.strip() if isinstance(v, str) else "" for v in names)

    action = _upper(raw["action"])
    direction = np.array([_ACTIONS.get(a, 9) for a in action], dtype=int)
    flag(
        direction == 9,
        "action",
        lambda i: f"unknown action {_show(raw['action'][i])} (BUY, SELL or HOLD)",
    )
    direction[direction == 9] = 0

    out: Table = {
        "signal_id": ids,
        "timestamp": ts,
        "instrument_id": names,
        "action": action,
        "direction": direction,
    }
    for col, (lo, hi, lo_in, hi_in) in _NUMERIC.items():
        col_raw = _plain(raw[col])
        if col_raw.dtype == bool:
            flag(np.ones(n, dtype=bool), col, "not a number (got a boolean)")
            col_raw = np.full(n, np.nan)
        elif col_raw.dtype == object:
            flag(
                np.array([isinstance(v, bool | np.bool_) for v in col_raw], dtype=bool),
                col,
                "not a number (got a boolean)",
            )
        vals = (
            pd.to_numeric(pd.Series(col_raw, copy=False), errors="coerce").to_numpy(dtype=float)
            if col_raw.dtype == object
            else col_raw.astype(float)
        )
        if col_raw.dtype == object:
            flag(
                np.isnan(vals) & np.array([not _missing(v) for v in col_raw], dtype=bool),
                col,
                lambda i, c=col_raw: f"not a number (got {_show(c[i])})",
            )
        present = ~np.isnan(vals)
        if col == "expected_return":
            out_of = present & ~np.isfinite(vals)
            flag(out_of, col, lambda i, v=vals: f"must be finite, got {v[i]:g}")
        else:
            low = (vals < lo) if lo_in else (vals <= lo)
            high = (vals > hi) if hi_in else (vals >= hi)
            out_of = present & (low | high)
            bounds = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
            flag(out_of, col, lambda i, v=vals, b=bounds: f"{v[i]:g} outside {b}")
        out[col] = vals
    flag(np.isnan(out["confidence"]), "confidence", "required")

    strength = _upper(raw["strength"])
    flag(
        np.array([s is not None and s not in _STRENGTHS for s in strength], dtype=bool),
        "strength",
        lambda i: f"unknown strength {strength[i]!r}",
    )
    out["strength"] = strength
    urgency = object_array("NORMAL" if u is None else u for u in _upper(raw["urgency"]))
    flag(
        np.array([u not in URGENCY_LEVELS for u in urgency], dtype=bool),
        "urgency",
        lambda i: f"unknown urgency {urgency[i]!r}",
    )
    out["urgency"] = urgency
    out["strategy_id"] = object_array(
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
    """Priority levels as ranks 0..3 (LOW, MEDIUM, HIGH, CRITICAL), specification §4.

    CRITICAL: excellent track record and confidence >= 0.8 (:data:`HIGH_CONFIDENCE`), or
    CRITICAL urgency.
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
            (tiers == PerformanceTier.EXCELLENT) & (confidence >= HIGH_CONFIDENCE),
            tiers >= PerformanceTier.GOOD,
            (tiers == PerformanceTier.AVERAGE) & (confidence >= HIGH_CONFIDENCE),
            tiers == PerformanceTier.AVERAGE,
        ],
        [3, 2, 2, 1],
        default=0,
    )
    by_urgency = np.select([urgency == "CRITICAL", urgency == "HIGH"], [3, 2], default=0)
    return np.maximum(base, by_urgency)


def enrich(
    signals: Table,
    registry: Mapping[str, Strategy],
    instruments: pd.Index,
    price_ok: np.ndarray,
    risk_ok: np.ndarray,
    rejections: Rejections,
) -> Table:
    """Match signals to the market and the strategy registry; add priority and weights.

    Rejects (and drops) HOLD signals, unknown instruments, instruments without a price or
    risk data, and — when strategies are registered — signals of unregistered strategies.
    Adds the columns of :data:`~portlab.engine.columns.ENRICHMENT`: ``instrument`` (position
    in the universe), ``performance_tier``, ``performance_score``, ``strategy_weight`` and
    ``priority`` (rank 0..3).
    """
    instrument = (
        instruments.get_indexer(signals["instrument_id"])
        if len(signals["instrument_id"])
        else np.zeros(0, dtype=int)
    )
    safe = np.maximum(instrument, 0)
    known = instrument >= 0
    strategies = signals["strategy_id"]
    checks = [
        (signals["direction"] == 0, RejectReason.HOLD, "HOLD signal: no trade requested"),
        (~known, RejectReason.UNKNOWN_INSTRUMENT, "instrument not in the market"),
        (known & ~price_ok[safe], RejectReason.NO_PRICE, "no current price (delisted or stale)"),
        (
            known & ~risk_ok[safe],
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
    drop = np.zeros(len(instrument), dtype=bool)
    for mask, reason, detail in checks:
        mask = mask & ~drop
        if mask.any():
            rejections.add(
                Source.SIGNAL,
                signals["signal_id"][mask],
                signals["instrument_id"][mask],
                strategies[mask],
                reason,
                detail,
            )
            drop |= mask
    signals = take(signals, ~drop)
    signals["instrument"] = instrument[~drop]
    records = {name: registry.get(name) for name in set(signals["strategy_id"])}
    tier_of = {
        k: int(r.track_record.tier()) if r else int(PerformanceTier.AVERAGE)
        for k, r in records.items()
    }
    score_of = {k: r.track_record.score() if r else NEUTRAL_SCORE for k, r in records.items()}
    weight_of = {k: r.weight if r else 1.0 for k, r in records.items()}
    names = signals["strategy_id"]
    signals["performance_tier"] = np.array([tier_of[s] for s in names], dtype=int)
    signals["performance_score"] = np.array([score_of[s] for s in names], dtype=float)
    signals["strategy_weight"] = np.array([weight_of[s] for s in names], dtype=float)
    signals["priority"] = assign_priority(
        signals["confidence"], signals["urgency"], signals["performance_tier"]
    )
    return signals

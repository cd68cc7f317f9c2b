"""Events to and from pandas DataFrames.

Two pairs of functions:

* :func:`signals_to_frame` / :func:`signals_from_frame`: trading signals as a flat table
  with the fixed columns :data:`SIGNAL_COLUMNS`, the form quants work with;
* :func:`events_to_frame` / :func:`events_from_frame`: any event type, one row per event,
  nested fields flattened with ``"."`` (``decision.trade_amount``), lists kept as Python
  lists, column names as in the JSON contract (``eventId``).

Reading a frame back validates every row; bad rows become :class:`EventError` entries whose
``index`` is the row position (not the index label), and the good rows are kept.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from portlab.events._types import EventModel
from portlab.events.batch import EventBatch, _collect
from portlab.events.signal import TradingSignalEvent
from portlab.exceptions import DataError

__all__ = [
    "SIGNAL_COLUMNS",
    "events_from_frame",
    "events_to_frame",
    "signals_from_frame",
    "signals_to_frame",
]

E = TypeVar("E", bound=EventModel)

SIGNAL_COLUMNS: tuple[str, ...] = (
    "signal_id",
    "timestamp",
    "instrument_id",
    "action",
    "confidence",
    "strength",
    "signal_score",
    "price_target",
    "expected_return",
    "success_probability",
    "strategy_id",
    "stop_price",
    "urgency",
    "horizon_days",
    "lot_size",
)
"""Columns of :func:`signals_to_frame`, in order."""

# column -> (block, field name in the event JSON); block None is the event's top level
_SIGNAL_FIELDS: dict[str, tuple[str | None, str]] = {
    "signal_id": (None, "eventId"),
    "timestamp": (None, "timestamp"),
    "instrument_id": ("signal", "instrument_id"),
    "action": ("signal", "action"),
    "confidence": ("signal", "confidence"),
    "strength": ("signal", "strength"),
    "signal_score": ("signal", "signal_score"),
    "price_target": ("expected_outcomes", "price_target"),
    "expected_return": ("expected_outcomes", "expected_return"),
    "success_probability": ("expected_outcomes", "success_probability"),
    "strategy_id": ("signal", "strategy_id"),
    "stop_price": ("expected_outcomes", "stop_price"),
    "urgency": ("signal", "urgency"),
    "horizon_days": ("expected_outcomes", "horizon_days"),
    "lot_size": ("signal", "lot_size"),
}
_REQUIRED_SIGNAL_COLUMNS = (
    "instrument_id",
    "action",
    "confidence",
    "strength",
    "signal_score",
    "price_target",
    "expected_return",
    "success_probability",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA (lists and other containers are never missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _str_column(values: list[str | None]) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="str")


def _float_column(values: list[float | int | None]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def signals_to_frame(events: Iterable[TradingSignalEvent]) -> pd.DataFrame:
    """Tabulate trading signals, one row per signal.

    Parameters
    ----------
    events : iterable of TradingSignalEvent
        The signals.

    Returns
    -------
    pandas.DataFrame
        Columns exactly :data:`SIGNAL_COLUMNS`, index ``0..n-1``:

        * ``signal_id`` (the ``eventId``), ``instrument_id``, ``strategy_id``, and the
          enums ``action``, ``strength``, ``urgency`` as ``str`` dtype (missing: NaN);
        * ``timestamp`` as ``datetime64[us, UTC]``;
        * ``confidence``, ``signal_score``, ``price_target``, ``expected_return``,
          ``success_probability``, ``stop_price``, ``horizon_days`` and ``lot_size`` as
          float64 (missing: NaN; ``lot_size`` is float so that it can be missing).

        Empty input gives an empty frame with the same columns and dtypes.
    """
    evs = events if isinstance(events, list) else list(events)
    sigs = [e.signal for e in evs]
    outs = [e.expected_outcomes for e in evs]
    micros = np.array([(e.timestamp - _EPOCH) // _MICROSECOND for e in evs], dtype=np.int64)
    columns: dict[str, Any] = {
        "signal_id": _str_column([e.event_id for e in evs]),
        "timestamp": pd.to_datetime(micros, unit="us", utc=True),
        "instrument_id": _str_column([s.instrument_id for s in sigs]),
        "action": _str_column([s.action.value for s in sigs]),
        "confidence": _float_column([s.confidence for s in sigs]),
        "strength": _str_column([s.strength.value for s in sigs]),
        "signal_score": _float_column([s.signal_score for s in sigs]),
        "price_target": _float_column([o.price_target for o in outs]),
        "expected_return": _float_column([o.expected_return for o in outs]),
        "success_probability": _float_column([o.success_probability for o in outs]),
        "strategy_id": _str_column([s.strategy_id for s in sigs]),
        "stop_price": _float_column([o.stop_price for o in outs]),
        "urgency": _str_column([None if s.urgency is None else s.urgency.value for s in sigs]),
        "horizon_days": _float_column([o.horizon_days for o in outs]),
        "lot_size": _float_column([s.lot_size for s in sigs]),
    }
    return pd.DataFrame(columns, columns=list(SIGNAL_COLUMNS), copy=False)


def _check_columns(df: pd.DataFrame, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    if not df.columns.is_unique:
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"{what} has duplicate column(s): {', '.join(dupes)}")


def signals_from_frame(df: pd.DataFrame) -> EventBatch[TradingSignalEvent]:
    """Build validated trading signals from a frame shaped like :func:`signals_to_frame`'s.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per signal. Required columns: ``instrument_id``, ``action``,
        ``confidence``, ``strength``, ``signal_score``, ``price_target``,
        ``expected_return``, ``success_probability``. Optional: ``signal_id`` (a new UUID
        when absent or missing), ``timestamp`` (now when absent or missing; naive values
        are UTC), ``strategy_id``, ``stop_price``, ``urgency``, ``horizon_days``,
        ``lot_size``. Other columns are ignored. Missing cells (NaN, None, NaT) leave the
        field unset.

    Returns
    -------
    EventBatch of TradingSignalEvent
        Valid signals in row order; errors carry ``index`` = row position (0-based), the
        ``signal_id`` and the field's dotted path (e.g. ``signal.confidence``). A missing
        value in a required column is reported as ``Field required``; a repeated
        ``signal_id`` is an error on the later rows.

    Raises
    ------
    portlab.exceptions.DataError
        If ``df`` is not a DataFrame, lacks a required column or has duplicate columns.
    """
    _check_columns(df, "signals frame")
    missing = [c for c in _REQUIRED_SIGNAL_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"signals frame is missing required column(s): {', '.join(missing)}")
    present = [c for c in SIGNAL_COLUMNS if c in df.columns]
    targets = [_SIGNAL_FIELDS[c] for c in present]
    values = [df[c].tolist() for c in present]
    records: list[dict[str, Any]] = []
    for row in zip(*values, strict=True) if values else ():
        record: dict[str, Any] = {}
        signal: dict[str, Any] = {}
        outcomes: dict[str, Any] = {}
        blocks = {None: record, "signal": signal, "expected_outcomes": outcomes}
        for (block, name), value in zip(targets, row, strict=True):
            if not _is_missing(value):
                blocks[block][name] = value
        record["signal"] = signal
        record["expected_outcomes"] = outcomes
        records.append(record)
    return _collect(((r, None) for r in records), TradingSignalEvent, None)


def _plain(value: Any) -> Any:
    """Enums to their values, recursively through lists and dicts."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            _flatten(value, f"{name}.", out)
        else:
            out[name] = _plain(value)


def events_to_frame(events: Iterable[EventModel]) -> pd.DataFrame:
    """Tabulate events of any type, one row per event.

    Parameters
    ----------
    events : iterable of EventModel
        The events (normally all of one type).

    Returns
    -------
    pandas.DataFrame
        Index ``0..n-1``; one column per leaf field, named by its dotted JSON path
        (``eventId``, ``timestamp``, ``decision.trade_amount``,
        ``strategy_attribution.momentum_strategy.weight``), in order of first appearance.
        Timestamps are ``datetime64[us, UTC]``, enums plain strings, lists (and empty
        dicts) are kept as Python objects, with dicts inside lists. Optional fields never
        set are missing (NaN). Empty input gives an empty frame.

    Notes
    -----
    Dict keys containing ``"."`` cannot be told apart from nesting and do not survive
    :func:`events_from_frame`.
    """
    rows: list[dict[str, Any]] = []
    for event in events:
        flat: dict[str, Any] = {}
        _flatten(event.model_dump(by_alias=True, exclude_unset=True), "", flat)
        rows.append(flat)
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows)


def events_from_frame(df: pd.DataFrame, model: type[E]) -> EventBatch[E]:
    """Build validated events from a frame shaped like :func:`events_to_frame`'s.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event, columns named by dotted JSON paths. Missing cells (NaN, None,
        NaT) leave the field unset.
    model : type of EventModel
        The event class.

    Returns
    -------
    EventBatch
        Valid events in row order; errors carry ``index`` = row position.

    Raises
    ------
    portlab.exceptions.DataError
        If ``df`` is not a DataFrame or has duplicate columns.
    """
    _check_columns(df, "events frame")
    paths = [str(c).split(".") for c in df.columns]
    values = [df[c].tolist() for c in df.columns]
    records: list[dict[str, Any]] = []
    for row in zip(*values, strict=True) if values else ((),) * len(df):
        record: dict[str, Any] = {}
        for path, value in zip(paths, row, strict=True):
            if _is_missing(value):
                continue
            node = record
            for part in path[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):  # a leaf and a branch share a name
                    child = node[part] = {}
                node = child
            node[path[-1]] = value
        records.append(record)
    return _collect(((r, None) for r in records), model, None)

"""Decision events as JSON text, written column by column from a decisions frame.

What the decision journal stores for every decision, so it is on the journal's write path:
each column is turned into JSON text once (numbers by pydantic's serializer a column at a
time, so in the same form as the event models write them; each distinct text escaped once),
and each event is then one ``%`` formatting of a template holding the contract's field names
in its order. About twice as fast as building each event's dict and serialising it, and many
times faster than validating the event models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from json.encoder import encode_basestring  # JSON string, non-ASCII kept (as pydantic)
from typing import Any

import numpy as np
import pandas as pd
import pydantic_core

__all__ = ["decision_event_json"]


def decision_event_json(decisions: pd.DataFrame | Mapping[str, Any]) -> list[str]:
    """Rows of a decisions frame as the JSON text of their
    :class:`~portlab.events.CoordinatedTradingDecisionEvent`, written straight from the
    columns without building the event objects.

    The same fields in the same order with the same values as ``[e.to_json() for e in
    decision_events(decisions)]`` (:func:`portlab.engine.decisions.decision_events`); the
    tests check it.

    Parameters
    ----------
    decisions : DataFrame or mapping of column to array
        ``CoordinationResult.decisions`` (:data:`portlab.engine.columns.DECISIONS`), n rows,
        or the same columns as arrays (``CoordinationResult.decision_arrays()``: no
        DataFrame to build).

    Returns
    -------
    list of str
        n JSON objects.

    Raises
    ------
    ValueError
        A value JSON cannot hold (a NaN or infinite number where the contract has no
        default, a missing time): the validated events say which field.
    """

    def col(name: str) -> _Column:
        values = decisions[name]
        return name, values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)

    if len(col("decision_id")[1]) == 0:
        return []
    basis = _texts(col("signal_id"))
    has_basis = [isinstance(s, str) for s in col("signal_id")[1].tolist()]
    basis_text = _join_rows(
        _BASIS,
        [
            basis,
            _numbers(col("signal_confidence"), default=0.0),
            _texts(col("signal_strength"), default="MODERATE"),
            _numbers(col("expected_return"), default=0.0),
        ],
    )
    fields = [
        _texts(col("decision_id")),
        _wire_times(col("timestamp")),
        _texts(col("instrument_id")),
        _texts(col("action")),
        _numbers(col("position_size")),
        _numbers(col("trade_amount"), digits=2),
        _whole(col("share_quantity")),
        _numbers(col("confidence"), default=1.0),
        _texts(col("priority")),
        [b if keep else "" for b, keep in zip(basis_text, has_basis, strict=True)],
        _numbers(col("current_position")),
        _numbers(col("target_position")),
        _texts(col("sector"), convert=str),
        _numbers(col("sector_before")),
        _numbers(col("sector_after")),
        _numbers(col("sector_limit")),
        _numbers(col("correlation_impact")),
        _numbers(col("risk_contribution")),
        _numbers(col("kelly_fraction"), default=0.0),
        _numbers(col("policy_constrained")),
        _numbers(col("correlation_adjusted")),
        _numbers(col("final_size")),
        _texts(col("reasoning")),
        _numbers(col("position_var_1d"), digits=2),
        _numbers(col("portfolio_var_impact")),
        _numbers(col("max_loss_estimate"), digits=2),
        _numbers(col("risk_reward_ratio")),
        _texts(col("order_type")),
        _texts(col("execution_algorithm")),
        _texts(col("time_horizon")),
        _texts(col("urgency")),
        _texts(col("position_limit_check")),
        _texts(col("sector_limit_check")),
        _texts(col("correlation_limit_check")),
        _lists(col("violations")),
        _lists(col("warnings")),
    ]
    return _join_rows(_EVENT, fields)


# the contract's fields in its order (portlab.events.CoordinatedTradingDecisionEvent); each
# %s is one column's JSON text, the optional signal basis included with its trailing comma
_EVENT = (
    '{"eventId":%s,"timestamp":%s,'
    '"decision":{"instrument_id":%s,"action":%s,"position_size":%s,"trade_amount":%s,'
    '"share_quantity":%s,"confidence":%s,"priority":%s},'
    "%s"
    '"portfolio_context":{"current_position":%s,"target_position":%s,'
    '"sector_exposure_impact":{"sector":%s,"before":%s,"after":%s,"limit":%s},'
    '"correlation_impact":%s,"risk_contribution":%s},'
    '"position_sizing":{"kelly_fraction":%s,"policy_constrained":%s,'
    '"correlation_adjusted":%s,"final_size":%s,"sizing_reasoning":%s},'
    '"risk_metrics":{"position_var_1d":%s,"portfolio_var_impact":%s,'
    '"max_loss_estimate":%s,"risk_reward_ratio":%s},'
    '"execution_strategy":{"order_type":%s,"execution_algorithm":%s,"time_horizon":%s,'
    '"urgency":%s},'
    '"policy_compliance":{"position_limit_check":%s,"sector_limit_check":%s,'
    '"correlation_limit_check":%s,"violations":%s,"warnings":%s}}'
)
_BASIS = (
    '"signal_basis":{"signal_id":%s,"signal_confidence":%s,"signal_strength":%s,'
    '"expected_return":%s},'
)


def _join_rows(template: str, fields: list[list[str]]) -> list[str]:
    return [template % row for row in zip(*fields, strict=True)]


# a column: its name (for messages) and its values
_Column = tuple[str, np.ndarray]


def _numbers(column: _Column, *, default: float | None = None, digits: int | None = None):
    """JSON numbers; a missing value is ``default`` (or a ``ValueError`` without one)."""
    name, values = column
    x = values.astype(float)  # None and NaN (object columns) become NaN
    if default is not None:
        x = np.where(np.isnan(x), default, x)
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: a number JSON cannot hold")
    values = x.tolist()
    if digits is not None:  # Python's round, as the event contract rounds (not numpy's)
        values = [round(v, digits) for v in values]
    return pydantic_core.to_json(values).decode()[1:-1].split(",")  # pydantic's number form


def _whole(column: _Column) -> list[str]:
    """Whole numbers (fractional share quantities truncated, as the contract's int)."""
    name, values = column
    x = values.astype(float)
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: a number JSON cannot hold")
    return [str(v) for v in np.trunc(x).astype(np.int64).tolist()]


def _texts(
    column: _Column, *, default: str | None = None, convert: Callable[[object], str] | None = None
) -> list[str]:
    """JSON strings, each distinct value escaped once; a missing value is ``default`` (or
    ``null`` without one), or what ``convert`` makes of it."""
    codes, distinct = pd.factorize(column[1])  # a missing value's code is -1: the last text
    texts = [_text(v, default, convert) for v in [*distinct.tolist(), np.nan]]
    return [texts[c] for c in codes.tolist()]


def _text(value: object, default: str | None, convert: Callable[[object], str] | None) -> str:
    if convert is not None:
        value = convert(value)
    elif not isinstance(value, str):
        value = default
    return "null" if value is None else encode_basestring(str(value))


def _lists(column: _Column) -> list[str]:
    """JSON arrays of strings (the compliance codes)."""
    return [
        "[" + ",".join([encode_basestring(str(v)) for v in values]) + "]"
        for values in column[1].tolist()
    ]


def _wire_times(column: _Column) -> list[str]:
    """JSON strings of the event wire time (``2025-06-21T10:30:00.200Z``, as
    :func:`portlab.events.format_timestamp`), formatted by numpy in one call."""
    name, times = column
    codes, distinct = pd.factorize(times)  # a batch's decisions mostly share one time
    if (codes < 0).any():
        raise ValueError(f"{name}: a decision without a time")
    utc = pd.DatetimeIndex(pd.to_datetime(distinct, utc=True)).tz_localize(None).to_numpy()
    # the cast to milliseconds floors, as format_timestamp drops sub-millisecond digits
    text = [f'"{t}Z"' for t in np.datetime_as_string(utc.astype("datetime64[ms]"), unit="ms")]
    return [text[c] for c in codes.tolist()]

"""Validation of the records shared by the portfolio state and the tax-lot ledger.

Numbers, instrument ids, price maps and trade executions (``TradeExecutedEvent`` objects, dicts
in their JSON shape, or bare execution records), each checked with an error naming where the
bad value sits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError

__all__ = [
    "CLOSE_TOLERANCE",
    "as_map",
    "executions",
    "field",
    "instrument_id",
    "number",
    "parse_execution",
    "price",
]

#: A reduction leaving less than this fraction of the larger of the held and traded quantities
#: closes the position (absorbs float residue of fractional shares, e.g. 0.1 + 0.2 - 0.3).
CLOSE_TOLERANCE = 1e-9


def number(value: Any, path: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a finite float, or ValidationError naming ``path``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValidationError(f"{path}: must be a number (got {value!r})")
    x = float(value)
    if not math.isfinite(x):
        raise ValidationError(f"{path}: must be finite (got {x!r})")
    if positive and x <= 0:
        raise ValidationError(f"{path}: must be > 0 (got {x!r})")
    if nonnegative and x < 0:
        raise ValidationError(f"{path}: must be >= 0 (got {x!r})")
    return x


def instrument_id(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{path}: instrument id must be a non-empty string (got {value!r})")
    return value


def as_map(obj: Any, what: str) -> Mapping:
    """A mapping, or a Series as ``{index: value}`` (a duplicated index is a DataError)."""
    if isinstance(obj, pd.Series):
        if obj.index.has_duplicates:
            dups = sorted(map(str, obj.index[obj.index.duplicated()].unique()))
            raise DataError(f"{what}: duplicate instrument id(s) {dups}")
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return obj
    raise ValidationError(f"{what}: expected a mapping or Series (got {type(obj).__name__})")


def price(prices: Mapping, iid: str, what: str = "held instrument") -> float:
    """The usable price of ``iid``, or DataError naming it."""
    p = prices.get(iid)
    if p is None:
        raise DataError(f"prices: no price for {what} '{iid}'")
    try:
        x = float(p)
    except (TypeError, ValueError):
        raise DataError(f"prices: price of '{iid}' is not a number (got {p!r})") from None
    if not math.isfinite(x) or x <= 0:
        raise DataError(f"prices: price of {what} '{iid}' must be finite and > 0 (got {x!r})")
    return x


def field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def parse_execution(obj: Any, label: str) -> tuple[str, float, float, float]:
    """``(instrument_id, signed quantity, price, total_amount)`` of one execution."""
    event_id = field(obj, "eventId")
    where = f"{label} (eventId={event_id})" if event_id is not None else label
    ex = field(obj, "execution")
    ex = obj if ex is None else ex  # a bare execution record is accepted too
    if not isinstance(ex, Mapping) and not hasattr(ex, "instrument_id"):
        raise ValidationError(f"{where}: not an execution (got {type(obj).__name__})")
    iid = field(ex, "instrument_id")
    if not isinstance(iid, str) or not iid:
        raise ValidationError(f"{where}: execution.instrument_id: must be a non-empty string")
    where = f"{where} [{iid}]"
    action = field(ex, "action")
    action = getattr(action, "value", action)
    if not isinstance(action, str) or action.upper() not in ("BUY", "SELL"):
        raise ValidationError(f"{where}: execution.action: must be BUY or SELL (got {action!r})")
    try:
        q = number(field(ex, "quantity"), "execution.quantity", positive=True)
        p = number(field(ex, "executed_price"), "execution.executed_price", positive=True)
        total = field(ex, "total_amount")
        if total is not None:
            total = number(total, "execution.total_amount", nonnegative=True)
    except ValidationError as err:
        raise ValidationError(f"{where}: {err}") from None
    return iid, (q if action.upper() == "BUY" else -q), p, q * p if total is None else total


def executions(executions: Any) -> list[tuple[str, Any]]:
    """``(label, record)`` for each execution in ``executions`` (one or many)."""
    if isinstance(executions, Mapping) or hasattr(executions, "execution"):
        return [("execution", executions)]
    if hasattr(executions, "instrument_id"):
        return [("execution", executions)]
    if isinstance(executions, str | bytes) or not isinstance(executions, Iterable):
        raise ValidationError(
            "executions: expected a TradeExecutedEvent, a dict in its JSON shape, "
            f"or an iterable of them (got {type(executions).__name__})"
        )
    return [(f"executions[{i}]", ex) for i, ex in enumerate(executions)]

"""Validation of the records shared by the portfolio state and the tax-lot ledger, and their
immutability.

Numbers, integers, instrument ids, price maps and trade executions (``TradeExecutedEvent``
objects, dicts in their JSON shape, or bare execution records), each checked with an error
naming where the bad value sits; and :class:`Frozen`, the base class of the immutable
snapshots built from them (:class:`portlab.PortfolioState`,
:class:`portlab.analytics.tax.LotLedger`).

Examples
--------
>>> number(0.05, "weights.AAPL")
0.05
>>> number("5%", "weights.AAPL")
Traceback (most recent call last):
...
portlab.exceptions.ValidationError: weights.AAPL: must be a number (got '5%')
>>> parse_execution({"execution": {"instrument_id": "AAPL", "action": "SELL", "quantity": 10,
...                                "executed_price": 150.0, "total_amount": 1499.0}}, "fill")
('AAPL', -10.0, 150.0, 1499.0)
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_value

__all__ = [
    "CLOSE_TOLERANCE",
    "Frozen",
    "as_enum",
    "as_map",
    "check_int",
    "executions",
    "field",
    "freeze",
    "instrument_id",
    "make_frozen",
    "number",
    "parse_execution",
    "price",
]

_EnumT = TypeVar("_EnumT", bound=enum.Enum)

CLOSE_TOLERANCE = 1e-9
"""A reduction leaving less than this fraction of the larger of the held and traded
quantities closes the position: it absorbs the float residue of fractional shares (``0.1 +
0.2 - 0.3`` is ``5.6e-17``, not 0) while no real holding is that small a part of a trade."""


# -- numbers and identifiers --------------------------------------------------------------------


def as_enum(kind: type[_EnumT], value: Any, name: str) -> _EnumT:
    """``value`` as a member of the enum ``kind``; ValidationError naming ``name`` and listing
    the choices otherwise.

    >>> from portlab.engine import Resolution
    >>> as_enum(Resolution, "NET", "resolution")
    <Resolution.NET: 'NET'>
    >>> as_enum(Resolution, "COIN", "resolution")
    Traceback (most recent call last):
    ...
    portlab.exceptions.ValidationError: resolution must be one of 'HIGHEST_PRIORITY', 'BEST_RISK_REWARD', 'PERFORMANCE_WEIGHTED', 'FIRST_IN_FIRST_OUT', 'NET', 'WEIGHTED_AVERAGE', 'VOLATILITY_ADJUSTED', got 'COIN'
    """
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(str(m)) for m in kind)
        raise ValidationError(
            f"{name} must be one of {choices}, got {format_value(value)}"
        ) from None


def number(value: Any, path: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a finite float.

    Parameters
    ----------
    value : Any
        A real number (``bool`` and strings are refused, even ``"0.5"``).
    path : str
        Where the value sits, for the message (``"positions.AAPL.quantity"``).
    positive, nonnegative : bool
        Also require ``> 0`` / ``>= 0``.

    Returns
    -------
    float

    Raises
    ------
    ValidationError
        ``"<path>: must be a number (got '100')"``, ``must be finite``, ``must be > 0``,
        ``must be >= 0``.
    """
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


def check_int(
    name: str, value: Any, minimum: int, *, error: type[ValidationError] = ValidationError
) -> int:
    """``value`` as an ``int >= minimum``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : Any
        An integer (Python or numpy). A bool, a float (even ``1e6``) or a string is refused.
    minimum : int
        Smallest accepted value.
    error : type of ValidationError, default ValidationError
        The exception raised (e.g. :class:`~portlab.exceptions.ConfigError` for settings).

    Returns
    -------
    int

    Raises
    ------
    ValidationError
        ``"n_sims must be an integer >= 100, got 1e+06 (float); write 1000000"``, or
        ``"max_ffill must be an integer >= 0, got -1"``.

    Examples
    --------
    >>> check_int("window", 20, 2)
    20
    >>> check_int("window", 20.0, 2)
    Traceback (most recent call last):
    ...
    portlab.exceptions.ValidationError: window must be an integer >= 2, got 20 (float); write 20
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        kind = type(value).__name__
        hint = f"; write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise error(
            f"{name} must be an integer >= {minimum}, got {format_value(value)} ({kind}){hint}"
        )
    if value < minimum:
        raise error(f"{name} must be an integer >= {minimum}, got {format_value(value)}")
    return int(value)


def instrument_id(value: Any, path: str) -> str:
    """``value`` if it is a non-empty string, else a ValidationError naming ``path``."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{path}: instrument id must be a non-empty string (got {value!r})")
    return value


def as_map(obj: Any, what: str) -> Mapping:
    """A mapping as it is, or a Series as ``{index: value}``.

    Raises
    ------
    DataError
        A Series with a duplicated index (naming the ids).
    ValidationError
        Anything else (naming ``what``).
    """
    if isinstance(obj, pd.Series):
        if obj.index.has_duplicates:
            dups = sorted(map(str, obj.index[obj.index.duplicated()].unique()))
            raise DataError(f"{what}: duplicate instrument id(s) {dups}")
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return obj
    raise ValidationError(f"{what}: expected a mapping or Series (got {type(obj).__name__})")


def price(prices: Mapping, iid: str, what: str = "held instrument") -> float:
    """The usable price of ``iid`` in ``prices`` (currency per share, finite, ``> 0``).

    Raises
    ------
    DataError
        Missing, not a number, not finite or not positive, naming the instrument.
    """
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


# -- executions --------------------------------------------------------------------------------


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise (None when absent)."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def parse_execution(obj: Any, label: str) -> tuple[str, float, float, float]:
    """One execution as ``(instrument_id, signed quantity, price, total_amount)``.

    Parameters
    ----------
    obj : TradeExecutedEvent, dict or execution record
        An event, a dict in its JSON shape (``{"eventId": ..., "execution": {...}}``) or a
        bare ``execution`` block.
    label : str
        Where it sits (``"executions[3]"``), for messages.

    Returns
    -------
    tuple
        Instrument id; quantity in shares, positive for BUY and negative for SELL; executed
        price (currency per share); total amount (currency, ``quantity × price`` when not
        given).

    Raises
    ------
    ValidationError
        Naming the label, ``eventId``, instrument and field.
    """
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
    """``(label, record)`` for each execution in ``executions`` (one or an iterable of them).

    Raises
    ------
    ValidationError
        ``executions`` is neither an execution nor an iterable (a string is not one).
    """
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


# -- immutability ------------------------------------------------------------------------------

F = TypeVar("F", bound="Frozen")


class Frozen:
    """Base class of immutable snapshots whose attributes live in ``__slots__``.

    A subclass lists its attributes in ``__slots__`` and sets them once while it is built:
    in ``__init__`` with :func:`freeze`, or in an alternative constructor (one that takes
    parts already validated) with :func:`make_frozen`, which skips ``__init__``. Afterwards
    assigning or deleting any attribute raises ``AttributeError``; methods that "change" the
    object return a new one. Instances pickle and copy (``copy``, ``deepcopy``) through
    ``__getstate__`` / ``__setstate__``: the state is the dict of the slots' values;
    override ``__getstate__`` to store a different (e.g. flatter) form that ``__setstate__``
    can set back. Equality and hashing are the subclass's to define.

    Attributes
    ----------
    frozen_hint : str
        Class attribute: what to do instead of assigning, appended to the error message
        (``"PortfolioState is immutable; apply() returns a new state"``). Empty by default.

    Examples
    --------
    >>> class Pair(Frozen):
    ...     __slots__ = ("left", "right")
    ...     frozen_hint = "swap() returns a new pair"
    ...     def __init__(self, left, right):
    ...         freeze(self, left=left, right=right)
    ...     def swap(self):
    ...         return make_frozen(Pair, left=self.right, right=self.left)
    >>> p = Pair(1, 2).swap()
    >>> p.left, p.right
    (2, 1)
    >>> p.left = 5
    Traceback (most recent call last):
    ...
    AttributeError: Pair is immutable; swap() returns a new pair
    >>> import copy
    >>> copy.deepcopy(p).right
    1
    """

    __slots__ = ()

    frozen_hint: ClassVar[str] = ""

    def __setattr__(self, name: str, value: Any) -> None:
        hint = f"; {self.frozen_hint}" if self.frozen_hint else ""
        raise AttributeError(f"{type(self).__name__} is immutable{hint}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __getstate__(self) -> dict[str, Any]:
        """The values of every slot that is set (the pickled state)."""
        state: dict[str, Any] = {}
        for cls in type(self).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if name not in ("__weakref__", "__dict__") and hasattr(self, name):
                    state[name] = getattr(self, name)
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        """Set the slots from a state of :meth:`__getstate__` (unpickling, copying)."""
        freeze(self, **state)


def freeze(obj: Frozen, **attributes: Any) -> None:
    """Set attributes of a :class:`Frozen` object while it is being built.

    Only a class's own constructors call this (on ``self``, or on an object of
    :func:`make_frozen`); once built an object is never changed.

    Parameters
    ----------
    obj : Frozen
        The object under construction.
    **attributes
        Slot name → value.
    """
    for name, value in attributes.items():
        object.__setattr__(obj, name, value)


def make_frozen(cls: type[F], **attributes: Any) -> F:
    """A new ``cls`` object with ``attributes`` set, without calling ``cls.__init__``.

    For alternative constructors that take parts already validated (no copy, no checks).

    Parameters
    ----------
    cls : type
        A :class:`Frozen` subclass.
    **attributes
        Slot name → value; the object owns the values given (mutable ones must not be
        shared with anything that changes them).

    Returns
    -------
    cls
    """
    obj = object.__new__(cls)
    freeze(obj, **attributes)
    return obj

"""One rule for dates and times given by a user (``as_of=``, ``start=``, ``--as-of``).

Accepted: a ``pandas.Timestamp``, ``datetime``/``date``, ``numpy.datetime64`` or an ISO 8601
string (``"2022-12-28"``, ``"2022-12-28T14:55:00Z"``). Anything else, ``NaT`` included, is a
:class:`~portlab.exceptions.ValidationError` naming the argument.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import ValidationError

__all__ = ["DateLike", "as_naive_utc", "as_timestamp", "as_utc"]

DateLike = str | pd.Timestamp | _dt.datetime | _dt.date | np.datetime64
"""What portlab accepts as a date: an ISO 8601 string or any date/time object."""


def as_timestamp(value: Any, what: str) -> pd.Timestamp:
    """``value`` as a ``pandas.Timestamp``, or a clear error naming ``what``.

    Parameters
    ----------
    value : str, Timestamp, datetime, date or datetime64
        The date or time.
    what : str
        The argument's name, used in the error (``"as_of"``).

    Returns
    -------
    Timestamp
        Time-zone aware when ``value`` carried a zone, naive otherwise.

    Raises
    ------
    ValidationError
        ``value`` is not a date: a number, ``None``, ``NaT`` or an unparseable string.

    Examples
    --------
    >>> as_timestamp("2022-12-28", "as_of")
    Timestamp('2022-12-28 00:00:00')
    >>> as_timestamp("2022-13-45", "as_of")
    Traceback (most recent call last):
    ...
    portlab.exceptions.ValidationError: as_of: '2022-13-45' is not a date (use ISO 8601, e.g. 2022-12-28 or 2022-12-28T14:55:00Z)
    """
    hint = "(use ISO 8601, e.g. 2022-12-28 or 2022-12-28T14:55:00Z)"
    if isinstance(value, bool) or not isinstance(value, DateLike):
        raise ValidationError(f"{what}: expected a date {hint}, got {type(value).__name__}")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(f"{what}: {str(value)!r} is not a date {hint}") from None
    if ts is pd.NaT:
        raise ValidationError(f"{what}: {str(value)!r} is not a date {hint}")
    return ts


def as_utc(value: Any, what: str) -> pd.Timestamp:
    """:func:`as_timestamp` in UTC: a naive time is taken as UTC, an aware one converted.

    Examples
    --------
    >>> as_utc("2022-12-28T09:30:00-05:00", "as_of")
    Timestamp('2022-12-28 14:30:00+0000', tz='UTC')
    """
    ts = as_timestamp(value, what)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def as_naive_utc(value: Any, what: str) -> pd.Timestamp:
    """:func:`as_timestamp` as naive UTC wall time, to compare with a market's naive dates: an
    aware time is converted to UTC and its zone dropped, a naive one kept.

    Examples
    --------
    >>> as_naive_utc("2022-12-28T09:30:00-05:00", "as_of")
    Timestamp('2022-12-28 14:30:00')
    """
    ts = as_timestamp(value, what)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts

"""Timestamps in the engine's tables: int64 nanoseconds since 1970 (UTC), and their range.

The column tables (:mod:`portlab.engine.columns`) hold times as int64 nanoseconds, the unit
pandas uses, so sorting and comparing them costs nothing. That unit covers 1677-09-21 to
2262-04-11; an input outside it is reported (an INVALID rejection, or a ValidationError for
``as_of``) instead of raising deep inside pandas. An input without a time carries
:data:`NO_TIME` until the coordinator stamps it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portlab.dates import DateLike, as_utc
from portlab.engine.table import Table
from portlab.exceptions import ValidationError
from portlab.market import Market

__all__ = [
    "NO_TIME",
    "OUT_OF_RANGE",
    "TIME_MAX",
    "TIME_MIN",
    "given_as_of",
    "latest_time",
    "utc_nanoseconds",
]

#: earliest time the engine accepts (whole seconds inside pandas' nanosecond range), UTC
TIME_MIN = pd.Timestamp.min.ceil("s").tz_localize("UTC")
#: latest time the engine accepts, UTC
TIME_MAX = pd.Timestamp.max.floor("s").tz_localize("UTC")
#: the message for a time outside [TIME_MIN, TIME_MAX]
OUT_OF_RANGE = f"outside the supported range {TIME_MIN.date()} to {TIME_MAX.date()}"
#: int64 nanoseconds of NaT: the input gave no time
NO_TIME = int(np.iinfo(np.int64).min)


def utc_nanoseconds(stamps: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """UTC ``stamps`` as int64 nanoseconds, and which lie outside that range (set to NaT).

    pandas parses dates beyond 1677..2262 at a coarser resolution; the engine's int64
    nanosecond columns cannot hold them, so they are reported instead of raising.

    Parameters
    ----------
    stamps : DatetimeIndex
        Times with a UTC zone (NaT where missing).

    Returns
    -------
    nanoseconds : ndarray of int64, shape (n,)
        :data:`NO_TIME` where missing or out of range.
    out_of_range : ndarray of bool, shape (n,)
    """
    out = np.asarray((stamps < TIME_MIN) | (stamps > TIME_MAX), dtype=bool)
    if out.any():
        stamps = stamps.where(~out)
    return pd.DatetimeIndex(stamps).as_unit("ns").asi8, out


def given_as_of(as_of: DateLike | None) -> pd.Timestamp | None:
    """The ``as_of`` a user gave, as a UTC Timestamp in nanoseconds (None when not given).

    Raises
    ------
    ValidationError
        ``as_of`` is not a date or time, or lies outside [TIME_MIN, TIME_MAX].
    """
    if as_of is None:
        return None
    ts = as_utc(as_of, "as_of")
    if not TIME_MIN <= ts <= TIME_MAX:
        raise ValidationError(f"as_of: {ts.isoformat()} is {OUT_OF_RANGE}")
    return ts.as_unit("ns")


def latest_time(signals: Table, adjustments: Table, market: Market) -> pd.Timestamp:
    """The time stamped on decisions when the user gives none: the latest input time, or the
    market's last date when no input has one (so the same inputs always give the same
    output, whenever they are run)."""
    stamps = [t for t in (*signals["timestamp"], *adjustments["timestamp"]) if t != NO_TIME]
    if stamps:
        return pd.Timestamp(max(stamps), tz="UTC")
    last = pd.Timestamp(market.dates[-1])
    return last.tz_localize("UTC") if last.tzinfo is None else last

"""Values as people read them, for messages, reports and tables.

One implementation of each rule, used by every error message in portlab (and by the
workbench's tables and reports): numbers never show as ``np.float64(...)`` or with 17 digits,
dates as ISO ``2022-12-28``, long lists of names cut to a few.

Examples
--------
>>> import numpy as np
>>> format_value(np.float64(0.05)), format_value("5%"), format_value(True)
('0.05', "'5%'", 'True')
>>> format_date("2022-12-28 00:00"), format_date("2022-12-28 15:30")
('2022-12-28', '2022-12-28 15:30:00')
>>> format_names(["AAPL", "MSFT", "AMZN", "JPM", "XOM", "KO", "PG"])
'AAPL, MSFT, AMZN, JPM, XOM and 2 more'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NAMES_SHOWN", "format_date", "format_names", "format_value", "money", "pct"]

NAMES_SHOWN = 5
"""How many names :func:`format_names` lists before "and N more": enough to recognise the
case in a one-line message, few enough to keep it one line."""


def format_value(value: Any) -> str:
    """``value`` as people read it in a message.

    Parameters
    ----------
    value : Any
        A number, string, date or anything else.

    Returns
    -------
    str
        Booleans as ``True``/``False``; integers in full; other real numbers by ``:g`` (six
        significant digits, never ``np.float64(...)``); strings quoted (``'5%'``, so an empty
        or blank string is visible); a ``pandas.Timestamp`` by :func:`format_date`; anything
        else by ``str``.
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):g}"
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, pd.Timestamp):
        return format_date(value)
    return str(value)


def format_date(value: Any) -> str:
    """A date as ``YYYY-MM-DD``, or in full when it has a time of day.

    Parameters
    ----------
    value : date-like
        Anything ``pandas.Timestamp`` reads (a string, ``datetime``, ``numpy.datetime64``).

    Returns
    -------
    str
        ``2022-12-28`` at midnight, ``2022-12-28 15:30:00`` (with its zone, if any) otherwise.
    """
    ts = pd.Timestamp(value)
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def format_names(names: Iterable[Any], k: int = NAMES_SHOWN) -> str:
    """The first ``k`` names, comma-separated, then how many more there are.

    Parameters
    ----------
    names : iterable
        Names (each shown by ``str``).
    k : int, default :data:`NAMES_SHOWN`
        How many to list.

    Returns
    -------
    str
        ``"A, B, C"`` or ``"A, B, C, D, E and 2 more"``.
    """
    names = [str(name) for name in names]
    more = f" and {len(names) - k} more" if len(names) > k else ""
    return ", ".join(names[:k]) + more


def money(x: float) -> str:
    """``$1,000,004`` (whole dollars); ``−$2,940`` for a loss; ``n/a`` for NaN.

    >>> money(1_000_004.4), money(-2940.0), money(float("nan"))
    ('$1,000,004', '−$2,940', 'n/a')
    """
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return ("\u2212" if x < 0 else "") + f"${abs(float(x)):,.0f}"


def pct(x: float, digits: int = 2, *, signed: bool = False) -> str:
    """``0.91%`` from 0.0091 (``+`` when ``signed``); ``n/a`` for NaN.

    >>> pct(0.0091), pct(-0.05, 1, signed=True)
    ('0.91%', '−5.0%')
    """
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100.0 * float(x):{'+' if signed else ''}.{digits}f}%".replace("-", "\u2212")

"""Numbers as people read them in the widgets' tables, and the tables as styled HTML.

Display only: every number comes from a view-model's result; these functions only turn it
into text (percent with 1-2 decimals, currency with thousands separators, whole shares,
basis points, ISO dates).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from portlab.formatting import format_date

__all__ = [
    "Formatter",
    "bp",
    "money",
    "multiple",
    "number",
    "pct",
    "pct2",
    "shares",
    "signed_pct",
    "table_html",
    "text",
]

Formatter = Callable[[Any], str]
_MISSING = "–"


def _real(x: Any) -> float | None:
    """``x`` as a float, or None when it is missing (None, NaN, NA, not a number)."""
    if x is None or x is pd.NA:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def pct(x: Any, digits: int = 1) -> str:
    """A fraction as percent: ``0.0482`` → ``'4.8%'``."""
    v = _real(x)
    return _MISSING if v is None else f"{v * 100:,.{digits}f}%"


def pct2(x: Any) -> str:
    """A fraction as percent with 2 decimals: ``0.04823`` → ``'4.82%'``."""
    return pct(x, 2)


def signed_pct(x: Any) -> str:
    """A signed fraction as percent with 2 decimals: ``-0.0123`` → ``'-1.23%'``."""
    v = _real(x)
    return _MISSING if v is None else f"{v * 100:+,.2f}%"


def bp(x: Any) -> str:
    """A small fraction in basis points: ``0.0012`` → ``'+12 bp'``."""
    v = _real(x)
    return _MISSING if v is None else f"{v * 1e4:+,.0f} bp"


def money(x: Any) -> str:
    """Currency with thousands separators: ``1000004.2`` → ``'$1,000,004'``; cents below $100."""
    v = _real(x)
    if v is None:
        return _MISSING
    sign = "-" if v < 0 else ""
    digits = 2 if 0 < abs(v) < 100 else 0
    return f"{sign}${abs(v):,.{digits}f}"


def price(x: Any) -> str:
    """A price, always with cents: ``181.456`` → ``'$181.46'``."""
    v = _real(x)
    return _MISSING if v is None else f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def shares(x: Any) -> str:
    """A share count as an integer with separators: ``1058.0`` → ``'1,058'``."""
    v = _real(x)
    return _MISSING if v is None else f"{round(v):,d}"


def number(x: Any) -> str:
    """A plain number with 2 decimals (a Sharpe ratio, a beta)."""
    v = _real(x)
    return _MISSING if v is None else f"{v:,.2f}"


def multiple(x: Any) -> str:
    """A multiple (leverage): ``1.25`` → ``'1.25×'``."""
    v = _real(x)
    return _MISSING if v is None else f"{v:,.2f}\u00d7"


def text(x: Any) -> str:
    """Any cell as text: lists joined, dates in ISO, missing as a dash."""
    if isinstance(x, list | tuple):
        return ", ".join(str(i) for i in x)
    if isinstance(x, pd.Timestamp):
        return format_date(x)
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return _MISSING
    return str(x)


_TABLE_CSS = (
    "border-collapse:collapse;font-size:12px;font-family:var(--jp-ui-font-family,sans-serif);"
)
_CELL = "padding:2px 8px;border-bottom:1px solid rgba(128,128,128,0.25);"


def table_html(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    *,
    caption: str = "",
    index: bool = False,
    max_rows: int | None = 50,
) -> str:
    """A DataFrame as a styled HTML table (pandas ``Styler``), numbers formatted for people.

    Parameters
    ----------
    frame : DataFrame
        The rows to show, columns in display order (renamed by the caller to what people
        read).
    formats : mapping of column to formatter, optional
        How each column's cells are written (default :func:`text`); numeric columns are
        right-aligned.
    caption : str
        Shown above the table.
    index : bool, default False
        Show the index.
    max_rows : int or None, default 50
        Show at most this many rows, then say how many more there are.

    Returns
    -------
    str
        HTML (an empty frame gives a short "none" line).
    """
    title = f"<div style='font-weight:600;margin:6px 0 2px'>{html.escape(caption)}</div>"
    if frame.empty:
        return title + "<div style='opacity:0.7;font-size:12px'>none</div>"
    formats = dict(formats or {})
    shown = frame if max_rows is None else frame.iloc[:max_rows]
    styler = shown.style.format({c: formats.get(c, text) for c in shown.columns})
    if not index:
        styler = styler.hide(axis="index")
    numeric = [c for c in shown.columns if c in formats and formats[c] is not text]
    styler = styler.set_table_styles(
        [
            {"selector": "", "props": _TABLE_CSS},
            {"selector": "th", "props": _CELL + "text-align:left;font-weight:600;"},
            {"selector": "td", "props": _CELL},
        ]
    )
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    more = (
        f"<div style='opacity:0.7;font-size:11px'>and {len(frame) - len(shown)} more rows</div>"
        if len(shown) < len(frame)
        else ""
    )
    return title + styler.to_html() + more

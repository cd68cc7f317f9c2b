"""The dashboard's tables: formatted, statuses coloured, light enough for a page of a dozen.

Two kinds. A *grid* (Panel's Tabulator: sortable, filterable, paginated) for the tables a PM
works through: the positions, the open lots, the trade list. A *static* table (an HTML table
in Panel's DataFrame pane) for the short summaries (limits, stress scenarios, metrics,
drawdowns, triggers): a browser draws a Tabulator in ~0.2 s of script and layout, an HTML
table in a few milliseconds, and a page with a dozen grids is slow to open.

Both show the same text for a value: :class:`Fmt` gives each format for both (a Bokeh
``NumberFormatter`` for the grid, Python's formatting for the static table, same output).
"""

from __future__ import annotations

import enum
import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import panel as pn
from bokeh.models.widgets.tables import DateFormatter, NumberFormatter

from portlab.plots.palette import LimitStatus

__all__ = [
    "STATUS_PX",
    "Fmt",
    "column_title",
    "empty_grid",
    "formatters",
    "status_style",
    "table",
]

#: the settings every grid shares: read-only, columns as wide as their content
_READ_ONLY: dict[str, Any] = {
    "disabled": True,
    "layout": "fit_data_table",
    "sizing_mode": "stretch_width",
}

#: width of a status column in a grid: the longest status, bold, "over hard limit", whole
STATUS_PX = 150


class Fmt(enum.Enum):
    """A cell format: (numbro format of the grid, Python format of the static table)."""

    MONEY = ("$0,0", "${:,.0f}")
    PRICE = ("$0,0.00", "${:,.2f}")
    PCT = ("0.00%", "{:.2%}")
    NUM = ("0,0.00", "{:,.2f}")
    INT = ("0,0", "{:,.0f}")
    RATIO = ("0.000", "{:.3f}")
    DATE = ("%Y-%m-%d", "{:%Y-%m-%d}")

    @property
    def align(self) -> str:
        """Where a cell of this format sits: numbers right (their digits line up), dates left."""
        return "left" if self is Fmt.DATE else "right"

    @property
    def formatter(self) -> NumberFormatter | DateFormatter:
        """The grid's (Tabulator's) formatter."""
        if self is Fmt.DATE:
            return DateFormatter(format=self.value[0], text_align=self.align)
        return NumberFormatter(format=self.value[0], text_align=self.align)

    def text(self, value: Any) -> str:
        """The static table's text for ``value``: ``-$2,940``, ``0.91%``; empty for NaN/None."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if self is Fmt.DATE:
            stamp = pd.Timestamp(value)
            return "" if pd.isna(stamp) else self.value[1].format(stamp)
        x = float(value)
        if not math.isfinite(x):
            return ""
        if self in (Fmt.MONEY, Fmt.PRICE):  # the sign before the dollar, as numbro does
            return ("-" if x < 0 else "") + self.value[1].format(abs(x))
        return self.value[1].format(x)


def column_title(column: Any) -> str:
    """A column name as a table header: ``unrealized_pnl`` -> ``Unrealized P&L``."""
    text = str(column).replace("_id", "").replace("_", " ").replace("pnl", "P&L")
    return text[:1].upper() + text[1:]


def formatters(formats: Mapping[str, Fmt]) -> dict[str, NumberFormatter | DateFormatter]:
    """Tabulator's ``formatters`` for the columns of ``formats`` (numbers right-aligned).

    >>> formatters({"weight": Fmt.PCT})["weight"].text_align
    'right'
    """
    return {c: f.formatter for c, f in formats.items()}


def empty_grid(
    titles: Mapping[str, str],
    formats: Mapping[str, Fmt] | None = None,
    *,
    page_size: int,
    **options: Any,
) -> pn.widgets.Tabulator:
    """An empty read-only grid to fill later (set its ``value``): the columns of ``titles``
    (column -> title), formatted by ``formats``, filters in the header, ``page_size`` rows a
    page. ``**options``: more Tabulator options."""
    settings: dict[str, Any] = _READ_ONLY | {
        "titles": dict(titles),
        "formatters": formatters(formats or {}),
        "show_index": False,
        "header_filters": True,
        "pagination": "local",
        "page_size": page_size,
    }
    return pn.widgets.Tabulator(pd.DataFrame(columns=list(titles)), **(settings | options))


def status_style(value: Any) -> str:
    """CSS of a limit status cell: amber near a limit or over a soft one, red over a hard one."""
    try:
        status = LimitStatus(value)
    except ValueError:
        return ""
    if status is LimitStatus.WITHIN:
        return ""
    return f"color: {status.color}; font-weight: bold"


def table(
    frame: pd.DataFrame | None,
    formats: Mapping[str, Fmt] | None = None,
    *,
    index: bool = True,
    grid: bool = False,
    page_size: int | None = None,
    empty: str = "None.",
    **options: Any,
) -> pn.viewable.Viewable:
    """A read-only table of ``frame``: a grid (``grid=True``) or a static table.

    Parameters
    ----------
    frame : DataFrame or None
        None: not computed (a note says so); no rows: ``empty`` is shown instead.
    formats : mapping of column -> Fmt
        Columns not named show as they are (enums by their value).
    index : bool
        Show the index (titled like the columns).
    grid : bool
        A Tabulator (sortable, filterable; ``page_size`` rows a page when longer) instead
        of a static HTML table.
    **options
        More Tabulator options (grid only).
    """
    if frame is None:
        return pn.pane.Markdown("*Not available for this date (see the notes).*")
    if len(frame) == 0:
        return pn.pane.Markdown(f"*{empty}*")
    frame = frame.copy()
    for col in frame.columns:  # enums by value, booleans yes/no (a grid would say "true")
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v.value if isinstance(v, enum.Enum) else v)
        elif pd.api.types.is_bool_dtype(frame[col].dtype):
            frame[col] = frame[col].map({True: "yes", False: "no"})
    formats = dict(formats or {})
    if grid:
        return _grid(frame, formats, index=index, page_size=page_size, **options)
    return _static(frame, formats, index=index)


def _grid(
    frame: pd.DataFrame,
    formats: dict[str, Fmt],
    *,
    index: bool,
    page_size: int | None,
    **options: Any,
) -> pn.widgets.Tabulator:
    settings: dict[str, Any] = _READ_ONLY | {
        "show_index": index,
        "formatters": formatters(formats),
        # the index's header too (a raw name such as "scenario" otherwise)
        "titles": {
            c: column_title(c) for c in [*frame.columns, *frame.index.names] if c is not None
        },
    }
    if "status" in frame.columns:  # room for the longest, bold "over hard limit"
        settings["widths"] = {"status": STATUS_PX}
    if page_size is not None and len(frame) > page_size:
        settings |= {"pagination": "local", "page_size": page_size}
    grid = pn.widgets.Tabulator(frame, **(settings | options))
    if "status" in frame.columns:
        grid.style.map(status_style, subset=["status"])
    return grid


def _static(frame: pd.DataFrame, formats: dict[str, Fmt], *, index: bool) -> pn.pane.DataFrame:
    def cell(column: str, value: Any) -> str:
        if column in formats:
            return formats[column].text(value)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:,.4g}"
        text = html.escape(str(value))
        if column == "status" and (style := status_style(value)):
            return f'<span style="{style}">{text}</span>'
        return text

    columns = {column_title(c): [cell(c, v) for v in frame[c]] for c in frame.columns}
    numbers = [c in formats or pd.api.types.is_numeric_dtype(frame[c].dtype)
               for c in frame.columns]  # booleans are yes/no text by now  # fmt: skip
    if index:  # a first column titled like the others (no separate header row for its name)
        name = frame.index.names[0] if frame.index.nlevels == 1 else None
        first = {column_title(name) if name is not None else "": [
            html.escape(str(i)) for i in frame.index
        ]}  # fmt: skip
        columns, numbers = first | columns, [False, *numbers]
    # text left, numbers right; the table as wide as its content
    right = ", ".join(
        f"td:nth-child({i + 1}), th:nth-child({i + 1})" for i, n in enumerate(numbers) if n
    )
    css = _STATIC_CSS + (f"{right} {{ text-align: right; }}" if right else "")
    return pn.pane.DataFrame(
        pd.DataFrame(columns),
        index=False,
        escape=False,
        sizing_mode="stretch_width",
        stylesheets=[css],
    )


_STATIC_CSS = """
table.panel-df { width: auto; margin-left: 0; }
.panel-df th, .panel-df td { text-align: left; padding: 0.4em 0.9em; }
"""

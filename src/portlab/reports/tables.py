"""Tables in a report: a frame with its columns formatted and titled, or "None." when empty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from portlab.formatting import money

__all__ = ["MONEY", "column_title", "show", "styled"]

#: the format of an amount of money in :func:`styled` (whole dollars, as :func:`money`)
MONEY = "$"


def column_title(name: Any) -> str:
    """A column's title as a reader sees it: ``unrealized_pnl`` → ``Unrealized P&L``.

    >>> column_title("unrealized_pnl"), column_title("instrument_id")
    ('Unrealized P&L', 'Instrument')
    """
    text = str(name).replace("_id", "").replace("_", " ").replace("pnl", "P&L")
    return text[:1].upper() + text[1:]


def styled(frame: pd.DataFrame, **formats: str | Callable[[Any], str]) -> Any:
    """``frame`` as a pandas ``Styler``: the named columns formatted, every column titled.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    **formats
        Column name → a format string (``"{:.2%}"`` for a fraction shown as percent), a
        callable, or :data:`MONEY` (whole dollars). Names that are not columns are ignored;
        NaN shows as an empty cell. A default (unnamed, 0..n-1) index is not shown; a named
        index is shown as the first column(s), its name titled in the header row (not on a
        header row of its own).

    Examples
    --------
    >>> table = pd.DataFrame({"market_value": [1234.5], "weight": [0.0123]})
    >>> html = styled(table, market_value=MONEY, weight="{:.1%}").to_html()
    >>> "$1,234" in html, "1.2%" in html, "Market value" in html
    (True, True, True)
    >>> counts = pd.Series({"decisions": 9}, name="count").rename_axis("statistic").to_frame()
    >>> html = styled(counts).to_html()
    >>> html.count("<tr>"), "Statistic" in html   # one header row, the index's name in it
    (2, True)
    """
    named = [n for n in frame.index.names if n is not None]
    if named and len(named) == frame.index.nlevels and not set(named) & set(frame.columns):
        frame = frame.reset_index()  # the index's name on the header row, with the columns
    spec = {c: (money if f == MONEY else f) for c, f in formats.items() if c in frame.columns}
    style = frame.style.format(spec, na_rep="").format_index(column_title, axis=1)
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        style = style.hide(axis="index")  # row numbers say nothing
    return style


def show(frame: pd.DataFrame | None, **formats: str | Callable[[Any], str]) -> None:
    """Display :func:`styled` ``frame`` in the notebook, or *None.* when it is empty or None."""
    from IPython.display import Markdown, display

    if frame is None or len(frame) == 0:
        display(Markdown("*None.*"))
        return
    display(styled(frame, **formats))

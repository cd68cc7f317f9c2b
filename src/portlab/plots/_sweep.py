"""A sweep's metric over two of its parameters, as a heatmap whose cells are scenarios.

It draws a table computed elsewhere (:func:`portlab.sweep.cells`, one row per scenario shown);
no number is computed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
from bokeh.models import NumeralTickFormatter

from portlab.exceptions import ValidationError
from portlab.plots._style import BACKEND, NUMBER, PCT, finish, hover, percent_axis
from portlab.plots.palette import Palette

__all__ = ["on_scenario_tap", "sweep_heatmap"]

#: tooltip format of an amount of money (bokeh numeral syntax)
MONEY = "{$0,0}"
#: the column of the scenario id in the heatmap's data (what a click on a cell selects)
SCENARIO = "scenario"


def _labels(values: pd.Series) -> tuple[list[str], list[str]]:
    """The values as text, and the distinct texts in the values' own order (numbers by size)."""
    text = [_text(v) for v in values]
    order = sorted(set(values.dropna()), key=lambda v: (isinstance(v, str), v))
    return text, list(dict.fromkeys(_text(v) for v in order))


def _text(value: object) -> str:
    """A parameter's value as an axis label: numbers in their shortest form (0.1, not 0.1000)."""
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def sweep_heatmap(
    cells: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    label: str | None = None,
    percent: bool = False,
    money: bool = False,
    selected: str | None = None,
) -> hv.Overlay:
    """One metric of a sweep over two of its parameters: a cell per scenario, coloured by the
    metric; a click on a cell selects that scenario (the heatmap has bokeh's tap tool).

    Parameters
    ----------
    cells : DataFrame
        One row per cell: columns ``x``, ``y``, ``metric`` and ``scenario`` (the scenario's
        id). A NaN metric (a failed scenario) leaves its cell blank.
    x, y : str
        The parameters on the horizontal and vertical axes (columns of ``cells``).
    metric : str
        The column coloured.
    label : str, optional
        How the metric is named in the title, colour bar and tooltip (default ``metric``).
    percent : bool
        The metric is a fraction, shown as percent.
    money : bool
        The metric is an amount of money, shown in dollars.
    selected : str, optional
        The id of the scenario selected: its cell is outlined.

    Returns
    -------
    holoviews.Overlay
        The ``HeatMap`` (group ``Sweep``; keys ``x`` and ``y`` as text, values the metric and
        ``scenario``) and the ``Points`` (group ``Selected``) outlining the selected cell.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"cap": [0.05, 0.1, 0.05, 0.1], "kelly": [0.25, 0.25, 0.5, 0.5],
    ...                       "deployed": [1e5, 2e5, 1.5e5, 3e5], "scenario": list("abcd")})
    >>> chart = sweep_heatmap(cells, "cap", "kelly", "deployed", selected="d")
    >>> chart.Sweep.I.dframe()[["cap", "kelly", "scenario"]].iloc[-1].tolist()
    ['0.1', '0.5', 'd']
    >>> chart.Selected.I.dframe()[["cap", "kelly"]].to_numpy().tolist()
    [['0.1', '0.5']]
    """
    missing = [c for c in (x, y, metric, SCENARIO) if c not in cells.columns]
    if missing:
        raise ValidationError(f"cells: no column {', '.join(map(repr, missing))}")
    if x == y:
        raise ValidationError(f"x and y: the same parameter {x!r}; choose two")
    name = label or metric
    xs, x_order = _labels(cells[x])
    ys, y_order = _labels(cells[y])
    # text as objects: HoloViews reshapes the columns, which pandas' Arrow strings cannot do
    data = pd.DataFrame(
        {
            x: pd.Series(xs, dtype=object),
            y: pd.Series(ys, dtype=object),
            metric: pd.to_numeric(cells[metric], errors="coerce").to_numpy(dtype=float),
            SCENARIO: pd.Series([str(v) for v in cells[SCENARIO]], dtype=object),
        }
    )
    kdims = [hv.Dimension(x, values=x_order), hv.Dimension(y, values=y_order)]
    vdims = [hv.Dimension(metric, label=name), SCENARIO]
    heat = hv.HeatMap(data, kdims, vdims, group="Sweep")
    values = data[metric].to_numpy()
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5 * (abs(low) or 1.0), high + 0.5 * (abs(high) or 1.0)
    fmt = PCT if percent else MONEY if money else NUMBER
    width = min(860, max(420, 110 * len(x_order) + 220))
    height = min(640, max(260, 56 * len(y_order) + 120))
    heat = finish(
        heat,
        title=f"{name[:1].upper()}{name[1:]} (click a cell to open its scenario)",
        xlabel=x,
        ylabel=y,
        cmap="viridis",
        clim=(low, high),
        colorbar=True,
        colorbar_opts={"formatter": percent_axis(1) if percent
                       else NumeralTickFormatter(format="$0,0" if money else "0,0.[00]")},
        tools=["tap"],
        nonselection_alpha=1.0,
        selection_alpha=1.0,
        show_grid=False,
        width=width,
        height=height,
        hover_tooltips=hover([(x, x, ""), (y, y, ""), (name, metric, fmt), ("Scenario", SCENARIO, "")]),
    )  # fmt: skip
    chosen = data[data[SCENARIO] == selected] if selected is not None else data.iloc[:0]
    # the selected cell outlined by a square marker about the size of a cell
    side = min((width - 150) / len(x_order), (height - 50) / len(y_order))
    outline = hv.Points(chosen, [x, y], [SCENARIO], group="Selected").opts(
        marker="square",
        size=max(12, 0.85 * side),
        fill_alpha=0.0,
        line_color=Palette.CURRENT,
        line_width=3,
        tools=[],
        backend=BACKEND,
    )
    return heat * outline


def on_scenario_tap(figure: Any, callback: Callable[[str], None]) -> None:
    """Call ``callback(scenario_id)`` when a cell of a rendered :func:`sweep_heatmap` is
    tapped (its data source's selection). The id is read from the source's data at the time
    of the tap, so a chart updated in place keeps working.

    Parameters
    ----------
    figure : bokeh model
        The heatmap rendered (:func:`to_bokeh`, or a HoloViews plot's ``state``).
    callback : callable
        Called with the tapped cell's scenario id.
    """
    from bokeh.models import ColumnDataSource

    for source in figure.select({"type": ColumnDataSource}):
        if SCENARIO not in source.data:  # the selected cell's outline
            continue

        def tapped(attr: str, old: Any, new: Any, source: Any = source) -> None:
            ids = source.data[SCENARIO]
            if new and new[0] < len(ids):
                callback(str(ids[new[0]]))

        source.selected.on_change("indices", tapped)

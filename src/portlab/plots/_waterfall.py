"""A waterfall drawn left to right: totals from zero, changes floating from one level to the next.

Both waterfalls of the workbench (the sizing of one decision, the attribution of the active
return) are built here, so they look and read alike: one bar per step, the step's name and
the rule that moved it under the bar, the change written above it, the exact values in the
tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import holoviews as hv
import pandas as pd

from portlab.plots._style import (
    BACKEND,
    BAR_WIDTH,
    MAX_WIDTH,
    PCT,
    SIGNED_PCT,
    TEXT_COLOR,
    TEXT_GROUND,
    WIDTH,
    hover,
    percent_axis,
    rescaling,
    wrap,
)

__all__ = ["Step", "waterfall"]

#: characters per line of a bar's name and rule under it (about 80 px at bokeh's 8pt ticks)
TICK_CHARS = 14
#: pixels per bar (a tick label of :data:`TICK_CHARS` characters and a gap) and around them
STEP_PX = 85
AXIS_PX = 90


def tick_label(step: str, rule: str) -> str:
    """The label under a bar: its name, then the rule that moved it, each wrapped to
    :data:`TICK_CHARS` characters a line so that neighbouring labels never overlap."""
    return "\n".join(x for x in (wrap(step, TICK_CHARS), wrap(rule, TICK_CHARS)) if x)


def chart_width(n_steps: int) -> int:
    """Width of a waterfall of ``n_steps`` bars: :data:`STEP_PX` a bar, between the default
    chart width and :data:`~portlab.plots._style.MAX_WIDTH`."""
    return int(min(MAX_WIDTH, max(WIDTH, AXIS_PX + STEP_PX * n_steps)))


#: columns of the rectangles' data, in order
COLUMNS = ("x0", "y0", "x1", "y1", "step", "rule", "start", "end", "change", "color", "text")


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall.

    Attributes
    ----------
    step : str
        The step's name (``"policy"``, ``"allocation"``).
    rule : str
        What moved it (``"position limit"``), ``""`` if nothing did.
    start, end : float
        The level before and after the step; a total bar has ``start`` 0.
    color : str
        Its colour (from :class:`~portlab.plots.palette.Palette`).
    text : str
        The label written above the bar.
    """

    step: str
    rule: str
    start: float
    end: float
    color: str
    text: str


def table(steps: Sequence[Step]) -> pd.DataFrame:
    """The rectangles of ``steps``: one row per step at x = 0, 1, ... (columns :data:`COLUMNS`)."""
    half = BAR_WIDTH / 2
    rows = [
        (
            i - half,
            min(s.start, s.end),
            i + half,
            max(s.start, s.end),
            s.step,
            s.rule,
            s.start,
            s.end,
            s.end - s.start,
            s.color,
            s.text,
        )
        for i, s in enumerate(steps)
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def waterfall(steps: Sequence[Step], *, ylabel: str, title: str, digits: int = 1) -> hv.Overlay:
    """The waterfall of ``steps`` as an overlay of rectangles (hover) and their labels.

    Parameters
    ----------
    steps : sequence of Step
        Left to right.
    ylabel : str
        The value axis label, with its unit.
    title : str
    digits : int
        Decimals of the percent ticks.

    Returns
    -------
    holoviews.Overlay
        ``Rectangles`` (group ``Waterfall``; data: :data:`COLUMNS`) and ``Labels``. Each bar
        is named under it by :func:`tick_label` (wrapped, so labels never overlap); the
        chart is :func:`chart_width` wide.
    """
    data = table(steps)
    ticks = [(i, tick_label(s.step, s.rule)) for i, s in enumerate(steps)]
    rects = hv.Rectangles(
        data, kdims=["x0", "y0", "x1", "y1"], vdims=list(COLUMNS[4:]), group="Waterfall"
    ).opts(
        color="color",
        line_color="color",
        line_width=2,
        tools=["hover"],
        hover_tooltips=hover(
            [
                ("Step", "step", ""),
                ("Moved by", "rule", ""),
                ("From", "start", PCT),
                ("To", "end", PCT),
                ("Change", "change", SIGNED_PCT),
            ]
        ),
        backend=BACKEND,
    )
    top = data[["y1"]].to_numpy().ravel()
    labels = hv.Labels(
        pd.DataFrame({"x": range(len(steps)), "y": top, "text": data["text"]}),
        kdims=["x", "y"],
        vdims=["text"],
    ).opts(
        text_baseline="bottom",
        text_font_size="9pt",
        text_color=TEXT_COLOR,
        **TEXT_GROUND,
        backend=BACKEND,
    )
    low = min(0.0, float(data["y0"].min())) if len(data) else 0.0
    high = max(0.0, float(data["y1"].max())) if len(data) else 1.0
    pad = 0.12 * (high - low or 1.0)
    return rescaling(rects * labels).opts(
        hv.opts.Overlay(
            title=title,
            xticks=ticks,
            xlabel="",
            ylabel=ylabel,
            yformatter=percent_axis(digits),
            ylim=(low - (pad if low < 0 else 0.0), high + pad),
            xlim=(-0.5, len(steps) - 0.5),
            show_legend=False,
            show_grid=True,
            width=chart_width(len(steps)),
            height=380,
            toolbar="above",
            framewise=True,
            backend=BACKEND,
        )
    )

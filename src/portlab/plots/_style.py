"""What every chart shares: the bokeh backend, axis formatters, hover tooltips, number text.

Values stay fractions in the elements' data (``0.05``, as the results hold them); axes and
tooltips show them as percent through bokeh's numeral formatter (``0.0%`` multiplies by 100),
so the data of an element equals the numbers of the result it was built from.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the bokeh backend and its options
import pandas as pd
from bokeh.models import CategoricalAxis, Label, NumeralTickFormatter

#: the backend every option here is written for (passed to each ``.opts`` call)
BACKEND = "bokeh"

# The charts are bokeh charts: make bokeh the current backend unless the session has already
# loaded another one on purpose (hv.extension("matplotlib")), without the notebook output
# that hv.extension produces (portlab.plots.extension does that, once, where it is wanted).
if hv.Store.current_backend == BACKEND or hv.Store.current_backend not in hv.Store.renderers:
    hv.Store.set_current_backend(BACKEND)

__all__ = [
    "BACKEND",
    "BAR_WIDTH",
    "HEIGHT",
    "LEGEND_OUTSIDE",
    "LEGEND_PX",
    "LIMIT_LABEL",
    "MAX_BARS",
    "MAX_WIDTH",
    "NUMBER",
    "PCT",
    "SIGNED_PCT",
    "TEXT_COLOR",
    "TEXT_GROUND",
    "WIDTH",
    "bp_text",
    "finish",
    "horizontal_groups",
    "hover",
    "largest",
    "limit_label",
    "multiple_limit_label",
    "overlay_opts",
    "pct_text",
    "percent_axis",
    "rescaling",
    "shown_text",
    "wrap",
]

#: default size of one chart in pixels (fits two side by side at 1280 px, and the ~1000 px
#: results column of a notebook widget)
WIDTH = 620
HEIGHT = 340
#: the widest a chart gets: the results column of a notebook widget (about 880 px in a
#: 1400 px JupyterLab window) less margins
MAX_WIDTH = 860
#: width of a waterfall or category bar, in category units
BAR_WIDTH = 0.7
#: bars of instruments a chart shows by default; more are cut to the largest (and the
#: title says so), since hundreds of bars are unreadable
MAX_BARS = 30
#: where legends go: outside the frame, on the right, so that they never hide data
LEGEND_OUTSIDE = "right"
#: the width a chart gains for its legend outside the frame
LEGEND_PX = 110
#: text written inside a chart (bar values, cell labels): dark grey, readable on any bar
TEXT_COLOR = "#404040"
#: the ground of text written on a chart's background rather than on a bar (limit names,
#: values above bars): white, so that dark text stays readable in the dark theme too
TEXT_GROUND = {"background_fill_color": "white", "background_fill_alpha": 0.8}
#: the name of the bokeh label that names a limit line (see :func:`limit_label`)
LIMIT_LABEL = "portlab-limit-label"

#: tooltip formats (bokeh numeral syntax) for fractions shown as percent, signed or not
PCT = "{0.00%}"
SIGNED_PCT = "{+0.00%}"
NUMBER = "{0,0.00}"


def percent_axis(digits: int = 1) -> NumeralTickFormatter:
    """A bokeh tick formatter that shows fractions as percent (``0.05`` -> ``5.0%``)."""
    return NumeralTickFormatter(format="0." + "0" * digits + "%" if digits else "0%")


def hover(fields: Sequence[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Hover tooltips from ``(label, column, format)`` triples; format ``""`` for text."""
    return [(label, f"@{{{column}}}{fmt}") for label, column, fmt in fields]


def pct_text(x: float, digits: int = 1, *, signed: bool = False) -> str:
    """A fraction as percent text: ``0.0312`` -> ``3.1%`` (``+3.1%`` when ``signed``); NaN -> ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = f"{100.0 * float(x):{'+' if signed else ''}.{digits}f}%"
    return text.replace("-", "\u2212")


def bp_text(x: float) -> str:
    """A difference of returns as people read it, signed: in basis points below 1%
    (``0.0012`` -> ``+12 bp``, ``0.00034`` -> ``+3.4 bp``), in percent from 1% on
    (``-0.0403`` -> ``−4.03%``); NaN -> ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(float(x)) >= 0.01:
        return pct_text(x, 2, signed=True)
    bp = 1e4 * float(x)
    text = f"{bp:+.0f} bp" if abs(bp) >= 10 else f"{bp:+.1f} bp"
    return text.replace("-", "\u2212")


def wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (at spaces), joined by
    newlines; a single word longer than ``width`` stays whole. Bokeh draws each line of a
    tick label or title on its own."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) if text else ""


def largest(values: pd.Series, n: int | None) -> pd.Index:
    """The labels of the ``n`` largest absolute ``values``, largest first.

    Ties keep the order of ``values`` (a stable sort); NaN counts as 0. ``n`` None (or at
    least ``len(values)``) keeps every label, still largest first.
    """
    size = values.abs().fillna(0.0)
    order = size.sort_values(ascending=False, kind="stable").index
    return order if n is None else order[: max(int(n), 0)]


def shown_text(shown: int, total: int, what: str) -> str:
    """``"largest 30 of 431 instruments"`` when a chart shows fewer than all, else ``""``."""
    return f"largest {shown} of {total} {what}" if shown < total else ""


def _limit_label(plot: Any, element: Any, text: str) -> None:
    """Write ``text`` beside the limit line drawn by ``plot`` (see :func:`limit_label`)."""
    fig = plot.state
    vertical = bool(plot.invert_axes) != isinstance(element, hv.VLine)
    span = plot.handles.get("glyph")
    color = str(getattr(span, "line_color", None) or TEXT_COLOR)
    loc = float(element.data)
    where: dict[str, Any] = (
        {"x": loc, "y": 4, "y_units": "screen", "x_offset": 4, "text_align": "left"}
        if vertical  # at the bottom of the frame, right of the line
        else {"x": 4, "x_units": "screen", "y": loc, "y_offset": 3, "text_align": "left"}
    )
    for item in fig.center:
        if isinstance(item, Label) and item.name == LIMIT_LABEL:
            item.update(text=text, text_color=color, **where)
            return
    fig.add_layout(
        Label(
            name=LIMIT_LABEL,
            text=text,
            text_color=color,
            text_font_size="8pt",
            text_font_style="bold",
            text_baseline="bottom",
            **TEXT_GROUND,
            **where,
        )
    )


def limit_label(plot: Any, element: Any) -> None:
    """HoloViews hook of an ``HLine``/``VLine`` at a limit that is a fraction: writes
    ``limit 5.0%`` beside the line, in its colour on a white ground.

    The text sits at the bottom of the frame, right of a vertical line, or at the left end
    of a horizontal line, just above it. It is read from the element at each draw, so an
    update in place (a ``DynamicMap``) moves and rewrites the same label.
    """
    _limit_label(plot, element, f"limit {pct_text(float(element.data))}")


def multiple_limit_label(plot: Any, element: Any) -> None:
    """As :func:`limit_label`, for a limit that is a multiple (leverage): ``limit 2×``."""
    _limit_label(plot, element, f"limit {float(element.data):g}\u00d7")


def horizontal_groups(plot: Any, element: Any) -> None:
    """HoloViews hook: the group names of a nested categorical axis written horizontally
    (bokeh turns them to run along the axis, which cuts long names on a vertical axis)."""
    for axis in (*plot.state.xaxis, *plot.state.yaxis):
        if isinstance(axis, CategoricalAxis):
            axis.group_label_orientation = "horizontal"
            axis.group_text_font_size = "8pt"
            axis.major_label_text_font_size = "7pt"


def rescaling(overlay: hv.Overlay) -> hv.Overlay:
    """``overlay`` with ``framewise=True`` on itself and on each of its elements.

    An overlay updated in place (a ``DynamicMap``) rescales its axes to each new frame only
    when its elements are framewise: the option on the overlay alone is not enough.
    """
    for element in overlay:
        element.opts(framewise=True, backend=BACKEND)
    return overlay.opts(hv.opts.Overlay(framewise=True, backend=BACKEND))


def finish(element: Any, *, title: str, legend: bool = False, **opts: Any) -> Any:
    """Options every chart gets: its title, size, the hover tool, a legend only if asked
    (outside the frame), and axes that rescale when the chart is updated in place."""
    base: dict[str, Any] = {
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "show_grid": True,
        "toolbar": "above",
        "tools": ["hover"],
        "show_legend": legend,
        "fontscale": 1.0,
        "framewise": True,
    }
    if legend:
        base["legend_position"] = LEGEND_OUTSIDE
        base["width"] = WIDTH + LEGEND_PX
    base.update(opts)
    return element.opts(**base, backend=BACKEND)


def overlay_opts(overlay: hv.Overlay, *, title: str, legend: bool, **opts: Any) -> hv.Overlay:
    """Options of an overlay: title, size, legend (shown only when it has several series,
    outside the frame), axes that rescale when the chart is updated in place."""
    base: dict[str, Any] = {
        "title": title,
        "width": WIDTH + (LEGEND_PX if legend else 0),
        "height": HEIGHT,
        "show_legend": legend,
        "legend_position": LEGEND_OUTSIDE,
        "toolbar": "above",
        "framewise": True,
    }
    base.update(opts)
    return rescaling(overlay).opts(hv.opts.Overlay(**base, backend=BACKEND))

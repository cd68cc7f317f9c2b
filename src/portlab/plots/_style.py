"""What every chart shares: the bokeh backend, axis formatters, hover tooltips, number text.

Values stay fractions in the elements' data (``0.05``, as the results hold them); axes and
tooltips show them as percent through bokeh's numeral formatter (``0.0%`` multiplies by 100),
so the data of an element equals the numbers of the result it was built from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the bokeh backend and its options
from bokeh.models import NumeralTickFormatter

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
    "NUMBER",
    "PCT",
    "SIGNED_PCT",
    "WIDTH",
    "bp_text",
    "finish",
    "hover",
    "overlay_opts",
    "pct_text",
    "percent_axis",
]

#: default size of one chart in pixels (fits two side by side at 1280 px)
WIDTH = 620
HEIGHT = 340
#: width of a waterfall or category bar, in category units
BAR_WIDTH = 0.7

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


def finish(element: Any, *, title: str, legend: bool = False, **opts: Any) -> Any:
    """Options every chart gets: its title, size, the hover tool, a legend only if asked."""
    base: dict[str, Any] = {
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "show_grid": True,
        "toolbar": "above",
        "tools": ["hover"],
        "show_legend": legend,
        "fontscale": 1.0,
    }
    base.update(opts)
    return element.opts(**base, backend=BACKEND)


def overlay_opts(overlay: hv.Overlay, *, title: str, legend: bool, **opts: Any) -> hv.Overlay:
    """Options of an overlay: title, size, legend (shown only when it has several series)."""
    base: dict[str, Any] = {
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "show_legend": legend,
        "legend_position": "top_left",
        "toolbar": "above",
    }
    base.update(opts)
    return overlay.opts(hv.opts.Overlay(**base, backend=BACKEND))

"""Setting up HoloViews' bokeh backend for the workbench's charts."""

from __future__ import annotations

from typing import Any

import holoviews as hv

from portlab.plots._style import BACKEND

__all__ = ["extension", "on_canvas", "to_bokeh"]


def extension(inline: bool = True, *, logo: bool = False) -> None:
    """Load HoloViews' bokeh backend, with BokehJS inlined for pages that work offline.

    Call it once at the top of a notebook or report, before ``import hvplot.pandas``
    (which would otherwise load BokehJS from a CDN, leaving an offline report blank).

    Parameters
    ----------
    inline : bool, default True
        Inline the JavaScript and CSS (about 3 MB, once per notebook) instead of linking
        them from a CDN.
    logo : bool, default False
        Show the HoloViews logo in the notebook output.

    Examples
    --------
    >>> import portlab.plots
    >>> portlab.plots.extension()  # doctest: +SKIP
    """
    hv.extension(BACKEND, inline=inline, logo=logo)


def on_canvas(root: Any) -> Any:
    """Draw every Bokeh figure under ``root`` on a 2D canvas, not WebGL (HoloViews' default);
    returns ``root``.

    WebGL is missing or partial in some browsers (headless, remote desktops, no GPU), where
    its bars and lines are silently not drawn or drawn slowly in software; the workbench's
    charts are small enough for a canvas.
    """
    from bokeh.models import Plot

    for figure in root.select({"type": Plot}):
        figure.output_backend = "canvas"
    return root


def to_bokeh(chart: Any) -> Any:
    """The Bokeh model of a chart (``hv.render``), every figure on a 2D canvas
    (:func:`on_canvas`)."""
    return on_canvas(hv.render(chart, backend=BACKEND))

"""Setting up HoloViews' bokeh backend for the workbench's charts."""

from __future__ import annotations

import holoviews as hv

from portlab.plots._style import BACKEND

__all__ = ["extension"]


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

"""Charts in a report: plain Bokeh embedded in the page, nothing fetched from elsewhere.

A HoloViews chart displayed in a notebook goes out as a Panel model whose stylesheets link
Panel's CDN: in a report opened offline they fail to load. A report shows its charts as
standalone Bokeh documents (``bokeh.embed.components``: a ``<div>`` and the script that draws
it with the page's BokehJS), on a 2D canvas. BokehJS is inlined once: in the notebook by
:func:`setup` (its output is left out of the page), in the page's head by
:func:`~portlab.reports.to_html`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["chart", "setup"]


def chart(obj: Any) -> Any:
    """A HoloViews chart (a :mod:`portlab.plots` result) as an ``IPython.display.HTML`` of its
    standalone Bokeh document.

    Examples
    --------
    >>> import pandas as pd
    >>> from portlab import plots
    >>> from portlab.reports import chart
    >>> returns = pd.Series([0.01, -0.02, 0.005], index=pd.bdate_range("2024-01-01", periods=3))
    >>> "<script" in chart(plots.underwater(returns)).data
    True
    """
    from bokeh.embed import components
    from IPython.display import HTML

    from portlab import plots

    script, div = components(plots.to_bokeh(obj))
    return HTML(div + script)


def setup() -> None:
    """Load BokehJS, inlined, into the notebook running a report (once, first cell)."""
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(INLINE, hide_banner=True)

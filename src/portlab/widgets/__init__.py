"""Notebook front ends of the workbench: ipywidgets and anywidget components.

Each widget sits on a view-model of :mod:`portlab.ui` (or on :class:`portlab.Coordinator`
calls) and holds layout and wiring only, no finance math. Every one is a real ipywidgets
``DOMWidget`` tree (JupyterLab, Notebook 7, VS Code, Voila), runs on the bundled sample with
no argument, takes ``market=``, ``state=``, ``signals=`` and ``coordinator=``, and exposes
``.model`` (the view-model) and ``.result`` (its current result).

======================  ================================================================
:class:`PolicyTuner`     policy limits (hard/soft) and sizing settings → decisions,
                         rejections with their rule, exposures against the limits, counts
:class:`SizingWhatIf`    one signal's inputs and the sizing settings → its sizing waterfall,
                         shares, dollars and reasoning
:class:`ConflictExplorer`  resolution (seven) and allocation mode → winners, losers, the
                         allocation across opportunities, the limits that bind
:class:`AttributionExplorer`  period, grouping, BHB/BF, linking → effects by group, the
                         attribution waterfall, linked effects over time, factor attribution
:class:`OptimizerExplorer`  objective, estimators, caps, turnover, costs → the frontier with
                         the current and chosen portfolios (a click chooses a point), the
                         chosen weights, the portfolio under each estimator side by side
:class:`AllocationEditor`  drag target weights (anywidget), the engine's decisions beside them
======================  ================================================================

Sliders recompute when released (``continuous_update=False``); a busy indicator shows while
computing; a change that cannot be computed shows the model's message in a banner and keeps
the last good result; "Copy as code" shows ``model.to_code()``.

Each chart is drawn once and then updated in place (:class:`ChartSlot`): a new result sends
its HoloViews objects through a ``DynamicMap``'s pipe, HoloViews changes the existing bokeh
models and the same ``jupyter_bokeh.BokehModel`` carries the updated document to the
browser (no new figure is built in Python); a chart of another structure is drawn anew. ``Widget.chart_objects(model, result)`` gives the HoloViews
objects a widget shows. The charts draw with the page's BokehJS, which every widget puts
into the page, inline, the first time one is displayed in a kernel (:func:`load_bokehjs`).

The browser side of the anywidget components (plain ES modules and CSS, no build step)
lives in the repository's top-level ``widgets/`` folder and ships inside the wheel.
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy)
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_base": ["ChartSlot", "ChartUpdate"],
        "_bokehjs": ["load_bokehjs"],
        "attribution_explorer": ["AttributionExplorer"],
        "conflict_explorer": ["ConflictExplorer"],
        "optimizer_explorer": ["OptimizerExplorer"],
        "policy_tuner": ["PolicyTuner"],
        "sizing_what_if": ["SizingWhatIf"],
        "sweep_explorer": ["SweepExplorer"],
        "allocation_editor": ["AllocationEditor"],
    },
)

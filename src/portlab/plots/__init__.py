"""Charts of the workbench: one function per chart, from portlab's results to HoloViews objects.

The notebook widgets, the Panel dashboards and the report notebooks all draw with these
functions. Each takes a result (a :class:`~portlab.CoordinationResult`, a
:class:`~portlab.analytics.attribution.BrinsonResult`, an analytics table or a return
Series) and returns a HoloViews element, overlay or layout for the bokeh backend; no chart
computes a financial figure of its own — every number is read from the result or comes from
a :mod:`portlab.analytics` call. Values stay fractions in the elements' data (so the data
equal the result's numbers) and show as percent on axes and in tooltips.

Every chart has a title saying what it shows, units on its axes, hover tooltips with the
exact values, a legend only when it has more than one series, and the colours of
:mod:`portlab.plots.palette` (neutral within limits, amber near a limit, red over a hard
limit, one colour per side of a trade, the benchmark grey). Legends sit outside the frame,
limit lines are labelled, and each chart fits a notebook's ~1000 px results column. A chart
of instruments shows at most the largest 30 (``max_items``/``top``; None shows all) and its
title says "largest N of M". Axes are framewise, so a chart updated in place (a
``DynamicMap``) rescales to each new frame.

Coordination
    :func:`exposures` (and :func:`exposure_table`): positions, sectors, leverage and
    volatility against the policy's limits, before and after a batch;
    :func:`sizing_waterfall`: one decision from its Kelly size to its final size, each step
    labelled with the rule that moved it; :func:`conflicts` (and :func:`conflict_table`): who
    won and who lost per instrument; :func:`allocation`: the capital given to each
    opportunity and the limit that bound it.
Optimization and risk
    :func:`frontier`: the efficient frontier with the current and chosen portfolios;
    :func:`risk_contributions`: each instrument's share of the volatility;
    :func:`correlation_heatmap`: correlations in the leaf order of HRP's clustering tree;
    :func:`estimator_weights`: one objective's weights under each estimator, side by side.
Attribution and performance
    :func:`brinson_effects`, :func:`attribution_waterfall` (benchmark return → allocation →
    selection → interaction → portfolio return), :func:`linked_effects` (over time);
    :func:`equity_curve`, :func:`underwater`, :func:`performance` (both); the tearsheet's
    :func:`monthly_returns_heatmap`, :func:`rolling_metrics` (Sharpe, volatility, beta) and
    :func:`drawdown_periods` (the worst drawdowns shaded on the equity curve).

:func:`extension` sets up the bokeh backend with inline resources for offline pages; call it
before ``import hvplot.pandas``. :func:`to_bokeh` renders a chart to its Bokeh model, drawn on
a 2D canvas (:func:`on_canvas`), not WebGL. ``import portlab`` never imports HoloViews; importing this
package does.

Examples
--------
>>> import portlab
>>> from portlab import plots
>>> from portlab.datasets import example_batch, load_sample
>>> market, batch = load_sample(), example_batch()
>>> result = portlab.Coordinator().coordinate(batch.signals, batch.state, market,
...                                           batch.rebalance_requests)
>>> chart = plots.sizing_waterfall(result, "AAPL")
>>> chart.Waterfall.I.dframe()[["step", "rule"]].head(3).to_numpy().tolist()
[['Kelly', 'target 25.0%, held 3.0%'], ['policy', 'position limit'], ['correlation', '×0.65 (ρ 0.70)']]
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy)
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_attribution": [
            "EFFECT_COLORS",
            "attribution_waterfall",
            "brinson_effects",
            "linked_effects",
        ],
        "_conflicts": ["CONFLICT_COLUMNS", "ConflictRole", "conflict_table", "conflicts"],
        "_exposures": ["EXPOSURE_COLUMNS", "Measure", "exposure_table", "exposures"],
        "_optimize": [
            "correlation_heatmap",
            "estimator_weights",
            "frontier",
            "frontier_point",
            "risk_contributions",
        ],
        "_performance": ["equity_curve", "performance", "underwater"],
        "_setup": ["extension", "on_canvas", "to_bokeh"],
        "_sweep": ["on_scenario_tap", "sweep_heatmap"],
        "_tearsheet": [
            "ROLLING_METRICS",
            "drawdown_periods",
            "monthly_returns_heatmap",
            "rolling_metrics",
        ],
        "_sizing": [
            "OPTIONAL_STEPS",
            "RULE_LABELS",
            "SIZING_STEPS",
            "allocation",
            "rule_label",
            "sizing_waterfall",
        ],
        "palette": ["LimitStatus", "Palette", "limit_status", "side_color"],
    },
)

"""View-models of the workbench: what a person manipulates, and the results derived from it.

Each view-model is a :class:`param.Parameterized` (no ipywidgets or Panel import): its
parameters are the settings a front end shows as controls, and its ``result`` is computed
from them by :class:`portlab.Coordinator` and :mod:`portlab.analytics` calls only (the HoloViz
"attractors" pattern: state and computation here, thin front ends on top). The notebook
widgets (:mod:`portlab.widgets`) and the Panel dashboards build on these classes.

=====================  =====================================================================
:class:`PolicyModel`    every policy limit (hard/soft) and sizing setting → decisions,
                        rejections, exposures against the limits, statistics
:class:`SizingModel`    one signal and its inputs → its sizing waterfall, shares, amount,
                        reasoning
:class:`ConflictModel`  resolution and allocation mode → winners, losers and the rule that
                        beat them, allocation across opportunities, binding limits
:class:`AttributionModel`  period, grouping, Brinson method, linking → effects by group,
                        totals, the attribution waterfall, linked effects over time
:class:`OptimizerModel`  objective, estimators, caps, turnover, costs → chosen weights and
                        figures, the efficient frontier, the current portfolio's point, the
                        portfolio under each estimator side by side
:class:`BookModel`      as-of date, VaR method and confidence, window, attribution period →
                        the book, limits, risk, stress, performance, attribution,
                        rebalancing and tax lots as of that date (the PM dashboard)
=====================  =====================================================================

Target weights (the allocation editor's, the optimizer's) become the rebalance request the
engine takes through :func:`target_request` from :func:`current_weights`
(:mod:`portlab.ui.targets`); :meth:`PolicyModel.set_targets` coordinates toward them.

Common behaviour (:class:`~portlab.ui.base.ViewModel`): every model runs on the bundled sample
by default and takes ``market=``, ``state=``, ``signals=``, ``rebalance_requests=`` and
``coordinator=``; a change of a parameter recomputes the result, several changes through one
``model.param.update(...)`` (or :meth:`~portlab.ui.base.ViewModel.set`) recompute once; a
change that cannot be computed sets ``model.error`` (one line) and keeps the last good
``model.result``; ``model.busy`` is True while computing; ``model.to_code()`` returns a
Python script reproducing the result.

Examples
--------
>>> from portlab.ui import PolicyModel
>>> model = PolicyModel()
>>> model.result.counts["decisions"]
11
>>> model.set(max_position_size=0.02, kelly_multiplier=0.5)
>>> model.error is None, model.result.counts["decisions"] > 0
(True, True)
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy)
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "attribution": ["AttributionModel", "AttributionOutcome", "Grouping"],
        "base": ["OUTPUT_NAMES", "ViewModel", "one_line"],
        "cache": ["CachedOutcome", "OutcomeCache"],
        "editor": ["decision_rows", "rejection_rows"],
        "estimators": ["ESTIMATOR_COLUMNS", "EstimatorEffect", "EstimatorKind", "estimator_label"],
        "book": ["BookModel", "BookOutcome"],
        "conflicts": ["ConflictModel", "ConflictOutcome"],
        "coordination": ["configured"],
        "inputs": ["Inputs", "sample_inputs"],
        "limits": ["LimitUsage", "limit_usage"],
        "methods": ["METHOD_COLUMNS", "compare_methods", "method_label", "method_settings"],
        "optimizer": ["OptimizerModel", "OptimizerObjective", "OptimizerOutcome"],
        "policy": [
            "ADAPTIVE_SETTINGS",
            "EXECUTION_SETTINGS",
            "RULE_TITLES",
            "PolicyModel",
            "PolicyOutcome",
        ],
        "adaptive": ["ADAPTATION_COLUMNS", "adaptation_note", "adaptation_rows", "learned_state"],
        "sizing": ["SizingContext", "SizingModel", "SizingOutcome", "sizing_steps"],
        "sweep": ["SweepModel", "SweepOutcome"],
        "targets": ["current_weights", "target_request"],
    },
)

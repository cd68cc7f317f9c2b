"""Portfolio optimization and strategy allocation (specification §9).

- Mean-variance: :func:`mean_variance` (max Sharpe, min volatility, target return / risk, max
  utility), :class:`MeanVarianceProblem` (compiled once, re-solved per slider move) and
  :func:`efficient_frontier`, under :class:`Constraints` (bounds, several group caps, long/short
  with gross leverage, turnover against current weights, proportional costs, L2); the critical
  line algorithm traces the exact path when the constraints allow it, cvxpy otherwise.
  Infeasible problems say which constraints conflict (:func:`explain_infeasibility`).
- Risk budgeting (:func:`risk_budgeting`, Newton's method; :func:`constrained_risk_budgeting`
  under bounds and group caps), hierarchical risk parity
  (:func:`hrp`), Black-Litterman (:func:`market_implied_prior`, :func:`black_litterman`,
  :func:`views_from_signals`), performance-based allocation (:func:`performance_allocation`).
- Strategy allocation: :class:`StrategyBook` → :class:`StrategyAllocation` →
  ``PortfolioOptimizationEvent``.
- :func:`discrete_allocation` into whole shares.

Names: :func:`variance_contributions` gives each asset's share of the portfolio *variance*
(risk budgeting's risk contributions); the *volatility* decomposition is
:func:`portlab.analytics.risk.volatility_contributions`. :class:`MeanVarianceResult` is what
:func:`mean_variance` returns. The names these had before, ``risk_contributions`` and
``OptimizationResult``, still work here but warn (``DeprecationWarning``): each now has one
meaning elsewhere (the risk package's table; the event block
:class:`portlab.events.OptimizationResult`).
"""

import warnings
from typing import Any

from portlab.analytics.optimize._black_litterman import (
    OmegaMethod,
    black_litterman,
    market_implied_prior,
    market_implied_risk_aversion,
    views_from_signals,
)
from portlab.analytics.optimize._constraints import Constraints, explain_infeasibility
from portlab.analytics.optimize._crb import constrained_risk_budgeting
from portlab.analytics.optimize._discrete import DiscreteMethod, discrete_allocation
from portlab.analytics.optimize._hrp import HierarchicalRiskParity, LinkageMethod, hrp
from portlab.analytics.optimize._meanvar import (
    FIGURE_NAMES,
    MeanVarianceProblem,
    efficient_frontier,
    mean_variance,
)
from portlab.analytics.optimize._mvbase import MeanVarianceResult, Method, Objective
from portlab.analytics.optimize._performance import (
    Regime,
    RegimeDetection,
    detect_regime,
    performance_allocation,
    performance_scores,
    strategy_metrics,
)
from portlab.analytics.optimize._riskparity import risk_budgeting, variance_contributions
from portlab.analytics.optimize._strategies import (
    AllocationMethod,
    StrategyAllocation,
    StrategyBook,
)

__all__ = [
    "FIGURE_NAMES",
    "AllocationMethod",
    "Constraints",
    "DiscreteMethod",
    "HierarchicalRiskParity",
    "LinkageMethod",
    "MeanVarianceProblem",
    "MeanVarianceResult",
    "Method",
    "Objective",
    "OmegaMethod",
    "Regime",
    "RegimeDetection",
    "StrategyAllocation",
    "StrategyBook",
    "black_litterman",
    "constrained_risk_budgeting",
    "detect_regime",
    "discrete_allocation",
    "efficient_frontier",
    "explain_infeasibility",
    "hrp",
    "market_implied_prior",
    "market_implied_risk_aversion",
    "mean_variance",
    "performance_allocation",
    "performance_scores",
    "risk_budgeting",
    "strategy_metrics",
    "variance_contributions",
    "views_from_signals",
]

_RENAMED = {
    "OptimizationResult": (
        "MeanVarianceResult",
        "portlab.events.OptimizationResult is the strategy-allocation block of the event",
    ),
    "risk_contributions": (
        "variance_contributions",
        "portlab.analytics.risk.volatility_contributions (alias risk_contributions) is the "
        "volatility decomposition",
    ),
}


def __getattr__(name: str) -> Any:
    """The former names of :class:`MeanVarianceResult` and :func:`variance_contributions`,
    with a ``DeprecationWarning``."""
    if name in _RENAMED:
        new, other = _RENAMED[name]
        warnings.warn(
            f"portlab.analytics.optimize.{name} is now {new}; {other}",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    raise AttributeError(f"module 'portlab.analytics.optimize' has no attribute {name!r}")

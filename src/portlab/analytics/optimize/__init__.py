"""Portfolio optimization (seeds 001 and 003).

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
"""

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
from portlab.analytics.optimize._frontier import efficient_frontier
from portlab.analytics.optimize._hrp import HierarchicalRiskParity, LinkageMethod, hrp
from portlab.analytics.optimize._meanvar import (
    MeanVarianceProblem,
    Method,
    Objective,
    OptimizationResult,
    mean_variance,
)
from portlab.analytics.optimize._performance import (
    Regime,
    RegimeDetection,
    detect_regime,
    performance_allocation,
    performance_scores,
    strategy_metrics,
)
from portlab.analytics.optimize._riskparity import risk_budgeting, risk_contributions
from portlab.analytics.optimize._strategies import (
    AllocationMethod,
    StrategyAllocation,
    StrategyBook,
)

__all__ = [
    "AllocationMethod",
    "Constraints",
    "DiscreteMethod",
    "HierarchicalRiskParity",
    "LinkageMethod",
    "MeanVarianceProblem",
    "Method",
    "Objective",
    "OmegaMethod",
    "OptimizationResult",
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
    "risk_contributions",
    "strategy_metrics",
    "views_from_signals",
]

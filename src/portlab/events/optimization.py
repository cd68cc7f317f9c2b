"""``PortfolioOptimizationEvent``: the result of a strategy-level optimization.

Specified in ``docs/specification.md`` §1 (the contract) and §9 (how portlab fills it).
"""

from __future__ import annotations

from portlab.events._types import (
    EventBlock,
    EventModel,
    Finite,
    NonEmptyStr,
    Probability,
)

__all__ = [
    "ExpectedPortfolioMetrics",
    "MarketRegime",
    "OptimizationReasoning",
    "OptimizationResult",
    "PortfolioOptimizationEvent",
]


class ExpectedPortfolioMetrics(EventBlock):
    """Expected metrics of the optimal allocation.

    Attributes
    ----------
    expected_return : float
        Expected annual return (fraction).
    expected_volatility : float
        Expected annual volatility (fraction).
    sharpe_ratio : float
        Expected Sharpe ratio.
    max_drawdown : float
        Expected maximum drawdown (fraction, reported as a positive number).
    """

    expected_return: Finite
    expected_volatility: Finite
    sharpe_ratio: Finite
    max_drawdown: Finite


class OptimizationResult(EventBlock):
    """Optimal strategy weights and risk budgets.

    Attributes
    ----------
    optimal_strategy_weights : dict of str to float
        Capital weight of each strategy (fractions of portfolio value).
    risk_budget_allocation : dict of str to float
        Share of the risk budget given to each strategy (fractions).
    expected_portfolio_metrics : ExpectedPortfolioMetrics
        Expected return, volatility, Sharpe ratio and drawdown.
    """

    optimal_strategy_weights: dict[NonEmptyStr, Finite]
    risk_budget_allocation: dict[NonEmptyStr, Finite]
    expected_portfolio_metrics: ExpectedPortfolioMetrics


class MarketRegime(EventBlock):
    """The detected market regime.

    Attributes
    ----------
    detected_regime : str
        E.g. ``"TRENDING_MARKET"``.
    confidence : float
        Confidence of the detection, in ``[0, 1]``.
    regime_adjustments : list of str
        Adjustments made for the regime.
    """

    detected_regime: NonEmptyStr
    confidence: Probability
    regime_adjustments: list[str]


class OptimizationReasoning(EventBlock):
    """Why the optimizer chose this allocation.

    Attributes
    ----------
    primary_factors, adjustments_made, risk_considerations : list of str
        Free-text reasons.
    """

    primary_factors: list[str]
    adjustments_made: list[str]
    risk_considerations: list[str]


class PortfolioOptimizationEvent(EventModel):
    """A portfolio optimization result.

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON.
    timestamp : datetime
        UTC time of the optimization.
    portfolio_id : str
        Portfolio optimized.
    optimization_result : OptimizationResult
        Weights, risk budgets and expected metrics.
    market_regime : MarketRegime
        Regime detected and adjustments made.
    optimization_reasoning : OptimizationReasoning
        Reasons.
    """

    portfolio_id: NonEmptyStr
    optimization_result: OptimizationResult
    market_regime: MarketRegime
    optimization_reasoning: OptimizationReasoning

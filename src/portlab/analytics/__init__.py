"""Portfolio analytics around the coordination engine.

=================  ===========================================================================
``estimators``     expected returns (historical, EWMA, CAPM, market-implied, Black-Litterman
                   from views or signals) and risk models (semicovariance, Ledoit-Wolf targets,
                   OAS) by PyPortfolioOpt, with portlab's data rules in front
``optimize``       mean-variance (max Sharpe, min volatility, targets, frontier), risk parity,
                   HRP, Black-Litterman, performance-based and multi-strategy allocation
``risk``           volatility, beta, tracking error, VaR / CVaR (4 methods), drawdowns, risk
                   contributions, concentration, sector and factor exposures, the policy
                   measures of a portfolio (``limit_measures``), stress tests
``stress``         the stress tests of ``risk`` under their own path: historical episodes
                   replayed on the portfolio, hypothetical shocks, the limits they breach
``rebalance``      rebalancing triggers (→ ``RebalanceRequestEvent``), least-cost trade lists
``performance``    return and risk-adjusted metrics and their rolling versions
``attribution``    Brinson (BHB, Brinson-Fachler) with Cariño / Menchero / GRAP linking, factor
                   and strategy attribution, ``PerformanceAttributionEvent``
``backtest``       signal strategies and the walk-forward runner through the ``Coordinator``
``tax``            tax-lot ledger, realized / unrealized gains, loss harvesting, wash sales
=================  ===========================================================================

Each domain is a package whose ``__init__`` lists its public names in ``__all__``; its
``_``-prefixed modules hold the implementation. The most used names are available here
directly; the packages are imported on first use so that ``import portlab`` stays fast. Note
that ``risk.volatility`` (weights and a returns table) and ``performance.volatility`` (a return
series) differ: reach them through their packages.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = (
    "attribution",
    "backtest",
    "estimators",
    "optimize",
    "performance",
    "rebalance",
    "risk",
    "stress",
    "tax",
)
_NAMES = {
    "attribution": (
        "BrinsonMethod",
        "Linking",
        "attribution_event",
        "brinson",
        "factor_attribution",
        "link",
        "strategy_attribution",
    ),
    "backtest": (
        "Backtest",
        "BacktestResult",
        "Fill",
        "MeanReversion",
        "Momentum",
        "MovingAverageCrossover",
        "SignalStrategy",
        "StrategyRegistry",
        "compare",
        "split",
    ),
    "estimators": ("ReturnMethod", "RiskModel", "capm_betas", "expected_returns", "risk_matrix"),
    "optimize": (
        "Constraints",
        "MeanVarianceProblem",
        "Objective",
        "StrategyBook",
        "black_litterman",
        "discrete_allocation",
        "efficient_frontier",
        "hrp",
        "mean_variance",
        "risk_budgeting",
        "variance_contributions",
    ),
    "rebalance": (
        "BandType",
        "RebalanceTriggers",
        "TriggerKind",
        "evaluate_triggers",
        "recommend_trades",
        "trigger_status",
    ),
    "risk": (
        "VaRMethod",
        "concentration",
        "conditional_value_at_risk",
        "drawdowns",
        "factor_exposures",
        "historical_var_cvar",
        "limit_measures",
        "risk_contributions",
        "sector_risk_contributions",
        "value_at_risk",
        "volatility_contributions",
    ),
    "stress": (
        "EPISODES",
        "Episode",
        "StressResult",
        "correlation_shock",
        "market_shock",
        "replay",
        "sector_shock",
        "stress_test",
        "volatility_spike",
    ),
    "tax": ("HarvestLevel", "LotLedger", "LotMethod", "harvest_candidates", "wash_sales"),
}
_WHERE = {name: module for module, names in _NAMES.items() for name in names}

__all__ = sorted([*_SUBMODULES, *_WHERE])


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"portlab.analytics.{_WHERE[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"portlab.analytics.{name}")
    else:
        raise AttributeError(f"module 'portlab.analytics' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

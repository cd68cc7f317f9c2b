"""Portfolio risk: volatility, beta, tracking error, VaR/CVaR, drawdowns, risk decomposition,
concentration, exposures, and stress tests (specification §12, "Risk, stress and compliance").

Every function is pure: inputs are never modified, the same inputs give the same outputs.

Conventions
-----------
* ``weights`` are fractions of portfolio value per instrument (0.05 = 5%), negative for shorts;
  they need not sum to 1 (the rest is cash earning nothing). A Series or mapping is matched to
  the data by instrument id; an array by position; a :class:`~portlab.state.PortfolioState` is
  valued at the market's last prices when the data is a :class:`~portlab.market.Market`
  (:func:`weights_vector` reads them; :data:`portlab.types.WeightsLike`).
* ``returns`` are simple per-period returns (fractions), dates × instruments, as a DataFrame or
  a Market (``market.returns``, its ``periods_per_year`` and benchmark are used). Functions that
  accept ``weights=None`` take ``returns`` as the portfolio's own return Series
  (:data:`portlab.types.ReturnsLike`).
* NaN: a held instrument's missing return drops the date (``missing="drop"``, default) or
  counts as 0 (``missing="zero"``); ±inf is a :class:`~portlab.exceptions.DataError`.
* Annualised figures multiply a per-period variance by ``periods_per_year`` (the Market's, or
  252 for a DataFrame unless given).
* Losses (VaR, CVaR, drawdowns) are positive fractions of portfolio value.

Where things are
----------------
The measures are in :mod:`._measures`, VaR and CVaR in :mod:`._var`, the reading of weights
and returns in :mod:`._inputs`, the policy measures of a portfolio (:func:`limit_measures`,
the engine's measure of each policy rule) in :mod:`._limits`, the stress tests in
:mod:`._stress` and their scenarios in :mod:`._scenarios` (also under their own path,
:mod:`portlab.analytics.stress`). A stress test's limit table is :func:`limit_measures`
before and after each shock.
:func:`max_drawdown` is :func:`portlab.analytics.performance.max_drawdown` (one
implementation, over returns).

Names
-----
:func:`volatility_contributions` splits the portfolio's *volatility* into per-instrument
contributions (a table: weight, marginal, component, percent); ``risk_contributions`` is the
same function under the name it has always had here. For shares of the *variance* as a Series,
see :func:`portlab.analytics.optimize.variance_contributions`.
"""

from portlab.analytics.performance import max_drawdown
from portlab.analytics.risk._inputs import (
    MissingReturns,
    portfolio_returns,
    weights_vector,
)
from portlab.analytics.risk._limits import LIMIT_MEASURE_COLUMNS, limit_measures
from portlab.analytics.risk._measures import (
    beta,
    concentration,
    drawdowns,
    factor_exposures,
    instrument_betas,
    risk_contributions,
    sector_exposures,
    sector_risk_contributions,
    tracking_error,
    volatility,
    volatility_contributions,
)
from portlab.analytics.risk._scenarios import (
    EPISODES,
    CorrelationShock,
    Episode,
    MarketShock,
    Scenario,
    ScenarioContext,
    SectorShock,
    Shock,
    Unlisted,
    VolatilitySpike,
    combine,
    correlation_shock,
    market_shock,
    sector_shock,
    volatility_spike,
)
from portlab.analytics.risk._stress import StressResult, replay, stress_test
from portlab.analytics.risk._var import (
    MONTE_CARLO_BLOCK,
    MONTE_CARLO_MAX_MEMORY,
    VaRMethod,
    conditional_value_at_risk,
    historical_var_cvar,
    value_at_risk,
)

__all__ = [
    "EPISODES",
    "LIMIT_MEASURE_COLUMNS",
    "MONTE_CARLO_BLOCK",
    "MONTE_CARLO_MAX_MEMORY",
    "CorrelationShock",
    "Episode",
    "MarketShock",
    "MissingReturns",
    "Scenario",
    "ScenarioContext",
    "SectorShock",
    "Shock",
    "StressResult",
    "Unlisted",
    "VaRMethod",
    "VolatilitySpike",
    "beta",
    "combine",
    "concentration",
    "conditional_value_at_risk",
    "correlation_shock",
    "drawdowns",
    "factor_exposures",
    "historical_var_cvar",
    "instrument_betas",
    "limit_measures",
    "market_shock",
    "max_drawdown",
    "portfolio_returns",
    "replay",
    "risk_contributions",
    "sector_exposures",
    "sector_risk_contributions",
    "sector_shock",
    "stress_test",
    "tracking_error",
    "value_at_risk",
    "volatility",
    "volatility_contributions",
    "volatility_spike",
    "weights_vector",
]

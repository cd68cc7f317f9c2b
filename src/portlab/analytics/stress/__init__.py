"""Stress tests and scenarios: historical episodes replayed on the current portfolio,
hypothetical shocks to prices and to the risk model, and the policy limits they would breach
(specification §12, "Risk, stress and compliance").

The stress tests belong to :mod:`portlab.analytics.risk` (they share its reading of weights
and its betas); this package gives them their own import path, ``portlab.analytics.stress``,
and holds the same objects: ``stress.stress_test is risk.stress_test``.
"""

from portlab.analytics.risk import (
    EPISODES,
    CorrelationShock,
    Episode,
    MarketShock,
    Scenario,
    ScenarioContext,
    SectorShock,
    Shock,
    StressResult,
    Unlisted,
    VolatilitySpike,
    combine,
    correlation_shock,
    market_shock,
    replay,
    sector_shock,
    stress_test,
    volatility_spike,
)

__all__ = [
    "EPISODES",
    "CorrelationShock",
    "Episode",
    "MarketShock",
    "Scenario",
    "ScenarioContext",
    "SectorShock",
    "Shock",
    "StressResult",
    "Unlisted",
    "VolatilitySpike",
    "combine",
    "correlation_shock",
    "market_shock",
    "replay",
    "sector_shock",
    "stress_test",
    "volatility_spike",
]

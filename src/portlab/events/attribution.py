"""``PerformanceAttributionEvent``: multi-level performance attribution.

Specified in ``docs/specification.md`` §1 (the contract) and §11 (how portlab fills it).
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from portlab.events._types import EventBlock, EventModel, Finite, NonEmptyStr, Timestamp

__all__ = [
    "AttributionPeriod",
    "PerformanceAttributionEvent",
    "PortfolioPerformance",
    "RiskAttribution",
    "SectorAttribution",
    "StrategyAttribution",
]


class AttributionPeriod(EventBlock):
    """The period attributed.

    Attributes
    ----------
    start, end : datetime
        UTC bounds of the period; ``end`` must not be before ``start``.
    """

    start: Timestamp
    end: Timestamp

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError("period_order", "end should not be before start")
        return self


class PortfolioPerformance(EventBlock):
    """Portfolio performance against its benchmark over the period.

    Attributes
    ----------
    total_return, benchmark_return, excess_return : float
        Returns over the period (fractions).
    tracking_error : float
        Tracking error (fraction).
    information_ratio, sharpe_ratio : float
        Ratios.
    """

    total_return: Finite
    benchmark_return: Finite
    excess_return: Finite
    tracking_error: Finite
    information_ratio: Finite
    sharpe_ratio: Finite


class StrategyAttribution(EventBlock):
    """Attribution to one strategy.

    Attributes
    ----------
    return_contribution, risk_contribution : float
        Contributions to portfolio return and risk (fractions).
    weight : float
        Average capital weight (fraction of portfolio value).
    performance : str
        E.g. ``"OUTPERFORMING"``, ``"NEUTRAL"``, ``"UNDERPERFORMING"``.
    """

    return_contribution: Finite
    risk_contribution: Finite
    weight: Finite
    performance: NonEmptyStr


class SectorAttribution(EventBlock):
    """Brinson attribution to one sector (all fractions of portfolio return).

    Attributes
    ----------
    return_contribution : float
        Total contribution of the sector.
    weight_effect, selection_effect, interaction_effect : float
        Allocation, selection and interaction effects.
    """

    return_contribution: Finite
    weight_effect: Finite
    selection_effect: Finite
    interaction_effect: Finite


class RiskAttribution(EventBlock):
    """Split of portfolio risk.

    Attributes
    ----------
    systematic_risk, idiosyncratic_risk : float
        Shares of total risk (fractions, summing to about 1).
    factor_exposures : dict of str to float
        Factor betas, e.g. ``{"market_beta": 1.05}``.
    """

    systematic_risk: Finite
    idiosyncratic_risk: Finite
    factor_exposures: dict[NonEmptyStr, Finite]


class PerformanceAttributionEvent(EventModel):
    """Performance attribution of a portfolio over a period.

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON.
    timestamp : datetime
        UTC time of the report.
    portfolio_id : str
        Portfolio attributed.
    attribution_period : AttributionPeriod
        Start and end.
    portfolio_performance : PortfolioPerformance
        Portfolio-level figures.
    strategy_attribution : dict of str to StrategyAttribution
        Per strategy.
    sector_attribution : dict of str to SectorAttribution
        Per sector.
    risk_attribution : RiskAttribution
        Systematic/idiosyncratic split and factor exposures.
    """

    portfolio_id: NonEmptyStr
    attribution_period: AttributionPeriod
    portfolio_performance: PortfolioPerformance
    strategy_attribution: dict[NonEmptyStr, StrategyAttribution]
    sector_attribution: dict[NonEmptyStr, SectorAttribution]
    risk_attribution: RiskAttribution

"""Exposures against the policy limits, before and after a batch of decisions.

The portfolio after the batch is the state with every decision executed at its decision price
(:meth:`PortfolioState.apply`, no fees: the net asset value does not change). The measure of
each rule (largest position, largest sector, largest correlated cluster, ex-ante volatility,
leverage) is :func:`portlab.analytics.risk.limit_measures` of the state before and after: the
engine's measures, covariance and correlation threshold. Position and sector exposures come
from :meth:`PortfolioState.weights` and :meth:`PortfolioState.sector_exposures` at the
market's last prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portlab.analytics.risk import limit_measures
from portlab.engine import Policy
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = ["LIMIT_COLUMNS", "LimitUsage", "executions", "limit_usage"]

#: columns of :attr:`LimitUsage.limits`
LIMIT_COLUMNS = (
    "limit",
    "hard",
    "before",
    "after",
    "where_before",
    "where_after",
    "breached_before",
    "breached_after",
)


@dataclass(frozen=True)
class LimitUsage:
    """Policy measures of a portfolio before and after a batch of decisions.

    Attributes
    ----------
    limits : DataFrame, indexed by rule (position, sector, correlation, volatility, leverage)
        :data:`LIMIT_COLUMNS`: the rule's ``limit`` and ``hard``; the measure ``before`` and
        ``after`` the batch (fractions of NAV; volatility annualised; leverage a multiple);
        ``where_before`` / ``where_after``, the instrument or sector that sets it ('' for
        portfolio-wide measures); ``breached_before`` / ``breached_after``, the measure above
        the limit.
    positions : DataFrame, indexed by instrument_id
        ``sector``, ``before`` and ``after``: signed weights (fractions of NAV) of every
        instrument held before or after.
    sectors : DataFrame, indexed by sector
        ``before`` and ``after``: gross exposure (sum of ``|weight|``) per sector held.
    state_after : PortfolioState
        The portfolio with every decision executed at its price.
    """

    limits: pd.DataFrame
    positions: pd.DataFrame
    sectors: pd.DataFrame
    state_after: PortfolioState


def executions(decisions: pd.DataFrame) -> list[dict[str, object]]:
    """Bare execution records (``instrument_id``, ``action``, ``quantity``,
    ``executed_price``) of decisions, each filled whole at its decision price."""
    return [
        {
            "instrument_id": str(iid),
            "action": str(action),
            "quantity": float(q),
            "executed_price": float(p),
        }
        for iid, action, q, p in zip(
            decisions["instrument_id"],
            decisions["action"],
            decisions["share_quantity"],
            decisions["price"],
            strict=True,
        )
        if q > 0
    ]


def limit_usage(
    state: PortfolioState, market: Market, policy: Policy, decisions: pd.DataFrame
) -> LimitUsage:
    """The policy measures of ``state`` before and after executing ``decisions``.

    Parameters
    ----------
    state : PortfolioState
        The portfolio the decisions were made for. Not modified.
    market : Market
        Prices, sectors and the risk model the decisions were made with.
    policy : Policy
        The limits (and the correlation threshold of the correlated-exposure measure).
    decisions : DataFrame
        ``CoordinationResult.decisions``.

    Returns
    -------
    LimitUsage
    """
    after = state.apply(executions(decisions))
    first, second = (limit_measures(s, market, policy) for s in (state, after))
    limits = pd.DataFrame(
        {
            "limit": first["limit"],
            "hard": first["hard"],
            "before": first["value"],
            "after": second["value"],
            "where_before": first["where"],
            "where_after": second["where"],
            "breached_before": first["breached"],
            "breached_after": second["breached"],
        }
    )
    prices, sectors = market.last_prices, market.sectors
    weights = pd.concat(
        {"before": state.weights(prices), "after": after.weights(prices)}, axis=1
    ).fillna(0.0)
    weights.index.name = "instrument_id"
    positions = pd.concat([sectors.reindex(weights.index).rename("sector"), weights], axis=1)
    gross = pd.concat(
        {
            "before": state.sector_exposures(prices, sectors),
            "after": after.sector_exposures(prices, sectors),
        },
        axis=1,
    ).fillna(0.0)
    return LimitUsage(limits, positions, gross, after)

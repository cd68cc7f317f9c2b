"""The attribution event: a :class:`~portlab.events.PerformanceAttributionEvent` from the
attributions of this package (specification §11, "Performance attribution")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics import performance as perf
from portlab.analytics.attribution._brinson import BrinsonResult
from portlab.analytics.attribution._factors import FactorAttribution, factor_attribution
from portlab.dates import as_timestamp
from portlab.exceptions import ValidationError
from portlab.formatting import format_date

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.events import PerformanceAttributionEvent

__all__ = ["EVENT_FACTOR_NAMES", "attribution_event"]

EVENT_FACTOR_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "market": "market_beta",
        "size": "size_factor",
        "value": "value_factor",
        "momentum": "momentum_factor",
        "quality": "quality_factor",
        "low_vol": "low_vol_factor",
    }
)
"""Factor column → name of its exposure in the event's ``risk_attribution.factor_exposures``
(specification §1, "Event contracts": ``market_beta``, ``size_factor``, ...)."""


def attribution_event(
    portfolio_returns: pd.Series,
    benchmark_returns: pd.Series | None = None,
    *,
    sectors: BrinsonResult | None = None,
    strategies: pd.DataFrame | None = None,
    factors: FactorAttribution | pd.DataFrame | None = None,
    portfolio_id: str = "main_portfolio",
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
    period: tuple[DateLike, DateLike] | list[DateLike] | None = None,
    timestamp: datetime | None = None,
) -> PerformanceAttributionEvent:
    """A :class:`~portlab.events.PerformanceAttributionEvent` (specification §1 and §11).

    Parameters
    ----------
    portfolio_returns, benchmark_returns : Series, shape (n_periods,)
        Per-period portfolio and benchmark returns (fractions) on a DatetimeIndex (the
        attribution period is its first and last date unless ``period`` is given).
        ``benchmark_returns=None`` takes the Brinson benchmark's returns from ``sectors``, so
        that the sector effects add up to ``excess_return``; with another benchmark (e.g. the
        S&P 500 against an equal-weight Brinson benchmark) they add up to the active return
        against the Brinson benchmark instead.
    sectors : BrinsonResult, optional
        ``sector_attribution`` from its linked effects: ``return_contribution`` (the group's
        total active contribution), ``weight_effect`` (allocation), ``selection_effect``,
        ``interaction_effect``. Empty when not given.
    strategies : DataFrame, optional
        Output of :func:`strategy_attribution`. Empty when not given.
    factors : FactorAttribution or DataFrame, optional
        A factor attribution, or factor returns (e.g. :func:`style_factor_returns`) to regress
        on; by default the benchmark alone (a market model). Exposure names follow
        :data:`EVENT_FACTOR_NAMES` (``market`` → ``market_beta``, ``size`` → ``size_factor``, ...).
    portfolio_id : str
        Portfolio identifier.
    risk_free_rate : float
        Annual risk-free rate (fraction) for the Sharpe ratio.
    periods_per_year : float
        ``P`` for annualisation.
    period : (start, end), optional
        Attribution period bounds, overriding the index's: a pair (tuple or list) of dates
        (:data:`~portlab.dates.DateLike`: ISO 8601 strings or date objects; anything else is a
        ``ValidationError`` naming ``period start`` / ``period end``).
    timestamp : datetime, optional
        Time of the event (now by default).

    Returns
    -------
    PerformanceAttributionEvent
        ``portfolio_performance``: ``total_return`` and ``benchmark_return`` compounded over
        the periods both are present, ``excess_return`` their difference, ``tracking_error``
        and ``information_ratio`` (annualised), ``sharpe_ratio`` (annualised);
        ``risk_attribution``: ``systematic_risk`` and ``idiosyncratic_risk`` as shares of the
        portfolio's variance explained and unexplained by the factors, and ``factor_exposures``.

    Raises
    ------
    ValidationError
        Bad inputs or a figure that is not finite (e.g. too few periods for a tracking error).
    """
    from portlab.events import PerformanceAttributionEvent

    if benchmark_returns is None:
        if sectors is None:
            raise ValidationError("give benchmark_returns, or sectors to take its benchmark from")
        benchmark_returns = sectors.benchmark_return
    if not isinstance(portfolio_returns, pd.Series) or not isinstance(benchmark_returns, pd.Series):
        raise ValidationError("portfolio_returns and benchmark_returns must be Series")
    kw = {"periods_per_year": periods_per_year}
    table = perf.summary(portfolio_returns, benchmark_returns, risk_free_rate=risk_free_rate, **kw)
    both = portfolio_returns.notna() & benchmark_returns.reindex(portfolio_returns.index).notna()
    total = perf.total_return(portfolio_returns[both])
    performance = {
        "total_return": total,
        "benchmark_return": table["benchmark_return"],
        "excess_return": total - table["benchmark_return"],
        "tracking_error": table["tracking_error"],
        "information_ratio": table["information_ratio"],
        "sharpe_ratio": table["sharpe_ratio"],
    }
    if factors is None or isinstance(factors, pd.DataFrame):
        factors = factor_attribution(
            portfolio_returns,
            factors if factors is not None else pd.DataFrame(index=portfolio_returns.index),
            benchmark_returns=None if factors is not None else benchmark_returns,
            risk_free_rate=risk_free_rate,
            **kw,
        )
    elif not isinstance(factors, FactorAttribution):
        raise ValidationError(
            "factors must be a FactorAttribution or a DataFrame of factor returns"
        )
    if period is None:
        index = portfolio_returns.index
        if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
            raise ValidationError("give period=(start, end) when returns are not dated")
        period = (index[0], index[-1])
    elif not isinstance(period, tuple | list) or len(period) != 2:
        raise ValidationError(f"period: expected (start, end), got {type(period).__name__}")
    start, end = as_timestamp(period[0], "period start"), as_timestamp(period[1], "period end")
    try:
        backwards = start > end
    except TypeError:
        raise ValidationError(
            "period: start and end must both have a time zone, or neither"
        ) from None
    if backwards:
        raise ValidationError(f"period: start {format_date(start)} is after end {format_date(end)}")
    sector_block = {}
    if sectors is not None:
        for group, row in sectors.linked.iterrows():
            sector_block[str(group)] = {
                "return_contribution": row["total"],
                "weight_effect": row["allocation"],
                "selection_effect": row["selection"],
                "interaction_effect": row["interaction"],
            }
    strategy_block = {}
    if strategies is not None:
        for name, row in strategies.iterrows():
            strategy_block[str(name)] = {
                "return_contribution": row["return_contribution"],
                "risk_contribution": row["risk_contribution"],
                "weight": row["weight"],
                "performance": str(row["performance"]),
            }
    exposures = {EVENT_FACTOR_NAMES.get(k, k): v for k, v in factors.exposures.items()}
    payload = {
        "portfolio_id": portfolio_id,
        "attribution_period": {"start": start, "end": end},
        "portfolio_performance": performance,
        "strategy_attribution": strategy_block,
        "sector_attribution": sector_block,
        "risk_attribution": {
            "systematic_risk": factors.systematic_share,
            "idiosyncratic_risk": factors.idiosyncratic_share,
            "factor_exposures": exposures,
        },
    }
    if timestamp is not None:
        payload["timestamp"] = timestamp
    return PerformanceAttributionEvent.from_dict(_floats(payload))


def _floats(obj: Any) -> Any:
    """numpy scalars → Python floats (the event's validators reject nothing else)."""
    if isinstance(obj, dict):
        return {k: _floats(v) for k, v in obj.items()}
    if isinstance(obj, np.floating | np.integer):
        return float(obj)
    return obj

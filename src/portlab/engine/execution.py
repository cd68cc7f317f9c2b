"""Execution strategy: order type, algorithm, time horizon and urgency (specification §7).

Rules (vectorized). ``participation`` is the trade's share count over the average daily
volume when the market has volumes; otherwise the trade size (fraction of NAV) decides.

========  ==========  ====================================  ================================
urgency   order type  algorithm                             time horizon
========  ==========  ====================================  ================================
CRITICAL  MARKET      IMMEDIATE                             immediate
HIGH      LIMIT       IMMEDIATE if small, else VWAP / TWAP  30_minutes if small, else 1_hour
NORMAL    LIMIT       VWAP with volumes, else TWAP          1_hour / 4_hours / 1_day / N_days
LOW       LIMIT       VWAP with volumes, else TWAP          1_day, or N_days at 5% of volume
========  ==========  ====================================  ================================

"small" is under 1% of daily volume (or under 1% of NAV without volumes):
:data:`SMALL_TRADE`. NORMAL horizons step at 1%, 5% (:data:`MEDIUM_TRADE`) and 10%
(:data:`DAILY_PARTICIPATION`) of daily volume (1%, 5% of NAV without volumes); above 10% the
trade is spread over ``ceil(participation / 10%)`` days, LOW urgency over
``ceil(participation / 5%)`` days (:data:`LOW_URGENCY_PARTICIPATION`). A rebalance request's
``execution_timeframe`` overrides the horizon of the trades it drives.

Execution rules (:class:`~portlab.engine.config.ExecutionRulesConfig`)
    Applied on top of that strategy (:func:`execution_rules`): ``default_order_type`` MARKET
    or LIMIT replaces the order type by urgency (AUTO keeps it); every order gets
    ``time_in_force``; a LIMIT order gets the limit price ``price × (1 ± price_threshold)``
    (+ for a BUY, - for a SELL: the worst price it accepts), a MARKET order none (NaN).

Market impact: the square-root model
    The price move an order of ``Q`` shares causes, as a fraction of the price, is estimated
    as (:func:`market_impact`) ``I = k × σ_daily × sqrt(Q / ADV)``, with ``ADV`` the
    instrument's average daily volume in shares (the market's 20-day average,
    :meth:`Market.adv <portlab.market.Market.adv>`), ``σ_daily`` its daily volatility (the
    risk model's annualised volatility over ``sqrt(252)``) and ``k`` the
    ``impact_coefficient`` (default 1). This is the square-root law of market impact: impact
    proportional to volatility and to the square root of the order's share of daily volume,
    with a coefficient of order one (Grinold & Kahn, *Active Portfolio Management*, 2nd ed.,
    2000, the chapter on transactions costs; Almgren, Thum, Hauptmann & Li, "Direct
    estimation of equity market impact", *Risk*, July 2005, fit US equity orders with an
    exponent of 3/5, close to 1/2). ``k = 1`` is on the conservative side for liquid large
    caps. The estimate is for the whole order traded within a day. Without the market's
    volumes (or the instrument's volatility, or with an ADV of zero) there is no estimate
    (NaN).

    With a ``market_impact_limit`` ``L``, an order whose estimate ``I`` is above it is

    * SPLIT into ``n = ceil((I / L)²)`` child orders, one a trading day: each of ``Q / n``
      shares moves the price ``I / sqrt(n) <= L`` (each day's impact is taken to have
      decayed by the next). The horizon becomes ``n_days`` (unless it is already at least
      that long; it overrides a rebalance request's ``execution_timeframe``), the algorithm
      VWAP. Sizes do not change. Or
    * SHRUNK (:func:`impact_rule`, before the trades are rounded to shares and the hard
      limits checked for the last time, so that it never breaches one) to
      ``Q* = ADV × (L / (k σ_daily))²`` shares, the size whose impact is the limit.

    The limit applies whatever the urgency. An order without an estimate is left as it is,
    with the warning ``market_impact_not_estimated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import ExecutionRulesConfig
from portlab.engine.enums import ImpactAction, OrderType
from portlab.engine.sizing import TRADING_DAYS

__all__ = [
    "DAILY_PARTICIPATION",
    "LOW_URGENCY_PARTICIPATION",
    "MEDIUM_TRADE",
    "SMALL_TRADE",
    "ImpactRule",
    "child_orders",
    "execution_rules",
    "execution_strategy",
    "horizon_days",
    "impact_capacity",
    "impact_rule",
    "limit_prices",
    "market_impact",
]

#: below this share of daily volume (or of NAV without volumes) a trade is small: it can go
#: at once (HIGH urgency) or within the hour (NORMAL) without moving the price much
SMALL_TRADE = 0.01
#: below this share of daily volume (or of NAV) a NORMAL trade takes 4 hours, above a day
MEDIUM_TRADE = 0.05
#: the most of a day's volume a NORMAL trade takes per day; larger trades take more days
DAILY_PARTICIPATION = 0.10
#: the most of a day's volume a LOW-urgency trade takes per day
LOW_URGENCY_PARTICIPATION = 0.05
#: ``(I / L)²`` within this of a whole number is that number of child orders: a trade at
#: twice the limit is 4 slices, not 5 because of the last bit of a float
_SLICE_TOL = 1e-9
#: trading days in a horizon unit (a horizon in hours or minutes takes one day)
_DAYS_PER = {"day": 1, "week": 5, "month": 21}
_HORIZON = re.compile(r"^\s*(\d+)\s*_?\s*(day|week|month)s?\s*$", re.IGNORECASE)


def execution_strategy(
    urgency: np.ndarray,
    size: np.ndarray,
    shares: np.ndarray,
    adv: np.ndarray | None,
    timeframe: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Execution parameters per decision.

    Parameters
    ----------
    urgency : ndarray of str, shape (m,)
        LOW, NORMAL, HIGH or CRITICAL.
    size : ndarray, shape (m,)
        Trade size, fraction of NAV.
    shares : ndarray, shape (m,)
        Absolute share quantities.
    adv : ndarray or None, shape (m,)
        Average daily volume in shares (NaN where unknown).
    timeframe : ndarray of object, optional
        Horizon imposed by a rebalance request, or None.

    Returns
    -------
    dict of ndarray
        ``order_type``, ``execution_algorithm``, ``time_horizon``, ``urgency``, ``participation``.

    Examples
    --------
    30,000 shares of an instrument trading 100,000 a day (30% of its volume) at NORMAL and LOW
    urgency, and 500 shares (0.05%) at HIGH urgency:

    >>> import numpy as np
    >>> ex = execution_strategy(np.array(["NORMAL", "LOW", "HIGH"]), np.array([0.02, 0.02, 0.005]),
    ...                         np.array([30_000.0, 30_000.0, 500.0]), np.array([1e5, 1e5, 1e6]))
    >>> list(ex["execution_algorithm"]), list(ex["time_horizon"])
    (['VWAP', 'VWAP', 'IMMEDIATE'], ['3_days', '6_days', '30_minutes'])
    """
    m = len(urgency)
    urgency = np.asarray(urgency, dtype=object)
    known = np.zeros(m, dtype=bool) if adv is None else np.isfinite(adv) & (adv > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(
            known, np.abs(shares) / (np.where(known, adv, 1.0) if adv is not None else 1.0), np.nan
        )
    measure = np.where(known, part, size)
    small = measure < SMALL_TRADE
    days = np.ceil(np.where(known, part, 0.0) / DAILY_PARTICIPATION).astype(int)
    normal_h = np.select(
        [small, measure < MEDIUM_TRADE, (measure < DAILY_PARTICIPATION) | ~known],
        ["1_hour", "4_hours", "1_day"],
        default=np.char.add(days.astype(str), "_days").astype(object),
    )
    low_days = np.maximum(
        np.ceil(np.where(known, part, 0.0) / LOW_URGENCY_PARTICIPATION), 1
    ).astype(int)
    low_h = np.where(
        low_days > 1, np.char.add(low_days.astype(str), "_days").astype(object), "1_day"
    )
    spread = np.where(known, "VWAP", "TWAP")
    crit, high = urgency == "CRITICAL", urgency == "HIGH"
    order_type = np.where(crit, "MARKET", "LIMIT").astype(object)
    algo = np.select([crit, high & small], ["IMMEDIATE", "IMMEDIATE"], default=spread).astype(
        object
    )
    horizon = np.select(
        [crit, high & small, high, urgency == "LOW"],
        ["immediate", "30_minutes", "1_hour", low_h],
        default=normal_h,
    ).astype(object)
    if timeframe is not None:
        given = np.array([isinstance(t, str) and bool(t) for t in timeframe])
        horizon = np.where(given & ~crit, timeframe, horizon)
    return {
        "order_type": order_type,
        "execution_algorithm": algo,
        "time_horizon": horizon,
        "urgency": urgency,
        "participation": part,
    }


# -- execution rules ----------------------------------------------------------------------


def market_impact(
    shares: np.ndarray, adv: np.ndarray | None, daily_vol: np.ndarray, coefficient: float = 1.0
) -> np.ndarray:
    """Estimated market impact of orders, square-root model (see the module docstring).

    Parameters
    ----------
    shares : ndarray, shape (m,)
        Share quantities (the sign is ignored).
    adv : ndarray or None, shape (m,)
        Average daily volume in shares (NaN where unknown; None: no volumes at all).
    daily_vol : ndarray, shape (m,)
        Daily volatility of returns, a fraction (annualised volatility / sqrt(252)).
    coefficient : float
        ``k``, a multiple (default 1).

    Returns
    -------
    ndarray, shape (m,)
        ``k × daily_vol × sqrt(|shares| / adv)``, a fraction of the price (0.005 = 50 bp);
        NaN where ``adv`` or ``daily_vol`` is unknown, not finite or not positive.

    Examples
    --------
    20,000 shares of an instrument trading 500,000 a day (4% of its volume) with a 2% daily
    volatility move its price about 2% × sqrt(0.04) = 0.4%:

    >>> import numpy as np
    >>> market_impact(np.array([20_000.0, 5_000.0]), np.array([5e5, np.nan]), np.array([0.02, 0.02]))
    array([0.004,   nan])
    """
    m = len(shares)
    vol = np.asarray(daily_vol, dtype=float)
    volume = np.full(m, np.nan) if adv is None else np.asarray(adv, dtype=float)
    known = np.isfinite(volume) & (volume > 0) & np.isfinite(vol) & (vol > 0)
    ratio = np.abs(np.asarray(shares, dtype=float)) / np.where(known, volume, 1.0)
    return np.where(known, coefficient * vol * np.sqrt(ratio), np.nan)


def impact_capacity(
    adv: np.ndarray | None, daily_vol: np.ndarray, limit: float, coefficient: float = 1.0
) -> np.ndarray:
    """Largest share quantity whose estimated impact is at most ``limit``.

    ``ADV × (limit / (k × daily_vol))²`` (the square-root model solved for the quantity);
    NaN where :func:`market_impact` has no estimate.

    Examples
    --------
    At a 2% daily volatility, an impact of 0.4% allows 4% of the daily volume:

    >>> import numpy as np
    >>> impact_capacity(np.array([5e5]), np.array([0.02]), 0.004)
    array([20000.])
    """
    vol = np.asarray(daily_vol, dtype=float)
    known = np.isfinite(market_impact(np.ones(len(vol)), adv, vol, coefficient))
    volume = np.where(known, adv if adv is not None else np.nan, np.nan)
    return np.where(
        known, volume * (limit / (coefficient * np.where(known, vol, 1.0))) ** 2, np.nan
    )


def child_orders(impact: np.ndarray, limit: float) -> np.ndarray:
    """Child orders a SPLIT needs: ``ceil((impact / limit)²)`` above the limit, else 1.

    Each of the ``n`` slices has the impact ``impact / sqrt(n) <= limit``. An order without
    an estimate (NaN) is one order.

    Examples
    --------
    >>> import numpy as np
    >>> child_orders(np.array([0.004, 0.006, 0.01, 0.011, np.nan]), 0.005)
    array([1, 2, 4, 5, 1])
    """
    ratio = np.nan_to_num(np.asarray(impact, dtype=float) / limit, nan=0.0)
    n = np.ceil(ratio * ratio - _SLICE_TOL)
    return np.where(ratio > 1, np.maximum(n, 1), 1).astype(int)


def limit_prices(
    direction: np.ndarray, price: np.ndarray, order_type: np.ndarray, threshold: float
) -> np.ndarray:
    """Limit prices: ``price × (1 + threshold)`` for a BUY, ``× (1 - threshold)`` for a
    SELL, for LIMIT orders; NaN for the others.

    Examples
    --------
    >>> import numpy as np
    >>> limit_prices(np.array([1, -1, 1]), np.array([100.0, 100.0, 100.0]),
    ...              np.array(["LIMIT", "LIMIT", "MARKET"], dtype=object), 0.01)
    array([101.,  99.,  nan])
    """
    limit = np.asarray(price, dtype=float) * (1 + np.sign(direction) * threshold)
    return np.where(np.asarray(order_type) == OrderType.LIMIT.value, limit, np.nan)


def horizon_days(horizon: np.ndarray) -> np.ndarray:
    """Trading days of time horizons: ``"N_days"`` is N, ``"N_weeks"`` 5N, ``"N_months"``
    21N; a horizon within the day (``"immediate"``, ``"4_hours"`` ...) or unknown text, 1.

    Examples
    --------
    >>> import numpy as np
    >>> horizon_days(np.array(["1_hour", "1_day", "3_days", "2_weeks"], dtype=object))
    array([ 1,  1,  3, 10])
    """
    out = np.ones(len(horizon), dtype=int)
    for j, text in enumerate(horizon):
        found = _HORIZON.match(text) if isinstance(text, str) else None
        if found:
            out[j] = max(int(found[1]) * _DAYS_PER[found[2].lower()], 1)
    return out


@dataclass(frozen=True)
class ImpactRule:
    """What the market impact rule did to the trades before they are rounded to shares.

    Attributes
    ----------
    impact : ndarray, shape (m,)
        Estimated impact of each trade as it came in, a fraction of the price (NaN: no
        estimate).
    sizes : ndarray, shape (m,)
        Trade sizes after the rule, fractions of NAV: cut to the impact limit under SHRINK,
        the sizes given otherwise.
    shrunk : ndarray of bool, shape (m,)
        The rule cut the trade.
    """

    impact: np.ndarray
    sizes: np.ndarray
    shrunk: np.ndarray


def impact_rule(
    book: Book, instrument: np.ndarray, sizes: np.ndarray, rules: ExecutionRulesConfig
) -> ImpactRule:
    """The market impact estimate of trades of ``sizes`` (fractions of NAV) at
    ``instrument``, and under SHRINK their sizes cut to the impact limit.

    Cutting only lowers trades; the final check of the hard limits, after it, trims what a
    smaller sale no longer finances.
    """
    sizes = np.asarray(sizes, dtype=float)
    price = book.price[instrument]
    adv = None if book.adv is None else book.adv[instrument]
    daily = book.vol[instrument] / np.sqrt(TRADING_DAYS)
    k = rules.impact_coefficient
    impact = market_impact(sizes * book.nav / price, adv, daily, k)
    limit = rules.market_impact_limit
    if limit is None or rules.impact_action is not ImpactAction.SHRINK:
        return ImpactRule(impact, sizes, np.zeros(len(sizes), dtype=bool))
    over = impact > limit  # False where NaN
    cap = impact_capacity(adv, daily, limit, k) * price / book.nav
    new = np.where(over, np.minimum(sizes, np.where(over, cap, np.inf)), sizes)
    return ImpactRule(impact, new, new < sizes)


def execution_rules(
    strategy: dict[str, np.ndarray],
    rules: ExecutionRulesConfig,
    direction: np.ndarray,
    price: np.ndarray,
    shares: np.ndarray,
    adv: np.ndarray | None,
    daily_vol: np.ndarray,
) -> dict[str, np.ndarray]:
    """The execution rules on top of :func:`execution_strategy` (see the module docstring).

    Parameters
    ----------
    strategy : dict of ndarray
        What :func:`execution_strategy` returned (not changed).
    rules : ExecutionRulesConfig
    direction : ndarray of {+1, -1}, shape (m,)
    price : ndarray, shape (m,)
        Last prices.
    shares : ndarray, shape (m,)
        Share quantities of the decisions.
    adv : ndarray or None, shape (m,)
        Average daily volume in shares.
    daily_vol : ndarray, shape (m,)
        Daily volatility, a fraction.

    Returns
    -------
    dict of ndarray
        ``order_type``, ``execution_algorithm`` and ``time_horizon`` (the strategy's, as the
        rules change them), ``time_in_force``, ``limit_price`` (currency, NaN for MARKET
        orders), ``market_impact`` (a fraction of the price, NaN: no estimate) and
        ``child_orders`` (1 unless a SPLIT).

    Examples
    --------
    A BUY of 20,000 shares trading 500,000 a day at a 2% daily volatility (impact 0.4%),
    under a 0.15% limit, is split into ceil((0.4 / 0.15)²) = 8 daily LIMIT orders:

    >>> import numpy as np
    >>> from portlab.engine.config import ExecutionRulesConfig
    >>> rules = ExecutionRulesConfig(market_impact_limit=0.0015, default_order_type="LIMIT")
    >>> ex = execution_strategy(np.array(["HIGH"]), np.array([0.02]), np.array([20_000.0]),
    ...                         np.array([5e5]))
    >>> out = execution_rules(ex, rules, np.array([1]), np.array([50.0]),
    ...                       np.array([20_000.0]), np.array([5e5]), np.array([0.02]))
    >>> out["child_orders"], out["time_horizon"], out["limit_price"]
    (array([8]), array(['8_days'], dtype=object), array([50.5]))
    """
    m = len(direction)
    order_type = strategy["order_type"]
    if rules.default_order_type is not OrderType.AUTO:
        order_type = np.full(m, rules.default_order_type.value, dtype=object)
    impact = market_impact(shares, adv, daily_vol, rules.impact_coefficient)
    algo, horizon = strategy["execution_algorithm"], strategy["time_horizon"]
    limit = rules.market_impact_limit
    if limit is not None and rules.impact_action is ImpactAction.SPLIT:
        n = child_orders(impact, limit)
    else:
        n = np.ones(m, dtype=int)
    split = n > 1
    if split.any():
        days = np.char.add(n.astype(str), "_days").astype(object)
        horizon = np.where(split & (n > horizon_days(horizon)), days, horizon).astype(object)
        algo = np.where(split, "VWAP", algo).astype(object)
    return {
        "order_type": order_type,
        "execution_algorithm": algo,
        "time_horizon": horizon,
        "time_in_force": np.full(m, rules.time_in_force.value, dtype=object),
        "limit_price": limit_prices(direction, price, order_type, rules.price_threshold),
        "market_impact": impact,
        "child_orders": n,
    }

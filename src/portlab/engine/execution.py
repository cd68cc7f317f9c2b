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
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DAILY_PARTICIPATION",
    "LOW_URGENCY_PARTICIPATION",
    "MEDIUM_TRADE",
    "SMALL_TRADE",
    "execution_strategy",
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

"""The engine's configuration choices: how conflicts are resolved, capital is allocated,
Kelly fractions are computed, small trades are treated and orders are placed.

Each is a :class:`enum.StrEnum`: a setting accepts the member or its name (any letter case,
see :mod:`portlab.engine.config`), and the value is the name, so YAML and JSON hold plain
strings. They are re-exported by :mod:`portlab.engine` (and :mod:`portlab.engine.config`).
"""

from __future__ import annotations

import enum

__all__ = [
    "AllocationMode",
    "ImpactAction",
    "KellyFormula",
    "MinSizeRule",
    "OrderType",
    "Resolution",
    "SizingMethod",
    "TimeInForce",
]


class Resolution(enum.StrEnum):
    """How several signals (and a rebalance request) on one instrument become one decision.

    The first four select a winner; the last three combine the signals' sized targets (NET:
    sum of signed Kelly targets; WEIGHTED_AVERAGE and VOLATILITY_ADJUSTED: weighted
    aggregators). See conflict resolution and priorities (specification §4).
    """

    HIGHEST_PRIORITY = "HIGHEST_PRIORITY"
    BEST_RISK_REWARD = "BEST_RISK_REWARD"
    PERFORMANCE_WEIGHTED = "PERFORMANCE_WEIGHTED"
    FIRST_IN_FIRST_OUT = "FIRST_IN_FIRST_OUT"
    NET = "NET"
    WEIGHTED_AVERAGE = "WEIGHTED_AVERAGE"
    VOLATILITY_ADJUSTED = "VOLATILITY_ADJUSTED"


class AllocationMode(enum.StrEnum):
    """How capital is shared when the sized trades want more than the batch limits allow.

    OPTIMAL solves a linear program (HiGHS) maximising priority-weighted expected edge, or a
    second-order cone program (cvxpy + Clarabel) when the portfolio volatility limit binds.
    GREEDY fills trades in priority order, each taking what the remaining capacity allows.
    """

    OPTIMAL = "OPTIMAL"
    GREEDY = "GREEDY"


class KellyFormula(enum.StrEnum):
    """Which Kelly fraction a stop-bounded signal gets.

    BINARY_BET is the classic ``f = p - (1 - p) / b`` with ``b`` = reward / risk implied by
    price target and stop: the fraction of capital to commit (the default policy's
    convention, specification §3).
    GROWTH_OPTIMAL is the position that maximises expected log growth when the trade either
    reaches the target (return ``u``) or the stop (loss ``l``): ``f / l``; it is larger by
    ``1 / l`` and is usually cut by the Kelly cap.
    """

    BINARY_BET = "BINARY_BET"
    GROWTH_OPTIMAL = "GROWTH_OPTIMAL"


class SizingMethod(enum.StrEnum):
    """How each signal's target exposure (a fraction of NAV, in the signal's direction) is set
    before the policy headroom, correlation adjustment, allocation, risk loop and rounding
    that every method passes through (:func:`portlab.engine.methods.method_targets`).

    KELLY: the capped Kelly fraction (default). FIXED_FRACTIONAL: ``fixed_fraction ×
    confidence``. EQUAL_WEIGHT: the deployable cash (above the cash floor) shared equally by
    the batch's instruments. VOLATILITY_TARGET: ``risk_target / σ``, a position whose own
    annualised volatility is ``risk_target`` of NAV. RISK_PARITY: the weight of the
    instrument in the equal-risk-contribution portfolio of the book's holdings and the
    batch's instruments, at the book's invested size plus the deployable cash.
    """

    KELLY = "KELLY"
    FIXED_FRACTIONAL = "FIXED_FRACTIONAL"
    EQUAL_WEIGHT = "EQUAL_WEIGHT"
    VOLATILITY_TARGET = "VOLATILITY_TARGET"
    RISK_PARITY = "RISK_PARITY"

    @property
    def label(self) -> str:
        """The method as it reads on a page: ``"Equal weight"``."""
        return self.value.replace("_", " ").capitalize()


class MinSizeRule(enum.StrEnum):
    """What happens to a trade that increases a position by less than ``min_position_size``.

    ROUND_UP raises it to the minimum when policy headroom allows (the default policy's rule,
    specification §2) and drops it otherwise; DROP always drops it.
    """

    ROUND_UP = "ROUND_UP"
    DROP = "DROP"


class OrderType(enum.StrEnum):
    """The order type of the decisions (:class:`~portlab.engine.config.ExecutionRulesConfig`).

    AUTO keeps the engine's rule by urgency (specification §7): MARKET for CRITICAL urgency,
    LIMIT otherwise. MARKET or LIMIT gives every decision that order type.
    """

    AUTO = "AUTO"
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class TimeInForce(enum.StrEnum):
    """How long an order stays working: DAY (until the close), GTC (good till cancelled) or
    IOC (immediate or cancel: what does not fill at once is cancelled)."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"


class ImpactAction(enum.StrEnum):
    """What happens to a trade whose estimated market impact is above the limit.

    SPLIT keeps its size and splits it into ``ceil((impact / limit)²)`` child orders, one a
    trading day, each with an impact under the limit (square-root model: ``n`` slices of
    ``Q / n`` shares move the price ``impact / sqrt(n)`` each). SHRINK cuts it to the size
    whose impact equals the limit.
    """

    SPLIT = "SPLIT"
    SHRINK = "SHRINK"

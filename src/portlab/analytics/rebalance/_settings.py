"""The rebalancing triggers' settings: which triggers exist, their thresholds and windows, and
the requests they raise (specification §10, "Rebalancing triggers").

Every trigger reduces to one number, ``observed``, compared with its threshold; it **fires when
``observed - threshold > TOL``** (``TOL = 1e-9``) -- strictly greater, as the specification's
``abs(deviation) > 0.05``, with float noise of ``shares * price / NAV`` (e.g. ``0.55 - 0.50 =
0.050000000000000044``) counted as *at* the threshold. Severity grows with ``observed /
threshold`` (see :class:`RebalanceTriggers.severity_breaks`); urgency follows severity. The
measurements are in :mod:`._triggers`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from portlab.exceptions import ConfigError
from portlab.market import CovMethod

__all__ = [
    "REBALANCE_TYPES",
    "TOL",
    "Frequency",
    "PerformanceReference",
    "RebalanceTriggers",
    "TriggerKind",
]

TOL = 1e-9  # observed values within this of a threshold are at it (do not fire)


class TriggerKind(enum.StrEnum):
    """The rebalancing triggers of specification §10 (values are ``trigger_reason.type``
    strings)."""

    TIME_BASED = "TIME_BASED"  #: a scheduled date passed since the last rebalance
    WEIGHT_DEVIATION = "WEIGHT_DEVIATION"  #: |weight - target| above the drift threshold
    RISK_BUDGET_BREACH = "RISK_BUDGET_BREACH"  #: risk share above its budget (relative)
    VOLATILITY_SPIKE = "VOLATILITY_SPIKE"  #: recent / long-run portfolio volatility - 1
    CORRELATION_REGIME_CHANGE = "CORRELATION_REGIME_CHANGE"  #: mean pairwise correlation moved
    PERFORMANCE_DIVERGENCE = "PERFORMANCE_DIVERGENCE"  #: trailing return vs the reference


#: ``rebalance_type`` of each trigger's request: drift is TACTICAL (specification §10), risk
#: triggers are RISK_DRIVEN, a performance divergence asks for a STRATEGIC review.
REBALANCE_TYPES = {
    TriggerKind.TIME_BASED: "TIME_BASED",
    TriggerKind.WEIGHT_DEVIATION: "TACTICAL",
    TriggerKind.RISK_BUDGET_BREACH: "RISK_DRIVEN",
    TriggerKind.VOLATILITY_SPIKE: "RISK_DRIVEN",
    TriggerKind.CORRELATION_REGIME_CHANGE: "RISK_DRIVEN",
    TriggerKind.PERFORMANCE_DIVERGENCE: "STRATEGIC",
}


class Frequency(enum.StrEnum):
    """Calendar of scheduled rebalances (calendar days, not trading days)."""

    DAILY = "DAILY"  #: every calendar day
    WEEKLY = "WEEKLY"  #: every ``weekday`` (0 = Monday)
    MONTHLY = "MONTHLY"  #: ``day_of_month`` of every month (the month's last day if shorter)
    QUARTERLY = "QUARTERLY"  #: ``day_of_month`` of January, April, July and October
    ANNUALLY = "ANNUALLY"  #: ``day_of_month`` of January


class PerformanceReference(enum.StrEnum):
    """What trailing returns are compared with."""

    BENCHMARK = "BENCHMARK"  #: the market's benchmark (S&P 500 in the sample)
    TARGET = "TARGET"  #: the target portfolio, buy-and-hold over the window


def _num(name: str, value: Any, *, lo: float, hi: float = math.inf, strict_lo=True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"RebalanceTriggers.{name}: must be a finite number (got {value!r})")
    if (value <= lo if strict_lo else value < lo) or value > hi:
        rng = f"{'(' if strict_lo else '['}{lo:g}, {hi:g}]"
        raise ConfigError(f"RebalanceTriggers.{name}: must be in {rng} (got {value!r})")
    return float(value)


def _int(name: str, value: Any, lo: int, hi: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ConfigError(f"RebalanceTriggers.{name}: must be an integer in [{lo}, {hi}]")
    return int(value)


def _enum(name: str, cls: type, value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise ConfigError(
            f"RebalanceTriggers.{name}: must be one of {[m.value for m in cls]} (got {value!r})"
        ) from None


@dataclass(frozen=True)
class RebalanceTriggers:
    """Trigger thresholds and the settings of the requests they raise (specification §10's defaults).

    Thresholds are fractions (``0.05`` is 5%); each fires when the observed value exceeds it
    (strictly, see the module notes).

    Attributes
    ----------
    enabled : tuple of TriggerKind
        Triggers evaluated (all by default).
    frequency : Frequency, default MONTHLY
        Calendar of TIME_BASED rebalances; ``day_of_month`` (1-31, default 1) for the monthly,
        quarterly and annual ones, ``weekday`` (0 = Monday) for weekly.
    weight_deviation : float, default 0.05
        Largest ``|weight - target|`` tolerated, in weight (fraction of NAV, absolute).
    risk_budget_breach : float, default 0.10
        Largest relative excess ``risk share / budget - 1`` tolerated.
    performance_divergence : float, default 0.15
        Largest ``|trailing return - reference return|`` tolerated (return units: 0.15 = 15
        percentage points over ``performance_window`` rows).
    volatility_spike : float, default 0.25
        Largest ``recent vol / long-run vol - 1`` tolerated.
    correlation_regime_change : float, default 0.20
        Largest ``|recent - long-run mean pairwise correlation|`` tolerated (correlation units).
    recent_window, long_window : int, default 21, 252
        Return rows of the "recent" and "long-run" estimates (volatility and correlation); the
        long window includes the recent one.
    performance_window : int, default 63
        Return rows of the trailing returns (a quarter).
    performance_reference : PerformanceReference, optional
        Reference of the performance trigger; default the benchmark when the market has one,
        else the target portfolio.
    check_instruments : bool, default True
        Also test each held or targeted instrument's trailing return (not only the portfolio's).
    cov_method, cov_window : CovMethod, int
        Covariance of risk shares and VaR (``market.covariance(cov_method, window=cov_window)``;
        with the defaults a market's given covariance is used).
    var_confidence, var_horizon : float, int
        Parametric (normal, zero-mean) VaR of ``risk_considerations``: confidence and horizon in
        rows (VaR = ``z * sigma_annual * sqrt(horizon / periods_per_year)``, fraction of NAV).
    severity_breaks : (float, float, float), default (1.2, 1.5, 2.0)
        ``observed / threshold`` at which severity becomes MEDIUM, HIGH, CRITICAL (below the
        first: LOW). The specification's example, a 6% drift against 5% (ratio 1.2), is MEDIUM.
    max_turnover, min_trade_size, execution_timeframe, cost_limit
        The requests' ``constraints`` (specification §10: 0.10, 1000, ``"1_day"``, 0.002).
    adv_participation : float, default 0.10
        ``liquidity_requirements`` is ``"HIGH"`` when an adjustment trades more than this
        fraction of the instrument's 20-day average daily volume (needs market volumes).
    """

    enabled: tuple[TriggerKind, ...] = tuple(TriggerKind)
    frequency: Frequency = Frequency.MONTHLY
    day_of_month: int = 1
    weekday: int = 0
    weight_deviation: float = 0.05
    risk_budget_breach: float = 0.10
    performance_divergence: float = 0.15
    volatility_spike: float = 0.25
    correlation_regime_change: float = 0.20
    recent_window: int = 21
    long_window: int = 252
    performance_window: int = 63
    performance_reference: PerformanceReference | None = None
    check_instruments: bool = True
    cov_method: CovMethod = CovMethod.LEDOIT_WOLF
    cov_window: int = 504
    var_confidence: float = 0.95
    var_horizon: int = 1
    severity_breaks: tuple[float, float, float] = (1.2, 1.5, 2.0)
    max_turnover: float = 0.10
    min_trade_size: float = 1000.0
    execution_timeframe: str = "1_day"
    cost_limit: float = 0.002
    adv_participation: float = 0.10

    def __post_init__(self) -> None:
        put = object.__setattr__
        if isinstance(self.enabled, str) or not hasattr(self.enabled, "__iter__"):
            raise ConfigError("RebalanceTriggers.enabled: must be a sequence of TriggerKind")
        kinds = {_enum("enabled", TriggerKind, k) for k in self.enabled}
        put(self, "enabled", tuple(k for k in TriggerKind if k in kinds))
        put(self, "frequency", _enum("frequency", Frequency, self.frequency))
        put(self, "cov_method", _enum("cov_method", CovMethod, self.cov_method))
        if self.performance_reference is not None:
            ref = _enum("performance_reference", PerformanceReference, self.performance_reference)
            put(self, "performance_reference", ref)
        for name in (
            "weight_deviation",
            "risk_budget_breach",
            "performance_divergence",
            "volatility_spike",
            "correlation_regime_change",
        ):
            _num(name, getattr(self, name), lo=0.0)
        _int("day_of_month", self.day_of_month, 1, 31)
        _int("weekday", self.weekday, 0, 6)
        _int("recent_window", self.recent_window, 2)
        _int("long_window", self.long_window, 2)
        _int("performance_window", self.performance_window, 1)
        _int("cov_window", self.cov_window, 2)
        _int("var_horizon", self.var_horizon, 1)
        if self.recent_window >= self.long_window:
            raise ConfigError("RebalanceTriggers: recent_window must be < long_window")
        _num("var_confidence", self.var_confidence, lo=0.5, hi=1.0)
        if self.var_confidence >= 1:
            raise ConfigError("RebalanceTriggers.var_confidence: must be < 1")
        breaks = tuple(self.severity_breaks)
        if len(breaks) != 3 or not all(
            isinstance(b, int | float) and math.isfinite(b) and b >= 1 for b in breaks
        ):
            raise ConfigError("RebalanceTriggers.severity_breaks: three finite numbers >= 1")
        if not breaks[0] <= breaks[1] <= breaks[2]:
            raise ConfigError("RebalanceTriggers.severity_breaks: must be non-decreasing")
        put(self, "severity_breaks", tuple(float(b) for b in breaks))
        if not isinstance(self.check_instruments, bool):
            raise ConfigError("RebalanceTriggers.check_instruments: must be a bool")
        _num("max_turnover", self.max_turnover, lo=0.0, strict_lo=False)
        _num("min_trade_size", self.min_trade_size, lo=0.0, strict_lo=False)
        _num("cost_limit", self.cost_limit, lo=0.0, strict_lo=False)
        _num("adv_participation", self.adv_participation, lo=0.0)
        if not isinstance(self.execution_timeframe, str) or not self.execution_timeframe:
            raise ConfigError("RebalanceTriggers.execution_timeframe: a non-empty string")

"""Strategy registry: capital budgets, aggregation weights and track records (seed 003).

A strategy registered with an ``allocation`` may spend at most that fraction of NAV on
position-increasing trades in one coordination (less what it already uses). Its track record
sets the priority of its signals (CRITICAL / HIGH / MEDIUM / LOW) and its weight under
PERFORMANCE_WEIGHTED resolution.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from portlab.exceptions import ConfigError

__all__ = ["DEFAULT_STRATEGY", "PerformanceTier", "Strategy", "TrackRecord", "registry"]

#: strategy name given to signals that carry no ``strategy_id``
DEFAULT_STRATEGY = "default"
#: fewer closed trades than this and a track record is not trusted (seed 003: 20+ trades)
MIN_TRADES = 20


class PerformanceTier(enum.IntEnum):
    """Track-record tier, ordered so that larger is better."""

    POOR = 0
    AVERAGE = 1
    GOOD = 2
    EXCELLENT = 3


class TrackRecord(BaseModel):
    """A strategy's realised performance.

    Parameters
    ----------
    win_rate : float, optional
        Fraction of winning trades, in [0, 1].
    sharpe : float, optional
        Annualised Sharpe ratio.
    profit_factor : float, optional
        Gross profit over gross loss (>= 0).
    n_trades : int
        Closed trades behind the figures; below 20 the record counts as AVERAGE.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    win_rate: float | None = Field(default=None, ge=0, le=1)
    sharpe: float | None = Field(default=None, allow_inf_nan=False)
    profit_factor: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    n_trades: int = Field(default=0, ge=0)

    def tier(self) -> PerformanceTier:
        """Seed 003's tiers: EXCELLENT, GOOD, AVERAGE (default, or too few trades), POOR."""
        if self.n_trades < MIN_TRADES or self._empty():
            return PerformanceTier.AVERAGE
        wr, sh, pf = self.win_rate, self.sharpe, self.profit_factor
        if (
            (wr is not None and wr < 0.45)
            or (sh is not None and sh < 0)
            or (pf is not None and pf < 1.0)
        ):
            return PerformanceTier.POOR
        if (wr is None or wr >= 0.60) and (sh is None or sh >= 1.5) and (pf is None or pf >= 1.5):
            return PerformanceTier.EXCELLENT
        if (
            (wr is not None and wr >= 0.55)
            or (sh is not None and sh >= 1.0)
            or (pf is not None and pf >= 1.3)
        ):
            return PerformanceTier.GOOD
        return PerformanceTier.AVERAGE

    def score(self) -> float:
        """A performance score in [0, 1]: the mean of the available normalised metrics.

        win rate as is; Sharpe mapped linearly from [-1, 3] to [0, 1]; profit factor from
        [0, 3] to [0, 1]. 0.5 when the record is empty or has fewer than 20 trades.
        """
        if self.n_trades < MIN_TRADES or self._empty():
            return 0.5
        parts = []
        if self.win_rate is not None:
            parts.append(self.win_rate)
        if self.sharpe is not None:
            parts.append(float(np.clip((self.sharpe + 1.0) / 4.0, 0.0, 1.0)))
        if self.profit_factor is not None:
            parts.append(float(np.clip(self.profit_factor / 3.0, 0.0, 1.0)))
        return float(np.mean(parts))

    def _empty(self) -> bool:
        return self.win_rate is None and self.sharpe is None and self.profit_factor is None


class Strategy(BaseModel):
    """A registered strategy.

    Parameters
    ----------
    name : str
        The ``strategy_id`` its signals carry.
    allocation : float
        Capital budget, a fraction of NAV in (0, 1]: the most its signals may add to gross
        exposure in one coordination (seed 003 ``register_strategy(..., 0.30)``).
    weight : float
        Aggregation weight under WEIGHTED_AVERAGE / VOLATILITY_ADJUSTED resolution.
    used : float
        Part of the allocation already in use by its open positions (fraction of NAV).
    track_record : TrackRecord
        Realised performance, for priorities and PERFORMANCE_WEIGHTED resolution.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    allocation: float = Field(default=1.0, gt=0, le=1)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    used: float = Field(default=0.0, ge=0)
    track_record: TrackRecord = Field(default_factory=TrackRecord)

    @property
    def budget(self) -> float:
        """Allocation still free: ``max(allocation - used, 0)``."""
        return max(self.allocation - self.used, 0.0)


def registry(
    strategies: Iterable[Strategy | Mapping] | Mapping[str, float | Mapping] | None,
) -> dict[str, Strategy]:
    """Normalise the ways users register strategies into ``{name: Strategy}``.

    Accepts a list of :class:`Strategy` (or dicts of its fields), or a mapping of name to
    allocation (``{"momentum": 0.30}``) or to a dict of fields. Total allocations above 1
    are an error (seed 003 leaves unallocated capital free; it never over-allocates).
    """
    if strategies is None:
        return {}
    out: dict[str, Strategy] = {}
    if isinstance(strategies, Mapping):
        items = []
        for name, spec in strategies.items():
            if isinstance(spec, Strategy):
                items.append(spec)
            elif isinstance(spec, Mapping):
                items.append(Strategy(name=name, **spec))
            else:
                items.append(Strategy(name=name, allocation=float(spec)))
    else:
        items = [s if isinstance(s, Strategy) else Strategy(**s) for s in strategies]
    for s in items:
        if s.name in out:
            raise ConfigError(f"strategy {s.name!r} registered twice")
        out[s.name] = s
    total = sum(s.allocation for s in out.values())
    if total > 1.0 + 1e-9:
        raise ConfigError(f"strategy allocations sum to {total:.4f} > 1")
    return out

"""Strategy registry: capital budgets, aggregation weights and track records (specification §8).

A strategy registered with an ``allocation`` may spend at most that fraction of NAV on
position-increasing trades in one coordination (less what it already uses). Its track record
sets the priority of its signals (CRITICAL / HIGH / MEDIUM / LOW) and its weight under
PERFORMANCE_WEIGHTED resolution.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from portlab.exceptions import ConfigError

__all__ = [
    "EXCELLENT_FROM",
    "GOOD_FROM",
    "MIN_TRADES",
    "NEUTRAL_SCORE",
    "POOR_BELOW",
    "SCORE_RANGES",
    "PerformanceTier",
    "StrategiesLike",
    "Strategy",
    "TrackRecord",
    "registry",
]

#: fewer closed trades than this and a track record is not trusted (performance tiers,
#: specification §8: a tier needs 20 or more closed trades)
MIN_TRADES = 20
#: the score of a strategy without a trusted track record: the middle of [0, 1]
NEUTRAL_SCORE = 0.5
#: Performance tiers (specification §8), over the metrics a record gives: POOR when any is
#: below its floor; else EXCELLENT when all reach their bar; else GOOD when any reaches its bar
POOR_BELOW = {"win_rate": 0.45, "sharpe": 0.0, "profit_factor": 1.0}
EXCELLENT_FROM = {"win_rate": 0.60, "sharpe": 1.5, "profit_factor": 1.5}
GOOD_FROM = {"win_rate": 0.55, "sharpe": 1.0, "profit_factor": 1.3}
#: the score maps each metric linearly from this range onto [0, 1] (clipped): a win rate is
#: one already; a Sharpe ratio of -1 scores 0 and of 3 scores 1; a profit factor of 3 scores 1
SCORE_RANGES = {"win_rate": (0.0, 1.0), "sharpe": (-1.0, 3.0), "profit_factor": (0.0, 3.0)}
#: registered allocations may sum to 1 up to this: fractions written as decimals (0.3 + 0.3 +
#: 0.4) sum to 1 only up to rounding, about 1e-16 per term
_ALLOCATION_SUM_TOL = 1e-9


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
    avg_win, avg_loss : float, optional
        Mean return of the winning trades and mean loss of the losing ones (a positive
        fraction: 0.02 is a 2% loss), e.g. from realized outcomes
        (:func:`portlab.engine.learning.track_records`). They do not enter the tier or the
        score; left out of the serialised record when not given (so records without them
        keep their stored form).

    Examples
    --------
    >>> record = TrackRecord(win_rate=0.58, sharpe=1.2, n_trades=140)
    >>> record.tier().name, round(record.score(), 3)
    ('GOOD', 0.565)
    >>> TrackRecord(win_rate=0.9, n_trades=5).tier().name  # too few trades to trust
    'AVERAGE'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    win_rate: float | None = Field(default=None, ge=0, le=1)
    sharpe: float | None = Field(default=None, allow_inf_nan=False)
    profit_factor: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    n_trades: int = Field(default=0, ge=0)
    avg_win: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    avg_loss: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name in ("avg_win", "avg_loss"):
            if data.get(name, 0) is None:
                del data[name]
        return data

    def tier(self) -> PerformanceTier:
        """Performance tiers (specification §8): EXCELLENT, GOOD, AVERAGE (default, or too few
        trades), POOR."""
        if self.n_trades < MIN_TRADES or self._empty():
            return PerformanceTier.AVERAGE
        given = {k: v for k, v in self._metrics().items() if v is not None}
        if any(v < POOR_BELOW[k] for k, v in given.items()):
            return PerformanceTier.POOR
        if all(v >= EXCELLENT_FROM[k] for k, v in given.items()):
            return PerformanceTier.EXCELLENT
        if any(v >= GOOD_FROM[k] for k, v in given.items()):
            return PerformanceTier.GOOD
        return PerformanceTier.AVERAGE

    def score(self) -> float:
        """A performance score in [0, 1]: the mean of the available normalised metrics.

        win rate as is; Sharpe mapped linearly from [-1, 3] to [0, 1]; profit factor from
        [0, 3] to [0, 1] (:data:`SCORE_RANGES`). 0.5 when the record is empty or has fewer
        than 20 trades.
        """
        if self.n_trades < MIN_TRADES or self._empty():
            return NEUTRAL_SCORE
        parts = []
        for name, value in self._metrics().items():
            if value is not None:
                lo, hi = SCORE_RANGES[name]
                parts.append(float(np.clip((value - lo) / (hi - lo), 0.0, 1.0)))
        return float(np.mean(parts))

    def _metrics(self) -> dict[str, float | None]:
        return {
            "win_rate": self.win_rate,
            "sharpe": self.sharpe,
            "profit_factor": self.profit_factor,
        }

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
        exposure in one coordination (e.g. 0.30; specification §8).
    weight : float
        Aggregation weight under WEIGHTED_AVERAGE / VOLATILITY_ADJUSTED resolution.
    used : float
        Part of the allocation already in use by its open positions (fraction of NAV).
    track_record : TrackRecord
        Realised performance, for priorities and PERFORMANCE_WEIGHTED resolution.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field(min_length=1)
    allocation: float = Field(default=1.0, gt=0, le=1)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    used: float = Field(default=0.0, ge=0)
    track_record: TrackRecord = Field(default_factory=TrackRecord)

    @property
    def budget(self) -> float:
        """Allocation still free: ``max(allocation - used, 0)``."""
        return max(self.allocation - self.used, 0.0)


StrategiesLike: TypeAlias = (
    Iterable[Strategy | Mapping[str, Any]]
    | Mapping[str, float | Mapping[str, Any] | Strategy]
    | None
)
"""Strategies to register: a list of :class:`Strategy` (or dicts of its fields), a mapping of
name to allocation (``{"momentum": 0.30}``), to a dict of fields or to a Strategy, or None
(no registry: every strategy is accepted)."""


def registry(strategies: StrategiesLike) -> dict[str, Strategy]:
    """Normalise the ways users register strategies into ``{name: Strategy}``.

    Accepts a list of :class:`Strategy` (or dicts of its fields), or a mapping of name to
    allocation (``{"momentum": 0.30}``) or to a dict of fields. Total allocations above 1
    are an error (unallocated capital stays free; the registry never over-allocates).
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
    if total > 1.0 + _ALLOCATION_SUM_TOL:
        raise ConfigError(f"strategy allocations sum to {total:.4f} > 1")
    return out

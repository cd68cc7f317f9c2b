"""Adaptation: the engine learns from its outcomes (issue 14; the implementation plan's agent
state, ``learning_rate`` and ``adaptation_period``).

Each strategy carries three adaptive quantities, all neutral at the start:

============================  =================================================================
quantity                      what it does to the strategy's later signals
============================  =================================================================
``calibration``  (x1)         multiplies the success probability Kelly reads, for signals
                              sized as a binary bet (a stop and a target):
                              ``p' = clip(calibration × p, 0, 1)``
``kelly_scale``  (x1)         multiplies ``SizingConfig.kelly_multiplier`` for signals sized
                              from their expected return (no stop): Kelly does not read a
                              probability there, so the calibrated Kelly is applied as a scale
                              (the product never above 2, the multiplier's own bound)
``priority_shift`` (0 tiers)  shifts the strategy's performance tier (rounded half away from
                              zero), from which the priority follows by the §4 rules
============================  =================================================================

A binary-bet signal gets the calibrated probability and not the scale (the calibrated
probability already gives the calibrated Kelly fraction: applying both would count the same
overconfidence twice); an expected-return signal gets the scale.

How they learn (:func:`update`)
    Outcomes are the decisions' trades marked to market at their horizons
    (:mod:`portlab.engine.realized`), in the order they became known. Every
    ``adaptation_period`` realized outcomes of a strategy (the period counts outcomes, not
    days: a strategy that trades rarely gathers evidence slowly and adapts as slowly), its
    evidence -- all its realized outcomes so far, or the last ``lookback`` -- gives each
    quantity a *target*, and the quantity moves toward it by at most ``learning_rate``
    (``x ← x + clip(target - x, -learning_rate, learning_rate)``), never outside its bounds.
    With ``n`` outcomes of stated probabilities ``p_i``, hit rate ``W`` (the share with a
    positive return in the decision's direction), mean stated ``p̄`` and payoff ratio
    ``R = average win / average loss``:

    * *noise band*: the evidence shows a miscalibration only when
      ``|W - p̄| > noise_z × se``, ``se = sqrt(Σ p_i (1 - p_i)) / n`` (the standard error of
      the hit rate of a calibrated strategy, a binomial one). Inside the band the calibration
      and Kelly targets are neutral (1): a well-calibrated strategy does not move (and one
      that moved drifts back once the evidence no longer shows a miscalibration).
    * ``calibration`` target: ``W / p̄``, clipped to ``[calibration_min, calibration_max]``.
    * ``kelly_scale`` target: the calibrated Kelly over the stated Kelly at the realized payoff,
      ``f(W) / f(p̄)`` with ``f(x) = x - (1 - x) / R``, clipped to
      ``[kelly_scale_min, kelly_scale_max]`` (no edge at the realized hit rate: the minimum;
      no edge at the stated one: the maximum if ``W > p̄``, else the minimum).
    * ``priority_shift`` target: the tier of the track record the evidence gives
      (:func:`track_records`, the tiers of §8) minus the strategy's stated tier (its
      registered track record; AVERAGE when it has none), clipped to
      ``±priority_shift_max``; with fewer than :data:`~portlab.engine.strategies.MIN_TRADES`
      outcomes a tier is not trusted and the shift holds.

    Every change is recorded (:attr:`AdaptiveState.changes`: when, which strategy, which
    quantity, from what to what, toward which target, and the evidence: number of outcomes,
    stated mean probability, realized hit rate, its standard error, the realized tier), and
    each later decision of the strategy says in its reasoning what was applied.

No look-ahead
    The evidence at the ``k``-th update of a strategy is its first ``k × adaptation_period``
    realized outcomes, whenever :func:`update` is called; an outcome is realized only once its
    exit price (and fill) is known. So the state at a date depends only on outcomes known by
    then, and the same outcomes always give the same state.

Examples
--------
Sixty outcomes of a strategy that states 65% and hits 45%, winning and losing 2%:

>>> import numpy as np, pandas as pd
>>> wins = np.tile(np.r_[np.ones(9), np.zeros(11)], 3).astype(bool)
>>> known = pd.date_range("2022-01-03", periods=60, freq="B", tz="UTC")
>>> frame = pd.DataFrame({
...     "decision_id": [f"d{i:02d}" for i in range(60)], "strategy_id": "momentum",
...     "decided_at": known - pd.Timedelta(days=7), "known_at": known,
...     "stated_p": 0.65, "horizon_days": 5.0, "return": np.where(wins, 0.02, -0.02),
...     "win": wins, "realized": True})
>>> state = update(AdaptiveState({"learning_rate": 0.05, "adaptation_period": 20}), frame)
>>> a = state.get("momentum")
>>> round(a.calibration, 2), round(a.kelly_scale, 2), a.n_outcomes
(0.9, 0.9, 60)
>>> state.changes[["quantity", "old", "new", "n_outcomes"]].round(2).head(3).values.tolist()
[['priority_shift', 0.0, -0.05, 20], ['calibration', 1.0, 0.95, 40], ['kelly_scale', 1.0, 0.95, 40]]

After 20 outcomes the gap (20 points) was inside the noise band (2 × 10.7 points): calibration
and Kelly multiplier held, while the priority shift started down (the realized record, a
losing one, is POOR against a stated AVERAGE); after 40 the gap was beyond the band, and each
quantity moved by the learning rate.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import field_validator

from portlab.dates import DateLike
from portlab.engine._config_values import Bad, Num, fail, number
from portlab.engine.columns import CHANGES
from portlab.engine.config import _Config
from portlab.engine.realized import DEFAULT_HORIZON_DAYS, journal_outcomes, realized
from portlab.engine.signals import assign_priority
from portlab.engine.sizing import TRADING_DAYS
from portlab.engine.strategies import MIN_TRADES, PerformanceTier, Strategy, TrackRecord
from portlab.engine.table import Table
from portlab.exceptions import ConfigError, ValidationError

__all__ = [
    "CHANGE_COLUMNS",
    "Adapted",
    "AdaptedQuantity",
    "AdaptiveConfig",
    "AdaptiveState",
    "Evidence",
    "StrategyAdaptation",
    "adapt_signals",
    "adaptive_setting",
    "current_state",
    "learn",
    "track_records",
    "update",
]

#: columns of :attr:`AdaptiveState.changes`, in order
#: (:data:`portlab.engine.columns.CHANGES`: units and meanings)
CHANGE_COLUMNS = CHANGES.names
#: the largest Kelly multiplier (SizingConfig.kelly_multiplier's bound): beyond it the expected
#: log growth of Kelly betting is negative
_MAX_MULTIPLIER = 2.0


class AdaptedQuantity(enum.StrEnum):
    """The adaptive quantities of a strategy."""

    CALIBRATION = "calibration"  #: multiplies the stated success probability
    KELLY_SCALE = "kelly_scale"  #: multiplies the Kelly multiplier
    PRIORITY_SHIFT = "priority_shift"  #: shifts the performance tier, in tiers


_LOOKBACK = Num(
    1, 10_000_000, "it counts realized outcomes of one strategy", what="a whole number",
    percent=False, integer=True, example=100,
)  # fmt: skip


class AdaptiveConfig(_Config):
    """How the engine adapts each strategy to its realized outcomes (see the module docstring).

    Parameters
    ----------
    learning_rate : float
        The most a quantity moves in one period, in (0, 1]: 0.01 moves a multiple by 0.01
        (one point) and the priority shift by 0.01 tier. Default 0.01 (the plan's).
    adaptation_period : int
        Realized outcomes of a strategy between two updates, a whole number >= 1. Default 20
        (the plan's).
    lookback : int or None
        Evidence window: the last ``lookback`` realized outcomes; None (default) all of them.
    calibration_min, calibration_max : float
        Bounds of the calibration factor (a multiple): in (0, 1] and [1, 10]. Default
        0.5 and 1.5.
    kelly_scale_min, kelly_scale_max : float
        Bounds of the Kelly multiplier's scale: in (0, 1] and [1, 2]. Default 0.25 and 1.5.
    priority_shift_max : float
        The tier shift stays within ``±priority_shift_max``, in [0, 3] tiers. Default 1.
    noise_z : float
        Width of the noise band in standard errors of the hit rate, in [0, 10]: the evidence
        shows a miscalibration only beyond it. Default 2 (a calibrated strategy is outside
        it about 5% of the time at one update).

    Raises
    ------
    ConfigError
        A setting out of its range, not a number, or unknown (one line per problem).

    Examples
    --------
    >>> config = AdaptiveConfig(learning_rate=0.01, adaptation_period=20)
    >>> config.kelly_scale_min, config.kelly_scale_max, config.noise_z
    (0.25, 1.5, 2.0)
    >>> AdaptiveConfig(learning_rate=5)
    Traceback (most recent call last):
    ...
    portlab.exceptions.ConfigError: adaptive.learning_rate: 5 looks like a percentage; the learning rate is the largest move of a multiple in one period: write 0.05 for 5%
    """

    _section: ClassVar[str] = "adaptive"
    _numbers: ClassVar[dict[str, Num]] = {
        "learning_rate": Num(
            0, 1, "the learning rate is the largest move of a multiple in one period",
            lo_open=True,
        ),
        "adaptation_period": Num(
            1, 10_000_000, "it counts realized outcomes of one strategy", what="a whole number",
            percent=False, integer=True,
        ),
        "calibration_min": Num(0, 1, "the lower bound of a multiple of 1", what="a multiple", lo_open=True),
        "calibration_max": Num(1, 10, "the upper bound of a multiple of 1", what="a multiple", percent=False),
        "kelly_scale_min": Num(0, 1, "the lower bound of a multiple of 1", what="a multiple", lo_open=True),
        "kelly_scale_max": Num(
            1, 2, "the upper bound of a multiple of 1 (Kelly multipliers stop at 2)",
            what="a multiple", percent=False,
        ),
        "priority_shift_max": Num(0, 3, "the shift counts performance tiers", what="a number of tiers", percent=False),
        "noise_z": Num(0, 10, "the band counts standard errors", what="a number of standard errors", percent=False),
    }  # fmt: skip

    learning_rate: float = 0.01
    adaptation_period: int = 20
    lookback: int | None = None
    calibration_min: float = 0.5
    calibration_max: float = 1.5
    kelly_scale_min: float = 0.25
    kelly_scale_max: float = 1.5
    priority_shift_max: float = 1.0
    noise_z: float = 2.0

    @field_validator("lookback", mode="before")
    @classmethod
    def _check_lookback(cls, value: Any) -> int | None:
        if value is None:  # every outcome
            return None
        try:
            return int(number(value, _LOOKBACK, 100, hint=", or null for every outcome"))
        except Bad as bad:
            raise fail(str(bad)) from None


@dataclass(frozen=True)
class Evidence:
    """What a strategy's realized outcomes showed at its last update.

    Attributes
    ----------
    n_outcomes : int
        Outcomes in the evidence.
    stated_p : float
        Their mean stated success probability.
    hit_rate : float
        The share that won (a positive return in the decision's direction).
    standard_error : float
        The hit rate's standard error if the strategy were calibrated.
    significant : bool
        The gap between hit rate and stated probability is beyond the noise band.
    track_record : TrackRecord
        The evidence as a track record (win rate, average win and loss, Sharpe, profit
        factor, number of trades).
    calibration_target, kelly_target, priority_target : float
        What the evidence supported for each quantity.
    """

    n_outcomes: int
    stated_p: float
    hit_rate: float
    standard_error: float
    significant: bool
    track_record: TrackRecord
    calibration_target: float
    kelly_target: float
    priority_target: float


@dataclass(frozen=True)
class StrategyAdaptation:
    """One strategy's adaptive quantities (neutral by default).

    Attributes
    ----------
    calibration : float
        Multiple of the stated success probability.
    kelly_scale : float
        Multiple of the Kelly multiplier.
    priority_shift : float
        Shift of the performance tier, in tiers (applied rounded: :attr:`tier_shift`).
    n_outcomes : int
        Realized outcomes counted so far.
    evidence : Evidence or None
        What the last update saw (None before the first).
    """

    calibration: float = 1.0
    kelly_scale: float = 1.0
    priority_shift: float = 0.0
    n_outcomes: int = 0
    evidence: Evidence | None = None

    @property
    def tier_shift(self) -> int:
        """The tier shift applied: :attr:`priority_shift` rounded half away from zero."""
        return int(math.copysign(math.floor(abs(self.priority_shift) + 0.5), self.priority_shift))

    @property
    def neutral(self) -> bool:
        """Nothing is applied: calibration and scale 1, no tier shift."""
        return self.calibration == 1.0 and self.kelly_scale == 1.0 and self.tier_shift == 0

    def describe(self, name: str) -> str:
        """The adaptation in words: ``"momentum: calibration x0.92, Kelly multiplier x0.85
        (hit rate 48% vs stated 55% over 60 outcomes)"``; ``""`` when neutral."""
        if self.neutral:
            return ""
        parts = []
        if self.calibration != 1.0:
            parts.append(f"calibration x{self.calibration:.2f}")
        if self.kelly_scale != 1.0:
            parts.append(f"Kelly multiplier x{self.kelly_scale:.2f}")
        if self.tier_shift:
            parts.append(f"tier {self.tier_shift:+d}")
        return f"{name}: {', '.join(parts)}{_evidence_text(self.evidence)}"


@dataclass(frozen=True)
class AdaptiveState:
    """Every strategy's adaptation and the record of its changes. Immutable: :func:`update`
    returns a new state.

    Parameters
    ----------
    config : AdaptiveConfig or mapping, optional
        The adaptation settings (default :class:`AdaptiveConfig`).
    entries : tuple of (name, StrategyAdaptation)
        The strategies' quantities (default: none, every strategy neutral).
    log : tuple of tuples
        The change records, rows of :data:`CHANGE_COLUMNS`.

    Examples
    --------
    >>> state = AdaptiveState({"learning_rate": 0.02})
    >>> state.get("momentum").kelly_scale, state.changes.empty, state.config.learning_rate
    (1.0, True, 0.02)
    """

    config: AdaptiveConfig = field(default_factory=AdaptiveConfig)
    entries: tuple[tuple[str, StrategyAdaptation], ...] = ()
    log: tuple[tuple[Any, ...], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.config, AdaptiveConfig):
            object.__setattr__(self, "config", _config(self.config))

    @property
    def strategies(self) -> Mapping[str, StrategyAdaptation]:
        """The strategies with an adaptation, by name (read-only)."""
        return MappingProxyType(dict(self.entries))

    def get(self, name: str) -> StrategyAdaptation:
        """A strategy's adaptation (neutral when it has none)."""
        return dict(self.entries).get(name, StrategyAdaptation())

    @property
    def neutral(self) -> bool:
        """No strategy has anything applied."""
        return all(a.neutral for _, a in self.entries)

    @property
    def changes(self) -> pd.DataFrame:
        """Every change, oldest first: columns :data:`CHANGE_COLUMNS` (a new frame each time)."""
        frame = pd.DataFrame(list(self.log), columns=list(CHANGE_COLUMNS))
        return frame.astype({"old": "float64", "new": "float64", "target": "float64"})

    def table(self) -> pd.DataFrame:
        """One row per strategy: its quantities, the tier shift applied and the evidence of
        its last update (NaN before the first).

        Columns: ``calibration``, ``kelly_scale``, ``priority_shift``, ``tier_shift``,
        ``n_outcomes``, ``stated_p``, ``hit_rate``, ``standard_error``, ``significant``,
        ``win_rate``, ``avg_win``, ``avg_loss``, ``sharpe``, ``profit_factor``.
        """
        rows = {}
        for name, a in self.entries:
            e = a.evidence
            record = e.track_record if e is not None else TrackRecord()
            rows[name] = {
                "calibration": a.calibration,
                "kelly_scale": a.kelly_scale,
                "priority_shift": a.priority_shift,
                "tier_shift": a.tier_shift,
                "n_outcomes": a.n_outcomes,
                "stated_p": e.stated_p if e else np.nan,
                "hit_rate": e.hit_rate if e else np.nan,
                "standard_error": e.standard_error if e else np.nan,
                "significant": e.significant if e else False,
                **{k: _nan(getattr(record, k)) for k in _RECORD_FIELDS},
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "strategy_id"
        return frame

    def track_records(self) -> dict[str, TrackRecord]:
        """Each strategy's track record at its last update."""
        return {name: a.evidence.track_record for name, a in self.entries if a.evidence is not None}

    def __repr__(self) -> str:
        moved = {n: a.describe(n) for n, a in self.entries if not a.neutral}
        return (
            f"AdaptiveState(learning_rate={self.config.learning_rate:g}, "
            f"adaptation_period={self.config.adaptation_period}, strategies={len(self.entries)}, "
            f"adapted={sorted(moved)}, changes={len(self.log)})"
        )


_RECORD_FIELDS = ("win_rate", "avg_win", "avg_loss", "sharpe", "profit_factor")


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _config(value: Any) -> AdaptiveConfig:
    if value is None:
        return AdaptiveConfig()
    if isinstance(value, AdaptiveConfig):
        return value
    if isinstance(value, Mapping):
        return AdaptiveConfig.model_validate(dict(value))
    if isinstance(value, str | Path):
        return AdaptiveConfig.from_yaml(value)
    raise ConfigError(
        f"adaptive must be an AdaptiveConfig, an AdaptiveState, a mapping or a YAML path, got "
        f"{type(value).__name__}"
    )


def adaptive_setting(value: Any) -> AdaptiveConfig | AdaptiveState | None:
    """The ``adaptive=`` argument of :class:`~portlab.Coordinator` as it is kept: None, an
    :class:`AdaptiveState` as given, or an :class:`AdaptiveConfig` (from a mapping or YAML).

    Raises
    ------
    ConfigError
        A value of another kind, or invalid settings.
    """
    if value is None or isinstance(value, AdaptiveState):
        return value
    return _config(value)


# -- track records ------------------------------------------------------------------------------


def track_records(
    outcomes: pd.DataFrame, *, as_of: DateLike | None = None
) -> dict[str, TrackRecord]:
    """Each strategy's track record from its realized outcomes.

    ``win_rate`` is the share of outcomes with a positive return; ``avg_win`` the mean return
    of those, ``avg_loss`` the mean loss (positive) of the others; ``profit_factor`` their
    sums' ratio (None without a loss); ``sharpe`` the mean return over its standard deviation
    (``ddof=1``), annualised by ``sqrt(252 / h)`` with ``h`` the mean horizon in trading days
    (None with fewer than two outcomes or no dispersion); ``n_trades`` the number of outcomes.

    Parameters
    ----------
    outcomes : DataFrame
        :func:`~portlab.engine.realized.outcomes` (columns ``strategy_id``, ``return``,
        ``win``, ``horizon_days``, ``realized``, ``known_at``, ``decided_at``,
        ``decision_id``); only realized rows count.
    as_of : date-like, optional
        Only outcomes known by then.

    Returns
    -------
    dict of str to TrackRecord

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"decision_id": ["a", "b", "c", "d"], "strategy_id": "m",
    ...     "decided_at": pd.Timestamp("2022-01-03", tz="UTC"),
    ...     "known_at": pd.Timestamp("2022-02-01", tz="UTC"), "horizon_days": 21.0,
    ...     "return": [0.04, -0.02, 0.01, -0.01], "win": [True, False, True, False],
    ...     "realized": True})
    >>> r = track_records(frame)["m"]
    >>> r.win_rate, r.avg_win, r.avg_loss, r.profit_factor, r.n_trades
    (0.5, 0.025, 0.015, 1.6666666666666667, 4)
    """
    rows = realized(outcomes, as_of)
    out = {}
    for name, group in rows.groupby("strategy_id", sort=True):
        n = len(group)
        stats = _stats(
            group["stated_p"].to_numpy(dtype=np.float64)
            if "stated_p" in group
            else np.full(n, np.nan),
            group["win"].to_numpy(dtype=bool),
            group["return"].to_numpy(dtype=np.float64),
            group["horizon_days"].to_numpy(dtype=np.float64),
            np.array([n]),
            None,
        )
        out[str(name)] = stats.record(0)
    return out


@dataclass(frozen=True)
class _Windows:
    """Statistics of evidence windows (arrays, one entry per window)."""

    n: np.ndarray  # outcomes
    stated_p: np.ndarray  # mean stated probability
    p_var: np.ndarray  # Σ p (1 - p)
    hit_rate: np.ndarray
    avg_win: np.ndarray  # NaN: no win
    avg_loss: np.ndarray  # positive; NaN: no loss
    profit_factor: np.ndarray  # NaN: no loss
    sharpe: np.ndarray  # annualised; NaN: fewer than two outcomes or no dispersion

    def record(self, j: int) -> TrackRecord:
        """The track record of the ``j``-th window."""

        def opt(values: np.ndarray) -> float | None:
            x = float(values[j])
            return x if math.isfinite(x) else None

        return TrackRecord(
            win_rate=float(self.hit_rate[j]),
            sharpe=opt(self.sharpe),
            profit_factor=opt(self.profit_factor),
            n_trades=int(self.n[j]),
            avg_win=opt(self.avg_win),
            avg_loss=opt(self.avg_loss),
        )


def _stats(
    p: np.ndarray,
    win: np.ndarray,
    ret: np.ndarray,
    horizon: np.ndarray,
    ends: np.ndarray,
    lookback: int | None,
) -> _Windows:
    """The evidence of the outcomes ``[max(0, e - lookback), e)`` for each ``e`` in ``ends``,
    vectorised by cumulative sums."""

    def window(x: np.ndarray) -> np.ndarray:
        c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
        return c[ends] - c[starts]

    starts = np.maximum(ends - lookback, 0) if lookback else np.zeros_like(ends)
    n = (ends - starts).astype(np.float64)
    wins = window(win.astype(np.float64))
    gain = window(np.where(win, ret, 0.0))
    pain = window(np.where(win, 0.0, -ret))
    square = window(ret * ret)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = window(ret) / n
        var = np.where(n > 1, (square - n * mean * mean) / (n - 1), np.nan)
        sd = np.sqrt(np.maximum(var, 0.0))
        # a deviation below a millionth of the returns' size is rounding: no dispersion
        spread = (n > 1) & (sd > 1e-6 * np.sqrt(square / n))
        sharpe = np.where(spread, mean / sd, np.nan) * np.sqrt(TRADING_DAYS * n / window(horizon))
        return _Windows(
            n=n,
            stated_p=window(p) / n,
            p_var=window(p * (1 - p)),
            hit_rate=wins / n,
            avg_win=np.where(wins > 0, gain / wins, np.nan),
            avg_loss=np.where(n - wins > 0, pain / (n - wins), np.nan),
            profit_factor=np.where(pain > 0, gain / pain, np.nan),
            sharpe=sharpe,
        )


# -- learning -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Targets:
    """What each evidence window supports (arrays, one entry per window)."""

    standard_error: np.ndarray
    significant: np.ndarray
    calibration: np.ndarray
    kelly: np.ndarray


def _kelly(x: np.ndarray, inverse_payoff: np.ndarray) -> np.ndarray:
    """``x - (1 - x) / R`` with ``1 / R`` given (0 when nothing was lost, inf when nothing won)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(x >= 1.0, x, x - (1.0 - x) * inverse_payoff)


def _targets(w: _Windows, cfg: AdaptiveConfig) -> _Targets:
    """Calibration and Kelly targets of each evidence window, and whether it is significant."""
    p, hit = w.stated_p, w.hit_rate
    se = np.sqrt(w.p_var) / w.n
    gap = np.abs(hit - p)
    significant = np.where(se > 0, gap > cfg.noise_z * se, gap > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(p > 0, hit / p, np.inf)
        inverse = np.where(
            np.isnan(w.avg_win),
            np.inf,  # nothing won: R = 0
            np.where(
                np.isnan(w.avg_loss) | (w.avg_loss == 0),
                0.0,  # nothing lost: R = inf
                w.avg_loss / w.avg_win,
            ),
        )
        f_stated, f_real = _kelly(p, inverse), _kelly(hit, inverse)
        kelly = np.where(
            f_stated > 0,
            f_real / f_stated,
            np.where(hit > p, cfg.kelly_scale_max, cfg.kelly_scale_min),
        )
    kelly = np.where(np.isnan(kelly), cfg.kelly_scale_min, kelly)
    return _Targets(
        standard_error=se,
        significant=significant,
        calibration=np.where(
            significant, np.clip(ratio, cfg.calibration_min, cfg.calibration_max), 1.0
        ),
        kelly=np.where(significant, np.clip(kelly, cfg.kelly_scale_min, cfg.kelly_scale_max), 1.0),
    )


def _step(old: float, target: float, rate: float, lo: float, hi: float) -> float:
    """``old`` moved toward ``target`` by at most ``rate``, kept within ``[lo, hi]`` (rounded
    to 12 decimals, so that 1 - 0.01 - 0.01 is 0.98 and a shift of -0.1 five times is -0.5)."""
    moved = round(old + min(max(target - old, -rate), rate), 12)
    return float(min(max(moved, lo), hi))


def _stated_tier(stated: Mapping[str, Any] | None, name: str) -> int:
    """The stated tier of a strategy: its registered track record's (AVERAGE without one)."""
    given = None if stated is None else stated.get(name)
    if isinstance(given, Strategy):
        given = given.track_record
    if isinstance(given, TrackRecord):
        return int(given.tier())
    if isinstance(given, PerformanceTier | int):
        return int(given)
    return int(PerformanceTier.AVERAGE)


def update(
    state: AdaptiveState,
    outcomes: pd.DataFrame,
    *,
    stated: Mapping[str, TrackRecord | Strategy | PerformanceTier] | None = None,
    as_of: DateLike | None = None,
) -> AdaptiveState:
    """The state after the periods that ``outcomes`` complete (see the module docstring).

    Parameters
    ----------
    state : AdaptiveState
        The state so far (never mutated).
    outcomes : DataFrame
        Every outcome so far (:func:`~portlab.engine.realized.outcomes`; columns
        ``decision_id``, ``strategy_id``, ``decided_at``, ``known_at``, ``stated_p``,
        ``horizon_days``, ``return``, ``win``, ``realized``): the ones ``state`` already
        counted and the new ones. Only realized rows known by ``as_of`` count, in the order
        they became known.
    stated : mapping of strategy to TrackRecord, Strategy or PerformanceTier, optional
        The strategies' stated track records (the registry's), against which the realized
        tier sets the priority shift (default AVERAGE).
    as_of : date-like, optional
        Only outcomes known by then.

    Returns
    -------
    AdaptiveState
        A new state: each strategy with its realized outcome count, its quantities after each
        completed period, and the changes appended to the log.

    Raises
    ------
    ValidationError
        ``outcomes`` lacks a column, or holds fewer realized outcomes of a strategy than
        ``state`` already counted (they must be the whole history, not only the new ones).
    """
    cfg = state.config
    rows = realized(outcomes, as_of)
    missing = [
        c for c in ("strategy_id", "stated_p", "return", "win", "horizon_days") if c not in rows
    ]
    if missing:
        raise ValidationError(f"outcomes: missing column(s) {missing}")
    entries = dict(state.entries)
    new_rows: list[tuple[Any, ...]] = []
    period = cfg.adaptation_period
    for name, group in rows.groupby("strategy_id", sort=True):
        name = str(name)
        now = entries.get(name, StrategyAdaptation())
        count = len(group)
        if count < now.n_outcomes:
            raise ValidationError(
                f"outcomes: {count} realized outcomes of {name!r}, but the state has counted "
                f"{now.n_outcomes}: give every outcome so far, not only the new ones"
            )
        ends = np.arange((now.n_outcomes // period + 1) * period, count + 1, period)
        if not len(ends):
            entries[name] = replace(now, n_outcomes=count)
            continue
        stats = _stats(
            group["stated_p"].to_numpy(dtype=np.float64),
            group["win"].to_numpy(dtype=bool),
            group["return"].to_numpy(dtype=np.float64),
            group["horizon_days"].to_numpy(dtype=np.float64),
            ends,
            cfg.lookback,
        )
        targets = _targets(stats, cfg)
        known = pd.DatetimeIndex(group["known_at"])
        base = _stated_tier(stated, name)
        for j, end in enumerate(ends):
            record = stats.record(j)
            tier = record.tier()
            shift_target = (
                float(np.clip(int(tier) - base, -cfg.priority_shift_max, cfg.priority_shift_max))
                if stats.n[j] >= MIN_TRADES
                else now.priority_shift
            )
            evidence = Evidence(
                n_outcomes=int(stats.n[j]),
                stated_p=float(stats.stated_p[j]),
                hit_rate=float(stats.hit_rate[j]),
                standard_error=float(targets.standard_error[j]),
                significant=bool(targets.significant[j]),
                track_record=record,
                calibration_target=float(targets.calibration[j]),
                kelly_target=float(targets.kelly[j]),
                priority_target=shift_target,
            )
            lr = cfg.learning_rate
            moved = StrategyAdaptation(
                calibration=_step(
                    now.calibration, evidence.calibration_target, lr,
                    cfg.calibration_min, cfg.calibration_max,
                ),
                kelly_scale=_step(
                    now.kelly_scale, evidence.kelly_target, lr,
                    cfg.kelly_scale_min, cfg.kelly_scale_max,
                ),
                priority_shift=_step(
                    now.priority_shift, shift_target, lr,
                    -cfg.priority_shift_max, cfg.priority_shift_max,
                ),
                n_outcomes=int(end),
                evidence=evidence,
            )  # fmt: skip
            for quantity, target in (
                (AdaptedQuantity.CALIBRATION, evidence.calibration_target),
                (AdaptedQuantity.KELLY_SCALE, evidence.kelly_target),
                (AdaptedQuantity.PRIORITY_SHIFT, shift_target),
            ):
                old, new = getattr(now, quantity.value), getattr(moved, quantity.value)
                if new != old:
                    new_rows.append(
                        (
                            known[end - 1],
                            name,
                            quantity.value,
                            old,
                            new,
                            target,
                            evidence.n_outcomes,
                            evidence.stated_p,
                            evidence.hit_rate,
                            evidence.standard_error,
                            tier.name,
                        )
                    )
            now = moved
        entries[name] = replace(now, n_outcomes=count)
    # the changes of this call in time order (strategies interleave): stable, so a strategy's
    # changes at one time keep the order calibration, kelly_scale, priority_shift
    new_rows.sort(key=lambda row: row[0])
    return AdaptiveState(cfg, tuple(sorted(entries.items())), (*state.log, *new_rows))


def learn(
    outcomes: pd.DataFrame,
    config: AdaptiveConfig | Mapping[str, Any] | None = None,
    *,
    stated: Mapping[str, TrackRecord | Strategy | PerformanceTier] | None = None,
    as_of: DateLike | None = None,
) -> AdaptiveState:
    """:func:`update` of a neutral state: what ``outcomes`` teach from the start."""
    return update(AdaptiveState(_config(config)), outcomes, stated=stated, as_of=as_of)


def current_state(
    setting: AdaptiveConfig | AdaptiveState | None,
    journal: Any,
    market: Any,
    as_of: pd.Timestamp,
    strategies: Mapping[str, Strategy],
    default_horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> AdaptiveState | None:
    """The state a coordination uses: a given :class:`AdaptiveState` as is; with an
    :class:`AdaptiveConfig`, what the journal's outcomes known at ``as_of`` teach when the
    journal can be read (a :class:`portlab.journal.Journal`), else the neutral state."""
    if setting is None or isinstance(setting, AdaptiveState):
        return setting
    readable = callable(getattr(journal, "decisions", None)) and callable(
        getattr(journal, "inputs", None)
    )
    if not readable:
        return AdaptiveState(setting)
    found = journal_outcomes(
        journal, market, as_of=as_of, default_horizon_days=default_horizon_days
    )
    return learn(found, setting, stated=strategies, as_of=as_of)


# -- applying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adapted:
    """Signals with the adaptation applied (:func:`adapt_signals`).

    Attributes
    ----------
    signals : Table
        The signal table, ``success_probability``, ``performance_tier`` and ``priority``
        adapted (a new table; the columns not adapted are shared with the input).
    kelly_scale : ndarray or None
        Per-signal scale of the Kelly multiplier (None: nothing to scale).
    notes : mapping of signal id to str
        What was applied to each adapted signal, for its decision's reasoning.
    """

    signals: Table
    kelly_scale: np.ndarray | None = None
    notes: Mapping[str, str] = field(default_factory=dict)

    def reasoning(self, decisions: Table) -> np.ndarray:
        """The decisions' ``reasoning`` with each adapted winning signal's note first."""
        texts = np.asarray(decisions["reasoning"], dtype=object)
        if not self.notes:
            return texts
        out = texts.copy()
        for k, sid in enumerate(decisions["signal_id"]):
            note = self.notes.get(sid) if isinstance(sid, str) else None
            if note:
                out[k] = f"{note}; {texts[k]}"
        return out


def adapt_signals(
    signals: Table, state: AdaptiveState | None, kelly_multiplier: float = 1.0
) -> Adapted:
    """Apply each strategy's adaptation to enriched signals (see the module docstring).

    Parameters
    ----------
    signals : Table
        Enriched signals (:data:`~portlab.engine.columns.SIGNALS` and
        :data:`~portlab.engine.columns.ENRICHMENT`). Never mutated.
    state : AdaptiveState or None
        None, or a neutral state: the signals unchanged.
    kelly_multiplier : float
        ``SizingConfig.kelly_multiplier``: the scale is capped so that their product stays at
        most 2.

    Returns
    -------
    Adapted
    """
    if state is None or state.neutral or not len(signals["signal_id"]):
        return Adapted(signals)
    names = signals["strategy_id"]
    binary = ~np.isnan(signals["stop_price"]) & ~np.isnan(signals["price_target"])
    sp, conf = signals["success_probability"], signals["confidence"]
    p_used = np.where(np.isnan(sp), conf, sp)
    new_p = sp.copy()
    scale = np.ones(len(names))
    tiers = signals["performance_tier"].copy()
    notes: dict[str, str] = {}
    cap = _MAX_MULTIPLIER / kelly_multiplier
    for name in sorted(set(names)):
        a = state.get(name)
        if a.neutral:
            continue
        mine = names == name
        calibrate = mine & binary & (a.calibration != 1.0)
        new_p[calibrate] = np.clip(a.calibration * p_used[calibrate], 0.0, 1.0)
        scaled = mine & ~binary
        scale[scaled] = min(a.kelly_scale, cap)
        if a.tier_shift:
            tiers[mine] = np.clip(
                tiers[mine] + a.tier_shift, PerformanceTier.POOR, PerformanceTier.EXCELLENT
            )
        for k in np.flatnonzero(mine):
            notes[str(signals["signal_id"][k])] = _note(
                name,
                a,
                bool(binary[k]),
                float(p_used[k]),
                float(new_p[k]) if calibrate[k] else None,
            )
    out = dict(signals)
    out["success_probability"] = new_p
    out["performance_tier"] = tiers
    shifted = tiers != signals["performance_tier"]
    out["priority"] = np.where(
        shifted, assign_priority(conf, signals["urgency"], tiers), signals["priority"]
    )
    return Adapted(out, scale if np.any(scale != 1.0) else None, notes)


def _evidence_text(e: Evidence | None) -> str:
    if e is None:
        return ""
    return f" (hit rate {e.hit_rate:.0%} vs stated {e.stated_p:.0%} over {e.n_outcomes} outcomes)"


def _note(name: str, a: StrategyAdaptation, binary: bool, p: float, p_new: float | None) -> str:
    """What the adaptation did to one signal, in words."""
    parts = []
    if binary and p_new is not None:
        parts.append(
            f"{name} calibrated x{a.calibration:.2f}{_evidence_text(a.evidence)}: p {p:.2f} -> {p_new:.2f}"
        )
    elif not binary and a.kelly_scale != 1.0:
        extra = f", calibration x{a.calibration:.2f}" if a.calibration != 1.0 else ""
        parts.append(
            f"{name} Kelly multiplier x{a.kelly_scale:.2f}{extra}{_evidence_text(a.evidence)}"
        )
    elif a.calibration != 1.0 or a.kelly_scale != 1.0:
        parts.append(f"{name} adapted{_evidence_text(a.evidence)}")
    if a.tier_shift:
        record = a.evidence.track_record.tier().name if a.evidence else "?"
        level = "up" if a.tier_shift > 0 else "down"
        parts.append(f"priority tier {level} {abs(a.tier_shift)} (realized record {record})")
    return "adaptive: " + ", ".join(parts) if parts else ""

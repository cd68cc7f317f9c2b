"""Adaptation: the engine learns from its outcomes (the implementation plan's agent
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

How the quantities learn from outcomes is in :mod:`portlab.engine.learning` (:func:`update
<portlab.engine.learning.update>`); how a coordination applies them to its signals is in
:mod:`portlab.engine.adapting`. This module holds the settings and the state.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import field_validator

from portlab.engine._config_values import Bad, Num, fail, number
from portlab.engine.columns import CHANGES
from portlab.engine.config import _Config
from portlab.engine.strategies import TrackRecord
from portlab.exceptions import ConfigError, ValidationError

__all__ = [
    "CHANGE_COLUMNS",
    "AdaptedQuantity",
    "AdaptiveConfig",
    "AdaptiveState",
    "Evidence",
    "StrategyAdaptation",
    "adaptive_config",
    "adaptive_setting",
    "evidence_note",
]

#: columns of :attr:`AdaptiveState.changes`, in order
#: (:data:`portlab.engine.columns.CHANGES`: units and meanings)
CHANGE_COLUMNS = CHANGES.names


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

    def describe(self) -> str:
        """The evidence in words: ``"hit rate 45% vs stated 65% over 60 outcomes"``."""
        return (
            f"hit rate {self.hit_rate:.0%} vs stated {self.stated_p:.0%} over "
            f"{self.n_outcomes} outcomes"
        )


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
        return f"{name}: {', '.join(parts)}{evidence_note(self.evidence)}"


@dataclass(frozen=True)
class AdaptiveState:
    """Every strategy's adaptation and the record of its changes. Immutable: :func:`~portlab.engine.learning.update`
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
            object.__setattr__(self, "config", adaptive_config(self.config))

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

    def to_dict(self) -> dict[str, Any]:
        """The state as plain data (dicts, lists, numbers, text and the change times as
        Timestamps) that :meth:`from_dict` turns back into an equal state: what the decision
        journal records with an adapted run, so that its replay uses the same adaptation.

        Examples
        --------
        >>> state = AdaptiveState({"learning_rate": 0.02}, (("m", StrategyAdaptation(0.9)),))
        >>> AdaptiveState.from_dict(state.to_dict()) == state
        True
        """
        return {
            "config": self.config.model_dump(mode="json"),
            "strategies": {
                name: {
                    "calibration": a.calibration,
                    "kelly_scale": a.kelly_scale,
                    "priority_shift": a.priority_shift,
                    "n_outcomes": a.n_outcomes,
                    "evidence": None
                    if a.evidence is None
                    else {
                        **dataclasses.asdict(a.evidence),
                        "track_record": a.evidence.track_record.model_dump(mode="json"),
                    },
                }
                for name, a in self.entries
            },
            "changes": [list(row) for row in self.log],
        }

    @classmethod
    def from_dict(cls, description: Mapping[str, Any]) -> AdaptiveState:
        """The state :meth:`to_dict` described.

        Raises
        ------
        ConfigError
            Invalid settings.
        ValidationError
            ``description`` is not such a description.
        """
        try:
            entries = []
            for name, entry in description["strategies"].items():
                seen = entry["evidence"]
                evidence = (
                    None
                    if seen is None
                    else Evidence(**{**seen, "track_record": TrackRecord(**seen["track_record"])})
                )
                entries.append(
                    (
                        str(name),
                        StrategyAdaptation(
                            float(entry["calibration"]),
                            float(entry["kelly_scale"]),
                            float(entry["priority_shift"]),
                            int(entry["n_outcomes"]),
                            evidence,
                        ),
                    )
                )
            log = tuple((pd.Timestamp(row[0]), *row[1:]) for row in description.get("changes", ()))
            config = description["config"]
        except (KeyError, TypeError, AttributeError, IndexError) as bad:
            raise ValidationError(
                f"adaptive state: not a description from AdaptiveState.to_dict ({bad!r})"
            ) from None
        return cls(adaptive_config(config), tuple(entries), log)

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


def adaptive_config(value: Any) -> AdaptiveConfig:
    """``value`` as :class:`AdaptiveConfig`: None (the defaults), a config, a mapping or a YAML
    path.

    Raises
    ------
    ConfigError
        A value of another kind, or invalid settings.
    """
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
    return adaptive_config(value)


def evidence_note(evidence: Evidence | None) -> str:
    """``" (hit rate 45% vs stated 65% over 60 outcomes)"``: the evidence of an adaptation as
    it follows a note in the reasoning; ``""`` without evidence."""
    return "" if evidence is None else f" ({evidence.describe()})"

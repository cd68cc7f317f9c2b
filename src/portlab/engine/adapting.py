"""Applying a strategy's adaptation (:mod:`portlab.engine.adaptation`) to its signals: the
calibrated success probability, the scaled Kelly multiplier and the shifted priority tier, and
what was applied, in words, for the decisions' reasoning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from portlab.engine.adaptation import AdaptiveState, StrategyAdaptation, evidence_note
from portlab.engine.signals import assign_priority
from portlab.engine.strategies import PerformanceTier
from portlab.engine.table import Table

__all__ = ["Adapted", "adapt_signals"]

#: the largest Kelly multiplier (SizingConfig.kelly_multiplier's bound): beyond it the expected
#: log growth of Kelly betting is negative
_MAX_MULTIPLIER = 2.0


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


def _note(name: str, a: StrategyAdaptation, binary: bool, p: float, p_new: float | None) -> str:
    """What the adaptation did to one signal, in words."""
    parts = []
    if binary and p_new is not None:
        parts.append(
            f"{name} calibrated x{a.calibration:.2f}{evidence_note(a.evidence)}: p {p:.2f} -> {p_new:.2f}"
        )
    elif not binary and a.kelly_scale != 1.0:
        extra = f", calibration x{a.calibration:.2f}" if a.calibration != 1.0 else ""
        parts.append(
            f"{name} Kelly multiplier x{a.kelly_scale:.2f}{extra}{evidence_note(a.evidence)}"
        )
    elif a.calibration != 1.0 or a.kelly_scale != 1.0:
        parts.append(f"{name} adapted{evidence_note(a.evidence)}")
    if a.tier_shift:
        record = a.evidence.track_record.tier().name if a.evidence else "?"
        level = "up" if a.tier_shift > 0 else "down"
        parts.append(f"priority tier {level} {abs(a.tier_shift)} (realized record {record})")
    return "adaptive: " + ", ".join(parts) if parts else ""

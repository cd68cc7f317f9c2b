"""How each strategy's adaptive quantities (:mod:`portlab.engine.adaptation`) learn from its
realized outcomes.

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

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from portlab.dates import DateLike
from portlab.engine.adaptation import (
    AdaptedQuantity,
    AdaptiveConfig,
    AdaptiveState,
    Evidence,
    StrategyAdaptation,
    adaptive_config,
)
from portlab.engine.realized import DEFAULT_HORIZON_DAYS, journal_outcomes, realized
from portlab.engine.sizing import TRADING_DAYS
from portlab.engine.strategies import MIN_TRADES, PerformanceTier, Strategy, TrackRecord
from portlab.exceptions import ValidationError

__all__ = ["current_state", "learn", "track_records", "update"]


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
    return update(AdaptiveState(adaptive_config(config)), outcomes, stated=stated, as_of=as_of)


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

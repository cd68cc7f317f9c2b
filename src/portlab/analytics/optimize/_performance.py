"""Performance-based allocation, return-stream metrics and market regimes (specification §8,
"Strategy registry and performance tiers", and §9).

The specification allocates capital "based on recent performance metrics (win rate, Sharpe,
profit factor)". portlab's formula, the same normalisation as the engine's signal priorities
(:meth:`portlab.engine.strategies.TrackRecord.score`) so that allocation and conflict
resolution agree:

1. each metric is mapped to ``[0, 1]``: win rate as is; Sharpe ratio (annualised) linearly
   from ``[−1, 3]``, i.e. ``clip((S + 1) / 4, 0, 1)``; profit factor (gross profit over gross
   loss) from ``[0, 3]``, i.e. ``clip(PF / 3, 0, 1)`` (no losses: 1);
2. the strategy's **score** is the mean of its available mapped metrics; a strategy with no
   metric, or with fewer than ``min_trades`` trades behind them, scores a neutral 0.5;
3. weights are proportional to ``score ** concentration`` over the strategies whose score
   exceeds ``min_score`` (others get 0): ``concentration = 1`` is proportional to the score,
   larger values reward the top performers more, 0 is equal weight.

Regime rules (:func:`detect_regime`, on one return stream — :class:`StrategyBook` passes the
combined strategy returns; ``k`` = the last ``lookback`` returns):

1. ``vol_ratio = std(last k) / std(all)``. At or above ``high_vol_ratio`` (1.5) the regime is
   HIGH_VOLATILITY, at or below ``low_vol_ratio`` (2/3) LOW_VOLATILITY. Confidence: under the
   hypothesis that the recent variance equals the long-run one, ``(k − 1) vol_ratio²`` is
   χ²(k − 1); the confidence is its CDF (HIGH) or survival function (LOW) at the observed value.
2. Otherwise the sign of the lag-1 autocorrelation ``ρ`` of the last ``k`` returns decides:
   ``ρ > 0`` TRENDING_MARKET (moves persist), else MEAN_REVERTING_MARKET; confidence
   ``Φ(|ρ| √k)``, the normal approximation of the probability that the sign is right.

The regime's ``regime_adjustments`` are recommendations for the strategy mix; the optimiser
does not apply them to the weights.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.performance import max_drawdown
from portlab.exceptions import DataError, ValidationError

if TYPE_CHECKING:
    from portlab.engine.strategies import TrackRecord

__all__ = [
    "METRIC_COLUMNS",
    "Regime",
    "RegimeDetection",
    "check_compoundable",
    "detect_regime",
    "performance_allocation",
    "performance_scores",
    "strategy_metrics",
]

#: metric columns read by :func:`performance_scores`
METRIC_COLUMNS: tuple[str, ...] = ("win_rate", "sharpe", "profit_factor", "n_trades")
#: fewer trades than this and the metrics are not trusted (specification §8: 20+ trades)
MIN_TRADES = 20


def check_compoundable(returns: pd.Series | pd.DataFrame) -> None:
    """DataError when a return is -100% or less: wealth cannot be compounded through it (the
    drawdown of :func:`portlab.analytics.performance.max_drawdown` would exceed 100%)."""
    if (np.nan_to_num(returns.to_numpy(dtype=np.float64)) <= -1).any():
        raise DataError("returns: a return of -100% or less cannot be compounded")


def strategy_metrics(
    returns: pd.DataFrame | pd.Series,
    *,
    periods_per_year: int = 252,
    risk_free_rate: float = 0.0,
) -> pd.DataFrame:
    """Performance metrics of return streams, one row per strategy.

    Parameters
    ----------
    returns : DataFrame (dates × strategies) or Series
        Simple returns per period; NaN where a strategy has no return (ignored).
    periods_per_year : int
        Periods per year, to annualise.
    risk_free_rate : float
        Annual risk-free rate (fraction), for the Sharpe ratio.

    Returns
    -------
    DataFrame
        Index: strategies. Columns:

        * ``win_rate``: share of periods with a positive return among those with a non-zero
          one (each active period counts as a "trade"; NaN when none);
        * ``sharpe``: ``(mean − r_f / P) / std × √P`` (``ddof=1``; NaN when std is 0);
        * ``profit_factor``: sum of gains over sum of losses (inf with no losses, NaN with
          neither);
        * ``n_trades``: periods with a non-zero return;
        * ``annual_return`` (mean × P), ``volatility`` (std × √P), ``max_drawdown``.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("returns must be a DataFrame or Series")
    try:
        r = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"returns: values must be numeric ({exc})") from exc
    if np.isinf(r).any():
        raise DataError("returns: infinite values")
    valid = ~np.isnan(r)
    count = valid.sum(axis=0)
    z = np.where(valid, r, 0.0)
    gains = np.where(z > 0, z, 0.0).sum(axis=0)
    losses = -np.where(z < 0, z, 0.0).sum(axis=0)
    n_pos = (z > 0).sum(axis=0)
    n_active = (z != 0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = z.sum(axis=0) / count
        var = np.where(valid, (r - mean) ** 2, 0.0).sum(axis=0) / (count - 1)
        std = np.sqrt(var)
        sharpe = np.where(
            std > 0,
            (mean - risk_free_rate / periods_per_year) / std * np.sqrt(periods_per_year),
            np.nan,
        )
        win_rate = np.where(n_active > 0, n_pos / n_active, np.nan)
        pf = np.where(losses > 0, gains / losses, np.where(gains > 0, np.inf, np.nan))
    out = pd.DataFrame(
        {
            "win_rate": win_rate,
            "sharpe": sharpe,
            "profit_factor": pf,
            "n_trades": n_active.astype(np.int64),
            "annual_return": mean * periods_per_year,
            "volatility": std * np.sqrt(periods_per_year),
            "max_drawdown": _max_drawdown(frame),
        },
        index=frame.columns,
    )
    out.index.name = "strategy"
    return out


def _max_drawdown(frame: pd.DataFrame) -> np.ndarray:
    check_compoundable(frame)
    return max_drawdown(frame).to_numpy()


def _metrics_frame(
    metrics: pd.DataFrame | Mapping[str, TrackRecord | Mapping[str, float]],
) -> pd.DataFrame:
    """Metrics as a DataFrame from a frame or a mapping of name -> TrackRecord / dict."""
    if isinstance(metrics, pd.DataFrame):
        return metrics
    if isinstance(metrics, Mapping):
        rows = {}
        for name, rec in metrics.items():
            if hasattr(rec, "model_dump"):
                rec = rec.model_dump()
            if not isinstance(rec, Mapping):
                raise ValidationError(
                    f"metrics[{name!r}]: expected a TrackRecord or a dict of metrics"
                )
            rows[name] = {c: rec.get(c) for c in METRIC_COLUMNS}
        return pd.DataFrame.from_dict(rows, orient="index", dtype=np.float64)
    raise ValidationError("metrics must be a DataFrame or a mapping of strategy -> metrics")


def performance_scores(
    metrics: pd.DataFrame | Mapping[str, TrackRecord | Mapping[str, float]],
    *,
    min_trades: int = MIN_TRADES,
) -> pd.Series:
    """Performance score in ``[0, 1]`` per strategy (the formula in the module docstring).

    Parameters
    ----------
    metrics : DataFrame or Mapping
        Index: strategies; any of the columns ``win_rate`` (fraction in ``[0, 1]``),
        ``sharpe`` (annualised), ``profit_factor`` (``>= 0``, inf allowed), ``n_trades``;
        NaN means not available. Or a mapping of strategy to
        :class:`~portlab.engine.strategies.TrackRecord` or dict with those keys.
    min_trades : int
        Below this many trades (when ``n_trades`` is given) the score is 0.5.

    Returns
    -------
    Series
        Scores indexed by strategy, named ``"score"``.

    Raises
    ------
    ValidationError
        Win rates outside ``[0, 1]``, negative profit factors, non-numeric columns.
    """
    frame = _metrics_frame(metrics)
    if len(frame) == 0:
        raise ValidationError("metrics: no strategies")
    n = len(frame)

    def col(name: str) -> np.ndarray:
        if name not in frame.columns:
            return np.full(n, np.nan)
        try:
            return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"metrics.{name}: values must be numeric ({exc})") from exc

    wr, sh, pf, trades = col("win_rate"), col("sharpe"), col("profit_factor"), col("n_trades")
    if ((wr < 0) | (wr > 1)).any():
        raise ValidationError("metrics.win_rate must lie in [0, 1]")
    if (pf < 0).any():
        raise ValidationError("metrics.profit_factor must be >= 0")
    if np.isinf(sh).any():
        raise ValidationError("metrics.sharpe must be finite")
    parts = np.column_stack([wr, np.clip((sh + 1.0) / 4.0, 0.0, 1.0), np.clip(pf / 3.0, 0.0, 1.0)])
    have = ~np.isnan(parts)
    n_have = have.sum(axis=1)
    with np.errstate(invalid="ignore"):
        score = np.where(have, parts, 0.0).sum(axis=1) / n_have
    untrusted = (n_have == 0) | (~np.isnan(trades) & (trades < min_trades))
    score = np.where(untrusted, 0.5, score)
    return pd.Series(score, index=frame.index, name="score")


def performance_allocation(
    metrics: pd.DataFrame | Mapping[str, TrackRecord | Mapping[str, float]],
    *,
    concentration: float = 1.0,
    min_score: float = 0.0,
    min_trades: int = MIN_TRADES,
) -> pd.Series:
    """Strategy weights proportional to ``score ** concentration`` (module docstring).

    Parameters
    ----------
    metrics : DataFrame or Mapping
        Per-strategy metrics, as :func:`performance_scores` reads them (e.g. the output of
        :func:`strategy_metrics`).
    concentration : float
        Exponent ``>= 0`` on the scores.
    min_score : float
        Strategies scoring at or below this get weight 0.
    min_trades : int
        See :func:`performance_scores`.

    Returns
    -------
    Series
        Weights (fractions summing to 1) indexed by strategy, named ``"weight"``.

    Raises
    ------
    ValidationError
        Bad metrics or parameters, or no strategy scoring above ``min_score``.
    """
    if not (np.isfinite(concentration) and concentration >= 0):
        raise ValidationError(f"concentration must be >= 0, got {concentration!r}")
    score = performance_scores(metrics, min_trades=min_trades)
    eligible = score.to_numpy() > min_score
    if not eligible.any():
        raise ValidationError(
            f"no strategy scores above min_score={min_score:g} (best {score.max():.3f})"
        )
    raw = np.where(eligible, np.power(score.to_numpy(), concentration), 0.0)
    return pd.Series(raw / raw.sum(), index=score.index, name="weight")


# --------------------------------------------------------------------------- regimes


class Regime(enum.StrEnum):
    """Market regime detected on the combined strategy returns."""

    TRENDING_MARKET = "TRENDING_MARKET"
    MEAN_REVERTING_MARKET = "MEAN_REVERTING_MARKET"
    HIGH_VOLATILITY = "HIGH_VOLATILITY"
    LOW_VOLATILITY = "LOW_VOLATILITY"


_ADJUSTMENTS: dict[Regime, tuple[str, ...]] = {
    Regime.TRENDING_MARKET: ("INCREASE_MOMENTUM", "REDUCE_MEAN_REVERSION"),
    Regime.MEAN_REVERTING_MARKET: ("INCREASE_MEAN_REVERSION", "REDUCE_MOMENTUM"),
    Regime.HIGH_VOLATILITY: ("REDUCE_GROSS_EXPOSURE", "INCREASE_DEFENSIVE"),
    Regime.LOW_VOLATILITY: ("INCREASE_RISK_BUDGET",),
}


@dataclass(frozen=True)
class RegimeDetection:
    """A detected regime.

    Attributes
    ----------
    regime : Regime
        The label.
    confidence : float
        In ``[0, 1]`` (see the module docstring for how it is computed).
    adjustments : tuple of str
        Recommended adjustments of the strategy mix for this regime.
    vol_ratio : float
        Recent over long-run volatility.
    autocorrelation : float
        Lag-1 autocorrelation of the recent returns (NaN if undefined).
    """

    regime: Regime
    confidence: float
    adjustments: tuple[str, ...]
    vol_ratio: float
    autocorrelation: float


def detect_regime(
    returns: pd.Series,
    *,
    lookback: int = 63,
    high_vol_ratio: float = 1.5,
    low_vol_ratio: float = 2.0 / 3.0,
) -> RegimeDetection:
    """Label the regime of a return stream by the rules in the module docstring.

    Parameters
    ----------
    returns : Series
        Simple returns per period (NaN dropped), at least 3.
    lookback : int
        Recent window, in periods (>= 3).
    high_vol_ratio, low_vol_ratio : float
        Volatility-ratio thresholds (``low_vol_ratio < 1 < high_vol_ratio``).

    Returns
    -------
    RegimeDetection
    """
    from scipy.stats import chi2, norm

    r = pd.Series(returns, dtype=np.float64).dropna().to_numpy()
    if isinstance(lookback, bool) or not isinstance(lookback, int | np.integer) or lookback < 3:
        raise ValidationError(f"lookback must be an integer >= 3, got {lookback!r}")
    if not 0 < low_vol_ratio < 1 < high_vol_ratio:
        raise ValidationError("need 0 < low_vol_ratio < 1 < high_vol_ratio")
    if len(r) < 3:
        raise DataError(f"returns: need at least 3 returns to detect a regime, got {len(r)}")
    recent = r[-lookback:]
    k = len(recent)
    sd_all = float(np.std(r, ddof=1))
    sd_recent = float(np.std(recent, ddof=1))
    ratio = sd_recent / sd_all if sd_all > 0 else 1.0
    x, y = recent[1:], recent[:-1]
    if np.std(x) > 0 and np.std(y) > 0:
        rho = float(np.corrcoef(x, y)[0, 1])
    else:
        rho = math.nan
    if ratio >= high_vol_ratio:
        regime = Regime.HIGH_VOLATILITY
        conf = float(chi2.cdf((k - 1) * ratio**2, k - 1))
    elif ratio <= low_vol_ratio:
        regime = Regime.LOW_VOLATILITY
        conf = float(chi2.sf((k - 1) * ratio**2, k - 1))
    else:
        trending = rho > 0 if not math.isnan(rho) else False
        regime = Regime.TRENDING_MARKET if trending else Regime.MEAN_REVERTING_MARKET
        conf = 0.5 if math.isnan(rho) else float(norm.cdf(abs(rho) * math.sqrt(k)))
    return RegimeDetection(regime, min(max(conf, 0.0), 1.0), _ADJUSTMENTS[regime], ratio, rho)

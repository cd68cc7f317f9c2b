"""Strategy attribution: each strategy's return and risk contribution to a portfolio of
strategies, and its performance label."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import numpy as np
import pandas as pd

from portlab.analytics.attribution._linking import Linking, linking_coefficients
from portlab.analytics.performance import (
    annualized_return,
    check_periods_per_year,
    returns_array,
    total_return,
)
from portlab.exceptions import DataError, ValidationError

__all__ = ["PerformanceLabel", "strategy_attribution"]


class PerformanceLabel(enum.StrEnum):
    """Label of a strategy in :func:`strategy_attribution` and in the attribution event's
    ``strategy_attribution`` block (specification §11)."""

    OUTPERFORMING = "OUTPERFORMING"
    NEUTRAL = "NEUTRAL"
    UNDERPERFORMING = "UNDERPERFORMING"


def strategy_attribution(
    strategy_returns: pd.DataFrame,
    strategy_weights: pd.Series | pd.DataFrame | Mapping[str, float],
    *,
    benchmark_returns: pd.Series | None = None,
    periods_per_year: float = 252,
    threshold: float = 0.02,
    linking: Linking | str = Linking.CARINO,
) -> pd.DataFrame:
    """Each strategy's return and risk contribution to the portfolio of strategies.

    The portfolio return is ``R_t = Σ_s w_s,t r_s,t``; capital not given to a strategy
    (``1 - Σ_s w_s,t``) is cash earning zero.

    Parameters
    ----------
    strategy_returns : DataFrame, shape (n_periods, n_strategies)
        Each strategy's simple per-period return on its own capital (fractions). NaN counts as
        a zero return (the strategy was flat).
    strategy_weights : Series or mapping (static), or DataFrame (n_periods, n_strategies)
        Capital weights (fractions of portfolio value) at the start of each period.
    benchmark_returns : Series, optional
        Reference for the performance label; the portfolio's own return ``R_t`` by default.
    periods_per_year : float
        ``P`` for annualised figures.
    threshold : float, default 0.02
        Label rule: a strategy whose annualised return beats the reference's by more than
        ``threshold`` (2 points a year) is ``OUTPERFORMING``, one that trails by more than
        ``threshold`` is ``UNDERPERFORMING``, otherwise ``NEUTRAL``.
    linking : Linking
        How per-period contributions ``w_s,t r_s,t`` are linked (against a zero benchmark).

    Returns
    -------
    DataFrame, one row per strategy
        ``weight`` (average capital weight); ``total_return`` (the strategy's compounded return);
        ``annualized_return``; ``return_contribution`` (linked contributions; they sum to the
        portfolio's compounded return); ``risk_contribution`` (Euler contribution to the
        portfolio's annualised volatility, ``cov(w_s r_s, R) / σ(R) × √P``; sums to it);
        ``risk_share`` (its fraction of the volatility); ``active_return`` (annualised return
        minus the reference's); ``performance`` (:class:`PerformanceLabel`).
    """
    if not isinstance(strategy_returns, pd.DataFrame):
        raise ValidationError("strategy_returns must be a DataFrame (periods × strategies)")
    if not strategy_returns.columns.is_unique:
        raise ValidationError("strategy_returns has duplicate strategy columns")
    ppy = check_periods_per_year(periods_per_year)
    ret = np.nan_to_num(returns_array(strategy_returns, "strategy_returns"))
    cols = strategy_returns.columns
    if isinstance(strategy_weights, Mapping):
        strategy_weights = pd.Series(dict(strategy_weights), dtype=float)
    if isinstance(strategy_weights, pd.Series):
        missing = cols.difference(strategy_weights.index)
        if len(missing) or len(strategy_weights.index.difference(cols)):
            raise ValidationError(
                f"strategy_weights must name exactly the strategies of strategy_returns "
                f"(missing: {list(missing)}, extra: {list(strategy_weights.index.difference(cols))})"
            )
        static = strategy_weights.reindex(cols).to_numpy(dtype=float)
        w = np.broadcast_to(static, ret.shape)
    elif isinstance(strategy_weights, pd.DataFrame):
        if not strategy_weights.index.equals(strategy_returns.index) or set(
            strategy_weights.columns
        ) != set(cols):
            raise ValidationError("strategy_weights must have strategy_returns' index and columns")
        w = returns_array(strategy_weights[cols], "strategy_weights")
        static = w.mean(axis=0)
    else:
        raise ValidationError("strategy_weights must be a Series, mapping or DataFrame")
    if np.isnan(w).any():
        raise DataError("strategy_weights contain NaN")
    contrib = w * ret
    port = contrib.sum(axis=1)
    beta = linking_coefficients(port, np.zeros_like(port), linking)
    n_obs = len(port)
    if n_obs < 2:
        raise DataError("strategy_attribution needs at least two periods")
    centered = port - port.mean()
    rc_num = (contrib - contrib.mean(axis=0)).T @ centered / (n_obs - 1)  # cov(w_s r_s, R)
    vol = float(np.sqrt(centered @ centered / (n_obs - 1)))
    risk_contrib = rc_num / vol * np.sqrt(ppy) if vol > 0 else np.full(len(cols), np.nan)
    ann = annualized_return(ret, periods_per_year=ppy)
    if benchmark_returns is None:
        ref = annualized_return(port, periods_per_year=ppy)
    else:
        ref = float(
            annualized_return(
                benchmark_returns.reindex(strategy_returns.index), periods_per_year=ppy
            )
        )
    active = ann - ref
    label = np.where(
        active > threshold,
        PerformanceLabel.OUTPERFORMING.value,
        np.where(
            active < -threshold,
            PerformanceLabel.UNDERPERFORMING.value,
            PerformanceLabel.NEUTRAL.value,
        ),
    )
    return pd.DataFrame(
        {
            "weight": static,
            "total_return": total_return(ret),
            "annualized_return": ann,
            "return_contribution": beta @ contrib,
            "risk_contribution": risk_contrib,
            "risk_share": risk_contrib / (vol * np.sqrt(ppy)) if vol > 0 else np.nan,
            "active_return": active,
            "performance": label,
        },
        index=cols,
    )

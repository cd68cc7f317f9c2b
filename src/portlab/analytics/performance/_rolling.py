"""Rolling versions of the performance metrics (trailing windows), vectorized with pandas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portlab.analytics.performance._returns import (
    Returns,
    _benchmark,
    _drawdown_max,
    _paired,
    _prepare,
    _safe_div,
    check_periods_per_year,
    per_period_rate,
)
from portlab.records import check_int

__all__ = [
    "rolling_beta",
    "rolling_information_ratio",
    "rolling_max_drawdown",
    "rolling_return",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_tracking_error",
    "rolling_volatility",
]


def _frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x, copy=False)


def _min_periods(window: int, min_periods: int | None, minimum: int) -> int:
    if min_periods is None:
        return window
    return min(check_int("min_periods", min_periods, minimum), window)


def rolling_return(returns: Returns, window: int, *, min_periods: int | None = None) -> Any:
    """Compounded return over each trailing window of ``window`` periods.

    Parameters
    ----------
    returns : Series, DataFrame or ndarray
        Simple per-period returns (fractions).
    window : int
        Periods per window (>= 1).
    min_periods : int, optional
        Observations needed in a window (default ``window``: any NaN in the window gives NaN);
        NaN periods inside an accepted window are skipped.

    Returns
    -------
    Series, DataFrame or ndarray
        The input's type and shape; a row is the return of the window ending at it.
    """
    inp = _prepare(returns)
    window = check_int("window", window, 1)
    mp = _min_periods(window, min_periods, 1)
    x = inp.values
    if np.any(x <= -1.0):  # a wipe-out has no logarithm: multiply the windows out
        out = (
            _frame(x)
            .rolling(window, min_periods=mp)
            .apply(lambda w: np.prod(1.0 + w[~np.isnan(w)]) - 1.0, raw=True)
        )
        return inp.like(out.to_numpy())
    logs = _frame(np.log1p(x)).rolling(window, min_periods=mp).sum().to_numpy()
    return inp.like(np.expm1(logs))


def rolling_volatility(
    returns: Returns,
    window: int,
    *,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> Any:
    """Annualised volatility (``ddof=1``) over each trailing window (see :func:`rolling_return`)."""
    inp = _prepare(returns)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    std = _frame(inp.values).rolling(window, min_periods=mp).std().to_numpy()
    return inp.like(std * np.sqrt(check_periods_per_year(periods_per_year)))


def rolling_sharpe(
    returns: Returns,
    window: int,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> Any:
    """Annualised Sharpe ratio over each trailing window (as :func:`sharpe_ratio`)."""
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    roll = _frame(inp.values - per_period_rate(risk_free_rate, ppy)).rolling(window, min_periods=mp)
    out = _safe_div(roll.mean().to_numpy(), roll.std().to_numpy()) * np.sqrt(ppy)
    return inp.like(out)


def rolling_sortino(
    returns: Returns,
    window: int,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> Any:
    """Annualised Sortino ratio over each trailing window (as :func:`sortino_ratio`)."""
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    x = inp.values - per_period_rate(risk_free_rate, ppy)
    mean = _frame(x).rolling(window, min_periods=mp).mean().to_numpy()
    neg2 = np.where(np.isnan(x), np.nan, np.minimum(x, 0.0) ** 2)
    dd = np.sqrt(_frame(neg2).rolling(window, min_periods=mp).mean().to_numpy())
    return inp.like(_safe_div(mean, dd) * np.sqrt(ppy))


def rolling_max_drawdown(returns: Returns, window: int, *, min_periods: int | None = None) -> Any:
    """Maximum drawdown (positive fraction) within each trailing window, wealth starting at 1.

    Vectorized over windows with a strided view: memory ``n_periods × (window + 1)`` floats per
    column. NaN periods are skipped; a window with fewer than ``min_periods`` (default
    ``window``) observations gives NaN.
    """
    inp = _prepare(returns)
    window = check_int("window", window, 1)
    mp = _min_periods(window, min_periods, 1)
    x = inp.values
    n_rows, n_cols = x.shape
    out = np.full(x.shape, np.nan)
    counts = _frame((~np.isnan(x)).astype(float)).rolling(window, min_periods=1).sum().to_numpy()
    if n_rows >= window:
        for j in range(n_cols):
            wealth = np.concatenate([[1.0], np.cumprod(1.0 + np.nan_to_num(x[:, j]))])
            views = np.lib.stride_tricks.sliding_window_view(wealth, window + 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = views / views[:, :1]  # wealth within the window, starting at 1
            out[window - 1 :, j] = _drawdown_max(rel.T, 1.0)
        out = np.where(counts >= mp, out, np.nan)
    return inp.like(out)


def rolling_beta(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    window: int,
    *,
    min_periods: int | None = None,
) -> Any:
    """Beta against ``benchmark`` over each trailing window (periods where both are present)."""
    inp = _prepare(returns)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    x, b = _paired(inp.values, _benchmark(benchmark, inp))
    bb = np.broadcast_to(b, x.shape)
    roll = _frame(x).rolling(window, min_periods=mp)
    cov = roll.cov(_frame(np.array(bb)), pairwise=False).to_numpy()
    var = _frame(np.array(bb)).rolling(window, min_periods=mp).var().to_numpy()
    return inp.like(_safe_div(cov, var))


def rolling_tracking_error(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    window: int,
    *,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> Any:
    """Annualised tracking error over each trailing window (as :func:`tracking_error`)."""
    inp = _prepare(returns)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    x, b = _paired(inp.values, _benchmark(benchmark, inp))
    std = _frame(x - b).rolling(window, min_periods=mp).std().to_numpy()
    return inp.like(std * np.sqrt(check_periods_per_year(periods_per_year)))


def rolling_information_ratio(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    window: int,
    *,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> Any:
    """Annualised information ratio over each trailing window (as :func:`information_ratio`)."""
    inp = _prepare(returns)
    window = check_int("window", window, 2)
    mp = _min_periods(window, min_periods, 2)
    x, b = _paired(inp.values, _benchmark(benchmark, inp))
    roll = _frame(x - b).rolling(window, min_periods=mp)
    out = _safe_div(roll.mean().to_numpy(), roll.std().to_numpy())
    return inp.like(out * np.sqrt(check_periods_per_year(periods_per_year)))

"""Return and risk-adjusted performance metrics over periodic returns (and over an equity
curve where both are useful); the conventions are in :mod:`portlab.analytics.performance`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.performance._returns import (
    Returns,
    _alpha_beta,
    _annualize_growth,
    _annualized,
    _benchmark,
    _count,
    _downside,
    _drawdown_max,
    _max_drawdown,
    _nanmean,
    _nanstd,
    _paired,
    _prepare,
    _safe_div,
    _total,
    check_periods_per_year,
    per_period_rate,
)
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.types import EquityLike

__all__ = [
    "alpha",
    "alpha_beta",
    "annualized_return",
    "annualized_return_from_equity",
    "beta",
    "calmar_ratio",
    "hit_rate",
    "information_ratio",
    "max_drawdown",
    "max_drawdown_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "summary",
    "total_return",
    "tracking_error",
    "volatility",
]


# --------------------------------------------------------------------------- metrics
def total_return(returns: Returns) -> Any:
    """Compounded return over all periods, ``Π(1 + r_t) - 1`` (fraction, not annualised).

    Parameters
    ----------
    returns : Series, DataFrame or ndarray, shape (n_periods,) or (n_periods, n_columns)
        Simple per-period returns (fractions). NaN periods are skipped.

    Returns
    -------
    float, Series or ndarray
        Per column; NaN for a column without observations.
    """
    inp = _prepare(returns)
    return inp.reduce(_total(inp.values), "total_return")


def annualized_return(returns: Returns, *, periods_per_year: float = 252) -> Any:
    """Geometric average annual return, ``(1 + R)^(P / n) - 1`` with ``n`` observed periods.

    ``-1`` when the compounded wealth is wiped out (``1 + R <= 0``). See :func:`total_return`
    for the parameters' shapes and NaN handling.
    """
    inp = _prepare(returns)
    return inp.reduce(
        _annualized(inp.values, check_periods_per_year(periods_per_year)), "annualized_return"
    )


def annualized_return_from_equity(equity: EquityLike, periods_per_year: float = 252) -> float:
    """Compound annual growth rate of an equity curve (fraction), ``(E_last / E_first)^(P / (n -
    1)) - 1`` over its ``n`` points.

    The same rate as :func:`annualized_return` of the curve's simple returns (``E_last / E_first``
    is their compounded growth), read from the values themselves.

    Parameters
    ----------
    equity : Series, ndarray or sequence of float, shape (n_points,)
        Portfolio value at each period (currency), the first point being the start.
    periods_per_year : float
        ``P``, 252 for daily values.

    Returns
    -------
    float
        NaN with fewer than two points or a non-positive first or last value.

    Examples
    --------
    >>> annualized_return_from_equity([100.0, 110.0, 121.0], periods_per_year=2)
    0.20999999999999996
    """
    e = _equity_values(equity)
    ppy = check_periods_per_year(periods_per_year)
    if e.size < 2 or not (e[0] > 0 and e[-1] > 0):
        return float("nan")
    return float(_annualize_growth(e[-1] / e[0], e.size - 1, ppy))


def volatility(returns: Returns, *, periods_per_year: float = 252, ddof: int = 1) -> Any:
    """Annualised volatility, ``std(r, ddof) × √P`` (fraction).

    NaN periods are skipped; NaN when fewer than ``ddof + 1`` observations.
    """
    inp = _prepare(returns)
    vol = _nanstd(inp.values, ddof) * np.sqrt(check_periods_per_year(periods_per_year))
    return inp.reduce(vol, "volatility")


def sharpe_ratio(
    returns: Returns, *, risk_free_rate: float = 0.0, periods_per_year: float = 252
) -> Any:
    """Annualised Sharpe ratio, ``mean(r - rf_p) / std(r - rf_p, ddof=1) × √P``.

    ``rf_p`` is the per-period equivalent of the annual ``risk_free_rate``. NaN for a column
    with fewer than two observations or no dispersion.
    """
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    x = inp.values - per_period_rate(risk_free_rate, ppy)
    return inp.reduce(_safe_div(_nanmean(x), _nanstd(x)) * np.sqrt(ppy), "sharpe_ratio")


def sortino_ratio(
    returns: Returns, *, risk_free_rate: float = 0.0, periods_per_year: float = 252
) -> Any:
    """Annualised Sortino ratio, ``mean(r - rf_p) / DD × √P``.

    ``DD = sqrt(mean(min(r - rf_p, 0)²))``, the downside deviation below the per-period risk-free
    rate, averaged over **all** observed periods (not only the losing ones). NaN when there is
    no downside (no period below the risk-free rate).
    """
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    x = inp.values - per_period_rate(risk_free_rate, ppy)
    return inp.reduce(_safe_div(_nanmean(x), _downside(x)) * np.sqrt(ppy), "sortino_ratio")


def max_drawdown(returns: Returns) -> Any:
    """Largest fall of compounded wealth from its running peak, as a positive fraction.

    Wealth starts at 1 (a loss in the first period is a drawdown); NaN periods leave wealth
    unchanged. ``0.0`` for a never-falling series.
    """
    inp = _prepare(returns)
    return inp.reduce(_max_drawdown(inp.values), "max_drawdown")


def max_drawdown_from_equity(equity: EquityLike) -> float:
    """Largest fall of an equity curve from its running peak, as a positive fraction of the
    peak; the same figure as :func:`max_drawdown` of the curve's simple returns.

    Parameters
    ----------
    equity : Series, ndarray or sequence of float, shape (n_points,)
        Portfolio value at each period (currency, > 0), the first point being the start.

    Returns
    -------
    float
        ``max_t (1 - E_t / max_{s <= t} E_s)``: 0 for a curve that never falls, NaN for an
        empty one (or one holding NaN).

    Examples
    --------
    >>> max_drawdown_from_equity([100.0, 120.0, 90.0, 130.0])
    0.25
    """
    e = _equity_values(equity)
    if e.size == 0:
        return float("nan")
    return float(_drawdown_max(e, e[0]))


def _equity_values(equity: EquityLike) -> np.ndarray:
    e = np.asarray(equity, dtype=np.float64)
    if e.ndim != 1:
        raise ValidationError(f"equity must be one-dimensional, got shape {e.shape}")
    return e


def calmar_ratio(returns: Returns, *, periods_per_year: float = 252) -> Any:
    """Annualised return over maximum drawdown (both fractions); NaN without a drawdown."""
    inp = _prepare(returns)
    ann = _annualized(inp.values, check_periods_per_year(periods_per_year))
    mdd = _max_drawdown(inp.values)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mdd > 0, ann / np.where(mdd > 0, mdd, 1.0), np.nan)
    return inp.reduce(out, "calmar_ratio")


def hit_rate(returns: Returns, benchmark: pd.Series | np.ndarray | None = None) -> Any:
    """Fraction of observed periods with a positive return (or beating ``benchmark``).

    A zero return (or a tie with the benchmark) counts as a miss. With a benchmark, only the
    periods where both are present count.
    """
    inp = _prepare(returns)
    x = inp.values
    if benchmark is not None:
        x, b = _paired(x, _benchmark(benchmark, inp))
        x = x - b
    n = _count(x)
    hits = np.sum(np.nan_to_num(x) > 0, axis=0)
    return inp.reduce(np.where(n > 0, hits / np.maximum(n, 1), np.nan), "hit_rate")


def tracking_error(
    returns: Returns, benchmark: pd.Series | np.ndarray, *, periods_per_year: float = 252
) -> Any:
    """Annualised tracking error, ``std(r - b, ddof=1) × √P`` over the periods both have."""
    inp = _prepare(returns)
    x, b = _paired(inp.values, _benchmark(benchmark, inp))
    te = _nanstd(x - b) * np.sqrt(check_periods_per_year(periods_per_year))
    return inp.reduce(te, "tracking_error")


def information_ratio(
    returns: Returns, benchmark: pd.Series | np.ndarray, *, periods_per_year: float = 252
) -> Any:
    """Annualised information ratio, ``mean(r - b) / std(r - b, ddof=1) × √P``."""
    inp = _prepare(returns)
    x, b = _paired(inp.values, _benchmark(benchmark, inp))
    active = x - b
    ir = _safe_div(_nanmean(active), _nanstd(active)) * np.sqrt(
        check_periods_per_year(periods_per_year)
    )
    return inp.reduce(ir, "information_ratio")


def beta(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
) -> Any:
    """CAPM beta, ``cov(r - rf_p, b - rf_p) / var(b - rf_p)``, over the periods both have.

    A constant risk-free rate does not change beta; it is accepted for symmetry with
    :func:`alpha`.
    """
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    _, beta_ = _alpha_beta(
        inp.values, _benchmark(benchmark, inp), per_period_rate(risk_free_rate, ppy), ppy
    )
    return inp.reduce(beta_, "beta")


def alpha(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
) -> Any:
    """Jensen's alpha, annualised arithmetically: ``(mean(r - rf_p) - β mean(b - rf_p)) × P``."""
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    alpha_, _ = _alpha_beta(
        inp.values, _benchmark(benchmark, inp), per_period_rate(risk_free_rate, ppy), ppy
    )
    return inp.reduce(alpha_, "alpha")


def alpha_beta(
    returns: Returns,
    benchmark: pd.Series | np.ndarray,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
) -> Any:
    """Both :func:`alpha` (annualised) and :func:`beta` in one pass.

    Returns
    -------
    tuple of float, DataFrame or ndarray
        ``(alpha, beta)`` for a Series or 1-D input; a DataFrame with columns ``alpha, beta``
        (one row per input column) for a DataFrame; an ndarray of shape (n_columns, 2) for a
        2-D ndarray.
    """
    inp = _prepare(returns)
    ppy = check_periods_per_year(periods_per_year)
    a, b = _alpha_beta(
        inp.values, _benchmark(benchmark, inp), per_period_rate(risk_free_rate, ppy), ppy
    )
    if inp.kind in ("series", "array1"):
        return float(a[0]), float(b[0])
    if inp.kind == "frame":
        return pd.DataFrame({"alpha": a, "beta": b}, index=inp.columns)
    return np.column_stack([a, b])


# --------------------------------------------------------------------------- summary
def summary(
    returns: pd.Series | pd.DataFrame,
    benchmark: pd.Series | None = None,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
) -> pd.Series | pd.DataFrame:
    """All metrics of this module in one table.

    Parameters
    ----------
    returns : Series or DataFrame, shape (n_periods,) or (n_periods, n_columns)
        Simple per-period returns (fractions).
    benchmark : Series, optional
        Benchmark returns on the same index (aligned by label).
    risk_free_rate : float
        Annual risk-free rate (fraction), used by Sharpe, Sortino and alpha.
    periods_per_year : float
        Periods per year (252 daily, 52 weekly, 12 monthly).

    Returns
    -------
    Series or DataFrame
        For a Series: a Series indexed by ``total_return, annualized_return, volatility,
        sharpe_ratio, sortino_ratio, calmar_ratio, max_drawdown, hit_rate, n_periods`` and, with
        a benchmark, ``benchmark_return`` (compounded, over the same observed periods),
        ``excess_return`` (``total_return - benchmark_return``), ``tracking_error``,
        ``information_ratio``, ``alpha`` (annualised) and ``beta``. For a DataFrame: one such
        column per input column. ``hit_rate`` counts positive periods (not periods beating the
        benchmark).
    """
    if not isinstance(returns, pd.Series | pd.DataFrame):
        raise ValidationError(f"summary takes a Series or DataFrame, got {type(returns).__name__}")
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    kw = {"periods_per_year": periods_per_year}
    rkw = {"risk_free_rate": risk_free_rate, **kw}
    table = {
        "total_return": total_return(frame),
        "annualized_return": annualized_return(frame, **kw),
        "volatility": volatility(frame, **kw),
        "sharpe_ratio": sharpe_ratio(frame, **rkw),
        "sortino_ratio": sortino_ratio(frame, **rkw),
        "calmar_ratio": calmar_ratio(frame, **kw),
        "max_drawdown": max_drawdown(frame),
        "hit_rate": hit_rate(frame),
        "n_periods": frame.notna().sum().astype(float),
    }
    if benchmark is not None:
        inp = _prepare(frame)
        x, b = _paired(inp.values, _benchmark(benchmark, inp))
        table["benchmark_return"] = pd.Series(_total(b), index=frame.columns)
        table["excess_return"] = table["total_return"] - table["benchmark_return"]
        table["tracking_error"] = tracking_error(frame, benchmark, **kw)
        table["information_ratio"] = information_ratio(frame, benchmark, **kw)
        ab = alpha_beta(frame, benchmark, **rkw)
        table["alpha"], table["beta"] = ab["alpha"], ab["beta"]
    out = pd.DataFrame(table).T.astype(float)
    if isinstance(returns, pd.Series):
        return out.iloc[:, 0].rename(returns.name)
    return out

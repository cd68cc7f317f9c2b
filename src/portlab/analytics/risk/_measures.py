"""Portfolio risk measures: volatility, beta, tracking error, drawdowns, risk decomposition,
concentration and exposures (specification §12, "Risk, stress and compliance").

Every function is pure: inputs are never modified, the same inputs give the same outputs. The
conventions (weights, returns, NaN, annualisation, losses) are those of
:mod:`portlab.analytics.risk`; the inputs are read by :mod:`._inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.risk._inputs import (
    PPY,
    MissingReturns,
    check_finite,
    is_market,
    portfolio_series,
    returns_frame,
    weights_vector,
)
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_date, format_names, format_value
from portlab.records import check_int

if TYPE_CHECKING:
    from portlab.market import Market
    from portlab.types import GroupsLike, ReturnsLike, VectorLike, WeightsLike

__all__ = [
    "beta",
    "concentration",
    "drawdowns",
    "factor_exposures",
    "instrument_betas",
    "risk_contributions",
    "sector_exposures",
    "sector_risk_contributions",
    "tracking_error",
    "volatility",
    "volatility_contributions",
]


def _ppy(periods_per_year: int | None, from_data: int | None) -> int:
    if periods_per_year is not None:
        return check_int("periods_per_year", periods_per_year, 1)
    return from_data or PPY


def _series_values(s: Any, what: str) -> pd.Series:
    if isinstance(s, pd.DataFrame) and s.shape[1] == 1:
        s = s.iloc[:, 0]
    if not isinstance(s, pd.Series):
        raise ValidationError(f"{what}: expected a Series of returns, got {type(s).__name__}")
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()][0]
        dup = format_date(dup) if isinstance(dup, pd.Timestamp) else format_value(dup)
        raise DataError(f"{what}: duplicate dates, e.g. {dup}")
    try:
        values = s.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{what}: series {format_value(s.name)} is not numeric") from None
    check_finite(values, s.index, s.name, what)
    return pd.Series(values, index=s.index, name=s.name)


# ------------------------------------------------------------------- return statistics
def volatility(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    *,
    annualize: bool = True,
    periods_per_year: int | None = None,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> float:
    """Historical volatility of the portfolio's returns: standard deviation (ddof=1).

    Parameters
    ----------
    weights : Series, mapping, array, sequence, PortfolioState or None
        :data:`~portlab.types.WeightsLike` (see the module notes); ``None`` when ``returns`` is
        the portfolio's return Series.
    returns : DataFrame (dates × instruments), Market, or Series with ``weights=None``
        :data:`~portlab.types.ReturnsLike` or a Market.
    annualize : bool
        Multiply by ``sqrt(periods_per_year)`` (default) or give the per-period figure.
    periods_per_year : int, optional
        Default: the Market's, else 252.
    missing : MissingReturns or str

    Returns
    -------
    float
        A fraction (0.18 = 18% a year when annualised). NaN with fewer than 2 usable dates.
    """
    r, _, ppy = portfolio_series(weights, returns, missing)
    sd = float(np.std(r, ddof=1)) if r.size > 1 else float("nan")
    return sd * np.sqrt(_ppy(periods_per_year, ppy)) if annualize else sd


def _against_benchmark(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    benchmark: pd.Series | pd.DataFrame | None,
    missing: MissingReturns | str,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    r, dates, ppy = portfolio_series(weights, returns, missing)
    if benchmark is None:
        if not is_market(returns) or returns.benchmark_returns is None:
            raise ValidationError(
                "benchmark: required unless returns is a Market that has a benchmark"
            )
        benchmark = returns.benchmark_returns
    b = _series_values(benchmark, "benchmark").reindex(dates).to_numpy()
    keep = np.isfinite(b)
    if keep.sum() < 3:
        raise DataError(
            f"benchmark: {int(keep.sum())} dates overlap the portfolio's returns; need at least 3"
        )
    return r[keep], b[keep], ppy


def beta(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    benchmark: pd.Series | None = None,
    *,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> float:
    """Beta of the portfolio against a benchmark: ``cov(r_p, r_b) / var(r_b)``.

    Parameters
    ----------
    weights, returns, missing
        As :func:`volatility`.
    benchmark : Series, optional
        Benchmark per-period simple returns indexed like ``returns``; default the Market's
        ``benchmark_returns``. Only dates where both are known are used.

    Returns
    -------
    float
        The OLS slope of portfolio on benchmark returns (dimensionless). NaN if the benchmark
        does not vary.
    """
    r, b, _ = _against_benchmark(weights, returns, benchmark, missing)
    db = b - b.mean()
    var_b = float(db @ db)
    return float((r - r.mean()) @ db / var_b) if var_b > 0 else float("nan")


def tracking_error(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    benchmark: pd.Series | None = None,
    *,
    annualize: bool = True,
    periods_per_year: int | None = None,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> float:
    """Tracking error: standard deviation (ddof=1) of the active return ``r_p - r_b``.

    Parameters as :func:`beta` and :func:`volatility`. Returns a fraction, annualised by
    ``sqrt(periods_per_year)`` when ``annualize``.
    """
    r, b, ppy = _against_benchmark(weights, returns, benchmark, missing)
    te = float(np.std(r - b, ddof=1))
    return te * np.sqrt(_ppy(periods_per_year, ppy)) if annualize else te


def instrument_betas(
    returns: pd.DataFrame | Market,
    benchmark: pd.Series | None = None,
    *,
    window: int | None = 504,
    min_periods: int = 60,
) -> pd.Series:
    """Beta of every instrument against the benchmark, pairwise over missing values.

    Parameters
    ----------
    returns : DataFrame (dates × instruments) or Market
    benchmark : Series, optional
        Benchmark returns; default the Market's ``benchmark_returns``.
    window : int or None
        Use the last ``window`` rows (default 504, two years of days); None uses all.
    min_periods : int
        Instruments with fewer dates where both returns are known get NaN.

    Returns
    -------
    Series, shape (n_instruments,)
        Named ``"beta"``, indexed like the columns.
    """
    frame, _ = returns_frame(returns)
    if benchmark is None:
        if not is_market(returns) or returns.benchmark_returns is None:
            raise ValidationError(
                "benchmark: required unless returns is a Market that has a benchmark"
            )
        benchmark = returns.benchmark_returns
    check_int("min_periods", min_periods, 2)
    if window is not None:
        frame = frame.iloc[-check_int("window", window, 2) :]
    b = _series_values(benchmark, "benchmark").reindex(frame.index).to_numpy()
    x = frame.to_numpy(dtype=np.float64)
    check_finite(x, frame.index, frame.columns, "returns")
    both = np.isfinite(x) & np.isfinite(b)[:, None]
    n = both.sum(axis=0)
    xs = np.where(both, x, 0.0)
    bs = np.where(both, np.nan_to_num(b)[:, None], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx, mb = xs.sum(axis=0) / n, bs.sum(axis=0) / n
        sxb = np.einsum("ij,ij->j", xs - np.where(both, mx, 0), bs - np.where(both, mb, 0))
        dbb = bs - np.where(both, mb, 0)
        sbb = np.einsum("ij,ij->j", dbb, dbb)
        out = np.where((n >= min_periods) & (sbb > 0), sxb / sbb, np.nan)
    return pd.Series(out, index=frame.columns, name="beta")


# ----------------------------------------------------------------------- drawdowns
def drawdowns(returns: pd.Series) -> pd.DataFrame:
    """Wealth, running peak and drawdown of a return series.

    Parameters
    ----------
    returns : Series, shape (n_dates,)
        Simple per-period returns of one portfolio (fractions); NaN rows are dropped.

    Returns
    -------
    DataFrame, shape (n_valid_dates, 3)
        ``wealth``: compounded value of 1 invested before the first return,
        ``Π (1 + r)``; ``peak``: the running maximum of wealth, starting from 1;
        ``drawdown``: ``1 - wealth / peak``, the loss from the peak as a positive fraction
        (0 at a new high).
    """
    r = _series_values(returns, "returns").dropna()
    if r.empty:
        raise DataError("returns: the series has no valid (non-NaN) return")
    wealth = np.cumprod(1.0 + r.to_numpy())
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
    return pd.DataFrame(
        {"wealth": wealth, "peak": peak, "drawdown": 1.0 - wealth / peak}, index=r.index
    )


# ------------------------------------------------------------------ decomposition
def _cov_and_weights(
    weights: WeightsLike, cov: pd.DataFrame | np.ndarray | Market
) -> tuple[pd.Series, np.ndarray]:
    """Weights (zeros kept) and the covariance over their instruments, as a labelled pair."""
    market = None
    if is_market(cov):
        market, cov = cov, cov.covariance()
    if isinstance(cov, np.ndarray):
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
            raise ValidationError(f"cov: expected a square matrix, got shape {cov.shape}")
        if isinstance(weights, pd.Series | Mapping):
            raise ValidationError("cov: an array needs weights as an array in the same order")
        cov = pd.DataFrame(cov)
    if not isinstance(cov, pd.DataFrame):
        raise ValidationError(
            f"cov: expected a DataFrame, an array or a Market, got {type(cov).__name__}"
        )
    if not cov.index.equals(cov.columns):
        cov = cov.reindex(index=cov.columns)
    w = weights_vector(
        weights, cov.columns, market, keep_zero=True, what_missing="are not in the covariance"
    )
    if w.empty:
        raise ValidationError("weights: no instrument given")
    sigma = cov.loc[w.index, w.index].to_numpy(dtype=np.float64)
    held = w.to_numpy() != 0
    bad = ~np.isfinite(sigma[:, held]).all(axis=0)
    if bad.any():
        names = w.index[held][bad]
        raise DataError(f"cov: no finite covariance for held instrument(s) {format_names(names)}")
    return w, sigma


def volatility_contributions(
    weights: WeightsLike, cov: pd.DataFrame | np.ndarray | Market
) -> pd.DataFrame:
    """Euler decomposition of portfolio volatility ``σ = sqrt(wᵀ Σ w)`` by instrument.

    Also available as ``risk_contributions`` (its name before; the same function). For the
    shares of the portfolio *variance* as a Series, see
    :func:`portlab.analytics.optimize.variance_contributions` (the ``percent`` column here holds
    the same numbers).

    Parameters
    ----------
    weights : Series, mapping, array, sequence or PortfolioState
        :data:`~portlab.types.WeightsLike`: fractions of portfolio value; zero weights are kept
        (their marginal contribution says what adding them would do). An array or sequence
        needs ``cov`` to be an array (same order); a PortfolioState needs ``cov`` to be a
        Market.
    cov : DataFrame (instruments × instruments), ndarray, or Market
        Covariance of returns; a Market gives ``market.covariance()`` (annualised Ledoit-Wolf).
        The units of the result follow it (annualised covariance → annualised volatility).
        Held instruments need finite rows (else ``DataError``).

    Returns
    -------
    DataFrame, indexed by instrument, columns
        ``weight``; ``marginal`` = ``(Σ w)_i / σ``, the change of σ per unit of weight;
        ``component`` = ``w_i × marginal_i`` (sums to σ); ``percent`` = ``component / σ``, the
        share of total risk as a **fraction** summing to 1 (negative for hedges).

    Raises
    ------
    DataError
        If the portfolio's variance is zero (contributions undefined).

    Examples
    --------
    >>> import pandas as pd
    >>> cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["A", "B"], columns=["A", "B"])
    >>> volatility_contributions({"A": 0.5, "B": 0.5}, cov).round(4)
       weight  marginal  component  percent
    A     0.5    0.1789     0.0894      0.8
    B     0.5    0.0447     0.0224      0.2
    """
    w, sigma = _cov_and_weights(weights, cov)
    wv = w.to_numpy()
    held = wv != 0
    g = sigma[:, held] @ wv[held]
    var = float(wv[held] @ g[held])
    if not var > 0:
        raise DataError("portfolio variance is zero: risk contributions are undefined")
    vol = np.sqrt(var)
    marginal = g / vol
    component = wv * marginal
    return pd.DataFrame(
        {"weight": wv, "marginal": marginal, "component": component, "percent": component / vol},
        index=w.index,
    )


risk_contributions = volatility_contributions
"""The name :func:`volatility_contributions` had before (the same function, kept: README and
notebooks call ``pa.risk_contributions``)."""


def _sector_labels(index: pd.Index, sectors: GroupsLike | Market) -> np.ndarray:
    if is_market(sectors):
        sectors = sectors.sectors
    if isinstance(sectors, Mapping):
        sectors = pd.Series(dict(sectors), dtype=object)
    if not isinstance(sectors, pd.Series):
        raise ValidationError(
            f"sectors: expected a Series, mapping or Market, got {type(sectors).__name__}"
        )
    if sectors.index.has_duplicates:
        raise DataError("sectors: duplicate instrument ids")
    lab = sectors.reindex(index)
    return np.asarray([("Unknown" if pd.isna(s) else str(s)) for s in lab], dtype=object)


def sector_risk_contributions(
    weights: WeightsLike,
    cov: pd.DataFrame | np.ndarray | Market,
    sectors: GroupsLike | Market | None = None,
) -> pd.DataFrame:
    """:func:`volatility_contributions` summed by sector.

    Parameters
    ----------
    weights, cov
        As :func:`volatility_contributions`.
    sectors : Series, mapping or Market, optional
        Instrument → sector (:data:`~portlab.types.GroupsLike`); default the Market's when
        ``cov`` is one. Instruments without a sector count as ``"Unknown"``.

    Returns
    -------
    DataFrame indexed by sector (sorted), columns ``weight`` (net), ``component`` (sums to
    σ) and ``percent`` (fraction of σ, sums to 1).
    """
    if sectors is None:
        if not is_market(cov):
            raise ValidationError("sectors: required unless cov is a Market")
        sectors = cov
    rc = volatility_contributions(weights, cov)
    labels = _sector_labels(rc.index, sectors)
    out = rc[["weight", "component", "percent"]].groupby(labels, sort=True).sum()
    out.index.name = "sector"
    return out


def concentration(weights: VectorLike) -> dict[str, float]:
    """Concentration of a portfolio.

    Parameters
    ----------
    weights : Series, mapping, array or sequence
        :data:`~portlab.types.VectorLike`: fractions of portfolio value (shorts count by their
        size).

    Returns
    -------
    dict
        ``herfindahl``: ``Σ s_i²`` with ``s_i = |w_i| / Σ|w_j|`` (cash excluded; 1 for a single
        position, ``1/n`` for n equal ones); ``effective_n``: ``1 / herfindahl``, the number of
        equal positions with the same concentration.
    """
    if isinstance(weights, Mapping):
        weights = pd.Series(dict(weights), dtype=object)
    if isinstance(weights, pd.Series):
        w = weights_vector(weights, weights.index, keep_zero=True)
    else:
        arr = np.asarray(weights)
        if arr.ndim != 1:
            raise ValidationError(
                f"weights: expected one weight per instrument, got shape {arr.shape}"
            )
        w = weights_vector(arr, pd.RangeIndex(arr.size), keep_zero=True)
    a = np.abs(w.to_numpy())
    total = a.sum()
    if not total > 0:
        raise ValidationError("weights: no non-zero weight, concentration is undefined")
    hhi = float(np.sum((a / total) ** 2))
    return {"herfindahl": hhi, "effective_n": 1.0 / hhi}


def sector_exposures(
    weights: pd.Series | Mapping[str, float], sectors: GroupsLike | Market
) -> pd.DataFrame:
    """Long, short, net and gross exposure per sector.

    Parameters
    ----------
    weights : Series or mapping
        Fractions of portfolio value by instrument.
    sectors : Series, mapping or Market
        Instrument → sector (:data:`~portlab.types.GroupsLike`), or a Market's sectors;
        instruments without one count as ``"Unknown"``.

    Returns
    -------
    DataFrame indexed by sector (sorted), columns ``long`` (sum of positive weights),
    ``short`` (sum of negative weights, ≤ 0), ``net`` (= long + short) and ``gross``
    (= long - short), all fractions of portfolio value.
    """
    if isinstance(weights, Mapping):
        weights = pd.Series(dict(weights), dtype=object)
    if not isinstance(weights, pd.Series):
        raise ValidationError(
            f"weights: expected a Series or mapping by instrument, got {type(weights).__name__}"
        )
    index = weights.index
    w = weights_vector(weights, index, keep_zero=True).to_numpy()
    labels = _sector_labels(index, sectors)
    frame = pd.DataFrame({"long": np.maximum(w, 0.0), "short": np.minimum(w, 0.0)})
    out = frame.groupby(labels, sort=True).sum()
    out["net"] = out["long"] + out["short"]
    out["gross"] = out["long"] - out["short"]
    out.index.name = "sector"
    return out


# ------------------------------------------------------------------ factor exposures
def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS with intercept of each column of ``y`` (n, m) on ``x`` (n, k): coefficients (k+1, m), SSR and SST."""
    design = np.column_stack([np.ones(x.shape[0]), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    ssr = np.einsum("ij,ij->j", resid, resid)
    dy = y - y.mean(axis=0)
    sst = np.einsum("ij,ij->j", dy, dy)
    return coef, ssr, sst


def factor_exposures(
    portfolio_returns: pd.Series | pd.DataFrame,
    factor_returns: pd.DataFrame,
    *,
    annualize: bool = True,
    periods_per_year: int = PPY,
) -> pd.Series | pd.DataFrame:
    """Factor betas by ordinary least squares: ``r_t = α + Σ_f β_f F_{f,t} + ε_t``.

    Parameters
    ----------
    portfolio_returns : Series or DataFrame
        Per-period returns of one portfolio (Series) or of several portfolios or instruments
        (DataFrame, one regression per column), indexed by date.
    factor_returns : DataFrame, shape (n_dates, n_factors)
        Per-period factor returns (e.g. ``market.factor_returns``, the factor ETFs), aligned on
        the dates of ``portfolio_returns``. A regression uses the dates where the column and
        every factor are known (the sample's factors start in 2014).
    annualize : bool
        Report ``alpha`` × ``periods_per_year`` and ``residual_vol`` × sqrt(``periods_per_year``).
    periods_per_year : int

    Returns
    -------
    Series (for a Series) or DataFrame (one row per column), with entries ``alpha``, one beta
    per factor (named like the factor columns), ``r_squared`` (``1 - SSR/SST``),
    ``residual_vol`` (``sqrt(SSR / (n - k - 1))``, a fraction) and ``n_obs`` (the dates used;
    a float in the Series). For a DataFrame,
    a column with fewer than ``k + 2`` usable dates gets NaN; for a Series that is a
    ``DataError``.
    """
    single = isinstance(portfolio_returns, pd.Series)
    if single:
        y_frame = _series_values(portfolio_returns, "portfolio_returns").to_frame()
    elif isinstance(portfolio_returns, pd.DataFrame):
        y_frame = returns_frame(portfolio_returns, "portfolio_returns")[0].astype(np.float64)
    else:
        raise ValidationError(
            "portfolio_returns: expected a Series or DataFrame, "
            f"got {type(portfolio_returns).__name__}"
        )
    if not isinstance(factor_returns, pd.DataFrame) or factor_returns.shape[1] == 0:
        raise ValidationError("factor_returns: expected a DataFrame with at least one factor")
    factors = returns_frame(factor_returns, "factor_returns")[0]
    ppy = check_int("periods_per_year", periods_per_year, 1)
    x_all = factors.reindex(y_frame.index).to_numpy(dtype=np.float64)
    check_finite(x_all, y_frame.index, factors.columns, "factor_returns")
    y_all = y_frame.to_numpy(dtype=np.float64)
    check_finite(y_all, y_frame.index, y_frame.columns, "portfolio_returns")
    k = x_all.shape[1]
    x_ok = np.isfinite(x_all).all(axis=1)
    y_ok = np.isfinite(y_all)
    m = y_all.shape[1]
    coef = np.full((k + 1, m), np.nan)
    ssr, sst, nobs = np.full(m, np.nan), np.full(m, np.nan), np.zeros(m, dtype=np.int64)
    # columns with the same usable rows share one least-squares solve
    groups: dict[bytes, list[int]] = {}
    for j in range(m):
        groups.setdefault(np.packbits(y_ok[:, j] & x_ok).tobytes(), []).append(j)
    for cols in groups.values():
        rows = y_ok[:, cols[0]] & x_ok
        n = int(rows.sum())
        nobs[cols] = n
        if n < k + 2:
            continue
        c, r2, t2 = _ols(y_all[np.ix_(rows, cols)], x_all[rows])
        coef[:, cols], ssr[cols], sst[cols] = c, r2, t2
    if single and nobs[0] < k + 2:
        raise DataError(
            f"portfolio_returns: {nobs[0]} dates with every factor known; "
            f"{k} factors need at least {k + 2}"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        r_squared = np.where(sst > 0, 1.0 - ssr / sst, np.nan)
        resid_vol = np.sqrt(ssr / (nobs - k - 1))
    scale = ppy if annualize else 1
    out = pd.DataFrame(coef[1:].T, index=y_frame.columns, columns=factors.columns)
    out.insert(0, "alpha", coef[0] * scale)
    out["r_squared"] = r_squared
    out["residual_vol"] = resid_vol * np.sqrt(scale)
    out["n_obs"] = nobs
    out.columns.name = None
    if single:
        return out.iloc[0].astype(np.float64).rename(portfolio_returns.name)
    return out

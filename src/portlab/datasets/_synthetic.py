"""Synthetic markets from a factor model, reproducible by seed, up to thousands of instruments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.market import Market, attach_model_covariance

__all__ = ["synthetic"]

_MARKET_VOL = 0.16  # annual volatility of the market factor
_VOL_RANGE = (0.15, 0.60)  # total annual volatility of an instrument is kept in this range


def _check(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def synthetic(
    n_instruments: int = 500,
    n_days: int = 756,
    n_sectors: int = 11,
    n_factors: int | None = None,
    seed: int = 0,
    start: str | pd.Timestamp = "2020-01-01",
) -> Market:
    """A reproducible market simulated from a factor model.

    Model (annual units): ``r = B f + e`` with one market factor (vol 16%), one factor per sector
    (vols 6-12%), optional style factors (vols 3-8%), all independent, and independent
    idiosyncratic noise. Market betas are drawn around 1 (0.3-2.0), sector loadings in 0.5-1.5,
    style loadings around 0; idiosyncratic variances are set so total volatilities lie in
    roughly 15%-60%. Daily log-returns are drawn from ``N(drift, (B F Bᵀ + D) / 252)`` with a
    CAPM-like drift (2% + 5% × beta arithmetic, annual).

    Parameters
    ----------
    n_instruments : int
        Number of instruments (tickers ``S0000``, ``S0001``, ...).
    n_days : int
        Number of business days of prices (the first row holds the starting prices).
    n_sectors : int
        Number of sectors, labelled ``"Sector 01"``, ...; every sector has an instrument when
        ``n_instruments >= n_sectors``.
    n_factors : int, optional
        Total number of factors, at least ``1 + n_sectors``; the ones beyond the market and sector
        factors are style factors. Default ``1 + n_sectors``.
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the identical market.
    start : str or Timestamp
        First date; dates are business days.

    Returns
    -------
    Market
        Prices starting between 20 and 200; an equal-weight, daily rebalanced benchmark (starts
        at 100); factor index levels as ``factors`` (``Market``, ``Sector 01``, ..., ``Style
        01``, ...; start at 100); volumes in shares, lognormal around each instrument's average
        daily volume (dollar ADV lognormal around $20M); and the model covariance
        ``B F Bᵀ + D`` (annualised, of log-returns) attached as the market's given covariance, so
        ``risk_model()`` and ``covariance()`` with default arguments return the exact model risk.
        No missing values, so no repair warnings.
    """
    n = _check("n_instruments", n_instruments, 1)
    n_days = _check("n_days", n_days, 2)
    n_sect = _check("n_sectors", n_sectors, 1)
    k = 1 + n_sect if n_factors is None else _check("n_factors", n_factors, 1 + n_sect)
    n_style = k - 1 - n_sect
    rng = np.random.default_rng(seed)

    weights = rng.dirichlet(np.full(n_sect, 4.0))
    if n >= n_sect:  # every sector gets at least one instrument
        sector = np.concatenate([np.arange(n_sect), rng.choice(n_sect, n - n_sect, p=weights)])
        sector = rng.permutation(sector)
    else:
        sector = rng.choice(n_sect, n, p=weights)

    fvol = np.concatenate(
        [[_MARKET_VOL], rng.uniform(0.06, 0.12, n_sect), rng.uniform(0.03, 0.08, n_style)]
    )
    loadings = np.zeros((n, k))
    loadings[:, 0] = np.clip(rng.normal(1.0, 0.3, n), 0.3, 2.0)
    loadings[np.arange(n), 1 + sector] = rng.uniform(0.5, 1.5, n)
    loadings[:, 1 + n_sect :] = rng.normal(0.0, 0.3, (n, n_style))
    fvar = fvol**2
    sys_var = (loadings**2) @ fvar
    idio_var = np.exp(rng.normal(np.log(0.22), 0.35, n)) ** 2
    lo, hi = _VOL_RANGE
    total = np.clip(sys_var + idio_var, lo**2, hi**2)
    idio_var = np.maximum(total - sys_var, 0.05**2)
    scaled = loadings * fvol
    cov = scaled @ scaled.T  # exactly symmetric (A @ A.T)
    cov[np.diag_indices(n)] += idio_var

    dt = 1.0 / 252.0
    f = rng.standard_normal((n_days - 1, k)) * (fvol * np.sqrt(dt))
    eps = rng.standard_normal((n_days - 1, n)) * np.sqrt(idio_var * dt)
    drift = (0.02 + 0.05 * loadings[:, 0] - 0.5 * np.diag(cov)) * dt
    log_ret = f @ loadings.T + eps + drift
    p0 = np.exp(rng.uniform(np.log(20.0), np.log(200.0), n))
    log_p = np.vstack([np.zeros((1, n)), np.cumsum(log_ret, axis=0)]) + np.log(p0)

    dates = pd.bdate_range(start, periods=n_days, name="Date")
    width = max(4, len(str(n - 1)))
    tickers = pd.Index([f"S{i:0{width}d}" for i in range(n)])
    prices = pd.DataFrame(np.exp(log_p), index=dates, columns=tickers)
    simple = np.expm1(log_ret).mean(axis=1)
    bench = pd.Series(100.0 * np.concatenate([[1.0], np.cumprod(1.0 + simple)]), index=dates)
    fnames = (
        ["Market"]
        + [f"Sector {j + 1:02d}" for j in range(n_sect)]
        + [f"Style {j + 1:02d}" for j in range(n_style)]
    )
    flevels = 100.0 * np.exp(np.vstack([np.zeros((1, k)), np.cumsum(f, axis=0)]))
    factors = pd.DataFrame(flevels, index=dates, columns=fnames)
    adv_shares = np.exp(rng.normal(np.log(2e7), 1.0, n)) / p0
    noise = np.exp(rng.normal(-0.125, 0.5, (n_days, n)))  # mean one
    volumes = pd.DataFrame(np.round(adv_shares * noise), index=dates, columns=tickers)
    sectors = pd.Series([f"Sector {s + 1:02d}" for s in sector], index=tickers)

    market = Market(
        prices,
        sectors=sectors,
        benchmark=bench.rename("EqualWeight"),
        factors=factors,
        volumes=volumes,
    )
    # B F Bᵀ + D is symmetric positive definite by construction: skip the O(n³) check.
    return attach_model_covariance(market, cov)

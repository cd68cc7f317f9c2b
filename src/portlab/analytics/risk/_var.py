"""Value at risk and conditional value at risk (re-exported by :mod:`portlab.analytics.risk`).

Conventions
-----------
* Returns are simple per-period returns (fractions, not percent); a portfolio's return is
  ``Σ w_i r_i`` with weights as fractions of portfolio value -- what the weights leave over is
  cash earning nothing.
* VaR and CVaR are **losses reported as positive fractions of portfolio value**: a 95% one-day
  VaR of 0.021 means a loss of 2.1% or more on 5% of days. They can be negative when even the
  tail is a gain.
* VaR at confidence ``c`` is the lower ``c``-quantile of the loss distribution,
  ``inf{l : P(L <= l) >= c}`` (McNeil, Frey & Embrechts): with ``n`` equally likely outcomes it is
  the ``ceil(c n)``-th smallest loss (numpy's ``method="inverted_cdf"``; with 100 days at 95% the
  sixth largest loss). CVaR is the Rockafellar-Uryasev expected shortfall
  ``VaR + E[(L - VaR)+] / (1 - c)``, the mean of the worst ``(1 - c)`` probability mass (the mean
  of the ``(1 - c) n`` largest losses when that is a whole number).
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.risk._inputs import (
    PPY,
    MissingReturns,
    check_confidence,
    check_finite,
    held_columns,
    held_returns,
    portfolio_series,
    returns_frame,
)
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_names, format_value
from portlab.records import as_enum, check_int

if TYPE_CHECKING:
    from portlab.market import Market
    from portlab.types import ReturnsLike, SeedLike, WeightsLike

__all__ = [
    "MONTE_CARLO_BLOCK",
    "MONTE_CARLO_MAX_MEMORY",
    "VaRMethod",
    "conditional_value_at_risk",
    "historical_var_cvar",
    "value_at_risk",
]


class VaRMethod(enum.StrEnum):
    """How :func:`value_at_risk` and :func:`conditional_value_at_risk` model the loss distribution.

    HISTORICAL: the empirical distribution of the portfolio's (overlapping ``horizon``-row
    summed) returns. PARAMETRIC: normal with the sample mean and standard deviation (or
    ``sqrt(wᵀΣw)`` from a given covariance), scaled by ``horizon`` and ``sqrt(horizon)``.
    CORNISH_FISHER: the normal quantile corrected for sample skewness and excess kurtosis
    (Cornish-Fisher expansion), scaled like PARAMETRIC; its CVaR is the mean of the expanded
    quantile function over the tail. The expansion is reliable for moderate skewness and
    kurtosis; with the excess kurtosis of many daily stock returns (often > 6) its quantile
    function is no longer monotone and the CVaR can far exceed the historical one. MONTE_CARLO: ``n_sims`` draws of the
    held instruments' returns from ``N(h μ, h Σ)`` (sample mean and covariance, or a given
    covariance), valued with the weights, then read like HISTORICAL.
    """

    HISTORICAL = "historical"
    PARAMETRIC = "parametric"
    CORNISH_FISHER = "cornish_fisher"
    MONTE_CARLO = "monte_carlo"


MONTE_CARLO_MAX_MEMORY = 512 * 2**20
"""Default memory budget of a Monte Carlo VaR, in bytes (512 MiB); ``max_memory=`` changes it.

A simulation keeps one float64 per draw (``8 × n_sims`` bytes, the simulated portfolio
returns whose tail is read) and draws the held instruments' normals in blocks of at most
:data:`MONTE_CARLO_BLOCK` numbers, so the memory needed is ``8 × (n_sims + min(n_sims × n_held,
block))`` bytes whatever the number of instruments. ``n_sims`` whose need exceeds the budget is a
``ValidationError`` raised before anything is allocated (10**9 draws would need 7.5 GiB)."""

MONTE_CARLO_BLOCK = 2**22
"""Normal draws a Monte Carlo VaR holds at once (32 MiB of float64): large enough that the
blocks cost nothing in speed, small enough that memory does not grow with the held instruments."""


def _gib(n_bytes: float) -> str:
    """A byte count as people read it: ``7.48 GiB``, ``512 MiB``, ``40 KiB``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} bytes"


def _mc_memory(n_sims: int, n_held: int) -> int:
    """Bytes a Monte Carlo run of ``n_sims`` draws over ``n_held`` instruments needs at most."""
    rows = max(1, MONTE_CARLO_BLOCK // max(n_held, 1))
    return 8 * (n_sims + min(n_sims, rows) * n_held)


def _check_mc_memory(n_sims: int, n_held: int | None, max_memory: int) -> None:
    """ValidationError when the run would need more than ``max_memory`` bytes (``n_held=None``:
    the least any run needs, checked before the data are read)."""
    need = _mc_memory(n_sims, n_held or 1)
    if need > max_memory:
        what = (
            "at least" if n_held is None else f"with {n_held} held instrument" + "s" * (n_held != 1)
        )
        raise ValidationError(
            f"n_sims={n_sims:,} would need {_gib(need)} ({what}; limit {_gib(max_memory)}); "
            "use fewer simulations or raise max_memory= (bytes)"
        )


# ------------------------------------------------------------------------ historical
def _tail_position(n: int, confidence: float) -> tuple[int, float]:
    """0-based position of the VaR return among ``n`` ascending returns, and ``(1 - c) n``."""
    k = (1.0 - confidence) * n
    # floor((1-c) n) is the ceil(c n)-th smallest loss; the tolerance absorbs 0.05 * 100 = 5.000000000000004
    i = int(math.floor(k + 1e-9 * max(1.0, k)))
    return min(i, n - 1), k


def _tail_rows(
    x: np.ndarray, confidence: float, *, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """VaR and CVaR of each row of ``x`` (shape (K, n), finite), by one ``np.partition``.

    ``inplace`` partitions ``x`` itself (the caller owns it), saving a copy.
    """
    n = x.shape[1]
    i, k = _tail_position(n, confidence)
    if inplace:
        x.partition(i, axis=1)
        part = x
    else:
        part = np.partition(x, i, axis=1)
    q = part[:, i].copy()
    # Rockafellar-Uryasev: CVaR = VaR + Σ (q - x)+ / k; only the i values below q contribute
    excess = q * i - part[:, :i].sum(axis=1) if i else np.zeros_like(q)
    return -q, -q + excess / k


def _window_sums(x: np.ndarray, horizon: int, *, inplace: bool = False) -> np.ndarray:
    """Overlapping ``horizon``-long sums along the last axis (shape (..., n - horizon + 1)).

    ``inplace`` lets the running sum overwrite ``x`` (the caller owns it). With ``horizon=1``
    ``x`` itself is returned.
    """
    if horizon == 1:
        return x
    c = np.cumsum(x, axis=-1, out=x if inplace else None)
    out = c[..., horizon - 1 :].copy()
    out[..., 1:] -= c[..., :-horizon]
    return out


def historical_var_cvar(
    returns: np.ndarray | pd.Series | pd.DataFrame,
    confidence: float = 0.95,
    horizon: int = 1,
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray] | pd.DataFrame:
    """Historical VaR and CVaR of each column at once: the fast path for many series.

    Parameters
    ----------
    returns : ndarray of shape (n_dates,) or (n_dates, n_series), Series or DataFrame
        Simple per-period returns of instruments or portfolios (fractions). NaN are skipped
        column by column (the columns without NaN go through one vectorized
        ``np.partition``); ±inf is a ``DataError``.
    confidence : float
        In (0, 1), e.g. 0.95.
    horizon : int
        Periods per loss: losses are read from the overlapping sums of ``horizon`` consecutive
        returns (of the non-NaN values of a column), ``n - horizon + 1`` windows.

    Returns
    -------
    (float, float) for 1-D input; (ndarray, ndarray) of shape (n_series,) for a 2-D array;
    DataFrame indexed by the columns with columns ``var`` and ``cvar`` for a DataFrame.
        Losses as positive fractions (see module notes). NaN for a column with fewer than
        ``horizon`` valid returns.
    """
    c = check_confidence(confidence)
    h = check_int("horizon", horizon, 1)
    frame = returns if isinstance(returns, pd.DataFrame) else None
    if frame is not None:
        returns_frame(frame)
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValidationError(f"returns must be 1-D or 2-D, got shape {arr.shape}")
    one = arr.ndim == 1
    # (K, n) with contiguous rows, always a fresh copy: partitioned in place below
    x = np.array(arr.reshape(1, -1) if one else arr.T, order="C")
    var = np.full(x.shape[0], np.nan)
    cvar = np.full(x.shape[0], np.nan)
    if np.isfinite(x).all():
        if x.shape[1] >= h:
            var, cvar = _tail_rows(_window_sums(x, h, inplace=True), c, inplace=True)
    else:
        if np.isinf(x).any():
            idx = returns.index if isinstance(returns, pd.Series | pd.DataFrame) else None
            idx = pd.RangeIndex(x.shape[1]) if idx is None else idx
            cols = frame.columns if frame is not None else np.arange(x.shape[0])
            check_finite(x.T, idx, cols, "returns")
        nan_rows = np.isnan(x).any(axis=1)
        full = np.flatnonzero(~nan_rows)
        if full.size and x.shape[1] >= h:
            var[full], cvar[full] = _tail_rows(
                _window_sums(x[full], h, inplace=True), c, inplace=True
            )
        for j in np.flatnonzero(nan_rows):
            xj = x[j][~np.isnan(x[j])]
            if xj.size >= h:
                v, cv = _tail_rows(_window_sums(xj[None, :], h, inplace=True), c, inplace=True)
                var[j], cvar[j] = v[0], cv[0]
    if one:
        return float(var[0]), float(cvar[0])
    if frame is not None:
        return pd.DataFrame({"var": var, "cvar": cvar}, index=frame.columns)
    return var, cvar


# ----------------------------------------------------------------------- parametric
def _moments(r: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation (ddof=1), skewness and excess kurtosis (biased, as scipy's defaults)."""
    mu = float(r.mean())
    d = r - mu
    sd = float(np.sqrt(d @ d / (r.size - 1))) if r.size > 1 else 0.0
    m2 = float(d @ d / r.size)
    if m2 <= 0:
        return mu, sd, 0.0, 0.0
    skew = float(np.mean(d**3) / m2**1.5)
    kurt = float(np.mean(d**4) / m2**2 - 3.0)
    return mu, sd, skew, kurt


def _cf_quantile(z: float, s: float, k: float) -> float:
    """Cornish-Fisher quantile of the standardised distribution at the normal quantile ``z``."""
    return z + (z * z - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s * s / 36


def _cf_tail_mean(z: float, a: float, s: float, k: float) -> float:
    """``(1/a) ∫_0^a q_cf(Φ⁻¹(p)) dp``: mean of the Cornish-Fisher quantile over the lower tail ``a``.

    With ``I_j = ∫_{-∞}^{z} t^j φ(t) dt``: ``I_0 = a``, ``I_1 = -φ(z)``, ``I_2 = a - z φ(z)``,
    ``I_3 = -(z² + 2) φ(z)``.
    """
    phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    i0, i1, i2, i3 = a, -phi, a - z * phi, -(z * z + 2) * phi
    total = i1 + (i2 - i0) * s / 6 + (i3 - 3 * i1) * k / 24 - (2 * i3 - 5 * i1) * s * s / 36
    return total / a


def _cov_held(cov: pd.DataFrame, held: pd.Index, ppy: int | None) -> np.ndarray:
    """The given covariance over the held instruments, per period."""
    if isinstance(cov, pd.DataFrame):
        missing = held.difference(cov.index, sort=False).union(
            held.difference(cov.columns, sort=False), sort=False
        )
        if len(missing):
            raise DataError(f"cov: no row/column for held instrument(s) {format_names(missing)}")
        sub = cov.loc[held, held].to_numpy(dtype=np.float64)
        if cov.attrs.get("annualized"):  # a Market.covariance() frame: back to per period
            sub = sub / (ppy or PPY)
    else:
        raise ValidationError(
            "cov: expected a DataFrame labelled by instrument (per-period units, or a "
            f"Market.covariance() frame), got {type(cov).__name__}"
        )
    if not np.isfinite(sub).all():
        bad = held[~np.isfinite(sub).all(axis=1)]
        raise DataError(f"cov: non-finite covariance for held instrument(s) {format_names(bad)}")
    return sub


def _tail(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    confidence: float,
    horizon: int,
    method: VaRMethod | str,
    n_sims: int,
    seed: SeedLike,
    cov: pd.DataFrame | None,
    demean: bool,
    missing: MissingReturns | str,
    max_memory: int = MONTE_CARLO_MAX_MEMORY,
) -> tuple[float, float]:
    c = check_confidence(confidence)
    h = check_int("horizon", horizon, 1)
    method = as_enum(VaRMethod, method, "method")
    if cov is not None and method not in (VaRMethod.PARAMETRIC, VaRMethod.MONTE_CARLO):
        raise ValidationError(
            f"cov is used by the parametric and Monte Carlo methods, not {method}"
        )
    if method == VaRMethod.MONTE_CARLO:
        budget = (n_sims, max_memory)
        return _monte_carlo(weights, returns, c, h, budget, seed, cov, demean, missing)
    if cov is not None and weights is None:
        raise ValidationError("cov needs weights (instrument returns), not a portfolio series")
    r, _, ppy = portfolio_series(weights, returns, missing)
    if method == VaRMethod.HISTORICAL:
        if r.size < h:
            raise DataError(f"returns: {r.size} usable dates, fewer than horizon={h}")
        var, cvar = _tail_rows(_window_sums(r[None, :], h), c)
        return float(var[0]), float(cvar[0])
    if r.size < 3:
        raise DataError(f"returns: {r.size} usable dates; the {method} method needs at least 3")
    mu, sd, skew, kurt = _moments(r)
    if cov is not None:
        wser = held_columns(weights, returns)[2]
        sigma = _cov_held(cov, wser.index, ppy)
        wv = wser.to_numpy()
        sd = float(np.sqrt(max(wv @ sigma @ wv, 0.0)))
    mu = 0.0 if demean else mu
    from scipy.special import ndtri

    a = 1.0 - c
    z = float(ndtri(a))
    m_h, s_h = h * mu, math.sqrt(h) * sd
    if method == VaRMethod.PARAMETRIC:
        phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return -(m_h + s_h * z), -(m_h - s_h * phi / a)
    return -(m_h + s_h * _cf_quantile(z, skew, kurt)), -(
        m_h + s_h * _cf_tail_mean(z, a, skew, kurt)
    )


def _monte_carlo(weights, returns, c, h, budget, seed, cov, demean, missing) -> tuple[float, float]:
    n_sims = check_int("n_sims", budget[0], 100)
    max_memory = check_int("max_memory", budget[1], 1)
    _check_mc_memory(n_sims, None, max_memory)  # the least it needs, before reading data
    hint = "seed must be an int >= 0, a Generator or None"
    if isinstance(seed, bool | np.bool_ | float | np.floating | str | bytes):
        raise ValidationError(f"{hint}, got {format_value(seed)} ({type(seed).__name__})")
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValidationError(f"{hint}, got {type(seed).__name__}") from None
    if weights is None:
        if cov is not None:
            raise ValidationError("cov needs weights (instrument returns), not a portfolio series")
        r, _, _ = portfolio_series(None, returns, missing)
        if r.size < 2:
            raise DataError(f"returns: {r.size} usable dates; Monte Carlo needs at least 2")
        mu = np.array([0.0 if demean else r.mean()])
        factor = np.array([[r.std(ddof=1)]])
        w = np.ones(1)
    else:
        x, w, held, _, ppy = held_returns(weights, returns, missing)
        _check_mc_memory(n_sims, w.size, max_memory)
        if cov is None:
            if x.shape[0] < 2:
                raise DataError(f"returns: {x.shape[0]} usable dates; Monte Carlo needs at least 2")
            sigma = np.atleast_2d(np.cov(x, rowvar=False))
        else:
            sigma = _cov_held(cov, held, ppy)
        mu = np.zeros(x.shape[1]) if demean else x.mean(axis=0)
        lam, vec = np.linalg.eigh(sigma)  # Σ = A Aᵀ with A = V √λ (PSD-safe, unlike Cholesky)
        factor = vec * np.sqrt(np.clip(lam, 0.0, None))
    # simulated instrument returns h μ + √h Z Aᵀ, valued with w: the product is associated as
    # Z (Aᵀ w) so that the cost is n_sims × n_held rather than n_sims × n_held²; Z is drawn in
    # blocks of rows (the same numbers as one draw of all rows), bounding the memory
    load = factor.T @ w
    sims = np.empty(n_sims)
    rows = max(1, MONTE_CARLO_BLOCK // w.size)
    for start in range(0, n_sims, rows):
        stop = min(n_sims, start + rows)
        np.matmul(rng.standard_normal((stop - start, w.size)), load, out=sims[start:stop])
    sims *= math.sqrt(h)
    sims += h * float(mu @ w)
    var, cvar = _tail_rows(sims[None, :], c, inplace=True)
    return float(var[0]), float(cvar[0])


def value_at_risk(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    *,
    confidence: float = 0.95,
    horizon: int = 1,
    method: VaRMethod | str = VaRMethod.HISTORICAL,
    n_sims: int = 20_000,
    seed: SeedLike = 0,
    cov: pd.DataFrame | None = None,
    demean: bool = False,
    missing: MissingReturns | str = MissingReturns.DROP,
    max_memory: int = MONTE_CARLO_MAX_MEMORY,
) -> float:
    """Value at risk of a portfolio: the loss not exceeded with probability ``confidence``.

    Parameters
    ----------
    weights : Series, mapping, array, sequence, PortfolioState or None
        Fraction of portfolio value per instrument (:data:`~portlab.types.WeightsLike`, see
        :func:`portlab.analytics.risk.portfolio_returns`). ``None``: ``returns`` is already
        the portfolio's return Series.
    returns : DataFrame (dates × instruments), Market, or Series (with ``weights=None``)
        Simple per-period returns (fractions, :data:`~portlab.types.ReturnsLike`). NaN
        handling: ``missing``; a Series' NaN are dropped.
    confidence : float
        In (0, 1), e.g. 0.95 or 0.99.
    horizon : int
        Periods (rows) per loss. HISTORICAL reads overlapping sums of ``horizon`` consecutive
        portfolio returns (``n - horizon + 1`` windows); PARAMETRIC and CORNISH_FISHER scale the
        one-period distribution by square-root of time (mean × h, volatility × √h, skewness and
        kurtosis of one period); MONTE_CARLO draws from ``N(h μ, h Σ)``.
    method : VaRMethod or str
        HISTORICAL (default), PARAMETRIC, CORNISH_FISHER or MONTE_CARLO.
    n_sims : int
        Monte Carlo draws: an integer >= 100 (a bool, a float such as ``1e6``, a string or a
        smaller number is a ``ValidationError``).
    seed : int, Generator or None
        Monte Carlo seed (:data:`~portlab.types.SeedLike`); the default 0 makes results
        reproducible.
    cov : DataFrame, optional
        PARAMETRIC / MONTE_CARLO only: covariance of the instruments' returns labelled by
        instrument, per period -- a ``Market.covariance()`` frame (``attrs["annualized"]``) is
        divided by the periods per year. Default: the sample covariance of the dates used.
    demean : bool
        Take the expected return as zero (parametric, Cornish-Fisher, Monte Carlo).
    missing : MissingReturns or str
        DROP (default) or ZERO, for NaN returns of held instruments.
    max_memory : int
        MONTE_CARLO only: memory budget in bytes, default :data:`MONTE_CARLO_MAX_MEMORY`
        (512 MiB). The run needs ``8 × (n_sims + min(n_sims × n_held, 4,194,304))`` bytes (the
        draws are made in blocks); more is a ``ValidationError`` raised before anything is
        allocated: ``n_sims=1,000,000,000 would need 7.48 GiB (at least; limit 512 MiB)``.

    Returns
    -------
    float
        A loss as a positive fraction of portfolio value over ``horizon`` periods. PARAMETRIC
        equals ``-scipy.stats.norm.ppf(1 - confidence, h μ, √h σ)``.

    Raises
    ------
    ValidationError
        Bad confidence, horizon, method, weights, ``n_sims``, ``seed`` or ``max_memory``; a
        Monte Carlo run over the memory budget.
    DataError
        Held instruments without returns, infinite returns, too few usable dates.
    """
    args = (weights, returns, confidence, horizon, method, n_sims, seed, cov, demean, missing)
    return _tail(*args, max_memory)[0]


def conditional_value_at_risk(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    *,
    confidence: float = 0.95,
    horizon: int = 1,
    method: VaRMethod | str = VaRMethod.HISTORICAL,
    n_sims: int = 20_000,
    seed: SeedLike = 0,
    cov: pd.DataFrame | None = None,
    demean: bool = False,
    missing: MissingReturns | str = MissingReturns.DROP,
    max_memory: int = MONTE_CARLO_MAX_MEMORY,
) -> float:
    """Conditional value at risk (expected shortfall): the mean loss in the worst ``1 - confidence`` tail.

    Returns
    -------
    float
        A loss as a positive fraction of portfolio value, ``>= value_at_risk`` with the same
        arguments. PARAMETRIC: ``-(h μ - √h σ φ(z) / (1 - c))`` with ``z = Φ⁻¹(1 - c)``;
        CORNISH_FISHER: the mean of the Cornish-Fisher quantile function over the tail, in
        closed form.

    See :func:`value_at_risk` for the parameters and the errors.
    """
    args = (weights, returns, confidence, horizon, method, n_sims, seed, cov, demean, missing)
    return _tail(*args, max_memory)[1]

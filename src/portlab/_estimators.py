"""Covariance estimators over returns with missing values (private; used by :mod:`portlab.market`).

All functions take a ``(n_obs, n_assets)`` float64 array of per-period returns in which NaN marks a
missing return, and give per-period (not annualised) results. Missing values are handled
*pairwise*: the entry for a pair of assets uses only the rows where both are present, with each
asset centred on its mean over those rows -- the same numbers as ``pandas.DataFrame.cov`` gives
with NaNs -- computed by masked matrix products (no Python loops over assets).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portlab._cleaning import RepairLog
from portlab.exceptions import ValidationError
from portlab.formatting import format_value
from portlab.linalg import check_covariance as check_covariance_matrix
from portlab.records import check_int

__all__ = [
    "CovEstimate",
    "CovMethod",
    "check_covariance",
    "check_estimator",
    "clip_to_psd",
    "estimate",
    "ewma_covariance",
    "ewma_weights",
    "ledoit_wolf_covariance",
    "pairwise_moments",
    "readonly",
    "repair_log",
    "sample_covariance",
]


class CovMethod(enum.StrEnum):
    """Covariance estimators of :meth:`portlab.Market.covariance`."""

    SAMPLE = "sample"  #: unbiased sample covariance, pairwise over missing values
    LEDOIT_WOLF = "ledoit_wolf"  #: Ledoit-Wolf (2004) shrinkage toward the scaled identity
    EWMA = "ewma"  #: exponentially weighted, half-life in rows


@dataclass(frozen=True)
class CovEstimate:
    """A covariance estimate and what it took to get it.

    Attributes
    ----------
    cov : ndarray, shape (n_assets, n_assets)
        Per-period covariance of the assets that had enough data, NaN rows/columns otherwise.
    valid : ndarray of bool, shape (n_assets,)
        Assets with at least ``min_periods`` valid returns (the others are NaN in ``cov``).
    n_sparse_pairs : int
        Pairs of valid assets overlapping on fewer than ``min_periods`` rows (set to zero covariance).
    n_clipped : int
        Eigenvalues raised to the positive floor to make the pairwise matrix PSD (0 if none).
    min_eigenvalue : float
        Smallest eigenvalue before the PSD repair (NaN when no check was needed).
    shrinkage : float
        Ledoit-Wolf shrinkage intensity (NaN for other estimators).
    """

    cov: np.ndarray
    valid: np.ndarray
    n_sparse_pairs: int = 0
    n_clipped: int = 0
    min_eigenvalue: float = float("nan")
    shrinkage: float = float("nan")


@dataclass(frozen=True)
class _Moments:
    biased: np.ndarray  # weighted covariance with pairwise means, normalised by the pair weight
    correction: np.ndarray | float  # V1**2 / (V1**2 - V2): factor giving the unbiased estimate
    counts: np.ndarray | float  # pairwise number of rows (n_obs when complete)
    centred: np.ndarray  # returns centred on each asset's own (weighted) mean, 0 where missing
    complete: bool


def pairwise_moments(x: np.ndarray, weights: np.ndarray | None = None) -> _Moments:
    """Pairwise (weighted) second moments of ``x`` with NaN for missing values.

    Parameters
    ----------
    x : ndarray, shape (n_obs, n_assets)
        Returns; NaN where missing. Every column needs at least one valid value.
    weights : ndarray, shape (n_obs,), optional
        Non-negative row weights (any scale); equal weights when omitted.

    Returns
    -------
    _Moments
        ``biased[i, j] = sum_t w_t (x_ti - m_i)(x_tj - m_j) / sum_t w_t`` over the rows ``t`` where
        both are present, ``m`` the weighted means over those same rows; ``correction`` turns it
        into the unbiased estimate (``n / (n - 1)`` for equal weights).
    """
    mask = ~np.isnan(x)
    n_obs = x.shape[0]
    w = np.ones(n_obs) if weights is None else np.asarray(weights, dtype=np.float64)
    if mask.all():
        v1 = w.sum()
        mean = (w @ x) / v1
        xc = x - mean
        biased = (xc * w[:, None]).T @ xc / v1 if weights is not None else xc.T @ xc / n_obs
        v2 = float(n_obs) if weights is None else float(w @ w)
        correction = v1 * v1 / (v1 * v1 - v2) if v1 * v1 > v2 else np.nan
        return _Moments(biased, correction, float(n_obs), xc, True)
    mf = mask.astype(np.float64)
    own_mean = (w @ np.where(mask, x, 0.0)) / (w @ mf)
    xc = np.where(mask, x - own_mean, 0.0)
    wx = xc if weights is None else xc * w[:, None]
    wm = mf if weights is None else mf * w[:, None]
    v1 = wm.T @ mf  # pair weight
    s = wx.T @ mf  # s[i, j]: weighted sum of x_i over the rows where j is present too
    a = wx.T @ xc
    counts = v1 if weights is None else mf.T @ mf
    v2 = v1 if weights is None else (wm * w[:, None]).T @ mf
    with np.errstate(divide="ignore", invalid="ignore"):
        biased = (a - s * s.T / v1) / v1
        correction = np.where(v1 * v1 > v2, v1 * v1 / (v1 * v1 - v2), np.nan)
    return _Moments(biased, correction, counts, xc, False)


def clip_to_psd(cov: np.ndarray, rel_floor: float = 1e-10) -> tuple[np.ndarray, int, float]:
    """Make a symmetric matrix positive semi-definite by clipping eigenvalues.

    Eigenvalues below ``rel_floor * largest`` are raised to that floor, then rows and columns
    are rescaled so the diagonal (the variances) is kept exactly.

    Returns
    -------
    cov : ndarray, shape (n, n)
        The input when it was already PSD (up to rounding), else the repaired matrix.
    n_clipped : int
        Number of eigenvalues raised (0 when nothing was done).
    min_eigenvalue : float
        Smallest eigenvalue of the input.
    """
    if cov.shape[0] == 0:
        return cov, 0, float("nan")
    vals = np.linalg.eigvalsh(cov)
    top = max(float(np.abs(vals).max()), np.finfo(float).tiny)
    if vals[0] >= -1e-12 * top:
        return cov, 0, float(vals[0])
    vals, vecs = np.linalg.eigh(cov)
    floor = rel_floor * top
    n_clipped = int((vals < floor).sum())
    fixed = (vecs * np.maximum(vals, floor)) @ vecs.T
    diag = np.diag(fixed)
    scale = np.sqrt(np.divide(np.diag(cov), diag, out=np.ones_like(diag), where=diag > 0))
    fixed = fixed * scale[:, None] * scale[None, :]
    return (fixed + fixed.T) / 2.0, n_clipped, float(vals[0])


def _estimate(
    x: np.ndarray,
    min_periods: int,
    weights: np.ndarray | None,
    kind: str,
) -> CovEstimate:
    n_assets = x.shape[1]
    counts = (~np.isnan(x)).sum(axis=0)
    valid = counts >= max(min_periods, 2)
    out = np.full((n_assets, n_assets), np.nan)
    if not valid.any():
        return CovEstimate(out, valid)
    mom = pairwise_moments(x[:, valid], weights)
    sparse = np.asarray(mom.counts) < max(min_periods, 2)
    shrinkage = float("nan")
    if kind == "lw":
        cov, shrinkage = _ledoit_wolf(mom, sparse)
    else:
        cov = mom.biased * mom.correction
    n_sparse = 0
    if not mom.complete:
        n_sparse = int(np.triu(sparse, 1).sum())
        cov = np.where(sparse, 0.0, cov)
    cov = (cov + cov.T) / 2.0
    n_clipped, min_eig = 0, float("nan")
    if not mom.complete:
        cov, n_clipped, min_eig = clip_to_psd(cov)
    out[np.ix_(valid, valid)] = cov
    return CovEstimate(out, valid, n_sparse, n_clipped, min_eig, shrinkage)


def sample_covariance(x: np.ndarray, min_periods: int = 2) -> CovEstimate:
    """Unbiased sample covariance (ddof=1), pairwise over missing values.

    Parameters
    ----------
    x : ndarray, shape (n_obs, n_assets)
        Per-period returns, NaN where missing.
    min_periods : int
        Assets with fewer valid rows get NaN rows/columns; pairs of valid assets overlapping on
        fewer rows get zero covariance.

    Returns
    -------
    CovEstimate
        Per-period covariance; equal to ``np.cov(x, rowvar=False)`` on complete data and to
        ``pd.DataFrame(x).cov()`` with NaNs, before the PSD repair (done only with missing data).
    """
    return _estimate(np.asarray(x, dtype=np.float64), min_periods, None, "sample")


def _ledoit_wolf(mom: _Moments, sparse: np.ndarray) -> tuple[np.ndarray, float]:
    s = mom.biased
    p = s.shape[0]
    xc = mom.centred
    if mom.complete:
        n = float(mom.counts)
        beta = (np.sum(np.sum(xc * xc, axis=1) ** 2) / n**2 - np.sum(s * s) / n) / p
    else:
        counts = np.asarray(mom.counts)
        ok = ~sparse
        s = np.where(ok, s, 0.0)
        x2 = xc * xc
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = (x2.T @ x2) / counts**2 - s * s / counts
        beta = float(np.sum(np.where(ok, terms, 0.0))) / p
    mu = np.trace(s) / p
    delta = (np.sum(s * s) - 2.0 * mu * np.trace(s) + p * mu * mu) / p
    beta = min(max(float(beta), 0.0), float(delta))
    shrinkage = 0.0 if beta == 0.0 or delta <= 0.0 else beta / delta
    shrunk = (1.0 - shrinkage) * s
    shrunk[np.diag_indices(p)] += shrinkage * mu
    return shrunk, shrinkage


def ledoit_wolf_covariance(x: np.ndarray, min_periods: int = 2) -> CovEstimate:
    """Ledoit-Wolf (2004) shrinkage of the covariance toward ``mu * I``.

    The target is the scaled identity with ``mu`` the mean variance; the intensity is the
    paper's optimal estimate ``min(beta, delta) / delta`` computed from the data. As in the
    paper (and scikit-learn), the matrix being shrunk is the maximum-likelihood covariance
    (normalised by ``n``, not ``n - 1``). With missing values every term is taken pairwise.

    Parameters
    ----------
    x : ndarray, shape (n_obs, n_assets)
        Per-period returns, NaN where missing.
    min_periods : int
        As in :func:`sample_covariance`.

    Returns
    -------
    CovEstimate
        Per-period shrunk covariance and its ``shrinkage`` in [0, 1]; on complete data equal to
        ``sklearn.covariance.LedoitWolf(assume_centered=False).fit(x).covariance_``.
    """
    return _estimate(np.asarray(x, dtype=np.float64), min_periods, None, "lw")


def ewma_weights(n_obs: int, halflife: float) -> np.ndarray:
    """Exponential weights ``0.5 ** (age / halflife)`` normalised to sum to one, oldest first.

    Parameters
    ----------
    n_obs : int
        Number of rows; the last row has age 0.
    halflife : float
        Half-life in rows (> 0).

    Returns
    -------
    ndarray, shape (n_obs,)
    """
    age = np.arange(n_obs - 1, -1, -1, dtype=np.float64)
    w = np.exp2(-age / float(halflife))
    return w / w.sum()


def ewma_covariance(x: np.ndarray, halflife: float, min_periods: int = 2) -> CovEstimate:
    """Exponentially weighted covariance, pairwise over missing values.

    ``cov_ij = c_ij * sum_t w_t (x_ti - m_i)(x_tj - m_j) / sum_t w_t`` over the rows where both
    are present, with ``w`` from :func:`ewma_weights`, ``m`` the weighted means over those rows
    and ``c_ij = V1**2 / (V1**2 - V2)`` (``V1``, ``V2``: sums of the weights and of their squares
    over those rows) the small-sample correction. With an infinite half-life this is the sample
    covariance; on complete data it equals pandas ``ewm(halflife=..., adjust=True).cov()``.

    Parameters
    ----------
    x : ndarray, shape (n_obs, n_assets)
        Per-period returns, NaN where missing.
    halflife : float
        Half-life in rows.
    min_periods : int
        Counted in rows (unweighted); as in :func:`sample_covariance`.

    Returns
    -------
    CovEstimate
        Per-period covariance.
    """
    x = np.asarray(x, dtype=np.float64)
    return _estimate(x, min_periods, ewma_weights(x.shape[0], halflife), "ewma")


def check_covariance(cov: Any, instruments: pd.Index) -> np.ndarray:
    """Validate a user's covariance against ``instruments``.

    Parameters
    ----------
    cov : DataFrame (labelled by instrument; extra labels ignored) or array, shape (n, n)
        Annualised covariance.
    instruments : Index of str, length n

    Returns
    -------
    ndarray, shape (n, n)
        A float64 copy, aligned with ``instruments`` and exactly symmetric; eigenvalues that
        are negative within :data:`portlab.linalg.PSD_RTOL` (rounding) are raised to the
        floor of :func:`clip_to_psd`, variances kept.

    Raises
    ------
    DataError
        Naming the problem: missing instruments, wrong shape, non-numeric or non-finite cell,
        asymmetry, negative variance, not positive semi-definite
        (:func:`portlab.linalg.check_covariance`).
    """
    arr = check_covariance_matrix(cov, instruments, name="covariance")[0]
    # eigenvalues within the tolerance below zero are rounding noise; lift them like an
    # estimate's so that factorisations downstream exist by construction
    return clip_to_psd(arr)[0]


def check_estimator(method: Any, window: Any, halflife: Any, min_periods: Any) -> CovMethod:
    """Check the arguments of :meth:`portlab.Market.covariance`; return the method.

    Raises
    ------
    ValidationError
        An unknown method, a window or ``min_periods`` that is not an integer >= 2, a
        half-life that is not a finite number > 0; the message names the argument.
    """
    try:
        method = CovMethod(method)
    except ValueError:
        choices = ", ".join(repr(str(m)) for m in CovMethod)
        raise ValidationError(
            f"method must be one of {choices}, got {format_value(method)}"
        ) from None
    if window is not None:
        check_int("window", window, 2)
    check_int("min_periods", min_periods, 2)
    if (
        isinstance(halflife, bool)
        or not isinstance(halflife, int | float | np.integer | np.floating)
        or not halflife > 0
        or not np.isfinite(halflife)
    ):
        raise ValidationError(f"halflife must be a finite number > 0, got {format_value(halflife)}")
    return method


def estimate(x: np.ndarray, method: CovMethod, halflife: float, min_periods: int) -> CovEstimate:
    """The per-period covariance of returns ``x`` (n_obs × n_assets, NaN missing) by ``method``."""
    if method == CovMethod.SAMPLE:
        return sample_covariance(x, min_periods)
    if method == CovMethod.LEDOIT_WOLF:
        return ledoit_wolf_covariance(x, min_periods)
    return ewma_covariance(x, halflife, min_periods)


def repair_log(res: CovEstimate, method: CovMethod, window: int | None) -> RepairLog:
    """Report rows and warnings for what estimate ``res`` repaired (sparse pairs, PSD clip)."""
    where = f"{method} window={window}"
    log = RepairLog()
    if res.n_sparse_pairs:
        log.add(
            "(covariance)",
            where,
            f"{res.n_sparse_pairs} pairs overlap on too few rows",
            "set to zero covariance",
            res.n_sparse_pairs,
        )
        log.warnings.append(
            f"covariance ({where}): {res.n_sparse_pairs} pairs overlap on too few rows; set to zero"
        )
    if res.n_clipped:
        issue = f"pairwise matrix not PSD (smallest eigenvalue {res.min_eigenvalue:.3g})"
        log.add(
            "(covariance)", where, issue, "clipped eigenvalues to a positive floor", res.n_clipped
        )
        log.warnings.append(f"covariance ({where}): {issue}; clipped {res.n_clipped} eigenvalues")
    return log


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only float64 view of ``a`` (for the arrays a Market caches and hands out)."""
    a = np.asarray(a, dtype=np.float64).view()
    a.flags.writeable = False
    return a

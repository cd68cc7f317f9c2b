"""Covariance estimators over returns with missing values (private; used by :mod:`portlab.market`).

All functions take a ``(n_obs, n_assets)`` float64 array of per-period returns in which NaN marks a
missing return, and give per-period (not annualised) results. portlab's own estimators (sample,
Ledoit-Wolf, EWMA) handle missing values *pairwise*: the entry for a pair of assets uses only the
rows where both are present, with each asset centred on its mean over those rows -- the same
numbers as ``pandas.DataFrame.cov`` gives with NaNs -- computed by masked matrix products (no
Python loops over assets). PyPortfolioOpt's risk models
(:func:`portlab.analytics.estimators.risk_matrix`) need complete rows: :func:`estimate` keeps
the rows where every asset with enough data has a return, and reports how many it dropped.

A matrix that is not positive semi-definite is repaired in one way only,
:func:`portlab.linalg.repair_psd` (PyPortfolioOpt's ``fix_nonpositive_semidefinite``), with a
warning and a row in the market's report.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portlab._cleaning import RepairLog
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_value
from portlab.linalg import PSD_RTOL, SINGULAR_RTOL, repair_psd
from portlab.linalg import check_covariance as check_covariance_matrix
from portlab.records import check_int, number

__all__ = [
    "CovEstimate",
    "CovMethod",
    "check_covariance",
    "check_estimator",
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
    """Covariance estimators of :meth:`portlab.Market.covariance`.

    The first three are portlab's own (pairwise over missing values); the others are
    PyPortfolioOpt's risk models (:class:`portlab.analytics.estimators.RiskModel`), computed on
    complete rows. ``"ledoit_wolf_constant_variance"``, PyPortfolioOpt's name for Ledoit-Wolf
    shrinkage toward the scaled identity, is accepted for :attr:`LEDOIT_WOLF`, the same
    estimator (equal to PyPortfolioOpt's on complete data; pairwise over missing values).
    """

    SAMPLE = "sample"  #: unbiased sample covariance, pairwise over missing values
    LEDOIT_WOLF = "ledoit_wolf"  #: Ledoit-Wolf (2004) shrinkage toward the scaled identity
    EWMA = "ewma"  #: exponentially weighted, half-life in rows
    SEMICOVARIANCE = "semicovariance"  #: PyPortfolioOpt: shortfalls below ``threshold``
    LEDOIT_WOLF_SINGLE_FACTOR = "ledoit_wolf_single_factor"  #: PyPortfolioOpt: toward one factor
    LEDOIT_WOLF_CONSTANT_CORRELATION = "ledoit_wolf_constant_correlation"  #: PyPortfolioOpt
    ORACLE_APPROXIMATING = "oracle_approximating"  #: PyPortfolioOpt: OAS shrinkage

    @classmethod
    def _missing_(cls, value: object) -> CovMethod | None:
        return cls.LEDOIT_WOLF if value == "ledoit_wolf_constant_variance" else None


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
    n_negative : int
        Negative eigenvalues set to zero by :func:`portlab.linalg.repair_psd` to make the
        pairwise matrix PSD (0 if none).
    min_eigenvalue : float
        Smallest eigenvalue before the PSD repair (NaN when no check was needed).
    shrinkage : float
        Shrinkage intensity of the Ledoit-Wolf and OAS estimators (NaN for the others).
    n_dropped_rows : int
        PyPortfolioOpt's methods: rows dropped because a valid asset had no return in them.
    n_obs : int
        Rows the estimate used (PyPortfolioOpt's methods: the complete ones).
    psd_fixed : bool
        PyPortfolioOpt's methods: its ``fix_nonpositive_semidefinite`` amended the estimate.
    """

    cov: np.ndarray
    valid: np.ndarray
    n_sparse_pairs: int = 0
    n_negative: int = 0
    min_eigenvalue: float = float("nan")
    shrinkage: float = float("nan")
    n_dropped_rows: int = 0
    n_obs: int = 0
    psd_fixed: bool = False


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
        return CovEstimate(out, valid, n_obs=x.shape[0])
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
    n_negative, min_eig = 0, float("nan")
    if not mom.complete:
        cov, n_negative, min_eig = repair_psd(cov)
    out[np.ix_(valid, valid)] = cov
    return CovEstimate(out, valid, n_sparse, n_negative, min_eig, shrinkage, n_obs=x.shape[0])


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
        ``pd.DataFrame(x).cov()`` with NaNs, before the PSD repair (done only with missing data,
        by :func:`portlab.linalg.repair_psd`).
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


def check_covariance(cov: Any, instruments: pd.Index, log: RepairLog | None = None) -> np.ndarray:
    """Validate a user's covariance against ``instruments``.

    Parameters
    ----------
    cov : DataFrame (labelled by instrument; extra labels ignored) or array, shape (n, n)
        Annualised covariance.
    instruments : Index of str, length n
    log : RepairLog, optional
        Receives the report row and the warning of a repair.

    Returns
    -------
    ndarray, shape (n, n)
        A float64 copy, aligned with ``instruments`` and exactly symmetric. When its smallest
        eigenvalue is negative beyond :data:`portlab.linalg.SINGULAR_RTOL` but within
        :data:`portlab.linalg.PSD_RTOL` (rounding noise; beyond it is an error) it is repaired
        by :func:`portlab.linalg.repair_psd` -- negative eigenvalues set to zero -- with a
        :class:`~portlab.exceptions.DataRepairWarning` and a report row.

    Raises
    ------
    DataError
        Naming the problem: missing instruments, wrong shape, non-numeric or non-finite cell,
        asymmetry, negative variance, not positive semi-definite
        (:func:`portlab.linalg.check_covariance`).
    """
    arr = check_covariance_matrix(cov, instruments, name="covariance")[0]
    fixed, n_negative, min_eig = repair_psd(arr)
    if n_negative and log is not None:
        issue = (
            f"{n_negative} negative eigenvalues (smallest {min_eig:.3g}, within the PSD "
            f"tolerance {PSD_RTOL:g} of the largest, beyond {SINGULAR_RTOL:g})"
        )
        action = "set to zero (PyPortfolioOpt fix_nonpositive_semidefinite, spectral)"
        log.add("(covariance)", "given", issue, action, n_negative)
        log.warnings.append(f"covariance (given): {issue}; {action}")
    return fixed


def check_estimator(
    method: Any, window: Any, halflife: Any, min_periods: Any, threshold: Any = None
) -> tuple[CovMethod, float | None]:
    """Check the arguments of :meth:`portlab.Market.covariance`; return the method and the
    semicovariance threshold (0 when not given; None for the other methods).

    Raises
    ------
    ValidationError
        An unknown method (the message lists the choices), a window or ``min_periods`` that is
        not an integer >= 2, a half-life that is not a finite number > 0, a ``threshold`` that
        is not a finite number or is given to another method than ``"semicovariance"``; the
        message names the argument.
    """
    try:
        method = CovMethod(method)
    except ValueError:
        choices = ", ".join(repr(str(m)) for m in CovMethod)
        raise ValidationError(
            f"method must be one of {choices} (or 'ledoit_wolf_constant_variance' for "
            f"'ledoit_wolf'), got {format_value(method)}"
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
    if method is not CovMethod.SEMICOVARIANCE:
        if threshold is not None:
            raise ValidationError(
                f"threshold applies to method 'semicovariance' only, not {str(method)!r}"
            )
        return method, None
    if threshold is None:
        return method, 0.0
    return method, number(threshold, "threshold (a per-period return)")


def _pypfopt_estimate(
    x: np.ndarray,
    method: CovMethod,
    min_periods: int,
    threshold: float,
    frequency: int,
) -> CovEstimate:
    """PyPortfolioOpt's risk model on the complete rows of the assets with enough data."""
    from portlab.analytics.estimators import risk_matrix

    n_assets = x.shape[1]
    need = max(min_periods, 2)
    valid = (~np.isnan(x)).sum(axis=0) >= need
    out = np.full((n_assets, n_assets), np.nan)
    if not valid.any():
        return CovEstimate(out, valid)
    sub = x[:, valid]
    complete = ~np.isnan(sub).any(axis=1)
    n_complete = int(complete.sum())
    if n_complete < need:
        raise DataError(
            f"covariance {str(method)!r} needs rows where every instrument has a return: "
            f"{n_complete} of {x.shape[0]} rows are complete, fewer than min_periods={need} "
            "(a late listing or a long gap); shorten the window, select() the instruments, "
            "or use a pairwise method ('sample', 'ledoit_wolf', 'ewma')"
        )
    frame = pd.DataFrame(sub[complete])
    res = risk_matrix(frame, str(method), frequency=frequency, threshold=threshold)
    out[np.ix_(valid, valid)] = res.to_numpy() / frequency
    return CovEstimate(
        out,
        valid,
        shrinkage=float(res.attrs["shrinkage"]),
        n_dropped_rows=x.shape[0] - n_complete,
        n_obs=n_complete,
        psd_fixed=bool(res.attrs["psd_fixed"]),
    )


def estimate(
    x: np.ndarray,
    method: CovMethod,
    halflife: float,
    min_periods: int,
    *,
    threshold: float | None = None,
    frequency: int = 252,
) -> CovEstimate:
    """The per-period covariance of returns ``x`` (n_obs × n_assets, NaN missing) by ``method``.

    PyPortfolioOpt's methods get ``frequency`` (their estimate is annualised, then divided by
    it) and, for semicovariance, ``threshold``.
    """
    if method == CovMethod.SAMPLE:
        return sample_covariance(x, min_periods)
    if method == CovMethod.LEDOIT_WOLF:
        return ledoit_wolf_covariance(x, min_periods)
    if method == CovMethod.EWMA:
        return ewma_covariance(x, halflife, min_periods)
    return _pypfopt_estimate(x, method, min_periods, threshold or 0.0, frequency)


def repair_log(res: CovEstimate, method: CovMethod, window: int | None) -> RepairLog:
    """Report rows and warnings for what estimate ``res`` repaired (sparse pairs, PSD repair,
    incomplete rows dropped)."""
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
    if res.n_negative:
        issue = f"pairwise matrix not PSD (smallest eigenvalue {res.min_eigenvalue:.3g})"
        action = "negative eigenvalues set to zero (PyPortfolioOpt fix_nonpositive_semidefinite)"
        log.add("(covariance)", where, issue, action, res.n_negative)
        log.warnings.append(
            f"covariance ({where}): {issue}; set {res.n_negative} negative eigenvalues to zero"
        )
    if res.n_dropped_rows:
        issue = f"{res.n_dropped_rows} rows where an instrument has no return"
        action = "dropped (the estimator needs complete rows)"
        log.add("(covariance)", where, issue, action, res.n_dropped_rows)
        log.warnings.append(
            f"covariance ({where}): dropped {res.n_dropped_rows} rows where an instrument has "
            f"no return; {res.n_obs} complete rows used"
        )
    if res.psd_fixed:  # PyPortfolioOpt warned already; the report keeps it
        log.add(
            "(covariance)",
            where,
            "estimate not PSD in PyPortfolioOpt's Cholesky test",
            "negative eigenvalues set to zero (PyPortfolioOpt fix_nonpositive_semidefinite)",
            1,
        )
    return log


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only float64 view of ``a`` (for the arrays a Market caches and hands out)."""
    a = np.asarray(a, dtype=np.float64).view()
    a.flags.writeable = False
    return a

"""Risk budgeting and equal risk contribution (risk parity), long-only.

The risk contribution of asset ``i`` to a portfolio ``w`` with covariance ``Σ`` is
``RC_i = w_i (Σw)_i``; the contributions sum to the variance ``wᵀΣw`` (Euler). A risk-budgeting
portfolio has ``RC_i / wᵀΣw = b_i`` for given budgets ``b`` (fractions summing to 1); equal
budgets give the equal-risk-contribution (ERC) portfolio.

Method (Spinu 2013, "An algorithm for computing risk parity weights"): with ``σ`` the
volatilities and ``C`` the correlation matrix, the strictly convex problem

    minimise  F(x) = ½ xᵀCx − Σ b_i log x_i,   x > 0

has the unique solution ``x_i (Cx)_i = b_i``; ``w = (x / σ) / Σ(x / σ)`` is the budgeting
portfolio. It is solved by Newton's method (one Cholesky factorisation of
``C + diag(b / x²)`` per step) with an Armijo backtracking line search on ``F`` far from the
solution and full steps near it, after a few cheap safeguarded Jacobi sweeps of the
per-coordinate quadratic ``x_i² + c_i x_i − b_i = 0`` as a warm start. Convergence is checked on
the quantity that matters, the largest relative budget error ``max_i |x_i (Cx)_i − b_i| / b_i``,
not against any closed form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.optimize._inputs import as_cov, as_vector, single_blas_thread
from portlab.exceptions import InfeasibleError, ValidationError

if TYPE_CHECKING:
    from portlab.types import CovarianceLike, VectorLike

__all__ = ["risk_budgeting", "variance_contributions"]

#: at or below this many assets BLAS is left alone (small products are not threaded anyway)
_THREAD_LIMIT_MIN_N = 64
#: Jacobi warm-start sweeps (each one mat-vec); stopped early as soon as F stops decreasing
_JACOBI_SWEEPS = 10
#: Armijo sufficient-decrease constant and the Newton decrement below which full steps are taken
_ARMIJO = 0.25
_FULL_STEP_DECREMENT = 1e-6
#: a stalled iteration is accepted when its budget error is below this (floating-point floor)
_STALL_TOL = 1e-8


# --------------------------------------------------------------------------- public API


def variance_contributions(
    weights: VectorLike, cov: CovarianceLike, *, relative: bool = True
) -> pd.Series:
    """Contributions ``w_i (Σw)_i`` of each asset to the portfolio *variance* (the risk
    contributions of risk budgeting).

    For the decomposition of the portfolio *volatility* (marginal and component contributions
    in volatility units), see :func:`portlab.analytics.risk.volatility_contributions`; the
    relative shares are the same numbers as its ``percent`` column.

    Parameters
    ----------
    weights : Series, Mapping or array-like, shape (n,)
        Portfolio weights (fractions, :data:`~portlab.types.VectorLike`); a Series or mapping
        is aligned to ``cov`` by label and missing instruments count as 0.
    cov : DataFrame or array-like, shape (n, n)
        Covariance of returns (:data:`~portlab.types.CovarianceLike`; any period: relative
        contributions do not depend on it).
    relative : bool
        True: shares of the portfolio variance (sum to 1). False: absolute contributions
        ``w_i (Σw)_i`` in the variance units of ``cov`` (sum to ``wᵀΣw``).

    Returns
    -------
    Series, shape (n,)
        Indexed like ``cov``, named ``"risk_contribution"``.

    Raises
    ------
    ValidationError, DataError
        Malformed inputs; ``relative=True`` with a zero-variance portfolio.
    """
    arr, labels = as_cov(cov)
    w = as_vector(weights, labels, "weights", fill=0.0)
    rc = w * (arr @ w)
    if relative:
        total = float(rc.sum())
        if not total > 0:
            raise ValidationError("weights: the portfolio has zero variance; no relative shares")
        rc = rc / total
    return pd.Series(rc, index=labels, name="risk_contribution")


def risk_budgeting(
    cov: CovarianceLike,
    budgets: VectorLike | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> pd.Series:
    """Long-only risk-budgeting portfolio (equal risk contribution by default).

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        Covariance of returns (:data:`~portlab.types.CovarianceLike`), positive definite on
        the assets with positive budget (any period: the weights do not depend on the units).
    budgets : Series, Mapping or array-like of shape (n,), optional
        Risk budgets (:data:`~portlab.types.VectorLike`), non-negative, normalised to sum to 1.
        A Series or mapping is aligned by label (every instrument of ``cov`` must be given).
        Assets with a zero budget get weight 0. Default: equal budgets (the ERC portfolio).
    tol : float
        Target largest relative budget error ``max_i |RC_i / wᵀΣw − b_i| / b_i``.
    max_iter : int
        Newton iterations allowed.

    Returns
    -------
    Series, shape (n,)
        Weights, non-negative, summing to 1, indexed like ``cov``, named ``"weight"``. Their
        relative risk contributions (:func:`variance_contributions`) equal the budgets within
        ``tol`` relative (within 1e-8 when the conditioning of a nearly singular ``cov`` puts
        ``tol`` below what floating point can resolve: Newton's iterates then stop improving).

    Raises
    ------
    ValidationError, DataError
        Malformed ``cov`` or ``budgets`` (negative, NaN, all zero, unknown labels).
    InfeasibleError
        Newton's method did not reach ``tol`` (the covariance is singular in a direction that
        makes risk budgeting ill-posed, e.g. assets that hedge each other perfectly).

    Notes
    -----
    Long-only and fully invested, without per-asset bounds: with bounds the problem is no
    longer scale-free in ``x`` and needs a general convex solver. About 2-3 Newton steps after the warm start on well-conditioned 500-asset covariances
    (a few milliseconds each). BLAS is held to one thread during the solve: on a busy
    machine threaded factorisations of this size are many times slower.

    Examples
    --------
    Two assets: equal risk contributions mean weights proportional to ``1 / σ``.

    >>> import numpy as np
    >>> w = risk_budgeting(np.array([[0.04, 0.01], [0.01, 0.09]]))
    >>> np.round(w.to_numpy(), 6).tolist()
    [0.6, 0.4]
    """
    arr, labels = as_cov(cov)
    n = arr.shape[0]
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        b = as_vector(budgets, labels, "budgets")
        if (b < 0).any():
            raise ValidationError(f"budgets: negative budget for {list(labels[b < 0][:10])}")
        if not b.sum() > 0:
            raise ValidationError("budgets: all budgets are zero")
        b = b / b.sum()
    if not (np.isfinite(tol) and 0 < tol < 1):
        raise ValidationError(f"tol must be in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValidationError(f"max_iter must be a positive integer, got {max_iter!r}")
    idx = np.flatnonzero(b > 0)
    corr = arr if len(idx) == n else arr[np.ix_(idx, idx)]
    sigma = np.sqrt(np.diag(corr))
    inv = 1.0 / sigma
    corr *= inv[:, None]  # arr is our own copy: scale it in place into the correlation
    corr *= inv[None, :]
    np.fill_diagonal(corr, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if len(idx) > _THREAD_LIMIT_MIN_N:
            with single_blas_thread():
                x = _solve_spinu(corr, b[idx], tol, int(max_iter), labels[idx])
        else:
            x = _solve_spinu(corr, b[idx], tol, int(max_iter), labels[idx])
    w = np.zeros(n)
    w[idx] = x / sigma
    w /= w.sum()
    return pd.Series(w, index=labels, name="weight")


# --------------------------------------------------------------------------- solver


def _objective(corr: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    return 0.5 * float(x @ (corr @ x)) - float(b @ np.log(x))


def _solve_spinu(
    corr: np.ndarray, b: np.ndarray, tol: float, max_iter: int, labels: pd.Index
) -> np.ndarray:
    """Solve ``x_i (Cx)_i = b_i`` for ``x > 0`` (``C`` a correlation matrix, ``Σb = 1``)."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n = b.shape[0]
    if n == 1:
        return np.ones(1)
    # start: the solution when C = I, scaled onto the optimal ray (xᵀCx = Σb = 1)
    x = np.sqrt(b)
    quad = float(x @ (corr @ x))
    if not quad > 1e-12:
        raise InfeasibleError(
            "risk budgeting has no solution: a long-only combination of the assets has zero "
            f"variance (x'Cx = {quad:.3g} at the start point); the assets hedge each other "
            "perfectly"
        )
    x = x / np.sqrt(quad)
    f = _objective(corr, b, x)
    for _ in range(_JACOBI_SWEEPS):
        c = corr @ x - x
        x_new = 0.5 * (np.sqrt(c * c + 4.0 * b) - c)
        if not (x_new > 0).all():
            break
        f_new = _objective(corr, b, x_new)
        if not f_new < f:
            break
        x, f = x_new, f_new

    best_err, best_x = np.inf, x
    stalled = 0
    err = np.inf
    diag = np.arange(n)
    for _ in range(max_iter + 1):
        cx = corr @ x
        err = float(np.max(np.abs(x * cx - b) / b))
        if err <= tol:
            return x
        if err < 0.5 * best_err:
            best_err, best_x, stalled = err, x, 0
        else:
            stalled += 1
            if stalled >= 3 and best_err <= _STALL_TOL:
                return best_x  # at the floating-point floor of this matrix
        grad = cx - b / x
        hess = corr.copy()
        hess[diag, diag] += b / (x * x)
        try:
            factor = cho_factor(hess, lower=True, overwrite_a=True, check_finite=False)
        except LinAlgError:  # C + a positive diagonal is PD unless the iterate degenerated
            break
        step_dir = cho_solve(factor, grad, check_finite=False)
        decrement = float(grad @ step_dir)
        t = 1.0
        up = step_dir > 0
        if up.any():  # stay strictly inside x > 0
            t = min(1.0, 0.99 * float(np.min(x[up] / step_dir[up])))
        while True:
            x_new = x - t * step_dir
            f_new = _objective(corr, b, x_new)
            if decrement < _FULL_STEP_DECREMENT or f_new <= f - _ARMIJO * t * decrement:
                break
            t *= 0.5
            if t < 1e-14:
                break
        x, f = x_new, f_new
        if not np.isfinite(x).all():
            break
    worst = labels[int(np.argmax(np.abs(x * (corr @ x) - b) / b))] if np.isfinite(x).all() else "?"
    raise InfeasibleError(
        f"risk budgeting did not converge in {max_iter} Newton iterations: largest relative "
        f"budget error {err:.3g} (instrument {worst!r}) > tol {tol:g}; the covariance is "
        "probably singular in a direction where assets hedge each other"
    )

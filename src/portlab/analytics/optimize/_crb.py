"""Constrained risk budgeting: risk budgets under per-asset bounds and group caps.

Richard & Roncalli (2019), "Constrained risk budgeting portfolios": for a scale ``λ > 0``

    x(λ) = argmin  ½ xᵀ Σ x − λ Σ_i b_i log x_i   subject to the bounds and group caps,

and ``λ`` is the one for which ``1ᵀ x(λ)`` equals the budget (the sum grows with ``λ``; a
root-finder on ``log λ`` re-solves one cvxpy problem compiled once with ``λ`` as a
parameter). Without binding constraints this is the risk-budgeting portfolio; otherwise the
KKT conditions give ``RC_i = λ b_i`` on every asset that no constraint touches, and the
constrained assets sit on their bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portlab.analytics.optimize._constraints import Constraints, explain_infeasibility, resolve
from portlab.exceptions import InfeasibleError, ValidationError

__all__ = ["constrained_risk_budgeting"]


def constrained_risk_budgeting(
    cov: Any, budgets: Any = None, *, constraints: Constraints, tol: float = 1e-10
) -> pd.Series:
    """Long-only risk-budgeting weights under bounds and group caps.

    Parameters
    ----------
    cov : DataFrame or ndarray, shape (n, n)
        Covariance of returns (any period).
    budgets : Series, Mapping or array-like of shape (n,), optional
        Positive risk budgets (normalised to sum to 1); equal by default.
    constraints : Constraints
        Per-asset ``bounds``, ``groups`` (several groupings at once) and ``budget``. Turnover,
        transaction costs and short positions are not part of risk budgeting and are rejected.
    tol : float
        Tolerance of the root-finder on the budget (relative).

    Returns
    -------
    Series, shape (n,)
        Weights summing to the budget, named ``"weight"``.

    Raises
    ------
    ValidationError
        Unsupported constraints (shorts, turnover, costs) or non-positive budgets.
    InfeasibleError
        The bounds and caps admit no portfolio (the message says which conflict), or the
        solver failed.
    """
    import cvxpy as cp
    from scipy.optimize import brentq

    from portlab.analytics.optimize._riskparity import _as_cov, _as_vector

    arr, labels = _as_cov(cov)
    n = arr.shape[0]
    b = np.full(n, 1.0 / n) if budgets is None else _as_vector(budgets, labels, "budgets")
    if not (b > 0).all():
        raise ValidationError(
            "budgets: constrained risk budgeting needs a positive budget for every asset"
        )
    b = b / b.sum()
    r = resolve(constraints, labels)
    if not r.long_only or r.max_turnover is not None or r.has_costs:
        raise ValidationError(
            "constrained risk budgeting is long-only and takes bounds and group caps only "
            "(no turnover limit, costs or shorts)"
        )
    reasons = explain_infeasibility(constraints, labels)
    if reasons:
        raise InfeasibleError("; ".join(reasons))
    scale = float(np.mean(np.diag(arr)))
    chol = np.linalg.cholesky(arr / scale + 1e-12 * np.eye(n))
    x = cp.Variable(n)
    lam = cp.Parameter(nonneg=True)
    cons = [x >= np.maximum(r.lb, 0.0)]
    if np.isfinite(r.ub).any():
        cons.append(x[np.isfinite(r.ub)] <= r.ub[np.isfinite(r.ub)])
    if len(r.G):
        hi, lo = np.isfinite(r.gmax), np.isfinite(r.gmin) & (r.gmin > 0)
        if hi.any():
            cons.append(r.G[hi] @ x <= r.gmax[hi])
        if lo.any():
            cons.append(r.G[lo] @ x >= r.gmin[lo])
    problem = cp.Problem(
        cp.Minimize(0.5 * cp.sum_squares(chol.T @ x) - lam * (b @ cp.log(x))), cons
    )

    def solve(log_lam: float) -> np.ndarray:
        lam.value = float(np.exp(log_lam))
        try:
            problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
        except cp.error.SolverError as exc:
            raise InfeasibleError(f"constrained risk budgeting: solver failed ({exc})") from None
        if problem.status not in {"optimal", "optimal_inaccurate"} or x.value is None:
            raise InfeasibleError(f"constrained risk budgeting: solver status {problem.status}")
        return np.maximum(np.asarray(x.value), 0.0)

    # unconstrained and unit variances: x_i ≈ √(λ b_i), so 1ᵀx = budget near λ = budget² / n
    budget = r.budget
    guess = np.log(budget * budget / n)

    def excess(t: float) -> float:
        return float(solve(t).sum()) - budget

    lo, hi = guess - 1.0, guess + 1.0
    for _ in range(30):  # widen until the budget is bracketed
        f_lo, f_hi = excess(lo), excess(hi)
        if f_lo <= 0 <= f_hi:
            break
        lo, hi = (lo - 2.0, hi) if f_lo > 0 else (lo, hi + 2.0)
    else:
        raise InfeasibleError(
            "constrained risk budgeting: the budget cannot be reached under the caps"
        )
    root = brentq(excess, lo, hi, xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=200)
    w = solve(root)
    w = budget * w / w.sum()
    return pd.Series(w, index=labels, name="weight")

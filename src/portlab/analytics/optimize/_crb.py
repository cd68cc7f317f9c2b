"""Constrained risk budgeting: risk budgets under bounds, group caps, turnover, costs, shorts.

Richard & Roncalli (2019), "Constrained risk budgeting portfolios". With ``σ(x) = √(xᵀΣx)``,
the side ``s_i = ±1`` of each asset and ``Ω`` the convex set of the constraints, for a scale
``λ > 0``

    x(λ) = argmin  σ(x) − λ Σ_i b_i log(s_i x_i) + Σ_i c_i |x_i − x0_i|   over x ∈ Ω,

and ``λ`` is the one for which the exposure ``Σ_i s_i x_i`` reaches its target: the budget of a
long-only portfolio, the gross leverage of a long/short one. Without binding constraints or
costs ``x(λ) = λ x(1)`` and the KKT conditions give ``RC_i / σ = λ b_i`` (the risk-budgeting
portfolio, and ``λ = σ``); otherwise each constraint or cost that binds on asset ``i`` adds its
multiplier to that asset's equation, and the other assets keep contributions proportional to
their budgets.

The volatility (not the variance) is the risk term so that proportional transaction costs,
fractions of the amount traded, are in the same units as the risk they are traded against.
Without costs both forms have the same solution (their KKT systems differ only by the scale of
the multipliers).

The usual path (``_crb_polish``) needs no conic solver: starting from the unconstrained
risk-budgeting portfolio (Newton, ``_riskparity``), a primal-dual active-set method solves the
KKT system together with the exposure target by Newton's method and moves violated bounds and
rows, or wrongly signed multipliers, in or out of the active set until every KKT condition
holds. When it does not settle, the fallback root-finds ``λ``: the exposure grows with ``λ``,
linearly when nothing binds, so a secant on ``log λ`` against ``log exposure``, safeguarded by
bisection inside a bracket, re-solves one cvxpy program compiled once with ``λ`` as a
parameter to a coarse tolerance, reads the active set off that solution and polishes it the
same way (or, failing that too, refines the root as far as the interior point allows).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.optimize._constraints import (
    Constraints,
    ResolvedConstraints,
    lp_reasons,
    quick_reasons,
    resolve,
)
from portlab.analytics.optimize._crb_polish import polish
from portlab.analytics.optimize._inputs import as_cov, as_vector, single_blas_thread
from portlab.analytics.optimize._riskparity import risk_budgeting
from portlab.exceptions import ConfigError, InfeasibleError, ValidationError

if TYPE_CHECKING:
    from portlab.types import CovarianceLike, VectorLike

__all__ = ["constrained_risk_budgeting"]

_MAX_SOLVES = 60
_COARSE = 1e-4  # relative exposure error at which the active set is read off
# interior-point tolerances: the weights are then accurate to ~1e-6 (the square root of the gap)
_CLARABEL = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 400}


def constrained_risk_budgeting(
    cov: CovarianceLike,
    budgets: VectorLike | None = None,
    *,
    constraints: Constraints | None = None,
    signs: VectorLike | None = None,
    tol: float = 1e-6,
) -> pd.Series:
    """Risk-budgeting weights under the constraints of :class:`Constraints`.

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        Covariance of returns (:data:`~portlab.types.CovarianceLike`), symmetric positive
        semidefinite. Its period (daily, annual) sets how much a unit of transaction cost
        weighs against a unit of volatility; without costs the weights do not depend on it.
    budgets : Series, Mapping or array-like of shape (n,), optional
        Positive risk budgets (:data:`~portlab.types.VectorLike`, normalised to sum to 1);
        equal by default.
    constraints : Constraints, optional
        Every field is honoured: per-asset ``bounds``, ``groups`` caps (several groupings),
        ``max_turnover`` and proportional ``transaction_costs`` against ``current_weights``,
        ``l2_gamma`` (``cov + l2_gamma·I`` in the risk term). Long-only (default): the weights
        sum to ``budget`` (> 0). Long/short (``long_only=False`` with some negative
        ``signs``): the gross exposure ``Σ|w|`` equals ``max_gross_leverage`` (required) and
        the net exposure ``Σw`` equals ``budget``.
    signs : Series, Mapping or array-like of shape (n,), optional
        The side of each asset, +1 long or -1 short (risk budgeting needs a nonzero position
        of known side in every asset). Default: all long.
    tol : float
        Relative tolerance on the exposure target when the Newton polish (the usual path,
        exact to ~1e-14) cannot settle and the interior-point root is returned (whose
        weights are accurate to ~1e-6).

    Returns
    -------
    Series, shape (n,)
        Weights (fractions of NAV), named ``"weight"``; zero is impossible by construction.

    Raises
    ------
    ValidationError
        Non-positive budgets, signs other than ±1, a non-finite or non-square covariance.
    ConfigError
        Short signs with ``long_only=True``, long/short without ``max_gross_leverage``, or a
        long-only budget <= 0.
    InfeasibleError
        The constraints admit no portfolio with the given signs (the message says which
        conflict), the target exposure cannot be reached, or the solver failed.

    Notes
    -----
    The KKT conditions hold at the solution: on an asset that no constraint or cost touches,
    ``w_i (Σw)_i / σ(w) = λ b_i`` with the same ``λ`` for all of them. Long/short with signs
    ``s`` and no binding constraint gives ``s ∘ risk_budgeting(D Σ D)`` (``D = diag(s)``)
    scaled to the gross leverage.

    Method: an active-set Newton method on the KKT system, started from the unconstrained
    risk-budgeting portfolio, every KKT condition verified at the end (0.1-0.3 s at 500
    assets; ``benchmarks/bench_allocators.py``); when it does not settle, a root-finder over
    interior-point solves of one compiled cvxpy program (1-2 s per solve at 500 assets).
    """
    arr, labels = as_cov(cov)
    n = arr.shape[0]
    b = np.full(n, 1.0 / n) if budgets is None else as_vector(budgets, labels, "budgets")
    if not (b > 0).all():
        bad = list(labels[~(b > 0)][:5])
        raise ValidationError(f"budgets: risk budgeting needs a positive budget, not for {bad}")
    b = b / b.sum()
    s = np.ones(n) if signs is None else as_vector(signs, labels, "signs")
    if not np.isin(s, (-1.0, 1.0)).all():
        raise ValidationError(f"signs must be +1 or -1, got {sorted(set(s.tolist()))[:5]}")
    r = resolve(constraints, labels)
    short = bool((s < 0).any())
    if short and r.long_only:
        raise ConfigError(
            f"signs put {list(labels[s < 0][:5])} short but the constraints are long_only; "
            "pass Constraints(long_only=False, max_gross_leverage=...)"
        )
    if short and r.max_gross is None:
        raise ConfigError(
            "long/short risk budgeting fixes the gross exposure: set max_gross_leverage"
        )
    if not short and r.budget <= 0:
        raise ConfigError(f"long-only risk budgeting needs a budget > 0, got {r.budget:g}")
    target = float(r.max_gross) if short else r.budget
    r_signed = _sign_restricted(r, s, short)
    _check_feasible(r_signed, s, labels)

    risk_cov = arr + r.l2_gamma * np.eye(n) if r.l2_gamma else arr

    # start from the unconstrained answer (exact when nothing binds and there are no costs):
    # an active-set Newton method from there usually settles without any conic solve
    flipped = risk_cov * np.outer(s, s)
    try:
        y = risk_budgeting(flipped, b).to_numpy() * target
    except InfeasibleError:  # a singular covariance: any positive start will do
        y = np.full(n, target / n)
    lam0 = float(np.sqrt(max(y @ flipped @ y, 1e-300)))
    with single_blas_thread():
        x = polish(risk_cov, b, s, r_signed, short, target, s * y)
    if x is None:
        # a coarse root on interior-point solutions finds the active constraints; Newton on
        # that active set then gives the exact solution (else the finer interior-point root)
        model = _Model(_factor(risk_cov), b, s, r_signed, short)
        x, lam = _root(model, lam0, target, _COARSE)
        with single_blas_thread():
            polished = polish(risk_cov, b, s, r_signed, short, target, x)
        x = polished if polished is not None else _root(model, lam, target, tol)[0]
    if not short:  # the root-finder's last error in the sum, removed so the sum is the budget
        x = _to_budget(x, target, r_signed)
    return pd.Series(x, index=labels, name="weight")


def _to_budget(x: np.ndarray, target: float, r: ResolvedConstraints) -> np.ndarray:
    """``x`` moved to sum to ``target``: rescaled, unless a turnover limit is set, where the
    residual goes to one asset inside its bounds that it moves back toward its current
    weight (so the turnover can only fall; a rescale adds up to the residual to it)."""
    residual = target - float(x.sum())
    if r.max_turnover is not None and residual != 0.0:
        toward = np.sign(r.w0 - x) == np.sign(residual)
        room = np.minimum(np.abs(r.w0 - x), np.where(residual > 0, r.ub - x, x - r.lb))
        ok = toward & (room >= abs(residual))
        if ok.any():
            i = int(np.argmax(np.where(ok, room, -np.inf)))
            out = x.copy()
            out[i] += residual
            return out
    return x * (target / x.sum())


# --------------------------------------------------------------------------- pieces


def _sign_restricted(r: ResolvedConstraints, s: np.ndarray, short: bool) -> ResolvedConstraints:
    """The constraints with each asset held on its side (the set the weights must lie in)."""
    lb = np.where(s > 0, np.maximum(r.lb, 0.0), r.lb)
    ub = np.where(s < 0, np.minimum(r.ub, 0.0), r.ub)
    return dataclasses.replace(r, lb=lb, ub=ub, long_only=not short)


def _check_feasible(r: ResolvedConstraints, s: np.ndarray, labels: pd.Index) -> None:
    closed = (s > 0) & (r.ub <= 0) | (s < 0) & (r.lb >= 0)
    if closed.any():
        raise InfeasibleError(
            f"risk budgeting needs a position on the given side of every asset, but the "
            f"bounds close that side for {list(labels[closed][:5])}"
        )
    reasons = quick_reasons(r) or lp_reasons(r)
    if reasons:
        raise InfeasibleError("; ".join(reasons))


def _factor(cov: np.ndarray) -> np.ndarray:
    """``F`` with ``F Fᵀ = cov`` (Cholesky, or eigenvectors when cov is only semidefinite)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        keep = vals > vals.max() * 1e-12
        return vecs[:, keep] * np.sqrt(vals[keep])


class _Model:
    """The program of ``x(λ)`` compiled once (``λ`` is a cvxpy Parameter)."""

    def __init__(
        self, factor: np.ndarray, b: np.ndarray, s: np.ndarray, r: ResolvedConstraints, short: bool
    ) -> None:
        import cvxpy as cp

        self._cp = cp
        self.s = s
        self.short = short
        n = len(b)
        x = cp.Variable(n, name="x")
        self.lam = cp.Parameter(nonneg=True, name="lambda")
        objective = cp.norm(factor.T @ x) - self.lam * (b @ cp.log(cp.multiply(s, x)))
        if r.has_costs:
            nz = np.flatnonzero(r.costs > 0)
            objective = objective + r.costs[nz] @ cp.abs(x[nz] - r.w0[nz])
        cons = []
        lo, hi = np.isfinite(r.lb) & (r.lb != 0), np.isfinite(r.ub) & (r.ub != 0)
        if lo.any():  # zero bounds are the log's own domain
            cons.append(x[np.flatnonzero(lo)] >= r.lb[lo])
        if hi.any():
            cons.append(x[np.flatnonzero(hi)] <= r.ub[hi])
        if r.G.shape[0]:
            gh, gl = np.isfinite(r.gmax), np.isfinite(r.gmin)
            if gh.any():
                cons.append(r.G[gh] @ x <= r.gmax[gh])
            if gl.any():
                cons.append(r.G[gl] @ x >= r.gmin[gl])
        if r.max_turnover is not None:
            cons.append(cp.norm1(x - r.w0) <= r.max_turnover)
        if short:  # the net exposure; the gross one is the root-finder's target
            cons.append(cp.sum(x) == r.budget)
        self.x = x
        self.problem = cp.Problem(cp.Minimize(objective), cons)

    def exposure(self, lam: float) -> tuple[float, np.ndarray]:
        """``(Σ s_i x_i, x)`` at ``λ``."""
        cp = self._cp
        self.lam.value = lam
        try:
            with warnings.catch_warnings():  # "may be inaccurate": the polish decides
                warnings.simplefilter("ignore", UserWarning)
                self.problem.solve(solver=cp.CLARABEL, **_CLARABEL)
        except cp.error.SolverError as exc:
            raise InfeasibleError(f"constrained risk budgeting: solver failed ({exc})") from None
        if self.problem.status not in {"optimal", "optimal_inaccurate"} or self.x.value is None:
            raise InfeasibleError(
                f"constrained risk budgeting: solver status {self.problem.status} at λ={lam:.3g}"
            )
        x = np.asarray(self.x.value, dtype=float)
        return float(self.s @ x), x


_FLAT_SLOPE = 0.05  # d log(exposure) / d log(λ) below this: the path is near its ceiling
_HUG = 0.05  # a false-position step this close to a bracket end (share of its width) bisects


def _root(model: _Model, lam: float, target: float, tol: float) -> tuple[np.ndarray, float]:
    """``x(λ)`` at the ``λ`` where the exposure equals ``target``, and that ``λ``.

    Secant steps in ``(log λ, log exposure)`` (exact in one step when nothing binds), kept
    inside the bracket found so far and replaced by bisection when they stall. When the
    exposure stops moving (or the solver gives out at extreme ``λ``) before the target is
    bracketed, no risk-budgeting portfolio exists under these constraints.
    """
    lo: tuple[float, float] | None = None  # (log λ, log exposure) below the target
    hi: tuple[float, float] | None = None
    goal = math.log(target)
    t, slope = math.log(lam), 1.0
    widen = 1.0
    prev: tuple[float, float] | None = None
    for _ in range(_MAX_SOLVES):
        try:
            e, x = model.exposure(math.exp(t))
        except InfeasibleError:
            if prev is None or (lo is not None and hi is not None):
                raise
            _unreachable(math.exp(prev[1]), target, model.short)
        if abs(e / target - 1.0) <= tol:
            return x, math.exp(t)
        le = math.log(max(e, 1e-300))
        if le < goal:
            lo = (t, le)
        else:
            hi = (t, le)
        if prev is not None and abs(t - prev[0]) > 1e-14:
            if (lo is None or hi is None) and abs(t - prev[0]) > 4.0 and abs(le - prev[1]) < 1e-6:
                _unreachable(e, target, model.short)
            slope = min(max((le - prev[1]) / (t - prev[0]), 0.02), 50.0)
        prev = (t, le)
        step = t + (goal - le) / slope
        if lo is not None and hi is not None:
            (a, la), (c, lc) = lo, hi
            if abs(c - a) < 1e-12:  # the bracket is as narrow as the solver's accuracy allows
                return x, math.exp(t)
            # false position through the bracket's ends (the local slope of a flat stretch
            # would crawl), bisection when that step leaves the bracket or hugs one end
            step = a + (goal - la) * (c - a) / (lc - la) if lc != la else 0.5 * (a + c)
            if min(abs(step - a), abs(step - c)) < _HUG * abs(c - a) or not (
                min(a, c) < step < max(a, c)
            ):
                step = 0.5 * (a + c)
        elif slope <= _FLAT_SLOPE:
            # the exposure flattens toward a bound on the far side of the target: widen
            # geometrically (at most e^5 at a time) until it is bracketed or shown unreachable
            reach = min(max(abs(step - t), widen), 5.0)
            step = t + reach if lo is not None else t - reach
            widen = min(2.0 * widen, 5.0)
        elif lo is not None and step - t > 5.0:
            step = t + 5.0  # widen by at most e^5 at a time
        elif hi is not None and t - step > 5.0:
            step = t - 5.0
        t = step
    raise InfeasibleError(
        f"constrained risk budgeting: no convergence to the exposure {target:g} in "
        f"{_MAX_SOLVES} solves"
    )


def _unreachable(e: float, target: float, short: bool) -> None:
    side = "at most" if e < target else "at least"
    what = "gross exposure" if short else "total weight"
    hint = (
        "raise max_gross_leverage, change the net budget or the signs"
        if short
        else "loosen the turnover limit, the caps or the bounds"
    )
    raise InfeasibleError(
        f"no risk-budgeting portfolio satisfies these constraints: at every risk scale they "
        f"hold the {what} {side} {e:.4g}, not {target:.4g}; {hint}"
    )

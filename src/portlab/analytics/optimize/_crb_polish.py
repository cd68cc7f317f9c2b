"""Newton polish of a constrained risk-budgeting solution on its active set.

An interior-point solve of the program of ``x(λ)`` is accurate to about the square root of its
duality gap (~1e-6 in the weights), and a root-finder on ``λ`` built on it cannot do better.
Given that solution, the constraints that bind are known: assets held at a bound or at their
current weight, group caps at their limit, the turnover limit, the net exposure. On that active
set the KKT conditions together with the exposure target are a square, smooth system in
``(x_free, λ, ν)``

    ∂σ/∂x_i − λ b_i / x_i + c_i d_i + Σ_r ν_r a_ri = 0     (free assets, d_i = trade direction)
    a_rᵀ x = rhs_r                                         (active rows)
    sᵀ x = target                                          (the exposure)

which Newton's method solves to machine precision in a few steps. The result is then checked
against every KKT condition (inactive rows hold, multipliers have the right sign, fixed assets'
reduced gradients lie in their subdifferential); a failed check moves the offending asset or row
in or out of the active set and Newton runs again (a primal-dual active-set method). If that
does not settle, the caller keeps the interior-point answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from portlab.analytics.optimize._constraints import ResolvedConstraints
from portlab.exceptions import SingularMatrixError
from portlab.linalg import solve

__all__ = ["polish"]

_ROUNDS = 30  # active-set corrections before giving up
_NEWTON_STEPS = 25
_CLASSIFY = 1e-6  # weights this close to a bound / the current weight are taken to sit on it
_KKT_TOL = 1e-9


_TURNOVER, _NET = ("turnover",), ("net",)


class _Row(NamedTuple):
    """A linear row ``a x (sense) rhs``; sense +1 is ``<=``, -1 ``>=``, 0 ``==``."""

    key: tuple  # ("group", k, ±1), _TURNOVER or _NET
    a: np.ndarray
    rhs: float
    sense: int


@dataclass
class _Problem:
    cov: np.ndarray
    b: np.ndarray
    s: np.ndarray
    r: ResolvedConstraints
    short: bool
    target: float

    @property
    def trades(self) -> bool:
        """True when the objective or constraints see the trade ``x − x0`` (costs, turnover)."""
        return self.r.has_costs or self.r.max_turnover is not None


def polish(
    cov: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    r: ResolvedConstraints,
    short: bool,
    target: float,
    x: np.ndarray,
) -> np.ndarray | None:
    """The exact solution, found from ``x``, or None when the active-set method does not settle.

    ``x`` is a start point on the right side of zero for every asset: an interior-point answer
    (the active set is then read off it) or the unconstrained risk-budgeting portfolio (the
    violated constraints start active). ``r`` holds the sign-restricted bounds (every long
    asset's lower bound >= 0).
    """
    p = _Problem(cov, b, s, r, short, target)
    at_lb, at_ub, home, d = _classify(p, x)
    scale = _CLASSIFY * max(1.0, p.target)
    # the active rows are kept by key: their coefficients follow the trade directions
    active = [row.key for row in _candidates(p, d, home) if _at_limit(p, x, row, scale)]
    x = x.copy()
    for _ in range(_ROUNDS):
        fixed = at_lb | at_ub | home
        x[at_lb], x[at_ub], x[home] = r.lb[at_lb], r.ub[at_ub], r.w0[home]
        if p.trades:  # an asset held at a bound trades toward it
            on_bound = at_lb | at_ub
            d[on_bound] = np.sign(x[on_bound] - r.w0[on_bound])
        rows = [row for row in _candidates(p, d, home) if row.key in active]
        solved = _newton(p, x, ~fixed, d, rows)
        if solved is None:
            return None
        x, lam, nu, converged = solved
        changed = _correct(p, x, lam, nu, at_lb, at_ub, home, d, rows, active)
        if not changed:
            return x if converged else None
    return None


def _classify(p: _Problem, x: np.ndarray):
    r = p.r
    scale = _CLASSIFY * max(1.0, p.target)
    home = np.zeros(len(x), dtype=bool)
    d = np.zeros(len(x))
    if p.trades:
        home = np.abs(x - r.w0) <= scale
        d = np.where(home, 0.0, np.sign(x - r.w0))
    # on or beyond a bound (a start point may violate some)
    at_lb = ~home & np.isfinite(r.lb) & (r.lb != 0) & (x - r.lb <= scale)
    at_ub = ~home & ~at_lb & np.isfinite(r.ub) & (r.ub != 0) & (r.ub - x <= scale)
    return at_lb, at_ub, home, d


def _candidates(p: _Problem, d: np.ndarray, home: np.ndarray) -> list[_Row]:
    """Every row that can bind, built for the trade directions ``d``."""
    r = p.r
    out = []
    for k in range(r.G.shape[0]):
        if np.isfinite(r.gmax[k]):
            out.append(_Row(("group", k, 1), r.G[k], float(r.gmax[k]), 1))
        if np.isfinite(r.gmin[k]):
            out.append(_Row(("group", k, -1), r.G[k], float(r.gmin[k]), -1))
    if r.max_turnover is not None:
        a = np.where(home, 0.0, d)
        out.append(_Row(_TURNOVER, a, float(r.max_turnover + a @ r.w0), 1))
    if p.short:
        out.append(_Row(_NET, np.ones(len(d)), float(r.budget), 0))
    return out


def _at_limit(p: _Problem, x: np.ndarray, row: _Row, slack: float) -> bool:
    """True when ``x`` is within ``slack`` of the row's limit or beyond it (a negative
    ``slack``: beyond it by more than ``-slack``). Equalities always are."""
    if row.sense == 0:
        return True
    if row.key == _TURNOVER:  # measured, not through ``a``: the directions may be stale
        return bool(np.abs(x - p.r.w0).sum() >= p.r.max_turnover - slack)
    return bool(row.sense * (row.a @ x - row.rhs) >= -slack)


def _gradient(p: _Problem, x: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``(∂σ/∂x − λ b / x, Σx, σ)``."""
    sx = p.cov @ x
    sigma = float(np.sqrt(x @ sx))
    return sx / sigma - lam * p.b / x, sx, sigma


def _newton(p: _Problem, x: np.ndarray, free: np.ndarray, d: np.ndarray, rows: list[_Row]):
    """Solve the active-set system; returns ``(x, λ, ν, converged)``, or None when singular.

    A wrong active set often has no solution on the right side of zero: Newton then crawls,
    and after ``_NEWTON_STEPS`` the last iterate is returned unconverged for its violations to
    correct the active set."""
    v = np.flatnonzero(free)
    m = len(rows)
    a = np.array([row.a for row in rows]).reshape(m, len(x))
    rhs = np.array([row.rhs for row in rows])
    cost = p.r.costs * d
    # λ and ν from the stationarity of the free assets, by least squares
    grad_risk = _gradient(p, x, 0.0)[0] + cost
    basis = np.column_stack([-p.b[v] / x[v], a[:, v].T])
    coef, *_ = np.linalg.lstsq(basis, -grad_risk[v], rcond=None)
    lam, nu = float(coef[0]), coef[1:]
    if not lam > 0:
        lam = float(np.mean(x[v] * grad_risk[v] / p.b[v])) if len(v) else 1.0

    def residual(x, lam, nu):
        g, _, _ = _gradient(p, x, lam)
        return np.concatenate([(g + cost + a.T @ nu)[v], a @ x - rhs, [p.s @ x - p.target]])

    f = residual(x, lam, nu)
    for _ in range(_NEWTON_STEPS):
        norm = np.linalg.norm(f)
        if np.linalg.norm(f, np.inf) < 1e-13 * max(1.0, lam):
            return x, lam, nu, True
        _, sx, sigma = _gradient(p, x, lam)
        h = p.cov[np.ix_(v, v)] / sigma - np.outer(sx[v], sx[v]) / sigma**3
        h[np.diag_indices_from(h)] += lam * p.b[v] / x[v] ** 2
        k = len(v)
        jac = np.zeros((k + m + 1, k + 1 + m))
        jac[:k, :k] = h
        jac[:k, k] = -p.b[v] / x[v]
        jac[:k, k + 1 :] = a[:, v].T
        jac[k : k + m, :k] = a[:, v]
        jac[k + m, :k] = p.s[v]
        try:
            step = solve(jac, -f, name="the KKT Jacobian")
        except SingularMatrixError:  # degenerate active set: the interior-point path decides
            return None
        t = 1.0
        for _ in range(30):  # stay on each asset's side and reduce the residual
            xt = x.copy()
            xt[v] = x[v] + t * step[:k]
            lt, nt = lam + t * step[k], nu + t * step[k + 1 :]
            if (p.s * xt > 0).all() and lt > 0:
                ft = residual(xt, lt, nt)
                if np.linalg.norm(ft) < (1 - 1e-4 * t) * norm:
                    break
            t *= 0.5
        else:  # no decrease left: accept a residual at rounding level
            return x, lam, nu, bool(norm < 1e-10 * max(1.0, lam))
        x, lam, nu, f = xt, lt, nt, ft
    return x, lam, nu, False


def _correct(p, x, lam, nu, at_lb, at_ub, home, d, rows: list[_Row], active: list) -> bool:
    """Check the KKT conditions at ``x``; move what fails in or out of the active set.

    At an unconverged iterate the multipliers are only estimates, but they still point the
    active set the right way more often than not. Returns True when something changed (the
    masks, ``d`` and ``active`` are updated in place)."""
    r = p.r
    changed = False
    free = ~(at_lb | at_ub | home)
    tol = _KKT_TOL * max(1.0, p.target)
    # free assets inside their bounds and on their side of the current weight
    low = free & np.isfinite(r.lb) & (x < r.lb - tol)
    high = free & np.isfinite(r.ub) & (x > r.ub + tol)
    at_lb |= low
    at_ub |= high
    changed |= bool(low.any() or high.any())
    if p.trades:
        crossed = free & ~low & ~high & (d * (x - r.w0) < -tol)
        home |= crossed
        d[crossed] = 0.0
        changed |= bool(crossed.any())
    changed |= _dual_correct(p, x, lam, nu, at_lb, at_ub, home, d, rows, active)
    # violated rows join the active set
    for row in _candidates(p, d, home):
        if row.key not in active and _at_limit(p, x, row, -tol):
            active.append(row.key)
            changed = True
    return changed


def _dual_correct(p, x, lam, nu, at_lb, at_ub, home, d, rows: list[_Row], active: list) -> bool:
    """Release fixed assets and drop rows whose multipliers have the wrong sign."""
    r = p.r
    changed = False
    free = ~(at_lb | at_ub | home)
    keys = [row.key for row in rows]
    nu_turnover = max(float(nu[keys.index(_TURNOVER)]), 0.0) if _TURNOVER in keys else 0.0
    # fixed assets: the reduced gradient must lie in the subdifferential of what holds them
    a = np.array([row.a for row in rows]).reshape(len(rows), len(x))
    g, _, _ = _gradient(p, x, lam)
    rho = g + r.costs * d + a.T @ nu
    widen = np.where(home, r.costs + nu_turnover, 0.0)
    lo = np.where(at_ub, -np.inf, 0.0) - widen
    hi = np.where(at_lb, np.inf, 0.0) + widen
    scale = 1e-7 * max(1.0, lam)
    out = ~free & ((rho < lo - scale) | (rho > hi + scale))
    if out.any():
        release = out & home
        d[release] = -np.sign(rho[release])
        home &= ~out
        at_lb &= ~out
        at_ub &= ~out
        changed = True
    # inequality rows: ν >= 0 for "<=", ν <= 0 for ">=", else the row is dropped
    for row, mult in zip(rows, nu, strict=True):
        if row.sense != 0 and row.sense * mult < -1e-10 * max(1.0, lam):
            active.remove(row.key)
            changed = True
    return changed

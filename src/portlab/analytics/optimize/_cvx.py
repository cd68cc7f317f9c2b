"""Mean-variance problems as cvxpy programs compiled once, with Parameters, re-solved.

Used for what the critical line algorithm does not cover: turnover limits, proportional
transaction costs, binding gross leverage (long/short), or a covariance that is only
positive semidefinite. Each objective is compiled the first time it is asked for (DPP: the
expected returns, the risk-free rate, the target and the risk aversion are Parameters), and
every later solve only updates parameter values: this is what a slider in a widget does.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from portlab.analytics.optimize._constraints import ResolvedConstraints

__all__ = ["CvxModel"]

# tight tolerances: the weights then agree with the exact (critical line) solution to ~1e-6
_ACCURATE = MappingProxyType(
    {"CLARABEL": MappingProxyType({"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10})}
)

# internal objective: the maximum expected return (net of costs), for frontier ends and checks
MAX_RETURN = "max_return"
# internal objective: the least variance, costs ignored (the low end of a frontier)
MIN_VARIANCE = "min_variance"


@dataclass
class _Compiled:
    problem: Any
    w: Any  # the weights expression (y / k for max Sharpe is recovered after the solve)
    k: Any | None  # the homogenising scale of max Sharpe


class CvxModel:
    """cvxpy programs over one covariance and one set of constraints.

    Parameters
    ----------
    cov : ndarray (n, n)
        Covariance used in the risk term (annual; ``l2_gamma`` already added), symmetric PSD.
    r : ResolvedConstraints
    solver : str
        cvxpy solver name (Clarabel handles every objective, QP and SOCP).
    """

    def __init__(self, cov: np.ndarray, r: ResolvedConstraints, solver: str = "CLARABEL") -> None:
        import cvxpy as cp

        self._cp = cp
        self.r = r
        self.solver = solver
        n = r.n
        self.P = cp.psd_wrap(cov)
        self.mu = cp.Parameter(n, name="mu")
        self.rf = cp.Parameter(name="risk_free_rate")
        self.target = cp.Parameter(name="target_return")
        self.var_target = cp.Parameter(nonneg=True, name="target_variance")
        self.delta = cp.Parameter(nonneg=True, name="risk_aversion")
        self._compiled: dict[str, _Compiled] = {}

    # ------------------------------------------------------------------ building blocks
    def _constraints(self, x, s):
        """Linear (and norm) constraints on ``x`` scaled by ``s`` (1, or the max-Sharpe scale)."""
        cp, r = self._cp, self.r
        out = [cp.sum(x) == r.budget * s]
        lo, hi = np.isfinite(r.lb), np.isfinite(r.ub)
        if lo.any():
            out.append(x[np.flatnonzero(lo)] >= r.lb[lo] * s)
        if hi.any():
            out.append(x[np.flatnonzero(hi)] <= r.ub[hi] * s)
        if r.G.shape[0]:
            gh, gl = np.isfinite(r.gmax), np.isfinite(r.gmin)
            if gh.any():
                out.append(r.G[gh] @ x <= r.gmax[gh] * s)
            if gl.any():
                out.append(r.G[gl] @ x >= r.gmin[gl] * s)
        if r.max_gross is not None and r.gross_binding:
            out.append(cp.norm1(x) <= r.max_gross * s)
        if r.max_turnover is not None:
            out.append(cp.norm1(x - r.w0 * s) <= r.max_turnover * s)
        return out

    def _cost(self, x, s):
        cp, r = self._cp, self.r
        if not r.has_costs:
            return 0.0
        nz = np.flatnonzero(r.costs > 0)
        return r.costs[nz] @ cp.abs(x[nz] - r.w0[nz] * s)

    def _build(self, objective: str) -> _Compiled:
        cp, r = self._cp, self.r
        n = r.n
        if objective == "max_sharpe":
            y = cp.Variable(n, name="y")
            k = cp.Variable(nonneg=True, name="k")
            excess = self.mu @ y - self.rf * (r.budget * k) - self._cost(y, k)
            cons = [*self._constraints(y, k), excess >= 1.0]
            prob = cp.Problem(cp.Minimize(cp.quad_form(y, self.P)), cons)
            return _Compiled(prob, y, k)
        w = cp.Variable(n, name="w")
        cons = self._constraints(w, 1.0)
        risk = cp.quad_form(w, self.P)
        net = self.mu @ w - self._cost(w, 1.0)
        if objective == "min_volatility":
            prob = cp.Problem(cp.Minimize(risk + self._cost(w, 1.0)), cons)
        elif objective == MIN_VARIANCE:
            prob = cp.Problem(cp.Minimize(risk), cons)
        elif objective == "target_return":
            prob = cp.Problem(cp.Minimize(risk), [*cons, net >= self.target])
        elif objective == "target_risk":
            prob = cp.Problem(cp.Maximize(net), [*cons, risk <= self.var_target])
        elif objective == "max_utility":
            prob = cp.Problem(cp.Maximize(net - 0.5 * self.delta * risk), cons)
        elif objective == MAX_RETURN:
            prob = cp.Problem(cp.Maximize(net), cons)
        else:  # pragma: no cover - guarded by the caller's enum
            raise ValueError(objective)
        return _Compiled(prob, w, None)

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        objective: str,
        mu: np.ndarray,
        *,
        rf: float = 0.0,
        target: float | None = None,
        risk_aversion: float = 1.0,
    ) -> tuple[np.ndarray | None, str]:
        """Solve one objective; returns ``(weights or None, cvxpy status)``.

        ``target`` is the expected return (TARGET_RETURN) or the volatility (TARGET_RISK).
        """
        cp = self._cp
        comp = self._compiled.get(objective)
        if comp is None:
            comp = self._compiled[objective] = self._build(objective)
        self.mu.value = np.asarray(mu, dtype=float)
        self.rf.value = float(rf)
        self.target.value = float(target) if objective == "target_return" else 0.0
        self.var_target.value = float(target) ** 2 if objective == "target_risk" else 0.0
        self.delta.value = float(risk_aversion)
        try:
            comp.problem.solve(solver=self.solver, **_ACCURATE.get(self.solver, {}))
        except cp.error.SolverError:
            try:  # a second opinion from another interior-point / conic solver
                comp.problem.solve(solver="SCS", eps=1e-9, max_iters=200_000)
            except cp.error.SolverError:
                return None, "solver_error"
        status = comp.problem.status
        if status not in ("optimal", "optimal_inaccurate"):
            return None, status
        if comp.k is not None:
            k = float(comp.k.value)
            if not k > 1e-12:
                return None, "unbounded"
            return np.asarray(comp.w.value, dtype=float) / k, status
        return np.asarray(comp.w.value, dtype=float), status

"""The critical line algorithm: the exact mean-variance frontier as a piecewise-linear path.

Problem, for every ``λ ≥ 0``::

    minimise ½ wᵀ Σ w − λ μᵀ w   subject to   1ᵀw = budget,  lb ≤ w ≤ ub,  gmin ≤ G w ≤ gmax

(Markowitz 1956; Bailey & López de Prado 2013 for box bounds; with the group rows ``G`` it is
the parametric active-set method of Best 1996). The optimal weights are piecewise linear in
``λ``: on each segment a set of assets is *free* (strictly inside its bounds), the others sit
on a bound, and some group rows are *active*; the KKT system then gives ``w(λ) = w0 + λ w1``
in closed form. The path starts at ``λ = ∞`` (the maximum-return portfolio of a linear
program) and walks down to ``λ = 0`` (the minimum-variance portfolio), changing the active set
at each *turning point*: a free asset reaching a bound, a bound asset whose gradient changes
sign, a group row reaching a cap, an active row whose multiplier reaches zero.

Each step costs one ``Σ @ (n × 2)`` product and ``O(|F|²)`` work on the inverse of the free
block ``Σ_FF``, which is updated by bordering (rank-one) formulas rather than refactorised
(refreshed from a Cholesky factor every ``_REFRESH`` updates to bound rounding drift).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from portlab.exceptions import InfeasibleError, SingularMatrixError
from portlab.linalg import inverse_psd, solve_psd

__all__ = ["Event", "PathError", "Segment", "Unbounded", "trace"]


class Event(enum.IntEnum):
    """A change of the active set at a turning point of the path."""

    FREE_TO_LOWER = 0  #: a free asset reaches its lower bound
    FREE_TO_UPPER = 1  #: a free asset reaches its upper bound
    BOUND_TO_FREE = 2  #: an asset on a bound leaves it (its gradient changes sign)
    ROW_TO_MIN = 3  #: a group row reaches its minimum
    ROW_TO_MAX = 4  #: a group row reaches its maximum
    ROW_RELEASED = 5  #: an active group row's multiplier reaches zero: the row leaves


#: the events that would undo an event of each kind (not taken at the same λ: cycling)
_UNDO = MappingProxyType(
    {
        Event.FREE_TO_LOWER: (Event.BOUND_TO_FREE,),
        Event.FREE_TO_UPPER: (Event.BOUND_TO_FREE,),
        Event.BOUND_TO_FREE: (Event.FREE_TO_LOWER, Event.FREE_TO_UPPER),
        Event.ROW_TO_MIN: (Event.ROW_RELEASED,),
        Event.ROW_TO_MAX: (Event.ROW_RELEASED,),
        Event.ROW_RELEASED: (Event.ROW_TO_MIN, Event.ROW_TO_MAX),
    }
)
_REFRESH = 48  # refactorise the inverse of Σ_FF after this many rank-one updates
_FREE, _LOWER, _UPPER, _FIXED = 0, 1, 2, 3


class PathError(RuntimeError):
    """The path algorithm could not proceed (singular system, cycling); callers fall back to
    a generic solver."""


class Unbounded(PathError):
    """The maximum-return linear program is unbounded (no path from λ = ∞)."""


@dataclass(frozen=True)
class Segment:
    """``w(λ) = w0 + λ w1`` for ``lam_lo ≤ λ ≤ lam_hi`` (``lam_hi`` may be ``inf``).

    Scalars: return ``r0 + λ r1`` (``μᵀw``) and variance ``v00 + 2λ v01 + λ² v11`` (``wᵀΣw``).
    """

    lam_hi: float
    lam_lo: float
    w0: np.ndarray
    w1: np.ndarray
    r0: float
    r1: float
    v00: float
    v01: float
    v11: float

    def ret(self, lam: float | np.ndarray) -> float | np.ndarray:
        lam = np.where(np.isinf(lam), 0.0, lam) if self.r1 == 0 else lam
        return self.r0 + lam * self.r1

    def var(self, lam: float | np.ndarray) -> float | np.ndarray:
        return self.v00 + 2 * lam * self.v01 + lam * lam * self.v11


def _max_return_box(mu: np.ndarray, lb: np.ndarray, ub: np.ndarray, budget: float):
    """Greedy solution of ``max μᵀw, 1ᵀw = budget, lb ≤ w ≤ ub`` and its free asset."""
    w = lb.copy()
    room = budget - w.sum()
    order = np.argsort(-mu, kind="stable")
    free = -1
    for i in order:
        if room <= 0:
            break
        step = min(ub[i] - lb[i], room)
        w[i] += step
        room -= step
        free = i
    if room > 1e-12 * max(1.0, abs(budget)) or free < 0:
        if free < 0:  # budget met by the lower bounds alone: any asset with room is "free"
            cand = [i for i in order if ub[i] > lb[i]]
            if not cand or room < -1e-12 * max(1.0, abs(budget)):
                raise InfeasibleError("no portfolio satisfies the bounds and the budget")
            free = cand[0]
        else:
            raise InfeasibleError("no portfolio satisfies the bounds and the budget")
    return w, free


def _max_return_lp(mu, lb, ub, G, gmin, gmax, budget):
    """HiGHS solution of the maximum-return LP with group rows, and its row multipliers in
    the path's sign convention (``η ≥ 0`` for a row at its max, ``η ≤ 0`` at its min)."""
    from scipy.optimize import linprog

    m = G.shape[0]
    hi, lo = np.flatnonzero(np.isfinite(gmax)), np.flatnonzero(np.isfinite(gmin))
    A_ub = np.vstack([G[hi], -G[lo]])
    b_ub = np.concatenate([gmax[hi], -gmin[lo]])
    bounds = np.column_stack([lb, ub])
    res = linprog(
        -mu,
        A_ub=A_ub if len(b_ub) else None,
        b_ub=b_ub if len(b_ub) else None,
        A_eq=np.ones((1, len(mu))),
        b_eq=[budget],
        bounds=bounds,
        method="highs",
    )
    if res.status == 2:
        raise InfeasibleError("no portfolio satisfies the constraints")
    if res.status == 3:
        raise Unbounded("the maximum expected return is unbounded under these constraints")
    if res.status != 0:
        raise PathError(f"max-return LP failed: {res.message}")
    eta = np.zeros(m)
    if len(b_ub):
        y = res.ineqlin.marginals  # <= 0: d(−μᵀw*)/d b
        eta[hi] -= y[: len(hi)]
        eta[lo] += y[len(hi) :]
    return res.x, float(-res.eqlin.marginals[0]), eta


def _initial_active_set(mu, lb, ub, G, gmin, gmax, budget, tol_w, slope_g):
    """Maximum-return portfolio and a first-order consistent active set for λ = ∞.

    Assets with a zero reduced cost (ties, degenerate vertices) start free even when they sit
    on a bound: the λ = ∞ active-set phase (:func:`_start`) then settles them. When the duals
    leave the budget row or an active group row without a free member, the multiplier is moved
    to the end of its admissible interval, which frees the asset that reaches a zero reduced
    cost (or releases the row).
    """
    n, m = len(mu), G.shape[0]
    if m == 0:
        if not np.all(np.isfinite(lb)):
            raise Unbounded("a lower bound is -inf: the maximum expected return is unbounded")
        x, free_i = _max_return_box(mu, lb, ub, budget)
        nu, eta = float(mu[free_i]), np.zeros(0)
    else:
        x, nu, eta = _max_return_lp(mu, lb, ub, G, gmin, gmax, budget)
        free_i = -1
    fixed = ub - lb <= tol_w
    at_lo, at_hi = np.abs(x - lb) <= tol_w, np.abs(x - ub) <= tol_w
    rows_side = np.sign(eta).astype(int) * (np.abs(eta) > slope_g)
    g1 = -mu + nu + G.T @ eta  # reduced costs: >= 0 at a lower bound, <= 0 at an upper one
    status = np.full(n, _FREE)
    status[at_lo & (g1 > slope_g)] = _LOWER
    status[at_hi & (g1 < -slope_g)] = _UPPER
    interior = ~(at_lo | at_hi)
    status[interior] = _FREE
    if free_i >= 0:
        status[free_i] = _FREE
    status[fixed] = _FIXED
    movable = ~fixed
    # every active row needs a free member; the budget row needs a free asset
    for r in [*np.flatnonzero(rows_side != 0), -1]:
        members = movable if r < 0 else (G[r] > 0) & movable
        if np.any(members & (status == _FREE)):
            continue
        # shift this row's multiplier t (budget: ν; group: η_r) toward the end of its
        # interval; g1_i changes by +dt for members
        up = members & (status == _UPPER)  # need g1 <= 0: dt <= -g1
        lo_ = members & (status == _LOWER)  # need g1 >= 0: dt >= -g1
        if r >= 0:  # move η_r toward 0
            target = -eta[r]
            if target > 0:  # η < 0 at min: increase; limited by upper members
                lim = np.where(up, -g1, np.inf)
            else:
                lim = np.where(lo_, g1, np.inf)  # decrease by at most g1 of lower members
            j = int(np.argmin(lim))
            if lim[j] >= abs(target):
                rows_side[r] = 0
                g1 = g1 + np.where(G[r] > 0, target, 0.0)
                eta[r] = 0.0
                continue
            step = lim[j] if target > 0 else -lim[j]
        else:
            lim = np.where(up, -g1, np.inf)
            if not np.isfinite(lim).any():
                lim = np.where(lo_, g1, np.inf)
                j = int(np.argmin(lim))
                step = -lim[j]
            else:
                j = int(np.argmin(lim))
                step = lim[j]
            if not np.isfinite(step):
                raise PathError("every weight is fixed by its bounds")
        g1 = g1 + np.where(members, step, 0.0)
        status[j] = _FREE
    x = np.where(status == _FIXED, lb, x)
    return x, status, rows_side


def _inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix (PathError when it is not)."""
    try:
        return inverse_psd(a, name="the covariance of the free assets")
    except SingularMatrixError as exc:  # the generic engine takes over
        raise PathError(str(exc)) from None


class _State:
    """Active set, the rows of Σ of the free assets and the inverse of Σ_FF.

    Buffers of capacity ``n`` hold, for the ``k`` free assets in order: their indices
    (``free``), their rows of Σ (``SF``, k × n, contiguous) and ``M = Σ_FF⁻¹`` (k × k). Adding
    an asset borders ``M``; removing one swaps it to the end and downdates, all in place.
    """

    def __init__(self, sigma, status, wB, rows_side):
        n = sigma.shape[0]
        self.sigma = sigma
        self.status = status  # per asset: _FREE/_LOWER/_UPPER/_FIXED
        self.wB = wB  # values of bound assets, 0 on free ones
        self.rows_side = rows_side  # +1 at max, -1 at min, 0 inactive
        self._free = np.empty(n, dtype=np.intp)
        self._SF = np.empty((n, n))
        self._M = np.empty((n, n))
        f = np.flatnonzero(status == _FREE)
        self.k = len(f)
        self._free[: self.k] = f
        self._SF[: self.k] = sigma[f]
        self.refresh()

    @property
    def free(self) -> np.ndarray:
        return self._free[: self.k]

    @property
    def SF(self) -> np.ndarray:
        return self._SF[: self.k]

    @property
    def M(self) -> np.ndarray:
        return self._M[: self.k, : self.k]

    def refresh(self) -> None:
        F = self.free
        self._M[: self.k, : self.k] = _inverse(self.SF[:, F])
        self.c = self.sigma @ self.wB  # Σ wB, kept up to date incrementally
        self.updates = 0

    def add_free(self, i: int) -> None:
        k, s = self.k, self.sigma
        col = s[self.free, i]
        M = self.M
        u = M @ col
        schur = s[i, i] - col @ u
        if not schur > 1e-13 * s[i, i]:
            raise PathError("the covariance of the free assets is singular")
        M += np.outer(u, u / schur)
        self._M[:k, k] = self._M[k, :k] = -u / schur
        self._M[k, k] = 1.0 / schur
        self._free[k] = i
        self._SF[k] = s[i]
        self.k = k + 1
        self.c -= s[i] * self.wB[i]
        self.wB[i] = 0.0
        self.status[i] = _FREE
        self._count()

    def bind(self, i: int, value: float, side: int) -> None:
        k = self.k
        p = int(np.flatnonzero(self.free == i)[0])
        last = k - 1
        if p != last:  # swap p to the end
            fr, SF, M = self._free, self._SF, self._M
            fr[[p, last]] = fr[[last, p]]
            SF[[p, last]] = SF[[last, p]]
            M[[p, last], :k] = M[[last, p], :k]
            M[:k, [p, last]] = M[:k, [last, p]]
        Mk = self._M[:last, last].copy()
        self._M[:last, :last] -= np.outer(Mk, Mk / self._M[last, last])
        self.k = last
        self.wB[i] = value
        self.c += self.sigma[i] * value
        self.status[i] = side
        self._count()

    def _count(self):
        self.updates += 1
        if self.updates >= _REFRESH:
            self.refresh()


def trace(
    sigma: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    G: np.ndarray,
    gmin: np.ndarray,
    gmax: np.ndarray,
    budget: float,
    *,
    stop: Callable[[Segment], bool] | None = None,
    max_steps: int | None = None,
) -> list[Segment]:
    """Walk the efficient path from ``λ = ∞`` down to ``λ = 0`` (or until ``stop`` says so).

    Parameters
    ----------
    sigma : ndarray (n, n)
        Symmetric positive definite covariance (annual units; a ridge already added).
    mu : ndarray (n,)
        Expected returns (annual).
    lb, ub : ndarray (n,)
        Bounds (``ub`` may be ``inf``; ``lb`` must be finite unless group rows bound the LP).
    G, gmin, gmax : ndarray (m, n), (m,), (m,)
        Group rows and their bounds (``±inf`` when open).
    budget : float
        Sum of the weights.
    stop : callable, optional
        Called with each new segment (in order of decreasing ``λ``); returning True ends the
        walk early (the last segment is included).
    max_steps : int, optional
        Limit on active-set changes (default ``20 (n + m) + 100``).

    Returns
    -------
    list of Segment
        Contiguous segments, ``segments[0].lam_hi == inf``, ``segments[-1].lam_lo == 0`` unless
        stopped early.

    Raises
    ------
    InfeasibleError
        No portfolio satisfies the constraints.
    Unbounded
        The maximum-return LP is unbounded.
    PathError
        Numerical breakdown (singular free block, cycling): use a generic solver instead.
    """
    n = len(mu)
    m = G.shape[0]
    scale_mu = max(float(np.abs(mu).max()), 1e-12)
    scale_s = float(np.mean(np.diag(sigma)))
    tol_w = 1e-10 * max(1.0, abs(budget))  # weights and group sums
    tol_g = 1e-10 * scale_s * max(1.0, abs(budget))  # gradients and multipliers (Σw units)
    slope_w = 1e-9 * scale_mu / scale_s  # w1, G w1 (weight per unit λ)
    slope_g = 1e-9 * scale_mu  # g1, ν1 (μ units)

    # ---- the maximum-return portfolio (λ = ∞) and its active set
    x, status, rows_side = _initial_active_set(mu, lb, ub, G, gmin, gmax, budget, tol_w, slope_g)
    wB = np.where(status == _LOWER, lb, np.where(status == _UPPER, ub, 0.0))
    wB = np.where(status == _FIXED, lb, wB)
    st = _State(sigma, status, wB, rows_side)
    tols = (tol_w, tol_g, slope_w, slope_g)
    limit = max_steps if max_steps is not None else 20 * (n + m) + 100
    x = np.where(status == _FREE, x, wB)
    steps = _start(st, x, mu, lb, ub, G, gmin, gmax, budget, tols, limit)

    segments: list[Segment] = []
    lam = math.inf
    last_event: tuple | None = None
    while True:
        steps += 1
        if steps > limit:
            raise PathError(f"the critical line algorithm did not finish in {limit} steps")
        w0, w1, nu0, nu1, g0, g1, SW, act = _kkt(st, mu, G, gmin, gmax, budget, math.isinf(lam))
        # ---- candidate events: f(λ) = f0 + λ f1 must stay >= 0 as λ decreases
        best = [-np.inf, -1, -1]
        undo = (
            _UNDO.get(last_event[0], ()) if last_event is not None and last_event[2] == lam else ()
        )
        undo_id = last_event[1] if undo else -1

        def consider(f0, f1, kind, ids, stol, vtol, lam=lam, best=best, undo=undo, undo_id=undo_id):
            _consider(best, lam, undo, undo_id, f0, f1, kind, ids, stol, vtol)

        F = st.free
        consider(w0[F] - lb[F], w1[F], Event.FREE_TO_LOWER, F, slope_w, tol_w)
        consider(ub[F] - w0[F], -w1[F], Event.FREE_TO_UPPER, F, slope_w, tol_w)
        lo_ = np.flatnonzero(st.status == _LOWER)
        hi_ = np.flatnonzero(st.status == _UPPER)
        consider(g0[lo_], g1[lo_], Event.BOUND_TO_FREE, lo_, slope_g, tol_g)  # lower → free
        consider(-g0[hi_], -g1[hi_], Event.BOUND_TO_FREE, hi_, slope_g, tol_g)  # upper → free
        if m:
            inact = np.flatnonzero(st.rows_side == 0)
            if len(inact):
                q0, q1 = G[inact] @ w0, G[inact] @ w1
                consider(q0 - gmin[inact], q1, Event.ROW_TO_MIN, inact, slope_w, tol_w)
                consider(gmax[inact] - q0, -q1, Event.ROW_TO_MAX, inact, slope_w, tol_w)
            if len(act):
                side = st.rows_side[act]
                consider(side * nu0[1:], side * nu1[1:], Event.ROW_RELEASED, act, slope_g, tol_g)
        lam_next, k_ev, i_ev = best
        done = lam_next <= 0.0
        lam_lo = 0.0 if done else lam_next
        if lam_lo < lam:
            seg = Segment(
                lam_hi=lam,
                lam_lo=lam_lo,
                w0=w0,
                w1=w1,
                r0=float(mu @ w0),
                r1=float(mu @ w1),
                v00=float(w0 @ SW[:, 0]),
                v01=float(w0 @ SW[:, 1]),
                v11=float(w1 @ SW[:, 1]),
            )
            segments.append(seg)
            if stop is not None and stop(seg):
                return segments
        if done:
            return segments
        _apply(st, k_ev, i_ev, lb, ub)
        last_event = (k_ev, i_ev, lam_next)
        lam = lam_next


def _consider(best, lam, undo, undo_id, f0, f1, kind, ids, stol, vtol) -> None:
    """Update ``best = [λ, kind, index]`` with the latest event of one kind.

    Each ``f = f0 + λ f1`` must stay >= 0 as λ decreases: it reaches zero at ``-f0/f1`` when
    ``f1 > stol``; an ``f`` already negative at the current λ (beyond ``vtol``) is an event
    now. At λ = ∞ the sign of ``f1`` decides unless it is zero (within ``stol``).
    """
    if not len(ids):
        return
    moving = f1 > stol
    safe = np.where(moving, f1, 1.0)
    if math.isinf(lam):
        violated = (f1 < -stol) | ((np.abs(f1) <= stol) & (f0 < -vtol))
        cand = np.where(moving, -f0 / safe, -np.inf)
    else:
        violated = f0 + lam * f1 < -vtol
        cand = np.where(moving, np.minimum(-f0 / safe, lam), -np.inf)
    cand[violated] = lam
    if kind in undo:  # do not undo the previous event at the same λ (cycling)
        cand[(ids == undo_id) & (cand >= lam) & ~violated] = -np.inf
    j = int(np.argmax(cand))
    if cand[j] > best[0]:
        best[:] = [float(cand[j]), kind, int(ids[j])]


def _apply(st: _State, k: Event, i: int, lb: np.ndarray, ub: np.ndarray) -> None:
    """Change the active set by the event ``k`` on asset or group row ``i``."""
    if k is Event.FREE_TO_LOWER:
        st.bind(i, lb[i], _LOWER)
    elif k is Event.FREE_TO_UPPER:
        st.bind(i, ub[i], _UPPER)
    elif k is Event.BOUND_TO_FREE:
        st.add_free(i)
    elif k is Event.ROW_TO_MIN:
        st.rows_side[i] = -1
    elif k is Event.ROW_TO_MAX:
        st.rows_side[i] = 1
    else:
        st.rows_side[i] = 0


def _kkt(st: _State, mu, G, gmin, gmax, budget, at_infinity: bool):
    """Solve the KKT system of the current active set: ``w = w0 + λ w1``, multipliers of the
    active rows ``ν = ν0 + λ ν1`` (budget first) and gradients ``g = g0 + λ g1``."""
    n = len(mu)
    F = st.free
    act = np.flatnonzero(st.rows_side != 0)
    A = np.vstack([np.ones((1, n)), G[act]]) if len(act) else np.ones((1, n))
    b = np.concatenate([[budget], np.where(st.rows_side[act] > 0, gmax[act], gmin[act])])
    AF = A[:, F]
    M = st.M
    MA = M @ AF.T
    Mmu = M @ mu[F]
    Mc = M @ st.c[F]
    S = AF @ MA
    rhs = np.column_stack([AF @ Mmu, -(AF @ Mc) - b + A @ st.wB])
    if S.shape[0] > len(F):
        raise PathError("the active constraints are linearly dependent on the free assets")
    try:
        nu = solve_psd(S, rhs, name="the active constraints' system")
    except SingularMatrixError:
        raise PathError(
            "the active constraints are linearly dependent on the free assets"
        ) from None
    nu1, nu0 = nu[:, 0], nu[:, 1]
    w1F = np.zeros(len(F)) if at_infinity else Mmu - MA @ nu1  # the first segment is constant
    w0F = -Mc - MA @ nu0
    w1 = np.zeros(n)
    w1[F] = w1F
    w0 = st.wB.copy()
    w0[F] = w0F
    SW = st.SF.T @ np.column_stack([w0F, w1F])
    SW[:, 0] += st.c
    g0 = SW[:, 0] + A.T @ nu0
    g1 = SW[:, 1] - mu + A.T @ nu1
    return w0, w1, nu0, nu1, g0, g1, SW, act


def _start(st: _State, x, mu, lb, ub, G, gmin, gmax, budget, tols, limit) -> int:
    """Active set of the λ = ∞ end: the least-variance portfolio on the optimal face of the
    maximum-return LP, by a primal active-set method started at the LP vertex ``x``.

    Constraints whose first-order multiplier (the LP reduced cost or dual) is strictly of the
    right sign define the face and stay active; the others (degenerate vertices, ties in μ)
    are added when they block a step toward the equality-constrained optimum and released when
    their second-order multiplier has the wrong sign. Returns the number of steps used.
    """
    tol_w, tol_g, _slope_w, slope_g = tols
    steps = 0
    while True:
        steps += 1
        if steps > limit:
            raise PathError(
                f"the start of the critical line algorithm did not finish in {limit} steps"
            )
        w0, _w1, nu0, nu1, g0, g1, _SW, act = _kkt(st, mu, G, gmin, gmax, budget, True)
        F = st.free
        d = w0 - x
        # ---- ratio test along x → w0 over free bounds and inactive rows
        alpha, block = 1.0, None
        dF = d[F]
        # a constraint blocks only if the full step would breach it (by more than tol_w)
        with np.errstate(divide="ignore", invalid="ignore"):
            a_lo = np.where(w0[F] < lb[F] - tol_w, (lb[F] - x[F]) / dF, np.inf)
            a_hi = np.where(w0[F] > ub[F] + tol_w, (ub[F] - x[F]) / dF, np.inf)
        for arr, kind in ((a_lo, Event.FREE_TO_LOWER), (a_hi, Event.FREE_TO_UPPER)):
            if len(arr):
                j = int(np.argmin(arr))
                if arr[j] < alpha:
                    alpha, block = max(arr[j], 0.0), (kind, int(F[j]))
        inact = np.flatnonzero(st.rows_side == 0)
        if len(inact):
            q, qd = G[inact] @ x, G[inact] @ d
            with np.errstate(divide="ignore", invalid="ignore"):
                a_min = np.where(q + qd < gmin[inact] - tol_w, (gmin[inact] - q) / qd, np.inf)
                a_max = np.where(q + qd > gmax[inact] + tol_w, (gmax[inact] - q) / qd, np.inf)
            for arr, kind in ((a_min, Event.ROW_TO_MIN), (a_max, Event.ROW_TO_MAX)):
                j = int(np.argmin(arr))
                if arr[j] < alpha:
                    alpha, block = max(arr[j], 0.0), (kind, int(inact[j]))
        if block is not None:
            x = x + alpha * d
            kind, i = block
            if kind in (Event.FREE_TO_LOWER, Event.FREE_TO_UPPER):
                x[i] = lb[i] if kind is Event.FREE_TO_LOWER else ub[i]
            _apply(st, kind, i, lb, ub)
            continue
        x = w0
        # ---- multipliers: release the worst constraint of the wrong sign (second order:
        # the first-order ones, the LP reduced costs, are consistent by construction)
        worst, pick = 1.0, None
        checks = [
            (np.flatnonzero(st.status == _LOWER), 1.0, g1, g0, Event.BOUND_TO_FREE),
            (np.flatnonzero(st.status == _UPPER), -1.0, g1, g0, Event.BOUND_TO_FREE),
        ]
        if len(act):
            checks.append((act, st.rows_side[act], nu1[1:], nu0[1:], Event.ROW_RELEASED))
        for ids, sign, f1, f0, kind in checks:
            if not len(ids):
                continue
            per_asset = kind is Event.BOUND_TO_FREE  # gradients are per asset, multipliers per row
            first = sign * (f1[ids] if per_asset else f1)
            second = sign * (f0[ids] if per_asset else f0)
            if np.any(first < -slope_g):
                raise PathError("inconsistent multipliers at the maximum-return end")
            bad = np.where(np.abs(first) <= slope_g, -second / tol_g, 0.0)
            j = int(np.argmax(bad))
            if bad[j] > worst:
                worst, pick = bad[j], (kind, int(ids[j]))
        if pick is None:
            return steps
        kind, i = pick
        _apply(st, kind, i, lb, ub)

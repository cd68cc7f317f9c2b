"""OPTIMAL allocation: the linear / second-order cone program behind
:func:`~portlab.engine.allocation.allocate` (capital allocation, specification §5).

Variables, one per candidate, are the trade sizes ``x_j ∈ [0, s_j]``. A candidate that may
close a position and open the other side is split into its reducing part ``r_j ∈ [0, |w_j|]``
and its opening part ``o_j ∈ [0, s_j - |w_j|]`` so that gross exposure stays linear (``o - r``).
The solver may return ``o > 0`` with ``r < |w|``; executing ``x = r + o`` in the physical
order only frees more room, so the result stays feasible.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from portlab.engine.batch import PRIORITY_WEIGHT, Allocation, AllocationProblem, touched_clusters
from portlab.engine.book import Book
from portlab.engine.config import Policy
from portlab.engine.greedy import greedy
from portlab.engine.tolerances import CHANGE_TOL

__all__ = ["solve"]

#: Expected edge credited at least to every trade in the objective (a return, fraction): a
#: trade with no or negative edge still has positive value, so the program fills room it
#: leaves unused only when a limit binds; small enough not to reorder trades of real edge.
_MIN_EDGE = 1e-6
#: Sizes (fraction of NAV) within this of 0 or of the wanted size are put on that bound:
#: solvers return bounds up to their tolerances, and a trade kept whole is reported uncut.
_SNAP = 1e-10
#: The wanted trades must overshoot the variance cap (annualised variance) by more than this
#: for the cone program to be solved; a smaller overshoot is left to the LP, the risk feedback
#: loop and the final check, which hold the variance to VARIANCE_TOL.
_CONE_TOL = 1e-12
#: Ridge added to the traded instruments' covariance before its Cholesky factorisation, as a
#: fraction of its trace (see :func:`_socp` for why it suffices).
_RIDGE = 1e-11
#: An interior-point solution outside the cone is scaled back to this fraction below the
#: boundary, inside by more than the rounding of the quadratic.
_CONE_PULLBACK = 1e-9
#: A candidate allocated less than its wanted size by more than this was cut (a smaller gap is
#: solver tolerance, not a binding limit).
_CUT_TOL = 1e-9
#: A constraint with less slack than this is tight: HiGHS's default primal feasibility
#: tolerance.
_TIGHT_TOL = 1e-7


def _columns(book: Book, problem: AllocationProblem):
    w0 = book.w[problem.instrument]
    free = np.where(problem.direction * w0 < 0, np.abs(w0), 0.0)
    flip = (free > 0) & (problem.wanted > free + CHANGE_TOL)
    m = len(problem.wanted)
    # main variable per candidate, plus an opening variable for each flip-capable one
    owner = np.r_[np.arange(m), np.flatnonzero(flip)]
    ub = np.r_[np.where(flip, free, problem.wanted), (problem.wanted - free)[flip]]
    gross_coef = np.r_[np.where(free > 0, -1.0, 1.0), np.ones(flip.sum())]
    return owner, ub, gross_coef


def solve(book: Book, policy: Policy, problem: AllocationProblem) -> Allocation:
    """Solve the allocation program; falls back to GREEDY if the solver fails."""
    rules = policy.rules()
    owner, ub, gcoef = _columns(book, problem)
    nv = len(owner)
    d = problem.direction[owner].astype(float)
    instrument = problem.instrument[owner]
    rows: list[sp.csr_matrix] = []
    rhs: list[np.ndarray] = []
    names: list[str] = []

    def add(mat, b, name: str) -> None:
        rows.append(sp.csr_matrix(mat))
        rhs.append(np.atleast_1d(np.asarray(b, dtype=float)))
        names.extend([name] * rows[-1].shape[0])

    if (d > 0).any():
        add(d[None, :], max(book.cash_fraction - policy.cash_floor, 0.0), "cash")
    if rules["leverage"].hard:
        add(gcoef[None, :], max(rules["leverage"].limit, book.gross) - book.gross, "leverage")
    if rules["sector"].hard:
        sec = book.sector[instrument]
        touched = np.unique(sec)
        mat = sp.csr_matrix(
            (gcoef, (np.searchsorted(touched, sec), np.arange(nv))), shape=(len(touched), nv)
        )
        g0 = book.sector_gross[touched]
        add(mat, np.maximum(rules["sector"].limit, g0) - g0, "sector")
    if problem.budgets:
        strategies = list(problem.budgets)
        r, c, v = [], [], []
        inc = gcoef > 0
        for col in np.flatnonzero(inc):
            for strat, share in problem.strategy_shares[owner[col]]:
                if strat in problem.budgets:
                    r.append(strategies.index(strat))
                    c.append(col)
                    v.append(share)
        if r:
            add(
                sp.csr_matrix((v, (r, c)), shape=(len(strategies), nv)),
                [problem.budgets[k] for k in strategies],
                "strategy_budget",
            )
    if rules["correlation"].hard:
        k = touched_clusters(book, problem.instrument)
        member = book.clusters(k)[:, instrument]  # (|k|, nv): traded column in cluster of k
        e0 = book.cluster_exposure(k)
        add(
            sp.csr_matrix(member * gcoef[None, :]),
            np.maximum(rules["correlation"].limit, e0) - e0,
            "correlation",
        )

    # priority tiers dominate, expected edge ranks within a tier
    value = (PRIORITY_WEIGHT[problem.priority] * np.maximum(problem.edge, _MIN_EDGE))[owner]
    a_ub = sp.vstack(rows, format="csr") if rows else None
    b_ub = np.concatenate(rhs) if rhs else None

    cone_name, vol = policy.volatility_cap()  # the volatility limit, or a tighter VaR limit
    # The LP drops only the cone: when its optimum is inside the cone anyway (the linear limits
    # already cut enough), it is optimal for the cone program too, at a fraction of the cost.
    z, ok = _lp(value, a_ub, b_ub, ub)
    needs_cone = (
        vol.hard
        and _over_vol(book, problem, vol.limit, problem.wanted)
        and (not ok or _over_vol(book, problem, vol.limit, _sizes(owner, z, problem.wanted)))
    )
    how = "lp"
    if needs_cone:
        z, ok = _socp(book, vol.limit, instrument, d, value, a_ub, b_ub, ub, owner)
        how = "socp"
    if not ok:
        return greedy(book, policy, problem)
    z = np.clip(z, 0.0, ub)
    wanted = problem.wanted
    x = _sizes(owner, z, wanted)
    binding = _binding(a_ub, b_ub, names, z, owner, x, wanted, cone_name if needs_cone else "")
    return Allocation(x, binding, how)


def _lp(value, a_ub, b_ub, ub) -> tuple[np.ndarray | None, bool]:
    """The allocation program without the volatility cone (HiGHS)."""
    bounds = np.column_stack([np.zeros(len(ub)), ub])
    res = linprog(-value, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    return (res.x, res.status == 0) if res.x is not None else (None, False)


def _sizes(owner: np.ndarray, z: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Each candidate's size (fraction of NAV) from the variables, snapped to its bounds."""
    x = np.bincount(owner, weights=np.clip(z, 0.0, None), minlength=len(wanted))
    return np.where(x < _SNAP, 0.0, np.where(x > wanted - _SNAP, wanted, x))


def _over_vol(book: Book, problem: AllocationProblem, limit: float, sizes: np.ndarray) -> bool:
    """Whether trading ``sizes`` (fraction of NAV per candidate) overshoots the variance cap."""
    variance = book.variance_after(problem.instrument, problem.direction * sizes)
    return variance > max(limit**2, book.variance) + _CONE_TOL


def _socp(book, limit, instrument, d, value, a_ub, b_ub, ub, owner):
    """The allocation LP plus the volatility cone, over the traded instruments only.

    With ``Δ`` the signed trades of the ``m`` candidates (instruments ``T``) and
    ``Σ_TT = L Lᵀ``: ``σ'² = σ0² + 2 g_Tᵀ Δ + ΔᵀΣ_TT Δ = ‖LᵀΔ + a‖² + σ0² - ‖a‖²`` with
    ``a = L⁻¹ g_T``; the cone has ``m + 1`` rows whatever the size of the universe.
    """
    import clarabel
    from scipy.linalg import solve_triangular
    from threadpoolctl import threadpool_limits

    nv = len(ub)
    m = int(owner.max()) + 1
    traded = np.zeros(m, dtype=int)  # each candidate's instrument
    traded[owner] = instrument
    direction = np.zeros(m)
    direction[owner] = d
    sub = book.covariance[np.ix_(traded, traded)]
    # The market's covariance is PSD with eigenvalues >= -1e-12 λ_max (estimates are clipped,
    # given matrices validated and clipped: portlab.linalg); a ridge of _RIDGE · trace >= 1e-11
    # λ_max(sub) then dominates both that and the rounding of the factorisation (m·ε·λ_max for
    # m < 45,000 candidates), so the Cholesky factor exists by construction.
    jitter = _RIDGE * max(float(np.trace(sub)), np.finfo(float).tiny)
    # a few hundred rows: threads only contend (100x slower when the other core is busy)
    with threadpool_limits(limits=1, user_api="blas"):
        chol = np.linalg.cholesky(sub + jitter * np.eye(m))
        a_vec = solve_triangular(chol, book.g[traded], lower=True)
    cap = max(limit**2, book.variance)
    radius = np.sqrt(max(cap - book.variance + a_vec @ a_vec, 0.0))
    lift = sp.csr_matrix(
        (np.ones(nv), (owner, np.arange(nv))), shape=(m, nv)
    )  # variables -> trades
    cone_mat = sp.csc_matrix(chol.T * direction[None, :]) @ lift
    eye = sp.identity(nv, format="csc")
    blocks = [a_ub] if a_ub is not None else []
    lin = sp.vstack([*blocks, -eye, eye], format="csc")
    b_lin = np.concatenate([*([b_ub] if a_ub is not None else []), np.zeros(nv), ub])
    soc = sp.vstack([sp.csc_matrix((1, nv)), -cone_mat], format="csc")
    a = sp.vstack([lin, soc], format="csc")
    b = np.concatenate([b_lin, [radius], a_vec])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solver = clarabel.DefaultSolver(
        sp.csc_matrix((nv, nv)),
        -value,
        a,
        b,
        [clarabel.NonnegativeConeT(lin.shape[0]), clarabel.SecondOrderConeT(soc.shape[0])],
        settings,
    )
    sol = solver.solve()
    ok = str(sol.status) in {"Solved", "AlmostSolved"}
    z = np.clip(np.asarray(sol.x), 0.0, ub)
    if ok:  # interior-point solutions may sit a hair outside the cone: pull back inside
        delta = np.bincount(owner, weights=z, minlength=m) * direction
        lin_term, quad = 2 * book.g[traded] @ delta, delta @ sub @ delta
        room = cap - book.variance
        if lin_term + quad > room and quad > 0:
            t = (-lin_term + np.sqrt(max(lin_term * lin_term + 4 * quad * room, 0.0))) / (2 * quad)
            z = z * float(np.clip(t * (1 - _CONE_PULLBACK), 0.0, 1.0))
    return z, ok


def _binding(a_ub, b_ub, names, z, owner, x, wanted, cone: str) -> np.ndarray:
    """Name of a tight constraint each cut candidate takes part in (``cone``, the rule of the
    variance cone when it was solved: "volatility" or "var"; "" without it)."""
    out = np.full(len(wanted), "", dtype=object)
    cut = x < wanted - _CUT_TOL
    if not cut.any():
        return out
    label = np.full(len(wanted), cone or "allocation", dtype=object)
    if a_ub is not None:
        tight = np.flatnonzero(b_ub - a_ub @ z < _TIGHT_TOL)
        if len(tight):
            hit = (a_ub[tight] != 0).toarray()  # (tight rows, variables)
            has = hit.any(axis=0)
            first = hit.argmax(axis=0)
            names = np.asarray(names, dtype=object)
            for col in np.flatnonzero(has)[::-1]:  # earliest variable of a candidate wins
                label[owner[col]] = names[tight[first[col]]]
    out[cut] = label[cut]
    return out

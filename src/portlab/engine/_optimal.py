"""OPTIMAL allocation: the linear / second-order cone program behind :func:`allocate`.

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

from portlab.engine.allocation import PRIORITY_WEIGHT, Allocation, Problem, _cluster_index, _greedy
from portlab.engine.book import Book
from portlab.engine.config import Policy

__all__ = ["solve"]


def _columns(book: Book, prob: Problem):
    w0 = book.w[prob.inst]
    free = np.where(prob.d * w0 < 0, np.abs(w0), 0.0)
    flip = (free > 0) & (prob.s > free + 1e-15)
    m = len(prob.s)
    # main variable per candidate, plus an opening variable for each flip-capable one
    owner = np.r_[np.arange(m), np.flatnonzero(flip)]
    ub = np.r_[np.where(flip, free, prob.s), (prob.s - free)[flip]]
    gross_coef = np.r_[np.where(free > 0, -1.0, 1.0), np.ones(flip.sum())]
    return owner, ub, gross_coef


def solve(book: Book, policy: Policy, prob: Problem) -> Allocation:
    """Solve the allocation program; falls back to GREEDY if the solver fails."""
    rules = policy.rules()
    owner, ub, gcoef = _columns(book, prob)
    nv = len(owner)
    d = prob.d[owner].astype(float)
    inst = prob.inst[owner]
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
        sec = book.sector[inst]
        touched = np.unique(sec)
        mat = sp.csr_matrix(
            (gcoef, (np.searchsorted(touched, sec), np.arange(nv))), shape=(len(touched), nv)
        )
        g0 = book.sector_gross[touched]
        add(mat, np.maximum(rules["sector"].limit, g0) - g0, "sector")
    if prob.budgets:
        strategies = list(prob.budgets)
        r, c, v = [], [], []
        inc = gcoef > 0
        for col in np.flatnonzero(inc):
            for strat, share in prob.shares[owner[col]]:
                if strat in prob.budgets:
                    r.append(strategies.index(strat))
                    c.append(col)
                    v.append(share)
        if r:
            add(
                sp.csr_matrix((v, (r, c)), shape=(len(strategies), nv)),
                [prob.budgets[k] for k in strategies],
                "strategy_budget",
            )
    if rules["correlation"].hard:
        k = _cluster_index(book, prob.inst)
        member = book.clusters(k)[:, inst]  # (|k|, nv): traded column in cluster of k
        e0 = book.cluster_exposure(k)
        add(
            sp.csr_matrix(member * gcoef[None, :]),
            np.maximum(rules["correlation"].limit, e0) - e0,
            "correlation",
        )

    # priority tiers dominate, expected edge ranks within a tier
    value = (PRIORITY_WEIGHT[prob.priority] * np.maximum(prob.edge, 1e-6))[owner]
    a_ub = sp.vstack(rows, format="csr") if rows else None
    b_ub = np.concatenate(rhs) if rhs else None

    vol = rules["volatility"]
    needs_cone = vol.hard and _over_vol(book, prob, vol.limit)
    if needs_cone:
        z, ok = _socp(book, vol.limit, inst, d, value, a_ub, b_ub, ub, owner)
        how = "socp"
    else:
        res = linprog(
            -value, A_ub=a_ub, b_ub=b_ub, bounds=np.column_stack([np.zeros(nv), ub]), method="highs"
        )
        z, ok = (res.x, res.status == 0) if res.x is not None else (None, False)
        how = "lp"
    if not ok:
        return _greedy(book, policy, prob)
    z = np.clip(z, 0.0, ub)
    x = np.bincount(owner, weights=z, minlength=len(prob.s))
    x = np.where(x < 1e-10, 0.0, np.where(x > prob.s - 1e-10, prob.s, x))
    binding = _binding(a_ub, b_ub, names, z, owner, x, prob.s, needs_cone)
    return Allocation(x, binding, how)


def _over_vol(book: Book, prob: Problem, limit: float) -> bool:
    delta = prob.d * prob.s
    dg = book._cov0[:, prob.inst] @ delta
    var = book.variance + 2 * delta @ book.g[prob.inst] + delta @ dg[prob.inst]
    return var > max(limit**2, book.variance) + 1e-12


def _socp(book, limit, inst, d, value, a_ub, b_ub, ub, owner):
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
    cand_inst = np.zeros(m, dtype=int)
    cand_inst[owner] = inst
    cand_d = np.zeros(m)
    cand_d[owner] = d
    sub = book._cov0[np.ix_(cand_inst, cand_inst)]
    # The market's covariance is PSD with eigenvalues >= -1e-12 λ_max (estimates are clipped,
    # given matrices validated and clipped: portlab.linalg); a ridge of 1e-11 · trace >= 1e-11
    # λ_max(sub) then dominates both that and the rounding of the factorisation (m·ε·λ_max for
    # m < 45,000 candidates), so the Cholesky factor exists by construction.
    jitter = 1e-11 * max(float(np.trace(sub)), np.finfo(float).tiny)
    # a few hundred rows: threads only contend (100x slower when the other core is busy)
    with threadpool_limits(limits=1, user_api="blas"):
        chol = np.linalg.cholesky(sub + jitter * np.eye(m))
        a_vec = solve_triangular(chol, book.g[cand_inst], lower=True)
    cap = max(limit**2, book.variance)
    radius = np.sqrt(max(cap - book.variance + a_vec @ a_vec, 0.0))
    lift = sp.csr_matrix(
        (np.ones(nv), (owner, np.arange(nv))), shape=(m, nv)
    )  # variables -> trades
    cone_mat = sp.csc_matrix(chol.T * cand_d[None, :]) @ lift
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
        delta = np.bincount(owner, weights=z, minlength=m) * cand_d
        lin_term, quad = 2 * book.g[cand_inst] @ delta, delta @ sub @ delta
        room = cap - book.variance
        if lin_term + quad > room and quad > 0:
            t = (-lin_term + np.sqrt(max(lin_term * lin_term + 4 * quad * room, 0.0))) / (2 * quad)
            z = z * float(np.clip(t * (1 - 1e-9), 0.0, 1.0))
    return z, ok


def _binding(a_ub, b_ub, names, z, owner, x, s, cone) -> np.ndarray:
    """Name of a tight constraint each cut candidate takes part in ("volatility" for the cone)."""
    out = np.full(len(s), "", dtype=object)
    cut = x < s - 1e-9
    if not cut.any():
        return out
    label = np.full(len(s), "volatility" if cone else "allocation", dtype=object)
    if a_ub is not None:
        tight = np.flatnonzero(b_ub - a_ub @ z < 1e-7)
        if len(tight):
            hit = (a_ub[tight] != 0).toarray()  # (tight rows, variables)
            has = hit.any(axis=0)
            first = hit.argmax(axis=0)
            names = np.asarray(names, dtype=object)
            for col in np.flatnonzero(has)[::-1]:  # earliest variable of a candidate wins
                label[owner[col]] = names[tight[first[col]]]
    out[cut] = label[cut]
    return out

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
        z, ok = _socp(book, vol.limit, inst, d, value, a_ub, b_ub, ub)
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


def _factor(cov: np.ndarray) -> np.ndarray:
    """``L`` with ``L Lᵀ = cov`` (Cholesky, or a symmetric square root if singular)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _socp(book, limit, inst, d, value, a_ub, b_ub, ub):
    import clarabel

    nv = len(ub)
    lt = _factor(book._cov0).T  # (n, n): σ² = ‖Lᵀ w‖²
    b_mat = lt[:, inst] * d[None, :]
    cap = np.sqrt(max(limit**2, book.variance))
    eye = sp.identity(nv, format="csc")
    blocks = [a_ub] if a_ub is not None else []
    lin = sp.vstack([*blocks, -eye, eye], format="csc")
    b_lin = np.concatenate([*([b_ub] if a_ub is not None else []), np.zeros(nv), ub])
    soc = sp.vstack([sp.csc_matrix((1, nv)), sp.csc_matrix(-b_mat)], format="csc")
    a = sp.vstack([lin, soc], format="csc")
    b = np.concatenate([b_lin, [cap], lt @ book.w])
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
    z = np.asarray(sol.x)
    if ok:  # pull back inside the cone: interior-point solutions sit a hair outside
        w = book.w.copy()
        np.add.at(w, inst, d * np.clip(z, 0.0, ub))
        sigma = float(np.linalg.norm(lt @ w))
        if sigma > cap:
            z = z * _shrink_into(book, lt, inst, d, z, cap)
    return z, ok


def _shrink_into(book, lt, inst, d, z, cap) -> float:
    """Largest t in [0, 1] with ‖Lᵀ(w0 + t·Δ)‖ <= cap (Δ the trades), by the quadratic root."""
    delta = np.zeros(len(book.w))
    np.add.at(delta, inst, d * z)
    a_vec, b_vec = lt @ book.w, lt @ delta
    qa, qb, qc = b_vec @ b_vec, 2 * a_vec @ b_vec, a_vec @ a_vec - cap * cap
    if qa <= 0:
        return 1.0
    disc = max(qb * qb - 4 * qa * qc, 0.0)
    return float(np.clip((-qb + np.sqrt(disc)) / (2 * qa) * (1 - 1e-9), 0.0, 1.0))


def _binding(a_ub, b_ub, names, z, owner, x, s, cone) -> np.ndarray:
    out = np.full(len(s), "", dtype=object)
    cut = x < s - 1e-9
    if not cut.any():
        return out
    tight_rows = []
    if a_ub is not None:
        slack = b_ub - a_ub @ z
        tight_rows = np.flatnonzero(slack < 1e-7)
    for j in np.flatnonzero(cut):
        cols = np.flatnonzero(owner == j)
        label = "volatility" if cone else "allocation"
        for r in tight_rows:
            if a_ub[r, cols].nnz:
                label = names[r]
                break
        out[j] = label
    return out

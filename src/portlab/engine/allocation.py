"""Stage 4 — allocate capital across candidate trades under the batch's joint limits.

Each candidate arrives with a wanted trade size ``s_i`` that respects every limit on its own.
Together they may want more than the limits allow: cash (``cash_floor``), gross leverage,
sector gross exposure, strategy budgets, correlated-cluster exposure (when hard) and
portfolio volatility (when hard). When the wanted sizes fit, they are kept as they are.
Otherwise:

* OPTIMAL: a linear program (HiGHS through :func:`scipy.optimize.linprog`) maximises the
  priority-weighted expected edge ``Σ v_i x_i`` subject to all linear limits; when the
  volatility limit would bind it becomes a second-order cone program solved by Clarabel (the
  interior-point solver cvxpy ships and uses by default), built directly in sparse form
  because cvxpy's per-call compilation costs more than the solve at this size.
* GREEDY: reductions first, then trades in priority order, each taking what is left.

A measure already above its limit may not grow: every limit is ``max(limit, value before)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import AllocationMode, Policy

__all__ = ["Allocation", "allocate", "batch_metrics"]

PRIORITY_WEIGHT = np.array([1.0, 2.0, 4.0, 8.0])  # LOW, MEDIUM, HIGH, CRITICAL
_TOL = 1e-10


@dataclass(frozen=True)
class Allocation:
    """Allocated trade sizes (fractions of NAV) and what bound the ones that were cut."""

    x: np.ndarray
    binding: np.ndarray  # object array: rule name for candidates cut below s, else ""
    solved: str  # "unconstrained", "greedy", "lp", "socp"


@dataclass(frozen=True)
class Problem:
    """Candidate trades: positions ``inst``, directions ``d``, wanted sizes ``s``."""

    inst: np.ndarray
    d: np.ndarray
    s: np.ndarray
    edge: np.ndarray  # expected edge per unit of trade (fraction)
    priority: np.ndarray  # priority rank 0..3
    order: np.ndarray  # greedy order (positions into the candidate arrays)
    shares: list  # per candidate: list of (strategy, share)
    budgets: dict  # strategy -> remaining budget (fraction of NAV)


def batch_metrics(book: Book, policy: Policy, inst: np.ndarray, delta: np.ndarray) -> dict:
    """Measures of the portfolio after weight changes ``delta`` at positions ``inst``.

    Returns a dict with ``cash`` (fraction of NAV), ``gross``, ``sector_gross`` (array),
    ``variance`` and, when the correlation rule is hard, ``cluster`` (exposure of the cluster
    around each traded instrument's neighbours).
    """
    w1 = book.w.copy()
    np.add.at(w1, inst, delta)
    out = {
        "w": w1,
        "cash": book.cash_fraction - float(delta.sum()),
        "gross": float(np.abs(w1).sum()),
        "sector_gross": np.bincount(
            book.sector, weights=np.abs(w1), minlength=len(book.sector_labels)
        ),
    }
    dg = book._cov0[:, inst] @ delta
    out["variance"] = float(book.variance + 2 * delta @ book.g[inst] + delta @ dg[inst])
    return out


def _fits(book: Book, policy: Policy, prob: Problem, x: np.ndarray) -> bool:
    rules = policy.rules()
    delta = prob.d * x
    m = batch_metrics(book, policy, prob.inst, delta)
    if (prob.d > 0).any() and m["cash"] < min(policy.cash_floor, book.cash_fraction) - _TOL:
        return False
    if rules["leverage"].hard and m["gross"] > max(rules["leverage"].limit, book.gross) + _TOL:
        return False
    if (
        rules["sector"].hard
        and (m["sector_gross"] > np.maximum(rules["sector"].limit, book.sector_gross) + _TOL).any()
    ):
        return False
    if (
        rules["volatility"].hard
        and m["variance"] > max(rules["volatility"].limit ** 2, book.variance) + _TOL
    ):
        return False
    if prob.budgets and any(v < -_TOL for v in _budget_left(prob, x, book).values()):
        return False
    if rules["correlation"].hard:
        k = _cluster_index(book, prob.inst)
        before = book.cluster_exposure(k)
        after = book.cluster_exposure(k, m["w"])
        if (after > np.maximum(rules["correlation"].limit, before) + _TOL).any():
            return False
    return True


def _increase_part(book: Book, prob: Problem, x: np.ndarray) -> np.ndarray:
    """Part of each trade that adds gross exposure (beyond closing the current position)."""
    w0 = book.w[prob.inst]
    free = np.where(prob.d * w0 < 0, np.abs(w0), 0.0)
    return np.maximum(x - free, 0.0)


def _budget_left(prob: Problem, x: np.ndarray, book: Book | None = None) -> dict:
    left = dict(prob.budgets)
    inc = x if book is None else _increase_part(book, prob, x)
    for i, shares in enumerate(prob.shares):
        for strat, share in shares:
            if strat in left:
                left[strat] -= share * inc[i]
    return left


def _cluster_index(book: Book, inst: np.ndarray) -> np.ndarray:
    """Instruments whose cluster contains any traded instrument (the rows that can change)."""
    return np.flatnonzero(book.clusters(inst).any(axis=0))


def allocate(book: Book, policy: Policy, prob: Problem, mode: AllocationMode) -> Allocation:
    """Allocate the batch (see the module docstring)."""
    m = len(prob.s)
    if m == 0:
        return Allocation(np.zeros(0), np.array([], dtype=object), "unconstrained")
    if _fits(book, policy, prob, prob.s):
        return Allocation(prob.s.copy(), np.full(m, "", dtype=object), "unconstrained")
    if mode is AllocationMode.GREEDY:
        return _greedy(book, policy, prob)
    from portlab.engine._optimal import solve

    return solve(book, policy, prob)


def _greedy(book: Book, policy: Policy, prob: Problem) -> Allocation:
    rules = policy.rules()
    w = book.w.copy()
    inf = np.inf
    cash_room = max(book.cash_fraction - policy.cash_floor, 0.0)
    lev_cap = max(rules["leverage"].limit, book.gross) if rules["leverage"].hard else inf
    gross = book.gross
    sec_cap = np.maximum(rules["sector"].limit, book.sector_gross) if rules["sector"].hard else None
    sec_gross = book.sector_gross.copy()
    budget = dict(prob.budgets)
    vol_hard = rules["volatility"].hard
    var_cap = max(rules["volatility"].limit ** 2, book.variance)
    g = book.g.copy()
    var = book.variance
    cov = book._cov0
    cor_hard = rules["correlation"].hard
    if cor_hard:
        every = np.arange(len(book.instruments))
        exposure = book.cluster_exposure(every)
        cor_cap = np.maximum(rules["correlation"].limit, exposure)
        member = book.clusters(prob.inst)
    x = np.zeros(len(prob.s))
    binding = np.full(len(prob.s), "", dtype=object)
    sector = book.sector[prob.inst]
    for j in prob.order:
        i, d, want = int(prob.inst[j]), float(prob.d[j]), float(prob.s[j])
        w0 = w[i]
        free = abs(w0) if d * w0 < 0 else 0.0
        caps = {"wanted": want}
        if d > 0:
            caps["cash"] = cash_room
        if lev_cap < inf:
            caps["leverage"] = max(free, lev_cap - gross + 2 * free)
        if sec_cap is not None:
            s = sector[j]
            caps["sector"] = max(free, sec_cap[s] - sec_gross[s] + 2 * free)
        if budget and prob.shares[j]:
            room = min(
                (budget[k] / sh for k, sh in prob.shares[j] if k in budget and sh > 0), default=inf
            )
            caps["strategy_budget"] = free + max(room, 0.0)
        if cor_hard:
            room = (cor_cap - exposure)[member[j]].min()
            caps["correlation"] = max(free, room + 2 * free)
        if vol_hard:
            gi, dii = g[i], cov[i, i]
            room = var_cap - var
            caps["volatility"] = (
                max((-d * gi + np.sqrt(max(gi * gi + dii * room, 0.0))) / dii, 0.0)
                if dii > 0
                else inf
            )
        name = min(caps, key=caps.get)
        take = max(caps[name], 0.0)
        if take < want - 1e-12:
            binding[j] = name
        if take <= 1e-12:
            continue
        x[j] = take
        step = d * take
        new = w0 + step
        dabs = abs(new) - abs(w0)
        w[i] = new
        cash_room -= step
        gross += dabs
        sec_gross[sector[j]] += dabs
        if budget and prob.shares[j]:
            inc = max(take - free, 0.0)
            for k, sh in prob.shares[j]:
                if k in budget:
                    budget[k] -= sh * inc
        if cor_hard:
            exposure += member[j] * dabs
        if vol_hard:
            var += 2 * step * g[i] + step * step * cov[i, i]
            g += step * cov[:, i]
    return Allocation(x, binding, "greedy")

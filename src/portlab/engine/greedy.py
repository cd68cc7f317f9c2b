"""GREEDY allocation: trades in priority order, each taking what the batch's limits leave.

Reductions come first (they free room), then the candidates in :attr:`AllocationProblem.order`.
Each takes the least of what it wants and the room left under cash, leverage, sector
exposure, its strategies' budgets, correlated-cluster exposure and portfolio volatility (the
hard ones); the rule that gave the least is recorded when it cut the trade. The OPTIMAL
program (:mod:`portlab.engine._optimal`) falls back to this when its solver fails.
"""

from __future__ import annotations

import numpy as np

from portlab.engine.batch import Allocation, AllocationProblem
from portlab.engine.book import Book
from portlab.engine.config import Policy
from portlab.engine.tolerances import SIZE_TOL

__all__ = ["greedy"]


def greedy(book: Book, policy: Policy, problem: AllocationProblem) -> Allocation:
    """Fill the candidates in ``problem.order`` (see the module docstring)."""
    rules = policy.rules()
    w = book.w.copy()
    inf = np.inf
    cash_room = max(book.cash_fraction - policy.cash_floor, 0.0)
    lev_cap = max(rules["leverage"].limit, book.gross) if rules["leverage"].hard else inf
    gross = book.gross
    sec_cap = np.maximum(rules["sector"].limit, book.sector_gross) if rules["sector"].hard else None
    sec_gross = book.sector_gross.copy()
    budget = dict(problem.budgets)
    vol_name, vol_rule = policy.volatility_cap()  # the volatility limit, or a tighter VaR one
    vol_hard = vol_rule.hard
    var_cap = max(vol_rule.limit**2, book.variance)
    g = book.g.copy()
    var = book.variance
    cov = book.covariance
    cor_hard = rules["correlation"].hard
    if cor_hard:
        every = np.arange(len(book.instruments))
        exposure = book.cluster_exposure(every)
        cor_cap = np.maximum(rules["correlation"].limit, exposure)
        member = book.clusters(problem.instrument)
    sizes = np.zeros(len(problem.wanted))
    binding = np.full(len(problem.wanted), "", dtype=object)
    sector = book.sector[problem.instrument]
    for j in problem.order:
        i = int(problem.instrument[j])
        d, want = float(problem.direction[j]), float(problem.wanted[j])
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
        shares = problem.strategy_shares[j]
        if budget and shares:
            room = min((budget[k] / sh for k, sh in shares if k in budget and sh > 0), default=inf)
            caps["strategy_budget"] = free + max(room, 0.0)
        if cor_hard:
            room = (cor_cap - exposure)[member[j]].min()
            caps["correlation"] = max(free, room + 2 * free)
        if vol_hard:
            gi, dii = g[i], cov[i, i]
            room = var_cap - var
            caps[vol_name] = (
                max((-d * gi + np.sqrt(max(gi * gi + dii * room, 0.0))) / dii, 0.0)
                if dii > 0
                else inf
            )
        name = min(caps, key=caps.get)
        take = max(caps[name], 0.0)
        if take < want - SIZE_TOL:
            binding[j] = name
        if take <= SIZE_TOL:
            continue
        sizes[j] = take
        step = d * take
        new = w0 + step
        dabs = abs(new) - abs(w0)
        w[i] = new
        cash_room -= step
        gross += dabs
        sec_gross[sector[j]] += dabs
        if budget and shares:
            spent = max(take - free, 0.0)
            for k, sh in shares:
                if k in budget:
                    budget[k] -= sh * spent
        if cor_hard:
            exposure += member[j] * dabs
        if vol_hard:
            var += 2 * step * g[i] + step * step * cov[i, i]
            g += step * cov[:, i]
    return Allocation(sizes, binding, "greedy")

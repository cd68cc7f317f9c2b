"""Capital allocation: share the batch's joint limits among the candidate trades (§5).

Each candidate arrives with a wanted trade size ``s_i`` that respects every limit on its own.
Together they may want more than the limits allow: cash (``cash_floor``), gross leverage,
sector gross exposure, strategy budgets, correlated-cluster exposure (when hard) and
portfolio volatility (when hard). When the wanted sizes fit, they are kept as they are.
Otherwise:

* OPTIMAL (:mod:`portlab.engine._optimal`): a linear program (HiGHS through
  :func:`scipy.optimize.linprog`) maximises the priority-weighted expected edge
  ``Σ v_i x_i`` subject to all linear limits; when the volatility limit would bind it becomes
  a second-order cone program solved by Clarabel (the interior-point solver cvxpy ships and
  uses by default), built directly in sparse form because cvxpy's per-call compilation costs
  more than the solve at this size.
* GREEDY (:mod:`portlab.engine.greedy`): reductions first, then trades in priority order,
  each taking what is left.

A measure already above its limit may not grow: every limit is ``max(limit, value before)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.batch import Allocation, AllocationProblem, budget_left, touched_clusters
from portlab.engine.book import Book
from portlab.engine.config import Policy
from portlab.engine.enums import AllocationMode
from portlab.engine.greedy import greedy
from portlab.engine.tolerances import LIMIT_TOL

__all__ = ["BatchMeasures", "allocate", "batch_measures"]


@dataclass(frozen=True)
class BatchMeasures:
    """The portfolio's measures after a batch of weight changes.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        Signed weights after the batch, fractions of NAV.
    cash : float
        Cash, fraction of NAV.
    gross : float
        Gross exposure ``Σ|w|`` (= leverage).
    sector_gross : ndarray, shape (n_sectors,)
        Gross exposure per sector code.
    variance : float
        Annualised portfolio variance.
    """

    weights: np.ndarray
    cash: float
    gross: float
    sector_gross: np.ndarray
    variance: float


def batch_measures(book: Book, instrument: np.ndarray, delta: np.ndarray) -> BatchMeasures:
    """Measures of the portfolio after weight changes ``delta`` at positions ``instrument``."""
    w1 = book.w.copy()
    np.add.at(w1, instrument, delta)
    return BatchMeasures(
        weights=w1,
        cash=book.cash_fraction - float(delta.sum()),
        gross=float(np.abs(w1).sum()),
        sector_gross=np.bincount(
            book.sector, weights=np.abs(w1), minlength=len(book.sector_labels)
        ),
        variance=book.variance_after(instrument, delta),
    )


def _fits(book: Book, policy: Policy, problem: AllocationProblem, sizes: np.ndarray) -> bool:
    rules = policy.rules()
    m = batch_measures(book, problem.instrument, problem.direction * sizes)
    if (problem.direction > 0).any() and m.cash < min(
        policy.cash_floor, book.cash_fraction
    ) - LIMIT_TOL:
        return False
    if rules["leverage"].hard and m.gross > max(rules["leverage"].limit, book.gross) + LIMIT_TOL:
        return False
    if (
        rules["sector"].hard
        and (
            m.sector_gross > np.maximum(rules["sector"].limit, book.sector_gross) + LIMIT_TOL
        ).any()
    ):
        return False
    # the variance gets LIMIT_TOL too, looser than VARIANCE_TOL: a batch within it skips the
    # allocation program, and the risk feedback loop and the final check hold it to VARIANCE_TOL
    _, cap = policy.volatility_cap()  # the volatility limit, or a tighter VaR limit
    if cap.hard and m.variance > max(cap.limit**2, book.variance) + LIMIT_TOL:
        return False
    if problem.budgets and any(v < -LIMIT_TOL for v in budget_left(problem, sizes, book).values()):
        return False
    if rules["correlation"].hard:
        k = touched_clusters(book, problem.instrument)
        before = book.cluster_exposure(k)
        after = book.cluster_exposure(k, m.weights)
        if (after > np.maximum(rules["correlation"].limit, before) + LIMIT_TOL).any():
            return False
    return True


def allocate(
    book: Book, policy: Policy, problem: AllocationProblem, mode: AllocationMode
) -> Allocation:
    """Allocate the batch (see the module docstring)."""
    m = len(problem.wanted)
    if m == 0:
        return Allocation(np.zeros(0), np.array([], dtype=object), "unconstrained")
    if _fits(book, policy, problem, problem.wanted):
        return Allocation(problem.wanted.copy(), np.full(m, "", dtype=object), "unconstrained")
    if mode is AllocationMode.GREEDY:
        return greedy(book, policy, problem)
    # imported here: scipy's LP and sparse modules cost ~0.2 s to import, paid only by a batch
    # that needs the program (no cycle: _optimal imports batch and greedy, not this module)
    from portlab.engine._optimal import solve

    return solve(book, policy, problem)

"""The batch of candidate trades as the allocation stages see it, and measures they share.

:class:`AllocationProblem` is what capital allocation (specification §5), its GREEDY fill
(:mod:`portlab.engine.greedy`) and OPTIMAL program (:mod:`portlab.engine._optimal`), and the
final check on rounded quantities (:mod:`portlab.engine.enforce`) work on: candidate trades
with the size each wants. The helpers here are the pieces all of them need: what a trade
spends of its strategies' budgets, and which correlated clusters a batch can change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from portlab.engine.book import Book

__all__ = [
    "PRIORITY_WEIGHT",
    "Allocation",
    "AllocationProblem",
    "budget_left",
    "increasing_part",
    "touched_clusters",
]

#: Value of a unit of expected edge by priority rank (LOW, MEDIUM, HIGH, CRITICAL): each rank
#: doubles it, so a lower priority outranks a higher one only with more than 2^k times its edge
#: (k ranks apart), in the OPTIMAL objective and the GREEDY order alike.
PRIORITY_WEIGHT = np.array([1.0, 2.0, 4.0, 8.0])


@dataclass(frozen=True)
class AllocationProblem:
    """Candidate trades: where, which way, how much each wants, and what ranks them.

    Attributes
    ----------
    instrument : ndarray of int, shape (m,)
        Positions of the traded instruments in the universe.
    direction : ndarray of {+1, -1}, shape (m,)
        BUY or SELL.
    wanted : ndarray, shape (m,)
        Trade size each candidate wants, fraction of NAV (>= 0); each fits every limit alone.
    edge : ndarray, shape (m,)
        Expected edge per unit of trade (a return, fraction).
    priority : ndarray of int, shape (m,)
        Priority rank 0..3 (LOW .. CRITICAL).
    order : ndarray of int, shape (m,)
        GREEDY fill order (positions into the candidate arrays).
    strategy_shares : sequence, length m
        Per candidate, a list of ``(strategy, share)``: the part of the trade charged to
        each strategy's budget.
    budgets : mapping
        Strategy name -> capital budget still free, fraction of NAV.
    """

    instrument: np.ndarray
    direction: np.ndarray
    wanted: np.ndarray
    edge: np.ndarray
    priority: np.ndarray
    order: np.ndarray
    strategy_shares: Sequence[list[tuple[str, float]]]
    budgets: Mapping[str, float]


@dataclass(frozen=True)
class Allocation:
    """Allocated trade sizes and what bound the ones that were cut.

    Attributes
    ----------
    sizes : ndarray, shape (m,)
        Allocated sizes, fraction of NAV, ``0 <= sizes <= wanted``.
    binding : ndarray of object, shape (m,)
        Rule that cut a candidate below its wanted size, ``""`` otherwise.
    solver : str
        ``"unconstrained"`` (everything fit), ``"greedy"``, ``"lp"`` or ``"socp"``.
    """

    sizes: np.ndarray
    binding: np.ndarray
    solver: str


def increasing_part(book: Book, problem: AllocationProblem, sizes: np.ndarray) -> np.ndarray:
    """Part of each trade that adds gross exposure (beyond closing the current position)."""
    w0 = book.w[problem.instrument]
    free = np.where(problem.direction * w0 < 0, np.abs(w0), 0.0)
    return np.maximum(sizes - free, 0.0)


def budget_left(
    problem: AllocationProblem, sizes: np.ndarray, book: Book | None = None
) -> dict[str, float]:
    """Each strategy's budget left after trades of ``sizes`` (fraction of NAV; may go negative).

    With ``book``, only the part of a trade that adds gross exposure is charged (closing a
    position frees capital, it does not spend any); without, the whole size is.
    """
    left = dict(problem.budgets)
    spent = sizes if book is None else increasing_part(book, problem, sizes)
    for i, shares in enumerate(problem.strategy_shares):
        for strategy, share in shares:
            if strategy in left:
                left[strategy] -= share * spent[i]
    return left


def touched_clusters(book: Book, instrument: np.ndarray) -> np.ndarray:
    """Instruments whose correlated cluster contains a traded instrument: the clusters whose
    exposure the batch can change, as positions in the universe."""
    return np.flatnonzero(book.clusters(instrument).any(axis=0))

"""Stage 5b — round to shares and prove compliance on the executable quantities.

Trade sizes become whole shares (or multiples of the lot size; fractional when configured),
rounded toward zero, except that a trade meant to close a position sells exactly what is
held. Rounding can still upset a batch in which a sale finances a purchase, so the hard limits
are checked once more on the final quantities and the lowest-priority trades that add to a
breached measure are trimmed, one lot at a time where needed, until nothing is breached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.allocation import Problem, _budget_left
from portlab.engine.book import Book
from portlab.engine.config import Policy

__all__ = ["Executable", "round_and_enforce", "violations"]

_TOL = 1e-10


@dataclass(frozen=True)
class Executable:
    """Final signed share quantities and sizes, and which trades the last check trimmed."""

    shares: np.ndarray  # signed share quantities
    x: np.ndarray  # final trade size, fraction of NAV (|shares| × price / NAV)
    trimmed: np.ndarray  # object: rule that trimmed it, "" otherwise


def _shares(book: Book, inst, d, x, lot, fractional: bool) -> np.ndarray:
    price = book.price[inst]
    raw = x * book.nav / price
    held = book.qty[inst]
    closing = (d * held < 0) & (np.abs(x - np.abs(book.w[inst])) <= 1e-9 * np.maximum(1, x))
    if fractional:
        q = raw
    else:
        q = np.floor(raw / lot + 1e-9) * lot
    q = np.where(closing, np.abs(held), q)
    return d * q


def violations(
    book: Book, policy: Policy, prob: Problem, delta: np.ndarray
) -> list[tuple[str, float, np.ndarray]]:
    """Hard limits the weight changes ``delta`` (per candidate) would breach.

    Returns a list of ``(rule, excess, contributes)``: the excess over
    ``max(limit, value before)`` (fraction of NAV, or variance for volatility) and a boolean
    mask of the candidates that add to the breached measure.
    """
    rules = policy.rules()
    inst = prob.inst
    w1 = book.w.copy()
    np.add.at(w1, inst, delta)
    grows = np.abs(w1[inst]) > np.abs(book.w[inst]) + 1e-15
    out: list[tuple[str, float, np.ndarray]] = []
    cash_after = book.cash_fraction - float(delta.sum())
    floor = min(policy.cash_floor, book.cash_fraction)
    if cash_after < floor - _TOL:
        out.append(("cash", floor - cash_after, delta > 0))
    if rules["leverage"].hard:
        excess = np.abs(w1).sum() - max(rules["leverage"].limit, book.gross)
        if excess > _TOL:
            out.append(("leverage", excess, grows))
    if rules["sector"].hard:
        sec1 = np.bincount(book.sector, weights=np.abs(w1), minlength=len(book.sector_labels))
        excess = sec1 - np.maximum(rules["sector"].limit, book.sector_gross)
        for s in np.flatnonzero(excess > _TOL):
            out.append(("sector", float(excess[s]), grows & (book.sector[inst] == s)))
    if prob.budgets:
        x = np.abs(delta)
        for strat, left in _budget_left(prob, x, book).items():
            if left < -_TOL:
                mask = np.array([any(k == strat for k, _ in sh) for sh in prob.shares]) & grows
                out.append(("strategy_budget", -left, mask))
    if rules["correlation"].hard:
        from portlab.engine.allocation import _cluster_index

        k = _cluster_index(book, inst)
        excess = book.cluster_exposure(k, w1) - np.maximum(
            rules["correlation"].limit, book.cluster_exposure(k)
        )
        for r in np.flatnonzero(excess > _TOL):
            members = book.clusters(k[r : r + 1])[0][inst]
            out.append(("correlation", float(excess[r]), grows & members))
    if rules["volatility"].hard:
        g1 = book._cov0 @ w1
        var1 = float(w1 @ g1)
        cap = max(rules["volatility"].limit ** 2, book.variance)
        if var1 > cap + 1e-14:
            out.append(("volatility", var1 - cap, delta * g1[inst] > 0))
    return out


def round_and_enforce(
    book: Book, policy: Policy, prob: Problem, x: np.ndarray, lot: np.ndarray, fractional: bool
) -> Executable:
    """Round trades to shares, then trim until no hard limit is breached (see module doc)."""
    shares = _shares(book, prob.inst, prob.d, x, lot, fractional)
    price = book.price[prob.inst]
    trimmed = np.full(len(x), "", dtype=object)
    step = np.where(fractional, np.maximum(np.abs(shares) * 0.01, 1e-6), lot)
    for _ in range(20 * max(len(x), 1) + 20):
        delta = shares * price / book.nav
        found = violations(book, policy, prob, delta)
        if not found:
            break
        rule, excess, mask = found[0]
        mask = mask & (shares != 0)
        if not mask.any():  # nothing left to trim that adds to it: drop everything adding risk
            shares = np.where(prob.d * book.w[prob.inst] < 0, shares, 0.0)
            trimmed[:] = np.where(trimmed == "", rule, trimmed)
            continue
        # the lowest priority, then the largest trade, gives way first
        cand = np.flatnonzero(mask)
        j = cand[np.lexsort([-np.abs(shares[cand]) * price[cand], prob.priority[cand]])[0]]
        if rule == "volatility":
            cut = max(np.ceil(0.1 * abs(shares[j]) / step[j]) * step[j], step[j])
        else:
            cut = np.ceil(excess * book.nav / price[j] / step[j] - 1e-9) * step[j]
        new = max(abs(shares[j]) - max(cut, step[j] if not fractional else 0.0), 0.0)
        shares[j] = np.sign(shares[j]) * new
        trimmed[j] = rule
    return Executable(shares, np.abs(shares) * price / book.nav, trimmed)

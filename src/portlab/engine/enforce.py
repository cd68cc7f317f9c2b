"""Round to shares and prove compliance on the executable quantities (specification §7).

Trade sizes become whole shares (or multiples of the lot size; fractional when configured),
rounded toward zero, except that a trade meant to close a position sells exactly what is
held. Rounding can still upset a batch in which a sale finances a purchase, so the hard limits
are checked once more on the final quantities and the lowest-priority trades that add to a
breached measure are trimmed, one lot at a time where needed, until nothing is breached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.batch import AllocationProblem, budget_left, touched_clusters
from portlab.engine.book import Book
from portlab.engine.config import Policy
from portlab.engine.tolerances import CHANGE_TOL, LIMIT_TOL, VARIANCE_TOL

__all__ = ["Executable", "round_and_enforce", "violations"]

#: A share count within this of a whole number of lots (in lots) is that number: 99.9999999997
#: lots from ``size × NAV / price`` is 100, not 99. Relative rounding of that product is near
#: 1e-16, so 1e-9 catches it for any count below a million lots and never rounds a real
#: fraction of a lot up.
_WHOLE_LOT_TOL = 1e-9
#: A trade whose size equals the position held up to this (relative to max(1, size)) closes
#: it: it sells exactly the shares held, whatever the rounding of weight × NAV / price.
_CLOSING_TOL = 1e-9
#: With fractional shares, a trade is trimmed in steps of 1% of its quantity (at least
#: ``_MIN_FRACTIONAL_STEP`` shares), so that trimming ends within the loop's bound.
_FRACTIONAL_STEP = 0.01
_MIN_FRACTIONAL_STEP = 1e-6
#: A volatility breach trims the chosen trade by 10% of its quantity per pass: variance is
#: quadratic in the trade, so the excess does not say how many shares to remove.
_VOLATILITY_TRIM = 0.1
#: The trimming loop makes at most this many passes per trade (plus this many), a bound that
#: the fractional and volatility steps above reach well before it.
_PASSES_PER_TRADE = 20


@dataclass(frozen=True)
class Executable:
    """Final signed share quantities and sizes, and which trades the last check trimmed.

    Attributes
    ----------
    shares : ndarray, shape (m,)
        Signed share quantities.
    sizes : ndarray, shape (m,)
        Final trade sizes, fraction of NAV (``|shares| × price / NAV``).
    trimmed : ndarray of object, shape (m,)
        Rule whose final check trimmed the trade, ``""`` otherwise.
    """

    shares: np.ndarray
    sizes: np.ndarray
    trimmed: np.ndarray


def _shares(book: Book, instrument, direction, sizes, lot, fractional: bool) -> np.ndarray:
    price = book.price[instrument]
    raw = sizes * book.nav / price
    held = book.qty[instrument]
    closing = (direction * held < 0) & (
        np.abs(sizes - np.abs(book.w[instrument])) <= _CLOSING_TOL * np.maximum(1, sizes)
    )
    if fractional:
        q = raw
    else:
        q = np.floor(raw / lot + _WHOLE_LOT_TOL) * lot
    q = np.where(closing, np.abs(held), q)
    return direction * q


def violations(
    book: Book, policy: Policy, problem: AllocationProblem, delta: np.ndarray
) -> list[tuple[str, float, np.ndarray]]:
    """Hard limits the weight changes ``delta`` (per candidate) would breach.

    Returns a list of ``(rule, excess, contributes)``: the excess over
    ``max(limit, value before)`` (fraction of NAV, or variance for volatility) and a boolean
    mask of the candidates that add to the breached measure.
    """
    rules = policy.rules()
    instrument = problem.instrument
    w1 = book.w.copy()
    np.add.at(w1, instrument, delta)
    grows = np.abs(w1[instrument]) > np.abs(book.w[instrument]) + CHANGE_TOL
    out: list[tuple[str, float, np.ndarray]] = []
    cash_after = book.cash_fraction - float(delta.sum())
    floor = min(policy.cash_floor, book.cash_fraction)
    if cash_after < floor - LIMIT_TOL:
        out.append(("cash", floor - cash_after, delta > 0))
    if rules["leverage"].hard:
        excess = np.abs(w1).sum() - max(rules["leverage"].limit, book.gross)
        if excess > LIMIT_TOL:
            out.append(("leverage", excess, grows))
    if rules["sector"].hard:
        sec1 = np.bincount(book.sector, weights=np.abs(w1), minlength=len(book.sector_labels))
        excess = sec1 - np.maximum(rules["sector"].limit, book.sector_gross)
        for s in np.flatnonzero(excess > LIMIT_TOL):
            out.append(("sector", float(excess[s]), grows & (book.sector[instrument] == s)))
    if problem.budgets:
        for strategy, left in budget_left(problem, np.abs(delta), book).items():
            if left < -LIMIT_TOL:
                charged = np.array(
                    [any(k == strategy for k, _ in sh) for sh in problem.strategy_shares]
                )
                out.append(("strategy_budget", -left, charged & grows))
    if rules["correlation"].hard:
        k = touched_clusters(book, instrument)
        excess = book.cluster_exposure(k, w1) - np.maximum(
            rules["correlation"].limit, book.cluster_exposure(k)
        )
        for r in np.flatnonzero(excess > LIMIT_TOL):
            members = book.clusters(k[r : r + 1])[0][instrument]
            out.append(("correlation", float(excess[r]), grows & members))
    vol_name, vol_rule = policy.volatility_cap()  # the volatility limit, or a tighter VaR one
    if vol_rule.hard:
        g1 = book.covariance @ w1
        var1 = float(w1 @ g1)
        cap = max(vol_rule.limit**2, book.variance)
        if var1 > cap + VARIANCE_TOL:
            out.append((vol_name, var1 - cap, delta * g1[instrument] > 0))
    return out


def round_and_enforce(
    book: Book,
    policy: Policy,
    problem: AllocationProblem,
    sizes: np.ndarray,
    lot: np.ndarray,
    fractional: bool,
) -> Executable:
    """Round trades to shares, then trim until no hard limit is breached (see module doc).

    Parameters
    ----------
    book, policy
    problem : AllocationProblem
        The candidates (their ``priority`` decides who gives way first).
    sizes : ndarray, shape (m,)
        Trade sizes after the risk feedback loop, fraction of NAV.
    lot : ndarray, shape (m,)
        Lot size of each trade, in shares.
    fractional : bool
        Whether fractional shares are allowed.
    """
    instrument, direction = problem.instrument, problem.direction
    shares = _shares(book, instrument, direction, sizes, lot, fractional)
    price = book.price[instrument]
    trimmed = np.full(len(sizes), "", dtype=object)
    step = np.where(
        fractional, np.maximum(np.abs(shares) * _FRACTIONAL_STEP, _MIN_FRACTIONAL_STEP), lot
    )
    for _ in range(_PASSES_PER_TRADE * max(len(sizes), 1) + _PASSES_PER_TRADE):
        delta = shares * price / book.nav
        found = violations(book, policy, problem, delta)
        if not found:
            break
        rule, excess, mask = found[0]
        mask = mask & (shares != 0)
        if not mask.any():  # nothing left to trim that adds to it: drop everything adding risk
            shares = np.where(direction * book.w[instrument] < 0, shares, 0.0)
            trimmed[:] = np.where(trimmed == "", rule, trimmed)
            continue
        # the lowest priority, then the largest trade, gives way first
        adding = np.flatnonzero(mask)
        j = adding[
            np.lexsort([-np.abs(shares[adding]) * price[adding], problem.priority[adding]])[0]
        ]
        if rule in ("volatility", "var"):
            cut = max(np.ceil(_VOLATILITY_TRIM * abs(shares[j]) / step[j]) * step[j], step[j])
        else:
            cut = np.ceil(excess * book.nav / price[j] / step[j] - _WHOLE_LOT_TOL) * step[j]
        new = max(abs(shares[j]) - max(cut, step[j] if not fractional else 0.0), 0.0)
        shares[j] = np.sign(shares[j]) * new
        trimmed[j] = rule
    return Executable(shares, np.abs(shares) * price / book.nav, trimmed)

"""The risk feedback loop (specification §6).

After allocation: while a position's standalone risk ``|w| σ`` (annualised, fraction of NAV)
exceeds ``max_position_risk``, or the portfolio volatility exceeds a hard limit (the volatility
limit or a tighter VaR limit: ``Policy.volatility_cap``), resize the
offending position-increasing trades — at most ``max_iterations`` times and never below
``min_resize`` × the size they came in with. A trade that would have to go lower is dropped
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import Policy, RiskLoopConfig
from portlab.engine.tolerances import CHANGE_TOL, SIZE_TOL, VARIANCE_TOL

__all__ = ["RiskLoopResult", "risk_loop"]


@dataclass(frozen=True)
class RiskLoopResult:
    """Sizes after the loop, how many iterations changed anything, and drop reasons.

    Attributes
    ----------
    sizes : ndarray, shape (m,)
        Trade sizes after the loop, fraction of NAV (0 for dropped trades).
    iterations : int
        Resize passes that changed something.
    dropped : ndarray of object, shape (m,)
        Why a trade was dropped, ``""`` when kept.
    resized : ndarray of bool, shape (m,)
        The loop cut the trade.
    """

    sizes: np.ndarray
    iterations: int
    dropped: np.ndarray
    resized: np.ndarray


def _scale_root(
    book: Book, instrument: np.ndarray, fixed: np.ndarray, scalable: np.ndarray, cap2: float
) -> float:
    """Largest t in [0, 1] with variance(fixed + t·scalable) <= cap2."""
    a_vec = book.covariance[:, instrument]
    base = book.g + a_vec @ fixed  # Σ(w0 + fixed)
    var_base = book.variance_after(instrument, fixed)
    lin = 2 * scalable @ base[instrument]
    quad = scalable @ (a_vec @ scalable)[instrument]
    if quad <= 0:
        return 1.0 if var_base + lin <= cap2 else 0.0
    disc = lin * lin - 4 * quad * (var_base - cap2)
    if disc < 0:
        return 0.0
    return float(np.clip((-lin + np.sqrt(disc)) / (2 * quad), 0.0, 1.0))


def risk_loop(
    book: Book,
    policy: Policy,
    cfg: RiskLoopConfig,
    instrument: np.ndarray,
    direction: np.ndarray,
    sizes: np.ndarray,
    priority: np.ndarray,
) -> RiskLoopResult:
    """Run the loop over allocated trade ``sizes`` (fractions of NAV) at ``instrument``.

    Parameters
    ----------
    book, policy, cfg
    instrument : ndarray of int, shape (m,)
        Positions of the traded instruments in the universe.
    direction : ndarray of {+1, -1}, shape (m,)
    sizes : ndarray, shape (m,)
        Allocated trade sizes.
    priority : ndarray of int, shape (m,)
        Priority ranks; the lowest-priority trades are dropped first when cutting is not enough.
    """
    d = direction
    x = sizes.astype(float).copy()
    start = x.copy()
    floor = cfg.min_resize * start
    w0 = book.w[instrument]
    vol = book.vol[instrument]
    dropped = np.full(len(x), "", dtype=object)
    vol_name, vol_rule = policy.volatility_cap()  # the volatility limit, or a tighter VaR one
    cap2 = max(vol_rule.limit**2, book.variance)
    iterations = 0
    for _ in range(cfg.max_iterations):
        w1 = w0 + d * x
        increasing = np.abs(w1) > np.abs(w0) + CHANGE_TOL
        pos_risk = np.abs(w1) * vol
        over_pos = increasing & (pos_risk > cfg.max_position_risk + SIZE_TOL) & (x > 0)
        over_vol = vol_rule.hard and book.variance_after(instrument, d * x) > cap2 + VARIANCE_TOL
        if not over_pos.any() and not over_vol:
            break
        iterations += 1
        if over_pos.any():
            # reduction = tolerance / risk (the risk feedback loop's rule), never below the floor
            target = np.maximum(
                cfg.max_position_risk / np.where(vol > 0, vol, np.inf) - np.abs(w0), 0.0
            )
            x = np.where(over_pos, np.maximum(np.minimum(x, target), floor), x)
        if over_vol:
            grow = (np.abs(w0 + d * x) > np.abs(w0)) & (x > 0)
            fixed = np.where(grow, 0.0, d * x)
            t = _scale_root(book, instrument, fixed, np.where(grow, d * x, 0.0), cap2)
            x = np.where(grow, np.maximum(x * t, floor), x)
    # what the floor would not let the loop fix is dropped, lowest priority first
    w1 = w0 + d * x
    increasing = np.abs(w1) > np.abs(w0) + CHANGE_TOL
    over_pos = increasing & (np.abs(w1) * vol > cfg.max_position_risk + SIZE_TOL) & (x > 0)
    for j in np.flatnonzero(over_pos):
        dropped[j] = (
            f"position risk {abs(w1[j]) * vol[j]:.2%} above {cfg.max_position_risk:.2%} "
            f"even at {cfg.min_resize:.0%} of its size"
        )
        x[j] = 0.0
    if vol_rule.hard:
        order = np.lexsort([-_marginal(book, instrument, d, x), priority])
        for j in order:
            if book.variance_after(instrument, d * x) <= cap2 + VARIANCE_TOL:
                break
            if x[j] == 0 or _marginal(book, instrument, d, x)[j] <= 0:
                continue
            limit = (
                f" (the {policy.var_limit.limit:.2%} 1-day VaR limit)" if vol_name == "var" else ""
            )
            dropped[j] = (
                f"portfolio volatility above {np.sqrt(cap2):.1%}{limit} even at "
                f"{cfg.min_resize:.0%} of its size"
            )
            x[j] = 0.0
    return RiskLoopResult(x, iterations, dropped, x < start - SIZE_TOL)


def _marginal(
    book: Book, instrument: np.ndarray, direction: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Each trade's first-order contribution to portfolio variance after all trades."""
    delta = direction * sizes
    g1 = book.g + book.covariance[:, instrument] @ delta
    return delta * g1[instrument]

"""Stage 5a — the risk feedback loop of seed 004.

After allocation: while a position's standalone risk ``|w| σ`` (annualised, fraction of NAV)
exceeds ``max_position_risk``, or the portfolio volatility exceeds a hard limit, resize the
offending position-increasing trades — at most ``max_iterations`` times and never below
``min_resize`` × the size they came in with. A trade that would have to go lower is dropped
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import Policy, RiskLoopConfig

__all__ = ["RiskLoopResult", "risk_loop"]


@dataclass(frozen=True)
class RiskLoopResult:
    """Sizes after the loop, how many iterations changed anything, and drop reasons."""

    x: np.ndarray
    iterations: int
    dropped: np.ndarray  # object array: reason text, "" when kept
    resized: np.ndarray  # bool: the loop cut the trade


def _variance(book: Book, inst: np.ndarray, delta: np.ndarray) -> float:
    dg = book._cov0[:, inst] @ delta
    return float(book.variance + 2 * delta @ book.g[inst] + delta @ dg[inst])


def _scale_root(
    book: Book, inst: np.ndarray, fixed: np.ndarray, scalable: np.ndarray, cap2: float
) -> float:
    """Largest t in [0, 1] with variance(fixed + t·scalable) <= cap2."""
    a_vec = book._cov0[:, inst]
    base = book.g + a_vec @ fixed  # Σ(w0 + fixed)
    var_base = _variance(book, inst, fixed)
    lin = 2 * scalable @ base[inst]
    quad = scalable @ (a_vec @ scalable)[inst]
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
    inst: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    priority: np.ndarray,
) -> RiskLoopResult:
    """Run the loop over allocated trades ``x`` (fractions of NAV) at positions ``inst``.

    Parameters
    ----------
    book, policy, cfg
    inst : ndarray of int, shape (m,)
    d : ndarray of {+1, -1}, shape (m,)
    x : ndarray, shape (m,)
        Allocated trade sizes.
    priority : ndarray of int, shape (m,)
        Priority ranks; the lowest-priority trades are dropped first when cutting is not enough.
    """
    x = x.astype(float).copy()
    start = x.copy()
    floor = cfg.min_resize * start
    w0 = book.w[inst]
    vol = book.vol[inst]
    dropped = np.full(len(x), "", dtype=object)
    vol_rule = policy.max_portfolio_volatility
    cap2 = max(vol_rule.limit**2, book.variance)
    iterations = 0
    for _ in range(cfg.max_iterations):
        w1 = w0 + d * x
        increasing = np.abs(w1) > np.abs(w0) + 1e-15
        pos_risk = np.abs(w1) * vol
        over_pos = increasing & (pos_risk > cfg.max_position_risk + 1e-12) & (x > 0)
        over_vol = vol_rule.hard and _variance(book, inst, d * x) > cap2 + 1e-14
        if not over_pos.any() and not over_vol:
            break
        iterations += 1
        if over_pos.any():
            # seed: reduction = tolerance / risk, never below the resize floor
            target = np.maximum(
                cfg.max_position_risk / np.where(vol > 0, vol, np.inf) - np.abs(w0), 0.0
            )
            x = np.where(over_pos, np.maximum(np.minimum(x, target), floor), x)
        if over_vol:
            grow = (np.abs(w0 + d * x) > np.abs(w0)) & (x > 0)
            fixed = np.where(grow, 0.0, d * x)
            t = _scale_root(book, inst, fixed, np.where(grow, d * x, 0.0), cap2)
            x = np.where(grow, np.maximum(x * t, floor), x)
    # what the floor would not let the loop fix is dropped, lowest priority first
    w1 = w0 + d * x
    increasing = np.abs(w1) > np.abs(w0) + 1e-15
    over_pos = increasing & (np.abs(w1) * vol > cfg.max_position_risk + 1e-12) & (x > 0)
    for j in np.flatnonzero(over_pos):
        dropped[j] = (
            f"position risk {abs(w1[j]) * vol[j]:.2%} above {cfg.max_position_risk:.2%} "
            f"even at {cfg.min_resize:.0%} of its size"
        )
        x[j] = 0.0
    if vol_rule.hard:
        order = np.lexsort([-_marginal(book, inst, d, x), priority])
        for j in order:
            if _variance(book, inst, d * x) <= cap2 + 1e-14:
                break
            if x[j] == 0 or _marginal(book, inst, d, x)[j] <= 0:
                continue
            dropped[j] = (
                f"portfolio volatility above {np.sqrt(cap2):.1%} even at "
                f"{cfg.min_resize:.0%} of its size"
            )
            x[j] = 0.0
    return RiskLoopResult(x, iterations, dropped, x < start - 1e-12)


def _marginal(book: Book, inst: np.ndarray, d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each trade's first-order contribution to portfolio variance after all trades."""
    delta = d * x
    g1 = book.g + book._cov0[:, inst] @ delta
    return delta * g1[inst]

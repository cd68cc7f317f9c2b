"""Discrete allocation: whole shares (or lots) from target weights, prices and a portfolio value.

Two methods, both never spending more than the portfolio value:

* ``MILP`` (default): the integer program of PyPortfolioOpt's ``lp_portfolio``, solved by
  HiGHS (``scipy.optimize.milp``): minimise ``Σ_i |w_i V − n_i p_i| + leftover`` over integer
  lot counts, i.e. the value missed on each asset plus the cash left over;
* ``GREEDY``: round every position down to whole lots, then buy one lot at a time of the asset
  furthest below its target value that is still affordable.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, InfeasibleError, ValidationError

__all__ = ["DiscreteMethod", "discrete_allocation"]


class DiscreteMethod(enum.StrEnum):
    """How :func:`discrete_allocation` rounds weights to whole lots."""

    MILP = "milp"
    GREEDY = "greedy"


def _inputs(weights: Any, prices: Any, total_value: float, lot_size: Any):
    if not isinstance(weights, pd.Series):
        raise ValidationError(f"weights must be a pandas Series, got {type(weights).__name__}")
    if not weights.index.is_unique:
        raise ValidationError("weights has duplicate labels")
    w = weights.to_numpy(dtype=float, na_value=np.nan)
    bad = weights.index[~np.isfinite(w)]
    if len(bad):
        raise DataError(f"weights is NaN or infinite for {list(bad[:5])}")
    neg = weights.index[w < 0]
    if len(neg):
        raise ValidationError(
            f"discrete_allocation handles long-only weights; negative for {list(neg[:5])}"
        )
    if w.sum() > 1 + 1e-9:
        raise ValidationError(
            f"weights sum to {w.sum():.6g} > 1: they cannot be bought with total_value"
        )
    if isinstance(total_value, bool) or not isinstance(total_value, int | float | np.number):
        raise ValidationError(f"total_value must be a number, got {total_value!r}")
    value = float(total_value)
    if not (value > 0 and math.isfinite(value)):
        raise ValidationError(f"total_value must be a positive finite number, got {total_value!r}")
    if not isinstance(prices, pd.Series):
        raise ValidationError(f"prices must be a pandas Series, got {type(prices).__name__}")
    held = weights.index[w > 0]
    missing = [a for a in held if a not in prices.index]
    if missing:
        raise DataError(f"prices has no price for {missing[:5]}")
    p = prices.reindex(weights.index).to_numpy(dtype=float, na_value=np.nan)
    badp = weights.index[(w > 0) & ~(np.isfinite(p) & (p > 0))]
    if len(badp):
        raise DataError(f"prices must be positive and finite; bad for {list(badp[:5])}")
    if isinstance(lot_size, pd.Series):
        lots = lot_size.reindex(weights.index).fillna(1).to_numpy(dtype=float)
    else:
        lots = np.full(len(w), float(lot_size) if lot_size is not None else 1.0)
    badl = weights.index[~((lots >= 1) & (lots == np.round(lots)))]
    if len(badl):
        raise ValidationError(f"lot_size must be a positive integer; bad for {list(badl[:5])}")
    return w, np.where(w > 0, p, 0.0), value, lots


def _greedy(w: np.ndarray, lot_cost: np.ndarray, value: float) -> np.ndarray:
    held = w > 0
    target = w * value
    n = np.zeros(len(w))
    n[held] = np.floor(target[held] / lot_cost[held])
    cash = value - n[held] @ lot_cost[held]
    deficit = np.where(held, target - n * np.where(held, lot_cost, 0.0), -np.inf)
    while True:
        afford = held & (lot_cost <= cash) & (deficit > 0)
        if not afford.any():
            break
        i = int(np.argmax(np.where(afford, deficit, -np.inf)))
        n[i] += 1
        cash -= lot_cost[i]
        deficit[i] -= lot_cost[i]
    return n


def _milp(w: np.ndarray, lot_cost: np.ndarray, value: float, time_limit: float) -> np.ndarray:
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    held = np.flatnonzero(w > 0)
    k = len(held)
    n = np.zeros(len(w))
    if k == 0:
        return n
    c = lot_cost[held] / value  # value units scaled to fractions of the portfolio
    tw = w[held]
    eye = sp.identity(k, format="csr")
    C = sp.diags(c, format="csr")
    # variables [x (lots), u (|w V − x c V| / V)]; objective Σu − Σ c x (+ 1 = leftover)
    A = sp.vstack(
        [
            sp.hstack([sp.csr_matrix(c[None, :]), sp.csr_matrix((1, k))]),  # Σ c x <= 1
            sp.hstack([-C, -eye]),  # w − c x <= u
            sp.hstack([C, -eye]),  # c x − w <= u
        ],
        format="csr",
    )
    lo = np.concatenate([[-np.inf], np.full(k, -np.inf), np.full(k, -np.inf)])
    hi = np.concatenate([[1.0], -tw, tw])
    ub = np.floor(1.0 / c)
    res = milp(
        np.concatenate([-c, np.ones(k)]),
        integrality=np.concatenate([np.ones(k), np.zeros(k)]),
        bounds=Bounds(np.zeros(2 * k), np.concatenate([ub, np.full(k, np.inf)])),
        constraints=LinearConstraint(A, lo, hi),
        options={"time_limit": float(time_limit)},
    )
    if res.x is None:
        raise InfeasibleError(f"the integer allocation found no solution: {res.message}")
    x = np.round(res.x[:k])
    while x @ lot_cost[held] > value:  # never exceed the value (guards rounding of res.x)
        x[int(np.argmax(x * lot_cost[held]))] -= 1
    n[held] = x
    return n


def discrete_allocation(
    weights: pd.Series,
    prices: pd.Series,
    total_value: float,
    *,
    lot_size: int | pd.Series = 1,
    method: DiscreteMethod | str = DiscreteMethod.MILP,
    time_limit: float = 10.0,
) -> tuple[pd.Series, float]:
    """Whole-share (or whole-lot) holdings closest to target weights, and the cash left.

    Parameters
    ----------
    weights : Series (n,)
        Target long-only weights (fractions of ``total_value``), summing to at most 1; the
        rest is meant to stay cash.
    prices : Series
        Price per share, in the currency of ``total_value``; needed for every asset with a
        positive weight (others are ignored).
    total_value : float
        Portfolio value to allocate (currency).
    lot_size : int or Series
        Shares per tradable lot (default 1; a Series gives one per asset, missing → 1).
    method : DiscreteMethod
        MILP (default: optimal for ``Σ|w_i V − n_i p_i| + leftover``) or GREEDY.
    time_limit : float
        Seconds allowed to the MILP solver (the best allocation found by then is returned).

    Returns
    -------
    shares : Series of int64 (n,)
        Shares per asset (multiples of the lot size), indexed like ``weights``.
    leftover : float
        ``total_value − Σ shares × price`` (currency), never negative.

    Raises
    ------
    ValidationError, DataError
        Negative or non-finite weights, weights summing above 1, a missing or non-positive
        price, a bad lot size or total value, each named.
    """
    try:
        method = DiscreteMethod(method)
    except ValueError:
        raise ValidationError(
            f"method must be one of {[m.value for m in DiscreteMethod]}, got {method!r}"
        ) from None
    w, p, value, lots = _inputs(weights, prices, total_value, lot_size)
    lot_cost = p * lots
    if method is DiscreteMethod.MILP:
        n = _milp(w, lot_cost, value, time_limit)
    else:
        n = _greedy(w, lot_cost, value)
    shares = pd.Series((n * lots).astype(np.int64), index=weights.index, name="shares")
    leftover = value - float(n @ lot_cost)
    return shares, leftover

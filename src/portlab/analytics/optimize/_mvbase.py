"""The vocabulary of mean-variance optimization and what the solver and the frontier share:
:class:`Objective`, :class:`Method`, :class:`MeanVarianceResult`, the check of expected
returns, the portfolio volatility with its zero floor, and the clean-up of solved weights.

Units: ``mu`` and ``cov`` are annual (``mu`` a fraction per year, ``cov`` in annual variance);
weights are fractions of NAV; volatilities are annual.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portlab.analytics.optimize._constraints import ResolvedConstraints
from portlab.exceptions import DataError, InfeasibleError, ValidationError
from portlab.linalg import SINGULAR_RTOL

__all__ = [
    "FRONTIER_COLUMNS",
    "SNAP_TOLERANCE",
    "MeanVarianceResult",
    "Method",
    "Objective",
    "as_mu",
    "check_excess_return",
    "clean_weights",
    "volatility",
]

FRONTIER_COLUMNS = ("target_return", "expected_return", "volatility", "sharpe")
"""The metric columns of an efficient frontier table, before the weights."""

SNAP_TOLERANCE = 1e-9
"""A solved weight this close to a bound (relative to the budget) is put on it: a billionth of
NAV is no position anyone holds, and left alone it shows as negative dust under long-only
bounds (the critical line algorithm itself works to 1e-10 of the budget)."""


class Objective(enum.StrEnum):
    """What the mean-variance optimizer maximises or minimises."""

    MAX_SHARPE = "max_sharpe"  # max (μᵀw − cost − rf·budget) / σ(w)
    MIN_VOLATILITY = "min_volatility"  # min wᵀΣw (+ costs)
    TARGET_RETURN = "target_return"  # min wᵀΣw s.t. μᵀw − cost >= target
    TARGET_RISK = "target_risk"  # max μᵀw − cost s.t. σ(w) <= target
    MAX_UTILITY = "max_utility"  # max μᵀw − cost − (risk_aversion / 2) wᵀΣw


class Method(enum.StrEnum):
    """Which engine solves: AUTO picks CLA whenever the constraints allow."""

    AUTO = "auto"
    CLA = "cla"  # critical line algorithm (exact path)
    CVXPY = "cvxpy"  # compiled cvxpy program (Clarabel)


@dataclass(frozen=True)
class MeanVarianceResult:
    """An optimal portfolio and its figures (annual units, fractions): what
    :func:`mean_variance` and :meth:`MeanVarianceProblem.solve` return.

    (Called ``OptimizationResult`` before; that name is the strategy-allocation block of
    :class:`~portlab.events.PortfolioOptimizationEvent`.)

    Attributes
    ----------
    weights : Series
        Weight per asset (index as ``mu``), clean: on a bound exactly when within 1e-9 of it
        (no negative dust under long-only bounds), summing to the budget up to floating-point
        rounding (a few 1e-16).
    expected_return : float
        ``μᵀw − cost``: expected return net of transaction costs.
    volatility : float
        ``sqrt(wᵀΣw)`` with the covariance given (without the L2 ridge).
    sharpe : float
        ``(expected_return − risk_free_rate · budget) / volatility`` (NaN if volatility is 0).
    turnover : float
        ``Σ |w − current|`` (buys plus sells).
    cost : float
        ``Σ c_i |w_i − current_i|``.
    status : str
        ``"optimal"`` (CLA: exact) or the cvxpy status (``"optimal"`` / ``"optimal_inaccurate"``).
    objective : Objective
    method : Method
        The engine that produced the weights (CLA or CVXPY).
    risk_free_rate : float
    """

    weights: pd.Series
    expected_return: float
    volatility: float
    sharpe: float
    turnover: float
    cost: float
    status: str
    objective: Objective
    method: Method
    risk_free_rate: float


def as_mu(mu: pd.Series | np.ndarray | Sequence[float]) -> pd.Series:
    """Expected returns as a float Series named ``mu`` (an array gets a ``RangeIndex``).

    Raises
    ------
    ValidationError
        A DataFrame, duplicate labels, no entry.
    DataError
        Non-numeric, NaN or infinite values (naming the assets).
    """
    if isinstance(mu, pd.Series):
        s = mu
    elif isinstance(mu, pd.DataFrame):
        raise ValidationError("mu must be a Series of expected returns, got a DataFrame")
    else:
        s = pd.Series(np.asarray(mu, dtype=float).ravel())
    if not s.index.is_unique:
        raise ValidationError(
            f"mu has duplicate labels: {s.index[s.index.duplicated()].tolist()[:5]}"
        )
    try:
        vals = s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"mu must hold numbers: {exc}") from None
    bad = s.index[~np.isfinite(vals)]
    if len(bad):
        raise DataError(f"mu is NaN or infinite for {list(bad[:5])}")
    if len(s) == 0:
        raise ValidationError("mu is empty")
    return pd.Series(vals, index=s.index, name="mu")


def volatility(w: np.ndarray, cov: np.ndarray) -> np.ndarray | float:
    """``sqrt(wᵀΣw)`` of one portfolio (shape (n,)) or of each row of ``w`` (shape (k, n)).

    Exactly 0 where the variance is rounding noise: ``wᵀΣw <= SINGULAR_RTOL · max diag(Σ) ·
    wᵀw``, i.e. ``w`` lies in a null direction of a singular ``Σ`` (see :mod:`portlab.linalg`).
    A volatility of 1e-10 from such a portfolio would give a Sharpe ratio of 1e9.
    """
    w2 = np.atleast_2d(w)
    var = np.einsum("ij,ij->i", w2 @ cov, w2)
    floor = SINGULAR_RTOL * float(np.diag(cov).max()) * np.einsum("ij,ij->i", w2, w2)
    vol = np.sqrt(np.where(var <= floor, 0.0, var))
    return vol if np.ndim(w) == 2 else float(vol[0])


def clean_weights(w: np.ndarray, r: ResolvedConstraints) -> np.ndarray:
    """Snap weights within :data:`SNAP_TOLERANCE` of a bound onto it (no negative dust under
    long-only bounds), then move the residual ``budget − Σw`` into the largest weight strictly
    inside its bounds, so that the weights sum to the budget up to floating-point rounding
    (|Σw − budget| of a few 1e-16)."""
    tol = SNAP_TOLERANCE * max(1.0, abs(r.budget))
    w = np.clip(w, r.lb, r.ub)
    w = np.where(np.abs(w - r.lb) <= tol, r.lb, w)
    w = np.where(np.abs(w - r.ub) <= tol, r.ub, w)
    w = np.where(np.abs(w) <= tol * 1e-3, 0.0, w)
    for _ in range(3):
        res = r.budget - w.sum()
        if res == 0.0:
            break
        ok = np.flatnonzero((w - r.lb > 4 * abs(res)) & (r.ub - w > 4 * abs(res)))
        if not len(ok):
            break
        w[ok[np.argmax(np.abs(w[ok]))]] += res
    return w


def check_excess_return(path_max: float, rf: float, budget: float) -> None:
    """InfeasibleError when the highest attainable expected return ``path_max`` is at or below
    the risk-free return ``rf × budget``: no portfolio then has a positive excess return."""
    if path_max <= rf * budget:
        raise InfeasibleError(
            f"max Sharpe is undefined: the highest expected return attainable under the "
            f"constraints, {path_max:.4g}, is at or below the risk-free return {rf * budget:.4g} "
            "(risk_free_rate × budget), so no portfolio has a positive excess return; use "
            "MIN_VOLATILITY or lower risk_free_rate"
        )

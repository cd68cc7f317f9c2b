"""The efficient frontier as a table: one row per point, metrics then weights.

With only bounds, the budget and group caps (any number of groupings), the frontier comes
from the critical line algorithm: the exact turning points are traced once and the weights of
each target return are interpolated between them (they are linear in the target on each
segment), so 50 points cost one path. Otherwise one cvxpy program, compiled once with the
target return as a Parameter, is re-solved per point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portlab.analytics.optimize._cla import PathError
from portlab.analytics.optimize._constraints import Constraints
from portlab.analytics.optimize._meanvar import (
    MeanVarianceProblem,
    Method,
    Objective,
    _clean,
    volatility,
)
from portlab.exceptions import ConfigError, PortlabError, ValidationError

__all__ = ["METRIC_COLUMNS", "efficient_frontier", "frontier_of"]

METRIC_COLUMNS = ("target_return", "expected_return", "volatility", "sharpe")


def efficient_frontier(
    mu: pd.Series,
    cov: pd.DataFrame | np.ndarray,
    n_points: int = 50,
    *,
    constraints: Constraints | None = None,
    risk_free_rate: float = 0.0,
    method: Method | str = Method.AUTO,
) -> pd.DataFrame:
    """Efficient frontier from the minimum-variance portfolio to the maximum-return one.

    Parameters
    ----------
    mu : Series (n,)
        Expected annual returns (fractions) by asset.
    cov : DataFrame (n, n) or ndarray
        Annual covariance.
    n_points : int
        Number of points (>= 2), at target returns equally spaced from the return of the
        minimum-variance portfolio to the highest attainable return (both ends included).
    constraints : Constraints, optional
        As for :func:`mean_variance`; default long-only, fully invested.
    risk_free_rate : float
        Annual; for the ``sharpe`` column.
    method : Method
        AUTO: the critical line algorithm when the constraints allow, cvxpy otherwise.

    Returns
    -------
    DataFrame, shape (n_points, 4 + n)
        Index ``point`` (0 = minimum variance). Columns ``target_return``, ``expected_return``
        (net of costs), ``volatility`` (annual, without the L2 ridge), ``sharpe``
        (``(expected_return − rf·budget) / volatility``), then one column of weights per asset,
        labelled as ``mu`` — ``frontier[mu.index]`` is the weights table. ``attrs["method"]``
        names the engine.

    Raises
    ------
    InfeasibleError
        The constraints admit no portfolio (the message says which conflict).
    ValidationError
        ``n_points < 2`` or an asset label equal to a metric column name.
    """
    problem = MeanVarianceProblem(
        mu, cov, constraints, risk_free_rate=risk_free_rate, method=method
    )
    return frontier_of(problem, n_points)


def frontier_of(problem: MeanVarianceProblem, n_points: int = 50) -> pd.DataFrame:
    """The frontier of a prepared :class:`MeanVarianceProblem` (see :func:`efficient_frontier`)."""
    if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer) or n_points < 2:
        raise ValidationError(f"n_points must be an integer >= 2, got {n_points!r}")
    problem._ensure_fit()
    clash = [c for c in METRIC_COLUMNS if c in problem.assets_]
    if clash:
        raise ValidationError(f"asset labels clash with the frontier's metric columns: {clash}")
    r = problem.constraints_
    W = None
    if problem.method_ is Method.CLA:
        try:
            path = problem._full_path()
            targets = np.linspace(path.end_return, path.max_return, n_points)
            W = path.at_return(targets)[0]
        except (PathError, np.linalg.LinAlgError) as exc:  # numerical breakdown: generic engine
            problem._fallback(exc)
    if problem.method_ is Method.CVXPY:
        targets, W = _cvx_frontier(problem, n_points)
    W = np.vstack([_clean(w, r) for w in W])
    trade = np.abs(W - r.w0)
    cost = trade @ r.costs
    ret = W @ problem.mu_ - cost
    vol = volatility(W, problem.cov_)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(vol > 0, (ret - problem.rf_ * r.budget) / vol, np.nan)
    metrics = pd.DataFrame(
        {"target_return": targets, "expected_return": ret, "volatility": vol, "sharpe": sharpe}
    )
    weights = pd.DataFrame(W, columns=problem.assets_)
    out = pd.concat([metrics, weights], axis=1)
    out.index.name = "point"
    out.attrs["method"] = problem.method_.value
    return out


def _cvx_frontier(problem: MeanVarianceProblem, n_points: int):
    from portlab.analytics.optimize._cvx import MAX_RETURN, MIN_VARIANCE

    model = problem._model()
    r = problem.constraints_
    mu = problem.mu_

    def net(w):
        return float(mu @ w - r.costs @ np.abs(w - r.w0))

    w_lo, st_lo = model.solve(MIN_VARIANCE, mu)
    w_hi, st_hi = model.solve(MAX_RETURN, mu)
    if st_hi in ("unbounded", "unbounded_inaccurate"):
        raise ConfigError(
            "the efficient frontier is unbounded: the expected return can grow without limit; "
            "with long/short weights add bounds or max_gross_leverage"
        )
    if w_lo is None or w_hi is None:
        problem._solve_cvx(Objective.MIN_VOLATILITY, None, 1.0)  # raises with the explanation
        raise PortlabError(f"the frontier's end points failed: {st_lo}, {st_hi}")
    lo, hi = net(w_lo), net(w_hi)
    targets = np.linspace(lo, hi, n_points)
    W = [w_lo]
    eps = 1e-9 * max(1.0, abs(hi))
    for k, t in enumerate(targets[1:], start=1):
        w, status = model.solve("target_return", mu, target=min(t, hi - eps))
        if w is None:
            raise PortlabError(f"frontier point {k} (target return {t:.6g}) failed: {status}")
        W.append(w)
    return targets, np.vstack(W)

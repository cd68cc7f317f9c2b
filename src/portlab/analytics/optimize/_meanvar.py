"""Mean-variance optimization and the efficient frontier: max Sharpe, min volatility, target
return, target risk, utility (specification §9, "Portfolio optimization and strategy
allocation").

Two engines give the same answers:

* the **critical line algorithm** (:mod:`._cla`), exact and fast, whenever only per-asset
  bounds, the budget and group caps constrain (any number of groupings); it traces the whole
  efficient path once, and every objective is then a closed-form lookup on it;
* **cvxpy** programs compiled once with Parameters (:mod:`._cvx`, Clarabel) for turnover
  limits, transaction costs, binding gross leverage, or a covariance that is only positive
  semidefinite.

Units: ``mu`` and ``cov`` are annual (``mu`` a fraction per year, ``cov`` in annual variance);
weights are fractions of NAV; volatilities are annual. The objectives, the result and the
pieces the solver and the frontier share are in :mod:`._mvbase`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from portlab.analytics.optimize import _cla, _path
from portlab.analytics.optimize._constraints import (
    Constraints,
    lp_reasons,
    quick_reasons,
    resolve,
)
from portlab.analytics.optimize._cvx import MAX_RETURN, MIN_VARIANCE, CvxModel
from portlab.analytics.optimize._inputs import SINGULAR_HINT, as_cov
from portlab.analytics.optimize._mvbase import (
    FRONTIER_COLUMNS,
    MeanVarianceResult,
    Method,
    Objective,
    as_mu,
    check_excess_return,
    clean_weights,
    volatility,
)
from portlab.exceptions import (
    ConfigError,
    DataError,
    InfeasibleError,
    PortlabError,
    SingularMatrixError,
    ValidationError,
)
from portlab.records import check_int

__all__ = ["FIGURE_NAMES", "MeanVarianceProblem", "efficient_frontier", "mean_variance"]

#: the figures of a portfolio, as :class:`MeanVarianceResult` and
#: :meth:`MeanVarianceProblem.figures` define them, in order
FIGURE_NAMES = ("expected_return", "volatility", "sharpe", "turnover", "cost")

#: a target return this far (relative) above the path's maximum is still the maximum (rounding)
TARGET_RETURN_SLACK = 1e-12
#: a target variance this far (relative) below the path's minimum is still the minimum
TARGET_VARIANCE_SLACK = 1e-12
#: the frontier's last cvxpy target stays this far (relative) below the maximum return, which
#: the solver reaches only to its own accuracy
FRONTIER_END_GAP = 1e-9


# --------------------------------------------------------------------------- the problem


class MeanVarianceProblem:
    """A mean-variance problem prepared once and solved for many objectives and targets.

    With the critical line algorithm (bounds, budget, group caps) the whole efficient path is
    traced once per ``mu`` and every :meth:`solve` is a closed-form lookup on it
    (microseconds). Otherwise each objective is compiled once as a cvxpy program whose
    expected returns, risk-free rate, target and risk aversion are Parameters, and later
    solves only update them.

    Parameters
    ----------
    mu : Series (n,)
        Expected annual returns (fractions), labelled by asset.
    cov : DataFrame (n, n) or ndarray
        Annual covariance; a DataFrame is aligned to ``mu``'s labels.
    constraints : Constraints, optional
        Default: long-only, fully invested.
    risk_free_rate : float
        Annual, used by MAX_SHARPE and the reported Sharpe ratios.
    method : Method
        AUTO (default) uses CLA when the constraints allow (falling back to cvxpy if the
        covariance is singular or the maximum return unbounded), cvxpy otherwise.

    Attributes
    ----------
    assets_ : Index
    method_ : Method
        The engine in use after :meth:`fit` (CLA or CVXPY).
    constraints_ : ResolvedConstraints
    """

    def __init__(
        self,
        mu: pd.Series,
        cov: pd.DataFrame | np.ndarray,
        constraints: Constraints | None = None,
        *,
        risk_free_rate: float = 0.0,
        method: Method | str = Method.AUTO,
    ) -> None:
        self.mu = mu
        self.cov = cov
        self.constraints = constraints
        self.risk_free_rate = risk_free_rate
        self.method = method

    # ------------------------------------------------------------------ fit
    def fit(self) -> MeanVarianceProblem:
        """Validate the inputs, resolve the constraints, check them, choose the engine."""
        try:
            method = Method(self.method)
        except ValueError:
            raise ConfigError(
                f"method must be one of {[m.value for m in Method]}, got {self.method!r}"
            ) from None
        mu = as_mu(self.mu)
        rf = float(self.risk_free_rate)
        if not math.isfinite(rf):
            raise ValidationError(f"risk_free_rate must be finite, got {self.risk_free_rate!r}")
        r = resolve(self.constraints, mu.index)
        cov = as_cov(self.cov, mu.index, allow_zero_variance=True)[0]
        cov.flags.writeable = False
        reasons = quick_reasons(r)
        if reasons:
            raise InfeasibleError("infeasible constraints: " + "; ".join(reasons))
        if method is Method.CLA and not r.linear_only:
            raise ConfigError(
                "method=CLA handles bounds, the budget and group caps only; turnover limits, "
                "transaction costs and binding gross leverage need method=CVXPY (or AUTO)"
            )
        self.assets_ = mu.index
        self.mu_ = mu.to_numpy()
        self.cov_ = cov
        self.rf_ = rf
        self.constraints_ = r
        sigma = cov + r.l2_gamma * np.eye(len(mu)) if r.l2_gamma > 0 else cov
        self.sigma_ = sigma
        self.method_ = Method.CLA if method is not Method.CVXPY and r.linear_only else Method.CVXPY
        self._forced = method
        self._path: _path.Path | None = None
        self._cvx = None
        return self

    def _ensure_fit(self) -> None:
        if not hasattr(self, "method_"):
            self.fit()

    # ------------------------------------------------------------------ engines
    def _trace(self, mu: np.ndarray, stop=None) -> _path.Path:
        r = self.constraints_
        try:
            segs = _cla.trace(self.sigma_, mu, r.lb, r.ub, r.G, r.gmin, r.gmax, r.budget, stop=stop)
        except InfeasibleError:
            raise InfeasibleError("infeasible constraints: " + "; ".join(lp_reasons(r))) from None
        complete = segs[-1].lam_lo == 0.0
        return _path.Path.from_segments(segs, complete)

    def path(self) -> _path.Path:
        """The complete efficient path for the current ``mu`` (CLA engine only; cached)."""
        self._ensure_fit()
        if self.method_ is not Method.CLA:
            raise ConfigError(
                "the efficient path needs the CLA engine (bounds, budget and group caps only)"
            )
        try:
            return self._full_path()
        except _cla.PathError as exc:
            raise PortlabError(f"the critical line algorithm failed: {exc}") from exc

    def _full_path(self) -> _path.Path:
        """The cached complete path (raises PathError on numerical breakdown)."""
        if self._path is None:
            self._path = self._trace(self.mu_)
        return self._path

    def _model(self):
        if self._cvx is None:
            self._cvx = CvxModel(self.sigma_, self.constraints_)
        return self._cvx

    def _fallback(self, exc: Exception) -> None:
        if self._forced is Method.CLA:
            raise PortlabError(f"the critical line algorithm failed: {exc}") from exc
        self.method_ = Method.CVXPY

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        objective: Objective | str = Objective.MAX_SHARPE,
        *,
        target: float | None = None,
        risk_aversion: float = 1.0,
        mu: pd.Series | None = None,
        risk_free_rate: float | None = None,
    ) -> MeanVarianceResult:
        """Solve one objective. ``mu`` and ``risk_free_rate``, when given, replace the problem's
        (and stay for later solves); the compiled programs / the traced path are reused.

        Parameters
        ----------
        objective : Objective
        target : float
            TARGET_RETURN: the expected return (annual, net of costs) to reach at least;
            TARGET_RISK: the annual volatility not to exceed.
        risk_aversion : float
            MAX_UTILITY's ``δ >= 0`` in ``μᵀw − δ/2 wᵀΣw`` (0: the maximum-return portfolio).
        mu : Series, optional
            New expected returns for the same assets (re-traces the path / updates the cvxpy
            parameter).
        risk_free_rate : float, optional
            New risk-free rate.

        Raises
        ------
        InfeasibleError
            With the reason: conflicting constraints, a target return above the highest
            attainable one, a target volatility below the lowest attainable one, or (MAX_SHARPE)
            no portfolio with a positive excess return.
        """
        return self._solve(objective, target, risk_aversion, mu, risk_free_rate, full_path=True)

    def frontier(self, n_points: int = 50) -> pd.DataFrame:
        """The efficient frontier of this problem: see :func:`efficient_frontier`.

        With the CLA engine the exact path is traced once (and cached) and the weights of each
        target return are interpolated on it; otherwise one cvxpy program, compiled once with
        the target return as a Parameter, is re-solved per point.
        """
        n_points = check_int("n_points", n_points, 2)
        self._ensure_fit()
        clash = [c for c in FRONTIER_COLUMNS if c in self.assets_]
        if clash:
            raise ValidationError(f"asset labels clash with the frontier's metric columns: {clash}")
        r = self.constraints_
        W = None
        if self.method_ is Method.CLA:
            try:
                path = self._full_path()
                targets = np.linspace(path.end_return, path.max_return, n_points)
                W = path.at_return(targets)[0]
            except (_cla.PathError, np.linalg.LinAlgError) as exc:  # numerical breakdown
                self._fallback(exc)
        if self.method_ is Method.CVXPY:
            targets, W = self._cvx_frontier(n_points)
        W = np.vstack([clean_weights(w, r) for w in W])
        trade = np.abs(W - r.w0)
        cost = trade @ r.costs
        ret = W @ self.mu_ - cost
        vol = volatility(W, self.cov_)
        with np.errstate(divide="ignore", invalid="ignore"):
            sharpe = np.where(vol > 0, (ret - self.rf_ * r.budget) / vol, np.nan)
        metrics = pd.DataFrame(
            dict(zip(FRONTIER_COLUMNS, (targets, ret, vol, sharpe), strict=True))
        )
        weights = pd.DataFrame(W, columns=self.assets_)
        out = pd.concat([metrics, weights], axis=1)
        out.index.name = "point"
        out.attrs["method"] = self.method_.value
        return out

    def _cvx_frontier(self, n_points: int) -> tuple[np.ndarray, np.ndarray]:
        """Target returns and weights of the frontier from the compiled cvxpy programs."""
        model = self._model()
        r = self.constraints_
        mu = self.mu_

        def net(w: np.ndarray) -> float:
            return float(mu @ w - r.costs @ np.abs(w - r.w0))

        w_lo, st_lo = model.solve(MIN_VARIANCE, mu)
        w_hi, st_hi = model.solve(MAX_RETURN, mu)
        if st_hi in ("unbounded", "unbounded_inaccurate"):
            raise ConfigError(
                "the efficient frontier is unbounded: the expected return can grow without "
                "limit; with long/short weights add bounds or max_gross_leverage"
            )
        if w_lo is None or w_hi is None:
            self._solve_cvx(Objective.MIN_VOLATILITY, None, 1.0)  # raises with the explanation
            raise PortlabError(f"the frontier's end points failed: {st_lo}, {st_hi}")
        lo, hi = net(w_lo), net(w_hi)
        targets = np.linspace(lo, hi, n_points)
        W = [w_lo]
        eps = FRONTIER_END_GAP * max(1.0, abs(hi))
        for k, t in enumerate(targets[1:], start=1):
            w, status = model.solve("target_return", mu, target=min(t, hi - eps))
            if w is None:
                raise PortlabError(f"frontier point {k} (target return {t:.6g}) failed: {status}")
            W.append(w)
        return targets, np.vstack(W)

    def _solve(self, objective, target, risk_aversion, mu, risk_free_rate, *, full_path: bool):
        self._ensure_fit()
        try:
            objective = Objective(objective)
        except ValueError:
            raise ValidationError(
                f"objective must be one of {[o.value for o in Objective]}, got {objective!r}"
            ) from None
        if mu is not None:
            new = as_mu(mu)
            if not new.index.sort_values().equals(self.assets_.sort_values()):
                raise ValidationError("the new mu must have the same assets as the problem")
            self.mu_ = new.reindex(self.assets_).to_numpy()
            self._path = None
        if risk_free_rate is not None:
            self.rf_ = float(risk_free_rate)
        if objective in (Objective.TARGET_RETURN, Objective.TARGET_RISK):
            if target is None or not math.isfinite(float(target)):
                raise ValidationError(f"{objective.value} needs a finite target, got {target!r}")
            target = float(target)
            if objective is Objective.TARGET_RISK and target < 0:
                raise ValidationError(f"target volatility must be >= 0, got {target}")
        delta = float(risk_aversion)
        if not (delta >= 0 and math.isfinite(delta)):
            raise ValidationError(
                f"risk_aversion must be a finite number >= 0, got {risk_aversion!r}"
            )
        if self.method_ is Method.CLA:
            try:
                w, status = self._solve_cla(objective, target, delta, full_path), "optimal"
            except (_cla.PathError, np.linalg.LinAlgError) as exc:
                self._fallback(exc)
        if self.method_ is Method.CVXPY:
            w, status = self._solve_cvx(objective, target, delta)
        return self._result(clean_weights(w, self.constraints_), status, objective)

    def _solve_cla(self, objective: Objective, target, delta: float, full: bool) -> np.ndarray:
        r, rf, mu = self.constraints_, self.rf_, self.mu_
        path = self._path
        if path is None and objective is Objective.MIN_VOLATILITY and not full:
            # the end of the path (λ = 0) does not depend on μ: start from μ' = −Σ1, whose
            # maximum-"return" vertex holds the assets least correlated with the rest, already
            # near the minimum-variance portfolio (a path 3-4 times shorter than from μ)
            short = self._trace(-self.sigma_.sum(axis=1))
            return short.W0[-1] + short.lam_lo[-1] * short.W1[-1]
        if path is None:
            stop = None
            if not full:
                if objective is Objective.MAX_SHARPE:
                    stop = _path.sharpe_stop(rf * r.budget)
                elif objective is Objective.TARGET_RETURN:
                    stop = lambda s: s.ret(s.lam_lo) <= target  # noqa: E731
                elif objective is Objective.TARGET_RISK:
                    stop = lambda s: s.var(s.lam_lo) <= target * target  # noqa: E731
                elif objective is Objective.MAX_UTILITY:
                    lam = math.inf if delta == 0 else 1.0 / delta
                    stop = lambda s: s.lam_lo <= lam  # noqa: E731
            path = self._trace(mu, stop)
            if full or path.complete:
                self._path = path
        if objective is Objective.MIN_VOLATILITY:
            w = path.W0[-1] + path.lam_lo[-1] * path.W1[-1]
        elif objective is Objective.MAX_SHARPE:
            check_excess_return(path.max_return, rf, r.budget)
            w = path.max_sharpe(rf * r.budget)[0][0]
        elif objective is Objective.TARGET_RETURN:
            if target > path.max_return + TARGET_RETURN_SLACK * max(1.0, abs(path.max_return)):
                raise InfeasibleError(
                    f"target return {target:.4g} is above the highest expected return attainable "
                    f"under the constraints, {path.max_return:.4g}"
                )
            w = path.at_return(target)[0][0]
        elif objective is Objective.TARGET_RISK:
            if path.complete and target * target < path.end_variance * (1 - TARGET_VARIANCE_SLACK):
                raise InfeasibleError(
                    f"target volatility {target:.4g} is below the lowest volatility attainable "
                    f"under the constraints, {math.sqrt(path.end_variance):.4g}"
                )
            w = path.at_variance(target * target)[0][0]
        else:
            lam = math.inf if delta == 0 else 1.0 / delta
            w = path.at_lambda(lam)[0][0]
        return w

    def _solve_cvx(self, objective: Objective, target, delta: float) -> tuple[np.ndarray, str]:
        model = self._model()
        w, status = model.solve(
            objective.value, self.mu_, rf=self.rf_, target=target, risk_aversion=delta
        )
        if w is not None:
            return w, status
        r = self.constraints_
        if status in ("unbounded", "unbounded_inaccurate"):
            raise ConfigError(
                f"{objective.value} is unbounded: with long/short weights add bounds or "
                "max_gross_leverage"
            )
        # infeasible or failed: say why
        reasons = lp_reasons(r)
        if reasons:
            raise InfeasibleError("infeasible constraints: " + "; ".join(reasons))
        if objective in (Objective.MAX_SHARPE, Objective.TARGET_RETURN):
            wmax, st = model.solve(MAX_RETURN, self.mu_)
            if wmax is not None:
                best = float(self.mu_ @ wmax - r.costs @ np.abs(wmax - r.w0))
                if objective is Objective.MAX_SHARPE:
                    check_excess_return(best, self.rf_, r.budget)
                elif target > best:
                    raise InfeasibleError(
                        f"target return {target:.4g} is above the highest expected return "
                        f"attainable under the constraints (net of costs), {best:.4g}"
                    )
        if objective is Objective.TARGET_RISK:
            wmin, st = model.solve(Objective.MIN_VOLATILITY.value, self.mu_)
            if wmin is not None:
                vmin = math.sqrt(max(float(wmin @ self.sigma_ @ wmin), 0.0))
                if target < vmin:
                    raise InfeasibleError(
                        f"target volatility {target:.4g} is below the lowest volatility "
                        f"attainable under the constraints, {vmin:.4g}"
                    )
        raise InfeasibleError(
            f"the solver found no solution for {objective.value} (status {status})"
        )

    def figures(self, weights: pd.Series) -> pd.Series:
        """The figures of given weights, as :class:`MeanVarianceResult` defines them.

        For portfolios chosen otherwise (the current one, risk parity, HRP) placed next to
        this problem's optimal ones: the same definitions, the same ``μ``, ``Σ``, costs and
        current weights.

        Parameters
        ----------
        weights : Series
            Weights by asset (fractions of NAV); assets of ``mu`` not listed hold 0.

        Returns
        -------
        Series
            :data:`FIGURE_NAMES`: ``expected_return`` (``μᵀw − cost``), ``volatility``
            (annual), ``sharpe`` (``(expected_return − rf · Σw) / volatility``, NaN at zero
            volatility), ``turnover``, ``cost``.

        Raises
        ------
        DataError
            Weights on assets the problem does not have, or not finite.
        """
        self._ensure_fit()
        unknown = weights.index.difference(self.assets_)
        if len(unknown):
            raise DataError(f"weights on assets the problem does not have: {list(unknown[:5])}")
        w = weights.reindex(self.assets_, fill_value=0.0).to_numpy(dtype=float)
        if not np.isfinite(w).all():
            raise DataError("weights are NaN or infinite")
        ret, vol, sharpe, turnover, cost = self._figures(w)
        return pd.Series(
            dict(zip(FIGURE_NAMES, (ret, vol, sharpe, turnover, cost), strict=True)),
            name="figures",
        )

    def _figures(self, w: np.ndarray) -> tuple[float, float, float, float, float]:
        """(expected return net of cost, volatility, Sharpe, turnover, cost) of ``w``."""
        r = self.constraints_
        trade = np.abs(w - r.w0)
        cost = float(r.costs @ trade)
        ret = float(self.mu_ @ w) - cost
        vol = float(volatility(w, self.cov_))
        # the invested part earns μ, the rest the risk-free rate: rf · Σw (the budget for the
        # problem's own solutions; less for a given book that holds cash)
        excess = ret - self.rf_ * float(w.sum())
        sharpe = excess / vol if vol > 0 else math.nan
        return ret, vol, sharpe, float(trade.sum()), cost

    def _result(self, w: np.ndarray, status: str, objective: Objective) -> MeanVarianceResult:
        ret, vol, sharpe, turnover, cost = self._figures(w)
        excess = ret - self.rf_ * float(w.sum())
        if vol == 0.0 and objective is Objective.MAX_SHARPE and excess > 0:
            raise SingularMatrixError(
                "cov is singular and a portfolio of zero volatility with a positive excess "
                f"return ({excess:.4g}) meets the constraints, so the Sharpe ratio is "
                "unbounded; " + SINGULAR_HINT
            )
        return MeanVarianceResult(
            weights=pd.Series(w, index=self.assets_, name="weight"),
            expected_return=ret,
            volatility=vol,
            sharpe=sharpe,
            turnover=turnover,
            cost=cost,
            status=status,
            objective=objective,
            method=self.method_,
            risk_free_rate=self.rf_,
        )


def mean_variance(
    mu: pd.Series,
    cov: pd.DataFrame | np.ndarray,
    objective: Objective | str = Objective.MAX_SHARPE,
    *,
    constraints: Constraints | None = None,
    risk_free_rate: float = 0.0,
    target: float | None = None,
    risk_aversion: float = 1.0,
    method: Method | str = Method.AUTO,
) -> MeanVarianceResult:
    """One mean-variance optimization.

    Parameters
    ----------
    mu : Series (n,)
        Expected annual returns (fractions) by asset; no NaN.
    cov : DataFrame (n, n) or ndarray
        Annual covariance (aligned to ``mu`` by label when a DataFrame); no NaN, symmetric.
    objective : Objective
        MAX_SHARPE (default), MIN_VOLATILITY, TARGET_RETURN, TARGET_RISK, MAX_UTILITY.
    constraints : Constraints, optional
        Bounds, group caps, long/short and leverage, budget, turnover, costs, L2. Default:
        long-only, fully invested.
    risk_free_rate : float
        Annual.
    target : float
        Expected return (TARGET_RETURN) or volatility (TARGET_RISK), annual.
    risk_aversion : float
        ``δ`` of MAX_UTILITY.
    method : Method
        AUTO (default): the critical line algorithm when only bounds, the budget and group caps
        constrain, cvxpy (Clarabel) otherwise.

    Returns
    -------
    MeanVarianceResult

    Raises
    ------
    InfeasibleError
        Conflicting constraints, unreachable targets, or no positive excess return for
        MAX_SHARPE, each explained in the message.
    DataError, ValidationError, ConfigError
        Bad inputs, named.

    Examples
    --------
    Two uncorrelated assets, long-only: the minimum-volatility weights are inversely
    proportional to the variances.

    >>> import pandas as pd
    >>> mu = pd.Series({"A": 0.08, "B": 0.05})
    >>> cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=mu.index, columns=mu.index)
    >>> res = mean_variance(mu, cov, Objective.MIN_VOLATILITY)
    >>> res.weights.round(6).to_dict(), round(res.volatility, 6)
    ({'A': 0.2, 'B': 0.8}, 0.089443)

    Under a 70% cap per asset and a 60% cap on group "y" (asset B):

    >>> caps = Constraints(bounds=(0, 0.7), groups=[(pd.Series({"A": "x", "B": "y"}), {"y": 0.6})])
    >>> mean_variance(mu, cov, Objective.MIN_VOLATILITY, constraints=caps).weights.round(6).to_dict()
    {'A': 0.4, 'B': 0.6}
    """
    problem = MeanVarianceProblem(
        mu, cov, constraints, risk_free_rate=risk_free_rate, method=method
    )
    return problem._solve(objective, target, risk_aversion, None, None, full_path=False)


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

    With only bounds, the budget and group caps (any number of groupings), the frontier comes
    from the critical line algorithm: the exact turning points are traced once and the weights
    of each target return are interpolated between them (they are linear in the target on each
    segment), so 50 points cost one path. Otherwise one cvxpy program, compiled once with the
    target return as a Parameter, is re-solved per point.

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

    Examples
    --------
    >>> import pandas as pd
    >>> mu = pd.Series({"A": 0.08, "B": 0.05})
    >>> cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=mu.index, columns=mu.index)
    >>> frontier = efficient_frontier(mu, cov, n_points=3)
    >>> frontier[["target_return", "A", "B"]].round(4).to_numpy().tolist()
    [[0.056, 0.2, 0.8], [0.068, 0.6, 0.4], [0.08, 1.0, 0.0]]
    """
    problem = MeanVarianceProblem(
        mu, cov, constraints, risk_free_rate=risk_free_rate, method=method
    )
    return problem.frontier(n_points)

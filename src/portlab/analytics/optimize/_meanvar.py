"""Mean-variance optimization: max Sharpe, min volatility, target return, target risk, utility.

Two engines give the same answers:

* the **critical line algorithm** (:mod:`._cla`), exact and fast, whenever only per-asset
  bounds, the budget and group caps constrain (any number of groupings); it traces the whole
  efficient path once, and every objective is then a closed-form lookup on it;
* **cvxpy** programs compiled once with Parameters (:mod:`._cvx`, Clarabel) for turnover
  limits, transaction costs, binding gross leverage, or a covariance that is only positive
  semidefinite.

Units: ``mu`` and ``cov`` are annual (``mu`` a fraction per year, ``cov`` in annual variance);
weights are fractions of NAV; volatilities are annual.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portlab.analytics.optimize import _cla, _path
from portlab.analytics.optimize._constraints import (
    Constraints,
    ResolvedConstraints,
    lp_reasons,
    quick_reasons,
    resolve,
)
from portlab.exceptions import (
    ConfigError,
    DataError,
    InfeasibleError,
    PortlabError,
    SingularMatrixError,
    ValidationError,
)
from portlab.linalg import SINGULAR_RTOL, check_covariance

__all__ = [
    "Method",
    "MeanVarianceProblem",
    "Objective",
    "OptimizationResult",
    "mean_variance",
]


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
class OptimizationResult:
    """An optimal portfolio and its figures (annual units, fractions).

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


# --------------------------------------------------------------------------- input checks


def _as_mu(mu: Any) -> pd.Series:
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


_SINGULAR_HINT = (
    "use a shrinkage estimate (Market.covariance(method='ledoit_wolf')), more observations "
    "than assets, or an L2 penalty (Constraints(l2_gamma=...))"
)


def _as_cov(cov: Any, assets: pd.Index) -> np.ndarray:
    c = check_covariance(cov, assets, name="cov")[0]
    if not (np.diag(c) > 0).any():
        raise SingularMatrixError(
            "cov is zero: every portfolio has zero volatility, so no objective is defined; "
            + _SINGULAR_HINT
        )
    c.flags.writeable = False
    return c


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


def _clean(w: np.ndarray, r: ResolvedConstraints) -> np.ndarray:
    """Snap weights within 1e-9 of a bound onto it (no negative dust under long-only bounds),
    then move the residual ``budget − Σw`` into the largest weight strictly inside its bounds,
    so that the weights sum to the budget up to floating-point rounding (|Σw − budget| of a
    few 1e-16)."""
    tol = 1e-9 * max(1.0, abs(r.budget))
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


def _excess_check(path_max: float, rf: float, budget: float) -> None:
    if path_max <= rf * budget:
        raise InfeasibleError(
            f"max Sharpe is undefined: the highest expected return attainable under the "
            f"constraints, {path_max:.4g}, is at or below the risk-free return {rf * budget:.4g} "
            "(risk_free_rate × budget), so no portfolio has a positive excess return; use "
            "MIN_VOLATILITY or lower risk_free_rate"
        )


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
        mu = _as_mu(self.mu)
        rf = float(self.risk_free_rate)
        if not math.isfinite(rf):
            raise ValidationError(f"risk_free_rate must be finite, got {self.risk_free_rate!r}")
        r = resolve(self.constraints, mu.index)
        cov = _as_cov(self.cov, mu.index)
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
            from portlab.analytics.optimize._cvx import CvxModel

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
    ) -> OptimizationResult:
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
        """The efficient frontier of this problem: see :func:`efficient_frontier`."""
        from portlab.analytics.optimize._frontier import frontier_of

        return frontier_of(self, n_points)

    def _solve(self, objective, target, risk_aversion, mu, risk_free_rate, *, full_path: bool):
        self._ensure_fit()
        try:
            objective = Objective(objective)
        except ValueError:
            raise ValidationError(
                f"objective must be one of {[o.value for o in Objective]}, got {objective!r}"
            ) from None
        if mu is not None:
            new = _as_mu(mu)
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
        return self._result(_clean(w, self.constraints_), status, objective)

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
            _excess_check(path.max_return, rf, r.budget)
            w = path.max_sharpe(rf * r.budget)[0][0]
        elif objective is Objective.TARGET_RETURN:
            if target > path.max_return + 1e-12 * max(1.0, abs(path.max_return)):
                raise InfeasibleError(
                    f"target return {target:.4g} is above the highest expected return attainable "
                    f"under the constraints, {path.max_return:.4g}"
                )
            w = path.at_return(target)[0][0]
        elif objective is Objective.TARGET_RISK:
            if path.complete and target * target < path.end_variance * (1 - 1e-12):
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
        from portlab.analytics.optimize._cvx import MAX_RETURN

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
                    _excess_check(best, self.rf_, r.budget)
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

    def _result(self, w: np.ndarray, status: str, objective: Objective) -> OptimizationResult:
        r = self.constraints_
        trade = np.abs(w - r.w0)
        cost = float(r.costs @ trade)
        ret = float(self.mu_ @ w) - cost
        vol = float(volatility(w, self.cov_))
        excess = ret - self.rf_ * r.budget
        if vol == 0.0 and objective is Objective.MAX_SHARPE and excess > 0:
            raise SingularMatrixError(
                "cov is singular and a portfolio of zero volatility with a positive excess "
                f"return ({excess:.4g}) meets the constraints, so the Sharpe ratio is "
                "unbounded; " + _SINGULAR_HINT
            )
        sharpe = excess / vol if vol > 0 else math.nan
        return OptimizationResult(
            weights=pd.Series(w, index=self.assets_, name="weight"),
            expected_return=ret,
            volatility=vol,
            sharpe=sharpe,
            turnover=float(trade.sum()),
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
) -> OptimizationResult:
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
    OptimizationResult

    Raises
    ------
    InfeasibleError
        Conflicting constraints, unreachable targets, or no positive excess return for
        MAX_SHARPE, each explained in the message.
    DataError, ValidationError, ConfigError
        Bad inputs, named.

    Examples
    --------
    >>> res = mean_variance(mu, cov, Objective.MIN_VOLATILITY,
    ...                     constraints=Constraints(bounds=(0, 0.10),
    ...                                             groups=[(market.sectors, {"Energy": 0.2})]))
    >>> res.weights, res.volatility
    """
    problem = MeanVarianceProblem(
        mu, cov, constraints, risk_free_rate=risk_free_rate, method=method
    )
    return problem._solve(objective, target, risk_aversion, None, None, full_path=False)

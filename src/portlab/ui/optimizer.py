"""The optimizer explorer's view-model: an objective under caps, turnover and costs, the
efficient frontier, and where the current portfolio and the chosen one sit.

Inputs (documented, built by portlab calls only):

* **expected returns**: ``market.expected_returns(return_method, window=lookback, ...)``
  (:meth:`portlab.Market.expected_returns`) over the last ``lookback`` trading days; the
  default, ``"compounded"``, is each instrument's geometric annual return (the same numbers as
  :func:`portlab.analytics.performance.annualized_return`). ``"ewma"`` takes ``span``;
  ``"capm"`` the ``risk_free_rate``; ``"market_implied"`` and ``"black_litterman"`` (views
  from the signals) an equal-weight market portfolio, the covariance below, ``risk_aversion``
  (None: implied by the market's benchmark) and the ``risk_free_rate``. Under the objective
  BLACK_LITTERMAN they are instead the posterior of an equal-weight market-implied prior
  (:func:`~portlab.analytics.optimize.market_implied_prior`) updated by one view per
  signalled instrument (:func:`~portlab.analytics.optimize.views_from_signals`, Idzorek
  confidences), with its posterior covariance;
* **covariance**: ``market.covariance(risk_model, window=lookback)``
  (:meth:`portlab.Market.covariance`, annualised; the default ``"ledoit_wolf"`` -- a market
  built with a given covariance returns it at the default window of 504 days; ``"ewma"``
  takes ``halflife``);
* **current portfolio**: the state's weights at the market's last prices; turnover and costs
  are measured from it.

With ``compare_estimators`` the outcome also holds the chosen objective's portfolio under
every expected-return method and every risk model, side by side
(:class:`~portlab.ui.estimators.EstimatorEffect`).

The frontier, max Sharpe, min volatility and the targets come from one
:class:`~portlab.analytics.optimize.MeanVarianceProblem`, kept between changes that do not
alter it (a change of objective or target is then a lookup on the traced path).

Examples
--------
>>> from portlab.ui import OptimizerModel
>>> model = OptimizerModel()                                  # max Sharpe, 10% cap, 30% sectors
>>> bool(model.result.weights.max() <= 0.10 + 1e-12), len(model.result.frontier)
(True, 30)
>>> model.set(objective="MIN_VOLATILITY", max_weight=0.08)
>>> bool(model.result.figures["volatility"] <= model.result.frontier["volatility"].min() + 1e-9)
True
>>> model.max_weight = 0.02                                   # 20 assets x 2% < 100%
>>> model.error
'infeasible constraints: max weight 0.02 × 20 assets = 0.40 < budget 1.00'
>>> model.set(max_weight=0.10, objective="MAX_SHARPE", return_method="capm")
>>> model.result.mu.name, model.result.cov.attrs["method"]
('capm', 'ledoit_wolf')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import param

from portlab.analytics.estimators import ReturnMethod
from portlab.analytics.optimize import (
    FIGURE_NAMES,
    Constraints,
    MeanVarianceProblem,
    Objective,
    black_litterman,
    constrained_risk_budgeting,
    hrp,
    market_implied_prior,
    views_from_signals,
)
from portlab.exceptions import PortlabError, ValidationError
from portlab.market import CovMethod
from portlab.ui.base import ViewModel, one_line
from portlab.ui.codegen import literal, script
from portlab.ui.estimators import ESTIMATOR_COLUMNS, EstimatorEffect, EstimatorKind

__all__ = ["MEAN_VARIANCE", "OptimizerModel", "OptimizerObjective", "OptimizerOutcome"]


class OptimizerObjective(enum.StrEnum):
    """What the optimizer explorer chooses."""

    MAX_SHARPE = "MAX_SHARPE"  #: highest Sharpe ratio
    MIN_VOLATILITY = "MIN_VOLATILITY"  #: lowest volatility
    TARGET_RETURN = "TARGET_RETURN"  #: lowest volatility with at least ``target_return``
    TARGET_RISK = "TARGET_RISK"  #: highest return with at most ``target_risk`` volatility
    RISK_PARITY = "RISK_PARITY"  #: equal risk contributions under the constraints
    HRP = "HRP"  #: hierarchical risk parity (ignores caps, turnover and costs)
    BLACK_LITTERMAN = "BLACK_LITTERMAN"  #: max Sharpe on the posterior of the signals' views
    FRONTIER_POINT = "FRONTIER_POINT"  #: the frontier's point ``frontier_point``


#: the objectives solved by the mean-variance problem, and their analytics Objective
MEAN_VARIANCE = {
    OptimizerObjective.MAX_SHARPE: Objective.MAX_SHARPE,
    OptimizerObjective.MIN_VOLATILITY: Objective.MIN_VOLATILITY,
    OptimizerObjective.TARGET_RETURN: Objective.TARGET_RETURN,
    OptimizerObjective.TARGET_RISK: Objective.TARGET_RISK,
    OptimizerObjective.BLACK_LITTERMAN: Objective.MAX_SHARPE,
}


@dataclass(frozen=True)
class OptimizerOutcome:
    """The chosen portfolio, the frontier and the current portfolio.

    Attributes
    ----------
    objective : OptimizerObjective
    weights : Series
        Chosen weights by instrument (fractions of NAV).
    figures : Series
        Of the chosen weights (:data:`~portlab.analytics.optimize.FIGURE_NAMES`): expected return
        (net of costs), volatility (annual fractions), Sharpe ratio, turnover from the
        current portfolio, cost.
    frontier : DataFrame
        :func:`~portlab.analytics.optimize.efficient_frontier`'s table under the same
        constraints: ``target_return``, ``expected_return``, ``volatility``, ``sharpe``, then
        one weight column per instrument; index ``point`` (0 = minimum volatility).
    current_weights : Series
        The current portfolio (what is not invested is cash).
    current : Series
        Its figures, as ``figures``.
    mu : Series
        Expected annual returns used.
    cov : DataFrame
        Annual covariance used.
    constraints : Constraints
    notes : tuple of str
        What the objective ignores (HRP: the constraints).
    estimators : EstimatorEffect or None
        With ``compare_estimators``: the objective's portfolio under every expected-return
        method and every risk model (:class:`~portlab.ui.estimators.EstimatorEffect`); None
        otherwise.
    """

    objective: OptimizerObjective
    weights: pd.Series
    figures: pd.Series
    frontier: pd.DataFrame
    current_weights: pd.Series
    current: pd.Series
    mu: pd.Series
    cov: pd.DataFrame
    constraints: Constraints
    notes: tuple[str, ...]
    estimators: EstimatorEffect | None = None

    @property
    def chosen_point(self) -> dict[str, Any]:
        """The chosen portfolio as a point to mark: its figures and ``weights``."""
        return {**self.figures.to_dict(), "weights": self.weights}

    @property
    def current_point(self) -> dict[str, Any]:
        """The current portfolio as a point to mark: its figures and ``weights``."""
        return {**self.current.to_dict(), "weights": self.current_weights}


@dataclass(frozen=True)
class _Problem:
    """What does not depend on the objective: inputs, constraints, the prepared problem."""

    returns: pd.DataFrame
    mu: pd.Series
    cov: pd.DataFrame
    current: pd.Series
    constraints: Constraints
    problem: MeanVarianceProblem
    frontiers: dict[int, pd.DataFrame]


#: problems kept between changes: the chosen estimators' and, with ``compare_estimators``,
#: one per other expected-return method and risk model
_CACHED_PROBLEMS = 2 + len(ReturnMethod) + len(CovMethod)
#: the longest line :meth:`OptimizerModel.to_code` writes on one line
_LINE = 99


class OptimizerModel(ViewModel):
    """Optimizer explorer: objective, estimators, per-asset cap, sector caps, turnover limit
    and costs.

    Result (:class:`OptimizerOutcome`): the chosen weights and their figures, the efficient
    frontier under the same constraints, the current portfolio's weights and figures and,
    with ``compare_estimators``, the objective's portfolio under each estimator.
    """

    objective = param.Selector(
        default=OptimizerObjective.MAX_SHARPE,
        objects=list(OptimizerObjective),
        doc="What to choose.",
    )
    target_return = param.Number(
        0.10, softbounds=(0.0, 0.5), step=0.005, doc="TARGET_RETURN: annual return to reach."
    )
    target_risk = param.Number(
        0.15,
        bounds=(0.0, None),
        softbounds=(0.0, 0.5),
        step=0.005,
        doc="TARGET_RISK: annual volatility not to exceed.",
    )
    max_weight = param.Number(
        0.10,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        softbounds=(0.0, 0.5),
        step=0.005,
        doc="Largest weight of one instrument.",
    )
    sector_cap = param.Number(
        0.30,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        allow_None=True,
        step=0.01,
        doc="Largest weight of one sector (None: no sector caps).",
    )
    max_turnover = param.Number(
        None,
        bounds=(0.0, 2.0),
        allow_None=True,
        step=0.05,
        doc="Largest turnover from the current portfolio, Σ|w - current| (None: no limit).",
    )
    transaction_costs = param.Number(
        0.0,
        bounds=(0.0, 0.05),
        softbounds=(0.0, 0.005),
        step=0.0005,
        doc="Proportional cost per unit of weight traded (0.001 = 10 bp).",
    )
    risk_free_rate = param.Number(
        0.0, softbounds=(0.0, 0.06), step=0.0025, doc="Annual risk-free rate."
    )
    lookback = param.Integer(
        504, bounds=(60, None), softbounds=(126, 2520), doc="Trading days of history used."
    )
    return_method = param.Selector(
        default=ReturnMethod.COMPOUNDED,
        objects=list(ReturnMethod),
        doc="Expected-return estimator (Market.expected_returns); not used by the objective "
        "BLACK_LITTERMAN, whose returns are the signals' posterior.",
    )
    risk_model = param.Selector(
        default=CovMethod.LEDOIT_WOLF,
        objects=list(CovMethod),
        doc="Covariance estimator (Market.covariance).",
    )
    span = param.Integer(
        500,
        bounds=(1, None),
        softbounds=(21, 1008),
        step=21,
        doc="Expected returns 'ewma': span of the exponential weights, in trading days.",
    )
    halflife = param.Integer(
        63,
        bounds=(1, None),
        softbounds=(5, 252),
        step=1,
        doc="Risk model 'ewma': half-life of the exponential weights, in trading days.",
    )
    risk_aversion = param.Number(
        None,
        bounds=(0.0, None),
        inclusive_bounds=(False, True),
        allow_None=True,
        softbounds=(0.5, 10.0),
        doc="Expected returns 'market_implied' and 'black_litterman': the market's risk "
        "aversion δ (None: implied by the market's benchmark).",
    )
    compare_estimators = param.Boolean(
        False,
        doc="Also solve the objective under every expected-return method and every risk model "
        "(OptimizerOutcome.estimators; up to 13 more problems per change).",
    )
    n_points = param.Integer(30, bounds=(2, 200), doc="Points of the efficient frontier.")
    frontier_point = param.Integer(
        None, bounds=(0, None), allow_None=True, doc="FRONTIER_POINT: the point chosen."
    )

    USES: ClassVar[tuple[str, ...]] = ("market", "state", "signals")
    SETTINGS: ClassVar[tuple[str, ...]] = (
        "objective",
        "target_return",
        "target_risk",
        "max_weight",
        "sector_cap",
        "max_turnover",
        "transaction_costs",
        "risk_free_rate",
        "lookback",
        "n_points",
        "frontier_point",
        "return_method",
        "risk_model",
        "span",
        "halflife",
        "risk_aversion",
        "compare_estimators",
    )

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        self._cache: dict[tuple, tuple[tuple, _Problem]] = {}
        return settings

    @property
    def _objective(self) -> OptimizerObjective:
        return OptimizerObjective(self.objective)

    # -- the problem (cached) ------------------------------------------------------------------

    @property
    def _estimators(self) -> tuple[ReturnMethod, CovMethod]:
        return ReturnMethod(self.return_method), CovMethod(self.risk_model)

    def _key(self, return_method: ReturnMethod, risk_model: CovMethod) -> tuple[tuple, tuple]:
        bl = self._objective is OptimizerObjective.BLACK_LITTERMAN
        views = bl or return_method is ReturnMethod.BLACK_LITTERMAN
        implied = (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN)
        refs = (self.market, self.state, self.signals if views else None)
        key = (
            *(id(r) for r in refs),
            bl,
            None if bl else return_method,
            risk_model,
            self.lookback,
            self.span if return_method is ReturnMethod.EWMA and not bl else None,
            self.halflife if risk_model is CovMethod.EWMA else None,
            self.risk_aversion if return_method in implied and not bl else None,
            self.max_weight,
            self.sector_cap,
            self.max_turnover,
            self.transaction_costs,
            self.risk_free_rate,
        )
        return key, refs

    def _problem(self, return_method: ReturnMethod, risk_model: CovMethod) -> _Problem:
        key, refs = self._key(return_method, risk_model)
        hit = self._cache.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], refs, strict=True)):
            return hit[1]
        built = self._build(return_method, risk_model)
        if len(self._cache) >= _CACHED_PROBLEMS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (refs, built)
        return built

    def _covariance_options(self, risk_model: CovMethod) -> dict[str, Any]:
        return {"halflife": self.halflife} if risk_model is CovMethod.EWMA else {}

    def _return_options(self, return_method: ReturnMethod) -> dict[str, Any]:
        """The keyword arguments of ``market.expected_returns`` besides the covariance, the
        market weights and the signals (which :meth:`_build` adds where the method takes
        them)."""
        if return_method is ReturnMethod.EWMA:
            return {"span": self.span}
        if return_method is ReturnMethod.CAPM:
            return {"risk_free_rate": self.risk_free_rate}
        if return_method in (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN):
            given = {"risk_aversion": self.risk_aversion, "risk_free_rate": self.risk_free_rate}
            return {k: v for k, v in given.items() if v is not None}
        return {}

    def _build(self, return_method: ReturnMethod, risk_model: CovMethod) -> _Problem:
        """Exactly the calls :meth:`to_code` writes, in the same order."""
        market = self.market
        returns = market.returns.iloc[-self.lookback :]
        cov = market.covariance(
            risk_model, window=self.lookback, **self._covariance_options(risk_model)
        )
        if self._objective is OptimizerObjective.BLACK_LITTERMAN:
            views, confidences = views_from_signals(self.signals)
            prior = market_implied_prior(cov, pd.Series(1.0, index=cov.index))
            mu, cov = black_litterman(cov, prior, views, omega="idzorek", confidences=confidences)
        else:
            given: dict[str, Any] = {}
            if return_method in (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN):
                given = {"cov": cov, "market_weights": pd.Series(1.0, index=cov.index)}
            if return_method is ReturnMethod.BLACK_LITTERMAN:
                given["signals"] = self.signals
            mu = market.expected_returns(
                return_method,
                window=self.lookback,
                **self._return_options(return_method),
                **given,
            )
        current = self.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
        constraints = Constraints(
            bounds=(0.0, self.max_weight),
            groups=self._groups(),
            current_weights=current,
            max_turnover=self.max_turnover,
            transaction_costs=self.transaction_costs,
        )
        problem = MeanVarianceProblem(mu, cov, constraints, risk_free_rate=self.risk_free_rate)
        return _Problem(returns, mu, cov, current, constraints, problem.fit(), {})

    def _groups(self) -> list[tuple]:
        if self.sector_cap is None:
            return []
        sectors = self.market.sectors
        return [(sectors, {sector: self.sector_cap for sector in sectors.unique()})]

    # -- computation ----------------------------------------------------------------------------

    def _frontier(self, p: _Problem) -> pd.DataFrame:
        frontier = p.frontiers.get(self.n_points)
        if frontier is None:
            frontier = p.frontiers[self.n_points] = p.problem.frontier(self.n_points)
        return frontier

    def _solve(self, p: _Problem) -> tuple[pd.Series, pd.Series, tuple[str, ...]]:
        """The objective's weights on the problem ``p``, their figures, and notes."""
        objective = self._objective
        notes: tuple[str, ...] = ()
        if objective in MEAN_VARIANCE:
            target = {
                OptimizerObjective.TARGET_RETURN: self.target_return,
                OptimizerObjective.TARGET_RISK: self.target_risk,
            }.get(objective)
            solved = p.problem.solve(MEAN_VARIANCE[objective], target=target)
            figures = pd.Series(
                {name: float(getattr(solved, name)) for name in FIGURE_NAMES}, name="figures"
            )
            return solved.weights, figures, notes
        if objective is OptimizerObjective.RISK_PARITY:
            weights = constrained_risk_budgeting(p.cov, constraints=p.constraints)
        elif objective is OptimizerObjective.HRP:
            weights = hrp(p.returns)
            notes = ("HRP ignores the weight and sector caps, the turnover limit and costs",)
        else:
            frontier = self._frontier(p)
            point = self.frontier_point
            if point is None or not 0 <= point < len(frontier):
                raise ValidationError(
                    f"frontier_point must be a point of the frontier, 0 to "
                    f"{len(frontier) - 1}; got {point}"
                )
            weights = frontier.loc[point, p.mu.index].rename("weight")
        return weights, self._figures(weights, p), notes

    def _compute(self) -> OptimizerOutcome:
        return_method, risk_model = self._estimators
        p = self._problem(return_method, risk_model)
        frontier = self._frontier(p)
        weights, figures, notes = self._solve(p)
        if self._objective is OptimizerObjective.BLACK_LITTERMAN:
            notes += ("Black-Litterman: the expected returns are the signals' posterior",)
        effect = self._compare(weights) if self.compare_estimators else None
        return OptimizerOutcome(
            objective=self._objective,
            weights=weights,
            figures=figures,
            frontier=frontier,
            current_weights=p.current,
            current=self._figures(p.current, p),
            mu=p.mu,
            cov=p.cov,
            constraints=p.constraints,
            notes=notes,
            estimators=effect,
        )

    def _compare(self, chosen: pd.Series) -> EstimatorEffect:
        """The objective solved under each other estimator (one varied at a time); a row
        that cannot be solved keeps NaN numbers and says why in its ``note``."""
        return_method, risk_model = self._estimators
        objective = self._objective
        kinds: list[tuple[EstimatorKind, list[Any]]] = []
        notes: list[str] = []
        if objective is OptimizerObjective.BLACK_LITTERMAN:
            notes.append(
                "Black-Litterman takes its expected returns from the signals' views: only the "
                "risk models are compared"
            )
        else:
            kinds.append((EstimatorKind.RETURN_METHOD, list(ReturnMethod)))
        kinds.append((EstimatorKind.RISK_MODEL, list(CovMethod)))
        if objective is OptimizerObjective.HRP:
            notes.append(
                "HRP's weights use neither estimator (it clusters the lookback's returns): the "
                "rows differ only in the figures each estimator gives them"
            )
        elif objective is OptimizerObjective.RISK_PARITY:
            notes.append(
                "risk parity's weights do not depend on the expected returns: those rows "
                "differ only in their figures"
            )
        index, rows, weights = [], [], []
        instruments = chosen.index
        for kind, methods in kinds:
            for method in methods:
                pair = (
                    (method, risk_model)
                    if kind is EstimatorKind.RETURN_METHOD
                    else (return_method, method)
                )
                index.append((str(kind), str(method)))
                row: dict[str, Any] = {"chosen": pair == (return_method, risk_model), "note": ""}
                try:
                    w, figures, _ = self._solve(self._problem(*pair))
                except PortlabError as err:
                    row["note"] = one_line(err)
                    weights.append(pd.Series(np.nan, index=instruments))
                    rows.append(row)
                    continue
                w = w.reindex(instruments, fill_value=0.0)
                row.update(figures.to_dict())
                row["turnover_vs_chosen"] = float((w - chosen).abs().sum())
                weights.append(w)
                rows.append(row)
        names = pd.MultiIndex.from_tuples(index, names=["estimator", "method"])
        table = pd.DataFrame(rows, index=names).reindex(columns=list(ESTIMATOR_COLUMNS))
        table["chosen"] = table["chosen"].astype(bool)
        table["note"] = table["note"].fillna("").astype(str)
        frame = pd.DataFrame([w.to_numpy() for w in weights], index=names, columns=instruments)
        return EstimatorEffect(table, frame, tuple(notes))

    def _figures(self, weights: pd.Series, p: _Problem) -> pd.Series:
        return p.problem.figures(weights)

    # -- code -------------------------------------------------------------------------------------

    def _code(self) -> str:
        """The script of :meth:`to_code`: the optimization with the current settings.

        It defines ``mu``, ``cov``, ``constraints``, ``problem``, ``frontier`` and ``weights``
        (and ``result``, the MeanVarianceResult, for the mean-variance objectives).
        """
        objective = self._objective
        return_method, risk_model = self._estimators
        bl = objective is OptimizerObjective.BLACK_LITTERMAN
        views = bl or return_method is ReturnMethod.BLACK_LITTERMAN
        uses = ["market", "state", *(["signals"] if views else [])]
        imports, inputs = self._inputs_code(uses)
        cov_options = "".join(
            f", {k}={v!r}" for k, v in self._covariance_options(risk_model).items()
        )
        body = [
            f"cov = market.covariance(CovMethod.{risk_model.name}, window={self.lookback}"
            f"{cov_options})",
        ]
        if bl:
            body += [
                "views, confidences = optimize.views_from_signals(signals)",
                "prior = optimize.market_implied_prior(cov, pd.Series(1.0, index=cov.index))",
                "mu, cov = optimize.black_litterman(",
                "    cov, prior, views, omega='idzorek', confidences=confidences",
                ")",
            ]
        else:
            options = [f"{k}={v!r}" for k, v in self._return_options(return_method).items()]
            if return_method in (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN):
                options += ["cov=cov", "market_weights=pd.Series(1.0, index=cov.index)"]
            if return_method is ReturnMethod.BLACK_LITTERMAN:
                options.append("signals=signals")
            options = [f"ReturnMethod.{return_method.name}", f"window={self.lookback}", *options]
            call = f"mu = market.expected_returns({', '.join(options)})"
            if len(call) > _LINE:
                call = "\n".join(
                    ["mu = market.expected_returns(", *(f"    {o}," for o in options), ")"]
                )
            body.append(call)
        body.append(
            "current = state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)"
        )
        groups = (
            "[]"
            if self.sector_cap is None
            else f"[(market.sectors, {{sector: {self.sector_cap!r} for sector in "
            "market.sectors.unique()})]"
        )
        body += [
            "constraints = optimize.Constraints(",
            f"    bounds=(0.0, {self.max_weight!r}),",
            f"    groups={groups},",
            "    current_weights=current,",
            f"    max_turnover={self.max_turnover!r},",
            f"    transaction_costs={self.transaction_costs!r},",
            ")",
            "problem = optimize.MeanVarianceProblem(mu, cov, constraints, "
            f"risk_free_rate={self.risk_free_rate!r}).fit()",
            f"frontier = problem.frontier({self.n_points})",
        ]
        if objective in MEAN_VARIANCE:
            target = {
                OptimizerObjective.TARGET_RETURN: f", target={self.target_return!r}",
                OptimizerObjective.TARGET_RISK: f", target={self.target_risk!r}",
            }.get(objective, "")
            body += [
                f"result = problem.solve(optimize.Objective.{MEAN_VARIANCE[objective].name}{target})",
                "weights = result.weights",
            ]
        elif objective is OptimizerObjective.RISK_PARITY:
            body.append(
                "weights = optimize.constrained_risk_budgeting(cov, constraints=constraints)"
            )
        elif objective is OptimizerObjective.HRP:
            body += [
                f"returns = market.returns.iloc[-{self.lookback}:]",
                "weights = optimize.hrp(returns)  # ignores the caps, turnover, costs, estimators",
            ]
        else:
            body.append(f"weights = frontier.loc[{literal(self.frontier_point)}, mu.index]")
        head = [
            "import pandas as pd",
            "",
            "from portlab import CovMethod",
            "from portlab.analytics import optimize",
            "from portlab.analytics.estimators import ReturnMethod",
            *imports,
        ]
        return script(head, inputs, body)

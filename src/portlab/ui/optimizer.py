"""The optimizer explorer's view-model: an objective under caps, turnover and costs, the
efficient frontier, and where the current portfolio and the chosen one sit.

Inputs (documented, built by portlab calls only):

* **expected returns**: the annualised historical return of each instrument over the last
  ``lookback`` trading days (:func:`portlab.analytics.performance.annualized_return`,
  geometric); under Black-Litterman, the posterior of an equal-weight market-implied prior
  (:func:`~portlab.analytics.optimize.market_implied_prior`) updated by one view per signalled
  instrument (:func:`~portlab.analytics.optimize.views_from_signals`, Idzorek confidences);
* **covariance**: ``market.covariance(window=lookback)`` (annualised Ledoit-Wolf; a market
  built with a given covariance returns it at the default window of 504 days);
* **current portfolio**: the state's weights at the market's last prices; turnover and costs
  are measured from it.

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
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import param

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
from portlab.analytics.performance import annualized_return
from portlab.exceptions import ValidationError
from portlab.ui.base import ViewModel
from portlab.ui.codegen import literal, script

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


class OptimizerModel(ViewModel):
    """Optimizer explorer: objective, per-asset cap, sector caps, turnover limit and costs.

    Result (:class:`OptimizerOutcome`): the chosen weights and their figures, the efficient
    frontier under the same constraints, and the current portfolio's weights and figures.
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
    )

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        self._cache: dict[tuple, tuple[tuple, _Problem]] = {}
        return settings

    @property
    def _objective(self) -> OptimizerObjective:
        return OptimizerObjective(self.objective)

    # -- the problem (cached) ------------------------------------------------------------------

    def _key(self) -> tuple[tuple, tuple]:
        bl = self._objective is OptimizerObjective.BLACK_LITTERMAN
        refs = (self.market, self.state, self.signals if bl else None)
        key = (
            *(id(r) for r in refs),
            bl,
            self.lookback,
            self.max_weight,
            self.sector_cap,
            self.max_turnover,
            self.transaction_costs,
            self.risk_free_rate,
        )
        return key, refs

    def _problem(self) -> _Problem:
        key, refs = self._key()
        hit = self._cache.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], refs, strict=True)):
            return hit[1]
        built = self._build()
        if len(self._cache) >= 4:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (refs, built)
        return built

    def _build(self) -> _Problem:
        """Exactly the calls :meth:`to_code` writes, in the same order."""
        market = self.market
        returns = market.returns.iloc[-self.lookback :]
        cov = market.covariance(window=self.lookback)
        if self._objective is OptimizerObjective.BLACK_LITTERMAN:
            views, confidences = views_from_signals(self.signals)
            prior = market_implied_prior(cov, pd.Series(1.0, index=cov.index))
            mu, cov = black_litterman(cov, prior, views, omega="idzorek", confidences=confidences)
        else:
            mu = annualized_return(returns)
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

    def _compute(self) -> OptimizerOutcome:
        p = self._problem()
        objective = self._objective
        frontier = p.frontiers.get(self.n_points)
        if frontier is None:
            frontier = p.frontiers[self.n_points] = p.problem.frontier(self.n_points)
        notes: tuple[str, ...] = ()
        if objective in MEAN_VARIANCE:
            target = {
                OptimizerObjective.TARGET_RETURN: self.target_return,
                OptimizerObjective.TARGET_RISK: self.target_risk,
            }.get(objective)
            solved = p.problem.solve(MEAN_VARIANCE[objective], target=target)
            weights = solved.weights
            figures = pd.Series(
                {name: float(getattr(solved, name)) for name in FIGURE_NAMES}, name="figures"
            )
        else:
            if objective is OptimizerObjective.RISK_PARITY:
                weights = constrained_risk_budgeting(p.cov, constraints=p.constraints)
            elif objective is OptimizerObjective.HRP:
                weights = hrp(p.returns)
                notes = ("HRP ignores the weight and sector caps, the turnover limit and costs",)
            else:
                point = self.frontier_point
                if point is None or not 0 <= point < len(frontier):
                    raise ValidationError(
                        f"frontier_point must be a point of the frontier, 0 to "
                        f"{len(frontier) - 1}; got {point}"
                    )
                weights = frontier.loc[point, p.mu.index].rename("weight")
            figures = self._figures(weights, p)
        return OptimizerOutcome(
            objective=objective,
            weights=weights,
            figures=figures,
            frontier=frontier,
            current_weights=p.current,
            current=self._figures(p.current, p),
            mu=p.mu,
            cov=p.cov,
            constraints=p.constraints,
            notes=notes,
        )

    def _figures(self, weights: pd.Series, p: _Problem) -> pd.Series:
        return p.problem.figures(weights)

    # -- code -------------------------------------------------------------------------------------

    def _code(self) -> str:
        """The script of :meth:`to_code`: the optimization with the current settings.

        It defines ``mu``, ``cov``, ``constraints``, ``problem``, ``frontier`` and ``weights``
        (and ``result``, the MeanVarianceResult, for the mean-variance objectives).
        """
        objective = self._objective
        bl = objective is OptimizerObjective.BLACK_LITTERMAN
        uses = ["market", "state", *(["signals"] if bl else [])]
        imports, inputs = self._inputs_code(uses)
        body = [
            f"returns = market.returns.iloc[-{self.lookback}:]",
            f"cov = market.covariance(window={self.lookback})",
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
            body.append("mu = performance.annualized_return(returns)")
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
            body.append("weights = optimize.hrp(returns)  # ignores the caps, turnover and costs")
        else:
            body.append(f"weights = frontier.loc[{literal(self.frontier_point)}, mu.index]")
        head = [
            "import pandas as pd",
            "",
            "from portlab.analytics import optimize, performance",
            *imports,
        ]
        return script(head, inputs, body)

"""Multi-strategy allocation (specification §9, "Portfolio optimization and strategy
allocation").

Register strategies with their daily return streams and current allocations in a
:class:`StrategyBook`, optimise the strategy weights by any :class:`AllocationMethod`, and get
a :class:`StrategyAllocation`: weights, each strategy's share of the portfolio risk, the
historical metrics of the combined stream, a market-regime label and the reasons, convertible
into a ``PortfolioOptimizationEvent`` (specification §1).

Data rules: the strategies are compared on the dates where every one has a return (NaN rows
dropped); means and covariances are annualised with ``periods_per_year`` (arithmetic mean ×
P, sample covariance with ``ddof=1`` × P); the combined stream is the weighted sum of the
strategies' returns (rebalanced to the weights every period).

The market regime comes from :func:`~portlab.analytics.optimize._performance.detect_regime`
(rules in its module docstring) on the combined returns.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.optimize._performance import (
    RegimeDetection,
    check_compoundable,
    detect_regime,
    strategy_metrics,
)
from portlab.analytics.performance import max_drawdown
from portlab.exceptions import ConfigError, DataError, ValidationError

if TYPE_CHECKING:
    from portlab.analytics.optimize._constraints import Constraints
    from portlab.engine.strategies import TrackRecord
    from portlab.events import PortfolioOptimizationEvent
    from portlab.types import MatrixLike, VectorLike

__all__ = ["AllocationMethod", "StrategyAllocation", "StrategyBook"]

#: a strategy weight this far from its allocation needs rebalancing (the strategy-weight
#: deviation threshold of specification §9)
WEIGHT_DEVIATION = 0.05
#: recent volatility this much above the long-run one is a spike (up 25 %, specification §9)
VOLATILITY_SPIKE = 0.25
#: a change of the mean pairwise correlation this large is a regime change (specification §9)
CORRELATION_CHANGE = 0.20


class AllocationMethod(enum.StrEnum):
    """How :meth:`StrategyBook.optimize` sets the strategy weights (the names of specification §9)."""

    MARKOWITZ = "markowitz"  # maximum Sharpe ratio (or minimum variance for a target return)
    MIN_VOLATILITY = "min_volatility"
    RISK_PARITY = "risk_parity"  # risk budgeting, equal budgets by default
    HRP = "hrp"  # hierarchical risk parity
    PERFORMANCE_BASED = "performance_based"  # win rate, Sharpe, profit factor
    BLACK_LITTERMAN = "black_litterman"  # current allocations as the prior, plus views
    EQUAL_WEIGHT = "equal_weight"


@dataclass(frozen=True)
class StrategyAllocation:
    """The result of :meth:`StrategyBook.optimize`.

    Attributes
    ----------
    method : AllocationMethod
        Method used.
    weights : Series
        Optimal capital weight per strategy (fractions summing to 1).
    current_weights : Series
        Allocations registered in the book (fractions).
    risk_contributions : Series
        Each strategy's share of the portfolio variance at ``weights`` (sums to 1): the event's
        ``risk_budget_allocation``.
    expected_return, expected_volatility : float
        Annualised arithmetic mean and volatility of the historical combined returns.
    sharpe_ratio : float
        ``(expected_return − risk_free_rate) / expected_volatility`` (0 if the volatility is 0).
    max_drawdown : float
        Largest drawdown of the historical combined returns (positive fraction).
    regime : RegimeDetection
        Regime of the combined returns.
    reasoning : dict of str to tuple of str
        ``primary_factors``, ``adjustments_made``, ``risk_considerations``.
    rebalancing_needed : bool
        Some weight differs from its current allocation by more than 5 % (specification §9).
    """

    method: AllocationMethod
    weights: pd.Series
    current_weights: pd.Series
    risk_contributions: pd.Series
    expected_return: float
    expected_volatility: float
    sharpe_ratio: float
    max_drawdown: float
    regime: RegimeDetection
    reasoning: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rebalancing_needed: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: ``current_weight``, ``weight``, ``change``,
        ``risk_contribution``."""
        return pd.DataFrame(
            {
                "current_weight": self.current_weights,
                "weight": self.weights,
                "change": self.weights - self.current_weights,
                "risk_contribution": self.risk_contributions,
            }
        )

    def to_event(
        self,
        portfolio_id: str = "main_portfolio",
        *,
        event_id: str | None = None,
        timestamp: datetime | str | None = None,
    ) -> PortfolioOptimizationEvent:
        """The ``PortfolioOptimizationEvent`` of this allocation (specification §1).

        Parameters
        ----------
        portfolio_id : str
            Portfolio optimised.
        event_id : str, optional
            Event id (a new UUID4 by default).
        timestamp : datetime or str, optional
            Event time (now by default).

        Returns
        -------
        portlab.events.PortfolioOptimizationEvent
        """
        from portlab.events import PortfolioOptimizationEvent

        data: dict[str, Any] = {
            "portfolio_id": portfolio_id,
            "optimization_result": {
                "optimal_strategy_weights": {str(k): float(v) for k, v in self.weights.items()},
                "risk_budget_allocation": {
                    str(k): float(v) for k, v in self.risk_contributions.items()
                },
                "expected_portfolio_metrics": {
                    "expected_return": self.expected_return,
                    "expected_volatility": self.expected_volatility,
                    "sharpe_ratio": self.sharpe_ratio,
                    "max_drawdown": self.max_drawdown,
                },
            },
            "market_regime": {
                "detected_regime": self.regime.regime.value,
                "confidence": self.regime.confidence,
                "regime_adjustments": list(self.regime.adjustments),
            },
            "optimization_reasoning": {k: list(v) for k, v in self.reasoning.items()},
        }
        if event_id is not None:
            data["eventId"] = event_id
        if timestamp is not None:
            data["timestamp"] = timestamp
        return PortfolioOptimizationEvent.from_dict(data)


class StrategyBook:
    """Registered strategies with their return streams and current allocations.

    Parameters
    ----------
    periods_per_year : int
        Periods per year of the return streams (252 for daily).
    risk_free_rate : float
        Annual risk-free rate (fraction), for Sharpe ratios and max-Sharpe allocation.
    min_observations : int
        Fewest common dates the strategies must share to be optimised.

    Examples
    --------
    Two strategies, the second twice as volatile: risk parity gives it half the weight of the
    first, and each then carries half of the risk.

    >>> import numpy as np
    >>> import pandas as pd
    >>> dates = pd.bdate_range("2024-01-01", periods=250)
    >>> rng = np.random.default_rng(0)
    >>> book = StrategyBook()
    >>> book = book.register("momentum", pd.Series(rng.normal(0.0005, 0.01, 250), dates), 0.3)
    >>> book = book.register("reversion", pd.Series(rng.normal(0.0003, 0.02, 250), dates), 0.3)
    >>> allocation = book.optimize("risk_parity")
    >>> allocation.weights.round(3).to_dict()
    {'momentum': 0.665, 'reversion': 0.335}
    >>> allocation.risk_contributions.round(3).to_dict()
    {'momentum': 0.5, 'reversion': 0.5}
    >>> type(allocation.to_event()).__name__
    'PortfolioOptimizationEvent'
    """

    def __init__(
        self,
        *,
        periods_per_year: int = 252,
        risk_free_rate: float = 0.0,
        min_observations: int = 20,
    ) -> None:
        self.periods_per_year = periods_per_year
        self.risk_free_rate = risk_free_rate
        self.min_observations = min_observations
        self._returns: dict[str, pd.Series] = {}
        self._allocations: dict[str, float] = {}

    # ------------------------------------------------------------------ registry

    def register(self, name: str, returns: pd.Series, allocation: float = 0.0) -> StrategyBook:
        """Register a strategy (specification §8).

        Parameters
        ----------
        name : str
            Strategy name (unique).
        returns : Series
            Its simple returns per period, indexed by date; NaN where it has none. Copied.
        allocation : float
            Current capital allocation, a fraction of the portfolio in ``[0, 1]``; the
            allocations of all strategies may not sum to more than 1 (the rest stays
            unallocated, as specification §8 has it).

        Returns
        -------
        StrategyBook
            ``self``, for chaining.

        Raises
        ------
        ConfigError
            Duplicate name, allocation out of range or total above 1.
        DataError
            Returns not a numeric Series, infinite values, or returns of -100 % or less.
        """
        if not isinstance(name, str) or not name:
            raise ConfigError(f"strategy name must be a non-empty string, got {name!r}")
        if name in self._returns:
            raise ConfigError(f"strategy {name!r} registered twice")
        alloc = float(allocation)
        if not (np.isfinite(alloc) and 0.0 <= alloc <= 1.0):
            raise ConfigError(
                f"strategy {name!r}: allocation must be in [0, 1], got {allocation!r}"
            )
        total = sum(self._allocations.values()) + alloc
        if total > 1.0 + 1e-9:
            raise ConfigError(f"strategy {name!r}: allocations would sum to {total:.4f} > 1")
        if not isinstance(returns, pd.Series):
            raise DataError(f"strategy {name!r}: returns must be a pandas Series")
        if not returns.index.is_unique:
            raise DataError(f"strategy {name!r}: returns have duplicate dates")
        try:
            series = returns.astype(np.float64).rename(name)
        except (TypeError, ValueError) as exc:
            raise DataError(f"strategy {name!r}: returns must be numeric ({exc})") from exc
        values = series.to_numpy()
        if np.isinf(values).any() or (values <= -1).any():
            raise DataError(f"strategy {name!r}: returns must be finite and above -100%")
        self._returns[name] = series
        self._allocations[name] = alloc
        return self

    @property
    def names(self) -> list[str]:
        """Registered strategy names, in registration order."""
        return list(self._returns)

    @property
    def allocations(self) -> pd.Series:
        """Current allocation per strategy (fractions)."""
        return pd.Series(self._allocations, dtype=np.float64, name="allocation")

    def returns(self, *, common: bool = True) -> pd.DataFrame:
        """Return streams as a DataFrame (dates × strategies).

        Parameters
        ----------
        common : bool
            Keep only dates where every strategy has a return (the optimisation sample).
        """
        if not self._returns:
            raise ConfigError("no strategy registered")
        frame = pd.concat(list(self._returns.values()), axis=1, join="outer").sort_index()
        return frame.dropna(how="any") if common else frame

    # ------------------------------------------------------------------ optimisation

    def optimize(
        self,
        method: AllocationMethod | str = AllocationMethod.RISK_PARITY,
        *,
        budgets: VectorLike | None = None,
        linkage: str = "single",
        metrics: pd.DataFrame | Mapping[str, TrackRecord | Mapping[str, float]] | None = None,
        concentration: float = 1.0,
        views: VectorLike | None = None,
        confidences: VectorLike | None = None,
        picking: MatrixLike | Sequence[float] | None = None,
        tau: float = 0.05,
        risk_aversion: float | pd.Series | None = None,
        constraints: Constraints | None = None,
        target_return: float | None = None,
        lookback: int = 63,
    ) -> StrategyAllocation:
        """Optimise the strategy weights.

        Parameters
        ----------
        method : AllocationMethod or str
            ``markowitz`` (max Sharpe on historical means; with ``target_return`` the minimum
            variance for that annual return), ``min_volatility``, ``risk_parity``, ``hrp``,
            ``performance_based``, ``black_litterman`` or ``equal_weight``.
        budgets : Series, mapping or array-like, optional
            Risk budgets for ``risk_parity`` (equal by default; :data:`~portlab.types.VectorLike`).
        linkage : str
            Linkage for ``hrp``.
        metrics : DataFrame or mapping of strategy to TrackRecord or dict, optional
            Per-strategy win rate, Sharpe, profit factor, n_trades for ``performance_based``;
            computed by default with :func:`strategy_metrics` over each strategy's whole
            return stream (not only the common dates).
        concentration : float
            Score exponent for ``performance_based``.
        views, confidences, picking, tau : optional
            Black-Litterman views on the strategies' annual returns (see
            :func:`black_litterman`); with confidences, Idzorek's ``Ω``. Without views the
            posterior is the prior.
        risk_aversion : float or Series, optional
            Black-Litterman ``δ`` (or benchmark returns to estimate it); 2.5 by default. The
            prior takes the current allocations as the market portfolio (equal weights when
            none is allocated).
        constraints : Constraints, optional
            A :class:`Constraints` over the strategy names, passed to
            :func:`mean_variance` for ``markowitz``, ``min_volatility`` and ``black_litterman``
            and to :func:`constrained_risk_budgeting` for ``risk_parity``.
        target_return : float, optional
            Annual target return for ``markowitz``.
        lookback : int
            Recent window of the regime detection and correlation-shift check, in periods.

        Returns
        -------
        StrategyAllocation

        Raises
        ------
        ConfigError
            No strategy registered.
        DataError
            Fewer than ``min_observations`` common dates.
        ValidationError, InfeasibleError
            From the chosen method.
        """
        try:
            method = AllocationMethod(method)
        except ValueError:
            allowed = ", ".join(m.value for m in AllocationMethod)
            raise ValidationError(f"method must be one of {allowed}; got {method!r}") from None
        self._check_params()
        rets = self.returns(common=True)
        names = self.names
        if len(rets) < self.min_observations:
            raise DataError(
                f"strategies share {len(rets)} dates with a return for every one; need at least "
                f"{self.min_observations}"
            )
        ppy = self.periods_per_year
        rf = float(self.risk_free_rate)
        mu = rets.mean() * ppy
        cov = rets.cov() * ppy
        weights = self._weights(
            method, rets, mu, cov, budgets=budgets, linkage=linkage, metrics=metrics,
            concentration=concentration, views=views, confidences=confidences,
            picking=picking, tau=tau, risk_aversion=risk_aversion, constraints=constraints,
            target_return=target_return,
        )  # fmt: skip
        weights = weights.reindex(names).astype(np.float64).rename("weight")
        if weights.isna().any() or not np.isfinite(weights.to_numpy()).all():
            raise ValidationError(f"{method.value} gave no weight for some strategies")
        return self._summarise(method, weights, rets, cov, rf, lookback)

    def _check_params(self) -> None:
        ppy, mo = self.periods_per_year, self.min_observations
        if isinstance(ppy, bool) or not isinstance(ppy, int | np.integer) or ppy < 1:
            raise ConfigError(f"periods_per_year must be a positive integer, got {ppy!r}")
        if isinstance(mo, bool) or not isinstance(mo, int | np.integer) or mo < 2:
            raise ConfigError(f"min_observations must be an integer >= 2, got {mo!r}")
        if not np.isfinite(self.risk_free_rate):
            raise ConfigError(f"risk_free_rate must be finite, got {self.risk_free_rate!r}")

    def _weights(
        self,
        method: AllocationMethod,
        rets: pd.DataFrame,
        mu: pd.Series,
        cov: pd.DataFrame,
        **kw: Any,
    ) -> pd.Series:
        n = len(mu)
        rf = float(self.risk_free_rate)
        if method is AllocationMethod.EQUAL_WEIGHT:
            return pd.Series(1.0 / n, index=mu.index)
        if method is AllocationMethod.RISK_PARITY:
            if kw["constraints"] is not None:
                from portlab.analytics.optimize._crb import constrained_risk_budgeting

                return constrained_risk_budgeting(cov, kw["budgets"], constraints=kw["constraints"])
            from portlab.analytics.optimize._riskparity import risk_budgeting

            return risk_budgeting(cov, kw["budgets"])
        if method is AllocationMethod.HRP:
            from portlab.analytics.optimize._hrp import hrp

            return hrp(rets, linkage=kw["linkage"])
        if method is AllocationMethod.PERFORMANCE_BASED:
            from portlab.analytics.optimize._performance import performance_allocation

            metrics = kw["metrics"]
            if metrics is None:
                metrics = strategy_metrics(
                    self.returns(common=False), periods_per_year=self.periods_per_year,
                    risk_free_rate=rf,
                )  # fmt: skip
            if isinstance(metrics, pd.DataFrame):
                missing = mu.index.difference(metrics.index)
                if len(missing):
                    raise ValidationError(f"metrics: no row for strategy(ies) {list(missing)}")
                metrics = metrics.loc[mu.index]
            elif isinstance(metrics, Mapping):
                missing = [s for s in mu.index if s not in metrics]
                if missing:
                    raise ValidationError(f"metrics: no entry for strategy(ies) {missing}")
                metrics = {s: metrics[s] for s in mu.index}
            return performance_allocation(metrics, concentration=kw["concentration"])
        from portlab.analytics.optimize._meanvar import mean_variance
        from portlab.analytics.optimize._mvbase import Objective

        if method is AllocationMethod.MIN_VOLATILITY:
            res = mean_variance(
                mu, cov, Objective.MIN_VOLATILITY, constraints=kw["constraints"],
                risk_free_rate=rf,
            )  # fmt: skip
            return res.weights
        if method is AllocationMethod.MARKOWITZ:
            target = kw["target_return"]
            objective = Objective.MAX_SHARPE if target is None else Objective.TARGET_RETURN
            res = mean_variance(
                mu, cov, objective, constraints=kw["constraints"], risk_free_rate=rf,
                target=target,
            )  # fmt: skip
            return res.weights
        # BLACK_LITTERMAN
        from portlab.analytics.optimize._black_litterman import (
            black_litterman,
            market_implied_prior,
        )

        current = self.allocations.reindex(mu.index)
        market = current if current.sum() > 0 else pd.Series(1.0, index=mu.index)
        prior = market_implied_prior(
            cov, market, kw["risk_aversion"], rf, periods_per_year=self.periods_per_year
        )
        if kw["views"] is None:
            post_mu, post_cov = prior, cov * (1.0 + kw["tau"])
        else:
            omega = "default" if kw["confidences"] is None else "idzorek"
            post_mu, post_cov = black_litterman(
                cov, prior, kw["views"], picking=kw["picking"], omega=omega,
                confidences=kw["confidences"], tau=kw["tau"],
            )  # fmt: skip
        res = mean_variance(
            post_mu, post_cov, Objective.MAX_SHARPE, constraints=kw["constraints"],
            risk_free_rate=rf,
        )  # fmt: skip
        return res.weights

    def _summarise(
        self,
        method: AllocationMethod,
        weights: pd.Series,
        rets: pd.DataFrame,
        cov: pd.DataFrame,
        rf: float,
        lookback: int,
    ) -> StrategyAllocation:
        ppy = self.periods_per_year
        w = weights.to_numpy()
        cov_arr = cov.to_numpy()
        contrib = w * (cov_arr @ w)
        total = float(contrib.sum())
        rc = contrib / total if total > 0 else np.full(len(w), 1.0 / len(w))
        combined = pd.Series(rets.to_numpy() @ w, index=rets.index, name="combined")
        exp_ret = float(combined.mean()) * ppy
        vol = float(combined.std(ddof=1)) * math.sqrt(ppy)
        sharpe = (exp_ret - rf) / vol if vol > 0 else 0.0
        check_compoundable(combined)
        mdd = float(max_drawdown(combined))
        regime = detect_regime(combined, lookback=lookback)
        current = self.allocations.reindex(weights.index)
        change = weights - current
        reasoning = self._reasoning(method, weights, change, rets, regime, lookback)
        return StrategyAllocation(
            method=method,
            weights=weights,
            current_weights=current,
            risk_contributions=pd.Series(rc, index=weights.index, name="risk_contribution"),
            expected_return=exp_ret,
            expected_volatility=vol,
            sharpe_ratio=sharpe,
            max_drawdown=mdd,
            regime=regime,
            reasoning=reasoning,
            rebalancing_needed=bool((change.abs() > WEIGHT_DEVIATION).any()),
        )

    def _reasoning(
        self,
        method: AllocationMethod,
        weights: pd.Series,
        change: pd.Series,
        rets: pd.DataFrame,
        regime: RegimeDetection,
        lookback: int,
    ) -> dict[str, tuple[str, ...]]:
        """Reasons from documented rules.

        * primary factors: the method; ``strong_<s>_performance`` for the best strategy by
          Sharpe ratio when it is at least 1, ``weak_<s>_performance`` for the worst when
          negative; ``low`` (< 0.3), ``moderate`` or ``high`` (> 0.6) ``_correlation_environment``
          from the mean pairwise correlation;
        * adjustments made: ``increased_<s>_allocation`` / ``reduced_<s>_allocation`` for every
          change larger than 5 % (the weight-deviation threshold of specification §9), else
          ``no_material_changes``;
        * risk considerations: ``correlation_regime_shift`` when the mean pairwise correlation
          of the last ``lookback`` periods differs from the full sample's by more than 0.20
          (specification §9) else ``correlation_regime_stable``; ``volatility_spike`` when the recent
          volatility is 25 % above the long-run one (specification §9) else
          ``volatility_within_targets``.
        """
        ppy = self.periods_per_year
        primary = [f"{method.value}_allocation"]
        sd = rets.std(ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sharpe = ((rets.mean() * ppy - self.risk_free_rate) / (sd * math.sqrt(ppy))).dropna()
        if len(sharpe):
            if sharpe.max() >= 1.0:
                primary.append(f"strong_{sharpe.idxmax()}_performance")
            if sharpe.min() < 0.0:
                primary.append(f"weak_{sharpe.idxmin()}_performance")
        considerations = []
        if rets.shape[1] > 1:
            full = _mean_correlation(rets)
            recent = _mean_correlation(rets.iloc[-lookback:])
            if not math.isnan(full):
                level = "low" if full < 0.3 else ("high" if full > 0.6 else "moderate")
                primary.append(f"{level}_correlation_environment")
            if not (math.isnan(full) or math.isnan(recent)):
                shifted = abs(recent - full) > CORRELATION_CHANGE
                considerations.append(
                    "correlation_regime_shift" if shifted else "correlation_regime_stable"
                )
        spike = regime.vol_ratio > 1.0 + VOLATILITY_SPIKE
        considerations.append("volatility_spike" if spike else "volatility_within_targets")
        adjustments = [
            f"{'increased' if d > 0 else 'reduced'}_{name}_allocation"
            for name, d in change.items()
            if abs(d) > WEIGHT_DEVIATION
        ]
        return {
            "primary_factors": tuple(primary),
            "adjustments_made": tuple(adjustments or ["no_material_changes"]),
            "risk_considerations": tuple(considerations),
        }


def _mean_correlation(rets: pd.DataFrame) -> float:
    """Mean off-diagonal correlation (NaN if undefined)."""
    x = rets.to_numpy(dtype=np.float64)
    if len(x) < 3:
        return math.nan
    sd = x.std(axis=0)
    if not (sd > 0).all():
        return math.nan
    corr = np.corrcoef(x, rowvar=False)
    n = corr.shape[0]
    return float((corr.sum() - n) / (n * (n - 1)))

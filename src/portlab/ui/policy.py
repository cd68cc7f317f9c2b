"""The policy tuner's view-model: every policy limit and the sizing settings that matter, and
the coordination of the batch under them.

Examples
--------
>>> from portlab.ui import PolicyModel
>>> model = PolicyModel()                      # the bundled example batch, default policy
>>> model.result.counts["total_signals"], model.result.counts["decisions"]
(14, 11)
>>> model.set(max_position_size=0.03, max_sector_exposure=0.20)   # one recomputation
>>> model.error is None, float(model.result.limits.loc["position", "limit"])
(True, 0.03)
>>> model.max_position_size = 0.30             # above the 20% sector limit: refused
>>> print(model.error)
policy.max_position_size: 0.3 is above max_sector_exposure 0.2: one position cannot exceed its sector's limit; lower max_position_size or raise max_sector_exposure
>>> float(model.result.limits.loc["position", "limit"])   # the last good result is kept
0.03

Target weights (the optimizer's, say) replace the batch's rebalance requests by the move
toward them; None brings the original requests back:

>>> model = PolicyModel()
>>> model.set_targets({"LLY": 0.03, "MSFT": 0.045})
>>> actions = model.result.decisions.set_index("instrument_id")["action"]
>>> actions["LLY"], actions["MSFT"]          # toward 3% LLY (none held) and 4.5% MSFT (6.1%)
('BUY', 'SELL')
>>> model.set_targets(None)
>>> model.targets is None, model.result.counts["decisions"]
(True, 11)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import pandas as pd
import param

from portlab.engine import (
    AdaptiveConfig,
    AdaptiveState,
    AllocationMode,
    CoordinationResult,
    Coordinator,
    ExecutionRulesConfig,
    ImpactAction,
    OrderType,
    Policy,
    SizingConfig,
    TimeInForce,
)
from portlab.exceptions import ValidationError
from portlab.state import PortfolioState
from portlab.types import RequestsLike
from portlab.ui.adaptive import learned_state
from portlab.ui.base import ViewModel
from portlab.ui.codegen import coordinator_code, literal, script
from portlab.ui.coordination import configured
from portlab.ui.limits import limit_usage
from portlab.ui.methods import method_settings
from portlab.ui.targets import current_weights, target_request

__all__ = [
    "ADAPTIVE_SETTINGS",
    "COUNT_NAMES",
    "EXECUTION_SETTINGS",
    "OTHER_POLICY_SETTINGS",
    "RULE_SETTINGS",
    "RULE_TITLES",
    "SIZING_SETTINGS",
    "PolicyModel",
    "PolicyOutcome",
]

#: the policy rules' settings: setting name -> rule name (``Policy.rules()``)
RULE_SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "max_position_size": "position",
        "max_sector_exposure": "sector",
        "max_correlation_exposure": "correlation",
        "max_portfolio_volatility": "volatility",
        "max_leverage": "leverage",
        "var_limit": "var",
        "max_position_risk": "position_risk",
    }
)
#: what a front end calls each rule's limit setting (the labels of its sliders)
RULE_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "max_position_size": "Max position",
        "max_sector_exposure": "Max sector",
        "max_correlation_exposure": "Max correlated",
        "max_portfolio_volatility": "Max volatility",
        "max_leverage": "Max leverage",
        "var_limit": "Max 1-day VaR",
        "max_position_risk": "Max position risk",
    }
)
#: the other policy settings the model exposes
OTHER_POLICY_SETTINGS = ("correlation_threshold", "allow_short", "cash_floor")
#: the sizing settings the model exposes, in display order
SIZING_SETTINGS = (
    "method",
    "fixed_fraction",
    "risk_target",
    "kelly_multiplier",
    "max_kelly_fraction",
    "min_position_size",
    "correlation_penalty",
    "rebalance_blend",
    "allocation",
)
#: the execution rules the model exposes (ExecutionRulesConfig's; the impact coefficient keeps
#: the coordinator's)
EXECUTION_SETTINGS = (
    "default_order_type",
    "time_in_force",
    "price_threshold",
    "market_impact_limit",
    "impact_action",
)
#: the adaptation settings the model exposes (AdaptiveConfig's; the others keep the
#: coordinator's or the defaults)
ADAPTIVE_SETTINGS = ("adaptive", "learning_rate", "adaptation_period")
#: the processing statistics of :attr:`PolicyOutcome.counts` (specification §7, and more)
COUNT_NAMES = (
    "total_signals",
    "accepted_signals",
    "resized_signals",
    "rejected_signals",
    "conflicted_signals",
    "total_rebalance_adjustments",
    "decisions",
)


@dataclass(frozen=True)
class PolicyOutcome:
    """The batch coordinated under the model's policy.

    Attributes
    ----------
    coordination : CoordinationResult
        What :meth:`Coordinator.coordinate` returned.
    coordinator : Coordinator
        The coordinator that produced it (the model's settings).
    decisions, rejections : DataFrame
        ``coordination.decisions`` (each with its sizing steps, compliance checks and
        ``reasoning``) and ``coordination.rejections`` (``reason``, the ``rule`` that
        rejected it, ``detail``, ``winner_id``).
    limits, positions, sectors : DataFrame
        Exposures against the limits before and after the batch
        (:class:`~portlab.ui.limits.LimitUsage`).
    counts : mapping of str to int
        :data:`COUNT_NAMES` from ``coordination.stats``.
    state_after : PortfolioState
        The portfolio with every decision executed at its price (no fees).
    """

    coordination: CoordinationResult
    coordinator: Coordinator
    decisions: pd.DataFrame
    rejections: pd.DataFrame
    limits: pd.DataFrame
    positions: pd.DataFrame
    sectors: pd.DataFrame
    counts: Mapping[str, int]
    state_after: PortfolioState


#: the defaults the parameters start from: the engine's own (one source of truth)
_POLICY, _SIZING, _EXECUTION = Policy(), SizingConfig(), ExecutionRulesConfig()
_ADAPTIVE = AdaptiveConfig()


def _limit(name: str, doc: str, soft_max: float, *, upper: float = 1.0) -> param.Number:
    """The default policy's limit ``name``, in (0, upper], on a slider from 0 to ``soft_max``."""
    return param.Number(
        default=getattr(_POLICY, name).limit,
        bounds=(0.0, upper),
        inclusive_bounds=(False, True),
        softbounds=(0.0, soft_max),
        step=0.005 if upper <= 1.0 else 0.05,
        doc=doc,
    )


class PolicyModel(ViewModel):
    """Policy tuner: every policy limit with its hard/soft switch, and the sizing settings.

    The settings start from ``coordinator.policy`` / ``coordinator.sizing`` (default: the
    default policy, specification §2). Limits are fractions of NAV (``0.05`` is 5%),
    volatility an annualised fraction, leverage a multiple.

    Result (:class:`PolicyOutcome`): the coordination of the batch, its decisions and
    rejections, the exposures against every limit before and after, the statistics counts.

    Target weights given with :meth:`set_targets` (e.g. the optimizer's chosen portfolio)
    replace the model's rebalance requests by one request moving the current weights to the
    targets (:func:`~portlab.ui.targets.target_request`); the signals stay.
    """

    max_position_size = _limit(
        "max_position_size", "Largest |weight| of one instrument, fraction of NAV.", 0.25
    )
    max_position_size_hard = param.Boolean(
        _POLICY.max_position_size.hard, doc="Never breach the position limit."
    )
    max_sector_exposure = _limit(
        "max_sector_exposure", "Largest gross exposure of one sector, fraction of NAV.", 1.0
    )
    max_sector_exposure_hard = param.Boolean(
        _POLICY.max_sector_exposure.hard, doc="Never breach the sector limit."
    )
    max_correlation_exposure = _limit(
        "max_correlation_exposure",
        "Largest gross exposure of a correlated cluster, fraction of NAV.",
        1.0,
    )
    max_correlation_exposure_hard = param.Boolean(
        _POLICY.max_correlation_exposure.hard,
        doc="Never breach the correlated-exposure limit (soft: warnings only).",
    )
    max_portfolio_volatility = _limit(
        "max_portfolio_volatility",
        "Largest ex-ante portfolio volatility, annualised fraction.",
        0.5,
    )
    max_portfolio_volatility_hard = param.Boolean(
        _POLICY.max_portfolio_volatility.hard, doc="Never breach the volatility limit."
    )
    max_leverage = _limit(
        "max_leverage", "Largest gross exposure over NAV, a multiple.", 4.0, upper=10.0
    )
    max_leverage_hard = param.Boolean(
        _POLICY.max_leverage.hard, doc="Never breach the leverage limit."
    )
    var_limit = _limit(
        "var_limit",
        "Largest 1-day portfolio VaR at the policy's confidence, fraction of NAV.",
        0.1,
    )
    var_limit_hard = param.Boolean(
        _POLICY.var_limit.hard, doc="Never breach the VaR limit (soft: warnings only)."
    )
    max_position_risk = _limit(
        "max_position_risk",
        "Largest standalone risk of one position, |weight| x annualised volatility, "
        "fraction of NAV.",
        0.2,
    )
    max_position_risk_hard = param.Boolean(
        _POLICY.max_position_risk.hard,
        doc="Never breach the position risk limit (soft: warnings only).",
    )
    correlation_threshold = param.Number(
        _POLICY.correlation_threshold,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        step=0.05,
        doc="Correlation at or above which two instruments count as correlated.",
    )
    allow_short = param.Boolean(_POLICY.allow_short, doc="May a SELL take a position below zero.")
    cash_floor = param.Number(
        _POLICY.cash_floor,
        bounds=(-10.0, 1.0),
        softbounds=(-1.0, 0.5),
        step=0.01,
        doc="Cash after the batch at least this fraction of NAV (negative: margin).",
    )
    method, fixed_fraction, risk_target = method_settings()
    kelly_multiplier = param.Number(
        _SIZING.kelly_multiplier,
        bounds=(0.0, 2.0),
        inclusive_bounds=(False, True),
        step=0.05,
        doc="Fractional Kelly (0.5 = half Kelly).",
    )
    max_kelly_fraction = param.Number(
        _SIZING.max_kelly_fraction,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        step=0.01,
        doc="Cap on the Kelly fraction, fraction of NAV.",
    )
    min_position_size = param.Number(
        _SIZING.min_position_size,
        bounds=(0.0, 1.0),
        inclusive_bounds=(True, False),
        softbounds=(0.0, 0.05),
        step=0.001,
        doc="Smallest position-increasing trade, fraction of NAV.",
    )
    correlation_penalty = param.Number(
        _SIZING.correlation_penalty,
        bounds=(0.0, 1.0),
        step=0.05,
        doc="Size factor 1 - penalty x max(0, correlation).",
    )
    rebalance_blend = param.Number(
        _SIZING.rebalance_blend,
        bounds=(0.0, 1.0),
        step=0.05,
        doc="Weight of a rebalance request's size in a blend.",
    )
    allocation = param.Selector(
        objects=list(AllocationMode),
        default=_SIZING.allocation,
        doc="How capital is shared when the batch wants more than the limits allow.",
    )
    default_order_type = param.Selector(
        objects=list(OrderType),
        default=_EXECUTION.default_order_type,
        doc="Every order's type; AUTO: MARKET for CRITICAL urgency, LIMIT otherwise.",
    )
    time_in_force = param.Selector(
        objects=list(TimeInForce),
        default=_EXECUTION.time_in_force,
        doc="How long every order stays working.",
    )
    price_threshold = param.Number(
        _EXECUTION.price_threshold,
        bounds=(0.0, 0.5),
        softbounds=(0.0, 0.05),
        step=0.001,
        doc="A LIMIT order's limit price from the last price, fraction of the price.",
    )
    market_impact_limit = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        softbounds=(0.0, 0.02),
        step=0.0005,
        doc="Largest estimated market impact of a trade, fraction of the price; 0: no limit.",
    )
    impact_action = param.Selector(
        objects=list(ImpactAction),
        default=_EXECUTION.impact_action,
        doc="A trade above the impact limit: SPLIT into daily orders or SHRINK to the limit.",
    )
    adaptive = param.Boolean(
        False,
        doc="Adapt each strategy to its realized outcomes (from the journal's decisions).",
    )
    learning_rate = param.Number(
        _ADAPTIVE.learning_rate,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        softbounds=(0.0, 0.2),
        step=0.005,
        doc="The most a calibration or Kelly scale moves in one period (a multiple).",
    )
    adaptation_period = param.Integer(
        _ADAPTIVE.adaptation_period,
        bounds=(1, None),
        softbounds=(1, 100),
        doc="Realized outcomes of a strategy between two updates.",
    )
    journal = param.Parameter(
        default=None,
        precedence=-1,
        doc="The decision journal the adaptation learns from (a Journal, a SQLite file or a "
        "postgresql:// URL), or None.",
    )

    SETTINGS: ClassVar[tuple[str, ...]] = (
        *(n for name in RULE_SETTINGS for n in (name, f"{name}_hard")),
        *OTHER_POLICY_SETTINGS,
        *SIZING_SETTINGS,
        *EXECUTION_SETTINGS,
        *ADAPTIVE_SETTINGS,
    )

    #: the target weights of :meth:`set_targets` (None: the model's own rebalance requests)
    _targets: Mapping[str, float] | None = None
    #: the last learned adaptive state, by (journal, settings, close, market): the journal is
    #: read again only when one of them changes
    _learned: dict[tuple[Any, ...], AdaptiveState] = {}  # replaced on a change, never mutated

    @property
    def targets(self) -> Mapping[str, float] | None:
        """The target weights set by :meth:`set_targets` (a read-only mapping), or None."""
        return None if self._targets is None else MappingProxyType(self._targets)

    def set_targets(self, weights: Mapping[str, float] | pd.Series | None) -> None:
        """Coordinate toward target weights: one recomputation.

        The targets become the rebalance request the engine takes:
        :func:`~portlab.ui.targets.target_request` from the state's current weights at the
        market's last prices (:func:`~portlab.ui.targets.current_weights`), timestamped at
        the market's last date. It replaces the model's rebalance requests (the signals
        stay), so the decisions are the trades toward the targets that the current policy
        and sizing allow. The targets stay until the next call: a change of a setting, of
        the state or of the market rebuilds the request from them.

        Parameters
        ----------
        weights : mapping of str to float, Series, or None
            Target weight per instrument, signed fractions of NAV (e.g.
            ``OptimizerModel().result.weights``); instruments left out keep their current
            weight. None clears the targets: the model's original ``rebalance_requests``
            apply again.

        Raises
        ------
        ValidationError
            ``weights`` is not a mapping or Series, or a weight is not a finite number (the
            model is left unchanged). A target on an instrument not in the market is the
            engine's to refuse: a rejection with reason ``UNKNOWN_INSTRUMENT``.
        """
        self._targets = None if weights is None else _target_weights(weights)
        self.update()

    def _requests(self) -> RequestsLike:
        """The rebalance requests to coordinate: the targets' request, or the model's own."""
        if self._targets is None:
            return self.rebalance_requests
        request = target_request(
            self._targets,
            current_weights(self.state, self.market),
            timestamp=self.market.dates[-1],
        )
        return [] if request is None else [request]

    def _load_settings(self) -> None:
        policy, sizing = self.coordinator.policy, self.coordinator.sizing
        values: dict[str, Any] = {}
        for name in RULE_SETTINGS:
            rule = getattr(policy, name)
            values[name], values[f"{name}_hard"] = rule.limit, rule.hard
        values.update({n: getattr(policy, n) for n in OTHER_POLICY_SETTINGS})
        values.update({n: getattr(sizing, n) for n in SIZING_SETTINGS})
        values.update({n: getattr(self.coordinator.execution, n) for n in EXECUTION_SETTINGS})
        if values["market_impact_limit"] is None:
            values["market_impact_limit"] = 0.0  # the slider's "no limit"
        given = self.coordinator.adaptive
        config = given.config if isinstance(given, AdaptiveState) else given
        values["adaptive"] = config is not None
        config = config or _ADAPTIVE
        values.update(
            learning_rate=config.learning_rate, adaptation_period=config.adaptation_period
        )
        self.param.update(**values)

    def policy_settings(self) -> dict[str, Any]:
        """The policy as the model holds it, in :class:`~portlab.Policy`'s mapping form."""
        out: dict[str, Any] = {
            name: {"limit": getattr(self, name), "hard": getattr(self, f"{name}_hard")}
            for name in RULE_SETTINGS
        }
        out.update({n: getattr(self, n) for n in OTHER_POLICY_SETTINGS})
        return out

    def sizing_settings(self) -> dict[str, Any]:
        """The sizing settings the model holds, in :class:`~portlab.SizingConfig`'s form."""
        return {n: getattr(self, n) for n in SIZING_SETTINGS}

    def execution_settings(self) -> dict[str, Any]:
        """The execution rules the model holds, in :class:`~portlab.ExecutionRulesConfig`'s
        form (an impact limit of 0 is no limit: None)."""
        out = {n: getattr(self, n) for n in EXECUTION_SETTINGS}
        out["market_impact_limit"] = out["market_impact_limit"] or None
        return out

    def adaptive_config(self) -> AdaptiveConfig | None:
        """The adaptation settings the model holds (None when ``adaptive`` is off): the
        coordinator's (or the defaults) with the model's learning rate and period."""
        if not self.adaptive:
            return None
        given = self.coordinator.adaptive
        base = given.config if isinstance(given, AdaptiveState) else given or _ADAPTIVE
        return AdaptiveConfig.model_validate(
            {
                **base.model_dump(),
                "learning_rate": self.learning_rate,
                "adaptation_period": self.adaptation_period,
            }
        )

    def settings_coordinator(self) -> Coordinator:
        """The coordinator with the model's policy, sizing and execution settings, and the
        given coordinator's adaptation as it is (raises ConfigError if they are invalid)."""
        return configured(
            self.coordinator,
            policy=self.policy_settings(),
            sizing=self.sizing_settings(),
            execution=self.execution_settings(),
        )

    def build_coordinator(self) -> Coordinator:
        """The coordinator of the current settings (raises ConfigError if they are invalid).

        With ``adaptive`` on it holds the state learned from :attr:`journal`'s outcomes by
        the market's last close (:func:`~portlab.ui.adaptive.learned_state`; neutral without
        a journal), or the coordinator's own state when it was given one with the same
        settings and there is no journal.
        """
        base = self.settings_coordinator()
        config = self.adaptive_config()
        given = self.coordinator.adaptive
        if config is None:
            return base.replace(adaptive=None)
        if self.journal is None and isinstance(given, AdaptiveState) and given.config == config:
            return base.replace(adaptive=given)
        key = (id(self.journal), config, self.market.dates[-1], id(self.market))
        if key not in self._learned:
            self._learned = {key: learned_state(config, self.journal, self.market, base)}
        return base.replace(adaptive=self._learned[key])

    def _compute(self) -> PolicyOutcome:
        coordinator = self.build_coordinator()
        result = coordinator.coordinate(self.signals, self.state, self.market, self._requests())
        usage = limit_usage(self.state, self.market, coordinator.policy, result.decisions)
        stats = result.stats
        return PolicyOutcome(
            coordination=result,
            coordinator=coordinator,
            decisions=result.decisions,
            rejections=result.rejections,
            limits=usage.limits,
            positions=usage.positions,
            sectors=usage.sectors,
            counts=MappingProxyType({k: int(stats[k]) for k in COUNT_NAMES}),
            state_after=usage.state_after,
        )

    def _code(self) -> str:
        """The script of :meth:`to_code`: coordinates the batch with the current settings.

        It defines ``coordinator`` and ``result`` (the CoordinationResult); with targets set,
        also ``targets`` and the ``rebalance_requests`` built from them.
        """
        coordinator = self.build_coordinator()
        uses, extra, body = self.USES, [], []
        if self._targets is not None:
            uses = tuple(n for n in uses if n != "rebalance_requests")
            extra = ["from portlab.ui import current_weights, target_request"]
            body = [
                f"targets = {literal(dict(self._targets), 0, len('targets = '))}",
                "current = current_weights(state, market)",
                "request = target_request(targets, current, timestamp=market.dates[-1])",
                "rebalance_requests = [] if request is None else [request]",
            ]
        imports, inputs = self._inputs_code(uses)
        body += [
            *coordinator_code(coordinator),
            "result = coordinator.coordinate(signals, state, market, rebalance_requests)",
        ]
        return script(["import portlab", *imports, *extra], inputs, body)


def _target_weights(weights: Mapping[str, float] | pd.Series) -> dict[str, float]:
    """``weights`` as a plain ``{instrument: float}``, every weight a finite number."""
    if not isinstance(weights, Mapping | pd.Series):
        raise ValidationError(
            "targets: expected a mapping or Series of weights by instrument (fractions of NAV), "
            f"got {type(weights).__name__}"
        )
    out: dict[str, float] = {}
    for iid, value in weights.items():
        try:
            w = float(value)
        except (TypeError, ValueError):
            w = math.nan
        if isinstance(value, bool) or not math.isfinite(w):
            raise ValidationError(
                f"targets[{str(iid)!r}]: expected a finite weight (fraction of NAV), got {value!r}"
            )
        out[str(iid)] = w
    return out

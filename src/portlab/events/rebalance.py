"""``RebalanceRequestEvent``: a request from the portfolio management side.

The coordination engine consumes the short form (instrument-level ``target_adjustments`` and
``constraints``); the rebalancing triggers (``docs/specification.md`` §10) produce the full
form, which adds ``trigger_reason``, strategy-level and sector-level adjustments,
``constraints.cost_limit`` and ``risk_considerations``. One model reads both (specification
§1).

Each element of ``target_adjustments`` is one of three kinds, told apart by its key:
``instrument_id`` → :class:`InstrumentAdjustment`, ``strategy_id`` →
:class:`StrategyAdjustment`, ``sector`` → :class:`SectorAdjustment`.

Each kind's ``adjustment_needed`` must agree with target minus current (weights, or
exposures for sectors) within :data:`ADJUSTMENT_TOLERANCE`; a contradiction is an error on
``target_adjustments.<i>.adjustment_needed`` giving both numbers (behaviour change, issue #8:
it used to be accepted silently). A request without ``eventId`` gets ``"rebal-"`` + 16 hex
digits derived from its content.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Tag, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from portlab.events._types import (
    EventBlock,
    EventModel,
    Finite,
    NonEmptyStr,
    NonNegative,
    Priority,
    RebalanceType,
    Severity,
    TriggerType,
    Urgency,
)

__all__ = [
    "ADJUSTMENT_TOLERANCE",
    "InstrumentAdjustment",
    "RebalanceConstraints",
    "RebalanceRequestEvent",
    "RiskConsiderations",
    "SectorAdjustment",
    "StrategyAdjustment",
    "TargetAdjustment",
    "TriggerReason",
]


ADJUSTMENT_TOLERANCE = 2e-3
"""Largest accepted gap between ``adjustment_needed`` and target - current, as a fraction of
portfolio value (0.2 %).

Three values each rounded to 3 decimals differ by at most 0.0015, so files written with 3 or
more decimals (the bundled example uses 4) always pass; a sign error or a typo larger than
0.2 % of portfolio value does not."""


def _check_adjustment(value: float, info: ValidationInfo, current: str, target: str) -> float:
    """``adjustment_needed`` must equal ``target - current`` within the tolerance."""
    data = info.data
    if current not in data or target not in data:  # already reported as bad fields
        return value
    implied = data[target] - data[current]
    gap = abs(value - implied)
    if gap > ADJUSTMENT_TOLERANCE:
        message = (
            f"{value:.6g} contradicts {target} - {current} = {data[target]:.6g} - "
            f"{data[current]:.6g} = {implied:.6g} (off by {gap:.3g}, more than the tolerance "
            f"{ADJUSTMENT_TOLERANCE:g})"
        )
        raise PydanticCustomError("adjustment_mismatch", message)  # no braces in it
    return value


class InstrumentAdjustment(EventBlock):
    """A target weight change for one instrument.

    Attributes
    ----------
    instrument_id : str
        Instrument identifier.
    current_weight, target_weight : float
        Weights as fractions of portfolio value (negative for shorts).
    adjustment_needed : float
        Weight change wanted, a fraction of portfolio value: ``target_weight -
        current_weight`` within :data:`ADJUSTMENT_TOLERANCE`, else an error.
    urgency : Urgency, optional
        How soon the change is wanted.
    priority : Priority, optional
        Priority against other adjustments.
    """

    instrument_id: NonEmptyStr
    current_weight: Finite
    target_weight: Finite
    adjustment_needed: Finite
    urgency: Urgency | None = None
    priority: Priority | None = None

    @field_validator("adjustment_needed")
    @classmethod
    def _agrees(cls, value: float, info: ValidationInfo) -> float:
        return _check_adjustment(value, info, "current_weight", "target_weight")


class StrategyAdjustment(EventBlock):
    """A target capital weight change for one strategy.

    Attributes
    ----------
    strategy_id : str
        Strategy identifier, e.g. ``"momentum_strategy"``.
    current_weight, target_weight : float
        Fractions of portfolio value allocated to the strategy.
    adjustment_needed : float
        Weight change wanted (fraction of portfolio value): ``target_weight -
        current_weight`` within :data:`ADJUSTMENT_TOLERANCE`, else an error.
    priority : Priority
        Priority against other adjustments.
    """

    strategy_id: NonEmptyStr
    current_weight: Finite
    target_weight: Finite
    adjustment_needed: Finite
    priority: Priority

    @field_validator("adjustment_needed")
    @classmethod
    def _agrees(cls, value: float, info: ValidationInfo) -> float:
        return _check_adjustment(value, info, "current_weight", "target_weight")


class SectorAdjustment(EventBlock):
    """A target exposure change for one sector.

    Attributes
    ----------
    sector : str
        Sector name, e.g. ``"technology"``.
    current_exposure, target_exposure : float
        Net sector exposures as fractions of portfolio value.
    adjustment_needed : float
        Exposure change wanted (fraction of portfolio value): ``target_exposure -
        current_exposure`` within :data:`ADJUSTMENT_TOLERANCE`, else an error.
    affected_instruments : list of str
        Instruments through which the change should be made.
    """

    sector: NonEmptyStr
    current_exposure: Finite
    target_exposure: Finite
    adjustment_needed: Finite
    affected_instruments: list[NonEmptyStr]

    @field_validator("adjustment_needed")
    @classmethod
    def _agrees(cls, value: float, info: ValidationInfo) -> float:
        return _check_adjustment(value, info, "current_exposure", "target_exposure")


_KIND_BY_KEY = (
    ("instrument_id", "InstrumentAdjustment"),
    ("strategy_id", "StrategyAdjustment"),
    ("sector", "SectorAdjustment"),
)
_KIND_BY_TYPE: dict[type, str] = {
    InstrumentAdjustment: "InstrumentAdjustment",
    StrategyAdjustment: "StrategyAdjustment",
    SectorAdjustment: "SectorAdjustment",
}


def _adjustment_kind(value: Any) -> str | None:
    """Tell which kind of target adjustment ``value`` is, from the key it carries."""
    if isinstance(value, dict):
        for key, kind in _KIND_BY_KEY:
            if key in value:
                return kind
        return None
    for cls, kind in _KIND_BY_TYPE.items():
        if isinstance(value, cls):
            return kind
    return None


TargetAdjustment = Annotated[
    Annotated[InstrumentAdjustment, Tag("InstrumentAdjustment")]
    | Annotated[StrategyAdjustment, Tag("StrategyAdjustment")]
    | Annotated[SectorAdjustment, Tag("SectorAdjustment")],
    Discriminator(
        _adjustment_kind,
        custom_error_type="adjustment_kind",
        custom_error_message=(
            "Target adjustment must have one of 'instrument_id', 'strategy_id' or 'sector'"
        ),
    ),
]
"""One element of ``target_adjustments``: instrument, strategy or sector level."""


class RebalanceConstraints(EventBlock):
    """The ``constraints`` block of a rebalance request.

    Attributes
    ----------
    max_turnover : float
        Maximum one-way turnover of the rebalance, a fraction of portfolio value (``>= 0``).
    min_trade_size : float
        Smallest trade worth making, in currency (``>= 0``).
    execution_timeframe : str
        Time allowed for execution, e.g. ``"1_day"``.
    cost_limit : float, optional
        Maximum transaction cost as a fraction of traded value (``0.002`` is 20 bp).
    """

    max_turnover: NonNegative
    min_trade_size: NonNegative
    execution_timeframe: NonEmptyStr
    cost_limit: NonNegative | None = None


class TriggerReason(EventBlock):
    """Why a rebalance was requested.

    Attributes
    ----------
    type : TriggerType
        The trigger, e.g. ``WEIGHT_DEVIATION``.
    description : str
        Human-readable explanation.
    severity : Severity
        How serious the deviation is.
    urgency : Urgency
        How soon it should be corrected.
    """

    type: TriggerType
    description: str
    severity: Severity
    urgency: Urgency


class RiskConsiderations(EventBlock):
    """Risk context of a rebalance request.

    Attributes
    ----------
    current_portfolio_var, target_portfolio_var : float
        Portfolio value at risk before and after, as fractions of portfolio value.
    correlation_impact : str
        Intended correlation effect, e.g. ``"REDUCE_TECH_CORRELATION"``.
    liquidity_requirements : str
        Liquidity need, e.g. ``"NORMAL"``.
    """

    current_portfolio_var: Finite
    target_portfolio_var: Finite
    correlation_impact: str
    liquidity_requirements: str


class RebalanceRequestEvent(EventModel):
    """A portfolio rebalance request.

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON; when not given, ``"rebal-"`` + 16 hex digits derived from
        the request's content.
    timestamp : datetime
        UTC time of the request.
    portfolio_id : str
        Portfolio to rebalance.
    rebalance_type : RebalanceType
        ``STRATEGIC``, ``TACTICAL``, ``RISK_DRIVEN`` or ``TIME_BASED``.
    target_adjustments : list of TargetAdjustment
        Instrument-, strategy- and sector-level changes, in any mix.
    constraints : RebalanceConstraints
        Turnover, trade size, timeframe and cost limits.
    trigger_reason : TriggerReason, optional
        What triggered the request.
    risk_considerations : RiskConsiderations, optional
        Risk context.
    """

    id_prefix: ClassVar[str] = "rebal-"

    portfolio_id: NonEmptyStr
    rebalance_type: RebalanceType
    trigger_reason: TriggerReason | None = None
    target_adjustments: list[TargetAdjustment]
    constraints: RebalanceConstraints
    risk_considerations: RiskConsiderations | None = None

    @property
    def instrument_adjustments(self) -> list[InstrumentAdjustment]:
        """The instrument-level elements of ``target_adjustments``, in order."""
        return [a for a in self.target_adjustments if isinstance(a, InstrumentAdjustment)]

    @property
    def strategy_adjustments(self) -> list[StrategyAdjustment]:
        """The strategy-level elements of ``target_adjustments``, in order."""
        return [a for a in self.target_adjustments if isinstance(a, StrategyAdjustment)]

    @property
    def sector_adjustments(self) -> list[SectorAdjustment]:
        """The sector-level elements of ``target_adjustments``, in order."""
        return [a for a in self.target_adjustments if isinstance(a, SectorAdjustment)]

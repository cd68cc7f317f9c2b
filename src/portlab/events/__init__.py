"""Pydantic models of portlab's event contracts, with their exact JSON shapes.

The contracts (each event's JSON shape, field meanings and units) are specified in
``docs/specification.md`` §1 "Event contracts".

Events
------
TradingSignalEvent
    A trading signal (consumed by the coordination engine).
RebalanceRequestEvent
    A rebalance request (instrument-, strategy- and sector-level adjustments).
CoordinatedTradingDecisionEvent
    The engine's sized, policy-checked decision.
TradeExecutedEvent
    A fill.
PortfolioOptimizationEvent
    A strategy-level optimization result.
PerformanceAttributionEvent
    A performance attribution report.

Every event has ``event_id`` (``"eventId"`` in JSON, a string; when not given, derived from
the event's content: ``"sig-"``/``"rebal-"``/``"evt-"`` + 16 hex digits of the SHA-256 of its
canonical JSON, so the same input always gives the same id) and a UTC ``timestamp`` (now by
default, millisecond precision, written as ``2025-06-21T10:30:00.200Z``), plus ``to_dict()``,
``to_json()``, ``from_dict()`` and ``from_json()``. Reading then writing an event gives back
the same JSON.

Units: weights, exposures and sizes are fractions of portfolio value (``0.05`` is 5 %);
returns are fractions; amounts are in currency; prices per share.

Batches (:func:`parse_events`, :func:`read_jsonl`, :func:`signals_from_frame`, ...) keep
every good event and return one :class:`EventError` per bad field; no input, however
malformed (not UTF-8, not JSON, nested 100,000 deep, a pretty-printed array), raises anything
but a :class:`~portlab.exceptions.PortlabError`. A rebalance adjustment whose
``adjustment_needed`` contradicts target - current by more than :data:`ADJUSTMENT_TOLERANCE`
is an error. :func:`write_jsonl` writes atomically.
"""

from __future__ import annotations

from portlab.events._errors import MAX_ERRORS_PER_EVENT, MAX_INT_DIGITS, MAX_NESTING
from portlab.events._types import (
    EVENT_ID_DIGITS,
    MAX_EXACT_INT,
    Action,
    CheckStatus,
    EventBlock,
    EventModel,
    Priority,
    RebalanceType,
    Severity,
    Strength,
    Timestamp,
    TriggerType,
    Urgency,
    content_event_id,
    format_timestamp,
)
from portlab.events.attribution import (
    AttributionPeriod,
    PerformanceAttributionEvent,
    PortfolioPerformance,
    RiskAttribution,
    SectorAttribution,
    StrategyAttribution,
)
from portlab.events.batch import (
    EventBatch,
    EventError,
    parse_events,
    parse_rebalance_requests,
    parse_signals,
    read_jsonl,
    write_jsonl,
)
from portlab.events.decision import (
    CoordinatedTradingDecisionEvent,
    Decision,
    ExecutionStrategy,
    PolicyCompliance,
    PortfolioContext,
    PositionSizing,
    RiskMetrics,
    SectorExposureImpact,
    SignalBasis,
)
from portlab.events.execution import Execution, TradeExecutedEvent
from portlab.events.frames import (
    SIGNAL_COLUMNS,
    events_from_frame,
    events_to_frame,
    signals_from_frame,
    signals_to_frame,
)
from portlab.events.optimization import (
    ExpectedPortfolioMetrics,
    MarketRegime,
    OptimizationReasoning,
    OptimizationResult,
    PortfolioOptimizationEvent,
)
from portlab.events.rebalance import (
    ADJUSTMENT_TOLERANCE,
    InstrumentAdjustment,
    RebalanceConstraints,
    RebalanceRequestEvent,
    RiskConsiderations,
    SectorAdjustment,
    StrategyAdjustment,
    TargetAdjustment,
    TriggerReason,
)
from portlab.events.signal import DEFAULT_STRATEGY, ExpectedOutcomes, Signal, TradingSignalEvent

EVENT_TYPES: dict[str, type[EventModel]] = {
    cls.__name__: cls
    for cls in (
        TradingSignalEvent,
        RebalanceRequestEvent,
        CoordinatedTradingDecisionEvent,
        TradeExecutedEvent,
        PortfolioOptimizationEvent,
        PerformanceAttributionEvent,
    )
}
"""Every event class by its name, e.g. ``EVENT_TYPES["TradingSignalEvent"]``."""

__all__ = [
    "ADJUSTMENT_TOLERANCE",
    "DEFAULT_STRATEGY",
    "EVENT_ID_DIGITS",
    "EVENT_TYPES",
    "MAX_ERRORS_PER_EVENT",
    "MAX_EXACT_INT",
    "MAX_INT_DIGITS",
    "MAX_NESTING",
    "SIGNAL_COLUMNS",
    "Action",
    "AttributionPeriod",
    "CheckStatus",
    "CoordinatedTradingDecisionEvent",
    "Decision",
    "EventBatch",
    "EventBlock",
    "EventError",
    "EventModel",
    "Execution",
    "ExecutionStrategy",
    "ExpectedOutcomes",
    "ExpectedPortfolioMetrics",
    "InstrumentAdjustment",
    "MarketRegime",
    "OptimizationReasoning",
    "OptimizationResult",
    "PerformanceAttributionEvent",
    "PolicyCompliance",
    "PortfolioContext",
    "PortfolioOptimizationEvent",
    "PortfolioPerformance",
    "PositionSizing",
    "Priority",
    "RebalanceConstraints",
    "RebalanceRequestEvent",
    "RebalanceType",
    "RiskAttribution",
    "RiskConsiderations",
    "RiskMetrics",
    "SectorAdjustment",
    "SectorAttribution",
    "SectorExposureImpact",
    "Severity",
    "Signal",
    "SignalBasis",
    "StrategyAdjustment",
    "StrategyAttribution",
    "Strength",
    "Timestamp",
    "TradeExecutedEvent",
    "TradingSignalEvent",
    "TriggerReason",
    "TriggerType",
    "TargetAdjustment",
    "Urgency",
    "content_event_id",
    "events_from_frame",
    "events_to_frame",
    "format_timestamp",
    "parse_events",
    "parse_rebalance_requests",
    "parse_signals",
    "read_jsonl",
    "signals_from_frame",
    "signals_to_frame",
    "write_jsonl",
]

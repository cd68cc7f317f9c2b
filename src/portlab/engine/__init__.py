"""The shared coordination engine: the coordination workflow of the specification.

One public entry, :class:`Coordinator`; its configuration (:class:`Policy`,
:class:`SizingConfig`, :class:`RiskLoopConfig`, :class:`ExecutionRulesConfig`), strategy
registry (:class:`Strategy`, :class:`TrackRecord`) and enums. The stage modules are implementation; their column tables
are declared in :mod:`portlab.engine.columns`, their tolerances in
:mod:`portlab.engine.tolerances`.
"""

from portlab.engine.adaptation import AdaptiveConfig, AdaptiveState
from portlab.engine.config import (
    ExecutionRulesConfig,
    Policy,
    RiskLoopConfig,
    Rule,
    SizingConfig,
    load_config,
    load_settings,
)
from portlab.engine.coordinator import Coordinator
from portlab.engine.enums import (
    AllocationMode,
    ImpactAction,
    KellyFormula,
    MinSizeRule,
    OrderType,
    Resolution,
    SizingMethod,
    TimeInForce,
)
from portlab.engine.outcome import RejectReason
from portlab.engine.result import CoordinationResult
from portlab.engine.strategies import PerformanceTier, Strategy, TrackRecord
from portlab.engine.strategymap import PortfolioStrategies, StrategyEntry, load_portfolio

__all__ = [
    "AdaptiveConfig",
    "AdaptiveState",
    "AllocationMode",
    "CoordinationResult",
    "Coordinator",
    "ExecutionRulesConfig",
    "ImpactAction",
    "KellyFormula",
    "MinSizeRule",
    "OrderType",
    "PerformanceTier",
    "PortfolioStrategies",
    "Policy",
    "RejectReason",
    "Resolution",
    "RiskLoopConfig",
    "Rule",
    "SizingConfig",
    "SizingMethod",
    "Strategy",
    "StrategyEntry",
    "TimeInForce",
    "TrackRecord",
    "load_config",
    "load_settings",
    "load_portfolio",
]

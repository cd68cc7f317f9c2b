"""The shared coordination engine (seed 000, with the pipeline of seeds 003 and 004).

One public entry, :class:`Coordinator`; its configuration (:class:`Policy`,
:class:`SizingConfig`, :class:`RiskLoopConfig`), strategy registry (:class:`Strategy`,
:class:`TrackRecord`) and enums. The stage modules are private implementation.
"""

from portlab.engine.config import (
    AllocationMode,
    KellyFormula,
    MinSizeRule,
    Policy,
    Resolution,
    RiskLoopConfig,
    Rule,
    SizingConfig,
    load_config,
)
from portlab.engine.coordinator import Coordinator
from portlab.engine.outcome import RejectReason
from portlab.engine.result import CoordinationResult
from portlab.engine.strategies import PerformanceTier, Strategy, TrackRecord

__all__ = [
    "AllocationMode",
    "CoordinationResult",
    "Coordinator",
    "KellyFormula",
    "MinSizeRule",
    "PerformanceTier",
    "Policy",
    "RejectReason",
    "Resolution",
    "RiskLoopConfig",
    "Rule",
    "SizingConfig",
    "Strategy",
    "TrackRecord",
    "load_config",
]

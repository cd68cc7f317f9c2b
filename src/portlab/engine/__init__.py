"""The shared coordination engine: the coordination workflow of the specification.

One public entry, :class:`Coordinator`; its configuration (:class:`Policy`,
:class:`SizingConfig`, :class:`RiskLoopConfig`), strategy registry (:class:`Strategy`,
:class:`TrackRecord`) and enums. The stage modules are implementation; their column tables
are declared in :mod:`portlab.engine.columns`, their tolerances in
:mod:`portlab.engine.tolerances`.
"""

from portlab.engine.config import Policy, RiskLoopConfig, Rule, SizingConfig, load_config
from portlab.engine.coordinator import Coordinator
from portlab.engine.enums import (
    AllocationMode,
    KellyFormula,
    MinSizeRule,
    Resolution,
    SizingMethod,
)
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
    "SizingMethod",
    "Strategy",
    "TrackRecord",
    "load_config",
]

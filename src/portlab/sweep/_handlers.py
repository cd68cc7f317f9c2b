"""Each kind of scenario's handler: the module that checks, runs and measures it."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol

from portlab.sweep._kinds import SweepKind

__all__ = ["Handler", "handler", "metrics"]

_MODULES = {
    SweepKind.COORDINATION: "portlab.sweep._coordination",
    SweepKind.BACKTEST: "portlab.sweep._backtest",
    SweepKind.REPORT: "portlab.sweep._report",
}


class Handler(Protocol):
    """What a kind's module provides."""

    METRICS: dict[str, str]

    def axes(self) -> list[str] | None:
        """The axes the kind takes (None: checked by :meth:`check` alone)."""

    def check(self, parameters: Mapping[str, Any], inputs: Any) -> dict[str, Any]:
        """The parameters in canonical form; ConfigError (naming the axis) otherwise."""

    def digest(self, parameters: Mapping[str, Any], inputs: Any) -> dict[str, str]:
        """Digests of the shared inputs the scenario reads."""

    def execute(self, parameters: Mapping[str, Any], inputs: Any, scenario: str) -> Any:
        """Run the scenario; its full result."""

    def measure(self, result: Any) -> dict[str, Any]:
        """The metrics of a result."""


def handler(kind: SweepKind) -> Handler:
    """The handler module of ``kind``."""
    return importlib.import_module(_MODULES[SweepKind(kind)])  # type: ignore[return-value]


def metrics(kind: SweepKind) -> dict[str, str]:
    """The metric columns of ``kind``: name -> dtype."""
    return dict(handler(kind).METRICS)

"""Coordination scenarios: a signal batch coordinated with the base policy changed along the
engine axes (policy limits, sizing, resolution, allocation mode)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from portlab.sweep._settings import configure, engine_axes, unknown_axis

if TYPE_CHECKING:
    from portlab.engine import CoordinationResult, Coordinator
    from portlab.sweep._inputs import SignalBatch, SweepInputs

__all__ = ["METRICS", "SIGNALS", "axes", "check", "digest", "execute", "measure"]

#: the axis naming the signal batch
SIGNALS = "signals"
#: rules that raise a size rather than bound it (not counted among the binding limits)
_RAISING = frozenset({"min_position_size"})

#: the metrics of a coordination scenario: name -> dtype
METRICS: dict[str, str] = {
    "signals_total": "Int64",  # signals in the batch
    "decisions": "Int64",  # decisions taken
    "rejections": "Int64",  # signals and rebalance adjustments rejected
    "capital_deployed": "float64",  # sum of the decisions' trade amounts, currency
    "deployed_fraction": "float64",  # the same as a fraction of NAV
    "binding_limits": "str",  # rules that cut a size, with how many trades each cut
}


def axes() -> list[str]:
    """The axes a coordination scenario takes."""
    return [*engine_axes(), SIGNALS]


def _prepare(
    parameters: Mapping[str, Any], inputs: SweepInputs
) -> tuple[Coordinator, SignalBatch, dict[str, Any]]:
    known = axes()
    for axis in parameters:
        if axis not in known:
            raise unknown_axis(axis, known)
    engine = {k: v for k, v in parameters.items() if k != SIGNALS}
    coordinator, values = configure(inputs.base, engine)
    name = parameters.get(SIGNALS)
    batch = inputs.batch(None if name is None else str(name))
    values = {k: (str(name) if k == SIGNALS else values[k]) for k in parameters}
    return coordinator, batch, values


def check(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, Any]:
    """The parameters as the engine holds them; ConfigError naming the axis otherwise."""
    return _prepare(parameters, inputs)[2]


def digest(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, str]:
    """Digests of the inputs a scenario reads: the prices and portfolio, the base
    configuration and its signal batch."""
    name = parameters.get(SIGNALS)
    return {
        "book": inputs.digest("book"),
        "base": inputs.digest("base"),
        "signals": inputs.digest("signals", None if name is None else str(name)),
    }


def execute(
    parameters: Mapping[str, Any], inputs: SweepInputs, scenario: str
) -> CoordinationResult:
    """Coordinate the scenario's batch with its configuration."""
    coordinator, batch, _ = _prepare(parameters, inputs)
    return coordinator.coordinate(
        batch.signals, inputs.portfolio, inputs.market, batch.rebalance_requests
    )


def binding_limits(result: CoordinationResult) -> dict[str, int]:
    """How many candidate trades each rule cut, most first: the policy limit that capped a
    trade, the batch limit that cut its allocation, the final check that trimmed it (read
    from the sizing waterfall with :func:`portlab.ui.sizing.sizing_steps`)."""
    from portlab.ui.sizing import sizing_steps

    counts: dict[str, int] = {}
    for _, row in result.waterfall.iterrows():
        for rule in dict.fromkeys(sizing_steps(row)["rule"]):
            if rule and rule not in _RAISING:
                counts[rule] = counts.get(rule, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def measure(result: CoordinationResult) -> dict[str, Any]:
    """The metrics (:data:`METRICS`) of a coordination."""
    deployed = float(result.decisions["trade_amount"].sum())
    bound = binding_limits(result)
    return {
        "signals_total": int(result.stats["total_signals"]),
        "decisions": int(result.n_decisions),
        "rejections": len(result.rejection_records()),
        "capital_deployed": deployed,
        "deployed_fraction": deployed / float(result.nav),
        "binding_limits": ", ".join(f"{rule} {n}" for rule, n in bound.items()),
    }

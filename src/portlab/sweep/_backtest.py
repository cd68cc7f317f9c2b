"""Backtest scenarios: strategies under a configuration over a date split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ConfigError
from portlab.sweep._settings import configure, engine_axes, is_engine_axis, unknown_axis

if TYPE_CHECKING:
    from portlab.analytics.backtest import Backtest, BacktestResult, Period
    from portlab.sweep._inputs import SweepInputs

__all__ = ["JOIN", "METRICS", "axes", "check", "digest", "execute", "measure"]

#: joins the strategies of one scenario: ``momentum+mean_reversion`` runs both together
JOIN = "+"
STRATEGY, CONFIGURATION, SPLIT, FREQUENCY, COST = (
    "strategy", "configuration", "split", "frequency", "cost",
)  # fmt: skip

#: the metrics of a backtest scenario (:meth:`BacktestResult.summary`'s): name -> dtype
METRICS: dict[str, str] = {
    "final_equity": "float64",
    "total_return": "float64",
    "annual_return": "float64",
    "annual_volatility": "float64",
    "sharpe": "float64",
    "max_drawdown": "float64",
    "turnover": "float64",
    "costs": "float64",
    "n_rebalances": "Int64",
    "n_signals": "Int64",
    "n_decisions": "Int64",
    "n_rejections": "Int64",
    "n_trades": "Int64",
}


def axes() -> list[str]:
    """The axes a backtest scenario takes."""
    return [STRATEGY, CONFIGURATION, SPLIT, FREQUENCY, COST, *engine_axes()]


def _names(parameters: Mapping[str, Any], inputs: SweepInputs) -> list[str]:
    given = parameters.get(STRATEGY)
    if given is None:
        return list(inputs.strategies) or ["momentum", "mean_reversion", "ma_crossover"]
    names = [n.strip() for n in str(given).split(JOIN)]
    if not all(names):
        raise ConfigError(f"strategy: {given!r}: an empty strategy name")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"strategy: {given!r} names {repeated[0]} twice")
    return names


def _settings(parameters: Mapping[str, Any], inputs: SweepInputs) -> tuple[str, float]:
    import pandas as pd

    frequency = parameters.get(FREQUENCY, inputs.frequency)
    try:
        pd.tseries.frequencies.to_offset(frequency)
    except (TypeError, ValueError):
        raise ConfigError(
            "frequency: not a pandas offset alias (e.g. 'W-FRI' weekly, 'ME' monthly)"
        ) from None
    cost = parameters.get(COST, inputs.cost)
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not 0 <= cost < 1:
        raise ConfigError(f"cost: a fraction of the traded notional in [0, 1), got {cost!r}")
    return str(frequency), float(cost)


def _prepare(
    parameters: Mapping[str, Any], inputs: SweepInputs
) -> tuple[Backtest, Period, dict[str, Any]]:
    from portlab.analytics.backtest import Backtest

    known = axes()
    for axis in parameters:
        if axis not in known:
            raise unknown_axis(axis, known)
    names = _names(parameters, inputs)
    strategies = [inputs.strategy(n) for n in names]
    given = parameters.get(CONFIGURATION)
    base = inputs.configuration(None if given is None else str(given))
    engine = {k: v for k, v in parameters.items() if is_engine_axis(k)}
    coordinator, values = configure(base, engine)
    period = inputs.period(str(parameters.get(SPLIT, "all")))
    frequency, cost = _settings(parameters, inputs)
    own = {
        STRATEGY: JOIN.join(names),
        CONFIGURATION: None if given is None else str(given),
        SPLIT: str(parameters.get(SPLIT)),
        FREQUENCY: frequency,
        COST: cost,
    }
    canonical = {k: own[k] if k in own else values[k] for k in parameters}
    runner = Backtest(
        strategies,
        coordinator,
        frequency=frequency,
        cost=cost,
        initial_cash=inputs.initial_cash,
    )
    return runner, period, canonical


def check(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, Any]:
    """The parameters in canonical form; ConfigError naming the axis otherwise."""
    return _prepare(parameters, inputs)[2]


def digest(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, str]:
    """Digests of the inputs a scenario reads: prices, strategies, configuration, dates and
    the backtest settings."""
    given = parameters.get(CONFIGURATION)
    return {
        "market": inputs.digest("market"),
        "strategies": ",".join(inputs.digest("strategy", n) for n in _names(parameters, inputs)),
        "configuration": inputs.digest("configuration", None if given is None else str(given)),
        "split": inputs.digest("split", str(parameters.get(SPLIT, "all"))),
        "backtest": inputs.digest("backtest"),
    }


def execute(parameters: Mapping[str, Any], inputs: SweepInputs, scenario: str) -> BacktestResult:
    """Run the scenario's backtest."""
    runner, period, _ = _prepare(parameters, inputs)
    return runner.run(inputs.market, period.start, period.end, progress=False)


def measure(result: BacktestResult) -> dict[str, Any]:
    """The metrics (:data:`METRICS`): :meth:`BacktestResult.summary`'s figures."""
    summary = result.summary()
    return {name: summary[name] for name in METRICS}

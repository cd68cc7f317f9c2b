"""Per-instrument strategy maps: which strategies speak for each instrument, with what weight,
and how each instrument's signals are combined (the implementation plan's portfolio strategy
configuration).

A :class:`PortfolioStrategies` is read from YAML (or a mapping) in the plan's shape::

    name: tech_portfolio
    instruments: [AAPL, MSFT, NVDA]          # the plan's "stocks" is read as well
    strategies:                              # instrument -> strategy -> weight and params
      AAPL:
        ma_crossover: {weight: 0.6, params: {short_window: 10, long_window: 50}}
        random_forest: {weight: 0.4}
      MSFT:
        momentum: 1.0                        # a bare number is the weight
    aggregators:                             # instrument -> Resolution (optional)
      AAPL: WEIGHTED_AVERAGE
    default_aggregator: HIGHEST_PRIORITY     # optional; default: the coordinator's resolution
    allocations: {ma_crossover: 0.3, random_forest: 0.2, momentum: 0.3}   # optional

Given to ``Coordinator(portfolio=...)``, it changes three things: a signal on an instrument the
portfolio does not list, or from a strategy not mapped to its instrument, is rejected
(UNMAPPED_STRATEGY, the detail naming the instrument's strategies); each signal's aggregation
weight is its strategy's weight for that instrument; and each instrument's signals are
resolved by its own aggregator. ``allocations`` registers the strategies' capital budgets
(as ``Coordinator(strategies={name: allocation})``).

Examples
--------
>>> p = PortfolioStrategies.model_validate({
...     "name": "demo", "stocks": ["AAPL", "MSFT"],
...     "strategies": {"AAPL": {"trend": {"weight": 0.6}, "value": 0.4},
...                    "MSFT": {"trend": 1.0}},
...     "aggregators": {"AAPL": "WEIGHTED_AVERAGE"}})
>>> p.instruments, p.weight("AAPL", "value"), p.weight("MSFT", "value")
(['AAPL', 'MSFT'], 0.4, None)
>>> p.aggregator("AAPL", "HIGHEST_PRIORITY"), p.aggregator("MSFT", "HIGHEST_PRIORITY")
(<Resolution.WEIGHTED_AVERAGE: 'WEIGHTED_AVERAGE'>, <Resolution.HIGHEST_PRIORITY: 'HIGHEST_PRIORITY'>)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from portlab.engine.enums import Resolution
from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.table import Table, take
from portlab.exceptions import ConfigError

__all__ = ["PortfolioStrategies", "StrategyEntry", "apply_strategy_map", "load_portfolio"]


class StrategyEntry(BaseModel):
    """One strategy's say on one instrument.

    Parameters
    ----------
    weight : float
        Aggregation weight of its signals on that instrument (> 0).
    params : dict
        The strategy's parameters for that instrument (kept, not read by the engine).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    params: dict[str, Any] = Field(default_factory=dict)


class PortfolioStrategies(BaseModel):
    """A portfolio's instruments, the strategies that speak for each, and how each
    instrument's signals are combined (see the module docstring for the YAML shape).

    Raises
    ------
    ConfigError
        From :func:`load_portfolio`: a strategy map for an instrument not listed, an unknown
        aggregator, a weight that is not positive, an unknown key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "portfolio"
    instruments: list[str] = Field(min_length=1)
    strategies: dict[str, dict[str, StrategyEntry]]
    aggregators: dict[str, Resolution] = Field(default_factory=dict)
    default_aggregator: Resolution | None = None
    allocations: dict[str, float] = Field(default_factory=dict)

    @_model_validator(mode="before")
    @classmethod
    def _plan_names(cls, data: Any) -> Any:
        # the plan calls the instruments "stocks"
        if isinstance(data, Mapping) and "stocks" in data:
            if "instruments" in data:
                raise ValueError("give the instruments once: 'instruments' or 'stocks'")
            renamed = {("instruments" if k == "stocks" else k): v for k, v in data.items()}
            return renamed
        return data

    @field_validator("strategies", mode="before")
    @classmethod
    def _bare_weights(cls, value: Any) -> Any:
        # ``momentum: 0.5`` is ``momentum: {weight: 0.5}``
        if not isinstance(value, Mapping):
            return value
        return {
            inst: {
                name: {"weight": spec} if isinstance(spec, int | float) else spec
                for name, spec in (entries or {}).items()
            }
            if isinstance(entries, Mapping | type(None))
            else entries
            for inst, entries in value.items()
        }

    @_model_validator(mode="after")
    def _only_listed(self) -> PortfolioStrategies:
        listed = set(self.instruments)
        for what, keys in (("strategies", self.strategies), ("aggregators", self.aggregators)):
            extra = sorted(set(keys) - listed)
            if extra:
                raise ValueError(f"{what} for instruments not listed in instruments: {extra}")
        missing = sorted(set(self.strategy_names()) - set(self.allocations))
        if self.allocations and missing:
            raise ValueError(f"allocations: none given for the mapped strategies {missing}")
        return self

    def weight(self, instrument: str, strategy: str) -> float | None:
        """The strategy's weight on the instrument, or None when it is not mapped there."""
        entry = self.strategies.get(instrument, {}).get(strategy)
        return None if entry is None else entry.weight

    def aggregator(self, instrument: str, default: Resolution | str) -> Resolution:
        """The instrument's aggregator: its own, else the portfolio's default, else
        ``default`` (the coordinator's resolution)."""
        chosen = self.aggregators.get(instrument, self.default_aggregator)
        return Resolution(chosen if chosen is not None else default)

    def strategy_names(self) -> list[str]:
        """Every strategy mapped to some instrument, sorted."""
        return sorted({s for entries in self.strategies.values() for s in entries})


def load_portfolio(
    portfolio: PortfolioStrategies | Mapping[str, Any] | str | Path,
) -> PortfolioStrategies:
    """A :class:`PortfolioStrategies` from itself, a mapping or a YAML file.

    Raises
    ------
    ConfigError
        The file cannot be read, or the map is invalid (each problem named, one a line).
    """
    if isinstance(portfolio, PortfolioStrategies):
        return portfolio
    where = "portfolio"
    if isinstance(portfolio, str | Path):
        import yaml

        where = str(portfolio)
        try:
            data = yaml.safe_load(Path(portfolio).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{where}: cannot read the portfolio strategy map ({exc})") from None
    else:
        data = portfolio
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{where}: a portfolio strategy map is a mapping, got {type(data).__name__}"
        )
    try:
        return PortfolioStrategies.model_validate(dict(data))
    except ValidationError as exc:
        lines = [
            f"{where}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None


def apply_strategy_map(
    signals: Table, portfolio: PortfolioStrategies, default: Resolution, rej: Rejections
) -> Table:
    """Reject the signals the map does not allow; give the others their strategy's weight on
    their instrument (``strategy_weight``) and their instrument's aggregator
    (``aggregator``, a Resolution value).

    Parameters
    ----------
    signals : Table
        Enriched signals (:data:`~portlab.engine.columns.ENRICHMENT`).
    portfolio : PortfolioStrategies
    default : Resolution
        The coordinator's resolution (instruments without an aggregator of their own).
    rej : Rejections
        Receives the rejected signals (UNMAPPED_STRATEGY).
    """
    instruments = signals["instrument_id"]
    strategies = signals["strategy_id"]
    listed = set(portfolio.instruments)
    weights = np.array(
        [portfolio.weight(i, s) or np.nan for i, s in zip(instruments, strategies, strict=True)],
        dtype=float,
    )
    unlisted = np.array([i not in listed for i in instruments], dtype=bool)
    unmapped = np.isnan(weights) & ~unlisted
    for mask, detail in (
        (unlisted, lambda i, s: f"{i} is not one of the portfolio's instruments"),
        (
            unmapped,
            lambda i, s: (
                f"strategy {s} does not speak for {i} (its strategies: "
                f"{', '.join(sorted(portfolio.strategies.get(i, {}))) or 'none'})"
            ),
        ),
    ):
        if mask.any():
            rej.add(
                Source.SIGNAL,
                signals["signal_id"][mask],
                instruments[mask],
                strategies[mask],
                RejectReason.UNMAPPED_STRATEGY,
                [detail(i, s) for i, s in zip(instruments[mask], strategies[mask], strict=True)],
            )
    keep = ~(unlisted | unmapped)
    out = take(signals, keep)
    out["strategy_weight"] = weights[keep]
    out["aggregator"] = np.array(
        [portfolio.aggregator(i, default).value for i in out["instrument_id"]], dtype=object
    )
    return out

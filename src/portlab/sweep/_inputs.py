"""What every scenario of a sweep shares: the market, the portfolio, the signal batches, the
base coordinator, the named strategies and configurations of backtests and their date splits.

They travel to the Dask workers once (scattered), not with each scenario; a scenario names
the parts it uses (``signals: example``, ``configuration: tight``), and its id covers their
content (:meth:`SweepInputs.digest`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ConfigError, DataError
from portlab.sweep._settings import settings

if TYPE_CHECKING:
    from portlab.analytics.backtest import Period, SignalStrategy
    from portlab.engine import Coordinator
    from portlab.market import Market
    from portlab.state import PortfolioState

__all__ = ["EXAMPLE", "SPLITS", "SignalBatch", "SweepInputs", "load_inputs"]

#: the name of the bundled example batch (14 signals, a rebalance request) and portfolio
EXAMPLE = "example"
#: the split names a backtest's ``split`` axis takes besides periods defined by dates
SPLITS = ("all", "train", "validation", "test")
_DEFAULT_SPLITS = (0.6, 0.2, 0.2)


@dataclass(frozen=True)
class SignalBatch:
    """Signals and rebalance requests coordinated together in a coordination scenario.

    Attributes
    ----------
    signals : tuple or DataFrame
        ``TradingSignalEvent`` objects (or their JSON dicts), or a DataFrame with the columns
        of :data:`portlab.events.SIGNAL_COLUMNS`.
    rebalance_requests : tuple
        ``RebalanceRequestEvent`` objects (or their JSON dicts); may be empty.
    """

    signals: Any
    rebalance_requests: tuple = ()

    def text(self) -> str:
        """The batch as canonical text (its digest's input)."""
        import pandas as pd

        def one(event: Any) -> str:
            if hasattr(event, "model_dump_json"):
                return event.model_dump_json()
            return json.dumps(event, sort_keys=True, default=str)

        if isinstance(self.signals, pd.DataFrame):
            signals = self.signals.to_json(orient="split", date_format="iso", double_precision=15)
        else:
            signals = "\n".join(one(e) for e in self.signals)
        return signals + "\n--\n" + "\n".join(one(e) for e in self.rebalance_requests)


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, eq=False)
class SweepInputs:
    """The inputs a sweep's scenarios share (build it with :func:`load_inputs`).

    Attributes
    ----------
    market : Market
    state : PortfolioState
        The portfolio coordination scenarios start from.
    coordinator : Coordinator
        The base configuration: coordination scenarios change it along their engine axes;
        a backtest without a ``configuration`` axis runs it.
    signals : mapping of str to SignalBatch
        The batches a coordination scenario's ``signals`` axis names.
    strategies : mapping of str to SignalStrategy
        Named strategies a backtest's ``strategy`` axis names (the built-in types
        ``momentum``, ``mean_reversion`` and ``ma_crossover`` are always there by name).
    configurations : mapping of str to Coordinator
        Named configurations a backtest's ``configuration`` axis names.
    periods : mapping of str to Period
        Date ranges a backtest's ``split`` axis names (``all``, ``train``, ``validation``,
        ``test`` and any named in the spec).
    frequency, cost, initial_cash
        The backtests' rebalance schedule, proportional cost and starting cash.
    report_parameters : mapping
        Parameters every report scenario gets (its axes add to and override them).
    report_folder : Path, optional
        Where report scenarios write their pages.
    files : tuple of Path
        The files the inputs were read from: a sweep's output may be none of them.
    """

    market: Market
    state: PortfolioState | None = None
    coordinator: Coordinator | None = None
    signals: Mapping[str, SignalBatch] = field(default_factory=dict)
    strategies: Mapping[str, SignalStrategy] = field(default_factory=dict)
    configurations: Mapping[str, Coordinator] = field(default_factory=dict)
    periods: Mapping[str, Period] = field(default_factory=dict)
    frequency: str = "W-FRI"
    cost: float = 0.001
    initial_cash: float = 1_000_000.0
    report_parameters: Mapping[str, Any] = field(default_factory=dict)
    report_folder: Path | None = None
    files: tuple[Path, ...] = ()

    def __repr__(self) -> str:
        return (
            f"SweepInputs(market={len(self.market.instruments)} instruments x "
            f"{len(self.market.dates)} dates, signals={list(self.signals)}, "
            f"strategies={list(self.strategies)}, configurations={list(self.configurations)}, "
            f"periods={list(self.periods)})"
        )

    @property
    def base(self) -> Coordinator:
        """The base coordinator (``Coordinator()`` when none was given)."""
        from portlab.engine import Coordinator

        return self.coordinator if self.coordinator is not None else Coordinator()

    @property
    def portfolio(self) -> PortfolioState:
        """The portfolio (the bundled example's when none was given)."""
        if self.state is not None:
            return self.state
        from portlab.datasets import example_batch

        return example_batch().state

    # -- content digests: what a scenario id covers ---------------------------------------
    @cached_property
    def _market_digest(self) -> str:
        from portlab.reports import fingerprint

        return fingerprint(self.market)

    @cached_property
    def _book_digest(self) -> str:
        from portlab.reports import fingerprint

        return fingerprint(self.market, self.portfolio)

    @cached_property
    def _batch_digests(self) -> dict[str, str]:
        return {name: _digest(batch.text()) for name, batch in self.signals.items()}

    def digest(self, part: str, name: str | None = None) -> str:
        """A short SHA-256 of the content of one shared input.

        Parameters
        ----------
        part : {"market", "book", "base", "signals", "strategy", "configuration", "split",
                "backtest", "report"}
            ``market`` the prices; ``book`` the prices and the portfolio (with
            :func:`portlab.reports.fingerprint`); ``base`` the base coordinator's settings;
            ``signals`` the batch ``name``; ``strategy`` the strategy ``name`` (its class
            and parameters); ``configuration`` the configuration ``name``'s settings;
            ``split`` the period ``name``'s dates; ``backtest`` the frequency, cost and
            starting cash; ``report`` the shared report parameters.

        Raises
        ------
        ConfigError
            ``name`` is none of that part's names.
        """
        if part == "market":
            return self._market_digest
        if part == "book":
            return self._book_digest
        if part == "base":
            return _digest(settings(self.base))
        if part == "signals":
            return self._batch_digests[self.batch_name(name)]
        if part == "strategy":
            return _digest(repr(self.strategy(str(name))))
        if part == "configuration":
            return _digest(settings(self.configuration(name)))
        if part == "split":
            return _digest([str(d) for d in self.period(str(name))])
        if part == "backtest":
            return _digest(self.frequency, float(self.cost), float(self.initial_cash))
        if part == "report":
            return _digest(dict(self.report_parameters))
        raise ValueError(f"unknown input part {part!r}")

    # -- lookups by name: each error names the axis ----------------------------------------
    def batch_name(self, name: str | None) -> str:
        """The batch a coordination scenario uses: ``name``, or the only batch when None."""
        if name is None:
            if len(self.signals) == 1:
                return next(iter(self.signals))
            if not self.signals:
                raise ConfigError("signals: no signal batch in the inputs")
            raise ConfigError(
                f"signals: several batches ({', '.join(self.signals)}); add a signals axis "
                "naming one"
            )
        if name not in self.signals:
            raise ConfigError(
                f"signals: no batch {name!r}; the batches are {', '.join(self.signals) or 'none'}"
            )
        return name

    def batch(self, name: str | None) -> SignalBatch:
        """The signal batch ``name`` (the only one when None)."""
        return self.signals[self.batch_name(name)]

    def strategy(self, name: str) -> SignalStrategy:
        """The strategy ``name``: a named one of the inputs, else a built-in type with its
        default parameters."""
        from portlab.analytics.backtest import StrategyRegistry

        if name in self.strategies:
            return self.strategies[name]
        registry = StrategyRegistry()
        if name not in registry:
            defined = ", ".join([*self.strategies, *sorted(registry.types)])
            raise ConfigError(f"strategy: unknown strategy {name!r}; the strategies are {defined}")
        return registry.create(name)

    def configuration(self, name: str | None) -> Coordinator:
        """The configuration ``name`` (the base coordinator when None)."""
        if name is None:
            return self.base
        if name not in self.configurations:
            known = ", ".join(self.configurations) or "none (define them under configurations)"
            raise ConfigError(
                f"configuration: no configuration {name!r}; the configurations are {known}"
            )
        return self.configurations[name]

    def period(self, name: str) -> Period:
        """The date range of the split ``name``."""
        if name not in self.periods:
            known = ", ".join(self.periods) or "none"
            raise ConfigError(f"split: no split {name!r}; the splits are {known}")
        return self.periods[name]


# -- reading the inputs --------------------------------------------------------------------


def _path(value: Any, base: Path | None) -> Path:
    path = Path(value)
    return path if base is None or path.is_absolute() else base / path


def _file(label: str, value: Any, base: Path | None, files: list[Path]) -> Path:
    path = _path(value, base)
    if not path.is_file():
        raise DataError(f"{label}: {path}: no such file")
    files.append(path)
    return path


def _market(market: Any, sectors: Any, base: Path | None, files: list[Path]) -> Market:
    from portlab.datasets import load_sample
    from portlab.market import Market

    if isinstance(market, Market):
        return market
    if market is None or str(market) == "sample":
        return load_sample()
    path = _file("market", market, base, files)
    given = _file("sectors", sectors, base, files) if sectors is not None else None
    return Market.from_csv(path, sectors=given)


def _batch(name: str, value: Any, base: Path | None, files: list[Path]) -> SignalBatch:
    from portlab.reports import load_batch

    if isinstance(value, SignalBatch):
        return value
    if value is None or value == EXAMPLE:
        batch = load_batch()
    else:
        spec = value if isinstance(value, Mapping) else {"signals": value}
        unknown = sorted(set(spec) - {"signals", "rebalance"})
        if unknown or "signals" not in spec:
            raise ConfigError(
                f"signals.{name}: expected 'example', a signals file or "
                "{signals: FILE, rebalance: FILE}"
            )
        rebalance = spec.get("rebalance")
        batch = load_batch(
            _file(f"signals.{name}", spec["signals"], base, files),
            "" if rebalance is None else _file(f"signals.{name}.rebalance", rebalance, base, files),
        )
    if len(batch.invalid):
        from portlab.exceptions import warn

        first = batch.invalid.iloc[0]
        warn(
            f"signals.{name}: {len(batch.invalid)} invalid line(s) left out (first: "
            f"{first['file']}:{first['line']}: {first['field']}: {first['message']})"
        )
    return SignalBatch(tuple(batch.signals), tuple(batch.rebalance_requests))


def _coordinator(label: str, value: Any, base: Path | None, files: list[Path]) -> Coordinator:
    from portlab.engine import Coordinator, load_settings

    if isinstance(value, Coordinator):
        return value
    if value is None:
        return Coordinator()
    if isinstance(value, Mapping):
        sections = ("policy", "sizing", "risk_loop", "execution")
        unknown = sorted(set(value) - {*sections, "resolution", "file"})
        if unknown:
            raise ConfigError(
                f"{label}: unknown section(s) {', '.join(map(str, unknown))}; expected file, "
                "policy, sizing, risk_loop, execution, resolution"
            )
        start = _coordinator(label, value.get("file"), base, files)
        from portlab.sweep._settings import configure

        changes = {
            f"{section}.{key}": v
            for section in sections
            for key, v in (value.get(section) or {}).items()
        }
        if "resolution" in value:
            changes["resolution"] = value["resolution"]
        try:
            return configure(start, changes)[0]
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
    path = _file(label, value, base, files)
    settings = load_settings(path)
    return Coordinator(settings.pop("policy"), settings.pop("sizing"), **settings)


def _strategies(value: Any) -> dict[str, SignalStrategy]:
    from portlab.analytics.backtest import SignalStrategy, StrategyRegistry

    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError("strategies: expected a mapping of name -> {type, params}")
    built = {str(k): v for k, v in value.items() if isinstance(v, SignalStrategy)}
    rest = {str(k): v for k, v in value.items() if not isinstance(v, SignalStrategy)}
    if rest:
        built |= StrategyRegistry().build({"strategies": rest})
    bad = sorted(name for name in built if "+" in name)
    if bad:
        raise ConfigError(f"strategies: {bad[0]!r}: a name may not hold '+' (it joins strategies)")
    return {str(k): built[str(k)] for k in value}


def _periods(
    market: Market,
    start: Any,
    end: Any,
    splits: Sequence[float] | None,
    gap: int,
    named: Mapping[str, Any] | None,
) -> dict[str, Period]:
    import pandas as pd

    from portlab.analytics.backtest import Period, split
    from portlab.dates import as_naive_utc

    dates = market.dates
    lo = dates[0] if start is None else as_naive_utc(start, "start")
    hi = dates[-1] if end is None else as_naive_utc(end, "end")
    window = dates[(dates >= lo) & (dates <= hi)]
    if len(window) < 2:
        raise ConfigError(f"start/end: fewer than two market dates from {lo.date()} to {hi.date()}")
    periods = {"all": Period(pd.Timestamp(window[0]), pd.Timestamp(window[-1]))}
    if splits:
        if len(splits) != 3:
            raise ConfigError(
                f"splits: expected three fractions (train, validation, test), got {list(splits)}"
            )
        cut = split(window, *splits, gap=gap)
        periods |= {"train": cut.train, "validation": cut.validation, "test": cut.test}
    for name, value in (named or {}).items():
        if name in periods:
            raise ConfigError(f"periods.{name}: the name of a split; choose another")
        if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2):
            raise ConfigError(f"periods.{name}: expected [start, end], got {value!r}")
        first, last = (as_naive_utc(v, f"periods.{name}") for v in value)
        if first > last:
            raise ConfigError(f"periods.{name}: {first.date()} is after {last.date()}")
        periods[str(name)] = Period(first, last)
    return periods


def load_inputs(
    market: Market | str | Path = "sample",
    *,
    sectors: str | Path | None = None,
    portfolio: PortfolioState | str | Path | None = None,
    policy: Coordinator | Mapping[str, Any] | str | Path | None = None,
    signals: Mapping[str, Any] | None = None,
    strategies: Mapping[str, Any] | None = None,
    configurations: Mapping[str, Any] | None = None,
    start: Any = None,
    end: Any = None,
    splits: Sequence[float] | None = _DEFAULT_SPLITS,
    gap: int = 0,
    periods: Mapping[str, Any] | None = None,
    frequency: str = "W-FRI",
    cost: float = 0.001,
    initial_cash: float = 1_000_000.0,
    report_parameters: Mapping[str, Any] | None = None,
    report_folder: str | Path | None = None,
    base: str | Path | None = None,
) -> SweepInputs:
    """Read a sweep's shared inputs.

    Parameters
    ----------
    market : Market, "sample" or a prices CSV
        The bundled sample by default.
    sectors : path, optional
        A CSV of instrument sectors for a prices CSV.
    portfolio : PortfolioState or a portfolio JSON, optional
        Default: the bundled example portfolio (~$1M, eight holdings).
    policy : Coordinator, a policy YAML or a mapping, optional
        The base configuration (default ``Coordinator()``). A mapping has optional
        ``file`` (a policy YAML), ``policy``, ``sizing``, ``risk_loop`` (settings changed
        on top of it) and ``resolution``.
    signals : mapping of name to batch, optional
        Each batch is ``"example"`` (the bundled 14 signals and rebalance request), a JSON
        Lines file of signals, ``{signals: FILE, rebalance: FILE}`` or a
        :class:`SignalBatch`. Default: ``{"example": "example"}``.
    strategies : mapping of name to ``{type, params}`` or SignalStrategy, optional
        Named strategies for backtests (specification §14's shape).
    configurations : mapping of name to a policy YAML, a mapping (as ``policy``) or a
        Coordinator, optional
        Named configurations for backtests.
    start, end : date-like, optional
        The backtests' whole date range (default: the market's).
    splits : three fractions, optional
        Train, validation and test fractions of that range (:func:`~portlab.analytics.
        backtest.split`); None or empty: only ``all``.
    gap : int
        Dates left out between the splits.
    periods : mapping of name to [start, end], optional
        More named date ranges for the ``split`` axis.
    frequency, cost, initial_cash
        As :class:`~portlab.analytics.backtest.Backtest`'s.
    report_parameters : mapping, optional
        Parameters every report scenario gets.
    report_folder : path, optional
        Where report pages go (default ``reports`` under ``base``, or the working folder).
    base : path, optional
        The folder relative file names are read from (a spec file's folder).

    Returns
    -------
    SweepInputs

    Raises
    ------
    DataError, ConfigError
        A missing or unreadable file, an invalid policy, strategy or date range; the message
        names the input.

    Examples
    --------
    >>> inputs = load_inputs(splits=(0.5, 0.25, 0.25), start="2020-01-01", end="2020-12-31")
    >>> list(inputs.signals), list(inputs.periods)
    (['example'], ['all', 'train', 'validation', 'test'])
    >>> str(inputs.period("test").end.date())
    '2020-12-31'
    """
    files: list[Path] = []
    root = Path(base) if base is not None else None
    loaded = _market(market, sectors, root, files)
    from portlab.state import PortfolioState

    if portfolio is None:
        from portlab.datasets import example_paths

        state = PortfolioState.from_json(example_paths()["portfolio"])
    elif isinstance(portfolio, PortfolioState):
        state = portfolio
    else:
        state = PortfolioState.from_json(_file("portfolio", portfolio, root, files))
    batches = {
        str(name): _batch(str(name), value, root, files)
        for name, value in (signals if signals is not None else {EXAMPLE: EXAMPLE}).items()
    }
    configured = {
        str(name): _coordinator(f"configurations.{name}", value, root, files)
        for name, value in (configurations or {}).items()
    }
    folder = None
    if report_folder is not None:
        folder = _path(report_folder, root)
    elif root is not None:
        folder = root / "reports"
    return SweepInputs(
        market=loaded,
        state=state,
        coordinator=_coordinator("policy", policy, root, files),
        signals=batches,
        strategies=_strategies(strategies),
        configurations=configured,
        periods=_periods(loaded, start, end, splits, gap, periods),
        frequency=frequency,
        cost=cost,
        initial_cash=initial_cash,
        report_parameters=dict(report_parameters or {}),
        report_folder=folder,
        files=tuple(files),
    )

"""A report's inputs from its parameters, and the fingerprint its header prints
(:func:`portlab.fingerprints.fingerprint`, re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from portlab.engine import Coordinator
from portlab.fingerprints import fingerprint
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = [
    "ReportBatch",
    "ReportInputs",
    "fingerprint",
    "history_window",
    "load_batch",
    "load_coordinator",
    "load_inputs",
]


@dataclass(frozen=True)
class ReportInputs:
    """What a report reads: the market, the portfolio and the coordinator (its policy)."""

    market: Market
    state: PortfolioState
    coordinator: Coordinator

    @property
    def fingerprint(self) -> str:
        """:func:`fingerprint` of these inputs."""
        return fingerprint(self.market, self.state, self.coordinator)


def load_inputs(
    portfolio_file: str | Path | None = None,
    market: str | Path = "sample",
    sectors_file: str | Path | None = None,
    policy_file: str | Path | None = None,
    benchmark: str | Path | None = None,
) -> ReportInputs:
    """Read a report's inputs.

    Parameters
    ----------
    portfolio_file : str or Path, optional
        A portfolio in seed 004's JSON; None: the bundled example portfolio.
    market : str or Path, default "sample"
        "sample" (the bundled 20-stock sample) or a prices CSV (dates by instruments).
    sectors_file : str or Path, optional
        A CSV of instrument -> sector for a prices CSV.
    policy_file : str or Path, optional
        A policy YAML (``portlab policy --example``); None: the default policy.
    benchmark : str or Path, optional
        None: the market's own (the S&P 500 index for the sample; none for a prices CSV); the
        name of one of the market's instruments; or a CSV of benchmark prices (``Date`` and
        one price column).

    Raises
    ------
    DataError, ValidationError
        A file that does not exist or cannot be read, naming it.
    """
    from portlab.datasets import example_batch, load_sample
    from portlab.exceptions import DataError

    for given in (
        portfolio_file,
        sectors_file,
        policy_file,
        None if market == "sample" else market,
    ):
        if given is not None and not Path(given).is_file():
            raise DataError(f"{given}: no such file")
    if str(market) == "sample":
        prices = load_sample()
    else:
        prices = Market.from_csv(Path(market), sectors=sectors_file)
    if benchmark is not None:
        if str(benchmark) in prices.instruments:
            prices = prices.with_benchmark(str(benchmark))
        elif Path(benchmark).is_file():
            prices = prices.with_benchmark(Path(benchmark))
        else:
            raise DataError(
                f"benchmark: {benchmark} is neither an instrument of the market nor a file"
            )
    state = (
        example_batch().state
        if portfolio_file is None
        else PortfolioState.from_json(portfolio_file)
    )
    return ReportInputs(prices, state, load_coordinator(policy_file))


def load_coordinator(policy_file: str | Path | None = None) -> Coordinator:
    """The coordinator of a policy YAML (``portlab policy --example``): its policy, sizing,
    risk loop and execution rules; None: ``Coordinator()``, the default policy.

    Raises
    ------
    DataError, ConfigError
        A file that does not exist or cannot be read, or an invalid policy, naming it.

    Examples
    --------
    >>> from portlab.datasets import example_paths
    >>> load_coordinator(example_paths()["policy"]).policy.max_position_size.limit
    0.05
    """
    from portlab.exceptions import DataError

    if policy_file is None:
        return Coordinator()
    if not Path(policy_file).is_file():
        raise DataError(f"{policy_file}: no such file")
    return Coordinator.from_yaml(Path(policy_file))


@dataclass(frozen=True)
class ReportBatch:
    """The events a coordination report coordinates, and the input lines it could not read.

    Attributes
    ----------
    signals : tuple of TradingSignalEvent
    rebalance_requests : tuple of RebalanceRequestEvent
    invalid : DataFrame
        One row per problem of a line that was left out: ``file``, ``line``, ``field``,
        ``message`` (empty when every line was valid).
    """

    signals: tuple[Any, ...]
    rebalance_requests: tuple[Any, ...]
    invalid: pd.DataFrame


def load_batch(
    signals_file: str | Path | None = None, rebalance_file: str | Path | None = None
) -> ReportBatch:
    """Read a coordination report's signals and rebalance requests (JSON Lines, as
    ``portlab coordinate`` reads them): the valid lines are kept, the invalid ones listed.

    Parameters
    ----------
    signals_file : str or Path, optional
        ``TradingSignalEvent`` lines; None: the bundled example's 14 signals.
    rebalance_file : str or Path, optional
        ``RebalanceRequestEvent`` lines; None: the bundled example's request. An
        empty string: no rebalance request.

    Raises
    ------
    DataError
        A file that does not exist, or none of whose lines is a valid event.

    Examples
    --------
    >>> batch = load_batch()
    >>> len(batch.signals), len(batch.rebalance_requests), len(batch.invalid)
    (14, 1, 0)
    """
    from portlab.datasets import example_batch
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent, read_jsonl
    from portlab.exceptions import DataError

    example = example_batch()
    found: dict[str, tuple[Any, ...]] = {}
    problems: list[tuple[str, Any, str, str]] = []
    for key, given, model, default in (
        ("signals", signals_file, TradingSignalEvent, example.signals),
        ("rebalance", rebalance_file, RebalanceRequestEvent, example.rebalance_requests),
    ):
        if given is None or given == "":
            found[key] = tuple(default) if given is None else ()
            continue
        if not Path(given).is_file():
            raise DataError(f"{given}: no such file")
        batch = read_jsonl(Path(given), model)
        if batch.errors and not batch.events:
            raise DataError(f"{given}: no line is a valid {model.__name__}")
        found[key] = tuple(batch.events)
        name = Path(given).name
        problems += [(name, e.line, e.field, e.message) for e in batch.errors]
    invalid = pd.DataFrame(problems, columns=["file", "line", "field", "message"])
    return ReportBatch(found["signals"], found["rebalance"], invalid)


def history_window(market: Market, start: Any, end: Any = None) -> int:
    """The number of daily returns from ``start`` to ``end`` (both included): the ``window``
    of :class:`~portlab.ui.BookModel` that starts its history at ``start``.

    Parameters
    ----------
    market : Market
    start, end : date-like
        ISO dates or timestamps; ``end`` None is the market's last date.

    Raises
    ------
    ValidationError
        ``start`` after ``end``, or fewer than 21 returns between them (a month: the least a
        risk estimate is made from).

    Examples
    --------
    >>> from portlab.datasets import load_sample
    >>> history_window(load_sample(), "2022-01-01", "2022-12-28")
    249
    """
    from portlab.exceptions import ValidationError

    first = pd.Timestamp(start)
    last = pd.Timestamp(market.dates[-1] if end is None else end)
    if first > last:
        raise ValidationError(f"start: {first.date()} is after the end {last.date()}")
    n = int(market.returns.loc[first:last].shape[0])
    if n < 21:
        raise ValidationError(
            f"start: {n} trading days from {first.date()} to {last.date()}; at least 21 are needed"
        )
    return n

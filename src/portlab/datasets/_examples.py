"""The bundled example batch: signals from three strategies, a rebalance request and a portfolio,
and the example engine configuration (the default policy, spelled out with units).

The batch is dated 2022-12-28, the last day of the sample market, so it coordinates against
:func:`~portlab.datasets.load_sample` as of that day: prices, sectors and the risk model.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the events and the state load only when the example is
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent
    from portlab.state import PortfolioState

__all__ = ["ExampleBatch", "example_batch", "example_paths"]


@dataclass(frozen=True)
class ExampleBatch:
    """Signals, rebalance requests and the portfolio of the bundled example.

    Attributes
    ----------
    signals : list of TradingSignalEvent
        14 signals from three strategies, dated 2022-12-28.
    rebalance_requests : list of RebalanceRequestEvent
        One request with instrument-level adjustments.
    state : PortfolioState
        A portfolio of about $1M holding eight of the sample's stocks.
    """

    signals: list[TradingSignalEvent]
    rebalance_requests: list[RebalanceRequestEvent]
    state: PortfolioState


def example_paths() -> dict[str, Path]:
    """Paths of the example files inside the installed package.

    Keys: ``signals`` (JSON Lines of ``TradingSignalEvent``), ``rebalance`` (JSON Lines of
    ``RebalanceRequestEvent``), ``portfolio`` (the portfolio JSON shape, specification §1), ``policy``
    (a commented YAML configuration with every ``policy``, ``sizing`` and ``risk_loop``
    setting at its default and its unit: the file to copy and edit for
    :meth:`portlab.Coordinator.from_yaml` or ``portlab coordinate --policy``), ``strategies``
    (a per-instrument strategy map of the sample's 20 stocks, the implementation plan's
    portfolio strategy configuration: ``Coordinator(portfolio=...)`` or ``portlab coordinate
    --strategy-map``).
    """
    root = resources.files("portlab.datasets") / "data"
    return {
        "signals": Path(str(root / "example_signals.jsonl")),
        "rebalance": Path(str(root / "example_rebalance.jsonl")),
        "portfolio": Path(str(root / "example_portfolio.json")),
        "policy": Path(str(root / "example_policy.yaml")),
        "strategies": Path(str(root / "example_strategies.yaml")),
    }


def example_batch() -> ExampleBatch:
    """Load the bundled example: 14 signals (with conflicts and a HOLD), one rebalance request
    and a ~$1M portfolio holding eight of the sample's stocks (MSFT above the 5% limit)."""
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent, read_jsonl
    from portlab.state import PortfolioState

    paths = example_paths()
    signals = read_jsonl(paths["signals"], TradingSignalEvent).raise_if_errors().events
    requests = read_jsonl(paths["rebalance"], RebalanceRequestEvent).raise_if_errors().events
    return ExampleBatch(list(signals), list(requests), PortfolioState.from_json(paths["portfolio"]))

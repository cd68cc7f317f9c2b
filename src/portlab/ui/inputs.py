"""The data a view-model works on, and the bundled sample that fills in what is not given.

Every view-model takes ``market=``, ``state=``, ``signals=`` and ``rebalance_requests=``;
what is left out comes from the bundled sample (:func:`portlab.datasets.load_sample` and
:func:`portlab.datasets.example_batch`, the input of ``portlab demo``). The example's
rebalance request is used only together with the example's signals: a model given signals of
its own gets no rebalance request unless one is given too.

:func:`sample_inputs` also records, for each input taken from the sample, the Python
expression that loads it, so that :meth:`ViewModel.to_code <portlab.ui.base.ViewModel.to_code>`
can write a script that reproduces the model's result; an input given by the caller is
referred to by its name (the script expects a variable of that name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from portlab.datasets import example_batch, load_sample
from portlab.exceptions import ValidationError
from portlab.market import Market
from portlab.state import PortfolioState
from portlab.types import RequestsLike, SignalsLike

__all__ = ["INPUT_NAMES", "SAMPLE_CODE", "Inputs", "sample_inputs"]

#: the inputs of every view-model, in the order of ``Coordinator.coordinate``
INPUT_NAMES = ("market", "state", "signals", "rebalance_requests")

#: Python expressions that load each input from the bundled sample (``batch`` is
#: ``example_batch()``)
SAMPLE_CODE: Mapping[str, str] = MappingProxyType(
    {
        "market": "load_sample()",
        "state": "batch.state",
        "signals": "batch.signals",
        "rebalance_requests": "batch.rebalance_requests",
    }
)


@dataclass(frozen=True)
class Inputs:
    """A market, a portfolio, signals and rebalance requests, and where each came from.

    Attributes
    ----------
    market : Market
    state : PortfolioState
    signals : list of TradingSignalEvent, DataFrame, or None
        As :data:`portlab.types.SignalsLike`.
    rebalance_requests : list of RebalanceRequestEvent, or None
        As :data:`portlab.types.RequestsLike`.
    from_sample : frozenset of str
        Names of the inputs taken from the bundled sample (the others were given).
    """

    market: Market
    state: PortfolioState
    signals: SignalsLike
    rebalance_requests: RequestsLike
    from_sample: frozenset[str] = field(default=frozenset())


def sample_inputs(
    market: Market | None = None,
    state: PortfolioState | Mapping[str, Any] | None = None,
    signals: SignalsLike = None,
    rebalance_requests: RequestsLike = None,
) -> Inputs:
    """The given inputs, with the bundled sample in place of those left out (None).

    Parameters
    ----------
    market : Market, optional
        Default :func:`~portlab.datasets.load_sample` (20 US stocks, 1990-2022).
    state : PortfolioState or mapping in the portfolio file's shape, optional
        Default the example portfolio (about $1M, eight stocks, 72% cash). A mapping is read
        with :meth:`PortfolioState.from_dict`.
    signals : list of TradingSignalEvent (or their JSON dicts), or DataFrame, optional
        Default the example's 14 signals from three strategies.
    rebalance_requests : list of RebalanceRequestEvent (or dicts), optional
        Default the example's request when the signals are the example's too, else none.
        Pass ``[]`` for none with the example's signals.

    Returns
    -------
    Inputs

    Raises
    ------
    ValidationError
        ``market`` is not a Market, or ``state`` neither a PortfolioState nor a mapping.

    Examples
    --------
    >>> inputs = sample_inputs()
    >>> len(inputs.signals), len(inputs.rebalance_requests), sorted(inputs.from_sample)
    (14, 1, ['market', 'rebalance_requests', 'signals', 'state'])
    >>> sample_inputs(signals=[]).rebalance_requests is None
    True
    """
    if market is not None and not isinstance(market, Market):
        raise ValidationError(f"market must be a portlab.Market, got {type(market).__name__}")
    if isinstance(state, Mapping):
        state = PortfolioState.from_dict(state)
    if state is not None and not isinstance(state, PortfolioState):
        raise ValidationError(
            "state must be a PortfolioState or a mapping in the portfolio file's shape, "
            f"got {type(state).__name__}"
        )
    sample: set[str] = set()
    if market is None:
        market = load_sample()
        sample.add("market")
    if state is None or signals is None:
        batch = example_batch()
        if state is None:
            state = batch.state
            sample.add("state")
        if signals is None:
            signals = batch.signals
            sample.add("signals")
            if rebalance_requests is None:
                rebalance_requests = batch.rebalance_requests
                sample.add("rebalance_requests")
    return Inputs(market, state, signals, rebalance_requests, frozenset(sample))

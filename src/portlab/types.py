"""Type aliases for the inputs portlab's public functions accept, documented once.

A signature such as ``Coordinator.coordinate(signals: SignalsLike, state: StateLike, ...)``
says exactly what may be passed; each alias below lists the accepted forms and how they are
read. Other aliases live next to the module that defines their types:
:data:`portlab.dates.DateLike` (dates and times), :data:`portlab.io.PathLike` (file names),
:data:`portlab.engine.strategies.StrategiesLike` (strategy registrations).

This module is built on :mod:`portlab.events` and :mod:`portlab.state`, so those modules (and
the modules they import) cannot use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from portlab.events import RebalanceRequestEvent, TradingSignalEvent
from portlab.state import PortfolioState

__all__ = [
    "RebalanceRecord",
    "RequestsLike",
    "SignalRecord",
    "SignalsLike",
    "StateLike",
    "WeightsLike",
]

SignalRecord: TypeAlias = TradingSignalEvent | Mapping[str, Any] | str | bytes
"""One trading signal: an event, its JSON dict (the contract's field names, specification
§1), or its JSON text (str or UTF-8 bytes)."""

SignalsLike: TypeAlias = Sequence[SignalRecord] | pd.DataFrame | None
"""A batch of trading signals.

- a list (or tuple) of :data:`SignalRecord`: each is validated; an invalid one becomes an
  INVALID rejection naming its position and field, and the others go on;
- a DataFrame with the columns of :data:`portlab.events.SIGNAL_COLUMNS` (``instrument_id``,
  ``action`` and ``confidence`` required), one row per signal;
- None or an empty list: no signals.
"""

RebalanceRecord: TypeAlias = RebalanceRequestEvent | Mapping[str, Any] | str | bytes
"""One rebalance request: an event, its JSON dict, or its JSON text (str or UTF-8 bytes)."""

RequestsLike: TypeAlias = (
    RebalanceRequestEvent | Mapping[str, Any] | Sequence[RebalanceRecord] | None
)
"""Rebalance requests: one request (event or JSON dict), a list of :data:`RebalanceRecord`,
or None (no requests)."""

StateLike: TypeAlias = PortfolioState | Mapping[str, Any]
"""A portfolio: a :class:`~portlab.state.PortfolioState`, or a mapping in the portfolio
file's shape, ``{"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash":
100000.0}``, read with :meth:`PortfolioState.from_dict`."""

WeightsLike: TypeAlias = pd.Series | Mapping[str, float] | np.ndarray | PortfolioState
"""Portfolio weights (signed fractions of NAV): a Series or mapping indexed by instrument, an
array with one entry per instrument of the data it goes with (in its order), or a
:class:`~portlab.state.PortfolioState` (valued at the market's last prices)."""

"""Type aliases for the inputs portlab's public functions accept, documented once.

A signature such as ``Coordinator.coordinate(signals: SignalsLike, state: StateLike, ...)``
says exactly what may be passed; each alias below lists the accepted forms and how they are
read. Other aliases live next to the module that defines their types:
:data:`portlab.dates.DateLike` (dates and times), :data:`portlab.io.PathLike` (file names),
:data:`portlab.engine.strategies.StrategiesLike` (strategy registrations),
:data:`portlab.analytics.performance.Returns` (the return series of the performance metrics).

Where a function also takes a :class:`~portlab.market.Market` in place of the data an alias
describes, its signature says so (``returns: ReturnsLike | Market``): the Market's own data
(returns, covariance, sectors, prices) is then used.

This module is built on :mod:`portlab.events`, :mod:`portlab.state` and
:mod:`portlab.market`, so those modules (and the modules they import) cannot use it. The
analytics import it under ``typing.TYPE_CHECKING`` only (their annotations are not evaluated
at run time), so that importing them does not import the event models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from portlab.events import RebalanceRequestEvent, TradeExecutedEvent, TradingSignalEvent
from portlab.market import Market
from portlab.state import PortfolioState

if TYPE_CHECKING:  # the engine imports this module: its names are for annotations only
    from portlab.dates import DateLike
    from portlab.engine import CoordinationResult, Coordinator

__all__ = [
    "CovarianceLike",
    "DecisionRecorder",
    "EquityLike",
    "ExecutionRecord",
    "ExecutionsLike",
    "GroupsLike",
    "MatrixLike",
    "PricesLike",
    "RebalanceRecord",
    "RequestsLike",
    "ReturnsLike",
    "SeedLike",
    "SignalRecord",
    "SignalsLike",
    "StateLike",
    "TradesLike",
    "VectorLike",
    "WeightsLike",
]

# --------------------------------------------------------------------------- events and state

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

ExecutionRecord: TypeAlias = TradeExecutedEvent | Mapping[str, Any]
"""One executed trade: a :class:`~portlab.events.TradeExecutedEvent` or its JSON dict
(``{"eventId": ..., "timestamp": ..., "execution": {...}}``, specification §1). JSON text is
not read here: parse it with :meth:`TradeExecutedEvent.model_validate_json` first."""

ExecutionsLike: TypeAlias = ExecutionRecord | Iterable[ExecutionRecord]
"""Executed trades: one :data:`ExecutionRecord` or an iterable of them (a list, an
:class:`~portlab.events.EventBatch`), applied in the order given unless the function says
otherwise. A string is not an iterable of executions (a ``ValidationError``)."""

TradesLike: TypeAlias = pd.DataFrame | ExecutionsLike
"""A trade history: a table with one row per trade (date, instrument, signed shares, price
and optional fee columns, as :meth:`portlab.analytics.tax.LotLedger.from_trades` lists them;
a backtest's ``trades`` table reads as is), or executions (:data:`ExecutionsLike`), each of
which must carry its ``timestamp``."""

# --------------------------------------------------------------------------- per instrument

VectorLike: TypeAlias = pd.Series | Mapping[str, float] | np.ndarray | Sequence[float]
"""One number per instrument: a Series or mapping indexed by instrument id (matched by label),
or a 1-D array or sequence of numbers in the instruments' order (matched by position). What
happens to an instrument a Series or mapping leaves out (0, or an error) is the function's
to say."""

WeightsLike: TypeAlias = VectorLike | PortfolioState
"""Portfolio weights (signed fractions of NAV; what they leave over is cash): a
:data:`VectorLike` (a Series or mapping indexed by instrument, or an array or sequence with
one entry per instrument of the data it goes with, in its order), or a
:class:`~portlab.state.PortfolioState`, valued at the last prices of the
:class:`~portlab.market.Market` the function is given (a PortfolioState needs one)."""

GroupsLike: TypeAlias = pd.Series | Mapping[str, str]
"""Instrument id → group label (a sector, an asset class): a Series indexed by instrument or
a mapping. Whether an instrument without a label is an error or a group of its own
(``"Unknown"``) is the function's to say."""

PricesLike: TypeAlias = Mapping[str, float] | pd.Series | pd.DataFrame | Market
"""Prices per share (currency) by instrument at a valuation date: a mapping or Series
(instrument id → price), or a DataFrame of prices (dates × instruments, a date index) or a
:class:`~portlab.market.Market` (its ``prices``), read at their last row dated on or before
the valuation date."""

# --------------------------------------------------------------------------- time series

ReturnsLike: TypeAlias = pd.DataFrame | pd.Series
"""Simple per-period returns (fractions, 0.01 = 1 %), rows in date order: a DataFrame, dates ×
instruments (or × portfolios), NaN where missing; or a Series, one portfolio's returns
(taken by the functions whose ``weights`` may be None). The performance metrics take arrays
as well: :data:`portlab.analytics.performance.Returns`."""

EquityLike: TypeAlias = pd.Series | np.ndarray | Sequence[float]
"""An equity curve: portfolio values (currency) in time order, the first point being the
start, as a Series, a 1-D array or a sequence of numbers."""

MatrixLike: TypeAlias = pd.DataFrame | np.ndarray | Sequence[Sequence[float]]
"""A matrix of numbers: a DataFrame (its labels are read where the function says so), a 2-D
array, or a nested sequence of rows. The function says the shape it needs."""

CovarianceLike: TypeAlias = MatrixLike
"""A covariance matrix of returns, n × n, finite, symmetric and positive semi-definite: a
DataFrame labelled by instrument (index equal to columns, unless the function aligns it to
given labels), or a square 2-D array or nested sequence of numbers in the instruments' order
(labelled ``0 .. n-1``). Its units (per period, or annualised as portlab's estimators give
it) are the parameter's to say; :func:`portlab.linalg.check_covariance` validates it."""

# --------------------------------------------------------------------------- randomness

SeedLike: TypeAlias = int | np.random.Generator | None
"""A source of random numbers: an int ``>= 0`` (the same seed gives the same draws), a
``numpy.random.Generator`` (used as is, and advanced), or None (fresh entropy from the
operating system: not reproducible). A bool, float or string is a ``ValidationError``."""

# --------------------------------------------------------------------------- recording


@runtime_checkable
class DecisionRecorder(Protocol):
    """What ``Coordinator.coordinate(..., journal=...)`` accepts: anything with this
    ``record`` method. :class:`portlab.journal.Journal` is one; the engine knows only this
    protocol (it never imports the journal).

    ``record`` gets the result and the call's arguments as given, stores them, and returns
    an id for the run (set as ``CoordinationResult.run_id``).
    """

    def record(
        self,
        result: CoordinationResult,
        *,
        coordinator: Coordinator,
        signals: SignalsLike,
        state: StateLike,
        market: Market,
        rebalance_requests: RequestsLike = None,
        as_of: DateLike | None = None,
    ) -> str:
        """Store one coordination run; return its run id."""
        ...

"""Walk-forward backtests through the coordination engine, and side-by-side comparisons.

At each rebalance date ``t`` the strategies and the :class:`~portlab.Coordinator` see
``market.truncate(t)`` -- a :class:`~portlab.Market` holding only the data known at ``t``
(prices, risk model, volumes and sectors) -- so no step can read a later price. The
decisions fill at the next date's close (``Fill.NEXT_CLOSE``) or at ``t``'s close
(``Fill.CLOSE``), paying a proportional cost; between fills holdings drift with prices.

Accounting: cash changes only by fills, ``cash -= shares × price + cost`` with ``cost = rate ×
|shares × price|``; ``equity = cash + Σ shares × price`` at every close. The same trades drive
the :class:`~portlab.PortfolioState` the coordinator sees (through
:meth:`~portlab.PortfolioState.apply_trade`, fees to cash).
"""

from __future__ import annotations

import enum
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.backtest._account import (
    build_result,
    concat_columns,
    engine_frame,
    signal_columns,
    signal_log_frame,
)
from portlab.analytics.backtest._adaptive import account_for
from portlab.analytics.backtest._result import SUMMARY_FIELDS, BacktestResult
from portlab.analytics.backtest._split import dates_of
from portlab.analytics.backtest._strategies import SignalStrategy
from portlab.exceptions import ConfigError, PortlabError, ValidationError

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.engine import Coordinator
    from portlab.market import Market

__all__ = ["Backtest", "Fill", "compare"]


class Fill(enum.StrEnum):
    """When the decisions of a rebalance date are filled."""

    NEXT_CLOSE = "next_close"  #: at the close of the next date (the default; no same-bar fill)
    CLOSE = "close"  #: at the close of the decision date itself


def _progress(iterable: Iterable, total: int, progress: bool | None, desc: str) -> Iterable:
    """A tqdm bar over ``iterable``; with ``progress=None`` only on an interactive terminal."""
    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


class Backtest:
    """A walk-forward backtest of signal strategies coordinated by a :class:`~portlab.Coordinator`.

    Parameters
    ----------
    strategies : sequence of SignalStrategy, or mapping name → SignalStrategy
        Their names must be distinct (they become ``strategy_id`` and part of signal ids).
    coordinator : Coordinator, optional
        The engine configuration; default ``Coordinator()`` (the default policy, specification §2).
    frequency : str
        Pandas offset alias of the rebalance schedule: the last trading date of each period
        (``"W-FRI"`` weekly, ``"ME"`` monthly, ``"D"`` every date).
    cost : float
        Proportional transaction cost, a fraction of traded notional in ``[0, 1)`` (0.001 is
        10 bp), paid from cash on each fill.
    initial_cash : float
        Starting cash (currency, > 0); the portfolio starts with no holdings.
    fill : Fill or str
        ``"next_close"`` (default) or ``"close"``.

    Examples
    --------
    >>> from portlab.datasets import load_sample
    >>> from portlab.analytics.backtest import Backtest, Momentum
    >>> result = Backtest([Momentum()]).run(load_sample(), "2020-01-01", "2020-06-30")
    >>> result.summary()["n_rebalances"]
    26
    """

    def __init__(
        self,
        strategies: Sequence[SignalStrategy] | Mapping[str, SignalStrategy],
        coordinator: Coordinator | None = None,
        *,
        frequency: str = "W-FRI",
        cost: float = 0.001,
        initial_cash: float = 1_000_000.0,
        fill: Fill | str = Fill.NEXT_CLOSE,
    ) -> None:
        self.strategies = strategies
        self.coordinator = coordinator
        self.frequency = frequency
        self.cost = cost
        self.initial_cash = initial_cash
        self.fill = fill

    def __repr__(self) -> str:
        names = [s.name for s in self._strategies()] if self._ok_strategies() else "?"
        return (
            f"Backtest(strategies={names}, frequency={self.frequency!r}, cost={self.cost!r}, "
            f"initial_cash={self.initial_cash!r}, fill={str(self.fill)!r})"
        )

    # -- validation ----------------------------------------------------------------------------
    def _ok_strategies(self) -> bool:
        try:
            self._strategies()
        except PortlabError:
            return False
        return True

    def _strategies(self) -> list[SignalStrategy]:
        s = self.strategies
        items = list(s.values()) if isinstance(s, Mapping) else s
        if isinstance(items, SignalStrategy) or not isinstance(items, Sequence | Iterable):
            raise ConfigError("strategies must be a sequence or mapping of SignalStrategy")
        items = list(items)
        if not items:
            raise ConfigError("strategies: at least one strategy is needed")
        for i, x in enumerate(items):
            if not isinstance(x, SignalStrategy):
                raise ConfigError(f"strategies[{i}] is not a SignalStrategy ({type(x).__name__})")
            x.check()
        names = [x.name for x in items]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"strategies: duplicate names {dup}; give each a distinct name")
        return items

    def _settings(self) -> tuple[list[SignalStrategy], Coordinator, float, float, Fill]:
        strategies = self._strategies()
        try:
            pd.tseries.frequencies.to_offset(self.frequency)
        except (TypeError, ValueError):
            raise ConfigError(
                f"frequency {self.frequency!r} is not a pandas offset alias (e.g. 'W-FRI', 'ME')"
            ) from None
        c = self.cost
        if isinstance(c, bool) or not isinstance(c, int | float) or not (0 <= float(c) < 1):
            raise ConfigError(f"cost must be a fraction in [0, 1), got {c!r}")
        cash = self.initial_cash
        if (
            isinstance(cash, bool)
            or not isinstance(cash, int | float)
            or not (np.isfinite(cash) and cash > 0)
        ):
            raise ConfigError(f"initial_cash must be a positive number, got {cash!r}")
        try:
            fill = Fill(self.fill)
        except ValueError:
            raise ConfigError(
                f"fill must be one of {[f.value for f in Fill]}, got {self.fill!r}"
            ) from None
        return strategies, self._coordinator(self.coordinator), float(c), float(cash), fill

    @staticmethod
    def _coordinator(c: Coordinator | None) -> Coordinator:
        from portlab.engine import Coordinator

        if c is None:
            return Coordinator()
        if not callable(getattr(c, "coordinate", None)):
            raise ConfigError(f"coordinator must be a Coordinator, got {type(c).__name__}")
        return c

    def _calendar(
        self, market: Market, start: DateLike | None, end: DateLike | None, fill: Fill
    ) -> tuple:
        dates = dates_of(market)
        try:
            lo_ts = dates[0] if start is None else pd.Timestamp(start)
            hi_ts = dates[-1] if end is None else pd.Timestamp(end)
        except (TypeError, ValueError):
            raise ValidationError(f"start/end must be dates, got {start!r}, {end!r}") from None
        if lo_ts is pd.NaT or hi_ts is pd.NaT:
            raise ValidationError(f"start/end must be dates, got {start!r}, {end!r}")
        lo_ts, hi_ts = (t.tz_convert(None) if t.tzinfo is not None else t for t in (lo_ts, hi_ts))
        if lo_ts > hi_ts:
            raise ValidationError(f"start {lo_ts.date()} is after end {hi_ts.date()}")
        lo = int(dates.searchsorted(lo_ts, side="left"))
        hi = int(dates.searchsorted(hi_ts, side="right")) - 1
        if hi < lo:
            raise ValidationError(
                f"no market dates between {lo_ts.date()} and {hi_ts.date()} "
                f"(market {dates[0].date()}..{dates[-1].date()})"
            )
        rows = pd.Series(np.arange(lo, hi + 1), index=dates[lo : hi + 1])
        sched = rows.resample(self.frequency).last().dropna().to_numpy(dtype=np.int64)
        lag = 1 if fill is Fill.NEXT_CLOSE else 0
        sched = sched[sched + lag <= hi]
        return lo, hi, sched, lag

    # -- running -------------------------------------------------------------------------------
    def run(
        self,
        market: Market,
        start: DateLike | None = None,
        end: DateLike | None = None,
        progress: bool | None = None,
    ) -> BacktestResult:
        """Run the backtest over ``market`` from ``start`` to ``end`` (dates, inclusive).

        Parameters
        ----------
        market : Market
            Never mutated. Data before ``start`` serves as history (warm-up).
        start, end : str, Timestamp, datetime, date or datetime64, optional
            First and last date of the run (default: the market's).
        progress : bool, optional
            Show a tqdm progress bar; default only when stderr is an interactive terminal.

        Returns
        -------
        BacktestResult

        Raises
        ------
        ConfigError
            Invalid strategies, frequency, cost, initial cash or fill.
        ValidationError
            Dates outside the market or in the wrong order.
        """
        return self.run_many(market, {"backtest": self.coordinator}, start, end, progress)[
            "backtest"
        ]

    def run_many(
        self,
        market: Market,
        coordinators: Mapping[str, Coordinator | None],
        start: DateLike | None = None,
        end: DateLike | None = None,
        progress: bool | None = None,
    ) -> dict[str, BacktestResult]:
        """Run several coordinators side by side on the same signals (one pass over the dates).

        The strategies' signals depend only on the data, so they are generated once per date
        and every coordinator gets the same ones; each keeps its own portfolio. ``None`` as a
        coordinator means ``Coordinator()``. Returns name → :class:`BacktestResult`.
        """
        strategies, _, rate, cash, fill = self._settings()
        if not isinstance(coordinators, Mapping) or not coordinators:
            raise ConfigError("coordinators must be a non-empty mapping name -> Coordinator")
        accounts = {
            str(k): account_for(self._coordinator(c), cash, rate) for k, c in coordinators.items()
        }
        lo, hi, sched, lag = self._calendar(market, start, end, fill)
        dates = market.dates
        prices = market.prices
        raw = prices.to_numpy(dtype=np.float64, na_value=np.nan)
        last_valid = prices.ffill().to_numpy(dtype=np.float64, na_value=np.nan)
        col = {str(c): j for j, c in enumerate(prices.columns)}
        clock = {"view": 0.0, "signals": 0.0, "coordinate": 0.0, "total": 0.0}
        t_start = time.perf_counter()
        signal_log: list[tuple[pd.Timestamp, dict]] = []
        for row in _progress(sched, len(sched), progress, "backtest"):
            date = dates[row]
            t0 = time.perf_counter()
            view = market.truncate(date)
            t1 = time.perf_counter()
            try:
                cols = concat_columns([signal_columns(s, view, date) for s in strategies])
            except PortlabError as err:
                err.add_note(f"while generating signals on {date.date()}")
                raise
            signals = engine_frame(cols) if cols else None  # None: an empty batch
            t2 = time.perf_counter()
            clock["view"] += t1 - t0
            clock["signals"] += t2 - t1
            if cols:
                signal_log.append((date, cols))
            for acct in accounts.values():
                acct.fill(row, dates, raw, col)
                acct.liquidate_stale(view, date, last_valid[row], col)
                try:
                    acct.decide(view, signals, date, row + lag, dates[row + lag])
                except PortlabError as err:
                    err.add_note(f"while coordinating on {date.date()}")
                    raise
                if lag == 0:
                    acct.fill(row, dates, raw, col)
        for acct in accounts.values():
            acct.fill(hi, dates, raw, col)
        clock["coordinate"] = sum(a.seconds for a in accounts.values())
        clock["total"] = time.perf_counter() - t_start
        signal_frame = signal_log_frame(signal_log)
        config: dict[str, str | float | list[str]] = {
            "frequency": self.frequency,
            "cost": rate,
            "fill": str(fill),
            "strategies": [repr(s) for s in strategies],
        }
        return {
            name: build_result(
                acct,
                market,
                lo,
                hi,
                dates[sched],
                last_valid,
                cash,
                signal_frame,
                dict(clock, coordinate=acct.seconds),
                {**config, "coordinator": repr(acct.coordinator)},
                getattr(acct, "adaptation", None),
            )
            for name, acct in accounts.items()
        }


def compare(
    configs: Mapping[str, Coordinator | Backtest | None],
    market: Market,
    strategies: Sequence[SignalStrategy] | Mapping[str, SignalStrategy] | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    progress: bool | None = None,
    **backtest: Any,
) -> pd.DataFrame:
    """Backtest several configurations over the same dates and tabulate them side by side.

    Parameters
    ----------
    configs : mapping name → Coordinator, Backtest or None
        Coordinators (None: ``Coordinator()``) share ``strategies`` and the :class:`Backtest`
        keyword arguments in ``backtest`` (frequency, cost, initial_cash, fill) and run in one
        pass over the dates with the same signals; a :class:`Backtest` value runs on its own
        settings.
    market : Market
    strategies : SignalStrategy sequence or mapping
        Required when some configuration is a Coordinator.
    start, end, progress
        As in :meth:`Backtest.run`.
    **backtest
        :class:`Backtest` keyword arguments (``frequency``, ``cost``, ``initial_cash``,
        ``fill``) of the coordinators' run.

    Returns
    -------
    DataFrame
        One row per configuration (index: the names, in order), columns
        :data:`SUMMARY_FIELDS` (see :meth:`BacktestResult.summary`).
    """
    if not isinstance(configs, Mapping) or not configs:
        raise ConfigError("configs must be a non-empty mapping name -> Coordinator or Backtest")
    engines = {str(k): v for k, v in configs.items() if not isinstance(v, Backtest)}
    results: dict[str, BacktestResult] = {}
    if engines:
        if strategies is None:
            raise ConfigError("strategies are required to compare coordinators")
        unknown = sorted(set(backtest) - {"frequency", "cost", "initial_cash", "fill"})
        if unknown:
            raise ConfigError(f"unknown Backtest argument(s) {unknown}")
        runner = Backtest(strategies, **backtest)
        results.update(runner.run_many(market, engines, start, end, progress))
    for k, v in configs.items():
        if isinstance(v, Backtest):
            results[str(k)] = v.run(market, start, end, progress)
    rows = [results[str(k)].summary().rename(str(k)) for k in configs]
    table = pd.DataFrame(rows, columns=list(SUMMARY_FIELDS))
    table.index.name = "config"
    return table.infer_objects()

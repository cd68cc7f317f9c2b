"""One configuration's book during a backtest, and the result built from its records."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.backtest._result import TRADE_COLUMNS, BacktestResult
from portlab.analytics.backtest._strategies import _STR_COLUMNS, SignalStrategy, _frame
from portlab.events import SIGNAL_COLUMNS
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.engine import Coordinator
    from portlab.engine.adaptation import AdaptiveState
    from portlab.market import Market

__all__ = [
    "Account",
    "build_result",
    "concat_columns",
    "engine_frame",
    "signal_columns",
    "signal_log_frame",
]


def signal_columns(strategy: SignalStrategy, view: Market, date: pd.Timestamp) -> dict:
    """A strategy's signals at ``date`` as plain arrays (its own ``generate`` when overridden)."""
    if type(strategy).generate is SignalStrategy.generate:
        return strategy.generate_arrays(view, date)
    frame = strategy.generate(view, date)
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            f"strategy {strategy.name!r}: generate must return a DataFrame, "
            f"not {type(frame).__name__}"
        )
    if not len(frame):
        return {}
    out = {}
    for c in frame.columns:
        if c not in SIGNAL_COLUMNS:
            continue
        if c == "timestamp":
            ts = pd.to_datetime(frame[c], utc=True)
            out[c] = ts.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
        elif c in _STR_COLUMNS:
            out[c] = frame[c].to_numpy(dtype=object, na_value=None)
        else:
            out[c] = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def concat_columns(parts: list[dict]) -> dict[str, np.ndarray]:
    """Concatenate column dicts; a column some part lacks is missing (None / NaN / NaT) there."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    names = [c for c in SIGNAL_COLUMNS if any(c in p for p in parts)]
    out = {}
    for c in names:
        chunks = []
        for p in parts:
            n = len(next(iter(p.values())))
            if c in p:
                chunks.append(p[c])
            elif c == "timestamp":
                chunks.append(np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))
            elif c in _STR_COLUMNS:
                chunks.append(np.full(n, None, dtype=object))
            else:
                chunks.append(np.full(n, np.nan))
        out[c] = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    return out


def engine_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """The coordinator's input: object string columns (no per-date ``str`` inference)."""
    data = {
        c: pd.Series(v, dtype=object, copy=False) if c in _STR_COLUMNS else v
        for c, v in cols.items()
    }
    return pd.DataFrame(data, copy=False)


class Account:
    """The book of one configuration during a run: state, pending orders and the records."""

    def __init__(self, coordinator: Coordinator, cash: float, rate: float) -> None:
        from portlab.state import PortfolioState

        self.coordinator = coordinator
        self.rate = rate
        self.state = PortfolioState(cash=cash)
        self.pending: list[tuple[int, pd.Timestamp, list]] = []
        self.trades: list[tuple] = []
        self.decisions: list[tuple[pd.Timestamp, pd.Timestamp, pd.DataFrame]] = []
        self.rejections: list[tuple] = []
        self.seconds = 0.0

    def book(
        self,
        date: pd.Timestamp,
        decided: pd.Timestamp,
        iid: str,
        shares: float,
        price: float,
        kind: str,
        decision_id: str | None,
    ) -> None:
        """Fill ``shares`` (signed) of ``iid`` at ``price`` on ``date``, paying the cost rate;
        ``decided`` is the decision date, ``kind`` DECISION or LIQUIDATION."""
        notional = shares * price
        cost = self.rate * abs(notional)
        gross = abs(notional)
        total = gross + cost if shares > 0 else gross - cost
        self.state = self.state.apply_trade(iid, shares, price, total_amount=total)
        self.trades.append((date, decided, iid, shares, price, notional, cost, kind, decision_id))

    def fill(self, upto: int, dates: pd.DatetimeIndex, raw: np.ndarray, col: dict) -> None:
        """Fill every pending order whose fill row is at most ``upto``."""
        keep = []
        for row, decided, orders in self.pending:
            if row > upto:
                keep.append((row, decided, orders))
                continue
            date = dates[row]
            for iid, shares, did in orders:
                price = raw[row, col[iid]]
                if np.isfinite(price) and price > 0:
                    self.book(date, decided, iid, shares, float(price), "DECISION", did)
                else:
                    self.rejections.append(
                        (
                            decided,
                            "FILL",
                            did,
                            iid,
                            None,
                            "NO_FILL_PRICE",
                            "",
                            f"no price on the fill date {date.date()}",
                            None,
                            None,
                        )
                    )
        self.pending = keep

    def liquidate_stale(
        self, view: Market, date: pd.Timestamp, last_valid: np.ndarray, col: dict
    ) -> None:
        """Close holdings the view has no current price for, at their last valid price."""
        price, _ = view.trading_arrays()
        for iid, pos in list(self.state.positions.items()):
            if not np.isfinite(price[col[iid]]):
                self.book(
                    date, date, iid, -pos.quantity, float(last_valid[col[iid]]), "LIQUIDATION", None
                )

    def engine(self) -> Coordinator:
        """The coordinator of the next decision (an adaptive account's carries what it has
        learned so far)."""
        return self.coordinator

    def decide(
        self,
        view: Market,
        signals: pd.DataFrame | None,
        date: pd.Timestamp,
        fill_row: int,
        fill_date: pd.Timestamp,
    ) -> None:
        """Coordinate ``signals`` (None: none) on ``date`` and queue the orders for ``fill_row``."""
        t0 = time.perf_counter()
        result = self.engine().coordinate(signals, self.state, view, as_of=date)
        self.seconds += time.perf_counter() - t0
        dec = result.decisions
        if len(dec):
            sign = np.where(dec["action"].to_numpy() == "BUY", 1.0, -1.0)
            shares = sign * dec["share_quantity"].to_numpy(dtype=float)
            orders = [
                (str(i), float(q), str(d))
                for i, q, d in zip(
                    dec["instrument_id"].to_numpy(),
                    shares,
                    dec["decision_id"].to_numpy(),
                    strict=True,
                )
                if q != 0
            ]
            self.pending.append((fill_row, date, orders))
            self.decisions.append((date, fill_date, dec))
        # the rejections without building a frame per date
        self.rejections.extend((date, *r) for r in result.rejection_records())


def _rejection_columns() -> list[str]:
    from portlab.engine.outcome import REJECTION_COLUMNS

    return list(REJECTION_COLUMNS)


def _decision_columns() -> tuple[str, ...]:
    from portlab.engine.decisions import DECISION_COLUMNS

    return DECISION_COLUMNS


def signal_log_frame(log: list[tuple[pd.Timestamp, dict]]) -> pd.DataFrame:
    """Every signal of the run: ``date`` then :data:`SIGNAL_COLUMNS` (public dtypes)."""
    cols = concat_columns([c for _, c in log])
    frame = _frame(cols)
    counts = [len(next(iter(c.values()))) for _, c in log]
    frame.insert(0, "date", pd.DatetimeIndex([d for d, _ in log]).repeat(counts))
    return frame


def build_result(
    acct: Account,
    market: Market,
    lo: int,
    hi: int,
    rebalance_dates: pd.DatetimeIndex,
    last_valid: np.ndarray,
    initial_cash: float,
    signals: pd.DataFrame,
    timings: dict[str, float],
    config: dict[str, str | float | list[str]],
    adaptation: AdaptiveState | None = None,
) -> BacktestResult:
    """Daily positions, cash and equity of one account from its trades."""
    dates = market.dates[lo : hi + 1]
    instruments = market.instruments
    trades = pd.DataFrame(acct.trades, columns=list(TRADE_COLUMNS))
    trades = trades.astype({"shares": "float64", "price": "float64", "notional": "float64"})
    trades = trades.astype({"cost": "float64"})
    n_days, n = len(dates), len(instruments)
    delta = np.zeros((n_days, n))
    flow = np.zeros(n_days)
    costs = np.zeros(n_days)
    if len(trades):
        r = dates.get_indexer(pd.DatetimeIndex(trades["date"]))
        c = instruments.get_indexer(trades["instrument_id"])
        np.add.at(delta, (r, c), trades["shares"].to_numpy())
        np.add.at(flow, r, -(trades["notional"].to_numpy() + trades["cost"].to_numpy()))
        np.add.at(costs, r, trades["cost"].to_numpy())
    shares = np.cumsum(delta, axis=0)
    cash = initial_cash + np.cumsum(flow)
    px = last_valid[lo : hi + 1]
    value = np.where(shares != 0, shares * np.nan_to_num(px), 0.0)
    equity = cash + value.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(equity[:, None] != 0, value / equity[:, None], np.nan)

    if acct.decisions:
        decisions = pd.concat([d for _, _, d in acct.decisions], ignore_index=True)
        counts = [len(d) for _, _, d in acct.decisions]
        fills = pd.DatetimeIndex([f for _, f, _ in acct.decisions])
        decisions.insert(0, "fill_date", fills.repeat(counts))
        decisions.insert(
            0, "date", pd.DatetimeIndex([d for d, _, _ in acct.decisions]).repeat(counts)
        )
    else:
        decisions = pd.DataFrame(columns=["date", "fill_date", *_decision_columns()])
    rejections = pd.DataFrame(acct.rejections, columns=["date", *_rejection_columns()])
    if len(rejections):
        rejections["date"] = pd.DatetimeIndex(rejections["date"])
    idx = pd.DatetimeIndex(dates, name="date")
    return BacktestResult(
        equity=pd.Series(equity, index=idx, name="equity"),
        cash=pd.Series(cash, index=idx, name="cash"),
        positions=pd.DataFrame(shares, index=idx, columns=instruments),
        weights=pd.DataFrame(weights, index=idx, columns=instruments),
        costs=pd.Series(costs, index=idx, name="costs"),
        trades=trades,
        decisions=decisions,
        rejections=rejections,
        signals=signals,
        rebalance_dates=pd.DatetimeIndex(rebalance_dates, name="date"),
        state=acct.state,
        initial_cash=initial_cash,
        periods_per_year=int(getattr(market, "periods_per_year", 252)),
        timings=timings,
        config=config,
        adaptation=adaptation,
    )

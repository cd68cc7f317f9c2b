"""The result of a backtest and the performance it reports.

:meth:`BacktestResult.summary` reads its figures with the one implementation of each metric in
:mod:`portlab.analytics.performance` (over the equity curve where the figure is read from
values, over daily returns otherwise); :func:`turnover` is the backtest's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.performance import (
    annualized_return_from_equity,
    max_drawdown_from_equity,
    sharpe_ratio,
    volatility,
)
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.engine.adaptation import AdaptiveState
    from portlab.state import PortfolioState
    from portlab.types import EquityLike

__all__ = ["SUMMARY_FIELDS", "TRADE_COLUMNS", "BacktestResult", "turnover"]

#: columns of :attr:`BacktestResult.trades`
TRADE_COLUMNS = (
    "date",
    "decision_date",
    "instrument_id",
    "shares",
    "price",
    "notional",
    "cost",
    "kind",
    "decision_id",
)

#: entries of :meth:`BacktestResult.summary`, in order
SUMMARY_FIELDS = (
    "start",
    "end",
    "initial_equity",
    "final_equity",
    "total_return",
    "annual_return",
    "annual_volatility",
    "sharpe",
    "max_drawdown",
    "turnover",
    "costs",
    "n_rebalances",
    "n_signals",
    "n_decisions",
    "n_rejections",
    "n_trades",
)


def turnover(traded: float, equity: EquityLike, periods_per_year: int = 252) -> float:
    """Annualised one-way turnover: ``traded / 2 / mean(equity) / years``.

    ``traded`` is the total absolute traded value (currency), ``years = (len - 1) / ppy``.
    NaN with fewer than two equity points.
    """
    e = np.asarray(equity, dtype=np.float64)
    if e.ndim != 1:
        raise ValidationError(f"equity must be one-dimensional, got shape {e.shape}")
    if e.size < 2:
        return float("nan")
    years = (e.size - 1) / periods_per_year
    return float(traded / 2.0 / e.mean() / years)


class BacktestResult:
    """What :meth:`Backtest.run` returns; every frame is indexed by the run's dates.

    Attributes
    ----------
    equity : Series
        Portfolio value at each close (currency): ``cash + Σ shares × price`` with prices
        forward-filled (a held instrument without a price keeps its last one).
    cash : Series
        Cash at each close, after that day's fills and costs (negative when overdrawn).
    positions : DataFrame, shape (n_dates, n_instruments)
        Shares held at each close, after that day's fills.
    weights : DataFrame, shape (n_dates, n_instruments)
        Market value of each holding over equity (fractions; 0 where not held).
    costs : Series
        Transaction costs paid each day (currency, 0 on days without fills).
    trades : DataFrame
        One row per fill, columns :data:`TRADE_COLUMNS`: ``date`` (fill date),
        ``decision_date``, ``instrument_id``, ``shares`` (signed: > 0 bought), ``price``
        (fill price), ``notional`` (``shares × price``, negative for sales), ``cost``
        (``rate × |notional|``, >= 0), ``kind`` (``DECISION``, or ``LIQUIDATION`` for a
        holding closed at its last price after its prices stopped), ``decision_id``.
        Cash changes only by ``-(notional + cost)``.
    decisions : DataFrame
        The coordinator's decisions with ``date`` (decision date) and ``fill_date`` first.
    rejections : DataFrame
        The coordinator's rejections with ``date`` first; orders that could not fill (no
        price on the fill date) appear with source ``FILL`` and reason ``NO_FILL_PRICE``.
    signals : DataFrame
        Every signal the strategies emitted, with ``date`` first.
    rebalance_dates : DatetimeIndex
        Dates on which the coordinator ran.
    state : PortfolioState
        The portfolio after the last fill: positions with average prices, cash and realized
        P&L, booked through :meth:`~portlab.PortfolioState.apply_trade` (fees to cash) -- the
        state the coordinator saw, a second bookkeeping of the same trades.
    initial_cash : float
    periods_per_year : int
    timings : dict
        Seconds spent viewing the market, generating signals, coordinating and in total.
    config : dict
        Frequency, cost rate, fill rule, strategies and coordinator of the run.
    adaptation : AdaptiveState or None
        What an adaptive coordinator (``Coordinator(adaptive=...)`` with settings) had learned
        by the end of the run: each strategy's quantities and the log of their changes
        (:attr:`~portlab.engine.adaptation.AdaptiveState.changes`); None for a static one.
    """

    def __init__(
        self,
        *,
        equity: pd.Series,
        cash: pd.Series,
        positions: pd.DataFrame,
        weights: pd.DataFrame,
        costs: pd.Series,
        trades: pd.DataFrame,
        decisions: pd.DataFrame,
        rejections: pd.DataFrame,
        signals: pd.DataFrame,
        rebalance_dates: pd.DatetimeIndex,
        state: PortfolioState,
        initial_cash: float,
        periods_per_year: int,
        timings: dict[str, float],
        config: dict[str, str | float | list[str]],
        adaptation: AdaptiveState | None = None,
    ) -> None:
        self.equity = equity
        self.cash = cash
        self.positions = positions
        self.weights = weights
        self.costs = costs
        self.trades = trades
        self.decisions = decisions
        self.rejections = rejections
        self.signals = signals
        self.rebalance_dates = rebalance_dates
        self.state = state
        self.initial_cash = initial_cash
        self.periods_per_year = periods_per_year
        self.timings = timings
        self.config = config
        self.adaptation = adaptation

    @property
    def returns(self) -> pd.Series:
        """Daily simple returns of :attr:`equity` (fractions), from the second date on."""
        return self.equity.pct_change().iloc[1:].rename("returns")

    def summary(self) -> pd.Series:
        """Performance and activity of the run, entries :data:`SUMMARY_FIELDS`.

        Returns are fractions; ``annual_return`` is the CAGR from ``initial_cash``;
        ``annual_volatility`` and ``sharpe`` (zero risk-free rate) are annualised from daily
        returns; ``max_drawdown`` is a positive fraction; ``turnover`` is annualised one-way
        (:func:`turnover`); ``costs`` is in currency.
        """
        ppy = self.periods_per_year
        e = self.equity.to_numpy(dtype=np.float64)
        # the curve starts from the initial cash, so that costs paid on the first date count
        curve = np.concatenate([[self.initial_cash], e[1:]]) if e.size else e
        r = self.returns.to_numpy()
        r = r[np.isfinite(r)]  # a return from a zero equity is not a return
        final = float(e[-1]) if e.size else float("nan")
        values = {
            "start": self.equity.index[0] if len(self.equity) else pd.NaT,
            "end": self.equity.index[-1] if len(self.equity) else pd.NaT,
            "initial_equity": float(self.initial_cash),
            "final_equity": final,
            "total_return": final / self.initial_cash - 1.0,
            "annual_return": annualized_return_from_equity(curve, ppy),
            "annual_volatility": volatility(r, periods_per_year=ppy),
            "sharpe": sharpe_ratio(r, periods_per_year=ppy),
            "max_drawdown": max_drawdown_from_equity(np.concatenate([[self.initial_cash], e])),
            "turnover": turnover(float(self.trades["notional"].abs().sum()), e, ppy),
            "costs": float(self.trades["cost"].sum()),
            "n_rebalances": len(self.rebalance_dates),
            "n_signals": len(self.signals),
            "n_decisions": len(self.decisions),
            "n_rejections": len(self.rejections),
            "n_trades": len(self.trades),
        }
        return pd.Series(values, index=list(SUMMARY_FIELDS), dtype=object, name="backtest")

    def __repr__(self) -> str:
        if not len(self.equity):
            return "BacktestResult(empty)"
        span = f"{self.equity.index[0].date()}..{self.equity.index[-1].date()}"
        return (
            f"BacktestResult({span}, {len(self.rebalance_dates)} rebalances, "
            f"{len(self.trades)} trades, equity {self.initial_cash:,.2f} -> "
            f"{self.equity.iloc[-1]:,.2f})"
        )

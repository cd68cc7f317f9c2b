"""Walk-forward backtests of signal strategies through the coordination engine (specification
§14, "Backtests").

Strategies (:class:`Momentum`, :class:`MeanReversion`, :class:`MovingAverageCrossover`, or
any :class:`SignalStrategy`) emit trading signals from the history known at each rebalance
date, calibrated on their own past record; a :class:`~portlab.Coordinator` turns them into
decisions; :class:`Backtest` fills them at the next close with proportional costs and records
positions, trades, decisions, rejections, costs and the equity curve. :func:`split` gives
train / validation / test periods and :func:`compare` tabulates several configurations side
by side; :func:`compare_adaptive` runs one static and adaptive (learning from the run's own
outcomes, without look-ahead: ``Coordinator(adaptive=...)``). :func:`strategy_pnl` and
:func:`strategy_contributions` attribute a run's P&L and return to its strategies.
"""

from portlab.analytics.backtest._registry import StrategyRegistry
from portlab.analytics.backtest._result import SUMMARY_FIELDS, TRADE_COLUMNS, BacktestResult
from portlab.analytics.backtest._runner import Backtest, Fill, compare
from portlab.analytics.backtest._split import Period, Split, split
from portlab.analytics.backtest._strategies import (
    MeanReversion,
    Momentum,
    MovingAverageCrossover,
    SignalStrategy,
)
from portlab.analytics.backtest._strategy_pnl import strategy_contributions, strategy_pnl
from portlab.analytics.backtest._versus import AdaptiveComparison, compare_adaptive

__all__ = [
    "SUMMARY_FIELDS",
    "TRADE_COLUMNS",
    "AdaptiveComparison",
    "Backtest",
    "BacktestResult",
    "Fill",
    "MeanReversion",
    "Momentum",
    "MovingAverageCrossover",
    "Period",
    "SignalStrategy",
    "Split",
    "StrategyRegistry",
    "compare",
    "compare_adaptive",
    "split",
    "strategy_contributions",
    "strategy_pnl",
]

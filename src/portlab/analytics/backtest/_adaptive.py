"""Adaptive coordinators in a backtest: learning from the run's own outcomes, without
look-ahead, and side by side with the static configuration (issue 14).

A coordinator built with adaptive *settings* (``Coordinator(adaptive={"learning_rate": 0.01,
"adaptation_period": 20})``) gets an :class:`AdaptiveAccount`: before each rebalance date
``t`` it marks the run's earlier decisions to market at their horizons with the prices of
``market.truncate(t)`` -- entry at their fills, exit ``horizon_days`` trading days after the
decision -- keeps the outcomes known at ``t`` (exit and fill at or before it), updates its
:class:`~portlab.engine.adaptation.AdaptiveState` with them and coordinates with that state.
An outcome that ends after ``t`` is not known at ``t``; a price after ``t`` is never read. So
the decisions up to ``t`` are the same whatever happens after ``t``. :func:`compare_adaptive`
(:mod:`portlab.analytics.backtest._versus`) runs a configuration static and adaptive side by
side.

A coordinator given an :class:`~portlab.engine.adaptation.AdaptiveState` uses it as it is
(nothing is learned during the run), as ``coordinate`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from portlab.analytics.backtest._account import Account
from portlab.analytics.backtest._result import TRADE_COLUMNS
from portlab.engine.adaptation import AdaptiveConfig, AdaptiveState
from portlab.engine.learning import update
from portlab.engine.realized import outcomes, with_stated

if TYPE_CHECKING:
    from portlab.engine import Coordinator
    from portlab.market import Market

__all__ = ["AdaptiveAccount", "account_for"]

#: the decision columns an outcome needs, and with its stated probability and horizon
_DECISION_COLUMNS = (
    "decision_id",
    "timestamp",
    "instrument_id",
    "action",
    "price",
    "signal_id",
    "strategy_id",
)
_KEPT = (*_DECISION_COLUMNS, "stated_p", "horizon_days")


def account_for(coordinator: Coordinator, cash: float, rate: float) -> Account:
    """The account of one configuration: an :class:`AdaptiveAccount` when the coordinator
    has adaptive settings, else a plain one."""
    if isinstance(getattr(coordinator, "adaptive", None), AdaptiveConfig):
        return AdaptiveAccount(coordinator, cash, rate)
    return Account(coordinator, cash, rate)


class AdaptiveAccount(Account):
    """An account whose coordinator learns from the outcomes of the run's decisions known at
    each rebalance date (see the module docstring).

    Attributes
    ----------
    adaptation : AdaptiveState
        What has been learned so far.
    """

    def __init__(self, coordinator: Coordinator, cash: float, rate: float) -> None:
        super().__init__(coordinator, cash, rate)
        self.adaptation = AdaptiveState(coordinator.adaptive)
        #: decisions whose outcome is not known yet, with their stated probability and horizon
        self.open = pd.DataFrame(columns=list(_KEPT))
        #: the outcomes known so far
        self.history: pd.DataFrame | None = None

    def learn(self, view: Market, date: pd.Timestamp) -> AdaptiveState:
        """The state after the outcomes known at ``date`` (``view``: the market known then)."""
        if not len(self.open):
            return self.adaptation
        found = outcomes(
            self.open,
            view,
            trades=pd.DataFrame(self.trades, columns=list(TRADE_COLUMNS)),
            as_of=date,
            default_horizon_days=self.coordinator.sizing.default_horizon_days,
        )
        done = found["realized"].to_numpy(dtype=bool)
        if not done.any():
            return self.adaptation
        self.open = self.open.loc[~self.open["decision_id"].isin(found["decision_id"][done])]
        new = found.loc[done]
        self.history = new if self.history is None else pd.concat([self.history, new])
        return update(self.adaptation, self.history, stated=self.coordinator.strategies, as_of=date)

    def engine(self) -> Coordinator:
        """The coordinator with the state learned so far."""
        return self.coordinator.replace(adaptive=self.adaptation)

    def decide(
        self,
        view: Market,
        signals: pd.DataFrame | None,
        date: pd.Timestamp,
        fill_row: int,
        fill_date: pd.Timestamp,
    ) -> None:
        """Learn from the outcomes known at ``date``, then coordinate as a plain account."""
        self.adaptation = self.learn(view, date)
        before = len(self.decisions)
        super().decide(view, signals, date, fill_row, fill_date)
        if len(self.decisions) > before and signals is not None:
            made = self.decisions[-1][2][list(_DECISION_COLUMNS)]
            horizon = self.coordinator.sizing.default_horizon_days
            made = with_stated(made, signals, horizon)[list(_KEPT)]
            made["timestamp"] = pd.to_datetime(made["timestamp"], utc=True)
            self.open = made if not len(self.open) else pd.concat([self.open, made])

"""A backtest's P&L by strategy: daily currency P&L and linked contributions to its return.

Accounting (exact: each day's P&L of the strategies sums to the day's equity change):

* every fill belongs to the strategy of its decision (``trades.decision_id`` →
  ``decisions.strategy_id``); a decision without a strategy (a rebalance) goes to
  ``"unattributed"``;
* a ``LIQUIDATION`` (no decision) closes every strategy's holding of the instrument: it is split
  in proportion to the holdings, so strategy ``s`` sells its own ``H_s`` (a float residue goes
  to the largest holder, a liquidation nobody holds to ``"unattributed"``); its cost is split in
  proportion to the absolute shares;
* ``H_s,t,i``, the holding of strategy ``s`` in instrument ``i`` at the close of day ``t``, is the
  cumulative sum of its shares; ``P_t,i`` is the close forward-filled over the whole market, the
  price the backtest values its equity with;
* ``pnl_s,t = Σ_i H_s,t-1,i (P_t,i - P_t-1,i) + Σ_fills q (P_t,i - p) - Σ_fills cost``, with
  ``H_s,-1 = 0``. Summed over ``s`` this is ``equity_t - equity_t-1`` (``initial_cash`` before
  the first day), since ``equity = cash + Σ shares × P`` and cash moves only by fills.

Strategies can hold offsetting positions (one long, another short) while the net position is
zero, so the P&L needs the market's prices, not only the result's net positions and weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.attribution import Linking, linking_coefficients
from portlab.analytics.backtest._result import BacktestResult
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.market import Market

__all__ = ["strategy_contributions", "strategy_pnl"]

_UNATTRIBUTED = "unattributed"


def _closes(result: BacktestResult, market: Market) -> np.ndarray:
    """Forward-filled closes on the result's dates (NaN → 0, as the equity counts them)."""
    from portlab.market import Market

    if not isinstance(result, BacktestResult):
        raise ValidationError(f"result must be a BacktestResult, got {type(result).__name__}")
    if not isinstance(market, Market):
        raise ValidationError(f"market must be a portlab.Market, got {type(market).__name__}")
    prices = market.prices.ffill()
    dates, instruments = result.equity.index, result.positions.columns
    if len(dates.difference(prices.index)) or len(instruments.difference(prices.columns)):
        raise ValidationError("market lacks some of the backtest's dates or instruments")
    px = np.nan_to_num(prices.reindex(index=dates, columns=instruments).to_numpy(np.float64))
    held = result.positions.to_numpy(np.float64)
    equity = result.cash.to_numpy(np.float64) + (held * px).sum(axis=1)
    scale = abs(float(result.initial_cash))
    if not np.allclose(equity, result.equity.to_numpy(np.float64), rtol=1e-9, atol=1e-9 * scale):
        raise ValidationError("market does not value the result's positions at its equity")
    return px


def _allocate(result: BacktestResult) -> tuple[list[str], pd.DataFrame]:
    """The strategies (order of first decision) and the fills split by strategy: one row per
    (trade, strategy) with ``date``, ``instrument_id``, ``strategy``, ``shares``, ``price``,
    ``cost``."""
    tr = result.trades.reset_index(drop=True)
    dec = result.decisions.reindex(columns=["decision_id", "strategy_id"])
    dec = dec.drop_duplicates("decision_id")
    owner = dec.set_index("decision_id")["strategy_id"]
    order = [str(s) for s in pd.unique(dec["strategy_id"].dropna())]
    sid = tr["decision_id"].map(owner).where(lambda s: s.notna(), _UNATTRIBUTED).astype(str)
    tr = tr.assign(strategy=sid)
    liq = (tr["kind"] == "LIQUIDATION").to_numpy()
    # liquidations before each trade on its instrument: a liquidation closes segment `seg`
    seg = pd.Series(liq, index=tr.index).groupby(tr["instrument_id"]).cumsum() - liq
    tr["seg"] = seg.to_numpy()
    keys = ["instrument_id", "seg"]
    fills = tr.loc[~liq, ["date", "instrument_id", "strategy", "shares", "price", "cost"]]
    if liq.any():
        held = tr.loc[~liq].groupby([*keys, "strategy"], sort=False)["shares"].sum()
        lq = tr.loc[liq, ["date", *keys, "shares", "price", "cost"]].reset_index(names="n")
        parts = lq.merge(held.rename("held").reset_index(), on=keys, how="left")
        parts["held"] = parts["held"].fillna(0.0)
        parts["strategy"] = parts["strategy"].fillna(_UNATTRIBUTED)
        parts["alloc"] = -parts["held"]
        top = parts["held"].abs().groupby(parts["n"]).idxmax()  # the largest holder
        residue = parts.groupby("n")["shares"].first() + parts.groupby("n")["held"].sum()
        parts.loc[top.to_numpy(), "alloc"] += residue.reindex(top.index).to_numpy()
        parts = parts[parts["alloc"] != 0.0]
        gross = parts["alloc"].abs().groupby(parts["n"]).transform("sum")
        parts = parts.assign(
            shares=parts["alloc"], cost=parts["cost"] * parts["alloc"].abs() / gross
        )
        fills = pd.concat([fills, parts[list(fills.columns)]], ignore_index=True)
    if (fills["strategy"] == _UNATTRIBUTED).any():
        order.append(_UNATTRIBUTED)
    return order, fills


def _daily(result: BacktestResult, market: Market) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The daily P&L frame and the fills split by strategy."""
    px = _closes(result, market)
    order, fills = _allocate(result)
    n_days, n_inst = px.shape
    row = result.equity.index.get_indexer(pd.DatetimeIndex(fills["date"]))
    col = result.positions.columns.get_indexer(fills["instrument_id"])
    k = pd.Index(order).get_indexer(fills["strategy"])
    q = fills["shares"].to_numpy(np.float64)
    pnl = np.zeros((n_days, len(order)))
    # fills: marked from the fill price to the close, less their costs
    flow = q * (px[row, col] - fills["price"].to_numpy(np.float64)) - fills["cost"].to_numpy()
    np.add.at(pnl, (row, k), flow)
    move = np.diff(px, axis=0)
    for j in range(len(order)):  # holdings carried from the previous close
        delta = np.zeros((n_days, n_inst))
        mine = k == j
        np.add.at(delta, (row[mine], col[mine]), q[mine])
        pnl[1:, j] += (np.cumsum(delta, axis=0)[:-1] * move).sum(axis=1)
    frame = pd.DataFrame(
        pnl, index=result.equity.index.copy(), columns=pd.Index(order, name="strategy")
    )
    return frame, fills


def strategy_pnl(result: BacktestResult, market: Market) -> pd.DataFrame:
    """Daily P&L of each strategy of a backtest (currency), net of its costs.

    Every fill belongs to the strategy of its decision; a decision without a strategy (a
    rebalance) goes to the column ``"unattributed"``. A ``LIQUIDATION`` closes each strategy's
    holding of the instrument: it is split in proportion to their holdings (strategy ``s`` sells
    its own ``H_s``; float residue to the largest holder, a liquidation nobody holds to
    ``"unattributed"``) and its cost in proportion to the absolute shares. A strategy's holding
    ``H_s,t,i`` (shares at the close of ``t``) is the cumulative sum of its shares, and::

        pnl_s,t = Σ_i H_s,t-1,i (P_t,i - P_t-1,i) + Σ_fills q (P_t,i - p) - Σ_fills cost

    with ``P`` the close forward-filled over the market (the prices the equity is valued with),
    ``p`` the fill price, ``q`` the signed shares and ``H_s,-1 = 0``. Each row sums to the day's
    equity change: ``equity_t - equity_t-1``, ``equity_0 - initial_cash`` on the first day.

    Parameters
    ----------
    result : BacktestResult
        A run of :class:`~portlab.analytics.backtest.Backtest`; never mutated.
    market : portlab.Market
        The market the backtest ran on: strategies can hold offsetting positions while the
        book's net position is zero, so the result's positions alone do not price them.

    Returns
    -------
    DataFrame, shape (n_dates, n_strategies)
        Currency P&L; index ``result.equity.index``, columns (named ``"strategy"``) the strategy
        ids in order of their first decision, then ``"unattributed"`` if needed.

    Raises
    ------
    ValidationError
        ``result`` is not a BacktestResult, ``market`` not a Market, or the market is not the
        one the backtest ran on (it lacks its dates or instruments, or does not value its
        positions at its equity).

    Examples
    --------
    >>> import numpy as np
    >>> from portlab.datasets import load_sample
    >>> from portlab.analytics.backtest import Backtest, MeanReversion, Momentum, strategy_pnl
    >>> market = load_sample()
    >>> result = Backtest([Momentum(), MeanReversion()]).run(market, "2022-01-01", "2022-06-30")
    >>> pnl = strategy_pnl(result, market)
    >>> list(pnl.columns)
    ['momentum', 'mean_reversion']
    >>> change = result.equity.diff().fillna(result.equity.iloc[0] - result.initial_cash)
    >>> bool(np.allclose(pnl.sum(axis=1), change))
    True
    """
    return _daily(result, market)[0]


def strategy_contributions(
    result: BacktestResult, market: Market, *, linking: Linking | str = Linking.CARINO
) -> pd.DataFrame:
    """Each strategy's P&L, costs, trades and linked contribution to the backtest's return.

    The daily contribution of strategy ``s`` is ``pnl_s,t / equity_t-1`` (``initial_cash`` on
    the first day; ``pnl`` from :func:`strategy_pnl`, whose accounting rule applies), a fraction
    that sums over the strategies to the day's equity return. The contributions are linked over
    the days against a zero benchmark with
    :func:`~portlab.analytics.attribution.linking_coefficients`, so that (for every method but
    ``NONE``) they sum to the backtest's total return ``final_equity / initial_cash - 1``.

    Parameters
    ----------
    result : BacktestResult
        Never mutated.
    market : portlab.Market
        The market the backtest ran on (see :func:`strategy_pnl`).
    linking : Linking
        ``CARINO`` (default), ``MENCHERO``, ``GRAP`` or ``NONE`` (the plain sum).

    Returns
    -------
    DataFrame, one row per strategy (index ``"strategy"``, as the columns of :func:`strategy_pnl`)
        Columns ``pnl`` (total, currency, net of costs), ``costs``
        (currency), ``trades`` (fills booked to it; a liquidation split between strategies
        counts for each), ``return_contribution`` (linked, fraction), ``share_of_pnl``
        (``pnl`` over the total P&L; NaN when that is zero).

    Raises
    ------
    ValidationError
        As :func:`strategy_pnl`, or an unknown linking method.
    DataError
        A daily equity return that cannot be linked (equity at or below zero).

    Examples
    --------
    >>> from portlab.datasets import load_sample
    >>> from portlab.analytics.backtest import Backtest, MeanReversion, Momentum
    >>> from portlab.analytics.backtest import strategy_contributions
    >>> market = load_sample()
    >>> result = Backtest([Momentum(), MeanReversion()]).run(market, "2022-01-01", "2022-06-30")
    >>> table = strategy_contributions(result, market)
    >>> list(table.columns)
    ['pnl', 'costs', 'trades', 'return_contribution', 'share_of_pnl']
    >>> total = result.summary()["total_return"]
    >>> bool(abs(table["return_contribution"].sum() - total) < 1e-12)
    True
    """
    daily, fills = _daily(result, market)
    equity = result.equity.to_numpy(np.float64)
    before = np.concatenate([[float(result.initial_cash)], equity[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = daily.to_numpy() / before[:, None]
        returns = equity / before - 1.0
    beta = linking_coefficients(returns, np.zeros_like(returns), linking)
    pnl = daily.sum(axis=0)
    total = float(pnl.sum())
    by = fills.groupby("strategy")
    return pd.DataFrame(
        {
            "pnl": pnl,
            "costs": by["cost"].sum().reindex(daily.columns, fill_value=0.0),
            "trades": by.size().reindex(daily.columns, fill_value=0).astype(np.int64),
            "return_contribution": beta @ contrib,
            "share_of_pnl": pnl / total if total != 0.0 else np.nan,
        },
        index=daily.columns,
    )

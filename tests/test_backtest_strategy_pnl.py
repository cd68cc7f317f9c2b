"""Attribution of a backtest's P&L to its strategies: strategy_pnl, strategy_contributions."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlab import Market, PortfolioState
from portlab.analytics.attribution import Linking
from portlab.analytics.backtest import (
    TRADE_COLUMNS,
    Backtest,
    BacktestResult,
    MeanReversion,
    Momentum,
    MovingAverageCrossover,
    strategy_contributions,
    strategy_pnl,
)
from portlab.datasets import load_sample
from portlab.exceptions import ValidationError

RATE = 0.01
DATES = pd.bdate_range("2024-01-01", periods=8)


# -- a hand-built book ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny() -> Market:
    """C stops trading on days 2-3 (no filling: ``max_ffill=0``) and resumes on day 4."""
    prices = pd.DataFrame(
        {
            "A": [10, 11, 12, 12, 13, 12, 14, 15],
            "B": [20, 20, 21, 22, 22, 23, 24, 25],
            "C": [5, 6, np.nan, np.nan, 8, 9, 10, 11],
        },
        index=DATES,
        dtype=float,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Market(prices, sectors={"A": "x", "B": "y", "C": "z"}, max_ffill=0)


def book(market: Market, fills: list[tuple], cash: float = 100_000.0) -> BacktestResult:
    """A BacktestResult from ``(day, instrument, shares, strategy or None or "LIQ")`` fills at
    the close (forward-filled), valued as the backtest values them."""
    px = market.prices.ffill()
    trades, decisions = [], []
    for n, (day, iid, shares, owner) in enumerate(fills):
        date = DATES[day]
        price = float(px.loc[date, iid])
        liq = owner == "LIQ"
        did = None if liq else f"d{n}"
        trades.append(
            (date, date, iid, shares, price, shares * price, RATE * abs(shares * price),
             "LIQUIDATION" if liq else "DECISION", did)
        )  # fmt: skip
        if not liq:
            decisions.append({"date": date, "fill_date": date, "decision_id": did,
                              "strategy_id": owner})  # fmt: skip
    tr = pd.DataFrame(trades, columns=list(TRADE_COLUMNS))
    cols = market.instruments
    delta = tr.pivot_table(index="date", columns="instrument_id", values="shares", aggfunc="sum")
    pos = delta.reindex(index=DATES, columns=cols).fillna(0.0).cumsum()
    flows = (tr["notional"] + tr["cost"]).groupby(tr["date"]).sum()
    cash_s = cash - flows.reindex(DATES, fill_value=0.0).cumsum()
    value = pos * px.fillna(0.0)
    equity = cash_s + value.sum(axis=1)
    return BacktestResult(
        equity=equity.rename("equity"),
        cash=cash_s.rename("cash"),
        positions=pos,
        weights=value.div(equity, axis=0),
        costs=tr["cost"].groupby(tr["date"]).sum().reindex(DATES, fill_value=0.0),
        trades=tr,
        decisions=pd.DataFrame(decisions),
        rejections=pd.DataFrame(),
        signals=pd.DataFrame(),
        rebalance_dates=DATES,
        state=PortfolioState(cash=cash),
        initial_cash=cash,
        periods_per_year=252,
        timings={},
        config={},
    )


HAND = [
    (0, "A", 100.0, "s1"),  # s1 long A at 10
    (1, "A", -100.0, "s2"),  # s2 short A at 11: the book is flat in A, s1 and s2 offset
    (1, "C", 50.0, "s1"),
    (1, "C", 30.0, "s2"),
    (2, "C", -80.0, "LIQ"),  # C stopped: closed at its last price 6, split 50 / 30
    (3, "B", 10.0, None),  # a rebalance: unattributed
    (4, "C", 10.0, "s2"),  # C trades again; s1 holds none of it
]


def test_hand_computed_book(tiny):
    result = book(tiny, HAND)
    pnl = strategy_pnl(result, tiny)
    assert list(pnl.columns) == ["s1", "s2", "unattributed"]
    assert pnl.columns.name == "strategy" and pnl.index.equals(result.equity.index)
    # s1: +100 A from day 0 (cost 10), +50 C on day 1 (cost 3), liquidated on day 2 (cost 3)
    s1 = [-10.0, 100 * 1 - 3.0, 100 * 1 - 3.0, 0.0, 100.0, -100.0, 200.0, 100.0]
    # s2: -100 A from day 1 (cost 11), +30 C (cost 1.8) liquidated (cost 1.8), +10 C on day 4
    s2 = [0.0, -11.0 - 1.8, -100.0 - 1.8, 0.0, -100.0 - 0.8, 100.0 + 10, -200.0 + 10, -100 + 10]
    un = [0.0, 0.0, 0.0, -2.2, 0.0, 10.0, 10.0, 10.0]
    np.testing.assert_allclose(pnl["s1"], s1, atol=1e-9)
    np.testing.assert_allclose(pnl["s2"], s2, atol=1e-9)
    np.testing.assert_allclose(pnl["unattributed"], un, atol=1e-9)
    np.testing.assert_allclose(pnl.sum(axis=1), change(result), atol=1e-9)

    table = strategy_contributions(result, tiny)
    assert table.index.name == "strategy" and list(table.index) == ["s1", "s2", "unattributed"]
    assert list(table.columns) == ["pnl", "costs", "trades", "return_contribution", "share_of_pnl"]
    np.testing.assert_allclose(table["pnl"], [sum(s1), sum(s2), sum(un)], atol=1e-9)
    np.testing.assert_allclose(table["costs"], [16.0, 15.4, 2.2], atol=1e-12)
    assert table["trades"].tolist() == [3, 4, 1]
    np.testing.assert_allclose(table["share_of_pnl"], table["pnl"] / table["pnl"].sum())


def change(result: BacktestResult) -> pd.Series:
    e = result.equity
    return e.diff().fillna(e.iloc[0] - result.initial_cash)


def reference(result: BacktestResult, market: Market) -> pd.DataFrame:
    """A plain loop over the days and fills (liquidations close each strategy's holding)."""
    px = market.prices.ffill().fillna(0.0)
    owner = dict(zip(result.decisions.get("decision_id", []),
                     result.decisions.get("strategy_id", []), strict=True))  # fmt: skip
    held: dict[str, dict[str, float]] = {}
    out: dict[str, dict[pd.Timestamp, float]] = {}
    for i, day in enumerate(DATES):
        for s, h in held.items():
            for iid, q in h.items():
                out[s][day] = out[s].get(day, 0.0) + q * (px[iid].iloc[i] - px[iid].iloc[i - 1])
        for t in result.trades[result.trades["date"] == day].itertuples():
            if t.kind == "LIQUIDATION":
                parts = {s: -h.get(t.instrument_id, 0.0) for s, h in held.items()}
                parts = {s: q for s, q in parts.items() if q != 0} or {"unattributed": t.shares}
            else:
                sid = owner[t.decision_id]
                parts = {"unattributed" if pd.isna(sid) else sid: t.shares}
            gross = sum(abs(q) for q in parts.values())
            for s, q in parts.items():
                held.setdefault(s, {}).setdefault(t.instrument_id, 0.0)
                held[s][t.instrument_id] += q
                cost = t.cost * abs(q) / gross
                out.setdefault(s, {})[day] = out.get(s, {}).get(day, 0.0) - cost
    return pd.DataFrame(out).reindex(DATES).fillna(0.0)


fill_st = st.tuples(
    st.sampled_from([0, 1, 4, 5, 6, 7]),
    st.sampled_from(["A", "B", "C"]),
    st.floats(-500, 500, allow_nan=False).filter(lambda q: abs(q) > 1e-3),
    st.sampled_from(["s1", "s2", "s3", None]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fill_st, min_size=1, max_size=12))
def test_random_books_match_a_plain_loop(tiny, fills):
    fills = sorted(fills, key=lambda f: f[0])
    net_c = sum(q for d, i, q, _ in fills if i == "C" and d <= 1)
    if net_c != 0:  # C stops on day 2: the backtest liquidates it there
        liq = (2, "C", -net_c, "LIQ")
        fills = [f for f in fills if f[0] <= 1] + [liq] + [f for f in fills if f[0] > 1]
    result = book(tiny, fills)
    pnl = strategy_pnl(result, tiny)
    ref = reference(result, tiny)
    assert set(pnl.columns) == set(ref.columns)
    pd.testing.assert_frame_equal(pnl[ref.columns], ref, check_names=False, atol=1e-7, rtol=0)
    np.testing.assert_allclose(pnl.sum(axis=1), change(result), atol=1e-7)


# -- real runs -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def stale(sample) -> Market:
    """The sample with one instrument delisted mid-2021 and one gone for months."""
    p = sample.prices
    a, b = p.columns[:2]
    p.loc["2021-06-15":, a] = np.nan
    p.loc["2021-03-10":"2021-09-01", b] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Market(p, sectors=sample.sectors)


def three() -> list:
    return [Momentum(), MeanReversion(), MovingAverageCrossover()]


RUNS = [(f, q, s) for f in ("close", "next_close") for q in ("W-FRI", "ME") for s in (0, 1)]


@pytest.fixture(scope="module")
def runs(sample, stale) -> dict[tuple, tuple[BacktestResult, Market]]:
    out = {}
    for fill, freq, which in RUNS:
        market = stale if which else sample
        bt = Backtest(three(), frequency=freq, fill=fill, cost=0.002)
        out[fill, freq, which] = bt.run(market, "2021-01-01", "2021-12-31"), market
    return out


@pytest.mark.parametrize("key", RUNS)
def test_rows_sum_to_the_equity_change(runs, key):
    result, market = runs[key]
    pnl = strategy_pnl(result, market)
    if key[2]:
        assert (result.trades["kind"] == "LIQUIDATION").any()
    assert len(pnl.columns) == 3 and pnl.index.equals(result.equity.index)
    first = result.decisions.drop_duplicates("strategy_id")["strategy_id"].tolist()
    assert list(pnl.columns) == first
    ch = change(result)
    assert np.abs(pnl.sum(axis=1) - ch).max() <= 1e-6 * np.abs(ch).max()


@pytest.mark.parametrize("key", RUNS)
@pytest.mark.parametrize("linking", [Linking.CARINO, Linking.MENCHERO, Linking.GRAP])
def test_linked_contributions_sum_to_the_total_return(runs, key, linking):
    result, market = runs[key]
    table = strategy_contributions(result, market, linking=linking)
    total = result.equity.iloc[-1] / result.initial_cash - 1.0
    assert abs(table["return_contribution"].sum() - total) < 1e-9
    np.testing.assert_allclose(table["pnl"].sum(), result.equity.iloc[-1] - result.initial_cash)
    np.testing.assert_allclose(table["costs"].sum(), result.trades["cost"].sum())
    assert table["trades"].sum() >= len(result.trades)
    np.testing.assert_allclose(table["share_of_pnl"].sum(), 1.0)


def test_no_linking_is_the_plain_sum(runs):
    result, market = runs["close", "ME", 0]
    table = strategy_contributions(result, market, linking="none")
    before = np.concatenate([[result.initial_cash], result.equity.to_numpy()[:-1]])
    plain = strategy_pnl(result, market).div(before, axis=0).sum()
    np.testing.assert_allclose(table["return_contribution"], plain, rtol=1e-12)


@pytest.mark.parametrize("fill", ["close", "next_close"])
def test_one_strategy_gets_the_whole_equity_change(sample, fill):
    result = Backtest([Momentum()], fill=fill).run(sample, "2022-01-01", "2022-06-30")
    pnl = strategy_pnl(result, sample)
    assert list(pnl.columns) == ["momentum"]
    np.testing.assert_allclose(pnl["momentum"], change(result), rtol=0, atol=1e-8)
    # on a day without fills: the previous close's shares times the price change
    px = sample.prices.ffill().reindex(result.equity.index)
    quiet = result.equity.index[1:][~result.equity.index[1:].isin(result.trades["date"])]
    for day in quiet[[3, 10, 20]]:
        prev = result.equity.index[result.equity.index.get_loc(day) - 1]
        hand = (result.positions.loc[prev] * (px.loc[day] - px.loc[prev])).sum()
        assert pnl.loc[day, "momentum"] == pytest.approx(hand, rel=1e-12, abs=1e-9)
    table = strategy_contributions(result, sample)
    assert table.loc["momentum", "return_contribution"] == pytest.approx(
        result.summary()["total_return"], abs=1e-12
    )
    assert table.loc["momentum", "share_of_pnl"] == pytest.approx(1.0)


def test_inputs_are_not_mutated(runs):
    result, market = runs["next_close", "W-FRI", 1]
    names = ["equity", "cash", "positions", "weights", "costs", "trades", "decisions"]
    before = {n: copy.deepcopy(getattr(result, n)) for n in names}
    prices = market.prices.copy()
    strategy_pnl(result, market)
    strategy_contributions(result, market)
    for n in names:
        after = getattr(result, n)
        if isinstance(after, pd.Series):
            pd.testing.assert_series_equal(after, before[n])
        else:
            pd.testing.assert_frame_equal(after, before[n])
    pd.testing.assert_frame_equal(market.prices, prices)


def test_bad_arguments_raise(runs, sample, stale):
    result, market = runs["close", "W-FRI", 0]
    with pytest.raises(ValidationError, match="BacktestResult"):
        strategy_pnl("not a result", market)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="BacktestResult"):
        strategy_contributions(result.equity, market)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Market"):
        strategy_pnl(result, market.prices)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="equity"):
        strategy_pnl(runs["close", "W-FRI", 1][0], sample)  # another market's prices
    with pytest.raises(ValidationError, match="lacks"):
        strategy_pnl(result, sample.truncate("2021-06-30"))
    with pytest.raises(ValidationError, match="linking"):
        strategy_contributions(result, market, linking="bogus")

"""Strategies and the walk-forward backtest.

Expected values are recomputed independently: strategy scores with pandas rolling windows,
the calibration (hit rates, mean outcomes, Beta posterior) with a plain loop and
``scipy.stats.beta``, the accounting from the trade list with a day-by-day loop, the summary
measures with numpy and skfolio. No look-ahead is checked by changing the future and by a
strategy that tries to peek.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from portlab import Coordinator, Market
from portlab.analytics.backtest import (
    SUMMARY_FIELDS,
    TRADE_COLUMNS,
    Backtest,
    Fill,
    MeanReversion,
    Momentum,
    MovingAverageCrossover,
    SignalStrategy,
    StrategyRegistry,
    compare,
    split,
)
from portlab.datasets import load_sample
from portlab.events import SIGNAL_COLUMNS, signals_from_frame
from portlab.exceptions import ConfigError, PortlabError, ValidationError

RATE = 0.001
CASH = 1_000_000.0


@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def small(sample) -> Market:
    """Ten instruments of the sample, 2016-2019 (history for warm-up, then the runs)."""
    names = ["AAPL", "BAC", "CVX", "JNJ", "JPM", "KO", "MSFT", "PFE", "WMT", "XOM"]
    prices = sample.prices.loc["2016-01-01":"2019-12-31", names]
    return Market(prices, sectors=sample.sectors[names])


def three() -> list[SignalStrategy]:
    return [Momentum(top=3), MeanReversion(), MovingAverageCrossover()]


@pytest.fixture(scope="module")
def run(small):
    """A weekly half-year backtest over the small market."""
    return Backtest(three(), cost=RATE, initial_cash=CASH).run(small, "2019-01-01", "2019-06-30")


# --------------------------------------------------------------------------- strategies


def random_prices(seed: int, n_rows: int = 400, n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0004, 0.015, size=(n_rows, n))
    dates = pd.bdate_range("2020-01-01", periods=n_rows)
    return pd.DataFrame(
        50 * np.exp(np.cumsum(r, axis=0)), index=dates, columns=[f"S{i}" for i in range(n)]
    )


def check_signal_frame(df: pd.DataFrame, prices: pd.DataFrame, strategy, as_of) -> None:
    assert tuple(df.columns) == SIGNAL_COLUMNS
    if not len(df):
        return
    last = prices.loc[:as_of].iloc[-1]
    assert df["strategy_id"].eq(strategy.name).all()
    assert df["confidence"].between(0, 1).all()
    assert df["success_probability"].between(0, 1).all()
    assert df["signal_score"].between(-1, 1).all()
    sign = np.where(df["action"] == "BUY", 1, -1)
    assert (np.sign(df["signal_score"]) == sign).all()
    assert df["action"].isin(["BUY", "SELL"]).all()
    edges = np.searchsorted([0.25, 0.5, 0.75], df["signal_score"].abs(), side="right")
    want = np.array(["WEAK", "MODERATE", "STRONG", "VERY_STRONG"])[edges]
    assert (df["strength"].to_numpy() == want).all()
    np.testing.assert_allclose(
        df["price_target"], last[df["instrument_id"]].to_numpy() * (1 + df["expected_return"])
    )
    assert (df["horizon_days"] == strategy.horizon_days).all()
    assert (df["timestamp"] == pd.Timestamp(as_of, tz="UTC")).all()
    assert df["signal_id"].is_unique
    batch = signals_from_frame(df)  # every row is a valid TradingSignalEvent
    assert not batch.errors and len(batch.events) == len(df)


@pytest.mark.parametrize("strategy", three(), ids=lambda s: s.name)
def test_signals_have_the_columns_and_valid_ranges(sample, strategy):
    emitted = 0
    for as_of in ("2008-10-10", "2011-08-08", "2015-06-05", "2022-12-28"):
        df = strategy.generate(sample.truncate(as_of), as_of)
        check_signal_frame(df, sample.prices, strategy, as_of)
        emitted += len(df)
    assert emitted > 0


def test_momentum_selects_top_and_bottom_by_hand():
    prices = random_prices(1, n_rows=300, n=7)
    strategy = Momentum(lookback=60, skip=5, top=2, horizon_days=10, min_history=1)
    df = strategy.generate(prices)
    mom = prices.iloc[-1 - 5] / prices.iloc[-1 - 60] - 1
    order = mom.sort_values()
    want = {**dict.fromkeys(order.index[-2:], "BUY"), **dict.fromkeys(order.index[:2], "SELL")}
    got = dict(zip(df["instrument_id"], df["action"], strict=True))
    assert got == want
    rank = mom.rank().astype(int) - 1  # 0 = lowest
    score = dict(zip(df["instrument_id"], df["signal_score"], strict=True))
    for name in want:
        assert score[name] == pytest.approx(2 * (rank[name] + 0.5) / 7 - 1)


def test_mean_reversion_and_crossover_scores_match_pandas_rolling():
    prices = random_prices(2, n_rows=250, n=6)
    prices.iloc[-1] = prices.iloc[-1] * np.array([0.85, 1.15, 1.0, 0.9, 1.0, 1.2])
    mr = MeanReversion(lookback=20, z=1.5, min_history=1)
    mean = prices.rolling(20).mean().iloc[-1]
    std = prices.rolling(20).std().iloc[-1]
    z = (prices.iloc[-1] - mean) / std
    rows = np.arange(len(prices))
    got = pd.Series(mr.scores(prices.to_numpy(), rows[-1:])[0], index=prices.columns)
    want = np.where(z.abs() >= 1.5, -np.sign(z) * np.minimum(1, z.abs() / 3.0), 0.0)
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert (got != 0).sum() >= 2

    ma = MovingAverageCrossover(short=10, long=50)
    gap = prices.rolling(10).mean() / prices.rolling(50).mean() - 1
    sigma = prices.pct_change().rolling(50).std()
    want = np.tanh(gap / (sigma * math.sqrt(10)))
    got = ma.scores(prices.to_numpy(), rows[60:])
    np.testing.assert_allclose(got, want.to_numpy()[60:], rtol=1e-10)
    assert np.isnan(ma.scores(prices.to_numpy(), np.array([49]))).all()  # not enough rows


def test_calibration_matches_a_plain_loop_and_the_beta_posterior():
    """Hit rate, mean outcome and confidence recomputed from their definitions."""
    prices = random_prices(3, n_rows=700, n=5)
    h, m, cal = 5, 20.0, 400
    strategy = MeanReversion(lookback=20, z=1.0, horizon_days=h, calibration=cal, min_history=1)
    df = strategy.generate(prices).set_index("instrument_id")
    assert len(df) > 0
    p = prices.to_numpy()
    last = len(p) - 1
    z = ((prices - prices.rolling(20).mean()) / prices.rolling(20).std()).to_numpy()
    direction = np.where(np.abs(z) >= 1.0, -np.sign(z), 0)
    # past signals on every h-th row back from the newest whose outcome is known before as_of
    rows = [t for t in range(last - 1 - h, max(0, last - cal) - 1, -h)]
    rec = {}
    for d in (1, -1):
        n_i = np.zeros(5)
        k_i = np.zeros(5)
        s_i = np.zeros(5)
        for t in rows:
            for i in range(5):
                if direction[t, i] == d:
                    out = p[t + h, i] / p[t, i] - 1
                    n_i[i] += 1
                    k_i[i] += d * out > 0
                    s_i[i] += out
        rec[d] = (n_i, k_i, s_i)
    for name, row in df.iterrows():
        i = prices.columns.get_loc(name)
        d = 1 if row["action"] == "BUY" else -1
        n_i, k_i, s_i = rec[d]
        p_bar = (k_i.sum() + 1) / (n_i.sum() + 2)
        a = k_i[i] + m * p_bar
        b = n_i[i] - k_i[i] + m * (1 - p_bar)
        assert row["success_probability"] == pytest.approx(a / (a + b))
        assert row["expected_return"] == pytest.approx(
            (s_i[i] + m * s_i.sum() / n_i.sum()) / (n_i[i] + m)
        )
        assert row["confidence"] == pytest.approx(stats.beta.sf(0.5, a, b))


def test_generate_ignores_rows_after_as_of(sample):
    """``as_of`` on a full market gives what the truncated market gives; the future is ignored."""
    as_of = "2012-03-16"
    future = sample.prices.copy()
    future.loc["2012-03-17":] *= 3.0
    for strategy in three():
        a = strategy.generate(sample, as_of)
        b = strategy.generate(sample.truncate(as_of), as_of)
        c = strategy.generate(future, as_of)
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_rows=st.integers(30, 260),
    n=st.integers(1, 6),
    holes=st.integers(0, 40),
)
def test_signals_invariants_on_random_prices(seed, n_rows, n, holes):
    prices = random_prices(seed, n_rows=n_rows, n=n)
    rng = np.random.default_rng(seed)
    prices = prices.mask(rng.random(prices.shape) < holes / 400)  # missing prices anywhere
    before = prices.copy()
    for strategy in (
        Momentum(lookback=20, skip=2, top=2, min_history=1),
        MeanReversion(lookback=10, z=1.0, min_history=1),
        MovingAverageCrossover(short=3, long=12, min_history=1),
    ):
        df = strategy.generate(prices)
        check_signal_frame(df, prices.ffill(), strategy, prices.index[-1])
        last = prices.iloc[-1]
        assert last[df["instrument_id"]].notna().all()  # no signal without a current price
        pd.testing.assert_frame_equal(df, strategy.generate(prices))  # deterministic
    pd.testing.assert_frame_equal(prices, before)  # input not mutated


def test_strategy_parameters_are_checked():
    prices = random_prices(4)
    for bad, where in (
        (Momentum(lookback=20, skip=20), "skip"),
        (Momentum(top=0), "top"),
        (MeanReversion(z=-1.0), "z"),
        (MovingAverageCrossover(short=50, long=10), "short"),
        (MovingAverageCrossover(horizon_days=0), "horizon_days"),
    ):
        with pytest.raises(ConfigError, match=where):
            bad.generate(prices)
    with pytest.raises(ValidationError, match="before the first price"):
        Momentum().generate(prices, "1999-01-01")
    with pytest.raises(ValidationError, match="Market or a prices DataFrame"):
        Momentum().generate([1, 2, 3])


def test_registry_builds_the_specification_strategy_configuration(tmp_path):
    config = {
        "strategies": {
            "ma_crossover": {
                "type": "MACrossoverStrategy",
                "params": {"short_window": 10, "long_window": 50},
            },
            "mom": {"type": "Momentum", "params": {"lookback": 100, "top": 3}},
            "revert": {"type": "mean_reversion"},
        }
    }
    built = StrategyRegistry().build(config)
    assert list(built) == ["ma_crossover", "mom", "revert"]
    ma = built["ma_crossover"]
    assert isinstance(ma, MovingAverageCrossover) and (ma.short, ma.long) == (10, 50)
    assert built["mom"].name == "mom" and built["mom"].lookback == 100
    assert isinstance(built["revert"], MeanReversion)

    path = tmp_path / "strategies.yaml"
    path.write_text(
        "strategies:\n  ma:\n    type: MACrossoverStrategy\n"
        "    params:\n      short_window: 5\n      long_window: 20\n"
    )
    assert StrategyRegistry().from_yaml(path)["ma"].short == 5

    with pytest.raises(ConfigError, match=r"strategies\.rf\.type: unknown strategy type"):
        StrategyRegistry().build({"strategies": {"rf": {"type": "RandomForestStrategy"}}})
    with pytest.raises(ConfigError, match=r"strategies\.m\.params"):
        StrategyRegistry().build({"m": {"type": "momentum", "params": {"lookbak": 3}}})
    with pytest.raises(ConfigError, match=r"strategies\.m\.params.*skip"):
        StrategyRegistry().build({"m": {"type": "momentum", "params": {"skip": 500}}})

    class Flat(SignalStrategy):
        warmup = 0

        def scores(self, prices, rows):
            return np.zeros((len(rows), prices.shape[1]))

    registry = StrategyRegistry().register("flat", Flat)
    strategy = registry.create("FLAT", name="f", horizon_days=3)
    assert strategy.name == "f" and "flat" in registry
    assert len(strategy.generate(random_prices(5))) == 0


# ------------------------------------------------------------------------------ backtest


def replay(result, market: Market) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """Cash, shares and equity rebuilt day by day from the trade list alone."""
    px = market.prices.ffill().loc[result.equity.index]
    cash = result.initial_cash
    shares = dict.fromkeys(market.instruments, 0.0)
    by_day = {d: g for d, g in result.trades.groupby("date")}
    cash_out, shares_out, equity_out = [], [], []
    for day in px.index:
        for t in by_day.get(day, pd.DataFrame()).itertuples():
            cash -= t.shares * t.price + t.cost
            shares[t.instrument_id] += t.shares
        held = {k: v for k, v in shares.items() if v}
        value = math.fsum(v * px.at[day, k] for k, v in held.items())
        cash_out.append(cash)
        shares_out.append(dict(shares))
        equity_out.append(cash + value)
    idx = px.index
    return (
        pd.Series(cash_out, index=idx),
        pd.DataFrame(shares_out, index=idx),
        pd.Series(equity_out, index=idx),
    )


def test_equity_reconciles_with_trades_and_costs_to_the_cent(run, small):
    assert len(run.trades) > 10 and tuple(run.trades.columns) == TRADE_COLUMNS
    cash, shares, equity = replay(run, small)
    np.testing.assert_allclose(run.cash, cash, rtol=0, atol=0.005)
    np.testing.assert_allclose(run.equity, equity, rtol=0, atol=0.005)
    np.testing.assert_array_equal(run.positions.to_numpy(), shares[run.positions.columns])
    # the PortfolioState the coordinator saw books the same trades (apply_trade, fees to cash)
    assert run.state.cash == pytest.approx(cash.iloc[-1], abs=0.005)
    held = {k: v for k, v in shares.iloc[-1].items() if v}
    assert {k: p.quantity for k, p in run.state.positions.items()} == held
    # P&L identity: the equity moves by the holdings' price moves minus the day's costs
    px = small.prices.loc[run.equity.index]
    pnl = (run.positions.shift(1).fillna(0) * px.diff().fillna(0)).sum(axis=1) - run.costs
    np.testing.assert_allclose(run.equity.diff().iloc[1:], pnl.iloc[1:], rtol=0, atol=0.005)
    # costs: the rate on each fill's notional; fills at the next date's close
    t = run.trades
    np.testing.assert_allclose(t["cost"], RATE * (t["shares"] * t["price"]).abs(), rtol=1e-15)
    np.testing.assert_allclose(t["notional"], t["shares"] * t["price"], rtol=1e-15)
    dates = small.dates
    nxt = dates[dates.get_indexer(pd.DatetimeIndex(t["decision_date"])) + 1]
    assert (pd.DatetimeIndex(t["date"]) == nxt).all()
    fill_px = [small.prices.at[d, i] for d, i in zip(t["date"], t["instrument_id"], strict=True)]
    np.testing.assert_array_equal(t["price"], fill_px)
    assert run.costs.sum() == pytest.approx(t["cost"].sum())
    # the first equity point is the initial cash; weights are holdings over equity
    assert run.equity.iloc[0] == CASH
    w = (run.positions * small.prices.loc[run.equity.index]).div(run.equity, axis=0)
    np.testing.assert_allclose(run.weights, w, atol=1e-12)


def test_trades_follow_decisions_and_every_signal_is_accounted_for(run):
    dec = run.decisions
    assert {"date", "fill_date"} <= set(dec.columns[:2])
    signed = np.where(dec["action"] == "BUY", 1.0, -1.0) * dec["share_quantity"]
    by_id = pd.Series(signed.to_numpy(), index=dec["decision_id"])
    t = run.trades.set_index("decision_id")
    np.testing.assert_array_equal(t["shares"], by_id[t.index])
    # every signal of a date ends in exactly one decision or one rejection (engine contract)
    sig = run.signals.groupby("date").size()
    decided = dec.groupby("date")["signal_ids"].apply(lambda s: sum(len(x) for x in s))
    rejected = run.rejections[run.rejections["source"] == "SIGNAL"].groupby("date").size()
    total = decided.reindex(sig.index, fill_value=0) + rejected.reindex(sig.index, fill_value=0)
    pd.testing.assert_series_equal(total, sig, check_names=False)
    assert run.rebalance_dates.day_of_week.isin([3, 4]).all()  # Fridays (Thursday before a holiday)
    assert len(run.rebalance_dates) == 25  # 26 weeks, the last Friday has no next close in range


def test_summary_measures_match_numpy_and_skfolio(run):
    skm = pytest.importorskip("skfolio.measures")
    s = run.summary()
    assert tuple(s.index) == SUMMARY_FIELDS
    e = run.equity.to_numpy()
    r = np.diff(e) / e[:-1]
    assert s["total_return"] == pytest.approx(e[-1] / CASH - 1)
    assert s["annual_return"] == pytest.approx((e[-1] / CASH) ** (252 / (len(e) - 1)) - 1)
    assert s["annual_volatility"] == pytest.approx(skm.standard_deviation(r) * np.sqrt(252))
    assert s["sharpe"] == pytest.approx(skm.mean(r) / skm.standard_deviation(r) * np.sqrt(252))
    from_start = np.diff(np.r_[CASH, e]) / np.r_[CASH, e][:-1]
    dd = skm.max_drawdown(skm.get_drawdowns(from_start, compounded=True))
    assert s["max_drawdown"] == pytest.approx(abs(dd))
    years = (len(e) - 1) / 252
    traded = run.trades["notional"].abs().sum()
    assert s["turnover"] == pytest.approx(traded / 2 / e.mean() / years)
    assert s["n_trades"] == len(run.trades) and s["costs"] == pytest.approx(run.costs.sum())


def test_no_look_ahead_changing_the_future_changes_nothing_before(small):
    cut = pd.Timestamp("2019-04-12")
    prices = small.prices.copy()
    rng = np.random.default_rng(0)
    after = prices.index > cut
    prices.loc[after] *= rng.uniform(0.5, 1.5, size=(after.sum(), prices.shape[1]))
    other = Market(prices, sectors=small.sectors)
    bt = Backtest(three(), cost=RATE)
    a = bt.run(small, "2019-01-01", "2019-06-30")
    b = bt.run(other, "2019-01-01", "2019-06-30")
    ta = a.trades[a.trades["date"] <= cut].reset_index(drop=True)
    tb = b.trades[b.trades["date"] <= cut].reset_index(drop=True)
    assert len(ta) > 0
    pd.testing.assert_frame_equal(ta, tb)
    pd.testing.assert_series_equal(a.equity[:cut], b.equity[:cut])
    da = a.decisions[a.decisions["date"] <= cut]
    db = b.decisions[b.decisions["date"] <= cut]
    pd.testing.assert_frame_equal(da.reset_index(drop=True), db.reset_index(drop=True))
    assert not a.equity[cut:].equals(b.equity[cut:])  # the future did change


class Peeker(SignalStrategy):
    """Tries to read prices after ``as_of`` and buys what is about to rise."""

    def __init__(self) -> None:
        super().__init__(name="peeker", horizon_days=5)
        self.seen: list[tuple[pd.Timestamp, pd.Timestamp, int]] = []

    warmup = 0

    def scores(self, prices, rows):
        return np.zeros((len(rows), prices.shape[1]))

    def generate(self, history, as_of=None):
        prices = history.prices
        ahead = prices.loc[as_of + pd.Timedelta(days=1) :]
        nxt = prices.shift(-1).iloc[-1]  # tomorrow's price, if it could be seen
        rising = nxt[nxt > prices.iloc[-1]].index
        self.seen.append((pd.Timestamp(as_of), history.dates[-1], len(ahead)))
        rows = [
            {
                "signal_id": f"peek:{i}:{as_of.date()}",
                "instrument_id": i,
                "action": "BUY",
                "confidence": 0.99,
                "strength": "VERY_STRONG",
                "signal_score": 1.0,
                "price_target": float(nxt[i]),
                "expected_return": 0.05,
                "success_probability": 0.99,
                "strategy_id": self.name,
            }
            for i in rising
        ]
        return pd.DataFrame(rows, columns=list(SIGNAL_COLUMNS))


def test_a_strategy_that_peeks_sees_nothing(small):
    peeker = Peeker()
    result = Backtest([peeker]).run(small, "2019-01-01", "2019-03-31")
    assert len(peeker.seen) == len(result.rebalance_dates) > 5
    for as_of, last_seen, n_ahead in peeker.seen:
        assert last_seen == as_of and n_ahead == 0
    assert len(result.signals) == 0 and len(result.trades) == 0
    assert (result.equity == CASH).all()


def test_fill_at_close_and_side_by_side_runs_match_single_runs(small):
    strategies = three()
    tight = Coordinator(policy={"max_position_size": 0.03})
    bt = Backtest(strategies, frequency="W-FRI", cost=0.002, fill="close")
    many = bt.run_many(small, {"default": None, "tight": tight}, "2019-02-01", "2019-05-31")
    single = Backtest(strategies, tight, cost=0.002, fill=Fill.CLOSE).run(
        small, "2019-02-01", "2019-05-31"
    )
    pd.testing.assert_series_equal(many["tight"].equity, single.equity)
    pd.testing.assert_frame_equal(many["tight"].trades, single.trades)
    t = single.trades
    assert (t["date"] == t["decision_date"]).all()  # same-close fills
    assert not many["default"].equity.equals(many["tight"].equity)
    assert single.weights.abs().max().max() <= 0.03 + 0.01  # 3% cap plus a few days' drift


def test_compare_table(small):
    table = compare(
        {
            "default": Coordinator(),
            "greedy": Coordinator(sizing={"allocation": "GREEDY"}),
            "monthly": Backtest(three(), frequency="ME"),
        },
        small,
        three(),
        start="2019-01-01",
        end="2019-04-30",
    )
    assert list(table.index) == ["default", "greedy", "monthly"]
    assert tuple(table.columns) == SUMMARY_FIELDS
    assert table.loc["monthly", "n_rebalances"] == 3  # Jan, Feb, Mar (April's end has no next)
    assert table.loc["default", "n_rebalances"] == 17
    assert (table["n_trades"] > 0).all()
    assert np.issubdtype(table["sharpe"].dtype, np.floating)


# ~0.2 s per example (a 30-day backtest of three strategies through the engine): 30 examples
# cover every fill rule and frequency several times over in about 6 s.
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cost=st.floats(0.0, 0.01),
    fill=st.sampled_from(list(Fill)),
    frequency=st.sampled_from(["W-FRI", "W-WED", "D"]),
    cash=st.floats(1e4, 1e7),
)
def test_accounting_invariants_on_random_markets(seed, cost, fill, frequency, cash):
    """Equity = cash + holdings, cash moves only by fills and costs, whatever the settings."""
    prices = random_prices(seed, n_rows=160, n=5)
    market = Market(prices, sectors=dict(zip(prices.columns, "aabbc", strict=True)))
    strategies = [
        Momentum(lookback=20, skip=2, top=1, calibration=60, min_history=1),
        MeanReversion(lookback=10, z=1.0, calibration=60, min_history=1),
        MovingAverageCrossover(short=3, long=12, calibration=60, min_history=1),
    ]
    bt = Backtest(strategies, cost=cost, initial_cash=cash, fill=fill, frequency=frequency)
    result = bt.run(market, prices.index[100], prices.index[130])
    _, shares, equity = replay(result, market)
    np.testing.assert_allclose(result.equity, equity, rtol=0, atol=0.005)
    np.testing.assert_array_equal(result.positions.to_numpy(), shares[market.instruments])
    t = result.trades
    np.testing.assert_allclose(t["cost"], cost * t["notional"].abs(), rtol=1e-12, atol=0)
    assert result.equity.iloc[0] == pytest.approx(
        cash - t.loc[t["date"] == prices.index[100], "cost"].sum()
    )
    assert (result.positions >= 0).all().all()  # the default policy does not short
    assert result.state.cash == pytest.approx(result.cash.iloc[-1], abs=0.005)


def test_delisted_holding_is_liquidated_at_its_last_price():
    dates = pd.bdate_range("2021-01-01", periods=260)
    rng = np.random.default_rng(7)
    prices = pd.DataFrame(
        40 * np.exp(np.cumsum(rng.normal(0.001, 0.01, size=(260, 3)), axis=0)),
        index=dates,
        columns=["A", "B", "D"],
    )
    prices.loc[dates[200] :, "D"] = np.nan  # D stops trading
    market = Market(prices, sectors={"A": "x", "B": "y", "D": "z"})

    class BuyD(SignalStrategy):
        warmup = 0

        def scores(self, p, rows):
            return np.zeros((len(rows), p.shape[1]))

        def generate(self, history, as_of=None):
            last = history.last_prices["D"]
            if not np.isfinite(last):
                return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
            row = {
                "signal_id": f"d:{as_of.date()}",
                "instrument_id": "D",
                "action": "BUY",
                "confidence": 0.7,
                "strength": "STRONG",
                "signal_score": 0.7,
                "price_target": last * 1.05,
                "expected_return": 0.05,
                "success_probability": 0.6,
                "strategy_id": "buy_d",
            }
            return pd.DataFrame([row], columns=list(SIGNAL_COLUMNS))

    result = Backtest([BuyD(name="buy_d", horizon_days=10)]).run(market, dates[100])
    liq = result.trades[result.trades["kind"] == "LIQUIDATION"]
    assert len(liq) == 1
    held = result.trades.loc[result.trades["kind"] == "DECISION", "shares"].sum()
    assert liq["shares"].iloc[0] == -held
    assert liq["price"].iloc[0] == prices["D"].iloc[199]
    assert result.positions["D"].iloc[-1] == 0
    _, _, equity = replay(result, market)
    np.testing.assert_allclose(result.equity, equity, rtol=0, atol=0.005)


def test_split_by_fractions_and_dates(sample):
    s = split(sample, 0.6, 0.2, 0.2)
    n = len(sample.dates)
    assert s.train.start == sample.dates[0] and s.test.end == sample.dates[-1]
    assert s.train.end == sample.dates[round(0.6 * n) - 1]
    assert s.validation.start == sample.dates[round(0.6 * n)]
    gap = split(sample.dates, 0.5, 0.25, gap=21)
    i = sample.dates.get_loc(gap.train.end)
    assert gap.validation.start == sample.dates[i + 22]
    by_date = split(sample, "2009-12-31", "2015-12-31")
    assert by_date.train.end == pd.Timestamp("2009-12-31")
    assert by_date.validation == (pd.Timestamp("2010-01-04"), pd.Timestamp("2015-12-31"))
    assert by_date.test.start == pd.Timestamp("2016-01-04")
    with pytest.raises(ValidationError, match="sum to 1"):
        split(sample, 0.7, 0.4)
    with pytest.raises(ValidationError, match="all as fractions or all as dates"):
        split(sample, 0.5, "2015-01-01")
    with pytest.raises(ValidationError, match="no dates"):
        split(sample, "2020-01-01", "2010-01-01")


def test_bad_settings_raise_typed_errors(small):
    def run_with(**kwargs):
        return Backtest(three(), **kwargs).run(small, "2019-01-01", "2019-01-31")

    with pytest.raises(ConfigError, match="frequency"):
        run_with(frequency="every tuesday")
    with pytest.raises(ConfigError, match="cost"):
        run_with(cost=1.5)
    with pytest.raises(ConfigError, match="initial_cash"):
        run_with(initial_cash=-5)
    with pytest.raises(ConfigError, match="fill"):
        run_with(fill="next_open")
    with pytest.raises(ConfigError, match="duplicate names"):
        Backtest([Momentum(), Momentum()]).run(small, "2019-01-01", "2019-01-31")
    with pytest.raises(ValidationError, match="after end"):
        Backtest(three()).run(small, "2019-02-01", "2019-01-01")
    with pytest.raises(ValidationError, match="no market dates"):
        Backtest(three()).run(small, "2019-07-06", "2019-07-07")  # a weekend
    with pytest.raises(ConfigError, match="strategies are required"):
        compare({"a": Coordinator()}, small)
    assert issubclass(ConfigError, PortlabError)


def test_progress_bar_and_inputs_untouched(small, capsys):
    before = small.prices.copy()
    strategies = three()
    reprs = [repr(s) for s in strategies]
    Backtest(strategies).run(small, "2019-01-01", "2019-02-28", progress=True)
    assert "backtest" in capsys.readouterr().err
    Backtest(strategies).run(small, "2019-01-01", "2019-02-28")  # not a TTY: quiet
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(small.prices, before)
    assert [repr(s) for s in strategies] == reprs

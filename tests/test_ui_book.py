"""Tests of portlab.ui.book, the PM dashboard's view-model.

Every figure is compared with a value the test computes itself: the book's value and P&L by
hand from the market's prices and the state's quantities, VaR, stress, performance,
rebalancing and tax by direct :mod:`portlab.analytics` calls with the same inputs, monthly
returns and drawdowns from their definitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portlab.analytics import performance as perf
from portlab.analytics import rebalance, risk
from portlab.analytics.tax import LotLedger, harvest_candidates
from portlab.datasets import example_batch, load_sample
from portlab.plots.palette import LimitStatus
from portlab.ui import AttributionModel, BookModel
from portlab.ui.book import Period

LAST = pd.Timestamp("2022-12-28")
EARLIER = pd.Timestamp("2022-06-15")


@pytest.fixture(scope="module")
def market():
    return load_sample()


@pytest.fixture(scope="module")
def state():
    return example_batch().state


@pytest.fixture(scope="module")
def model(market, state):
    return BookModel(market=market, state=state)


def hand_value(market, state, date):
    """Cash plus quantity x the last price on or before ``date``, by hand."""
    prices = market.prices.loc[:date].iloc[-1]
    return state.cash + sum(p.quantity * prices[i] for i, p in state.positions.items())


def hand_weights(market, state, date):
    prices = market.prices.loc[:date].iloc[-1]
    value = hand_value(market, state, date)
    return pd.Series({i: p.quantity * prices[i] / value for i, p in state.positions.items()})


def test_book_value_and_positions_by_hand(model, market, state):
    r = model.result
    assert r.as_of == LAST
    assert r.summary.value == pytest.approx(hand_value(market, state, LAST), abs=1e-6)
    assert r.summary.cash == state.cash
    w = hand_weights(market, state, LAST)
    assert r.positions["weight"].to_dict() == pytest.approx(w.to_dict(), abs=1e-12)
    assert r.summary.largest_position == w.abs().idxmax() == "MSFT"
    assert r.summary.gross_exposure == pytest.approx(w.abs().sum(), abs=1e-12)
    assert r.summary.leverage == pytest.approx(w.abs().sum(), abs=1e-12)
    prices = market.prices.loc[LAST]
    upnl = {i: p.quantity * (prices[i] - p.avg_price) for i, p in state.positions.items()}
    assert r.positions["unrealized_pnl"].to_dict() == pytest.approx(upnl, abs=1e-6)
    assert list(r.positions.index) == list(w.abs().sort_values(ascending=False).index)


def test_pnl_by_hand(model, market, state):
    s = model.result.summary
    dates = market.dates
    previous = dates[dates < LAST][-1]
    month_end = dates[dates < "2022-12-01"][-1]
    year_end = dates[dates < "2022-01-01"][-1]
    value = hand_value(market, state, LAST)
    for got, ref in ((s.pnl_day, previous), (s.pnl_mtd, month_end), (s.pnl_ytd, year_end)):
        assert got == pytest.approx(value - hand_value(market, state, ref), abs=1e-6)
    assert s.pnl_ytd_pct == pytest.approx(
        value / hand_value(market, state, year_end) - 1.0, abs=1e-12
    )


def test_as_of_moved_back_recomputes_everything(market, state):
    model = BookModel(market=market, state=state)
    last_value = model.result.summary.value
    model.as_of = EARLIER
    r = model.result
    assert model.error is None and r.as_of == EARLIER
    assert r.summary.value == pytest.approx(hand_value(market, state, EARLIER), abs=1e-6)
    assert r.summary.value != pytest.approx(last_value)
    assert r.market.dates[-1] == EARLIER  # no look-ahead
    assert r.returns.index[-1] == EARLIER
    w = hand_weights(market, state, EARLIER)
    window = market.returns.loc[:EARLIER].iloc[-252:]
    assert r.risk["var"] == pytest.approx(risk.value_at_risk(w, window, confidence=0.99), abs=1e-12)
    # a weekend: the last trading day before it
    model.as_of = pd.Timestamp("2022-06-19")
    assert model.result.as_of == pd.Timestamp("2022-06-17")


@pytest.mark.parametrize("method", list(risk.VaRMethod))
def test_var_cvar_are_the_analytics_calls(market, state, method):
    model = BookModel(market=market, state=state, var_method=method, confidence=0.975)
    w = hand_weights(market, state, LAST)
    window = market.returns.iloc[-252:]
    var = risk.value_at_risk(w, window, confidence=0.975, method=method)
    cvar = risk.conditional_value_at_risk(w, window, confidence=0.975, method=method)
    k = model.result.risk
    assert k["var"] == pytest.approx(var, rel=1e-12)
    assert k["cvar"] == pytest.approx(cvar, rel=1e-12)
    assert k["var_amount"] == pytest.approx(var * hand_value(market, state, LAST), rel=1e-12)
    assert k["volatility"] == pytest.approx(risk.volatility(w, window), rel=1e-12)


def test_historical_var_by_hand(model, market, state):
    """The historical VaR is a loss quantile of the window's portfolio returns."""
    w = hand_weights(market, state, LAST)
    window = market.returns.iloc[-252:][w.index]
    pnl = window.to_numpy() @ w.to_numpy()
    var = model.result.risk["var"]
    # at most 1% of the days lose more than VaR, and VaR is one of the observed losses range
    assert (pnl < -var - 1e-12).mean() <= 0.01 + 1e-12
    assert -pnl.max() <= var <= -pnl.min()


def test_limits_flag_the_position_breach(model, market, state):
    r = model.result
    measures = risk.limit_measures(state, market, model.coordinator.policy)
    assert r.limits["value"].to_dict() == pytest.approx(measures["value"].to_dict())
    assert r.limits.loc["position", "status"] is LimitStatus.OVER_HARD  # MSFT 6.07% > 5%
    assert r.limits.loc["leverage", "status"] is LimitStatus.WITHIN
    assert r.positions.loc["MSFT", "status"] is LimitStatus.OVER_HARD
    assert r.positions.loc["JPM", "status"] is LimitStatus.WITHIN  # 3.9%
    w = hand_weights(market, state, LAST)
    it = w[market.sectors[w.index] == "Information Technology"].abs().sum()
    assert r.sector_limits.loc["Information Technology", "gross"] == pytest.approx(it)


def test_stress_is_the_analytics_call(model, market, state):
    r = model.result
    direct = risk.stress_test(state, market, list(risk.EPISODES), model.coordinator.policy)
    for name in direct.totals.index:
        assert r.stress_summary.loc[name, "loss"] == pytest.approx(direct.totals.loc[name, "loss"])
    breached = direct.limits.xs("dot-com decline")
    rules = ", ".join(breached.index[breached["breached"]])
    assert r.stress_summary.loc["dot-com decline", "limits_breached"] == rules


def test_performance_of_held_weights(model, market, state):
    r = model.result
    w = hand_weights(market, state, LAST)
    window = market.returns.iloc[-252:]
    by_hand = window[w.index].to_numpy() @ w.to_numpy()
    assert r.returns.to_numpy() == pytest.approx(by_hand, abs=1e-14)
    assert "held constant" in r.performance_label
    bench = market.benchmark_returns.reindex(window.index)
    expected = perf.summary(r.returns, bench)
    assert r.metrics["portfolio"].to_dict() == pytest.approx(expected.to_dict(), nan_ok=True)
    december = r.returns.loc["2022-12"]
    assert r.monthly_returns.loc[2022, 12] == pytest.approx(np.prod(1 + december) - 1)
    wealth = np.cumprod(1 + r.returns.to_numpy())
    deepest = 1 - wealth / np.maximum.accumulate(np.maximum(wealth, 1.0))
    assert r.worst_drawdowns.loc[0, "depth"] == pytest.approx(deepest.max())
    assert r.worst_drawdowns.loc[0, "trough"] == r.returns.index[deepest.argmax()]
    roll = perf.rolling_volatility(r.returns, 63)
    assert r.rolling["volatility"].dropna().to_numpy() == pytest.approx(roll.dropna().to_numpy())


def test_given_history_is_used(market, state):
    history = pd.Series(0.001, index=market.dates[-400:])
    model = BookModel(market=market, state=state, history=history, window=100)
    r = model.result
    assert len(r.returns) == 100 and (r.returns == 0.001).all()
    assert "given history" in r.performance_label


def test_attribution_is_the_attribution_model(model, market, state):
    model.set(attribution_period=Period.QUARTER_TO_DATE)
    direct = AttributionModel(
        market=market, state=state, start=pd.Timestamp("2022-10-01"), end=LAST
    ).result
    got = model.result.attribution
    assert got.brinson.effects.index[0] == pd.Timestamp("2022-10-03")
    assert got.totals.to_dict() == pytest.approx(direct.totals.to_dict())
    model.set(attribution_period=Period.YEAR_TO_DATE)


def test_rebalancing_is_the_analytics_call(model, market, state):
    r = model.result
    start = pd.Timestamp("2022-10-03")  # the first trading day of the quarter
    targets = hand_weights(market, state, start)
    assert r.targets.to_dict() == pytest.approx(targets.to_dict())
    requests = rebalance.evaluate_triggers(state, market, targets, as_of=LAST, last_rebalance=start)
    assert [e.event_id for e in r.rebalance_requests] == [e.event_id for e in requests]
    trades = rebalance.recommend_trades(state, market, targets)
    assert r.trades["shares"].to_dict() == trades["shares"].to_dict()


def test_tax_lots_from_positions(model, market, state):
    r = model.result
    prices = market.prices.loc[LAST]
    gains = sum(p.quantity * (prices[i] - p.avg_price) for i, p in state.positions.items())
    assert r.gains_by_term["unrealized_gain"].sum() == pytest.approx(gains, abs=1e-6)
    opened = market.returns.index[-252]
    assert (r.lots["open_date"] == opened).all()
    ledger = LotLedger()
    for i, p in state.positions.items():
        ledger = ledger.buy(i, opened, p.quantity, p.avg_price)
    direct = harvest_candidates(ledger, market, LAST)
    assert list(r.harvest["instrument"]) == list(direct["instrument"]) == ["MSFT"]
    assert not r.harvest["wash_sale_risk"].any()


def test_trade_history_gives_the_lots(market, state):
    trades = pd.DataFrame(
        {
            "date": ["2022-01-03", "2022-11-15"],
            "instrument": ["MSFT", "MSFT"],
            "shares": [100.0, 50.0],
            "price": [330.0, 240.0],
        }
    )
    r = BookModel(market=market, state=state, trades=trades).result
    assert r.lots["quantity"].tolist() == [100.0, 50.0]
    harvest = r.harvest.set_index("lot_id")
    assert bool(harvest.loc[0, "wash_sale_risk"]) is False  # bought 2022-11-15: > 30 days


def test_a_section_that_cannot_be_computed_is_left_empty(market, state):
    model = BookModel(market=market, state=state, as_of=pd.Timestamp("1990-03-15"))
    r = model.result
    assert model.error is None
    assert r.summary.value == pytest.approx(hand_value(market, state, r.as_of), abs=1e-6)
    assert r.risk is None
    assert any(n.startswith("Risk:") for n in r.notes)


def test_to_code_reproduces_value_and_var(market, state):
    model = BookModel(market=market, state=state, as_of=EARLIER, confidence=0.95)
    namespace = {"market": market, "state": state}
    exec(model.to_code(), namespace)
    assert namespace["result"]["value"] == pytest.approx(model.result.summary.value)
    assert namespace["result"]["var"] == pytest.approx(model.result.risk["var"])


def test_settings_are_checked(model):
    with pytest.raises(ValueError):
        model.confidence = 1.0
    with pytest.raises(ValueError):
        model.window = 5

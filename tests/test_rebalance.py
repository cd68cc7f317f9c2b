"""Rebalancing triggers and recommendations, checked against values worked out by hand, closed
forms, brute force and an independent root finder -- never against portlab's own output."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.stats import norm

import portlab
from portlab import Market, PortfolioState
from portlab.analytics.rebalance import (
    BandType,
    Frequency,
    PerformanceReference,
    RebalanceTriggers,
    TriggerKind,
    evaluate_triggers,
    mean_pairwise_correlation,
    recommend_trades,
    trigger_status,
)
from portlab.events import RebalanceRequestEvent
from portlab.exceptions import ConfigError, DataError, InfeasibleError, ValidationError

AS_OF = "2021-12-31"


# -- helpers --------------------------------------------------------------------------------


def market_from_returns(
    returns: dict[str, np.ndarray],
    *,
    benchmark: np.ndarray | None = None,
    covariance: np.ndarray | None = None,
    sectors: dict[str, str] | None = None,
    end: str = AS_OF,
) -> Market:
    """Prices starting at 100 whose simple returns are exactly ``returns`` (rows end at ``end``)."""
    n = len(next(iter(returns.values())))
    dates = pd.bdate_range(end=end, periods=n + 1)
    prices = pd.DataFrame(
        {k: 100 * np.cumprod(np.r_[1.0, 1 + np.asarray(r)]) for k, r in returns.items()},
        index=dates,
    )
    bench = None
    if benchmark is not None:
        bench = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + benchmark]), index=dates)
    cov = None
    if covariance is not None:
        cov = pd.DataFrame(covariance, index=list(returns), columns=list(returns))
    return Market(prices, benchmark=bench, covariance=cov, sectors=sectors)


@functools.cache
def flat_market(n: int = 6, rows: int = 3) -> Market:
    """``n`` instruments ``I0..`` at a constant price of 1.0 (weights = quantities / NAV)."""
    dates = pd.bdate_range(end=AS_OF, periods=rows)
    return Market(pd.DataFrame(1.0, index=dates, columns=[f"I{i}" for i in range(n)]))


def state_of(market: Market, weights: dict[str, float], nav: float = 1000.0) -> PortfolioState:
    """Fractional-share holdings with exactly ``weights`` of ``nav`` at the last prices."""
    price = market.last_prices
    pos = {k: {"quantity": w * nav / price[k], "avg_price": price[k]} for k, w in weights.items()}
    return PortfolioState(pos, cash=nav * (1 - sum(weights.values())))


def only(*kinds: TriggerKind, **kw) -> RebalanceTriggers:
    return RebalanceTriggers(enabled=kinds, **kw)


def alternating(n: int, a: float) -> np.ndarray:
    return a * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


# -- weight deviation (drift) ------------------------------------------------------------------


def drift_status(weight_a: float, target_a: float, **kw):
    """A held at ``weight_a`` of a NAV of 1000 (price 100), target ``target_a``."""
    m = market_from_returns({"A": np.zeros(3), "B": np.zeros(3)})  # price 100
    mv = round(weight_a * 1000, 9)
    state = PortfolioState({"A": {"quantity": mv / 100, "avg_price": 100.0}}, cash=1000 - mv)
    cfg = only(TriggerKind.WEIGHT_DEVIATION, **kw)
    row = trigger_status(state, m, {"A": target_a}, as_of=AS_OF, config=cfg).iloc[0].copy()
    row["weight"] = state.weights(m.last_prices)["A"]
    assert row["weight"] == pytest.approx(weight_a, abs=1e-15)
    return row


def test_drift_exactly_at_threshold_does_not_fire():
    # 0.55 - 0.50 is 0.050000000000000044 in floats: still *at* the 5% threshold
    row = drift_status(0.55, 0.50)
    assert row.weight - 0.50 > 0.05  # 0.050000000000000044
    assert row.observed == row.weight - 0.50
    assert not row.fired
    # and from below in floats (0.15 - 0.10 = 0.04999999999999999)
    assert not drift_status(0.15, 0.10).fired
    assert not drift_status(0.45, 0.50).fired  # underweight by exactly 5%


def test_drift_just_past_threshold_fires_on_both_sides():
    assert drift_status(0.5500001, 0.50).fired  # 1e-7 past: > threshold
    assert drift_status(0.4499999, 0.50).fired
    assert not drift_status(0.5499999, 0.50).fired
    row = drift_status(0.5500001, 0.50)
    assert row.severity == "LOW"
    assert row.observed == pytest.approx(0.0500001, abs=1e-12)


@pytest.mark.parametrize(
    ("weight", "severity"),
    [(0.555, "LOW"), (0.56, "MEDIUM"), (0.575, "HIGH"), (0.60, "CRITICAL"), (0.40, "CRITICAL")],
)
def test_drift_severity_grows_with_distance_past_threshold(weight, severity):
    # specification §10: 6% against a 5% threshold (ratio 1.2) is MEDIUM; ratios 1.5 / 2.0 HIGH / CRITICAL
    assert drift_status(weight, 0.50).severity == severity


def test_drift_request_lists_breaching_instruments_with_hand_values():
    m = flat_market()
    w = {"I0": 0.30, "I1": 0.02, "I2": 0.20, "I3": 0.20}
    t = {"I0": 0.20, "I1": 0.10, "I2": 0.22, "I3": 0.18, "I4": 0.10}
    cfg = only(TriggerKind.WEIGHT_DEVIATION)
    (ev,) = evaluate_triggers(state_of(m, w), m, t, as_of=AS_OF + "T16:00Z", config=cfg)
    assert ev.rebalance_type == "TACTICAL"
    assert ev.trigger_reason.type == "WEIGHT_DEVIATION"
    # largest deviation 0.10 (I0) = 2x the threshold
    assert (ev.trigger_reason.severity, ev.trigger_reason.urgency) == ("CRITICAL", "CRITICAL")
    got = {a.instrument_id: a for a in ev.instrument_adjustments}
    assert set(got) == {"I0", "I1", "I4"}  # 0.10, 0.08, 0.10 beyond; I2, I3 within
    assert got["I0"].current_weight == pytest.approx(0.30)
    assert got["I0"].target_weight == pytest.approx(0.20)
    assert got["I0"].adjustment_needed == pytest.approx(-0.10)
    assert got["I1"].adjustment_needed == pytest.approx(0.08)
    assert got["I1"].urgency == "HIGH"  # 0.08 / 0.05 = 1.6
    assert got["I4"].current_weight == 0.0 and got["I4"].urgency == "CRITICAL"
    assert ev.constraints.model_dump() == {
        "max_turnover": 0.10,
        "min_trade_size": 1000.0,
        "execution_timeframe": "1_day",
        "cost_limit": 0.002,
    }
    assert ev.timestamp == pd.Timestamp("2021-12-31T16:00Z").to_pydatetime()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.lists(st.floats(0, 0.3), min_size=6, max_size=6),
    t=st.lists(st.floats(0, 0.3), min_size=6, max_size=6),
)
def test_drift_fires_iff_a_deviation_exceeds_threshold(w, t):
    dev = max(abs(a - b) for a, b in zip(w, t, strict=True))
    assume(abs(dev - 0.05) > 1e-7)
    m = flat_market()
    names = list(m.instruments)
    state = state_of(m, dict(zip(names, w, strict=True)))
    targets = pd.Series(t, index=names)
    cfg = only(TriggerKind.WEIGHT_DEVIATION)
    events = evaluate_triggers(state, m, targets, as_of=AS_OF, config=cfg)
    assert len(events) == (dev > 0.05)
    if events:
        breaching = {n for n, a, b in zip(names, w, t, strict=True) if abs(a - b) > 0.05}
        assert {a.instrument_id for a in events[0].instrument_adjustments} == breaching


# -- time based ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "last", "as_of", "count"),
    [
        ({}, "2021-11-30", "2021-12-28", 1),  # Dec 1 passed
        ({}, "2021-12-01", "2021-12-28", 0),  # rebalanced on Dec 1 itself
        ({}, "2021-09-15", "2021-12-28", 3),  # Oct 1, Nov 1, Dec 1
        ({}, "2021-12-01", "2021-12-01", 0),
        ({"day_of_month": 31}, "2021-02-01", "2021-03-01", 1),  # Feb 28 (the month is short)
        ({"day_of_month": 15}, "2021-11-15", "2021-12-14", 0),
        ({"frequency": "QUARTERLY"}, "2021-01-01", "2021-12-28", 3),  # Apr 1, Jul 1, Oct 1
        ({"frequency": "ANNUALLY"}, "2020-06-30", "2021-12-28", 1),  # Jan 1 2021
        ({"frequency": "WEEKLY"}, "2021-12-06", "2021-12-27", 3),  # Mondays 13, 20, 27
        ({"frequency": "WEEKLY", "weekday": 4}, "2021-12-06", "2021-12-16", 1),  # Fri 10
        ({"frequency": Frequency.DAILY}, "2021-12-20", "2021-12-23T18:00", 3),
    ],
)
def test_time_based_counts_scheduled_dates(cfg, last, as_of, count):
    m = flat_market(rows=300)
    st_ = state_of(m, {"I0": 0.5})
    row = trigger_status(
        st_,
        m,
        {"I0": 0.5},
        as_of=as_of,
        last_rebalance=last,
        config=only(TriggerKind.TIME_BASED, **cfg),
    ).iloc[0]
    assert row.observed == count
    assert row.fired == (count > 0)


def test_time_based_fires_without_previous_rebalance_and_targets_everything():
    m = flat_market()
    state = state_of(m, {"I0": 0.40, "I1": 0.10})
    targets = {"I0": 0.39, "I1": 0.10, "I2": 0.2}
    (ev,) = evaluate_triggers(state, m, targets, as_of=AS_OF, config=only(TriggerKind.TIME_BASED))
    assert ev.rebalance_type == "TIME_BASED"
    assert (ev.trigger_reason.severity, ev.trigger_reason.urgency) == ("LOW", "NORMAL")
    adj = {a.instrument_id: a.target_weight for a in ev.instrument_adjustments}
    assert adj == {"I0": 0.39, "I2": 0.2}  # I1 is on target


def test_last_rebalance_after_as_of_is_an_error():
    m = flat_market()
    with pytest.raises(ValidationError, match="last_rebalance"):
        evaluate_triggers(
            state_of(m, {"I0": 0.5}), m, {"I0": 0.5}, as_of="2021-12-01", last_rebalance=AS_OF
        )


# -- risk budget -----------------------------------------------------------------------------

VOLS = np.array([0.10, 0.20, 0.30])
COV3 = np.diag(VOLS**2)  # uncorrelated: risk shares are w_i² σ_i² / Σ w_j² σ_j²


@functools.cache
def risk_market() -> Market:
    rng = np.random.default_rng(3)
    rets = {k: rng.normal(0, 0.01, 300) for k in "ABC"}
    return market_from_returns(rets, covariance=COV3, sectors={"A": "S1", "B": "S1", "C": "S2"})


def test_risk_budget_breach_and_closed_form_target():
    m = risk_market()
    w = {"A": 0.3, "B": 0.3, "C": 0.3}
    state = state_of(m, w)
    # shares: 0.0009, 0.0036, 0.0081 over 0.0126 -> C carries 0.642857
    share_c = 0.0081 / 0.0126
    cfg = only(TriggerKind.RISK_BUDGET_BREACH)
    row = trigger_status(state, m, w, as_of=AS_OF, risk_budgets={"C": 0.5}, config=cfg).iloc[0]
    assert row.observed == pytest.approx(share_c / 0.5 - 1, rel=1e-12)
    assert row.fired and row.severity == "CRITICAL"  # 28.6% over against 10%
    (ev,) = evaluate_triggers(state, m, w, as_of=AS_OF, risk_budgets={"C": 0.5}, config=cfg)
    assert ev.rebalance_type == "RISK_DRIVEN"
    (adj,) = ev.instrument_adjustments
    # x² σ_C² / (x² σ_C² + 0.0045) = 0.5  ->  x = sqrt(0.5 * 0.0045 / (0.5 * 0.09))
    assert adj.instrument_id == "C"
    assert adj.target_weight == pytest.approx(math.sqrt(0.0045 / 0.09), rel=1e-9)
    # VaR: parametric normal 95%, one day, from the given covariance
    z = norm.ppf(0.95)
    rc = ev.risk_considerations
    assert rc.current_portfolio_var == pytest.approx(z * math.sqrt(0.0126 / 252), rel=1e-9)
    after = 0.0009 + 0.0036 + 0.0045 * 1.0  # C's variance term now equals the others' sum
    assert rc.target_portfolio_var == pytest.approx(z * math.sqrt(after / 252), rel=1e-9)


def test_risk_budget_exactly_ten_percent_over_does_not_fire():
    m = risk_market()
    w = {"A": 0.3, "B": 0.3, "C": 0.3}
    share_c = 0.0081 / 0.0126
    cfg = only(TriggerKind.RISK_BUDGET_BREACH)
    at = trigger_status(
        state_of(m, w), m, w, as_of=AS_OF, risk_budgets={"C": share_c / 1.1}, config=cfg
    )
    assert not at.fired.iloc[0]
    assert at.observed.iloc[0] == pytest.approx(0.10, abs=1e-12)
    past = trigger_status(
        state_of(m, w), m, w, as_of=AS_OF, risk_budgets={"C": share_c / 1.1001}, config=cfg
    )
    assert past.fired.iloc[0]


def test_sector_risk_budget_scales_members_to_the_budget():
    m = risk_market()
    w = {"A": 0.3, "B": 0.3, "C": 0.3}
    cfg = only(TriggerKind.RISK_BUDGET_BREACH)
    (ev,) = evaluate_triggers(
        state_of(m, w), m, w, as_of=AS_OF, risk_budgets={"S1": 0.2}, config=cfg
    )
    adj = {a.instrument_id: a.target_weight for a in ev.instrument_adjustments}
    assert set(adj) == {"A", "B"}
    k = adj["A"] / 0.3
    assert adj["B"] / 0.3 == pytest.approx(k, rel=1e-12)

    def share(k: float) -> float:  # sector S1's risk share after scaling A and B by k
        s1 = k * k * (0.0009 + 0.0036)
        return s1 / (s1 + 0.0081) - 0.2

    assert k == pytest.approx(brentq(share, 0.0, 1.0, xtol=1e-14), rel=1e-9)


def test_default_budgets_are_the_target_risk_shares():
    m = risk_market()
    w = {"A": 0.3, "B": 0.3, "C": 0.3}
    cfg = only(TriggerKind.RISK_BUDGET_BREACH)
    assert not trigger_status(state_of(m, w), m, w, as_of=AS_OF, config=cfg).fired.iloc[0]
    # targets with C at 0.2: C's budget is 0.0036 / (0.0009 + 0.0036 + 0.0036) = 0.4444
    t = {"A": 0.3, "B": 0.3, "C": 0.2}
    row = trigger_status(state_of(m, w), m, t, as_of=AS_OF, config=cfg).iloc[0]
    assert row.observed == pytest.approx((0.0081 / 0.0126) / (0.0036 / 0.0081) - 1, rel=1e-9)


@pytest.mark.parametrize(
    ("budgets", "match"), [({"ZZZ": 0.2}, "neither"), ({"A": 1.5}, r"\[0, 1\]")]
)
def test_bad_risk_budgets_are_named(budgets, match):
    m = risk_market()
    w = {"A": 0.3}
    with pytest.raises(ValidationError, match=match):
        evaluate_triggers(state_of(m, w), m, w, as_of=AS_OF, risk_budgets=budgets)


# -- volatility spike --------------------------------------------------------------------------


def vol_ratio(k: float) -> float:
    """Recent (20 rows of ±k·a) over long-run (220 of ±a, then those 20) sample volatility."""
    return math.sqrt((20 * k * k / 19) / ((220 + 20 * k * k) / 239))


@pytest.mark.parametrize("k", [1.24, 1.26, 2.0])
def test_volatility_spike_against_closed_form(k):
    a = 0.01
    r = np.r_[alternating(220, a), alternating(20, k * a)]
    m = market_from_returns({"A": r, "B": np.zeros(240)})
    state = state_of(m, {"A": 0.6})
    cfg = only(TriggerKind.VOLATILITY_SPIKE, recent_window=20, long_window=240)
    row = trigger_status(state, m, {"A": 0.6}, as_of=AS_OF, config=cfg).iloc[0]
    ratio = vol_ratio(k)
    assert row.observed == pytest.approx(ratio - 1, rel=1e-9)
    assert row.fired == (ratio > 1.25)
    if row.fired:
        (ev,) = evaluate_triggers(state, m, {"A": 0.6}, as_of=AS_OF, config=cfg)
        (adj,) = ev.instrument_adjustments
        assert adj.target_weight == pytest.approx(0.6 / ratio, rel=1e-9)


def test_volatility_spike_threshold_sits_between_the_two_cases():
    assert vol_ratio(1.24) < 1.25 < vol_ratio(1.26)


def test_too_little_history_for_a_window_is_a_data_error():
    m = flat_market(rows=30)
    with pytest.raises(DataError, match="252 return rows"):
        evaluate_triggers(
            state_of(m, {"I0": 0.5}),
            m,
            {"I0": 0.5},
            as_of=AS_OF,
            config=only(TriggerKind.VOLATILITY_SPIKE),
        )


# -- correlation regime ------------------------------------------------------------------------


def test_correlation_regime_change_hand_computed():
    a = 0.01
    base_a = alternating(240, a)  # + - + - ...
    quarter = a * np.tile([1.0, 1.0, -1.0, -1.0], 60)  # + + - - ...: orthogonal to base_a
    b = np.r_[quarter[:220], base_a[220:]]  # the last 20 rows move with A
    m = market_from_returns({"A": base_a, "B": b, "C": np.zeros(240)})
    state = state_of(m, {"A": 0.4, "B": 0.4})
    cfg = only(TriggerKind.CORRELATION_REGIME_CHANGE, recent_window=20, long_window=240)
    row = trigger_status(state, m, {"A": 0.4, "B": 0.3}, as_of=AS_OF, config=cfg).iloc[0]
    # long window: sum(A·B) = 20 a² of 240 a² -> 1/12; recent window: 1
    assert row.observed == pytest.approx(1 - 1 / 12, rel=1e-9)
    assert row.fired and row.severity == "CRITICAL"
    (ev,) = evaluate_triggers(state, m, {"A": 0.4, "B": 0.3}, as_of=AS_OF, config=cfg)
    assert [(x.instrument_id, x.target_weight) for x in ev.instrument_adjustments] == [("B", 0.3)]
    # no regime change: B stays orthogonal
    m2 = market_from_returns({"A": base_a, "B": quarter})
    row = trigger_status(
        state_of(m2, {"A": 0.4, "B": 0.4}), m2, {"A": 0.4}, as_of=AS_OF, config=cfg
    )
    assert row.observed.iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert not row.fired.iloc[0]


def test_mean_pairwise_correlation_matches_pandas():
    x = np.random.default_rng(0).normal(size=(50, 5)) @ np.triu(np.ones((5, 5)))
    c = pd.DataFrame(x).corr().to_numpy()
    assert mean_pairwise_correlation(x) == pytest.approx(c[np.triu_indices(5, 1)].mean(), 1e-12)


# -- performance divergence --------------------------------------------------------------------


def perf_market() -> Market:
    """Over the last 63 rows A grows by 1.30, B by 1.00 and the benchmark by 1.10."""
    rng = np.random.default_rng(1)
    head = rng.normal(0, 0.01, (40, 2))
    g = lambda total: np.full(63, total ** (1 / 63) - 1)  # noqa: E731
    b_tail = np.tile([0.01, 1 / 1.01 - 1], 32)[:63]
    b_tail[-1] = 1 / np.prod(1 + b_tail[:-1]) - 1
    return market_from_returns(
        {"A": np.r_[head[:, 0], g(1.30)], "B": np.r_[head[:, 1], b_tail]},
        benchmark=np.r_[rng.normal(0, 0.01, 40), g(1.10)],
    )


def test_performance_divergence_instrument_and_portfolio():
    m = perf_market()
    state = state_of(m, {"A": 0.5, "B": 0.5})
    targets = {"A": 0.4, "B": 0.6}
    cfg = only(TriggerKind.PERFORMANCE_DIVERGENCE)
    row = trigger_status(state, m, targets, as_of=AS_OF, config=cfg).iloc[0]
    # A: 0.30 - 0.10 = 0.20 > 0.15; portfolio: 1 / (0.5/1.3 + 0.5/1.0) - 1 = 0.1304 vs 0.10
    assert row.observed == pytest.approx(0.20, rel=1e-9)
    assert row.fired and row.severity == "MEDIUM"  # 0.20 / 0.15 = 1.33
    (ev,) = evaluate_triggers(state, m, targets, as_of=AS_OF, config=cfg)
    assert ev.rebalance_type == "STRATEGIC"
    assert [(x.instrument_id, x.target_weight) for x in ev.instrument_adjustments] == [("A", 0.4)]
    # the portfolio alone does not diverge by 15%
    cfg = only(TriggerKind.PERFORMANCE_DIVERGENCE, check_instruments=False)
    row = trigger_status(state, m, targets, as_of=AS_OF, config=cfg).iloc[0]
    assert row.observed == pytest.approx(1 / (0.5 / 1.3 + 0.5) - 1 - 0.10, rel=1e-9)
    assert not row.fired
    # against the target portfolio instead: 1 / (0.4/1.3 + 0.6) - 1
    cfg = only(
        TriggerKind.PERFORMANCE_DIVERGENCE,
        check_instruments=False,
        performance_reference=PerformanceReference.TARGET,
    )
    row = trigger_status(state, m, targets, as_of=AS_OF, config=cfg).iloc[0]
    expected = (1 / (0.5 / 1.3 + 0.5) - 1) - (1 / (0.4 / 1.3 + 0.6) - 1)
    assert row.observed == pytest.approx(abs(expected), rel=1e-9)


def test_portfolio_divergence_sends_everything_to_target():
    m = perf_market()
    state = state_of(m, {"A": 0.95})  # 0.95 in A: portfolio return 1/(0.05 + 0.95/1.3) - 1
    cfg = only(TriggerKind.PERFORMANCE_DIVERGENCE, check_instruments=False)
    (ev,) = evaluate_triggers(state, m, {"A": 0.4, "B": 0.5}, as_of=AS_OF, config=cfg)
    port = 1 / (0.05 + 0.95 / 1.3) - 1
    assert port - 0.10 > 0.15
    assert {x.instrument_id: x.target_weight for x in ev.instrument_adjustments} == {
        "A": 0.4,
        "B": 0.5,
    }


# -- events, config, engine ------------------------------------------------------------------


@functools.cache
def sample():
    return portlab.datasets.load_sample()


def drifted_sample_state():
    m = sample()
    t = pd.Series(0.045, index=m.instruments)
    w = t.copy()
    w["KO"], w["MSFT"], w["JNJ"], w["PFE"] = 0.11, 0.12, 0.0, 0.01
    state = PortfolioState.from_weights(w * 0.95, m.last_prices, 1_000_000)
    return m, state, t


def test_events_round_trip_and_are_deterministic():
    m, state, t = drifted_sample_state()
    kw = {"as_of": "2022-12-28T15:00:00Z", "last_rebalance": "2022-11-30"}
    first = evaluate_triggers(state, m, t, **kw)
    again = evaluate_triggers(state, m, t, **kw)
    assert first == again
    kinds = [e.trigger_reason.type for e in first]
    assert kinds[:2] == ["TIME_BASED", "WEIGHT_DEVIATION"]
    assert kinds == sorted(kinds, key=list(TriggerKind).index)
    for e in first:
        assert RebalanceRequestEvent.from_json(e.to_json()) == e
        assert set(e.to_dict()) == {
            "eventId",
            "timestamp",
            "portfolio_id",
            "rebalance_type",
            "trigger_reason",
            "target_adjustments",
            "constraints",
            "risk_considerations",
        }
    assert len({e.event_id for e in first}) == len(first)


def test_as_of_uses_no_later_data():
    m, state, t = drifted_sample_state()
    cfg = only(TriggerKind.VOLATILITY_SPIKE, TriggerKind.PERFORMANCE_DIVERGENCE)
    a = trigger_status(state, m, t, as_of="2020-03-20", config=cfg)
    b = trigger_status(state, m.truncate("2020-03-20"), t, as_of="2020-03-20", config=cfg)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc["VOLATILITY_SPIKE", "fired"]  # March 2020


def test_coordinator_consumes_requests_and_moves_weights_toward_targets():
    m, state, t = drifted_sample_state()
    cfg = only(TriggerKind.WEIGHT_DEVIATION, max_turnover=1.0)
    events = evaluate_triggers(state, m, t, as_of="2022-12-28T15:00Z", config=cfg)
    assert len(events) == 1
    wanted = {a.instrument_id for a in events[0].instrument_adjustments}
    assert wanted == {"KO", "MSFT"}  # 0.1045 and 0.114 vs 0.045; JNJ 0.045 below is not
    result = portlab.Coordinator().coordinate([], state, m, events)
    dec = result.decisions
    assert set(dec["instrument_id"]) == wanted
    price, nav = m.last_prices, state.total_value(m.last_prices)
    before = state.weights(price)
    for row in dec.itertuples():
        signed = row.share_quantity if row.action == "BUY" else -row.share_quantity
        after = before[row.instrument_id] + signed * price[row.instrument_id] / nav
        assert abs(after - 0.045) < abs(before[row.instrument_id] - 0.045)


def test_config_validation():
    with pytest.raises(ConfigError, match="weight_deviation"):
        RebalanceTriggers(weight_deviation=-0.1)
    with pytest.raises(ConfigError, match="recent_window"):
        RebalanceTriggers(recent_window=300)
    with pytest.raises(ConfigError, match="frequency"):
        RebalanceTriggers(frequency="HOURLY")
    with pytest.raises(ConfigError, match="enabled"):
        RebalanceTriggers(enabled=["NOPE"])
    m = flat_market()
    with pytest.raises(ConfigError):
        evaluate_triggers(state_of(m, {"I0": 0.5}), m, {}, as_of=AS_OF, config={"bogus": 1})
    cfg = {"enabled": ["WEIGHT_DEVIATION"], "weight_deviation": 0.5}
    assert evaluate_triggers(state_of(m, {"I0": 0.5}), m, {}, as_of=AS_OF, config=cfg) == []


def test_bad_targets_are_named():
    m = flat_market()
    s = state_of(m, {"I0": 0.5})
    with pytest.raises(ValidationError, match="not in the market"):
        evaluate_triggers(s, m, {"XYZ": 0.1}, as_of=AS_OF)
    with pytest.raises(ValidationError, match=r"targets\.I1"):
        recommend_trades(s, m, {"I1": float("nan")})


# -- recommendations -------------------------------------------------------------------------


def three_assets(weights=(0.40, 0.25, 0.20)):
    """Three instruments at a price of 10: one share is 1% of a NAV of 1000."""
    m = Market(pd.DataFrame(10.0, index=pd.bdate_range(end=AS_OF, periods=3), columns=list("ABC")))
    pos = {
        k: {"quantity": round(w * 100), "avg_price": 10.0}
        for k, w in zip("ABC", weights, strict=True)
    }
    return m, PortfolioState(pos, cash=1000.0 - 10 * sum(round(w * 100) for w in weights))


def test_trades_go_to_the_band_edges_by_hand():
    m, state = three_assets()
    df = recommend_trades(state, m, {"A": 0.30, "B": 0.30, "C": 0.30}, bands=0.02, cost=0.001)
    # A 0.40 -> 0.32 (sell 8), B 0.25 -> 0.28 (buy 3), C 0.20 -> 0.28 (buy 8)
    assert df["shares"].to_dict() == {"A": -8, "B": 3, "C": 8}
    assert df["exact_trade_weight"].to_numpy() == pytest.approx([-0.08, 0.03, 0.08])
    assert df["notional"].to_numpy() == pytest.approx([-80.0, 30.0, 80.0])
    assert df["cost"].to_numpy() == pytest.approx([0.08, 0.03, 0.08])
    assert df["new_weight"].to_numpy() == pytest.approx([0.32, 0.28, 0.28])
    assert df["in_band"].all()
    assert list(df.columns) == [
        "price",
        "current_weight",
        "target_weight",
        "band_lower",
        "band_upper",
        "exact_trade_weight",
        "shares",
        "trade_weight",
        "notional",
        "cost",
        "new_weight",
        "in_band",
    ]


def test_in_band_instruments_are_not_traded():
    m, state = three_assets((0.31, 0.29, 0.20))
    df = recommend_trades(state, m, {"A": 0.30, "B": 0.30, "C": 0.30})
    assert df["shares"].to_dict() == {"A": 0, "B": 0, "C": 8}


def brute_force(w, lo, hi, cost, cash, unit, span=12):
    """Least-cost integer lot trades by enumeration: (objective, trades)."""
    grid = np.array(list(itertools.product(range(-span, span + 1), repeat=len(w))), dtype=float)
    dw = grid * unit
    new = w + dw
    ok = ((new >= lo - 1e-12) & (new <= hi + 1e-12)).all(axis=1)
    spend = (dw * np.where(dw > 0, 1 + cost, 1 - cost)).sum(axis=1)
    ok &= spend <= cash + 1e-12
    obj = (np.abs(dw) * (1 + cost)).sum(axis=1)
    obj[~ok] = np.inf
    best = np.argmin(obj)
    return obj[best], grid[best], np.r_[np.sort(obj[ok]), np.inf][:2]


@pytest.mark.parametrize(
    ("weights", "targets", "cost"),
    [
        ((0.40, 0.25, 0.20), (0.30, 0.30, 0.30), (0.001, 0.001, 0.001)),
        # fully invested: buying C needs cash, the cheapest in-band sale funds it
        ((0.31, 0.41, 0.28), (0.30, 0.40, 0.32), (0.002, 0.001, 0.003)),
        ((0.36, 0.36, 0.28), (0.30, 0.40, 0.35), (0.001, 0.0005, 0.001)),
    ],
)
def test_milp_matches_brute_force_on_three_assets(weights, targets, cost):
    m, state = three_assets(weights)
    w, t, c = np.array(weights), np.array(targets), np.array(cost)
    df = recommend_trades(
        state,
        m,
        dict(zip("ABC", targets, strict=True)),
        bands=0.02,
        cost=dict(zip("ABC", cost, strict=True)),
    )
    cash = 1 - w.sum()
    obj, best, two = brute_force(w, t - 0.02, t + 0.02, c, cash, 0.01)
    got = df["shares"].to_numpy() * 0.01
    assert (np.abs(got) * (1 + c)).sum() == pytest.approx(obj, abs=1e-12)
    if two[1] > two[0] + 1e-12:  # unique optimum: the same trades
        assert df["shares"].to_numpy().tolist() == best.astype(int).tolist()


@pytest.mark.parametrize("cash", [0.0, 0.10])
def test_continuous_optimum_matches_brute_force_grid(cash):
    # C is 0.04 below its lower edge; with no cash the cheapest in-band sale funds it
    w = np.array([0.33, 0.42, 0.25]) * (1 - cash)
    t = np.array([0.30, 0.40, 0.34])
    c = np.array([0.002, 0.001, 0.003])
    m = three_assets()[0]
    state = state_of(m, dict(zip("ABC", w, strict=True)))
    targets, costs = dict(zip("ABC", t, strict=True)), dict(zip("ABC", c, strict=True))
    df = recommend_trades(state, m, targets, bands=0.03, cost=costs)
    x = df["exact_trade_weight"].to_numpy()
    lp = (np.abs(x) * (1 + c)).sum()
    step = 0.001
    axes = [np.arange(lo, hi + step / 2, step) for lo, hi in zip(t - 0.03, t + 0.03, strict=True)]
    new = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    dw = new - w
    spend = (dw * np.where(dw > 0, 1 + c, 1 - c)).sum(axis=1)
    obj = np.where(spend <= cash + 1e-12, (np.abs(dw) * (1 + c)).sum(axis=1), np.inf)
    assert lp <= obj.min() + 1e-12  # no grid point beats the LP
    assert obj.min() - lp < 2 * step  # and the grid gets within a step of it
    buy_c = 0.31 - w[2]  # C to its lower edge 0.31
    if cash == 0:
        # selling B raises cash at a cost of 1.001 / 0.999 per unit, A at 1.002 / 0.998: B
        # sells down to its lower edge (0.05) and A covers the rest
        from_a = (buy_c * 1.003 - 0.05 * 0.999) / 0.998
        assert x == pytest.approx([-from_a, -0.05, buy_c], abs=1e-9)
    else:  # cash suffices: only C trades, to its edge
        assert x == pytest.approx([0.0, 0.0, buy_c], abs=1e-9)


def test_turnover_cap_and_unfundable_bands_explain_themselves():
    m, state = three_assets()
    t = {"A": 0.30, "B": 0.30, "C": 0.30}
    with pytest.raises(InfeasibleError, match=r"at least 0\.1900"):
        recommend_trades(state, m, t, max_turnover=0.15)
    assert recommend_trades(state, m, t, max_turnover=0.19)["shares"].abs().sum() == 19
    with pytest.raises(InfeasibleError, match="cannot be funded"):
        recommend_trades(state, m, {"A": 0.5, "B": 0.5, "C": 0.5})


def test_relative_bands_and_lots():
    m, state = three_assets((0.40, 0.25, 0.20))
    df = recommend_trades(state, m, {"A": 0.30, "B": 0.30}, bands=0.1, band_type=BandType.RELATIVE)
    # A: [0.27, 0.33] -> sell 7; B: [0.27, 0.33] -> buy 2; C: no target -> [0, 0], sell 20
    assert df["shares"].to_dict() == {"A": -7, "B": 2, "C": -20}
    lots = recommend_trades(state, m, {"A": 0.30, "B": 0.30, "C": 0.30}, lot_size=5)
    # in lots of 5 shares (5% of NAV): A 0.40 -> 0.30 (sell 10), B -> 0.30 (5), C -> 0.30 (10)
    assert lots["shares"].to_dict() == {"A": -10, "B": 5, "C": 10}
    assert lots["in_band"].all()


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"bands": -0.01}, ValidationError, "bands"),
        ({"lot_size": 0}, ValidationError, "lot_size"),
        ({"cost": {"A": 0.001}}, ValidationError, "cost: no value"),
        ({"band_type": "wide"}, ValidationError, "band_type"),
        ({"max_turnover": -1.0}, ValidationError, "max_turnover"),
    ],
)
def test_bad_recommendation_inputs_are_named(kw, err, match):
    m, state = three_assets()
    with pytest.raises(err, match=match):
        recommend_trades(state, m, {"A": 0.3}, **kw)


def test_missing_price_of_a_held_instrument_is_a_data_error():
    dates = pd.bdate_range(end=AS_OF, periods=20)
    prices = pd.DataFrame({"A": 10.0, "B": 10.0}, index=dates)
    prices.loc[prices.index[-10:], "B"] = np.nan  # delisted ten rows ago
    m = Market(prices)
    state = PortfolioState({"B": {"quantity": 10, "avg_price": 10.0}}, cash=100.0)
    with pytest.raises(DataError, match="B"):
        recommend_trades(state, m, {"A": 0.5})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.lists(st.floats(0, 0.4), min_size=2, max_size=6),
    t=st.lists(st.floats(0, 0.3), min_size=6, max_size=6),
    band=st.floats(0.005, 0.05),
)
def test_recommendation_invariants(w, t, band):
    n = len(w)
    assume(sum(w) <= 1)
    m = flat_market()
    names = list(m.instruments)[:n]
    t = t[:n]
    assume(sum(max(x - band, 0) for x in t) <= 0.99)  # the bands can be funded
    nav = 100_000.0
    state = state_of(m, dict(zip(names, w, strict=True)), nav=nav)
    targets = pd.Series(t, index=names)
    snapshot = targets.copy()
    df = recommend_trades(state, m, targets, bands=band, cost=0.001)
    pd.testing.assert_series_equal(targets, snapshot)  # not mutated
    lo, hi = np.maximum(np.array(t) - band, 0), np.array(t) + band
    wv = np.array(w)
    exact = df["exact_trade_weight"].to_numpy()
    assert (wv + exact >= lo - 1e-9).all() and (wv + exact <= hi + 1e-9).all()
    assert df["in_band"].all()  # one share is 1e-5 of NAV: always narrower than a band
    cash_after = state.cash - df["notional"].sum() - df["cost"].sum()
    assert cash_after >= -1e-6
    spend_to_edges = np.clip(wv, lo, hi) - wv
    need = (spend_to_edges * np.where(spend_to_edges > 0, 1.001, 0.999)).sum()
    if need <= state.cash / nav - 1e-6:  # cash not short: exactly to the nearest edges
        assert exact == pytest.approx(spend_to_edges, abs=1e-9)


def test_shorts_need_allow_short():
    m, state = three_assets((0.05, 0.0, 0.0))
    with pytest.raises(ValidationError, match="allow_short"):
        recommend_trades(state, m, {"A": -0.05})
    df = recommend_trades(state, m, {"A": -0.05}, allow_short=True)
    # band [-0.07, -0.03]: from +0.05 (5 shares) to -0.03 (-3 shares)
    assert df.loc["A", "shares"] == -8
    # long-only: a band reaching below zero is clipped there, so nothing is sold short
    df = recommend_trades(state, m, {"A": 0.01, "B": 0.01}, bands=0.02)
    assert (df["band_lower"] >= 0).all() and df["shares"].to_dict() == {"A": -2, "B": 0}


def test_risk_considerations_left_out_without_covariance():
    m = flat_market()  # three rows: no covariance estimate
    (ev,) = evaluate_triggers(
        state_of(m, {"I0": 0.5}),
        m,
        {"I0": 0.2},
        as_of=AS_OF,
        config=only(TriggerKind.WEIGHT_DEVIATION),
    )
    assert ev.risk_considerations is None
    assert "no VaR" in ev.trigger_reason.description
    assert "risk_considerations" not in ev.to_dict()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    u=st.floats(0.05, 0.95),
)
def test_scaled_group_meets_its_risk_budget(seed, u):
    from portlab.analytics.rebalance._triggers import scale_to_budget

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 4))
    cov = x.T @ x / 8 + 0.01 * np.eye(4)
    w = rng.uniform(0.05, 0.4, 4)
    group = np.array([True, True, False, False])
    ws, wr = np.where(group, w, 0), np.where(group, 0, w)
    a, b, d = ws @ cov @ ws, ws @ cov @ wr, wr @ cov @ wr
    share = (a + b) / (a + 2 * b + d)
    assume(share > 0.01)
    budget = share * u
    k = scale_to_budget(a, b, d, budget)
    new = np.where(group, k * w, w)
    new_share = (new * group) @ cov @ new / (new @ cov @ new)
    assert 0 <= k <= 1
    assert new_share == pytest.approx(budget, rel=1e-7, abs=1e-12)

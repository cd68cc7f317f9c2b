"""Execution rules (issue #14, the implementation plan's ``ExecutionRulesConfig``): order type,
time in force, limit prices and the market impact limit (square-root model), split or shrink.

Hand-built market: instrument A at $50 with a 2% daily volatility trading 500,000 shares a
day, B at $40 with 1% trading 400,000; a $20,000,000 portfolio holding 10,000 B. A BUY of A
is capped at the 5% position limit: $1,000,000, 20,000 shares, 4% of A's daily volume, an
impact of 2% × sqrt(0.04) = 0.4%. A SELL of B sells the 10,000 held: 2.5% of its volume,
an impact of 1% × sqrt(0.025) = 0.158%.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import portlab
from portlab import Coordinator, ExecutionRulesConfig, Market, PortfolioState
from portlab.datasets import example_batch, load_sample
from portlab.engine import ImpactAction, OrderType, TimeInForce, load_config
from portlab.engine.execution import (
    child_orders,
    horizon_days,
    impact_capacity,
    limit_prices,
    market_impact,
)
from portlab.exceptions import ConfigError
from portlab.journal import Journal
from portlab.journal.inputs import coordinator_config, coordinator_from_config, policy_version
from test_engine_properties import (
    PROPERTY,
    check_accounting,
    check_hard_limits,
    check_waterfall,
    examples,
    scenarios,
)

NAV = 20_000_000.0
AS_OF = "2024-01-03T16:00:00Z"
DAILY_VOL = {"A": 0.02, "B": 0.01}
ADV = {"A": 500_000.0, "B": 400_000.0}
PRICE = {"A": 50.0, "B": 40.0}


def hand_market(volumes: bool = True) -> Market:
    """A and B with exact prices, daily volatilities and daily volumes."""
    dates = pd.bdate_range("2024-01-01", periods=3)
    names = list(PRICE)
    prices = pd.DataFrame({k: [p] * 3 for k, p in PRICE.items()}, index=dates)
    vol = np.array([DAILY_VOL[k] for k in names]) * np.sqrt(252)
    cov = pd.DataFrame(np.diag(vol**2), index=names, columns=names)
    vols = pd.DataFrame({k: [v] * 3 for k, v in ADV.items()}, index=dates)
    return Market(
        prices,
        sectors={"A": "X", "B": "Y"},
        volumes=vols if volumes else None,
        covariance=cov,
    )


def hand_state() -> PortfolioState:
    return PortfolioState({"B": {"quantity": 10_000, "avg_price": 40.0}}, cash=NAV - 400_000)


def hand_signals() -> list[dict]:
    def one(sid, inst, action, target, er):
        return {
            "eventId": sid,
            "timestamp": "2024-01-03T15:00:00Z",
            "signal": {
                "instrument_id": inst,
                "action": action,
                "confidence": 0.9,
                "strength": "STRONG",
                "signal_score": 0.8,
            },
            "expected_outcomes": {
                "price_target": target,
                "expected_return": er,
                "success_probability": 0.7,
            },
        }

    return [one("buy-a", "A", "BUY", 60.0, 0.2), one("sell-b", "B", "SELL", 30.0, -0.25)]


def run(execution=None, volumes: bool = True):
    result = Coordinator(execution=execution).coordinate(
        hand_signals(), hand_state(), hand_market(volumes), as_of=AS_OF
    )
    return result, result.decisions.set_index("instrument_id")


# -- the functions, worked by hand ------------------------------------------------------------


def test_square_root_impact_by_hand():
    impact = market_impact(
        np.array([20_000.0, -10_000.0, 20_000.0, 1.0, 1.0]),
        np.array([5e5, 4e5, 5e5, np.nan, 0.0]),
        np.array([0.02, 0.01, 0.02, 0.02, 0.02]),
        coefficient=1.0,
    )
    np.testing.assert_allclose(impact[:2], [0.004, 0.01 * math.sqrt(0.025)], rtol=1e-15)
    assert np.isnan(impact[3:]).all()  # unknown volume, and no volume at all: no estimate
    assert np.isnan(market_impact(np.array([20_000.0]), None, np.array([0.02]))).all()
    assert market_impact(np.array([20_000.0]), np.array([5e5]), np.array([0.02]), 0.5)[
        0
    ] == pytest.approx(0.002, rel=1e-15)
    # no volatility (no risk data): no estimate rather than a zero impact
    assert np.isnan(market_impact(np.array([1.0]), np.array([5e5]), np.array([0.0]))).all()


def test_capacity_is_the_size_whose_impact_is_the_limit():
    # 500,000 × (0.002 / 0.02)² = 5,000 shares; 400,000 × (0.001 / 0.01)² = 4,000
    cap = impact_capacity(np.array([5e5, 4e5, np.nan]), np.array([0.02, 0.01, 0.02]), 0.002)
    np.testing.assert_allclose(cap[:2], [5_000.0, 16_000.0], rtol=1e-12)
    assert np.isnan(cap[2])
    back = market_impact(cap[:2], np.array([5e5, 4e5]), np.array([0.02, 0.01]))
    np.testing.assert_allclose(back, 0.002, rtol=1e-12)


def test_split_count_is_the_square_of_impact_over_limit_rounded_up():
    # (0.4 / 0.15)² = 7.1 -> 8; (0.4 / 0.2)² = 4 exactly -> 4, not 5; at the limit -> 1
    n = child_orders(np.array([0.004, 0.004, 0.002, 0.001, np.nan]), 0.0015)
    assert n.tolist() == [8, 8, 2, 1, 1]
    assert child_orders(np.array([0.004, 0.002]), 0.002).tolist() == [4, 1]
    impact = np.array([0.004, 0.0031, 0.05])
    for limit in (0.0015, 0.002, 0.003):
        n = child_orders(impact, limit)
        assert (impact / np.sqrt(n) <= limit * (1 + 1e-12)).all()  # each slice under it
        assert (impact / np.sqrt(np.maximum(n - 1, 1)) > limit)[n > 1].all()  # fewest slices


def test_limit_prices_and_horizons():
    got = limit_prices(
        np.array([1, -1, 1]),
        np.array([50.0, 40.0, 50.0]),
        np.array(["LIMIT", "LIMIT", "MARKET"], dtype=object),
        0.01,
    )
    np.testing.assert_allclose(got[:2], [50.5, 39.6], rtol=1e-15)
    assert np.isnan(got[2])
    texts = np.array(["immediate", "30_minutes", "4_hours", "1_day", "6_days", "1_week", None])
    assert horizon_days(texts.astype(object)).tolist() == [1, 1, 1, 1, 6, 5, 1]


# -- the rules in the engine, on the hand-built market ----------------------------------------


def test_defaults_add_the_estimate_and_order_fields_without_changing_anything():
    result, d = run()
    a, b = d.loc["A"], d.loc["B"]
    assert (a["action"], a["share_quantity"], a["position_size"]) == ("BUY", 20_000, 0.05)
    assert (b["action"], b["share_quantity"]) == ("SELL", 10_000)
    assert a["market_impact"] == pytest.approx(0.004, rel=1e-12)
    assert b["market_impact"] == pytest.approx(0.01 * math.sqrt(10_000 / 400_000), rel=1e-12)
    assert list(d["order_type"]) == ["LIMIT", "LIMIT"]  # by urgency (NORMAL)
    assert list(d["time_in_force"]) == ["DAY", "DAY"]
    assert (a["limit_price"], b["limit_price"]) == pytest.approx((50.5, 39.6), rel=1e-15)
    assert list(d["child_orders"]) == [1, 1]
    assert list(d["time_horizon"]) == ["4_hours", "4_hours"]
    assert "impact" not in a["reasoning"] and "impact" not in b["reasoning"]
    assert not any("market_impact" in w for ws in d["warnings"] for w in ws)


def test_market_orders_have_no_limit_price():
    rules = {"default_order_type": "MARKET", "time_in_force": "IOC", "price_threshold": 0.02}
    result, d = run(rules)
    assert list(d["order_type"]) == ["MARKET", "MARKET"]
    assert d["limit_price"].isna().all() and list(d["time_in_force"]) == ["IOC", "IOC"]
    assert [e.execution_strategy.order_type for e in result.events()] == ["MARKET", "MARKET"]
    _, d = run({"default_order_type": "LIMIT", "price_threshold": 0.02})
    assert (d.loc["A", "limit_price"], d.loc["B", "limit_price"]) == pytest.approx((51.0, 39.2))


def test_critical_urgency_keeps_its_market_order_under_auto_and_a_limit_under_limit():
    signals = hand_signals()
    signals[0]["signal"]["urgency"] = "CRITICAL"
    args = (signals, hand_state(), hand_market())
    d = Coordinator().coordinate(*args, as_of=AS_OF).decisions.set_index("instrument_id")
    assert (d.loc["A", "order_type"], d.loc["B", "order_type"]) == ("MARKET", "LIMIT")
    assert np.isnan(d.loc["A", "limit_price"]) and d.loc["B", "limit_price"] == 39.6
    d = Coordinator(execution={"default_order_type": OrderType.LIMIT}).coordinate(
        *args, as_of=AS_OF
    )
    assert d.decisions["order_type"].tolist() == ["LIMIT", "LIMIT"]


def test_split_into_daily_child_orders_under_the_limit():
    result, d = run({"market_impact_limit": 0.0015})
    a, b = d.loc["A"], d.loc["B"]
    # A: (0.4% / 0.15%)² = 7.1 -> 8 daily orders; B: (0.158% / 0.15%)² = 1.1 -> 2
    assert (a["child_orders"], b["child_orders"]) == (8, 2)
    assert (a["time_horizon"], b["time_horizon"]) == ("8_days", "2_days")
    assert (a["execution_algorithm"], b["execution_algorithm"]) == ("VWAP", "VWAP")
    # sizes do not change
    assert (a["share_quantity"], b["share_quantity"], a["position_size"]) == (20_000, 10_000, 0.05)
    assert a["market_impact"] == pytest.approx(0.004, rel=1e-12)
    assert (
        "market impact 0.40% above the 0.15% limit: split into 8 daily orders of 0.14% impact "
        "each" in a["reasoning"]
    )
    events = result.events()
    assert events[0].execution_strategy.time_horizon == "8_days"
    assert result.events_json() == [e.to_json() for e in events]
    # exactly at (I / L)² = 4: four orders
    _, d = run({"market_impact_limit": 0.002})
    assert d.loc["A", "child_orders"] == 4 and d.loc["B", "child_orders"] == 1
    assert "within the 0.20% limit" in d.loc["B", "reasoning"]


def test_shrink_to_the_size_whose_impact_is_the_limit():
    result, d = run({"market_impact_limit": 0.002, "impact_action": "SHRINK"})
    a, b = d.loc["A"], d.loc["B"]
    # A: 500,000 × (0.2% / 2%)² = 5,000 shares = $250,000 = 1.25% of NAV; B within the limit
    assert a["share_quantity"] == 5_000
    assert a["position_size"] == pytest.approx(0.0125, rel=1e-12)
    assert a["trade_amount"] == pytest.approx(250_000.0, rel=1e-12)
    assert a["notional"] == pytest.approx(250_000.0, rel=1e-12)
    assert a["target_position"] == pytest.approx(0.0125, rel=1e-12)
    assert a["sector_after"] == pytest.approx(0.0125, rel=1e-12)
    assert a["market_impact"] == pytest.approx(0.002, rel=1e-12)
    assert a["child_orders"] == 1
    assert (
        "market impact 0.40% above the 0.20% limit: shrunk to 1.3% (impact 0.20%)"
        in (a["reasoning"])
    )
    assert b["share_quantity"] == 10_000  # 0.158% < 0.2%: untouched
    wf = result.waterfall.set_index("instrument_id")
    assert wf.loc["A", "risk_adjusted"] == 0.05
    assert wf.loc["A", "impact_estimate"] == pytest.approx(0.004, rel=1e-12)
    assert wf.loc["A", "impact_size"] == pytest.approx(0.0125, rel=1e-12)
    assert wf.loc["A", "final_size"] == pytest.approx(0.0125, rel=1e-12)
    # the waterfall chart and the what-if's steps show the cut as its own step (only where
    # the limit moved the trade: B has none)
    from portlab import plots
    from portlab.ui import sizing_steps

    bars = plots.sizing_waterfall(result, "A").Waterfall.I.dframe().set_index("step")
    assert bars.loc["market impact", "change"] == pytest.approx(0.0125 - 0.05, rel=1e-12)
    assert bars.loc["market impact", "rule"] == "shrunk to the impact limit"
    assert bars.loc["market impact", "color"] == str(plots.palette.Palette.AMBER)
    assert "market impact" not in set(
        plots.sizing_waterfall(result, "B").Waterfall.I.dframe()["step"]
    )
    steps = sizing_steps(result.waterfall.set_index("instrument_id").loc["A"]).set_index("step")
    assert steps.loc["market impact", "size"] == pytest.approx(0.0125, rel=1e-12)


def test_shrink_below_the_minimum_drops_a_buy_but_keeps_a_smaller_sale():
    result, d = run({"market_impact_limit": 0.001, "impact_action": "SHRINK"})
    # A: 500,000 × (0.1% / 2%)² = 1,250 shares = 0.3125% of NAV < the 1% minimum: dropped
    assert list(d.index) == ["B"]
    rej = result.rejections.set_index("id").loc["buy-a"]
    assert rej["reason"] == "BELOW_MIN_SIZE"
    assert rej["detail"] == (
        "cut to 0.3% by the 0.10% market impact limit (impact 0.40% before), below the 1.0% minimum"
    )
    # B: 400,000 × (0.1% / 1%)² = 4,000 shares, a sale of 0.8% of NAV (reducing: no minimum)
    b = d.loc["B"]
    assert b["share_quantity"] == 4_000
    assert b["position_size"] == pytest.approx(0.008, rel=1e-12)
    assert b["target_position"] == pytest.approx(0.02 - 0.008, rel=1e-12)
    assert b["market_impact"] == pytest.approx(0.001, rel=1e-12)


def test_the_coefficient_scales_the_estimate():
    _, d = run({"impact_coefficient": 0.5, "market_impact_limit": 0.0015})
    assert d.loc["A", "market_impact"] == pytest.approx(0.002, rel=1e-12)
    assert d.loc["A", "child_orders"] == 2  # (0.2 / 0.15)² = 1.8 -> 2


def test_without_volumes_there_is_no_estimate_and_the_rule_is_not_applied():
    plain = run(volumes=False)[1]
    for action in ("SPLIT", "SHRINK"):
        result, d = run({"market_impact_limit": 0.001, "impact_action": action}, volumes=False)
        assert d["market_impact"].isna().all()
        assert list(d["child_orders"]) == [1, 1]
        assert d["share_quantity"].tolist() == plain["share_quantity"].tolist()
        assert d["time_horizon"].tolist() == plain["time_horizon"].tolist()
        assert all("market_impact_not_estimated" in w for w in d["warnings"])
        assert all("market impact not estimated" in r for r in d["reasoning"])
        assert result.events_json() == [e.to_json() for e in result.events()]
    # without a limit: no warning
    assert not any("market_impact" in w for ws in plain["warnings"] for w in ws)


def buys_on(market, n: int) -> list[dict]:
    """The hand-worked BUY signal on the market's first ``n`` instruments: a 30% target, 15%
    expected return, 65% success probability."""
    base = hand_signals()[0]
    return [
        {
            **base,
            "eventId": f"s{i}",
            "signal": {**base["signal"], "instrument_id": name},
            "expected_outcomes": {
                "price_target": float(market.last_prices[name]) * 1.3,
                "expected_return": 0.15,
                "success_probability": 0.65,
            },
        }
        for i, name in enumerate(market.instruments[:n])
    ]


# -- defaults leave the decisions as they were --------------------------------------------------


@pytest.mark.parametrize("sample", ["real", "synthetic"])
def test_defaults_and_explicit_defaults_give_identical_decisions(sample):
    if sample == "real":
        batch = example_batch()
        args = (batch.signals, batch.state, load_sample(), batch.rebalance_requests)
    else:
        market = portlab.datasets.synthetic(40, 80, 5, seed=3)
        state = PortfolioState(cash=50_000_000)
        signals = buys_on(market, 12)
        args = (signals, state, market, None)
    results = [
        Coordinator(execution=e).coordinate(*args, as_of=AS_OF)
        for e in (None, ExecutionRulesConfig(), {}, {"market_impact_limit": None})
    ]
    first = results[0]
    assert len(first.decisions)
    for other in results[1:]:
        pd.testing.assert_frame_equal(other.decisions, first.decisions)
        assert other.events_json() == first.events_json()
        pd.testing.assert_frame_equal(other.rejections, first.rejections)
    # the execution strategy by urgency, as before the rules: MARKET only for CRITICAL
    d = first.decisions
    assert ((d["order_type"] == "MARKET") == (d["urgency"] == "CRITICAL")).all()
    limit = d["order_type"] == "LIMIT"
    side = np.where(d["action"] == "BUY", 1.01, 0.99)
    np.testing.assert_allclose(d["limit_price"][limit], (d["price"] * side)[limit], rtol=1e-15)
    # a limit that never binds changes no size and no horizon
    loose = Coordinator(execution={"market_impact_limit": 1.0, "impact_action": "SHRINK"})
    d2 = loose.coordinate(*args, as_of=AS_OF).decisions
    for column in ("share_quantity", "position_size", "time_horizon", "execution_algorithm"):
        assert d2[column].tolist() == d[column].tolist(), column


# -- configuration -----------------------------------------------------------------------------


def test_yaml_round_trip_and_a_whole_configuration_file(tmp_path):
    rules = ExecutionRulesConfig(
        default_order_type="LIMIT",
        time_in_force=TimeInForce.GTC,
        price_threshold=0.005,
        market_impact_limit=0.004,
        impact_action=ImpactAction.SHRINK,
        impact_coefficient=0.7,
    )
    assert ExecutionRulesConfig.from_yaml(rules.to_yaml()) == rules
    assert ExecutionRulesConfig.from_yaml(ExecutionRulesConfig().to_yaml()) == (
        ExecutionRulesConfig()
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "policy:\n  max_position_size: 0.04\nrisk_loop:\n  max_iterations: 2\n"
        "execution:\n  default_order_type: limit\n  market_impact_limit: 0.004\n"
        "  impact_action: SHRINK\n",
        encoding="utf-8",
    )
    c = Coordinator.from_yaml(path)
    assert c.policy.max_position_size.limit == 0.04 and c.risk_loop.max_iterations == 2
    assert c.execution == ExecutionRulesConfig(
        default_order_type="LIMIT", market_impact_limit=0.004, impact_action="SHRINK"
    )
    assert Coordinator(execution=path).execution == c.execution  # the section of a whole file
    assert ExecutionRulesConfig.from_yaml(path) == c.execution
    flat = tmp_path / "rules.yaml"
    flat.write_text(rules.to_yaml(), encoding="utf-8")
    assert Coordinator(execution=str(flat)).execution == rules
    # a file without an execution section: the default rules
    assert Coordinator.from_yaml("policy:\n  max_position_size: 0.04\n").execution == (
        ExecutionRulesConfig()
    )
    # load_config reads its three sections, and says so of any other
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:5: execution: unknown section; the sections are policy, sizing, risk_loop"
    )


def test_bad_settings_are_config_errors_naming_the_field(tmp_path):
    cases = [
        ({"market_impact_limit": 5}, "execution.market_impact_limit: 5 looks like a percentage; "
         "the impact is a fraction of the price (0.005 = 50 bp): write 0.05 for 5%"),
        ({"market_impact_limit": 0}, "execution.market_impact_limit: 0 is too small: it must be "
         "above 0; the impact is a fraction of the price (0.005 = 50 bp)"),
        ({"market_impact_limit": True}, "execution.market_impact_limit: true is not a number; "
         "write a fraction such as 0.005, or null for no limit"),
        ({"price_threshold": 1}, "execution.price_threshold: 1 is too large: it must be at most "
         "0.5; the limit price's distance from the last price is a fraction of the price"),
        ({"price_threshold": float("nan")}, "execution.price_threshold: nan is not a finite "
         "number; write a fraction such as 0.01"),
        ({"impact_coefficient": 0}, "execution.impact_coefficient: 0 is too small: it must be "
         "above 0; it multiplies the square-root impact (1 is the usual calibration)"),
        ({"default_order_type": "STOP"}, "execution.default_order_type: 'STOP' is not one of "
         "AUTO, MARKET, LIMIT"),
        ({"time_in_force": "FOK"}, "execution.time_in_force: 'FOK' is not one of DAY, GTC, IOC"),
        ({"impact_action": "spilt"}, "execution.impact_action: 'spilt' is not one of SPLIT, "
         "SHRINK (did you mean SPLIT?)"),
        ({"market_impact_limt": 0.01}, "execution.market_impact_limt: unknown setting; did you "
         "mean market_impact_limit?"),
        ({"max_leverage": 2}, "execution.max_leverage: not an execution setting: max_leverage is "
         "a policy setting, put it under policy:"),
    ]  # fmt: skip
    for kwargs, message in cases:
        with pytest.raises(ConfigError) as exc:
            ExecutionRulesConfig(**kwargs)
        assert str(exc.value) == message
        with pytest.raises(ConfigError) as exc:
            Coordinator(execution=kwargs)
        assert str(exc.value) == message
    path = tmp_path / "bad.yaml"
    path.write_text(
        "policy: {}\nexecution:\n  time_in_force: DAY\n  market_impact_limit: 0.5%\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as exc:
        Coordinator.from_yaml(path)
    assert str(exc.value) == (
        f"{path}:4: execution.market_impact_limit: '0.5%' is not a number; write 0.005 for "
        "0.5% (a fraction such as 0.005, or null for no limit)"
    )
    with pytest.raises(ConfigError) as exc:
        Coordinator.from_yaml("policy: {}\nexecuton:\n  time_in_force: DAY\n")
    assert str(exc.value) == (
        "line 2: executon: unknown section; did you mean execution? the sections are policy, "
        "sizing, risk_loop, execution"
    )
    with pytest.raises(
        ConfigError, match=r"^execution must be an ExecutionRulesConfig, a mapping or a YAML path$"
    ):
        Coordinator(execution=0.005)


# -- the hard limits hold and no trade grows (property) -----------------------------------------


@settings(PROPERTY, max_examples=examples(40))
@given(
    sc=scenarios(with_requests=True),
    # the scenarios' portfolios are small next to the markets' volumes (about $20M a day):
    # low limits and high coefficients make the rule bind on most trades
    limit=st.sampled_from([0.0002, 0.0005, 0.001]) | st.floats(0.00002, 0.005),
    coefficient=st.sampled_from([1.0, 3.0, 10.0]),
    order_type=st.sampled_from(list(OrderType)),
)
def test_shrinking_never_grows_a_trade_nor_breaches_a_hard_limit(
    sc, limit, coefficient, order_type
):
    rules = ExecutionRulesConfig(
        market_impact_limit=limit,
        impact_action="SHRINK",
        impact_coefficient=coefficient,
        default_order_type=order_type,
    )
    coordinator = sc.coordinator(portlab.Resolution.HIGHEST_PRIORITY)
    plain = coordinator.coordinate(sc.signals, sc.state, sc.market, sc.requests or None)
    coordinator.execution = rules
    res = coordinator.coordinate(sc.signals, sc.state, sc.market, sc.requests or None)
    check_hard_limits(sc.market, sc.state, res, coordinator.policy)
    check_accounting(list(sc.signals["signal_id"]), res, [r["eventId"] for r in sc.requests])
    check_waterfall(sc.state, sc.market, res)
    # every trade leaves the rule at most as large as it came in, and ends no larger
    wf = res.waterfall[res.waterfall["outcome"] == "DECIDED"]
    risk = wf["risk_adjusted"].to_numpy(float)
    cut = wf["impact_size"].to_numpy(float)
    assert (cut <= risk + 1e-15).all()
    assert (wf["final_size"].to_numpy(float) <= cut + 1e-15).all()
    # the decisions' impacts are within the limit wherever there is an estimate
    impact = res.decisions["market_impact"].to_numpy(float)
    known = ~np.isnan(impact)
    assert (impact[known] <= limit * (1 + 1e-9)).all(), impact[known]
    # and no decision trades more shares than without the limit (unless, without it, the
    # final check trimmed that trade for a breach that the smaller trades no longer cause)
    before = plain.decisions.set_index("instrument_id")["share_quantity"]
    after = res.decisions.set_index("instrument_id")["share_quantity"]
    trimmed = plain.waterfall.set_index("instrument_id")["trimmed_by"]
    for name, q in after.items():
        if trimmed.get(name, "") == "" and name in before.index:
            assert q <= before[name] + 1e-9, (name, q, before[name])


def test_splitting_changes_no_size_on_a_synthetic_batch():
    market = portlab.datasets.synthetic(30, 80, 4, seed=1)
    state = PortfolioState(cash=50_000_000)
    signals = buys_on(market, 10)
    plain = Coordinator().coordinate(signals, state, market, as_of=AS_OF).decisions
    split = Coordinator(execution={"market_impact_limit": 0.003}).coordinate(
        signals, state, market, as_of=AS_OF
    )
    d = split.decisions
    assert d["share_quantity"].tolist() == plain["share_quantity"].tolist()
    n = d["child_orders"].to_numpy()
    assert (n > 1).any() and (n == 1).any()
    impact = d["market_impact"].to_numpy(float)
    assert (impact / np.sqrt(n) <= 0.003 * (1 + 1e-12)).all()
    np.testing.assert_array_equal(n, child_orders(impact, 0.003))
    assert (horizon_days(d["time_horizon"].to_numpy(object)) >= n).all()
    assert (d.loc[n > 1, "execution_algorithm"] == "VWAP").all()
    assert split.events_json() == [e.to_json() for e in split.events()]


# -- the journal: recorded, replayed, old runs read as defaults --------------------------------


RULES = {
    "default_order_type": "LIMIT",
    "time_in_force": "GTC",
    "market_impact_limit": 0.002,
    "impact_action": "SHRINK",
}


def test_config_round_trip_and_policy_versions():
    c = Coordinator(execution=RULES, strategies={"momentum": 0.3})
    config = coordinator_config(c)
    assert config["execution"] == ExecutionRulesConfig(**RULES).model_dump(mode="json")
    assert coordinator_from_config(config).execution == c.execution
    old = {k: v for k, v in config.items() if k != "execution"}  # a run before the rules
    assert coordinator_from_config(old).execution == ExecutionRulesConfig()
    assert coordinator_from_config({**old, "execution": None}).execution == ExecutionRulesConfig()
    # the execution rules are part of the version when they are not the defaults
    default = coordinator_config(Coordinator())
    assert policy_version(default) == policy_version(
        {k: v for k, v in default.items() if k != "execution"}
    )
    assert policy_version(config) != policy_version({**config, "execution": None})


def test_journal_records_and_replays_the_execution_rules(tmp_path):
    coordinator = Coordinator(execution=RULES)
    with Journal(tmp_path / "journal.db") as journal:
        result = coordinator.coordinate(
            hand_signals(), hand_state(), hand_market(), as_of=AS_OF, journal=journal
        )
        assert result.decisions.set_index("instrument_id").loc["A", "share_quantity"] == 5_000
        run = journal.runs(run_id=result.run_id).iloc[0]
        assert run["execution"] == coordinator.execution.model_dump(mode="json")
        assert run["policy_version"] != policy_version(coordinator_config(Coordinator()))
        inputs = journal.inputs(result.run_id)
        assert inputs.coordinator.execution == coordinator.execution
        pd.testing.assert_frame_equal(inputs.coordinate().decisions, result.decisions)
        replay = journal.replay(result.run_id)
        assert replay.identical, replay.differences
        # a default run recorded without the column (as before schema version 3) replays
        # with the default rules
        plain = Coordinator().coordinate(
            hand_signals(), hand_state(), hand_market(), as_of=AS_OF, journal=journal
        )
        assert plain.run_id != result.run_id
    import sqlite3

    with sqlite3.connect(tmp_path / "journal.db") as db:
        db.execute("UPDATE runs SET execution = NULL WHERE run_id = ?", [plain.run_id])
    with Journal(tmp_path / "journal.db") as journal:
        assert journal.inputs(plain.run_id).coordinator.execution == ExecutionRulesConfig()
        assert journal.replay(plain.run_id).identical
        assert journal.runs(run_id=plain.run_id).iloc[0]["execution"] is None

"""Hand-computed checks of the coordination engine: every expected value is worked out here
from the definitions (Kelly, headroom, correlation with the book, blending, allocation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import portlab
from portlab import Coordinator, Market, Policy, PortfolioState, Resolution
from portlab.engine import (
    AllocationMode,
    KellyFormula,
    RiskLoopConfig,
    SizingConfig,
    Strategy,
    TrackRecord,
)
from portlab.exceptions import ConfigError, DataError


def make_market(
    prices: dict, vols: dict, corr: dict | None = None, sectors: dict | None = None
) -> Market:
    """A market whose last prices, volatilities and correlations are given exactly."""
    names = list(prices)
    dates = pd.bdate_range("2024-01-01", periods=3)
    frame = pd.DataFrame({k: [v, v, v] for k, v in prices.items()}, index=dates)
    vol = np.array([vols[k] for k in names])
    rho = np.eye(len(names))
    for (a, b), r in (corr or {}).items():
        i, j = names.index(a), names.index(b)
        rho[i, j] = rho[j, i] = r
    cov = pd.DataFrame(rho * np.outer(vol, vol), index=names, columns=names)
    return Market(frame, sectors=pd.Series(sectors or dict.fromkeys(names, "S")), covariance=cov)


def signal(
    sid,
    inst,
    action,
    conf,
    *,
    er=None,
    target=None,
    stop=None,
    p=None,
    strategy=None,
    ts="2024-01-03T15:00:00Z",
    horizon=None,
    urgency=None,
):
    return {
        "signal_id": sid,
        "timestamp": pd.Timestamp(ts),
        "instrument_id": inst,
        "action": action,
        "confidence": conf,
        "strength": "STRONG",
        "signal_score": 0.5,
        "price_target": target if target is not None else np.nan,
        "expected_return": er if er is not None else np.nan,
        "success_probability": p if p is not None else np.nan,
        "strategy_id": strategy,
        "stop_price": stop if stop is not None else np.nan,
        "urgency": urgency,
        "horizon_days": horizon if horizon is not None else np.nan,
        "lot_size": np.nan,
    }


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def only(result, inst):
    d = result.decisions
    row = d[d["instrument_id"] == inst]
    assert len(row) == 1, result.rejections
    return row.iloc[0]


# -- Kelly ---------------------------------------------------------------------------------


def test_kelly_binary_bet_from_target_and_stop():
    # P=100, T=110, S=95: u=0.10, l=0.05, b=2; f = 0.6 - 0.4/2 = 0.40; ×0.5 multiplier = 0.20
    m = make_market({"A": 100.0, "Z": 50.0}, {"A": 0.2, "Z": 0.2})
    c = Coordinator(
        sizing={"kelly_multiplier": 0.5},
        policy={"max_position_size": 0.25, "max_sector_exposure": 1.0},
    )
    r = c.coordinate(
        frame(signal("s", "A", "BUY", 0.7, target=110.0, stop=95.0, p=0.6)),
        PortfolioState(cash=1e6),
        m,
    )
    assert only(r, "A")["kelly_fraction"] == pytest.approx(0.20, abs=1e-12)


def test_kelly_growth_optimal_is_bet_fraction_over_loss():
    # same bet: f / l = 0.40 / 0.05 = 8, ×0.01 multiplier = 0.08
    m = make_market({"A": 100.0}, {"A": 0.2})
    c = Coordinator(
        sizing={"kelly_multiplier": 0.01, "kelly_formula": KellyFormula.GROWTH_OPTIMAL},
        policy={"max_position_size": 0.25, "max_sector_exposure": 1.0},
    )
    r = c.coordinate(
        frame(signal("s", "A", "BUY", 0.7, target=110.0, stop=95.0, p=0.6)),
        PortfolioState(cash=1e6),
        m,
    )
    assert only(r, "A")["kelly_fraction"] == pytest.approx(0.08, abs=1e-12)


def test_kelly_continuous_without_stop():
    # μ = 0.002 over 21 days, σ = 0.40 annual: σ_h² = 0.16·21/252 = 0.013333, f = 0.15
    m = make_market({"A": 100.0}, {"A": 0.4})
    c = Coordinator(
        policy={
            "max_position_size": 0.25,
            "max_sector_exposure": 1.0,
            "max_portfolio_volatility": 1.0,
        }
    )
    r = c.coordinate(
        frame(signal("s", "A", "BUY", 0.7, er=0.002, target=101.0)), PortfolioState(cash=1e6), m
    )
    assert only(r, "A")["kelly_fraction"] == pytest.approx(0.15, rel=1e-12)


def test_kelly_is_capped_and_no_edge_is_rejected():
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.2, "B": 0.2})
    sig = frame(
        signal("big", "A", "BUY", 0.9, target=130.0, stop=99.0, p=0.9),  # f ≈ 0.9 → cap 0.25
        signal("bad", "B", "BUY", 0.9, er=-0.01, target=101.0),  # BUY with negative expected return
    )
    r = Coordinator().coordinate(sig, PortfolioState(cash=1e6), m)
    assert only(r, "A")["kelly_fraction"] == 0.25
    rej = r.rejections.set_index("id")
    assert rej.loc["bad", "reason"] == "NO_EDGE"


# -- policy headroom, correlation, the decision example of the event contract------------------------------------------


def test_sector_capped_size():
    # the sector holds 22% already (B), limit 25%: a BUY of A may add only 3%
    m = make_market(
        {"A": 100.0, "B": 100.0}, {"A": 0.2, "B": 0.2}, sectors={"A": "Tech", "B": "Tech"}
    )
    state = PortfolioState({"B": {"quantity": 2200, "avg_price": 100.0}}, cash=780_000)
    r = Coordinator(policy={"max_position_size": 0.25}).coordinate(
        frame(signal("s", "A", "BUY", 0.7, er=0.05)), state, m
    )
    d = only(r, "A")
    assert d["policy_constrained"] == pytest.approx(0.03, abs=1e-12)
    assert r.waterfall.set_index("instrument_id").loc["A", "binding_rule"] == "sector"
    assert d["share_quantity"] == 300
    assert d["sector_after"] == pytest.approx(0.25, abs=1e-12)


def test_correlation_adjusted_size():
    # the book holds only B; corr(A, B) = 0.6 → factor 1 - 0.5·0.6 = 0.7; 5% → 3.5%
    m = make_market(
        {"A": 100.0, "B": 100.0},
        {"A": 0.2, "B": 0.3},
        corr={("A", "B"): 0.6},
        sectors={"A": "X", "B": "Y"},
    )
    state = PortfolioState({"B": {"quantity": 400, "avg_price": 100.0}}, cash=960_000)
    r = Coordinator().coordinate(frame(signal("s", "A", "BUY", 0.7, er=0.05)), state, m)
    d = only(r, "A")
    assert d["correlation_impact"] == pytest.approx(0.6, abs=1e-12)
    assert d["policy_constrained"] == pytest.approx(0.05)
    assert d["correlation_adjusted"] == pytest.approx(0.035, abs=1e-12)
    assert d["share_quantity"] == 350


def test_decision_contract_example_arithmetic():
    """The example decision of the event contract (specification §1): Kelly 4.5% → policy 3.5% → correlation 3.2% → final 3.0%, $30,000,
    197 shares at 152.28, position 1% → 4%, technology sector 15% → 18%."""
    price, target, p, kelly = 152.28, 155.25, 0.78, 0.045
    stop = price - (target - price) * (p - kelly) / (1 - p)  # payoff b with p - (1-p)/b = 4.5%
    rho = (1 - 0.032 / 0.035) / 0.5  # correlation with the book giving factor 0.032 / 0.035
    m = make_market(
        {"AAPL": price, "MSFT": 250.0, "KO": 60.0},
        {"AAPL": 0.29, "MSFT": 0.29, "KO": 0.18},
        corr={("AAPL", "MSFT"): rho},
        sectors={"AAPL": "technology", "MSFT": "technology", "KO": "staples"},
    )
    state = PortfolioState(
        {
            "AAPL": {"quantity": 10_000 / price, "avg_price": 140.0},
            "MSFT": {"quantity": 560, "avg_price": 200.0},
        },
        cash=850_000,
    )
    sig = [
        {
            "eventId": "signal-uuid-123",
            "timestamp": "2025-06-21T10:30:00.200Z",
            "signal": {
                "instrument_id": "AAPL",
                "action": "BUY",
                "confidence": 0.81,
                "strength": "STRONG",
                "signal_score": 0.78,
            },
            "expected_outcomes": {
                "price_target": target,
                "expected_return": 0.025,
                "success_probability": p,
                "stop_price": stop,
            },
        }
    ]
    req = [
        {
            "eventId": "rb-1",
            "timestamp": "2025-06-21T10:30:00.100Z",
            "portfolio_id": "main_portfolio",
            "rebalance_type": "TACTICAL",
            "target_adjustments": [
                {
                    "instrument_id": "AAPL",
                    "current_weight": 0.01,
                    "target_weight": 0.038,
                    "adjustment_needed": 0.028,
                    "urgency": "NORMAL",
                }
            ],
            "constraints": {
                "max_turnover": 0.10,
                "min_trade_size": 1000,
                "execution_timeframe": "1_day",
            },
        }
    ]
    c = Coordinator(policy={"max_position_size": 0.045})
    r = c.coordinate(sig, state, m, req)
    d = only(r, "AAPL")
    assert r.nav == pytest.approx(1_000_000)
    assert d["kelly_fraction"] == pytest.approx(0.045, abs=1e-9)
    assert d["policy_constrained"] == pytest.approx(0.035, abs=1e-9)
    assert d["correlation_adjusted"] == pytest.approx(0.032, abs=1e-9)
    assert d["final_size"] == pytest.approx(0.030, abs=1e-9)
    assert d["trade_amount"] == pytest.approx(30_000.0, abs=1e-4)
    assert d["share_quantity"] == 197
    assert d["current_position"] == pytest.approx(0.01) and d["target_position"] == pytest.approx(
        0.04
    )
    assert (d["sector_before"], d["sector_after"], d["sector_limit"]) == pytest.approx(
        (0.15, 0.18, 0.25)
    )
    assert d["priority"] == "HIGH" and d["confidence"] == 0.81
    assert d["position_var_1d"] == pytest.approx(norm.ppf(0.95) * 0.29 / np.sqrt(252) * 30_000)
    assert d["max_loss_estimate"] == pytest.approx(30_000 * (price - stop) / price)
    assert d["risk_reward_ratio"] == pytest.approx((target - price) / (price - stop))
    # the trade is driven by a signal and a rebalance request: the request's timeframe rules
    assert (d["order_type"], d["execution_algorithm"], d["time_horizon"]) == (
        "LIMIT",
        "TWAP",
        "1_day",
    )
    ev = r.events()[0].to_dict()
    assert ev["position_sizing"]["final_size"] == pytest.approx(0.03)
    assert ev["decision"]["share_quantity"] == 197 and ev["decision"]["trade_amount"] == 30000.0
    assert ev["signal_basis"]["signal_id"] == "signal-uuid-123"
    assert set(ev) == {
        "eventId",
        "timestamp",
        "decision",
        "signal_basis",
        "portfolio_context",
        "position_sizing",
        "risk_metrics",
        "execution_strategy",
        "policy_compliance",
    }
    # portfolio VaR impact and risk contribution, recomputed from the weights
    names = list(m.instruments)
    cov, _ = m.risk_model()
    w0 = state.weights(m.last_prices).reindex(names).fillna(0).to_numpy()
    w_alone = w0 + np.array([0.03, 0, 0])
    z = norm.ppf(0.95) / np.sqrt(252)
    assert d["portfolio_var_impact"] == pytest.approx(
        z * (np.sqrt(w_alone @ cov @ w_alone) - np.sqrt(w0 @ cov @ w0)), rel=1e-9
    )
    w1 = w0 + np.array([197 * price / 1e6, 0, 0])
    assert d["risk_contribution"] == pytest.approx(
        w1[0] * (cov @ w1)[0] / np.sqrt(w1 @ cov @ w1), rel=1e-9
    )


def test_sell_closes_a_long_exactly_under_long_only():
    m = make_market({"A": 33.33}, {"A": 0.2})
    state = PortfolioState({"A": {"quantity": 777, "avg_price": 30.0}}, cash=1e6)
    r = Coordinator().coordinate(frame(signal("s", "A", "SELL", 0.8, er=-0.05)), state, m)
    d = only(r, "A")
    assert d["action"] == "SELL" and d["share_quantity"] == 777


def test_sell_without_position_is_rejected_when_long_only():
    m = make_market({"A": 100.0}, {"A": 0.2})
    r = Coordinator().coordinate(
        frame(signal("s", "A", "SELL", 0.8, er=-0.05)), PortfolioState(cash=1e6), m
    )
    row = r.rejections.iloc[0]
    assert row["reason"] == "POLICY_LIMIT" and row["rule"] == "short_selling"


def test_min_position_rule_rounds_up_and_drops():
    # Kelly 0.5% (< 1% minimum): rounded up to 1% when room allows, else dropped
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.4, "B": 0.4}, sectors={"A": "X", "B": "Y"})
    mu = 0.005 * 0.16 * 21 / 252  # continuous Kelly 0.005
    state = PortfolioState({"B": {"quantity": 450, "avg_price": 100.0}}, cash=955_000)
    sig = frame(signal("a", "A", "BUY", 0.7, er=mu), signal("b", "B", "BUY", 0.7, er=mu * 20))
    r = Coordinator().coordinate(sig, state, m)
    assert only(r, "A")["final_size"] == pytest.approx(0.01)
    # B holds 4.5%: its 0.5% room is below the minimum
    assert r.rejections.set_index("id").loc["b", "reason"] == "BELOW_MIN_SIZE"


# -- conflict resolution: two strategies on one instrument ---------------------------------


def _conflict(resolution, strategies=None, state=None, **kw):
    # k = μ / (σ² h / 252) with σ = 0.4, h = 21: momentum BUY 0.12, mean reversion SELL 0.04
    m = make_market({"X": 100.0, "Y": 100.0}, {"X": 0.4, "Y": 0.4}, sectors={"X": "A", "Y": "B"})
    unit = 0.16 * 21 / 252
    sig = frame(
        signal(
            "mom",
            "X",
            "BUY",
            0.9,
            er=0.12 * unit,
            strategy="mom",
            ts="2024-01-03T15:05:00Z",
            **kw.get("mom", {}),
        ),
        signal(
            "mr",
            "X",
            "SELL",
            0.6,
            er=-0.04 * unit,
            strategy="mr",
            ts="2024-01-03T15:00:00Z",
            **kw.get("mr", {}),
        ),
    )
    c = Coordinator(
        policy={
            "allow_short": True,
            "max_position_size": 0.20,
            "max_sector_exposure": 0.5,
            "max_portfolio_volatility": 1.0,
        },
        resolution=resolution,
        strategies=strategies,
    )
    return c.coordinate(sig, state or PortfolioState(cash=1e6), m)


def test_highest_priority_picks_the_critical_signal():
    strategies = [
        Strategy(
            name="mom",
            allocation=0.5,
            track_record=TrackRecord(win_rate=0.65, sharpe=2.0, n_trades=50),
        ),
        Strategy(name="mr", allocation=0.5),
    ]
    r = _conflict(Resolution.HIGHEST_PRIORITY, strategies)
    d = only(r, "X")
    assert (d["action"], d["priority"], d["kelly_fraction"]) == (
        "BUY",
        "CRITICAL",
        pytest.approx(0.12),
    )
    lost = r.rejections.set_index("id").loc["mr"]
    assert (lost["reason"], lost["winner_id"], lost["rule"]) == (
        "CONFLICT_LOST",
        "mom",
        "HIGHEST_PRIORITY",
    )


def test_best_risk_reward_picks_the_better_payoff():
    # mom: u/l = 5/5 = 1; mr: u/l = 6/2 = 3
    r = _conflict(
        Resolution.BEST_RISK_REWARD,
        mom={"target": 105.0, "stop": 95.0, "p": 0.6},
        mr={"target": 94.0, "stop": 102.0, "p": 0.6},
    )
    d = only(r, "X")
    assert d["action"] == "SELL" and d["risk_reward_ratio"] == pytest.approx(3.0)
    assert r.rejections.set_index("id").loc["mom", "winner_id"] == "mr"


def test_performance_weighted_prefers_the_better_strategy():
    # score = confidence × track-record score: mom 0.9 × 0.25 < mr 0.6 × 0.8
    poor = TrackRecord(
        win_rate=0.4, sharpe=-0.5, profit_factor=0.6, n_trades=40
    )  # score (0.4+0.125+0.2)/3
    good = TrackRecord(
        win_rate=0.7, sharpe=2.2, profit_factor=2.7, n_trades=40
    )  # (0.7+0.8+0.9)/3 = 0.8
    assert poor.score() == pytest.approx(0.725 / 3) and good.score() == pytest.approx(0.8)
    strategies = [
        Strategy(name="mom", allocation=0.5, track_record=poor),
        Strategy(name="mr", allocation=0.5, track_record=good),
    ]
    d = only(_conflict(Resolution.PERFORMANCE_WEIGHTED, strategies), "X")
    assert d["action"] == "SELL" and d["signal_id"] == "mr"


def test_first_in_first_out_earliest_signal_or_existing_position():
    assert only(_conflict(Resolution.FIRST_IN_FIRST_OUT), "X")["signal_id"] == "mr"  # mr came first
    held = PortfolioState({"X": {"quantity": 100, "avg_price": 90.0}}, cash=990_000)
    d = only(_conflict(Resolution.FIRST_IN_FIRST_OUT, state=held), "X")  # the long position wins
    assert d["signal_id"] == "mom" and d["action"] == "BUY"


def test_net_and_weighted_aggregations():
    d = only(_conflict(Resolution.NET), "X")
    assert d["kelly_fraction"] == pytest.approx(0.12 - 0.04) and d["action"] == "BUY"
    assert set(d["signal_ids"]) == {"mom", "mr"}
    wa = (0.9 * 0.12 - 0.6 * 0.04) / (0.9 + 0.6)
    assert only(_conflict(Resolution.WEIGHTED_AVERAGE), "X")["kelly_fraction"] == pytest.approx(wa)
    # volatility-adjusted: × min(1, 0.20 / 0.40)
    assert only(_conflict(Resolution.VOLATILITY_ADJUSTED), "X")["kelly_fraction"] == pytest.approx(
        wa / 2
    )


# -- allocation ------------------------------------------------------------------------------


def _three(cash: float, sector_held: float = 0.0):
    """A, B, C (priced 100, uncorrelated) and a held Z; Z is low-volatility filler."""
    names = {"A": 100.0, "B": 100.0, "C": 100.0, "Z": 100.0}
    vols = {"A": 0.2, "B": 0.2, "C": 0.2, "Z": 0.01}
    sectors = {"A": "T", "B": "T", "C": "T", "Z": "T" if sector_held else "Bonds"}
    m = make_market(names, vols, sectors=sectors)
    held = (1e6 - cash) / 100.0
    state = PortfolioState({"Z": {"quantity": held, "avg_price": 100.0}}, cash=cash)
    sig = frame(
        signal("a", "A", "BUY", 0.85, er=0.05),  # HIGH
        signal("b", "B", "BUY", 0.70, er=0.04),  # MEDIUM, larger edge than C
        signal("c", "C", "BUY", 0.60, er=0.02),  # MEDIUM
    )
    return m, state, sig


@pytest.mark.parametrize("mode", list(AllocationMode))
def test_allocation_binds_on_cash(mode):
    m, state, sig = _three(cash=65_000)
    policy = {"max_position_size": 0.05, "max_sector_exposure": 1.0, "max_leverage": 2.0}
    r = Coordinator(policy=policy, sizing={"allocation": mode}).coordinate(sig, state, m)
    assert only(r, "A")["share_quantity"] == 500  # 5% = $50,000
    assert only(r, "B")["share_quantity"] == 150  # the $15,000 left
    c = r.rejections.set_index("id").loc["c"]
    assert c["reason"] == "NO_CAPACITY" and "cash" in c["detail"]


@pytest.mark.parametrize("mode", list(AllocationMode))
def test_allocation_binds_on_sector(mode):
    # sector T already holds 15% (Z): 10% left for three 5% buys
    m, state, sig = _three(cash=850_000, sector_held=0.15)
    policy = {
        "max_position_size": 0.05,
        "max_sector_exposure": 0.25,
        "max_portfolio_volatility": 0.5,
    }
    r = Coordinator(policy=policy, sizing={"allocation": mode}).coordinate(sig, state, m)
    assert only(r, "A")["share_quantity"] == 500 and only(r, "B")["share_quantity"] == 500
    c = r.rejections.set_index("id").loc["c"]
    assert c["reason"] == "NO_CAPACITY" and "sector" in c["detail"]


def test_strategy_budget_binds():
    m, state, sig = _three(cash=1e6)
    sig["strategy_id"] = ["s1", "s1", "s2"]
    c = Coordinator(
        policy={"max_sector_exposure": 1.0},
        strategies={"s1": 0.07, "s2": 0.5},
        sizing={"allocation": "GREEDY"},
    )
    r = c.coordinate(sig, PortfolioState(cash=1e6), m)
    assert only(r, "A")["share_quantity"] == 500 and only(r, "B")["share_quantity"] == 200
    assert only(r, "C")["share_quantity"] == 500


def test_unregistered_strategy_is_rejected():
    m, state, sig = _three(cash=1e6)
    r = Coordinator(strategies={"known": 0.5}).coordinate(sig, PortfolioState(cash=1e6), m)
    assert set(r.rejections["reason"]) == {"UNKNOWN_STRATEGY"} and r.decisions.empty


# -- risk loop ---------------------------------------------------------------------------------


def test_risk_loop_resizes_and_drops():
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.4, "B": 0.8}, sectors={"A": "X", "B": "Y"})
    sig = frame(signal("a", "A", "BUY", 0.7, er=0.5), signal("b", "B", "BUY", 0.7, er=0.5))
    # position risk tolerance 1%: A (σ 40%) may hold 2.5% = half its 5%: kept at the floor;
    # B (σ 80%) would need 1.25%, below half of 5%: dropped
    c = Coordinator(
        risk_loop=RiskLoopConfig(max_position_risk=0.01), policy={"max_portfolio_volatility": 1.0}
    )
    r = c.coordinate(sig, PortfolioState(cash=1e6), m)
    assert only(r, "A")["final_size"] == pytest.approx(0.025)
    b = r.rejections.set_index("id").loc["b"]
    assert b["reason"] == "RISK_LIMIT" and "position risk" in b["detail"]


# -- configuration, inputs, outputs -------------------------------------------------------------


def test_policy_from_yaml_and_errors(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "policy:\n  max_position_size: 0.04\n  max_correlation_exposure: {limit: 0.5, hard: true}\n"
        "sizing:\n  kelly_multiplier: 0.5\n"
    )
    c = Coordinator.from_yaml(path)
    assert c.policy.max_position_size.limit == 0.04 and c.policy.max_position_size.hard
    assert c.policy.max_correlation_exposure.hard and c.sizing.kelly_multiplier == 0.5
    assert Policy.from_yaml(Policy(max_leverage=1.5).to_yaml()).max_leverage.limit == 1.5
    with pytest.raises(ConfigError, match="max_position_size"):
        Policy(max_position_size=0.3)  # above the sector limit
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy:\n  max_leverage: -1\n")
    with pytest.raises(ConfigError, match="max_leverage"):
        Coordinator.from_yaml(bad)
    with pytest.raises(ConfigError, match="resolution"):
        Coordinator(resolution="COIN_FLIP")


def test_defaults_are_the_default_policy():
    p, s, loop = Policy(), SizingConfig(), RiskLoopConfig()
    assert [r.limit for r in p.rules().values()] == [0.05, 0.25, 0.60, 0.20, 2.0, 0.02, 0.05]
    assert not p.var_limit.hard  # the plan's 2% VaR limit, reported unless made hard
    assert not p.max_position_risk.hard  # the plan's 5% position risk, reported unless hard
    assert (s.max_kelly_fraction, s.min_position_size) == (0.25, 0.01)
    assert (loop.max_iterations, loop.min_resize) == (3, 0.5)


def test_bad_rows_are_reported_and_good_rows_kept():
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.2, "B": 0.2}, sectors={"A": "X", "B": "Y"})
    sig = frame(
        signal("ok", "A", "BUY", 0.7, er=0.05),
        signal("bad", "B", "BUY", 1.3, er=0.05),
        signal("ok", "B", "BUY", 0.7, er=0.05),
        signal("zz", "NOPE", "BUY", 0.7, er=0.05),
    )
    r = Coordinator().coordinate(sig, PortfolioState(cash=1e6), m)
    rej = r.rejections.set_index("id")
    assert rej.loc["bad", "field"] == "signal.confidence"
    assert rej.loc["zz", "reason"] == "UNKNOWN_INSTRUMENT"
    assert list(r.decisions["instrument_id"]) == ["A"]
    dup = r.rejections[r.rejections["detail"].str.contains("duplicate")]
    assert len(dup) == 1 and dup.iloc[0]["field"] == "eventId"


def test_position_without_price_is_a_data_error():
    m = make_market({"A": 100.0}, {"A": 0.2})
    with pytest.raises(DataError, match="ZZZ"):
        Coordinator().coordinate(
            frame(), PortfolioState({"ZZZ": {"quantity": 1, "avg_price": 1.0}}, cash=1), m
        )


def test_rebalance_only_decision_and_strategy_adjustment_reported():
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.2, "B": 0.2}, sectors={"A": "X", "B": "Y"})
    state = PortfolioState({"A": {"quantity": 500, "avg_price": 90.0}}, cash=950_000)
    req = [
        {
            "eventId": "rb",
            "timestamp": "2024-01-03T15:00:00Z",
            "portfolio_id": "p",
            "rebalance_type": "STRATEGIC",
            "target_adjustments": [
                {
                    "instrument_id": "A",
                    "current_weight": 0.05,
                    "target_weight": 0.02,
                    "adjustment_needed": -0.03,
                },
                {
                    "strategy_id": "mom",
                    "current_weight": 0.3,
                    "target_weight": 0.2,
                    "adjustment_needed": -0.1,
                    "priority": "HIGH",
                },
            ],
            "constraints": {
                "max_turnover": 0.1,
                "min_trade_size": 1000,
                "execution_timeframe": "1_day",
            },
        }
    ]
    r = Coordinator().coordinate(frame(), state, m, req)
    d = only(r, "A")
    assert (d["action"], d["share_quantity"], d["origin"]) == ("SELL", 300, "REBALANCE")
    assert r.rejections.iloc[0]["reason"] == "UNSUPPORTED"
    ev = r.events()[0]
    assert ev.signal_basis is None and ev.decision.action == "SELL"


def test_public_api_surface():
    assert {"Coordinator", "Market", "PortfolioState", "Policy", "datasets", "events"} <= set(
        portlab.__all__
    )
    assert portlab.Coordinator is Coordinator


def test_bad_json_events_are_rejected_and_the_batch_goes_on():
    m = make_market({"A": 100.0, "B": 100.0}, {"A": 0.2, "B": 0.2}, sectors={"A": "X", "B": "Y"})
    good = {
        "eventId": "g",
        "timestamp": "2024-01-03T15:00:00Z",
        "signal": {
            "instrument_id": "A",
            "action": "BUY",
            "confidence": 0.7,
            "strength": "STRONG",
            "signal_score": 0.5,
        },
        "expected_outcomes": {
            "price_target": 110.0,
            "expected_return": 0.05,
            "success_probability": 0.6,
        },
    }
    bad = {
        **good,
        "eventId": "b",
        "signal": {**good["signal"], "instrument_id": "B", "confidence": 7},
    }
    bad_request = {
        "eventId": "rb",
        "portfolio_id": "p",
        "rebalance_type": "NOPE",
        "target_adjustments": [],
    }
    r = Coordinator().coordinate([good, bad], PortfolioState(cash=1e6), m, [bad_request])
    assert list(r.decisions["instrument_id"]) == ["A"]
    rej = r.rejections.set_index("id")
    assert rej.loc["b", "field"] == "signal.confidence" and rej.loc["b", "instrument_id"] == "B"
    assert rej.loc["rb", "source"] == "REBALANCE" and rej.loc["rb", "reason"] == "INVALID"
    assert r.stats["total_signals"] == 2


# -- the engine's column tables: declared once (portlab.engine.columns) ----------------------


def test_stage_tables_have_exactly_their_declared_columns(monkeypatch):
    """Spy on the stages of one coordination with signals, conflicts, a rebalance request and
    rejections at several stages: every table has exactly the columns its schema declares."""
    from portlab.datasets import example_batch, load_sample
    from portlab.engine import columns as C
    from portlab.engine import coordinator as stages

    seen: dict[str, list] = {}

    def keys(value):  # the columns now: later stages extend the same dicts in place
        if isinstance(value, tuple):
            return tuple(keys(v) for v in value)
        return list(value) if isinstance(value, dict) else value

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            seen.setdefault(name, []).append((keys(args), keys(out)))
            return out

        monkeypatch.setattr(stages, name, wrapped)

    for name in ("signal_table", "adjustments", "enrich", "resolve", "build_decisions"):
        spy(name, getattr(stages, name))
    batch = example_batch()
    result = Coordinator(risk_loop={"max_position_risk": 0.004}).coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )

    def same(table, schema):
        assert schema.mismatch(table) == ([], []), schema.title

    [(_, read)] = seen["signal_table"]
    same(read, C.SIGNALS)
    [(_, (requested, _))] = seen["adjustments"]
    same(requested, C.ADJUSTMENTS)
    [(_, enriched)] = seen["enrich"]
    same(enriched, C.SIGNALS + C.ENRICHMENT)
    [(args, candidates)] = seen["resolve"]
    same(args[0], C.SIGNALS + C.ENRICHMENT + C.KELLY)
    same(candidates, C.CANDIDATES)
    [(args, decisions)] = seen["build_decisions"]
    same(args[0], C.CANDIDATES + C.SIZING + C.ALLOCATION + C.EXECUTION)
    same(decisions, C.DECISIONS)
    assert len(result.decisions) and {"RISK_LIMIT", "OVERRIDDEN"} <= set(result.rejections.reason)
    assert tuple(result.waterfall.columns) == C.WATERFALL.names
    assert tuple(result.rejections.columns) == C.REJECTIONS.names


def test_every_column_name_the_engine_uses_is_declared():
    """String keys read or written on the engine's tables (``t["name"]``, ``t.update(name=)``)
    are columns of some schema; the other string-keyed mappings are named here."""
    import ast
    from pathlib import Path

    from portlab.engine import columns as C

    declared = {n for v in vars(C).values() if isinstance(v, C.Schema) for n in v.names}
    not_tables = {
        "rules",  # Policy.rules(): rule name -> Rule
        "caps",  # greedy: rule name -> room
        "c",  # a rebalance request's constraints
        "s",  # CoordinationResult.stats
        "err",  # pydantic error records (config)
        "ctx",
        "value",  # a YAML rule mapping
        "description",  # AdaptiveState.from_dict: the state as to_dict describes it
        "entry",
        "seen",
    }
    engine = Path(portlab.engine.__file__).parent
    unknown = []
    for path in sorted(engine.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                key, owner = node.slice.value, ast.unparse(node.value)
            if isinstance(key, str) and owner not in not_tables and key not in declared:
                unknown.append(f"{path.name}:{node.lineno}: {owner}[{key!r}]")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "update"
            ):
                unknown += [
                    f"{path.name}:{node.lineno}: update({kw.arg}=)"
                    for kw in node.keywords
                    if kw.arg and kw.arg not in declared
                ]
    assert unknown == []


def test_headroom_columns_follow_the_rules_sizing_measures():
    from portlab.engine.columns import SIZING
    from portlab.engine.sizing import HEADROOM_RULES

    assert [n for n in SIZING.names if n.startswith("headroom_")] == [
        f"headroom_{r}" for r in HEADROOM_RULES
    ]


def test_variance_after_a_batch_is_the_quadratic_form():
    """``Book.variance_after`` (used by allocation, the cone test and the risk loop) equals
    ``w'ᵀ Σ w'`` computed in full, repeated instruments included."""
    from portlab.engine.book import build_book

    m = make_market(
        {"A": 100.0, "B": 50.0, "C": 20.0},
        {"A": 0.2, "B": 0.3, "C": 0.25},
        corr={("A", "B"): 0.4, ("B", "C"): -0.2},
        sectors={"A": "X", "B": "Y", "C": "Y"},
    )
    state = PortfolioState({"A": {"quantity": 100, "avg_price": 90.0}}, cash=90_000)
    book = build_book(state, m, Policy().correlation_threshold)
    idx, delta = np.array([1, 2, 1]), np.array([0.05, -0.02, 0.01])
    w1 = book.w.copy()
    np.add.at(w1, idx, delta)
    assert book.variance_after(idx, delta) == pytest.approx(w1 @ book.covariance @ w1, rel=1e-14)
    assert book.variance == pytest.approx(book.w @ book.covariance @ book.w, rel=1e-14)

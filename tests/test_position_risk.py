"""The policy's position risk limit (Policy.max_position_risk, the plan's
RiskManagementConfig): a position's standalone risk |w| σ (σ annualised), worked by hand on a
market with a given risk model; hard (each position capped at limit / σ, the rule named) and
soft (reported in the compliance block only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portlab import Coordinator, Market, Policy, PortfolioState
from portlab.analytics.risk import limit_measures
from portlab.plots import rule_label

NAMES = ["A", "B", "C"]
VOLS = {"A": 0.40, "B": 0.25, "C": 0.0}  # C: no volatility, no position risk
TS = "2024-01-03T15:00:00Z"
NAV = 1_000_000.0


def make_market() -> Market:
    index = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({k: [100.0] * 3 for k in NAMES}, index=index)
    vols = np.array([VOLS[k] for k in NAMES])
    cov = pd.DataFrame(np.diag(vols**2), index=NAMES, columns=NAMES)  # uncorrelated
    return Market(prices, sectors=pd.Series({k: f"S{k}" for k in NAMES}), covariance=cov)


MARKET = make_market()


def signal(name: str, action: str = "BUY") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "signal_id": [f"s-{name}-{action}"],
            "timestamp": TS,
            "instrument_id": [name],
            "action": action,
            "confidence": 1.0,
            "expected_return": 0.05 if action == "BUY" else -0.05,
        }
    )


def coordinator(rule, fraction: float = 0.3, allow_short: bool = False) -> Coordinator:
    """Fixed-fractional sizing at ``fraction`` of NAV; every other limit wide, so that only
    the position risk limit can bind (the risk loop's own tolerance out of the way)."""
    return Coordinator(
        policy={
            "max_position_size": 0.6,
            "max_sector_exposure": 0.6,
            "max_portfolio_volatility": 1.0,
            "max_position_risk": rule,
            "allow_short": allow_short,
        },
        sizing={
            "method": "FIXED_FRACTIONAL",
            "fixed_fraction": fraction,
            "correlation_penalty": 0.0,
            "min_position_size": 0.0,
            "fractional_shares": True,
        },
        risk_loop={"max_position_risk": 1.0},
    )


def holding(weights: dict[str, float]) -> PortfolioState:
    return PortfolioState.from_weights(weights, MARKET.last_prices, NAV)


def test_a_hard_limit_caps_the_position_at_limit_over_volatility():
    # a BUY of A (40% volatility) wanting 30% of NAV: risk 12%; a hard 5% limit allows
    # 0.05 / 0.40 = 12.5% of NAV
    result = coordinator({"limit": 0.05, "hard": True}).coordinate(
        signal("A"), PortfolioState(cash=NAV), MARKET
    )
    decision = result.decisions.iloc[0]
    assert decision["position_size"] == pytest.approx(0.125, rel=1e-9)
    step = result.waterfall.iloc[0]
    assert step["binding_rule"] == "position_risk"
    assert step["headroom_position_risk"] == pytest.approx(0.125, rel=1e-12)
    assert step["headroom_position"] == pytest.approx(0.6, rel=1e-12)
    assert "by the position risk limit" in decision["reasoning"]
    assert decision["position_risk_limit_check"] == "PASSED"  # at the limit, not over: near it
    assert "position_risk_near_limit" in decision["warnings"]
    assert rule_label(step["binding_rule"]) == "position risk limit"


def test_a_hard_limit_counts_the_position_already_held():
    # 5% of A held (risk 2%): the 12.5% cap leaves 7.5% to buy
    result = coordinator({"limit": 0.05, "hard": True}).coordinate(
        signal("A"), holding({"A": 0.05}), MARKET
    )
    assert result.decisions["position_size"].iloc[0] == pytest.approx(0.075, rel=1e-6)


def test_a_hard_limit_caps_a_short_the_same_way():
    # shorts allowed: a SELL of B (25% volatility) from flat stops at -0.05 / 0.25 = -20%
    result = coordinator({"limit": 0.05, "hard": True}, allow_short=True).coordinate(
        signal("B", "SELL"), PortfolioState(cash=NAV), MARKET
    )
    decision = result.decisions.iloc[0]
    assert decision["action"] == "SELL"
    assert decision["target_position"] == pytest.approx(-0.20, rel=1e-9)


def test_a_position_already_above_the_limit_may_only_shrink():
    # 20% of A held: risk 8%, above a hard 5%; a BUY (wanting 30%) finds no room; a SELL
    # (its target a 10% short) may close the position: the no-short rule stops it at 0, not
    # the position risk limit
    state = holding({"A": 0.20})
    c = coordinator({"limit": 0.05, "hard": True})
    bought = c.coordinate(signal("A"), state, MARKET)
    assert bought.n_decisions == 0
    assert bought.rejections["rule"].iloc[0] == "position_risk"
    sold = coordinator({"limit": 0.05, "hard": True}, fraction=0.1).coordinate(
        signal("A", "SELL"), state, MARKET
    )
    assert sold.decisions["target_position"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert sold.waterfall["binding_rule"].iloc[0] == "short_selling"
    assert np.isinf(sold.waterfall["headroom_position_risk"].iloc[0])  # shorts: another rule


def test_a_soft_limit_is_reported_not_enforced():
    result = coordinator({"limit": 0.05, "hard": False}).coordinate(
        signal("A"), PortfolioState(cash=NAV), MARKET
    )
    decision = result.decisions.iloc[0]
    assert decision["position_size"] == pytest.approx(0.3, rel=1e-9)  # not cut
    assert np.isinf(result.waterfall["headroom_position_risk"].iloc[0])
    assert decision["position_risk_limit_check"] == "WARNING"
    # 0.3 x 40% = 12% against 5%
    assert decision["violations"] == ["max_position_risk: 0.1200 > 0.0500 (soft limit)"]


def test_the_default_is_the_plans_five_percent_soft():
    policy = Policy()
    assert (policy.max_position_risk.limit, policy.max_position_risk.hard) == (0.05, False)


def test_limit_measures_show_the_riskiest_position():
    # A 10% (risk 4%), B 30% (risk 7.5%), C 20% (no volatility)
    state = holding({"A": 0.10, "B": 0.30, "C": 0.20})
    table = limit_measures(state, MARKET, Policy(max_position_size=0.4, max_sector_exposure=0.4))
    assert table.loc["position_risk", "value"] == pytest.approx(0.30 * 0.25, rel=1e-6)
    assert table.loc["position_risk", "where"] == "B"
    assert table.loc["position_risk", "breached"]
    assert not table.loc["position_risk", "hard"]

"""The policy's 1-day VaR limit (Policy.var_limit): worked by hand on a market with a given
risk model, hard (trades resized to it, the rule named) and soft (reported only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from portlab import Coordinator, Market, Policy, PortfolioState
from portlab.analytics.risk import limit_measures

NAMES = ["A", "B", "C"]
VOLS = np.array([0.40, 0.30, 0.20])
TS = "2024-01-03T15:00:00Z"
NAV = 1_000_000.0


def make_market() -> Market:
    index = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({k: [100.0] * 3 for k in NAMES}, index=index)
    cov = pd.DataFrame(np.diag(VOLS**2), index=NAMES, columns=NAMES)  # uncorrelated
    return Market(prices, sectors=pd.Series({k: f"S{k}" for k in NAMES}), covariance=cov)


MARKET = make_market()


def buy(name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "signal_id": [f"s-{name}"],
            "timestamp": TS,
            "instrument_id": [name],
            "action": "BUY",
            "confidence": 1.0,
            "expected_return": 0.05,
        }
    )


def coordinator(var_limit, fraction: float = 0.5, confidence: float = 0.95) -> Coordinator:
    """Fixed-fractional sizing at ``fraction`` of NAV; limits wide enough that only the VaR
    limit can bind."""
    return Coordinator(
        policy={
            "max_position_size": 0.6,
            "max_sector_exposure": 0.6,
            "max_portfolio_volatility": 1.0,
            "var_limit": var_limit,
            "var_limit_confidence": confidence,
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


def test_the_var_of_a_volatility_by_hand():
    policy = Policy(var_limit=0.02, var_limit_confidence=0.99)
    z = norm.ppf(0.99)  # 2.3263
    assert policy.var_of(0.20) == pytest.approx(z * 0.20 / np.sqrt(252), rel=1e-12)
    assert policy.var_volatility() == pytest.approx(0.02 * np.sqrt(252) / z, rel=1e-12)


def test_a_hard_var_limit_resizes_the_trade_to_it():
    # one BUY of A (40% volatility) wanting 50% of NAV: 20% volatility, a 95% 1-day VaR of
    # 1.645 x 0.20 / 15.87 = 2.07% of NAV; a hard 1% limit allows a volatility of
    # 0.01 x 15.87 / 1.645 = 9.65%, so 9.65% / 40% = 24.1% of NAV
    result = coordinator({"limit": 0.01, "hard": True}).coordinate(
        buy("A"), PortfolioState(cash=NAV), MARKET
    )
    want = 0.01 * np.sqrt(252) / norm.ppf(0.95) / 0.40
    decision = result.decisions.iloc[0]
    assert decision["position_size"] == pytest.approx(want, rel=1e-9)
    assert result.waterfall["binding_rule"].iloc[0] == "var"
    assert result.waterfall["headroom_var"].iloc[0] == pytest.approx(want, rel=1e-9)
    after = norm.ppf(0.95) * decision["position_size"] * 0.40 / np.sqrt(252)
    assert after == pytest.approx(0.01, rel=1e-9)  # at the limit, not over
    assert decision["var_limit_check"] == "PASSED"  # at the limit, not over: near it
    assert "portfolio_var_near_limit" in decision["warnings"]


def test_a_hard_var_limit_with_holdings_uses_the_portfolio_volatility():
    # holding 30% of B (9% volatility); adding x of C: variance 0.09² + (0.2 x)² must stay
    # under the VaR limit's volatility
    state = PortfolioState.from_weights({"B": 0.3}, MARKET.last_prices, NAV)
    result = coordinator({"limit": 0.012, "hard": True}).coordinate(buy("C"), state, MARKET)
    cap = 0.012 * np.sqrt(252) / norm.ppf(0.95)
    want = np.sqrt(cap**2 - (0.3 * 0.30) ** 2) / 0.20
    assert result.decisions["position_size"].iloc[0] == pytest.approx(want, rel=1e-9)


def test_a_soft_var_limit_is_reported_not_enforced():
    result = coordinator({"limit": 0.01, "hard": False}).coordinate(
        buy("A"), PortfolioState(cash=NAV), MARKET
    )
    decision = result.decisions.iloc[0]
    assert decision["position_size"] == pytest.approx(0.5, rel=1e-9)  # not cut
    var = norm.ppf(0.95) * 0.5 * 0.40 / np.sqrt(252)
    assert decision["var_limit_check"] == "WARNING"
    # A's standalone risk 0.5 x 40% = 20% is above the (soft) 5% position risk limit too
    assert decision["violations"] == [
        f"var_limit: {var:.4f} > 0.0100 (soft limit)",
        "max_position_risk: 0.2000 > 0.0500 (soft limit)",
    ]


def test_the_tighter_of_volatility_and_var_binds():
    # a 15% volatility limit is tighter than a 2% VaR limit (19.3% volatility): volatility
    tight_vol = Coordinator(
        policy={"max_position_size": 0.6, "max_sector_exposure": 0.6,
                "max_portfolio_volatility": 0.15, "var_limit": {"limit": 0.02, "hard": True}},
        sizing={"method": "FIXED_FRACTIONAL", "fixed_fraction": 0.5, "correlation_penalty": 0,
                "min_position_size": 0, "fractional_shares": True},
        risk_loop={"max_position_risk": 1.0},
    )  # fmt: skip
    result = tight_vol.coordinate(buy("A"), PortfolioState(cash=NAV), MARKET)
    assert result.waterfall["binding_rule"].iloc[0] == "volatility"
    assert result.decisions["position_size"].iloc[0] == pytest.approx(0.15 / 0.40, rel=1e-9)
    assert (
        Policy(
            max_portfolio_volatility=0.15, var_limit={"limit": 0.02, "hard": True}
        ).volatility_cap()[0]
        == "volatility"
    )


def test_limit_measures_report_the_var():
    state = PortfolioState.from_weights({"A": 0.25, "B": 0.25}, MARKET.last_prices, NAV)
    table = limit_measures(state, MARKET, Policy(var_limit=0.01))
    vol = np.sqrt((0.25 * 0.40) ** 2 + (0.25 * 0.30) ** 2)
    assert table.loc["var", "value"] == pytest.approx(norm.ppf(0.95) * vol / np.sqrt(252))
    assert table.loc["var", "limit"] == 0.01
    assert bool(table.loc["var", "breached"])

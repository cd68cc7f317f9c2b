"""Sizing methods (SizingConfig.method): each method's target exposure worked by hand on a
market with a given risk model, then passed through the same limits as Kelly sizing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from portlab import Coordinator, Market, PortfolioState, SizingConfig, SizingMethod
from portlab.exceptions import ConfigError

NAMES = ["A", "B", "C", "D", "E", "F"]
VOLS = np.array([0.10, 0.20, 0.30, 0.40, 0.25, 0.15])
TS = "2024-01-03T15:00:00Z"
NAV = 1_000_000.0


def correlation() -> np.ndarray:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 40))
    c = np.corrcoef(x)
    return 0.5 * c + 0.5 * np.eye(6)  # correlated, well conditioned


def make_market() -> Market:
    index = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({k: [100.0] * 3 for k in NAMES}, index=index)
    cov = pd.DataFrame(np.outer(VOLS, VOLS) * correlation(), index=NAMES, columns=NAMES)
    return Market(prices, sectors=pd.Series({k: f"S{k}" for k in NAMES}), covariance=cov)


MARKET = make_market()


def coordinator(method: str, policy: dict | None = None, **sizing) -> Coordinator:
    """Limits wide enough that only what a test names binds."""
    return Coordinator(
        policy={
            "max_position_size": 0.3,
            "max_sector_exposure": 0.3,
            "max_portfolio_volatility": 1.0,
            **(policy or {}),
        },
        sizing={
            "method": method,
            "correlation_penalty": 0.0,
            "min_position_size": 0.0,
            "fractional_shares": True,
            "allocation": "GREEDY",
            **sizing,
        },
        risk_loop={"max_position_risk": 1.0},
    )


def signals(names, confidence=0.8, action="BUY", er=0.05) -> pd.DataFrame:
    n = len(names)
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (n,))
    return pd.DataFrame(
        {
            "signal_id": [f"s-{k}" for k in names],
            "timestamp": TS,
            "instrument_id": list(names),
            "action": action,
            "confidence": conf,
            "expected_return": er if action == "BUY" else -er,
        }
    )


def cash_only() -> PortfolioState:
    return PortfolioState(cash=NAV)


def holding(name: str, weight: float) -> PortfolioState:
    return PortfolioState.from_weights({name: weight}, MARKET.last_prices, NAV)


def sizes(result) -> dict[str, float]:
    return dict(
        zip(result.decisions["instrument_id"], result.decisions["position_size"], strict=True)
    )


def targets(result) -> dict[str, float]:
    wf = result.waterfall
    return dict(zip(wf["instrument_id"], wf["target_size"], strict=True))


def test_fixed_fractional_is_the_fraction_times_confidence():
    result = coordinator("FIXED_FRACTIONAL", fixed_fraction=0.05).coordinate(
        signals(["B", "C", "D"], confidence=[0.8, 0.6, 0.9]), cash_only(), MARKET
    )
    want = {"B": 0.04, "C": 0.03, "D": 0.045}
    assert targets(result) == pytest.approx(want, rel=1e-12)
    assert sizes(result) == pytest.approx(want, rel=1e-9)  # no limit binds
    assert set(result.waterfall["sizing_method"]) == {"FIXED_FRACTIONAL"}
    assert result.sizing_method is SizingMethod.FIXED_FRACTIONAL
    reasoning = result.decisions.set_index("instrument_id")["reasoning"]
    assert reasoning["B"].startswith("Fixed fractional size 4.0% (Kelly ")


def test_equal_weight_splits_the_deployable_cash():
    # 60% invested: 40% of NAV in cash, four instruments -> 10% each
    result = coordinator("EQUAL_WEIGHT").coordinate(
        signals(["B", "C", "D", "E"]), holding("A", 0.6), MARKET
    )
    assert sizes(result) == pytest.approx(dict.fromkeys("BCDE", 0.1), rel=1e-9)
    # a cash floor of 20% leaves 20% to deploy: 5% each
    floored = coordinator("EQUAL_WEIGHT", policy={"cash_floor": 0.2}).coordinate(
        signals(["B", "C", "D", "E"]), holding("A", 0.6), MARKET
    )
    assert sizes(floored) == pytest.approx(dict.fromkeys("BCDE", 0.05), rel=1e-9)


def test_equal_weight_counts_instruments_not_signals():
    two_on_b = pd.concat([signals(["B", "C"]), signals(["B"]).assign(signal_id="s-B2")])
    result = coordinator("EQUAL_WEIGHT").coordinate(two_on_b, holding("A", 0.6), MARKET)
    assert sizes(result) == pytest.approx({"B": 0.2, "C": 0.2}, rel=1e-9)


def test_volatility_target_sizes_each_position_to_its_risk():
    result = coordinator("VOLATILITY_TARGET", risk_target=0.02).coordinate(
        signals(["A", "B", "C"]), cash_only(), MARKET
    )
    want = {"A": 0.02 / 0.10, "B": 0.02 / 0.20, "C": 0.02 / 0.30}
    assert sizes(result) == pytest.approx(want, rel=1e-9)
    # the position's own volatility is the target
    for name, size in sizes(result).items():
        assert size * VOLS[NAMES.index(name)] == pytest.approx(0.02, rel=1e-9)


def _erc(cov: np.ndarray) -> np.ndarray:
    """Equal risk contributions by Spinu's convex programme (not portlab's Newton method):
    minimise ½ yᵀΣy − Σ log y, then normalise."""
    n = len(cov)
    res = minimize(
        lambda y: 0.5 * y @ cov @ y - np.log(y).sum(),
        np.ones(n) / np.sqrt(np.diag(cov)),
        jac=lambda y: cov @ y - 1.0 / y,
        bounds=[(1e-9, None)] * n,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    return res.x / res.x.sum()


def test_risk_parity_on_an_empty_book_is_the_erc_portfolio():
    names = ["B", "C", "D", "E"]
    result = coordinator(
        "RISK_PARITY", policy={"max_position_size": 1.0, "max_sector_exposure": 1.0}
    ).coordinate(signals(names), cash_only(), MARKET)
    idx = [NAMES.index(k) for k in names]
    cov = (np.outer(VOLS, VOLS) * correlation())[np.ix_(idx, idx)]
    got = np.array([targets(result)[k] for k in names])
    np.testing.assert_allclose(got, _erc(cov), rtol=1e-5)
    contributions = got * (cov @ got)
    np.testing.assert_allclose(contributions, contributions.mean(), rtol=1e-8)
    assert got.sum() == pytest.approx(1.0, rel=1e-12)  # all the cash, at equal risk


def test_risk_parity_sizes_new_positions_with_the_holdings():
    # half the book in A: the ERC portfolio of {A, B, C} at the whole NAV (gross 0.5 + 0.5)
    result = coordinator(
        "RISK_PARITY", policy={"max_position_size": 1.0, "max_sector_exposure": 1.0}
    ).coordinate(signals(["B", "C"]), holding("A", 0.5), MARKET)
    cov = (np.outer(VOLS, VOLS) * correlation())[:3, :3]
    erc = _erc(cov)
    assert targets(result) == pytest.approx({"B": erc[1], "C": erc[2]}, rel=1e-5)


def test_every_method_passes_through_the_hard_limits():
    # 5% position cap: each method's larger target is cut there, the rule named
    for method, sizing in [
        ("EQUAL_WEIGHT", {}),
        ("FIXED_FRACTIONAL", {"fixed_fraction": 0.5}),
        ("VOLATILITY_TARGET", {"risk_target": 0.05}),
        ("RISK_PARITY", {}),
    ]:
        result = coordinator(method, policy={"max_position_size": 0.05}, **sizing).coordinate(
            signals(["B", "C"]), cash_only(), MARKET
        )
        assert sizes(result) == pytest.approx({"B": 0.05, "C": 0.05}, rel=1e-9), method
        assert set(result.waterfall["binding_rule"]) == {"position"}, method
        assert (result.waterfall["target_size"] > 0.05).all(), method


def test_kelly_stays_the_default_and_the_kelly_column_keeps_its_meaning():
    batch = signals(["B", "C"])
    default = Coordinator().coordinate(batch, cash_only(), MARKET)
    assert SizingConfig().method is SizingMethod.KELLY
    wf = default.waterfall
    np.testing.assert_array_equal(wf["target_size"], wf["kelly"])
    assert set(wf["sizing_method"]) == {"KELLY"}
    fixed = coordinator("FIXED_FRACTIONAL").coordinate(batch, cash_only(), MARKET).waterfall
    np.testing.assert_allclose(fixed["kelly"], wf["kelly"])  # still the Kelly fraction
    assert (fixed["target_size"] != fixed["kelly"]).all()


def test_no_edge_is_rejected_whatever_the_method():
    # a BUY expecting a loss has no edge: not sized by any method
    batch = signals(["B"], er=-0.05)
    for method in SizingMethod:
        result = coordinator(method).coordinate(batch, cash_only(), MARKET)
        assert result.n_decisions == 0
        assert list(result.rejections["reason"]) == ["NO_EDGE"], method


def test_bad_method_settings_are_named():
    with pytest.raises(ConfigError, match=r"sizing\.method.*KELLY"):
        Coordinator(sizing={"method": "HALF_KELLY"})
    with pytest.raises(ConfigError, match=r"sizing\.fixed_fraction"):
        Coordinator(sizing={"fixed_fraction": 5})
    with pytest.raises(ConfigError, match=r"sizing\.risk_target"):
        Coordinator(sizing={"risk_target": 0})
    assert Coordinator(sizing={"method": "equal_weight"}).sizing.method is SizingMethod.EQUAL_WEIGHT

"""Tests of portlab.analytics.risk.limit_measures, the policy measures of a portfolio.

The values are worked out by hand on a four-instrument market with a given covariance, then
compared on the bundled sample with the engine's own view of the portfolio
(``portlab.engine.book``), with the measures written from their definitions
(``tests/_builders.py``) and with the stress test's limit table.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

import portlab.analytics
from _builders import state_measures, universe
from portlab import Policy
from portlab.analytics import risk
from portlab.analytics.risk import LIMIT_MEASURE_COLUMNS, limit_measures
from portlab.datasets import example_batch, load_sample
from portlab.engine.book import build_book
from portlab.exceptions import DataError, InputRepairWarning, ValidationError
from portlab.market import Market
from portlab.state import PortfolioState

RULES = ["position", "sector", "correlation", "volatility", "leverage", "var", "position_risk"]

# four instruments: A and B in sector X, C and D in Y; last prices 100, 50, 20, 10
PRICES = {"A": 100.0, "B": 50.0, "C": 20.0, "D": 10.0}
VOLS = np.array([0.2, 0.3, 0.4, 0.25])  # annualised
# A is correlated with B (0.8) and with C (0.75), B and C only 0.3 with each other, D with none
CORR = np.array(
    [
        [1.0, 0.8, 0.75, 0.0],
        [0.8, 1.0, 0.3, 0.0],
        [0.75, 0.3, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
)
COV = pd.DataFrame(np.outer(VOLS, VOLS) * CORR, index=list("ABCD"), columns=list("ABCD"))
# B long 400 x 50 = 20,000; C short 500 x 20 = -10,000; D long 1,500 x 10 = 15,000; cash 75,000
# NAV = 75,000 + 20,000 - 10,000 + 15,000 = 100,000: weights A 0, B 0.2, C -0.1, D 0.15
STATE = PortfolioState(
    {
        "B": {"quantity": 400, "avg_price": 40.0},
        "C": {"quantity": -500, "avg_price": 25.0},
        "D": {"quantity": 1500, "avg_price": 10.0},
    },
    cash=75_000.0,
)
POLICY = Policy(
    max_position_size=0.15,
    max_sector_exposure=0.30,
    max_correlation_exposure={"limit": 0.25, "hard": False},
    max_portfolio_volatility=0.20,
    max_leverage=2.0,
)


def _tiny_market(covariance: pd.DataFrame | None = COV, sectors: dict | None = None) -> Market:
    dates = pd.bdate_range("2022-01-03", periods=5, name="Date")
    prices = pd.DataFrame({k: [v] * len(dates) for k, v in PRICES.items()}, index=dates)
    sectors = {"A": "X", "B": "X", "C": "Y", "D": "Y"} if sectors is None else sectors
    return Market(prices, sectors=sectors, covariance=covariance)


@pytest.fixture(scope="module")
def tiny() -> Market:
    return _tiny_market()


@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def batch():
    return example_batch()


# 0.2² 0.3² + 0.1² 0.4² + 0.15² 0.25² + 2 (0.2)(-0.1)(0.3)(0.3)(0.4); D uncorrelated, A not held
HAND_VARIANCE = 0.0036 + 0.0016 + 0.00140625 - 0.00144


def test_every_measure_by_hand(tiny):
    table = limit_measures(STATE, tiny, POLICY)
    assert list(table.index) == RULES and table.index.name == "rule"
    assert list(table.columns) == list(LIMIT_MEASURE_COLUMNS)
    v = table["value"]
    assert v["position"] == pytest.approx(0.2, abs=1e-15)  # B
    assert v["sector"] == pytest.approx(0.25, abs=1e-15)  # Y: |-0.1| + 0.15 (X: 0.2)
    # the cluster around A holds B (0.8) and C (0.75), though B and C are not correlated:
    # 0.2 + 0.1, more than around B (0.2: A not held) or C (0.1) or D (0.15)
    assert v["correlation"] == pytest.approx(0.3, abs=1e-15)
    assert v["volatility"] == pytest.approx(math.sqrt(HAND_VARIANCE), rel=1e-13)
    assert v["leverage"] == pytest.approx(0.45, abs=1e-15)
    # the 1-day normal VaR at 95% of that volatility
    var = 1.6448536269514722 * math.sqrt(HAND_VARIANCE) / math.sqrt(252)
    assert v["var"] == pytest.approx(var, rel=1e-13)
    # standalone risks |w| σ: B 0.2 x 0.3 = 0.06, C 0.1 x 0.4 = 0.04, D 0.15 x 0.25 = 0.0375
    assert v["position_risk"] == pytest.approx(0.06, abs=1e-15)
    assert table["where"].to_dict() == {
        "position": "B",
        "sector": "Y",
        "correlation": "A",
        "volatility": "",
        "leverage": "",
        "var": "",
        "position_risk": "B",
    }
    assert table["limit"].tolist() == [0.15, 0.30, 0.25, 0.20, 2.0, 0.02, 0.05]
    assert table["hard"].tolist() == [True, True, False, True, True, False, False]
    assert table["breached"].tolist() == [True, False, True, False, False, var > 0.02, True]
    np.testing.assert_allclose(
        table["headroom"],
        [
            0.15 - 0.2,
            0.30 - 0.25,
            0.25 - 0.3,
            0.2 - math.sqrt(HAND_VARIANCE),
            1.55,
            0.02 - var,
            0.05 - 0.06,
        ],
    )


def test_the_correlation_threshold_is_the_policys(tiny):
    # at 0.9 nobody is correlated: each cluster is the instrument alone, the largest is B
    strict = limit_measures(STATE, tiny, Policy(correlation_threshold=0.9))
    assert strict.loc["correlation", "value"] == pytest.approx(0.2, abs=1e-15)
    assert strict.loc["correlation", "where"] == "B"
    # at exactly 0.75 the cluster around A still reaches C (a correlation equal to the
    # threshold counts, within the engine's rounding tolerance)
    edge = limit_measures(STATE, tiny, Policy(correlation_threshold=0.75))
    assert edge.loc["correlation", "value"] == pytest.approx(0.3, abs=1e-15)
    # the other measures do not depend on the threshold
    default = limit_measures(STATE, tiny)
    for rule in ("position", "sector", "volatility", "leverage"):
        assert strict.loc[rule, "value"] == default.loc[rule, "value"]


def test_weights_give_the_same_measures_as_the_state(tiny):
    by_state = limit_measures(STATE, tiny, POLICY)
    weights = pd.Series({"B": 0.2, "C": -0.1, "D": 0.15})
    by_weights = limit_measures(weights, tiny, POLICY)
    pd.testing.assert_frame_equal(by_weights, by_state, rtol=1e-14)
    as_array = limit_measures([0.0, 0.2, -0.1, 0.15], tiny, POLICY)
    pd.testing.assert_frame_equal(as_array, by_state, rtol=1e-14)


def test_a_given_covariance_and_its_missing_entries(tiny):
    bare = _tiny_market(covariance=None)
    given = limit_measures(STATE, bare, POLICY, covariance=COV)
    pd.testing.assert_frame_equal(given, limit_measures(STATE, tiny, POLICY))
    # NaN counts as 0 (as in the engine): D without risk data adds no variance
    holes = COV.copy()
    holes.loc["D", :] = np.nan
    holes.loc[:, "D"] = np.nan
    out = limit_measures(STATE, tiny, POLICY, covariance=holes)
    no_d = 0.0036 + 0.0016 - 0.00144
    assert out.loc["volatility", "value"] == pytest.approx(math.sqrt(no_d), rel=1e-13)
    assert out.loc["correlation", "value"] == pytest.approx(0.3, abs=1e-15)
    # a doubled volatility doubles the volatility measure and moves nothing else
    doubled = limit_measures(STATE, tiny, POLICY, covariance=COV * 4)
    assert doubled.loc["volatility", "value"] == pytest.approx(2 * math.sqrt(HAND_VARIANCE))
    assert doubled.loc["position", "value"] == pytest.approx(0.2, abs=1e-15)


def test_instruments_without_a_sector_are_each_a_sector_of_their_own():
    with pytest.warns(InputRepairWarning):
        market = _tiny_market(sectors={"A": "X", "B": "X"})  # C and D without a sector
    table = limit_measures(STATE, market, POLICY)
    # pooled, "Unknown" would be 0.25; as the engine sees them, C (0.1) and D (0.15) apart
    assert table.loc["sector", "value"] == pytest.approx(0.2, abs=1e-15)
    assert table.loc["sector", "where"] == "X"


def test_nothing_held_measures_zero_everywhere(tiny):
    table = limit_measures(PortfolioState(cash=1_000.0), tiny, POLICY)
    assert (table["value"] == 0.0).all()
    assert (table["where"] == "").all()
    assert not table["breached"].any()
    pd.testing.assert_series_equal(table["headroom"], table["limit"], check_names=False)


def test_equal_to_the_engines_view_and_to_the_definitions_on_the_sample(sample, batch):
    for threshold in (0.3, 0.5, 0.7):
        policy = Policy(correlation_threshold=threshold)
        table = limit_measures(batch.state, sample, policy)
        book = build_book(batch.state, sample, threshold)
        n = len(book.instruments)
        engine = {
            "position": float(np.abs(book.w).max()),
            "sector": float(book.sector_gross.max()),
            "correlation": float(book.cluster_exposure(np.arange(n)).max()),
            "volatility": book.volatility,
            "leverage": book.gross,
        }
        for rule, value in engine.items():
            assert table.loc[rule, "value"] == pytest.approx(value, rel=1e-13, abs=1e-15), rule
        m = state_measures(universe(sample), batch.state, threshold)
        definitions = {
            "position": m.position.max(),
            "sector": m.sector.max(),
            "correlation": m.cluster.max(),
            "volatility": m.volatility,
            "leverage": m.leverage,
        }
        for rule, value in definitions.items():
            assert table.loc[rule, "value"] == pytest.approx(value, abs=1e-12), rule
        names = universe(sample).names
        assert table.loc["position", "where"] == names[int(np.argmax(m.position))]
        assert table.loc["correlation", "where"] == names[int(np.argmax(m.cluster))]


def test_the_stress_tests_limit_table_is_the_same_function(sample, batch):
    policy = Policy(max_position_size=0.04, correlation_threshold=0.5)
    table = limit_measures(batch.state, sample, policy)
    res = risk.stress_test(batch.state, sample, risk.volatility_spike(1.0, name="as is"), policy)
    limits = res.limits.loc["as is"]
    np.testing.assert_array_equal(limits["value_before"], table["value"])
    np.testing.assert_array_equal(limits["value_after"], table["value"])
    pd.testing.assert_series_equal(limits["where"], table["where"])
    pd.testing.assert_series_equal(limits["breached"], table["breached"])
    # after a price shock (the covariance does not move): the measures of the moved weights
    shock = risk.market_shock(-0.2, name="down")
    res = risk.stress_test(batch.state, sample, shock, policy)
    moved = res.instruments.loc["down", "weight_after"]
    after = limit_measures(moved, sample, policy)
    np.testing.assert_allclose(res.limits.loc["down", "value_after"], after["value"], rtol=1e-12)


def test_inputs_are_not_modified(tiny):
    state_before = copy.deepcopy(STATE.to_dict())
    weights = pd.Series({"B": 0.2, "C": -0.1, "D": 0.15})
    weights_before = weights.copy()
    cov = COV.copy()
    prices_before = tiny.prices.copy()
    cov_before = np.array(tiny.risk_model()[0])
    limit_measures(STATE, tiny, POLICY, covariance=cov)
    limit_measures(weights, tiny, POLICY)
    assert STATE.to_dict() == state_before
    pd.testing.assert_series_equal(weights, weights_before)
    pd.testing.assert_frame_equal(cov, COV)
    pd.testing.assert_frame_equal(tiny.prices, prices_before)
    np.testing.assert_array_equal(tiny.risk_model()[0], cov_before)


def test_bad_inputs_are_named(tiny):
    with pytest.raises(ValidationError, match="policy"):
        limit_measures(STATE, tiny, {"max_position_size": 0.1})
    with pytest.raises(ValidationError, match="market"):
        limit_measures(STATE, COV)
    with pytest.raises(DataError, match="covariance: no row/column for D"):
        limit_measures(STATE, tiny, covariance=COV.drop(index="D", columns="D"))
    with pytest.raises(ValidationError, match="covariance: expected a DataFrame"):
        limit_measures(STATE, tiny, covariance=COV.to_numpy())
    with pytest.raises(DataError, match="ZZZ"):
        limit_measures({"ZZZ": 0.1}, tiny)
    with pytest.raises(ValidationError, match="not finite"):
        limit_measures({"B": float("nan")}, tiny)


def test_public_names():
    assert "limit_measures" in risk.__all__
    assert portlab.analytics.limit_measures is limit_measures
    assert "limit_measures" in portlab.analytics.__all__

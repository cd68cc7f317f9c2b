"""Tests of portlab.analytics.stress: episodes replayed, hypothetical shocks, policy checks.

Every expected value is recomputed here from prices, weights and the covariance by plain
arithmetic (or scipy), never copied from the module's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from portlab import Policy
from portlab.analytics import stress
from portlab.analytics.stress import EPISODES, Episode, Unlisted
from portlab.datasets import load_sample, synthetic
from portlab.exceptions import DataError, ValidationError
from portlab.market import Market
from portlab.state import PortfolioState

SECTORS = {"A": "X", "B": "X", "C": "Y", "D": "Y"}
BETAS = np.array([0.5, 1.0, 1.5, 2.0])


def _market(n: int = 800, late: int | None = None, seed: int = 1) -> Market:
    """Four instruments driven by a benchmark with betas 0.5, 1, 1.5, 2; D listed at row ``late``."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-01", periods=n, name="Date")
    mkt = rng.normal(0.0003, 0.01, n)
    rets = mkt[:, None] * BETAS + rng.normal(0, 0.01, (n, 4))
    px = pd.DataFrame(100 * np.cumprod(1 + rets, axis=0), index=dates, columns=list("ABCD"))
    if late is not None:
        px.iloc[:late, 3] = np.nan
    bench = pd.Series(1000 * np.cumprod(1 + mkt), index=dates, name="IDX")
    return Market(px, sectors=SECTORS, benchmark=bench)


@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def state() -> PortfolioState:
    return PortfolioState.from_dict(
        {
            "positions": {
                "AAPL": {"quantity": 200, "avg_price": 100.0},
                "MSFT": {"quantity": 100, "avg_price": 200.0},
                "JPM": {"quantity": 300, "avg_price": 90.0},
                "XOM": {"quantity": 400, "avg_price": 60.0},
                "KO": {"quantity": 500, "avg_price": 50.0},
            },
            "cash": 100_000.0,
        }
    )


# --------------------------------------------------------------------------- episodes
def test_bundled_episodes_are_peak_to_trough_of_the_sample_index(sample):
    assert [(e.name, str(e.start.date()), str(e.end.date())) for e in EPISODES] == [
        ("dot-com decline", "2000-03-24", "2002-10-09"),
        ("global financial crisis", "2007-10-09", "2009-03-09"),
        ("COVID crash", "2020-02-19", "2020-03-23"),
        ("2022 rate shock", "2022-01-03", "2022-10-12"),
    ]
    bench = sample.benchmark
    for e in EPISODES:
        window = bench.loc[e.start : e.end]
        assert window.idxmax() == e.start and window.idxmin() == e.end


def test_replay_is_episode_return_times_weight(sample, state):
    prices = sample.prices
    w = state.weights(sample.last_prices)
    got = stress.replay(state, sample)
    result = stress.stress_test(state, sample, EPISODES)
    nav = state.total_value(sample.last_prices)
    for e in EPISODES:
        ret = prices.loc[e.end, w.index] / prices.loc[e.start, w.index] - 1
        block = got.loc[e.name]
        np.testing.assert_allclose(block["return"], ret[block.index], rtol=1e-13)
        np.testing.assert_allclose(block["contribution"], (w * ret)[block.index], rtol=1e-13)
        assert (block["source"] == "history").all()
        assert block["start"].iloc[0] == e.start and block["end"].iloc[0] == e.end
        total = float((w * ret).sum())
        assert block["contribution"].sum() == pytest.approx(total, rel=1e-12)
        # the stress test of the same episode loses exactly that, in currency too
        assert result.totals.loc[e.name, "loss_fraction"] == pytest.approx(-total, rel=1e-12)
        qty = pd.Series({k: p.quantity for k, p in state.positions.items()})
        pnl = qty * sample.last_prices[qty.index] * ret[qty.index]
        np.testing.assert_allclose(
            result.instruments.loc[e.name, "pnl"], pnl[block.index], rtol=1e-12
        )
        assert result.totals.loc[e.name, "nav_after"] == pytest.approx(nav + pnl.sum())
    per_episode = got.groupby(level="episode", sort=False)["contribution"].sum()
    assert list(per_episode.index) == [e.name for e in EPISODES]


def test_user_episode_on_weekend_dates_uses_previous_closes(sample):
    weekend = Episode("feb-mar 2020", "2020-02-22", "2020-03-22")  # Saturday, Sunday
    got = stress.replay(
        {"KO": 0.5}, sample, [*EPISODES[:1], weekend, ("tuple", "2018-10-01", "2018-12-24")]
    )
    row = got.loc[("feb-mar 2020", "KO")]
    assert row["start"] == pd.Timestamp("2020-02-21") and row["end"] == pd.Timestamp("2020-03-20")
    ko = sample.prices["KO"]
    expected = ko.loc["2020-03-20"] / ko.loc["2020-02-21"] - 1
    assert row["return"] == pytest.approx(expected, rel=1e-13)
    assert row["contribution"] == pytest.approx(0.5 * expected, rel=1e-13)
    assert "tuple" in got.index.get_level_values("episode")


def test_unlisted_holdings_are_proxied_and_reported():
    m = _market(late=500)
    ep = Episode("early", m.dates[100], m.dates[300])
    w = {"A": 0.3, "D": 0.2}
    bench = m.benchmark
    rb = bench.iloc[300] / bench.iloc[100] - 1
    # D's current beta: OLS over the last 504 days where both returns exist
    r, b = m.returns["D"].iloc[-504:], m.benchmark_returns.iloc[-504:]
    ok = r.notna()
    beta_d = stats.linregress(b[ok], r[ok]).slope
    got = stress.replay(w, m, [ep])
    assert got.loc[("early", "D"), "source"] == "beta_proxy"
    assert got.loc[("early", "D"), "return"] == pytest.approx(beta_d * rb, rel=1e-9)
    assert got.loc[("early", "A"), "source"] == "history"
    bm = stress.replay(w, m, [ep], unlisted="benchmark")
    assert bm.loc[("early", "D"), "return"] == pytest.approx(rb, rel=1e-12)
    assert bm.loc[("early", "D"), "source"] == "benchmark_proxy"
    ex = stress.replay(w, m, [ep], unlisted=Unlisted.EXCLUDE)
    assert ex.loc[("early", "D"), "return"] == 0.0
    assert ex.loc[("early", "D"), "source"] == "excluded"


def test_unlisted_without_a_benchmark_is_excluded():
    m = _market(late=500)
    bare = Market(m.prices, sectors=SECTORS)
    got = stress.replay({"D": 0.2, "A": 0.1}, bare, [Episode("early", m.dates[100], m.dates[300])])
    assert got.loc[("early", "D"), "source"] == "excluded"
    assert got.loc[("early", "D"), "contribution"] == 0.0
    with pytest.raises(ValidationError, match="Market"):
        stress.replay({"D": 0.2}, m.prices)


def test_episodes_outside_the_data_are_refused():
    m = synthetic(30, 300, n_sectors=3, seed=2)
    with pytest.raises(DataError, match="dot-com decline.*not\\s+within"):
        stress.replay({"S0000": 0.1}, m)
    with pytest.raises(ValidationError, match="not before"):
        Episode("backwards", "2021-01-05", "2021-01-04")
    with pytest.raises(ValidationError, match="duplicate"):
        stress.replay({"S0000": 0.1}, m, [Episode("x", m.dates[1], m.dates[5])] * 2)


# -------------------------------------------------------------------- price shocks
def test_sector_shock_loses_sector_weight_times_move(sample, state):
    res = stress.stress_test(state, sample, stress.sector_shock("Information Technology", -0.3))
    w = state.weights(sample.last_prices)
    it = w[["AAPL", "MSFT"]]
    name = "Information Technology -30%"
    assert res.totals.loc[name, "loss_fraction"] == pytest.approx(0.3 * it.sum(), rel=1e-12)
    inst = res.instruments.loc[name]
    assert inst.loc["JPM", "loss"] == 0 and inst.loc["AAPL", "return"] == -0.3
    assert res.sectors.loc[(name, "Information Technology"), "loss_fraction"] == pytest.approx(
        0.3 * it.sum()
    )
    nav_after = 1 - 0.3 * it.sum()
    assert inst.loc["AAPL", "weight_after"] == pytest.approx(w["AAPL"] * 0.7 / nav_after)
    assert inst.loc["KO", "weight_after"] == pytest.approx(w["KO"] / nav_after)
    assert inst.loc["AAPL", "price_after"] == pytest.approx(sample.last_prices["AAPL"] * 0.7)


def test_sector_shock_propagates_through_covariance_betas():
    m = _market()
    cov = m.risk_model()[0]
    s = np.array([0.5, 0.5, 0.0, 0.0])  # sector X, equal weights
    beta = cov @ s / (s @ cov @ s)
    res = stress.stress_test(
        {"A": 0.25, "C": 0.25, "D": 0.25}, m, [stress.sector_shock("X", -0.1, propagate=True)]
    )
    inst = res.instruments.loc["X -10%"]
    assert inst.loc["A", "return"] == -0.1
    np.testing.assert_allclose(inst.loc[["C", "D"], "return"], beta[2:] * -0.1, rtol=1e-12)


def test_market_shock_with_given_and_estimated_betas(sample, state):
    w = state.weights(sample.last_prices)
    betas = {"AAPL": 1.2, "MSFT": 1.1, "JPM": 1.4, "XOM": 0.8}  # KO missing: beta 1
    res = stress.stress_test(state, sample, stress.market_shock(-0.2, betas))
    inst = res.instruments.loc["market -20%"]
    assert inst.loc["KO", "source"] == "assumed_beta_1" and inst.loc["KO", "return"] == -0.2
    expected = sum(w[k] * b * 0.2 for k, b in betas.items()) + w["KO"] * 0.2
    assert res.totals.loc["market -20%", "loss_fraction"] == pytest.approx(expected, rel=1e-12)
    est = stress.stress_test(state, sample, stress.market_shock(-0.1, name="est"))
    r, b = sample.returns["XOM"].iloc[-504:], sample.benchmark_returns.iloc[-504:]
    slope = stats.linregress(b, r).slope
    assert est.instruments.loc[("est", "XOM"), "return"] == pytest.approx(-0.1 * slope, rel=1e-9)
    clipped = stress.stress_test({"A": 0.5}, _market(), stress.market_shock(-0.5, {"A": 3.0}))
    assert clipped.instruments["return"].iloc[0] == -1.0  # a price falls at most 100%


def test_combined_moves_compound(sample, state):
    s = stress.combine(
        stress.sector_shock("Energy", -0.1), stress.sector_shock("Energy", -0.2), name="twice"
    )
    res = stress.stress_test(state, sample, [s])
    assert res.instruments.loc[("twice", "XOM"), "return"] == pytest.approx(0.9 * 0.8 - 1)


# --------------------------------------------------------------------- risk shocks
def test_volatility_spike_scales_volatility(sample, state):
    cov = sample.risk_model()[0]
    w = state.weights(sample.last_prices).reindex(sample.instruments, fill_value=0).to_numpy()
    vol = math.sqrt(w @ cov @ w)
    res = stress.stress_test(state, sample, stress.volatility_spike(2.5))
    t = res.totals.loc["volatility x2.5"]
    assert t["volatility_before"] == pytest.approx(vol, rel=1e-12)
    assert t["volatility_after"] == pytest.approx(2.5 * vol, rel=1e-12)
    assert t["loss"] == 0


def test_correlation_shock_to_one_adds_volatilities(sample, state):
    cov = sample.risk_model()[0]
    w = state.weights(sample.last_prices)
    sig = np.sqrt(np.diag(cov))[sample.instruments.get_indexer(w.index)]
    shocks = [stress.correlation_shock(1.0, 1.0), stress.correlation_shock(0.3, 0.0, name="none")]
    res = stress.stress_test(state, sample, shocks)
    perfect = res.totals.loc["correlations 100% toward 1", "volatility_after"]
    assert perfect == pytest.approx(float(w.to_numpy() @ sig), rel=1e-12)  # long only: Σ w σ
    none = res.totals.loc["none"]
    assert none["volatility_after"] == pytest.approx(none["volatility_before"], rel=1e-12)
    # with everything correlated, the correlated cluster is the whole book
    cl = res.limits.loc[("correlations 100% toward 1", "correlation"), "value_after"]
    assert cl == pytest.approx(float(w.abs().sum()), rel=1e-12)


def test_combined_spike_after_a_fall_uses_the_moved_weights():
    m = _market()
    cov = m.risk_model()[0]
    w0 = np.array([0.3, 0.2, 0.2, 0.1])
    res = stress.stress_test(
        pd.Series(w0, index=list("ABCD")),
        m,
        stress.combine(
            stress.market_shock(-0.1, dict(zip("ABCD", BETAS, strict=True))),
            stress.volatility_spike(2.0),
        ),
    )
    r = -0.1 * BETAS
    nav1 = 1 + w0 @ r
    w1 = w0 * (1 + r) / nav1
    assert res.totals["volatility_after"].iloc[0] == pytest.approx(
        2 * math.sqrt(w1 @ cov @ w1), rel=1e-12
    )


# -------------------------------------------------------------------- policy limits
def test_limits_after_a_shock_by_hand():
    m = _market()
    cov = m.risk_model()[0]
    w0 = pd.Series({"A": 0.045, "B": 0.2, "C": 0.04})
    policy = Policy(max_position_size=0.05, max_sector_exposure=0.25, max_portfolio_volatility=0.5)
    res = stress.stress_test(w0, m, stress.sector_shock("X", 0.3, name="up"), policy)
    lim = res.limits.loc["up"]
    nav1 = 1 + 0.3 * (0.045 + 0.2)
    w1 = np.array([0.045 * 1.3, 0.2 * 1.3, 0.04, 0.0]) / nav1
    assert lim.loc["position", "value_before"] == pytest.approx(0.2)
    assert lim.loc["position", "value_after"] == pytest.approx(w1[1])
    assert lim.loc["position", "where"] == "B" and lim.loc["position", "breached"]
    assert not lim.loc["position", "new"]  # B was already above 5%
    assert lim.loc["sector", "value_after"] == pytest.approx(w1[0] + w1[1])
    assert lim.loc["sector", "breached"] and lim.loc["sector", "new"]  # 0.245 → above 0.25
    assert lim.loc["sector", "where"] == "X"
    assert lim.loc["leverage", "value_after"] == pytest.approx(w1.sum())
    assert not lim.loc["leverage", "breached"]
    assert lim.loc["volatility", "value_after"] == pytest.approx(math.sqrt(w1 @ cov @ w1))
    # B's standalone risk |w| σ after the shock, above the (soft) 5% position risk limit
    risk_b = w1[1] * math.sqrt(cov[1, 1])
    assert lim.loc["position_risk", "value_after"] == pytest.approx(risk_b, rel=1e-12)
    assert lim.loc["position_risk", "where"] == "B" and risk_b > 0.05
    assert res.totals.loc["up", "breaches"] == 3 and res.totals.loc["up", "hard_breaches"] == 2
    rules = set(res.breaches.index.get_level_values("rule"))
    assert rules == {"position", "sector", "position_risk"}


def test_portfolio_wiped_out_breaches_everything():
    res = stress.stress_test({"B": 2.0}, _market(), stress.market_shock(-0.6, {"B": 1.0}))
    t = res.totals.iloc[0]
    assert t["nav_after"] == pytest.approx(1 - 1.2)
    assert t["breaches"] == 7 and res.limits["breached"].all()  # every rule, VaR too


def test_weights_and_state_give_the_same_fractions(sample, state):
    w = state.weights(sample.last_prices)
    shocks = [stress.market_shock(-0.15), stress.volatility_spike(1.5), EPISODES[2]]
    a = stress.stress_test(state, sample, shocks)
    b = stress.stress_test(w, sample, shocks)
    pd.testing.assert_series_equal(a.totals["loss_fraction"], b.totals["loss_fraction"])
    pd.testing.assert_series_equal(a.limits["value_after"], b.limits["value_after"])
    np.testing.assert_allclose(a.instruments["loss_fraction"], b.instruments["loss_fraction"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.lists(st.floats(-0.3, 0.5), min_size=4, max_size=4),
    move=st.floats(-0.9, 0.9),
    spike=st.floats(0.5, 3.0),
)
def test_losses_add_up(w, move, spike):
    m = _MARKET
    weights = pd.Series(w, index=list("ABCD"))
    if not (weights != 0).any():
        return
    shocks = [
        stress.sector_shock("Y", move, propagate=True),
        stress.combine(stress.market_shock(move), stress.volatility_spike(spike)),
    ]
    res = stress.stress_test(weights, m, shocks)
    for name in res.totals.index:
        total = res.totals.loc[name, "loss"]
        assert res.instruments.loc[name, "loss"].sum() == pytest.approx(total, abs=1e-12)
        assert res.sectors.loc[name, "loss"].sum() == pytest.approx(total, abs=1e-12)
        nav1 = res.totals.loc[name, "nav_after"]
        assert nav1 == pytest.approx(1 - total, abs=1e-12)
        if nav1 > 0:
            inst = res.instruments.loc[name]
            np.testing.assert_allclose(
                inst["weight_after"], inst["weight"] * (1 + inst["return"]) / nav1, atol=1e-12
            )


_MARKET = _market(400, seed=3)


# ------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: stress.sector_shock("X", -1.5), "move"),
        (lambda: stress.sector_shock("", -0.1), "sector"),
        (lambda: stress.volatility_spike(0), "factor"),
        (lambda: stress.correlation_shock(1.0, 2.0), "strength"),
        (lambda: stress.correlation_shock(-0.5, 0.5), "toward"),
        (lambda: stress.market_shock(-0.1, {"A": float("nan")}), "betas"),
        (lambda: stress.combine(), "at least one"),
        (lambda: stress.combine("x"), "not a shock"),
    ],
)
def test_bad_shock_definitions(make, match):
    with pytest.raises(ValidationError, match=match):
        make()


def test_bad_stress_inputs(sample, state):
    with pytest.raises(ValidationError, match="Nope.*not in the market"):
        stress.stress_test(state, sample, stress.sector_shock("Nope", -0.1))
    with pytest.raises(ValidationError, match="duplicate"):
        stress.stress_test(state, sample, [stress.volatility_spike(2)] * 2)
    with pytest.raises(ValidationError, match="Policy"):
        stress.stress_test(state, sample, stress.volatility_spike(2), policy={"x": 1})
    with pytest.raises(ValidationError, match="unlisted"):
        stress.replay(state, sample, unlisted="guess")
    other = PortfolioState.from_dict(
        {"positions": {"ZZZ": {"quantity": 1, "avg_price": 1.0}}, "cash": 10.0}
    )
    with pytest.raises(DataError, match="ZZZ"):
        stress.stress_test(other, sample, stress.volatility_spike(2))
    with pytest.raises(DataError, match="ZZZ"):
        stress.replay({"ZZZ": 0.5}, sample)
    w = pd.Series({"KO": 0.5})
    stress.stress_test(w, sample, stress.market_shock(-0.1))
    assert w.to_dict() == {"KO": 0.5}  # inputs untouched

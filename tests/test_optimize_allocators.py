"""Risk budgeting, HRP, Black-Litterman, performance-based and multi-strategy allocation.

Every expected value is computed independently of portlab's code: closed forms (two-asset and
constant-correlation ERC, inverse-variance HRP, certain Black-Litterman views, hand-computed
drawdowns), a second algorithm written here (cyclical coordinate descent for risk budgeting),
or the peers (PyPortfolioOpt's HRPOpt and BlackLittermanModel, skfolio's RiskBudgeting and
HierarchicalRiskParity when installed), and the engine's TrackRecord.score for the
performance score.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab.analytics.optimize import (
    AllocationMethod,
    Constraints,
    HierarchicalRiskParity,
    Regime,
    StrategyBook,
    black_litterman,
    constrained_risk_budgeting,
    detect_regime,
    hrp,
    market_implied_prior,
    market_implied_risk_aversion,
    performance_allocation,
    performance_scores,
    risk_budgeting,
    strategy_metrics,
    variance_contributions,
    views_from_signals,
)
from portlab.analytics.performance import max_drawdown
from portlab.datasets import load_sample, synthetic
from portlab.engine.strategies import TrackRecord
from portlab.events import PortfolioOptimizationEvent, TradingSignalEvent
from portlab.exceptions import ConfigError, DataError, InfeasibleError, ValidationError

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def returns(sample):
    return sample.returns.iloc[-750:]


@pytest.fixture(scope="module")
def cov(returns):
    return returns.cov() * 252


def random_cov(rng: np.random.Generator, n: int, k: int = 3) -> np.ndarray:
    loadings = rng.normal(0.5, 0.5, (n, k))
    return loadings @ loadings.T * 0.02 + np.diag(rng.uniform(0.01, 0.2, n))


def ccd_risk_budgeting(cov: np.ndarray, b: np.ndarray, sweeps: int = 5000) -> np.ndarray:
    """Cyclical coordinate descent (Griveau-Billion, Richard & Roncalli 2013): a second,
    independent algorithm. Each coordinate solves ``Σ_ii y_i² + c_i y_i − b_i = 0``."""
    y = b / np.sqrt(np.diag(cov))
    for _ in range(sweeps):
        y_old = y.copy()
        for i in range(len(b)):
            c = cov[i] @ y - cov[i, i] * y[i]
            y[i] = (-c + math.sqrt(c * c + 4 * cov[i, i] * b[i])) / (2 * cov[i, i])
        if np.max(np.abs(y - y_old) / y) < 1e-15:
            break
    return y / y.sum()


def relative_rc(w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    rc = w * (cov @ w)
    return rc / rc.sum()


# --------------------------------------------------------------------------- risk budgeting


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.5, 0.95])
def test_erc_two_assets_is_inverse_volatility(rho):
    s1, s2 = 0.1, 0.35
    cov = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    w = risk_budgeting(cov).to_numpy()
    expected = np.array([1 / s1, 1 / s2]) / (1 / s1 + 1 / s2)
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_erc_constant_correlation_is_inverse_volatility():
    vols = np.array([0.1, 0.15, 0.2, 0.3, 0.45, 0.6])
    corr = np.full((6, 6), 0.4)
    np.fill_diagonal(corr, 1.0)
    w = risk_budgeting(corr * np.outer(vols, vols)).to_numpy()
    np.testing.assert_allclose(w, (1 / vols) / (1 / vols).sum(), rtol=1e-12)


def test_erc_contributions_equal_on_sample(cov):
    w = risk_budgeting(cov)
    assert list(w.index) == list(cov.index)
    rc = relative_rc(w.to_numpy(), cov.to_numpy())
    assert np.max(np.abs(rc * len(rc) - 1)) < 1e-8
    np.testing.assert_allclose(w, ccd_risk_budgeting(cov.to_numpy(), np.full(20, 0.05)), rtol=1e-9)


def test_erc_500_assets_contributions_equal():
    cov = synthetic(500, 300, seed=1).covariance()
    w = risk_budgeting(cov).to_numpy()
    assert (w > 0).all() and abs(w.sum() - 1) < 1e-12
    assert np.max(np.abs(relative_rc(w, cov.to_numpy()) * 500 - 1)) < 1e-8


def test_user_budgets_by_label_and_second_method(cov):
    rng = np.random.default_rng(3)
    b = pd.Series(rng.uniform(0.2, 3.0, len(cov)), index=cov.index)
    shuffled = b.sample(frac=1.0, random_state=0)  # aligned by label, not position
    w = risk_budgeting(cov, shuffled).to_numpy()
    b_norm = (b / b.sum()).to_numpy()
    np.testing.assert_allclose(relative_rc(w, cov.to_numpy()), b_norm, rtol=1e-8)
    np.testing.assert_allclose(w, ccd_risk_budgeting(cov.to_numpy(), b_norm), rtol=1e-9)


def test_zero_budget_gets_zero_weight(cov):
    b = pd.Series(1.0, index=cov.index)
    b.iloc[[2, 5]] = 0.0
    w = risk_budgeting(cov, b)
    assert (w.iloc[[2, 5]] == 0).all()
    rest = cov.drop(index=cov.index[[2, 5]], columns=cov.index[[2, 5]])
    np.testing.assert_allclose(w.drop(cov.index[[2, 5]]), risk_budgeting(rest), rtol=1e-10)


def test_risk_budgeting_matches_skfolio(returns):
    skopt = pytest.importorskip("skfolio.optimization")
    rng = np.random.default_rng(7)
    budgets = rng.uniform(0.5, 2.0, returns.shape[1])
    model = skopt.RiskBudgeting(risk_budget=budgets).fit(returns)
    w = risk_budgeting(returns.cov(), budgets)
    np.testing.assert_allclose(w.to_numpy(), model.weights_, atol=2e-5)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 12),
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(1e-3, 1e3),
    equal=st.booleans(),
)
def test_risk_budgeting_invariants(n, seed, scale, equal):
    rng = np.random.default_rng(seed)
    cov = random_cov(rng, n)
    b = None if equal else rng.uniform(0.05, 1.0, n)
    w = risk_budgeting(cov, b).to_numpy()
    target = np.full(n, 1 / n) if b is None else b / b.sum()
    assert (w > 0).all() and abs(w.sum() - 1) < 1e-12
    np.testing.assert_allclose(relative_rc(w, cov), target, rtol=1e-8)
    # units do not matter; relabelling the assets permutes the answer
    np.testing.assert_allclose(risk_budgeting(cov * scale, b).to_numpy(), w, rtol=1e-9)
    perm = rng.permutation(n)
    wp = risk_budgeting(cov[np.ix_(perm, perm)], None if b is None else b[perm]).to_numpy()
    np.testing.assert_allclose(wp, w[perm], rtol=1e-9)


def test_variance_contributions_by_hand():
    cov = np.array([[0.04, 0.006], [0.006, 0.09]])
    w = np.array([0.7, 0.3])
    sw = cov @ w
    absolute = variance_contributions(w, cov, relative=False).to_numpy()
    np.testing.assert_allclose(absolute, [0.7 * sw[0], 0.3 * sw[1]])
    np.testing.assert_allclose(absolute.sum(), w @ cov @ w)
    np.testing.assert_allclose(variance_contributions(w, cov).sum(), 1.0)


def test_risk_budgeting_does_not_mutate_inputs(cov):
    before = cov.copy()
    b = pd.Series(1.0, index=cov.index)
    b_before = b.copy()
    risk_budgeting(cov, b)
    pd.testing.assert_frame_equal(cov, before)
    pd.testing.assert_series_equal(b, b_before)


def test_risk_budgeting_errors(cov):
    with pytest.raises(ValidationError, match="square"):
        risk_budgeting(np.ones((2, 3)))
    bad = cov.copy()
    bad.iloc[0, 1] += 1.0
    with pytest.raises(DataError, match="not symmetric"):  # the one covariance path
        risk_budgeting(bad)
    nan = cov.copy()
    nan.loc["AMD", "AMD"] = np.nan
    with pytest.raises(DataError, match="AMD"):
        risk_budgeting(nan)
    with pytest.raises(DataError, match="non-positive variance"):
        risk_budgeting(np.array([[0.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValidationError, match="negative budget"):
        risk_budgeting(cov, np.r_[-1.0, np.ones(19)])
    with pytest.raises(ValidationError, match="unknown instrument"):
        risk_budgeting(cov, pd.Series(1.0, index=[*cov.index, "ZZZ"]))
    with pytest.raises(ValidationError, match="no value"):
        risk_budgeting(cov, pd.Series(1.0, index=cov.index[:5]))
    with pytest.raises(ValidationError, match="all budgets are zero"):
        risk_budgeting(cov, np.zeros(20))
    # two assets that hedge each other perfectly: no risk-budgeting portfolio exists
    with pytest.raises(InfeasibleError, match="hedge each other"):
        risk_budgeting(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    with pytest.raises(InfeasibleError, match="hedge each other"):  # found while iterating
        risk_budgeting(np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))


# --------------------------------------------------------------------------- HRP


@pytest.mark.parametrize(
    "linkage", ["single", "complete", "average", "weighted", "centroid", "median", "ward"]
)
def test_hrp_matches_pypfopt_from_returns(returns, linkage):
    pypfopt = pytest.importorskip("pypfopt")
    expected = pd.Series(pypfopt.HRPOpt(returns=returns).optimize(linkage))
    w = hrp(returns, linkage=linkage)
    assert list(w.index) == list(returns.columns)
    np.testing.assert_allclose(w.to_numpy(), expected.reindex(w.index).to_numpy(), atol=1e-14)


def test_hrp_matches_pypfopt_from_covariance_both_bisection_paths():
    # 80 assets: the top levels use the reduceat path, the lower ones the band path
    pypfopt = pytest.importorskip("pypfopt")
    cov = synthetic(80, 400, seed=2).returns.iloc[1:].cov()
    expected = pd.Series(pypfopt.HRPOpt(cov_matrix=cov).optimize())
    corr6 = pypfopt.risk_models.cov_to_corr(cov).round(6)  # what HRPOpt clusters on
    w = hrp(cov, corr=corr6)
    np.testing.assert_allclose(w.to_numpy(), expected.reindex(w.index).to_numpy(), atol=1e-15)


def test_hrp_with_missing_returns_matches_pypfopt(returns):
    pypfopt = pytest.importorskip("pypfopt")
    gappy = returns.iloc[:, :8].copy()
    gappy.iloc[:100, 2] = np.nan  # a late listing
    gappy.iloc[300:310, 5] = np.nan
    expected = pd.Series(pypfopt.HRPOpt(returns=gappy).optimize())
    np.testing.assert_allclose(
        hrp(gappy).to_numpy(), expected.reindex(gappy.columns).to_numpy(), atol=1e-14
    )
    assert not gappy.iloc[:100, 2].notna().any()  # input untouched


def test_hrp_matches_skfolio(returns):
    pytest.importorskip("skfolio")
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.optimization import HierarchicalRiskParity as SkHRP
    from skfolio.seriation import HierarchicalSeriation

    for method, sk_method, optimal in [
        ("single", LinkageMethod.SINGLE, False),
        ("ward", LinkageMethod.WARD, True),
    ]:
        model = SkHRP(
            seriation_estimator=HierarchicalSeriation(
                hierarchical_clustering_estimator=HierarchicalClustering(linkage_method=sk_method),
                optimal_ordering=optimal,
            )
        ).fit(returns)
        w = hrp(returns, linkage=method, optimal_ordering=optimal)
        np.testing.assert_allclose(w.to_numpy(), model.weights_, atol=1e-12)


def test_hrp_two_assets_is_inverse_variance():
    cov = pd.DataFrame([[0.04, 0.012], [0.012, 0.01]], index=["a", "b"], columns=["a", "b"])
    np.testing.assert_allclose(hrp(cov).to_numpy(), [0.2, 0.8], rtol=1e-14)


def test_hrp_fitted_attributes(returns):
    model = HierarchicalRiskParity(linkage="average").fit(returns)
    assert sorted(model.order_) == sorted(returns.columns)
    assert model.linkage_matrix_.shape == (returns.shape[1] - 1, 4)
    assert abs(model.weights_.sum() - 1) < 1e-12 and (model.weights_ > 0).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 70), seed=st.integers(0, 2**31 - 1))
def test_hrp_weights_positive_and_fully_invested(n, seed):
    cov = random_cov(np.random.default_rng(seed), n)
    w = hrp(cov).to_numpy()
    assert (w > 0).all() and abs(w.sum() - 1) < 1e-12


def test_hrp_errors(returns):
    with pytest.raises(ValidationError, match="linkage must be one of"):
        hrp(returns, linkage="nearest")
    flat = returns.iloc[:, :3].copy()
    flat["FLAT"] = 0.0
    with pytest.raises(DataError, match="FLAT"):
        hrp(flat)
    with pytest.raises(DataError, match="at least 2 rows"):
        hrp(returns.iloc[:1, :3])


# --------------------------------------------------------------------------- Black-Litterman


@pytest.fixture(scope="module")
def bl_inputs(sample, cov):
    mcap = pd.Series(np.linspace(1.0, 20.0, len(cov)), index=cov.index)
    return cov, mcap


def test_risk_aversion_and_prior_match_pypfopt(sample, bl_inputs):
    pypfopt = pytest.importorskip("pypfopt")
    cov, mcap = bl_inputs
    bench = sample.benchmark.iloc[-1000:]
    delta = market_implied_risk_aversion(bench.pct_change(), risk_free_rate=0.02)
    expected = pypfopt.black_litterman.market_implied_risk_aversion(bench, risk_free_rate=0.02)
    assert delta == pytest.approx(expected, rel=1e-12)
    prior = market_implied_prior(cov, mcap, delta, 0.02)
    exp_prior = pypfopt.black_litterman.market_implied_prior_returns(mcap, delta, cov, 0.02)
    np.testing.assert_allclose(prior.to_numpy(), exp_prior.to_numpy(), rtol=1e-13)
    # benchmark returns given instead of a number: the same δ
    pd.testing.assert_series_equal(
        market_implied_prior(cov, mcap, bench.pct_change(), 0.02), prior, rtol=1e-13
    )


@pytest.mark.parametrize("omega", ["default", "idzorek"])
def test_black_litterman_absolute_views_match_pypfopt(bl_inputs, omega):
    pypfopt = pytest.importorskip("pypfopt")
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap, 2.5)
    views = pd.Series({"AAPL": 0.12, "XOM": -0.03, "KO": 0.06, "JPM": 0.15})
    conf = pd.Series({"AAPL": 0.7, "XOM": 0.4, "KO": 0.95, "JPM": 0.2})
    mu, sigma = black_litterman(cov, prior, views, omega=omega, confidences=conf, tau=0.03)
    model = pypfopt.BlackLittermanModel(
        cov, pi=prior, absolute_views=views, omega=omega, view_confidences=conf.to_numpy(),
        tau=0.03,
    )  # fmt: skip
    np.testing.assert_allclose(mu.to_numpy(), model.bl_returns().to_numpy(), atol=1e-15)
    np.testing.assert_allclose(sigma.to_numpy(), model.bl_cov().to_numpy(), atol=1e-15)


def test_black_litterman_relative_views_match_pypfopt(bl_inputs):
    pypfopt = pytest.importorskip("pypfopt")
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap)
    picking = pd.DataFrame(
        [{"AAPL": 1.0, "MSFT": -1.0}, {"JNJ": 0.5, "PFE": 0.5, "XOM": -1.0}],
        index=["tech", "pharma_vs_oil"],
    ).fillna(0.0)
    q = pd.Series([0.02, 0.04], index=picking.index)
    mu, sigma = black_litterman(cov, prior, q, picking=picking)
    full_p = picking.reindex(columns=cov.index, fill_value=0.0).to_numpy()
    model = pypfopt.BlackLittermanModel(cov, pi=prior, Q=q.to_numpy(), P=full_p)
    np.testing.assert_allclose(mu.to_numpy(), model.bl_returns().to_numpy(), atol=1e-15)
    np.testing.assert_allclose(sigma.to_numpy(), model.bl_cov().to_numpy(), atol=1e-15)


def test_certain_view_is_imposed_exactly(bl_inputs):
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap)
    mu, _ = black_litterman(cov, prior, {"KO": 0.2}, omega="idzorek", confidences=[1.0])
    assert mu["KO"] == pytest.approx(0.2, abs=1e-14)
    # the others move by regression on KO: π_i + Σ_i,KO / Σ_KO,KO (0.2 − π_KO)
    c = cov.to_numpy()
    k = cov.index.get_loc("KO")
    expected = prior.to_numpy() + c[:, k] / c[k, k] * (0.2 - prior.iloc[k])
    np.testing.assert_allclose(mu.to_numpy(), expected, atol=1e-14)


def test_zero_confidence_view_is_ignored(bl_inputs):
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap)
    views = pd.Series({"AAPL": 0.3, "KO": 0.05})
    both, _ = black_litterman(cov, prior, views, omega="idzorek", confidences=[0.0, 0.6])
    one, _ = black_litterman(cov, prior, views[["KO"]], omega="idzorek", confidences=[0.6])
    pd.testing.assert_series_equal(both, one, rtol=1e-14)


def test_black_litterman_errors(bl_inputs):
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap)
    with pytest.raises(ValidationError, match="unknown instrument"):
        black_litterman(cov, prior, {"ZZZ": 0.1})
    with pytest.raises(ValidationError, match="needs confidences"):
        black_litterman(cov, prior, {"KO": 0.1}, omega="idzorek")
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        black_litterman(cov, prior, {"KO": 0.1}, omega="idzorek", confidences=[1.5])
    with pytest.raises(ValidationError, match="tau"):
        black_litterman(cov, prior, {"KO": 0.1}, tau=0.0)
    with pytest.raises(ValidationError, match="singular"):
        black_litterman(
            cov, prior, [0.1, 0.2], picking=np.vstack([np.eye(20)[0], np.eye(20)[0]]),
            omega=np.zeros((2, 2)),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="negative weight"):
        market_implied_prior(cov, -mcap)


def _signal(inst, action, conf, ret, horizon=None):
    outcomes = {"price_target": 100.0, "expected_return": ret, "success_probability": 0.6}
    if horizon is not None:
        outcomes["horizon_days"] = horizon
    return TradingSignalEvent.model_validate(
        {
            "signal": {
                "instrument_id": inst, "action": action, "confidence": conf,
                "strength": "STRONG", "signal_score": 0.5,
            },
            "expected_outcomes": outcomes,
        }
    )  # fmt: skip


def test_views_from_signals_single_signals():
    sigs = [
        _signal("AAPL", "BUY", 0.8, 0.02),  # default horizon 21 days
        _signal("XOM", "SELL", 0.6, -0.01, horizon=5),
        _signal("KO", "HOLD", 0.9, 0.0),
    ]
    q, conf = views_from_signals(sigs)
    assert list(q.index) == ["AAPL", "XOM"]  # HOLD skipped
    np.testing.assert_allclose(q.to_numpy(), [0.02 * 252 / 21, -0.01 * 252 / 5])
    np.testing.assert_allclose(conf.to_numpy(), [0.8, 0.6])
    q_raw, _ = views_from_signals(sigs, periods_per_year=None, include_hold=True)
    np.testing.assert_allclose(q_raw.to_numpy(), [0.02, -0.01, 0.0])


def test_combined_signal_views_equal_separate_views(bl_inputs):
    """Several signals on one instrument combine into one Idzorek view with the same posterior
    as the separate views stacked in P (checked with PyPortfolioOpt)."""
    pypfopt = pytest.importorskip("pypfopt")
    cov, mcap = bl_inputs
    prior = market_implied_prior(cov, mcap)
    sigs = [
        _signal("AAPL", "BUY", 0.7, 0.03),
        _signal("AAPL", "BUY", 0.4, 0.01),
        _signal("AAPL", "SELL", 0.3, -0.02),
        _signal("XOM", "SELL", 0.5, -0.02, horizon=10),
        _signal("MSFT", "BUY", 0.0, 0.05),  # no information
    ]
    q, conf = views_from_signals(sigs)
    assert list(q.index) == ["AAPL", "XOM"]
    mu, sigma = black_litterman(cov, prior, q, omega="idzorek", confidences=conf)
    names = ["AAPL", "AAPL", "AAPL", "XOM"]
    p = np.zeros((4, len(cov)))
    p[np.arange(4), cov.index.get_indexer(names)] = 1.0
    q_sep = np.array([0.03 * 252 / 21, 0.01 * 252 / 21, -0.02 * 252 / 21, -0.02 * 252 / 10])
    model = pypfopt.BlackLittermanModel(
        cov, pi=prior, Q=q_sep, P=p, omega="idzorek", view_confidences=[0.7, 0.4, 0.3, 0.5]
    )
    np.testing.assert_allclose(mu.to_numpy(), model.bl_returns().to_numpy(), atol=1e-14)
    np.testing.assert_allclose(sigma.to_numpy(), model.bl_cov().to_numpy(), atol=1e-14)


def test_views_from_signals_frame_equals_events():
    from portlab.events import signals_to_frame

    sigs = [_signal("AAPL", "BUY", 0.7, 0.03), _signal("AAPL", "BUY", 1.0, 0.01, horizon=42)]
    q1, c1 = views_from_signals(sigs)
    q2, c2 = views_from_signals(signals_to_frame(sigs))
    pd.testing.assert_series_equal(q1, q2)
    pd.testing.assert_series_equal(c1, c2)
    assert q1["AAPL"] == pytest.approx(0.01 * 252 / 42)  # the certain signal wins
    assert c1["AAPL"] == 1.0
    with pytest.raises(ValidationError, match="no signal with a view"):
        views_from_signals([_signal("KO", "HOLD", 0.9, 0.0)])


# --------------------------------------------------------------------------- performance


def test_max_drawdown_by_hand():
    assert max_drawdown(pd.Series([0.1, -0.5, 0.2])) == pytest.approx(0.5)
    assert max_drawdown(pd.Series([-0.1, 0.05])) == pytest.approx(0.1)  # from the start
    assert max_drawdown(pd.Series([0.01, 0.02])) == 0.0
    frame = pd.DataFrame({"a": [0.1, -0.5, 0.2], "b": [-0.2, 0.1, -0.1]})
    # b: wealth 0.8, 0.88, 0.792 -> 1 - 0.792
    np.testing.assert_allclose(max_drawdown(frame).to_numpy(), [0.5, 1 - 0.792])


def test_strategy_metrics_by_hand():
    r = pd.Series([0.01, -0.02, 0.0, 0.03, np.nan, -0.01], name="s")
    m = strategy_metrics(r, periods_per_year=252).loc["s"]
    x = np.array([0.01, -0.02, 0.0, 0.03, -0.01])
    assert m["win_rate"] == pytest.approx(2 / 4)
    assert m["profit_factor"] == pytest.approx(0.04 / 0.03)
    assert m["sharpe"] == pytest.approx(x.mean() / x.std(ddof=1) * math.sqrt(252))
    assert m["n_trades"] == 4
    assert m["annual_return"] == pytest.approx(x.mean() * 252)


@settings(max_examples=60, deadline=None)
@given(
    wr=st.none() | st.floats(0, 1),
    sharpe=st.none() | st.floats(-5, 5),
    pf=st.none() | st.floats(0, 10),
    trades=st.integers(0, 200),
)
def test_performance_score_matches_engine_track_record(wr, sharpe, pf, trades):
    rec = TrackRecord(win_rate=wr, sharpe=sharpe, profit_factor=pf, n_trades=trades)
    frame = pd.DataFrame(
        {"win_rate": [wr], "sharpe": [sharpe], "profit_factor": [pf], "n_trades": [trades]},
        index=["s"],
        dtype=float,
    )
    assert performance_scores(frame)["s"] == pytest.approx(rec.score(), abs=1e-15)
    assert performance_scores({"s": rec})["s"] == pytest.approx(rec.score(), abs=1e-15)


def test_performance_allocation_formula():
    metrics = pd.DataFrame(
        {
            "win_rate": [0.6, 0.5, 0.4],
            "sharpe": [2.0, 1.0, -0.5],
            "profit_factor": [2.4, 1.5, 0.6],
            "n_trades": [100, 50, 80],
        },
        index=["mom", "mr", "bad"],
    )
    scores = np.array([(0.6 + 0.75 + 0.8) / 3, (0.5 + 0.5 + 0.5) / 3, (0.4 + 0.125 + 0.2) / 3])
    w = performance_allocation(metrics)
    np.testing.assert_allclose(w.to_numpy(), scores / scores.sum())
    w2 = performance_allocation(metrics, concentration=2.0, min_score=0.3)
    expected = np.r_[scores[:2] ** 2, 0.0]
    np.testing.assert_allclose(w2.to_numpy(), expected / expected.sum())
    with pytest.raises(ValidationError, match="no strategy scores above"):
        performance_allocation(metrics, min_score=0.9)
    with pytest.raises(ValidationError, match="win_rate"):
        performance_allocation(metrics.assign(win_rate=[1.2, 0.5, 0.4]))


# --------------------------------------------------------------------------- strategy book


@pytest.fixture(scope="module")
def book_returns(returns):
    cols = ["AAPL", "KO", "XOM", "JPM"]
    return returns[cols].rename(columns=lambda c: f"{c.lower()}_strategy")


def make_book(book_returns, allocations=(0.4, 0.3, 0.2, 0.1)) -> StrategyBook:
    book = StrategyBook(risk_free_rate=0.01)
    for (name, col), alloc in zip(book_returns.items(), allocations, strict=True):
        book.register(name, col, alloc)
    return book


# the PortfolioOptimizationEvent example of the event contracts (specification §1), verbatim
CONTRACT_EXAMPLE = """
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T11:00:00.100Z",
  "portfolio_id": "main_portfolio",
  "optimization_result": {
    "optimal_strategy_weights": {
      "momentum_strategy": 0.30,
      "mean_reversion_strategy": 0.25,
      "trend_following_strategy": 0.20,
      "arbitrage_strategy": 0.15,
      "defensive_strategy": 0.10
    },
    "risk_budget_allocation": {
      "momentum_strategy": 0.35,
      "mean_reversion_strategy": 0.25,
      "trend_following_strategy": 0.20,
      "arbitrage_strategy": 0.10,
      "defensive_strategy": 0.10
    },
    "expected_portfolio_metrics": {
      "expected_return": 0.12,
      "expected_volatility": 0.18,
      "sharpe_ratio": 0.67,
      "max_drawdown": 0.15
    }
  },
  "market_regime": {
    "detected_regime": "TRENDING_MARKET",
    "confidence": 0.82,
    "regime_adjustments": ["INCREASE_MOMENTUM", "REDUCE_MEAN_REVERSION"]
  },
  "optimization_reasoning": {
    "primary_factors": ["strong_momentum_performance", "low_correlation_environment"],
    "adjustments_made": ["increased_momentum_allocation", "reduced_defensive_allocation"],
    "risk_considerations": ["correlation_regime_stable", "volatility_within_targets"]
  }
}
"""
STRATEGY_KEYED = {"optimal_strategy_weights", "risk_budget_allocation"}


def shape(obj, key=None):
    """Nested keys and value types; maps keyed by strategy name reduce to their value type."""
    if isinstance(obj, dict):
        if key in STRATEGY_KEYED:
            return {"<strategy>": {shape(v) for v in obj.values()}.pop()}
        return {k: shape(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shape(obj[0])] if obj else []
    return "number" if isinstance(obj, int | float) else type(obj).__name__


def test_risk_parity_book_and_event(book_returns):
    before = book_returns.copy()
    book = make_book(book_returns)
    alloc = book.optimize(AllocationMethod.RISK_PARITY)
    np.testing.assert_allclose(alloc.risk_contributions.to_numpy(), 0.25, rtol=1e-8)
    # expected metrics from the combined stream, computed here with plain numpy
    x = book_returns.to_numpy() @ alloc.weights.to_numpy()
    assert alloc.expected_return == pytest.approx(x.mean() * 252, rel=1e-12)
    assert alloc.expected_volatility == pytest.approx(x.std(ddof=1) * math.sqrt(252), rel=1e-12)
    assert alloc.sharpe_ratio == pytest.approx(
        (x.mean() * 252 - 0.01) / (x.std(ddof=1) * math.sqrt(252)), rel=1e-12
    )
    wealth = np.cumprod(1 + x)
    peak = np.maximum(np.maximum.accumulate(wealth), 1.0)
    assert alloc.max_drawdown == pytest.approx(np.max(1 - wealth / peak), rel=1e-12)

    event = alloc.to_event(event_id="opt-1", timestamp="2025-06-21T11:00:00.100Z")
    assert isinstance(event, PortfolioOptimizationEvent)
    data = event.to_dict()
    assert shape(data) == shape(json.loads(CONTRACT_EXAMPLE))
    assert data["eventId"] == "opt-1" and data["portfolio_id"] == "main_portfolio"
    result = data["optimization_result"]
    assert list(result["optimal_strategy_weights"]) == list(book_returns.columns)
    assert data["market_regime"]["detected_regime"] in {r.value for r in Regime}
    assert PortfolioOptimizationEvent.from_json(event.to_json()) == event
    pd.testing.assert_frame_equal(book_returns, before)


def test_book_methods_agree_with_the_functions(book_returns):
    book = make_book(book_returns)
    eq = book.optimize("equal_weight")
    np.testing.assert_allclose(eq.weights.to_numpy(), 0.25)
    h = book.optimize("hrp").weights
    np.testing.assert_allclose(h.to_numpy(), hrp(book_returns).to_numpy(), rtol=1e-14)
    p = book.optimize("performance_based").weights
    expected = performance_allocation(strategy_metrics(book_returns, risk_free_rate=0.01))
    np.testing.assert_allclose(p.to_numpy(), expected.to_numpy(), rtol=1e-14)
    rb = book.optimize("risk_parity", budgets=[0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(rb.risk_contributions.to_numpy(), [0.4, 0.3, 0.2, 0.1], rtol=1e-8)


def test_book_risk_parity_honours_constraints(book_returns):
    # rebalancing a 70/10/10/10 book toward risk parity with at most 20% turnover
    book = make_book(book_returns, allocations=(0.7, 0.1, 0.1, 0.1))
    current = pd.Series([0.7, 0.1, 0.1, 0.1], index=book.names)
    cons = Constraints(current_weights=current, max_turnover=0.2)
    w = book.optimize("risk_parity", constraints=cons).weights
    expected = constrained_risk_budgeting(book_returns.cov() * 252, constraints=cons)
    np.testing.assert_allclose(w.to_numpy(), expected.to_numpy(), atol=1e-12)
    assert np.abs(w.to_numpy() - current.to_numpy()).sum() == pytest.approx(0.2, abs=1e-9)


def test_reasoning_and_rebalancing_flag(book_returns):
    book = make_book(book_returns, allocations=(0.7, 0.1, 0.1, 0.1))
    alloc = book.optimize("equal_weight")
    assert alloc.rebalancing_needed
    assert alloc.reasoning["adjustments_made"] == (
        "reduced_aapl_strategy_allocation",
        "increased_ko_strategy_allocation",
        "increased_xom_strategy_allocation",
        "increased_jpm_strategy_allocation",
    )
    assert alloc.reasoning["primary_factors"][0] == "equal_weight_allocation"
    frame = alloc.to_frame()
    np.testing.assert_allclose(frame["change"].to_numpy(), [-0.45, 0.15, 0.15, 0.15])
    same = make_book(book_returns, allocations=(0.25, 0.25, 0.25, 0.25)).optimize("equal_weight")
    assert not same.rebalancing_needed
    assert same.reasoning["adjustments_made"] == ("no_material_changes",)


def uncorrelated_book(vols, means, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(vols)))
    z = (z - z.mean(0)) / z.std(0, ddof=1)
    q, _ = np.linalg.qr(z - z.mean(0))  # orthogonal columns: sample correlation exactly 0
    x = q * math.sqrt(n - 1) * np.asarray(vols) / math.sqrt(252) + np.asarray(means) / 252
    idx = pd.bdate_range("2015-01-01", periods=n)
    book = StrategyBook()
    for j in range(len(vols)):
        book.register(f"s{j}", pd.Series(x[:, j], index=idx), 0.2)
    return book


# The book's sample moments are exactly the given ones (covariance diagonal to ~1e-18) and the
# critical line algorithm solves in closed form: the weights agree to rounding (~3e-16).
CLOSED_FORM_ATOL = 1e-12


def test_min_volatility_and_markowitz_closed_forms():
    vols, means = np.array([0.1, 0.2, 0.3, 0.15]), np.array([0.05, 0.08, 0.06, 0.04])
    book = uncorrelated_book(vols, means)
    w = book.optimize("min_volatility").weights.to_numpy()
    inv_var = 1 / vols**2
    np.testing.assert_allclose(w, inv_var / inv_var.sum(), rtol=0, atol=CLOSED_FORM_ATOL)
    w = book.optimize("markowitz").weights.to_numpy()
    tangency = means / vols**2  # Σ⁻¹μ with Σ diagonal, all positive
    np.testing.assert_allclose(w, tangency / tangency.sum(), rtol=0, atol=CLOSED_FORM_ATOL)


def test_black_litterman_without_views_returns_the_market():
    vols, means = np.array([0.1, 0.2, 0.3, 0.15]), np.array([0.05, 0.08, 0.06, 0.04])
    book = StrategyBook()
    src = uncorrelated_book(vols, means)
    rets = src.returns()
    for name, alloc in zip(rets.columns, [0.4, 0.3, 0.2, 0.1], strict=True):
        book.register(name, rets[name], alloc)
    # π = δΣw_mkt, so the max-Sharpe portfolio of the prior is the market portfolio itself
    w = book.optimize("black_litterman").weights.to_numpy()
    np.testing.assert_allclose(w, [0.4, 0.3, 0.2, 0.1], rtol=0, atol=CLOSED_FORM_ATOL)


def test_detect_regime_rules():
    rng = np.random.default_rng(11)
    calm = rng.normal(0, 0.01, 500)
    spike = np.r_[calm, rng.normal(0, 0.03, 63)]
    det = detect_regime(pd.Series(spike))
    assert det.regime is Regime.HIGH_VOLATILITY and det.confidence > 0.99
    quiet = np.r_[rng.normal(0, 0.02, 500), rng.normal(0, 0.005, 63)]
    assert detect_regime(pd.Series(quiet)).regime is Regime.LOW_VOLATILITY

    def ar1(phi, n=600):
        e = rng.normal(0, 0.01, n)
        x = np.zeros(n)
        for t in range(1, n):
            x[t] = phi * x[t - 1] + e[t]
        return pd.Series(x)

    trend = detect_regime(ar1(0.6))
    assert trend.regime is Regime.TRENDING_MARKET and trend.confidence > 0.99
    assert trend.adjustments == ("INCREASE_MOMENTUM", "REDUCE_MEAN_REVERSION")
    assert detect_regime(ar1(-0.6)).regime is Regime.MEAN_REVERTING_MARKET


def test_book_errors(book_returns):
    book = make_book(book_returns)
    with pytest.raises(ConfigError, match="registered twice"):
        book.register("ko_strategy", book_returns["ko_strategy"])
    with pytest.raises(ConfigError, match="sum to"):
        book.register("extra", book_returns["ko_strategy"], 0.5)
    with pytest.raises(DataError, match="Series"):
        StrategyBook().register("x", [0.01, 0.02])
    with pytest.raises(ConfigError, match="no strategy registered"):
        StrategyBook().optimize()
    with pytest.raises(ValidationError, match="method must be one of"):
        book.optimize("kelly")
    short = StrategyBook().register("a", book_returns.iloc[:10, 0])
    short.register("b", book_returns.iloc[:10, 1])
    with pytest.raises(DataError, match="share 10 dates"):
        short.optimize()

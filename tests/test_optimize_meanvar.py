"""Mean-variance optimization, constraints, efficient frontier and discrete allocation.

Every expected value is computed independently of portlab's code: closed forms (two-fund
theorem, tangency portfolio), brute force on a grid, a second formulation written here in
cvxpy, or a peer library (PyPortfolioOpt, skfolio).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portlab.analytics.optimize import (
    Constraints,
    DiscreteMethod,
    MeanVarianceProblem,
    Method,
    Objective,
    discrete_allocation,
    efficient_frontier,
    explain_infeasibility,
    mean_variance,
)
from portlab.datasets import load_sample
from portlab.exceptions import ConfigError, DataError, InfeasibleError, ValidationError

ENGINES = [Method.CLA, Method.CVXPY]


@pytest.fixture(scope="module")
def sample():
    market = load_sample()
    mu = market.returns.iloc[-1000:].mean() * market.periods_per_year
    cov = market.covariance()
    return market, mu, cov


def _toy(n=6, seed=0, k=2):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, k)) * 0.2
    cov = B @ B.T + np.diag(rng.uniform(0.02, 0.08, n))
    names = [f"A{i}" for i in range(n)]
    mu = pd.Series(rng.normal(0.08, 0.04, n), index=names)
    return mu, pd.DataFrame(cov, index=names, columns=names)


def _vol(w, cov):
    w = np.asarray(w, dtype=float)
    return float(np.sqrt(w @ np.asarray(cov) @ w))


# --------------------------------------------------------------------------- closed forms


def test_min_volatility_closed_form_diagonal():
    # diagonal covariance: w_i ∝ 1 / σ_i², all positive, so long-only = unconstrained
    var = np.array([0.04, 0.09, 0.01, 0.16, 0.0625])
    names = list("abcde")
    cov = pd.DataFrame(np.diag(var), index=names, columns=names)
    mu = pd.Series(0.05, index=names)
    expected = (1 / var) / (1 / var).sum()
    for method in ENGINES:
        res = mean_variance(mu, cov, Objective.MIN_VOLATILITY, method=method)
        tol = 1e-12 if method is Method.CLA else 1e-6
        np.testing.assert_allclose(res.weights.to_numpy(), expected, atol=tol)
        assert res.volatility == pytest.approx(np.sqrt(1 / (1 / var).sum()), rel=1e-6)


def test_max_sharpe_and_frontier_closed_form_unconstrained():
    # wide bounds that never bind: the tangency portfolio and the two-fund frontier
    mu, cov = _toy(6, seed=3)
    rf = 0.01
    S = cov.to_numpy()
    inv = np.linalg.inv(S)
    one = np.ones(6)
    tangency = inv @ (mu.to_numpy() - rf)
    tangency /= tangency.sum()
    c = Constraints(bounds=(-10.0, 10.0), long_only=False)
    for method in ENGINES:
        res = mean_variance(mu, cov, constraints=c, risk_free_rate=rf, method=method)
        tol = 1e-10 if method is Method.CLA else 1e-5
        np.testing.assert_allclose(res.weights.to_numpy(), tangency, atol=tol)
    # two-fund theorem: min wᵀΣw s.t. 1ᵀw = 1, μᵀw = r
    m = mu.to_numpy()
    A, B, C = one @ inv @ one, one @ inv @ m, m @ inv @ m
    D = A * C - B * B
    # targets above the minimum-variance return B/A, where the return constraint binds
    for r in (B / A + 0.005, B / A + 0.03, 0.15):
        w_exact = ((C - r * B) * (inv @ one) + (r * A - B) * (inv @ m)) / D
        res = mean_variance(mu, cov, Objective.TARGET_RETURN, constraints=c, target=r, method="cla")
        np.testing.assert_allclose(res.weights.to_numpy(), w_exact, atol=1e-10)
        assert res.volatility**2 == pytest.approx((A * r * r - 2 * B * r + C) / D, rel=1e-10)


def test_max_utility_closed_form():
    # max μᵀw − δ/2 wᵀΣw s.t. 1ᵀw = 1 (bounds never binding): w = Σ⁻¹(μ − γ1)/δ
    mu, cov = _toy(5, seed=4)
    inv = np.linalg.inv(cov.to_numpy())
    m, one, delta = mu.to_numpy(), np.ones(5), 4.0
    gamma = (one @ inv @ m - delta) / (one @ inv @ one)
    expected = inv @ (m - gamma * one) / delta
    c = Constraints(bounds=(-10.0, 10.0), long_only=False)
    for method in ENGINES:
        res = mean_variance(
            mu, cov, "max_utility", constraints=c, risk_aversion=delta, method=method
        )
        np.testing.assert_allclose(res.weights.to_numpy(), expected, atol=1e-6)


# --------------------------------------------------------------------------- peers


@pytest.mark.parametrize("method", ENGINES)
def test_max_sharpe_matches_pypfopt_on_sample(sample, method):
    from pypfopt import EfficientFrontier

    _, mu, cov = sample
    ef = EfficientFrontier(mu, cov)
    ef.max_sharpe(risk_free_rate=0.02)
    ref = pd.Series(ef.weights, index=mu.index)
    ret, vol, sr = ef.portfolio_performance(risk_free_rate=0.02)
    res = mean_variance(mu, cov, risk_free_rate=0.02, method=method)
    assert res.method is method
    np.testing.assert_allclose(res.weights.to_numpy(), ref.to_numpy(), atol=1e-4)
    assert res.volatility == pytest.approx(vol, rel=1e-6)
    assert res.sharpe == pytest.approx(sr, rel=1e-6)
    assert res.expected_return == pytest.approx(ret, rel=1e-6)
    assert (res.weights >= 0).all() and abs(res.weights.sum() - 1) <= 1e-15


def test_min_volatility_with_caps_and_sectors_matches_pypfopt(sample):
    from pypfopt import EfficientFrontier

    market, mu, cov = sample
    sectors = market.sectors
    upper = {s: 0.25 for s in sectors.unique()}
    lower = {"Energy": 0.05}
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, 0.10))
    ef.add_sector_constraints(sectors.to_dict(), lower, upper)
    ef.min_volatility()
    ref = pd.Series(ef.weights, index=mu.index)
    caps = {s: (lower.get(s), 0.25) for s in sectors.unique()}
    c = Constraints(bounds=(0, 0.10), groups=[(sectors, caps)])
    for method in ENGINES:
        res = mean_variance(mu, cov, Objective.MIN_VOLATILITY, constraints=c, method=method)
        np.testing.assert_allclose(res.weights.to_numpy(), ref.to_numpy(), atol=1e-4)
        assert res.volatility == pytest.approx(_vol(ref, cov), rel=1e-6)
        assert res.weights.max() <= 0.10 and res.weights.min() >= 0.0


def test_frontier_matches_pypfopt_efficient_return(sample):
    from pypfopt import EfficientFrontier

    _, mu, cov = sample
    front = efficient_frontier(mu, cov, 12, risk_free_rate=0.02)
    assert front.attrs["method"] == "cla"
    for i in (1, 4, 8, 10):
        r = front["target_return"].iloc[i]
        ef = EfficientFrontier(mu, cov)  # a fresh object: re-solving one is less accurate
        ef.efficient_return(r)
        ref = pd.Series(ef.weights, index=mu.index)
        assert front["volatility"].iloc[i] == pytest.approx(_vol(ref, cov), rel=1e-6)
        np.testing.assert_allclose(
            front.loc[i, mu.index].to_numpy(float), ref.to_numpy(), atol=1e-4
        )
    # ends: the minimum-variance portfolio and the maximum-return asset
    mv = mean_variance(mu, cov, Objective.MIN_VOLATILITY, method="cvxpy")
    assert front["volatility"].iloc[0] == pytest.approx(mv.volatility, rel=1e-6)
    assert front["expected_return"].iloc[-1] == pytest.approx(mu.max(), rel=1e-12)
    assert front.loc[len(front) - 1, mu.idxmax()] == 1.0
    # shape: risk rises with return, weights sum to one, Sharpe from its definition
    assert np.all(np.diff(front["volatility"]) > 0)
    np.testing.assert_allclose(front[mu.index].sum(axis=1), 1.0, atol=1e-14)
    np.testing.assert_allclose(
        front["sharpe"], (front["expected_return"] - 0.02) / front["volatility"], rtol=1e-12
    )


def test_frontier_matches_skfolio(sample):
    skfolio = pytest.importorskip("skfolio")
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    del skfolio
    market, mu, cov = sample
    X = market.returns.iloc[-600:].fillna(0.0)
    # an empirical prior fed with the daily moments that give our annual mu and cov
    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        efficient_frontier_size=8,
        prior_estimator=EmpiricalPrior(),
    )
    model.fit(X)
    dist = model.prior_estimator_.return_distribution_
    mu_d = pd.Series(dist.mu * 252, index=mu.index)
    cov_d = pd.DataFrame(dist.covariance * 252, index=mu.index, columns=mu.index)
    problem = MeanVarianceProblem(mu_d, cov_d).fit()
    for w in model.weights_:
        r = float(mu_d.to_numpy() @ w)
        res = problem.solve(Objective.TARGET_RETURN, target=r)
        assert res.volatility == pytest.approx(_vol(w, cov_d), rel=1e-5)
        np.testing.assert_allclose(res.weights.to_numpy(), w, atol=1e-3)


# --------------------------------------------------------------------------- engines agree


@pytest.mark.parametrize(
    "objective,kw",
    [
        (Objective.MAX_SHARPE, {}),
        (Objective.MIN_VOLATILITY, {}),
        (Objective.TARGET_RETURN, {"target": 0.25}),
        (Objective.TARGET_RISK, {"target": 0.16}),
        (Objective.MAX_UTILITY, {"risk_aversion": 2.0}),
    ],
)
def test_cla_and_cvxpy_agree_with_groups(sample, objective, kw):
    market, mu, cov = sample
    regions = pd.Series(np.where(np.arange(len(mu)) % 2 == 0, "East", "West"), index=mu.index)
    c = Constraints(
        bounds=(0.0, 0.2),
        groups=[
            (market.sectors, {"Health Care": 0.3, "Information Technology": (0.05, 0.25)}),
            ("region", regions, {"East": (0.3, 0.6)}),
        ],
        budget=0.9,
    )
    a = mean_variance(mu, cov, objective, constraints=c, method="cla", risk_free_rate=0.01, **kw)
    b = mean_variance(mu, cov, objective, constraints=c, method="cvxpy", risk_free_rate=0.01, **kw)
    np.testing.assert_allclose(a.weights.to_numpy(), b.weights.to_numpy(), atol=1e-4)
    assert a.volatility == pytest.approx(b.volatility, rel=1e-5)
    assert a.weights.sum() == pytest.approx(0.9, abs=1e-15)
    sect = a.weights.groupby(market.sectors).sum()
    assert sect["Health Care"] <= 0.3 + 1e-12
    assert 0.05 - 1e-12 <= sect["Information Technology"] <= 0.25 + 1e-12
    assert 0.3 - 1e-12 <= a.weights[regions == "East"].sum() <= 0.6 + 1e-12


def test_frontier_engines_agree_with_groups(sample):
    market, mu, cov = sample
    c = Constraints(
        bounds=(0, 0.25), groups=[(market.sectors, {"Health Care": 0.3, "Energy": 0.1})]
    )
    a = efficient_frontier(mu, cov, 6, constraints=c, risk_free_rate=0.01)
    b = efficient_frontier(mu, cov, 6, constraints=c, risk_free_rate=0.01, method="cvxpy")
    assert (a.attrs["method"], b.attrs["method"]) == ("cla", "cvxpy")
    np.testing.assert_allclose(a["target_return"], b["target_return"], rtol=1e-6)
    np.testing.assert_allclose(a["volatility"], b["volatility"], rtol=1e-6)
    np.testing.assert_allclose(a[mu.index], b[mu.index], atol=1e-4)


@st.composite
def _problems(draw):
    n = draw(st.integers(3, 10))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, 2)) * 0.2
    cov = B @ B.T + np.diag(rng.uniform(0.01, 0.1, n))
    if draw(st.booleans()):
        mu = rng.choice([0.04, 0.08], n)  # ties in expected returns
    else:
        mu = rng.normal(0.08, 0.05, n)
    cap = draw(st.sampled_from([0.35, 0.5, 1.0]))
    cap = max(cap, 1.0 / n + 0.05)
    labels = rng.integers(0, 2, n)
    gcap = draw(st.sampled_from([None, 0.6, 0.75]))
    if gcap is not None:  # keep it feasible: the capped group plus the others reach 1
        k0 = int((labels == 0).sum())
        assume(min(gcap, k0 * cap) + (n - k0) * cap >= 1.0 + 1e-9)
    return mu, cov, cap, labels, gcap


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_problems())
def test_cla_matches_independent_cvxpy_program(problem):
    """The critical line algorithm against a QP written here in plain cvxpy, at several λ."""
    import cvxpy as cp

    mu, cov, cap, labels, gcap = problem
    n = len(mu)
    names = [f"x{i}" for i in range(n)]
    groups = []
    if gcap is not None:
        groups = [(pd.Series(labels, index=names), {0: gcap})]
    c = Constraints(bounds=(0, cap), groups=groups)
    mus, covs = pd.Series(mu, index=names), pd.DataFrame(cov, index=names, columns=names)
    path = MeanVarianceProblem(mus, covs, c, method="cla").fit().path()
    for delta in (0.5, 3.0, 20.0):
        w = cp.Variable(n)
        cons = [cp.sum(w) == 1, w >= 0, w <= cap]
        if gcap is not None:
            cons.append(cp.sum(w[np.flatnonzero(labels == 0)]) <= gcap)
        prob = cp.Problem(cp.Maximize(mu @ w - delta / 2 * cp.quad_form(w, cov)), cons)
        prob.solve(solver="CLARABEL")
        ours = path.at_lambda(1.0 / delta)[0][0]
        util = mu @ ours - delta / 2 * ours @ cov @ ours
        assert util >= prob.value - 1e-8
        assert ours.min() >= -1e-12 and ours.max() <= cap + 1e-12
        assert abs(ours.sum() - 1) <= 1e-12
        if gcap is not None:
            assert ours[labels == 0].sum() <= gcap + 1e-12
    # one-shot min volatility (its own short path, started from μ' = −Σ1) against a plain QP
    w = cp.Variable(n)
    cons = [cp.sum(w) == 1, w >= 0, w <= cap]
    if gcap is not None:
        cons.append(cp.sum(w[np.flatnonzero(labels == 0)]) <= gcap)
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cov)), cons)
    prob.solve(solver="CLARABEL")
    mv = mean_variance(mus, covs, Objective.MIN_VOLATILITY, constraints=c)
    assert mv.volatility**2 <= prob.value + 1e-9
    # the path's volatility rises with its return
    front = efficient_frontier(mus, covs, 8, constraints=c)
    assert np.all(np.diff(front["volatility"]) >= -1e-12)
    assert np.all(np.diff(front["expected_return"]) > 0) or front["expected_return"].nunique() == 1


# --------------------------------------------------------------------------- costs, turnover


def test_transaction_costs_two_assets_brute_force():
    names = ["a", "b"]
    cov = pd.DataFrame([[0.04, 0.006], [0.006, 0.09]], index=names, columns=names)
    mu = pd.Series([0.06, 0.11], index=names)
    w0 = pd.Series([0.8, 0.2], index=names)
    cost, delta = 0.01, 3.0
    c = Constraints(current_weights=w0, transaction_costs=cost)
    res = mean_variance(mu, cov, "max_utility", constraints=c, risk_aversion=delta)
    assert res.method is Method.CVXPY
    t = np.linspace(0, 1, 200_001)  # weight of "a"; b = 1 − a
    W = np.column_stack([t, 1 - t])
    util = W @ mu.to_numpy() - cost * np.abs(W - w0.to_numpy()).sum(1)
    util -= delta / 2 * np.einsum("ij,jk,ik->i", W, cov.to_numpy(), W)
    best = t[np.argmax(util)]
    assert res.weights["a"] == pytest.approx(best, abs=1e-4)
    assert res.turnover == pytest.approx(2 * abs(best - 0.8), abs=2e-4)
    assert res.cost == pytest.approx(cost * res.turnover, rel=1e-9)
    assert res.expected_return == pytest.approx(mu @ res.weights - res.cost, rel=1e-12)


def test_turnover_limit_binds_and_is_respected(sample):
    _, mu, cov = sample
    w0 = pd.Series(1.0 / len(mu), index=mu.index)
    free = mean_variance(mu, cov, risk_free_rate=0.02)
    assert (free.weights - w0).abs().sum() > 0.5
    c = Constraints(current_weights=w0, max_turnover=0.5)
    res = mean_variance(mu, cov, constraints=c, risk_free_rate=0.02)
    assert res.turnover <= 0.5 + 1e-6
    assert res.turnover == pytest.approx(0.5, abs=1e-5)
    assert res.sharpe < free.sharpe


def test_long_short_gross_leverage_matches_split_formulation(sample):
    import cvxpy as cp

    _, mu, cov = sample
    S = cov.to_numpy()
    n = len(mu)
    c = Constraints(long_only=False, bounds=(-0.3, 0.3), max_gross_leverage=1.6)
    res = mean_variance(mu, cov, Objective.TARGET_RETURN, constraints=c, target=0.4)
    # independent formulation: w = p − q with p, q >= 0
    p, q = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    w = p - q
    cons = [cp.sum(w) == 1, cp.sum(p + q) <= 1.6, w >= -0.3, w <= 0.3, mu.to_numpy() @ w >= 0.4]
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, S)), cons)
    prob.solve(solver="CLARABEL")
    assert res.volatility == pytest.approx(np.sqrt(prob.value), rel=1e-5)
    assert res.weights.abs().sum() <= 1.6 + 1e-6
    assert (res.weights < 0).any()


def test_l2_regularisation_matches_pypfopt(sample):
    from pypfopt import EfficientFrontier, objective_functions

    _, mu, cov = sample
    ef = EfficientFrontier(mu, cov)
    ef.add_objective(objective_functions.L2_reg, gamma=0.05)
    ef.min_volatility()
    ref = np.asarray(ef.weights, dtype=float)
    for method in ENGINES:
        res = mean_variance(
            mu, cov, "min_volatility", constraints=Constraints(l2_gamma=0.05), method=method
        )
        np.testing.assert_allclose(res.weights.to_numpy(), ref, atol=1e-4)
        assert res.volatility == pytest.approx(_vol(ref, cov), rel=1e-5)  # without the ridge


def test_singular_covariance_and_unbounded_long_short():
    names = list("abcd")
    B = np.array([[0.2, 0.1], [0.2, 0.1], [0.1, 0.3], [0.05, 0.2]])
    cov = pd.DataFrame(B @ B.T, index=names, columns=names)  # rank 2
    mu = pd.Series([0.05, 0.06, 0.08, 0.07], index=names)
    # a and b are the same asset: the minimum-variance mix of them is not unique
    a = mean_variance(mu, cov, Objective.MIN_VOLATILITY)
    b = mean_variance(mu, cov, Objective.MIN_VOLATILITY, method="cvxpy")
    assert a.volatility == pytest.approx(b.volatility, rel=1e-6)
    a = mean_variance(mu, cov, Objective.MAX_SHARPE)
    b = mean_variance(mu, cov, Objective.MAX_SHARPE, method="cvxpy")
    assert a.sharpe == pytest.approx(b.sharpe, rel=1e-9)
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-6)
    # long/short without bounds: no maximum return, but a minimum variance (closed form)
    c = Constraints(long_only=False)
    cov2 = cov + 0.01 * np.eye(4)
    inv = np.linalg.inv(cov2.to_numpy())
    res = mean_variance(mu, cov2, Objective.MIN_VOLATILITY, constraints=c)
    assert res.method is Method.CVXPY
    np.testing.assert_allclose(res.weights, inv.sum(1) / inv.sum(), atol=1e-6)
    with pytest.raises(ConfigError, match="unbounded"):
        mean_variance(mu, cov2, Objective.MAX_UTILITY, constraints=c, risk_aversion=0.0)
    with pytest.raises(ConfigError, match="unbounded"):
        efficient_frontier(mu, cov2, 5, constraints=c)


# --------------------------------------------------------------------------- infeasibility


def test_explain_min_weight_times_assets():
    assets = [f"S{i}" for i in range(20)]
    assert explain_infeasibility(Constraints(bounds=(0.06, 1.0)), assets) == [
        "min weight 0.06 × 20 assets = 1.20 > budget 1.00"
    ]
    assert explain_infeasibility(Constraints(bounds=(0.0, 0.04)), assets) == [
        "max weight 0.04 × 20 assets = 0.80 < budget 1.00"
    ]
    assert explain_infeasibility(Constraints(bounds=(0.0, 0.10)), assets) == []


def test_infeasible_sector_caps_explained(sample):
    market, mu, cov = sample
    sectors = market.sectors
    counts = sectors.value_counts()
    caps = {s: 0.90 / len(counts) for s in counts.index}  # caps sum to 0.90
    c = Constraints(groups=[(sectors.rename("sector"), caps)])
    assert explain_infeasibility(c, mu.index) == ["sector caps sum to 0.90 < budget 1.00"]
    for objective in (Objective.MAX_SHARPE, Objective.MIN_VOLATILITY):
        with pytest.raises(InfeasibleError, match=r"sector caps sum to 0\.90 < budget 1\.00"):
            mean_variance(mu, cov, objective, constraints=c)
    with pytest.raises(InfeasibleError, match="sector caps sum to 0.90"):
        efficient_frontier(mu, cov, constraints=c)


def test_group_minimum_above_its_assets_caps(sample):
    market, mu, _ = sample
    c = Constraints(
        bounds=(0, 0.1), groups=[(market.sectors.rename("sector"), {"Financials": (0.3, None)})]
    )
    reasons = explain_infeasibility(c, mu.index)
    assert reasons == [
        "sector 'Financials': min 0.30 > 0.20, the sum of its 2 assets' upper bounds"
    ]


def test_conflict_between_groupings_found_by_lp():
    # any two of (bounds, region limits, sector limits) are feasible, all three are not:
    # East >= 0.8 needs b >= 0.3 and Tech >= 0.8 needs c >= 0.3 when a <= 0.5: a+b+c >= 1.1
    names = ["a", "b", "c", "d"]
    region = pd.Series(["East", "East", "West", "West"], index=names, name="region")
    sector = pd.Series(["Tech", "Fin", "Tech", "Fin"], index=names, name="sector")
    c = Constraints(
        bounds=(0, pd.Series({"a": 0.5})),
        groups=[(region, {"East": (0.8, None)}), (sector, {"Tech": (0.8, None)})],
    )
    assert explain_infeasibility(c, names, thorough=False) == []
    assert explain_infeasibility(c, names) == [
        "the per-asset bounds, the region limits and the sector limits cannot all hold with "
        "budget 1.00 (removing any one of them makes the rest feasible)"
    ]
    mu = pd.Series(0.05, index=names)
    cov = pd.DataFrame(np.eye(4) * 0.04, index=names, columns=names)
    with pytest.raises(InfeasibleError, match="region limits and the sector limits"):
        mean_variance(mu, cov, constraints=c)


def test_turnover_too_small_is_explained():
    names = ["a", "b", "c", "d"]
    w0 = pd.Series([0.7, 0.3, 0.0, 0.0], index=names)
    # the bound forces a down to 0.4: 0.3 sold and 0.3 bought, turnover 0.6
    c = Constraints(bounds=(0, 0.4), current_weights=w0, max_turnover=0.2)
    assert explain_infeasibility(c, names) == [
        "moving the current weights (sum 1.00) within their bounds and to budget 1.00 needs "
        "turnover >= 0.60 > max_turnover 0.20"
    ]
    # a group cap (seen only by the LP): a + b <= 0.6 moves 0.4 out and 0.4 in, turnover 0.8
    w1 = pd.Series([0.5, 0.5, 0.0, 0.0], index=names)
    grp = pd.Series(["x", "x", "y", "y"], index=names, name="grp")
    c = Constraints(groups=[(grp, {"x": 0.6})], current_weights=w1, max_turnover=0.5)
    assert explain_infeasibility(c, names) == [
        "reaching the other constraints from the current weights needs turnover >= 0.80 > "
        "max_turnover 0.50"
    ]


def test_max_sharpe_with_returns_below_risk_free(sample):
    _, mu, cov = sample
    low = mu * 0 + 0.01
    for method in ENGINES:
        with pytest.raises(InfeasibleError, match="risk-free"):
            mean_variance(low, cov, risk_free_rate=0.03, method=method)


def test_unreachable_targets(sample):
    _, mu, cov = sample
    for method in ENGINES:
        with pytest.raises(InfeasibleError, match="above the highest expected return"):
            mean_variance(mu, cov, "target_return", target=mu.max() + 0.1, method=method)
        with pytest.raises(InfeasibleError, match="below the lowest volatility"):
            mean_variance(mu, cov, "target_risk", target=0.01, method=method)


def test_bad_inputs_are_named(sample):
    _, mu, cov = sample
    bad = mu.copy()
    bad["AAPL"] = np.nan
    with pytest.raises(DataError, match="AAPL"):
        mean_variance(bad, cov)
    with pytest.raises(DataError, match="ZZZ"):
        mean_variance(pd.concat([mu, pd.Series({"ZZZ": 0.1})]), cov)
    asym = cov.copy()
    asym.iloc[0, 1] += 0.01
    with pytest.raises(DataError, match="symmetric"):
        mean_variance(mu, asym)
    with pytest.raises(ConfigError, match="long_only"):
        mean_variance(mu, cov, constraints=Constraints(bounds=(-0.1, 0.2)))
    with pytest.raises(ConfigError, match="outside the universe"):
        mean_variance(mu, cov, constraints=Constraints(current_weights=pd.Series({"XYZ": 0.1})))
    with pytest.raises(ValidationError, match="target"):
        mean_variance(mu, cov, "target_return")
    with pytest.raises(ValidationError, match="objective"):
        mean_variance(mu, cov, "max_fun")
    with pytest.raises(ConfigError, match="CVXPY"):
        mean_variance(mu, cov, constraints=Constraints(max_turnover=1.5), method="cla")


# --------------------------------------------------------------------------- reuse


def test_problem_resolves_without_rebuilding(sample):
    _, mu, cov = sample
    c = Constraints(current_weights=pd.Series(0.05, index=mu.index), transaction_costs=0.002)
    problem = MeanVarianceProblem(mu, cov, c, risk_free_rate=0.02).fit()
    assert problem.method_ is Method.CVXPY
    first = problem.solve(Objective.TARGET_RETURN, target=0.2)
    compiled = problem._cvx._compiled["target_return"].problem
    again = [problem.solve(Objective.TARGET_RETURN, target=t) for t in (0.22, 0.3, 0.2)]
    assert problem._cvx._compiled["target_return"].problem is compiled  # compiled once
    fresh = mean_variance(mu, cov, "target_return", constraints=c, target=0.3, risk_free_rate=0.02)
    np.testing.assert_allclose(again[1].weights, fresh.weights, atol=1e-6)
    np.testing.assert_allclose(again[2].weights, first.weights, atol=1e-9)
    # new expected returns through the parameter
    mu2 = mu * 0.5
    res = problem.solve(Objective.MAX_SHARPE, mu=mu2)
    ref = mean_variance(mu2, cov, constraints=c, risk_free_rate=0.02)
    np.testing.assert_allclose(res.weights, ref.weights, atol=1e-5)


def test_cla_problem_traces_once(sample):
    _, mu, cov = sample
    problem = MeanVarianceProblem(mu, cov).fit()
    a = problem.solve(Objective.MAX_SHARPE)
    path = problem.path()
    b = problem.solve(Objective.TARGET_RISK, target=0.2)
    assert problem.path() is path
    assert b.volatility == pytest.approx(0.2, rel=1e-9)
    assert a.method is Method.CLA and a.status == "optimal"
    problem.solve(Objective.MIN_VOLATILITY, mu=mu * 1.1)
    assert problem.path() is not path


def test_inputs_not_mutated(sample):
    market, mu, cov = sample
    w0 = pd.Series(0.05, index=mu.index)
    copies = (mu.copy(), cov.copy(), w0.copy(), market.sectors.copy())
    c = Constraints(
        current_weights=w0, groups=[(market.sectors, {"Energy": 0.2})], max_turnover=1.0
    )
    mean_variance(mu, cov, constraints=c)
    efficient_frontier(
        mu, cov, 5, constraints=Constraints(groups=[(market.sectors, {"Energy": 0.2})])
    )
    for before, after in zip(copies, (mu, cov, w0, market.sectors), strict=True):
        assert before.equals(after)


def test_frontier_with_costs_uses_cvxpy_and_is_monotone(sample):
    _, mu, cov = sample
    c = Constraints(
        bounds=(0, 0.3), current_weights=pd.Series(0.05, index=mu.index), transaction_costs=0.005
    )
    front = efficient_frontier(mu, cov, 6, constraints=c)
    assert front.attrs["method"] == "cvxpy"
    assert np.all(np.diff(front["volatility"]) > 0)
    np.testing.assert_allclose(front["expected_return"], front["target_return"], atol=1e-6)


# --------------------------------------------------------------------------- discrete


def _lp_objective(w, shares, prices, value, leftover):
    held = (shares * prices.reindex(shares.index).fillna(0.0)).to_numpy()
    return float(np.abs(w.to_numpy() * value - held).sum() + leftover)


def test_discrete_allocation_matches_pypfopt_lp(sample):
    from pypfopt import DiscreteAllocation

    market, mu, cov = sample
    w = mean_variance(mu, cov, "min_volatility").weights
    prices = market.last_prices
    value = 50_000.0
    shares, left = discrete_allocation(w, prices, value)
    assert left >= 0
    assert (shares * prices).sum() + left == pytest.approx(value, rel=1e-12)
    held = w[w > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        da = DiscreteAllocation(held.to_dict(), prices[held.index], total_portfolio_value=value)
        alloc, left_ref = da.lp_portfolio()
    ref = pd.Series(alloc, dtype=float).reindex(w.index).fillna(0)
    assert _lp_objective(w, shares, prices, value, left) == pytest.approx(
        _lp_objective(w, ref, prices, value, left_ref), abs=1e-6
    )
    greedy, gleft = discrete_allocation(w, prices, value, method=DiscreteMethod.GREEDY)
    assert gleft >= 0 and (greedy * prices).sum() <= value
    assert (
        _lp_objective(w, shares, prices, value, left)
        <= _lp_objective(w, greedy, prices, value, gleft) + 1e-9
    )


def test_discrete_allocation_brute_force_with_lots():
    prices = pd.Series({"a": 37.0, "b": 91.0, "c": 12.5})
    w = pd.Series({"a": 0.45, "b": 0.35, "c": 0.2})
    lots = pd.Series({"a": 1, "b": 1, "c": 10})
    value = 1000.0
    shares, left = discrete_allocation(w, prices, value, lot_size=lots)
    assert shares["c"] % 10 == 0
    best = np.inf
    for a in range(0, 28):
        for b in range(0, 11):
            for c in range(0, 81, 10):
                spent = a * 37.0 + b * 91.0 + c * 12.5
                if spent <= value:
                    obj = (
                        abs(450 - a * 37.0)
                        + abs(350 - b * 91.0)
                        + abs(200 - c * 12.5)
                        + value
                        - spent
                    )
                    best = min(best, obj)
    assert _lp_objective(w, shares, prices, value, left) == pytest.approx(best, abs=1e-9)
    assert shares.dtype == np.int64


def test_discrete_allocation_errors():
    prices = pd.Series({"a": 10.0, "b": 20.0})
    with pytest.raises(ValidationError, match="negative"):
        discrete_allocation(pd.Series({"a": 1.2, "b": -0.2}), prices, 100.0)
    with pytest.raises(DataError, match="c"):
        discrete_allocation(pd.Series({"a": 0.5, "c": 0.5}), prices, 100.0)
    with pytest.raises(ValidationError, match="sum"):
        discrete_allocation(pd.Series({"a": 0.7, "b": 0.7}), prices, 100.0)
    with pytest.raises(ValidationError, match="total_value"):
        discrete_allocation(pd.Series({"a": 0.5, "b": 0.5}), prices, -5.0)


def test_max_sharpe_stops_past_the_peak_not_at_a_rounding_dip():
    """Three 10% caps fill a 30% sector cap: the path has segments of almost no length where
    the Sharpe ratio dips by a few ulps before its peak; the early-stopping walk must not stop
    there (it once returned Sharpe 2.1826 instead of 2.1863 on the sample)."""
    from portlab.analytics.optimize import MeanVarianceProblem
    from portlab.analytics.performance import annualized_return
    from portlab.datasets import load_sample

    market = load_sample()
    returns = market.returns.iloc[-504:]
    mu, cov = annualized_return(returns), market.covariance(window=504)
    caps = Constraints(
        bounds=(0, 0.10), groups=[(market.sectors, {s: 0.30 for s in set(market.sectors)})]
    )
    walk = mean_variance(mu, cov, Objective.MAX_SHARPE, constraints=caps)
    full = MeanVarianceProblem(mu, cov, constraints=caps).solve(Objective.MAX_SHARPE)
    cvx = mean_variance(mu, cov, Objective.MAX_SHARPE, constraints=caps, method="cvxpy")
    assert walk.method is Method.CLA
    assert walk.sharpe == pytest.approx(full.sharpe, rel=1e-12)
    assert walk.sharpe == pytest.approx(cvx.sharpe, rel=1e-8)
    np.testing.assert_allclose(walk.weights, full.weights, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cap=st.sampled_from([0.05, 0.1, 0.2]), k=st.integers(2, 4))
def test_max_sharpe_walk_equals_the_full_path_with_degenerate_caps(seed, cap, k):
    # k asset caps exactly fill each sector cap: the degenerate vertices of the test above
    from portlab.analytics.optimize import MeanVarianceProblem
    from portlab.datasets import synthetic

    market = synthetic(n_instruments=30, n_days=300, n_sectors=5, seed=seed)
    mu = market.returns.mean() * 252 + 0.02
    cov = market.covariance()
    caps = Constraints(
        bounds=(0, cap), groups=[(market.sectors, dict.fromkeys(set(market.sectors), k * cap))]
    )
    try:
        walk = mean_variance(mu, cov, Objective.MAX_SHARPE, constraints=caps)
    except InfeasibleError:  # every expected return below the risk-free rate, or caps < budget
        return
    full = MeanVarianceProblem(mu, cov, constraints=caps).solve(Objective.MAX_SHARPE)
    assert walk.sharpe == pytest.approx(full.sharpe, rel=1e-10)

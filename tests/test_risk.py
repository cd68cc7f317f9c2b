"""Tests of portlab.analytics.risk against values computed independently.

References: numpy's ``inverted_cdf`` quantile, scipy.stats (normal quantile, skewness, kurtosis,
linregress, numerical integration), pandas, closed forms and hand examples, finite differences,
statsmodels / scikit-learn OLS and the peers skfolio and Riskfolio-Lib (skipped if absent).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from portlab.analytics import risk
from portlab.analytics.risk import MissingReturns, VaRMethod
from portlab.datasets import load_sample
from portlab.exceptions import DataError, ValidationError
from portlab.state import PortfolioState

DATES = pd.bdate_range("2019-01-01", periods=600, name="Date")


def _returns(n_rows: int = 600, n_cols: int = 5, seed: int = 0, t_df: float | None = 4.0):
    """Fat-tailed correlated returns, dates × instruments A0, A1, ..."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((n_rows, 1)) * 0.008
    if t_df is None:
        idio = rng.standard_normal((n_rows, n_cols)) * 0.01
    else:
        idio = rng.standard_t(t_df, (n_rows, n_cols)) * 0.007
    x = common * rng.uniform(0.5, 1.5, n_cols) + idio + 0.0003
    return pd.DataFrame(
        x,
        index=pd.bdate_range("2019-01-01", periods=n_rows, name="Date"),
        columns=[f"A{i}" for i in range(n_cols)],
    )


WEIGHTS = pd.Series({"A0": 0.3, "A1": 0.25, "A2": -0.1, "A4": 0.4})


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _inverted_cdf_var(r: np.ndarray, c: float) -> float:
    """VaR as numpy's lower quantile of the losses, inf{l : F(l) >= c}."""
    return float(np.quantile(-r, c, method="inverted_cdf"))


def _snapped_var(r: np.ndarray, c: float) -> float:
    """The ``ceil(c n)``-th smallest loss, with ``c n`` within 1e-9 of a whole number taken as
    it (portlab's documented rule: 0.8000000000000002 of 20 days is the 16th loss, not the
    17th as numpy's exact reading of the float gives)."""
    n = len(r)
    k = (1.0 - c) * n
    near = round(k)
    if abs(k - near) <= 1e-9 * max(1.0, k):
        k = near
    j = n - int(np.floor(k))  # 1-based rank of the VaR loss
    return float(np.sort(-r)[min(max(j, 1), n) - 1])


# ------------------------------------------------------------------ portfolio returns
def test_portfolio_returns_by_hand_and_missing_rules():
    rets = pd.DataFrame(
        {"A": [0.01, np.nan, 0.03, -0.02], "B": [0.02, 0.01, np.nan, 0.0], "C": [np.nan] * 4},
        index=DATES[:4],
    )
    w = {"A": 0.5, "B": 0.25, "C": 0.0}
    got = risk.portfolio_returns(w, rets)
    # C has zero weight: it never drops a date; dates 1 and 2 miss A or B
    assert list(got.index) == [DATES[0], DATES[3]]
    np.testing.assert_allclose(got.to_numpy(), [0.5 * 0.01 + 0.25 * 0.02, 0.5 * -0.02])
    zero = risk.portfolio_returns(w, rets, missing=MissingReturns.ZERO)
    np.testing.assert_allclose(zero.to_numpy(), [0.01, 0.0025, 0.015, -0.01])
    assert got.name == "portfolio"


def test_weight_forms_agree_and_state_uses_last_prices(sample):
    rets = _returns()
    a = risk.portfolio_returns(WEIGHTS, rets)
    b = risk.portfolio_returns(WEIGHTS.to_dict(), rets)
    c = risk.portfolio_returns(WEIGHTS.reindex(rets.columns, fill_value=0).to_numpy(), rets)
    pd.testing.assert_series_equal(a, b)
    pd.testing.assert_series_equal(a, c)
    state = PortfolioState.from_dict(
        {"positions": {"AAPL": {"quantity": 100, "avg_price": 1.0}}, "cash": 10_000.0}
    )
    price = sample.last_prices["AAPL"]
    w = 100 * price / (10_000 + 100 * price)
    expected = sample.returns["AAPL"] * w
    got = risk.portfolio_returns(state, sample)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-13)


def test_inputs_are_not_mutated():
    rets = _returns()
    rets.iloc[3, 1] = np.nan
    r0, w0 = rets.copy(), WEIGHTS.copy()
    for method in VaRMethod:
        risk.value_at_risk(WEIGHTS, rets, method=method, n_sims=1000, missing="zero")
    risk.historical_var_cvar(rets)
    risk.risk_contributions(WEIGHTS, rets.cov())
    risk.factor_exposures(rets, rets[["A3"]])
    pd.testing.assert_frame_equal(rets, r0)
    pd.testing.assert_series_equal(WEIGHTS, w0)


@pytest.mark.parametrize(
    ("weights", "returns", "error", "match"),
    [
        ({"ZZZ": 0.1}, _returns(), DataError, "ZZZ"),
        ({"A0": float("nan")}, _returns(), ValidationError, "A0"),
        ({"A0": "x"}, _returns(), ValidationError, "number"),
        (np.ones(3), _returns(), ValidationError, "one entry per column"),
        ({"A0": 1.0}, np.zeros((3, 3)), ValidationError, "DataFrame"),
        (None, _returns(), ValidationError, "Series"),
        ({"A0": 1.0}, _returns().astype({"A1": str}), DataError, "A1"),
    ],
)
def test_bad_inputs_raise_typed_errors(weights, returns, error, match):
    with pytest.raises(error, match=match):
        risk.value_at_risk(weights, returns)


def test_infinite_return_is_named_and_empty_history_rejected():
    rets = _returns()
    rets.iloc[7, 2] = np.inf
    with pytest.raises(DataError, match=r"A2.*2019-01-10"):
        risk.portfolio_returns(WEIGHTS, rets)
    holes = _returns()
    holes.iloc[::2, 0] = np.nan
    holes.iloc[1::2, 1] = np.nan
    with pytest.raises(DataError, match="no date"):
        risk.portfolio_returns(WEIGHTS, holes)


# ------------------------------------------------------------- volatility, beta, TE
def test_volatility_matches_pandas_and_market_periods(sample):
    rets = _returns()
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1)
    assert risk.volatility(WEIGHTS, rets) == pytest.approx(p.std() * math.sqrt(252), rel=1e-12)
    assert risk.volatility(WEIGHTS, rets, annualize=False) == pytest.approx(p.std(), rel=1e-12)
    assert risk.volatility(None, p, periods_per_year=12) == pytest.approx(
        p.std() * math.sqrt(12), rel=1e-12
    )
    w = pd.Series({"KO": 0.6, "PEP": 0.4})
    p2 = (sample.returns[["KO", "PEP"]] * w).sum(axis=1)
    assert risk.volatility(w, sample) == pytest.approx(p2.std() * math.sqrt(252), rel=1e-12)


def test_beta_and_tracking_error_match_linregress(sample):
    w = pd.Series({"JPM": 0.5, "XOM": 0.5})
    p = (sample.returns[["JPM", "XOM"]] * w).sum(axis=1)
    b = sample.benchmark_returns
    fit = stats.linregress(b.to_numpy(), p.to_numpy())
    assert risk.beta(w, sample) == pytest.approx(fit.slope, rel=1e-10)
    te = (p - b).std() * math.sqrt(252)
    assert risk.tracking_error(w, sample) == pytest.approx(te, rel=1e-12)
    # a benchmark given by hand, on fewer dates: only the overlap counts
    short = b.iloc[-300:]
    fit2 = stats.linregress(short.to_numpy(), p.iloc[-300:].to_numpy())
    assert risk.beta(w, sample.returns, short) == pytest.approx(fit2.slope, rel=1e-10)
    with pytest.raises(ValidationError, match="benchmark"):
        risk.beta(w, sample.returns)


def test_instrument_betas_pairwise_against_linregress():
    rets = _returns(400, 4)
    bench = rets.mean(axis=1) + 0.001
    rets.iloc[:120, 1] = np.nan  # late listing
    rets.iloc[200:210, 2] = np.nan  # a gap
    got = risk.instrument_betas(rets, bench, window=None, min_periods=60)
    for col in rets.columns:
        ok = rets[col].notna()
        fit = stats.linregress(bench[ok], rets.loc[ok, col])
        assert got[col] == pytest.approx(fit.slope, rel=1e-10)
    last = risk.instrument_betas(rets, bench, window=100, min_periods=60)
    fit = stats.linregress(bench.iloc[-100:], rets["A0"].iloc[-100:])
    assert last["A0"] == pytest.approx(fit.slope, rel=1e-10)
    assert risk.instrument_betas(rets.iloc[:150], bench, window=None, min_periods=60).isna()["A1"]


# --------------------------------------------------------------------- VaR / CVaR
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99, 0.975])
@pytest.mark.parametrize("n", [100, 250, 601])
def test_historical_var_is_numpy_inverted_cdf_and_cvar_is_tail_mean(confidence, n):
    rets = _returns(n)
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1).to_numpy()
    var = risk.value_at_risk(WEIGHTS, rets, confidence=confidence)
    assert var == pytest.approx(_inverted_cdf_var(p, confidence), abs=1e-15)
    # CVaR = VaR + E[(L - VaR)+] / (1 - c), by a full sort
    losses = np.sort(-p)
    cvar_ref = var + np.maximum(losses - var, 0).sum() / ((1 - confidence) * n)
    cvar = risk.conditional_value_at_risk(WEIGHTS, rets, confidence=confidence)
    assert cvar == pytest.approx(cvar_ref, rel=1e-12)
    k = (1 - confidence) * n
    if abs(k - round(k)) < 1e-9:  # a whole number of tail days: CVaR is their mean loss
        assert cvar == pytest.approx(losses[-round(k) :].mean(), rel=1e-12)


def test_historical_horizon_uses_overlapping_sums():
    rets = _returns(500)
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1)
    sums = p.rolling(10).sum().dropna().to_numpy()
    var = risk.value_at_risk(WEIGHTS, rets, horizon=10, confidence=0.99)
    assert var == pytest.approx(_inverted_cdf_var(sums, 0.99), abs=1e-15)
    cvar = risk.conditional_value_at_risk(None, p, horizon=10, confidence=0.99)
    assert cvar == pytest.approx(
        var + np.maximum(-sums - var, 0).sum() / (0.01 * sums.size), rel=1e-12
    )


def test_historical_matches_skfolio_and_riskfolio():
    skm = pytest.importorskip("skfolio.measures")
    rets = _returns(777)  # (1 - c) n is not a whole number: every VaR convention agrees
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1).to_numpy()
    for c in (0.95, 0.99):
        assert risk.value_at_risk(WEIGHTS, rets, confidence=c) == pytest.approx(
            skm.value_at_risk(p, beta=c), rel=1e-12
        )
        assert risk.conditional_value_at_risk(WEIGHTS, rets, confidence=c) == pytest.approx(
            skm.cvar(p, beta=c), rel=1e-12
        )
    many = risk.historical_var_cvar(rets.to_numpy(), 0.95)
    np.testing.assert_allclose(many[0], skm.value_at_risk(rets.to_numpy(), beta=0.95))
    np.testing.assert_allclose(many[1], skm.cvar(rets.to_numpy(), beta=0.95))
    rf = pytest.importorskip("riskfolio.src.RiskFunctions")
    assert risk.value_at_risk(None, pd.Series(p)) == pytest.approx(rf.VaR_Hist(p, 0.05))
    assert risk.conditional_value_at_risk(None, pd.Series(p)) == pytest.approx(
        rf.CVaR_Hist(p, 0.05), rel=1e-12
    )


def test_parametric_matches_scipy_normal():
    rets = _returns()
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1)
    mu, sd = p.mean(), p.std()
    for c, h in [(0.95, 1), (0.99, 1), (0.99, 10)]:
        var = risk.value_at_risk(WEIGHTS, rets, confidence=c, horizon=h, method="parametric")
        assert var == pytest.approx(
            -stats.norm.ppf(1 - c, loc=h * mu, scale=math.sqrt(h) * sd), rel=1e-12
        )
        cvar = risk.conditional_value_at_risk(
            WEIGHTS, rets, confidence=c, horizon=h, method=VaRMethod.PARAMETRIC
        )
        dist = stats.norm(h * mu, math.sqrt(h) * sd)
        tail = dist.expect(lambda x: x, ub=dist.ppf(1 - c)) / (1 - c)
        assert cvar == pytest.approx(-tail, rel=1e-8)
    zero_mean = risk.value_at_risk(WEIGHTS, rets, method="parametric", demean=True)
    assert zero_mean == pytest.approx(-stats.norm.ppf(0.05, scale=sd), rel=1e-12)


def test_parametric_with_a_given_covariance(sample):
    w = pd.Series({"KO": 0.5, "MSFT": 0.3, "XOM": 0.2})
    cov = sample.covariance()  # annualised (attrs say so): divided by 252
    sub = cov.loc[w.index, w.index].to_numpy() / 252
    sd = math.sqrt(w.to_numpy() @ sub @ w.to_numpy())
    mu = (sample.returns[w.index] * w).sum(axis=1).mean()
    var = risk.value_at_risk(w, sample, method="parametric", cov=cov)
    assert var == pytest.approx(-(mu + sd * stats.norm.ppf(0.05)), rel=1e-12)
    daily = pd.DataFrame(sub, index=w.index, columns=w.index)  # plain frame: per period
    assert risk.value_at_risk(w, sample, method="parametric", cov=daily) == pytest.approx(var)
    with pytest.raises(ValidationError, match="cov"):
        risk.value_at_risk(w, sample, cov=cov)  # historical ignores a covariance: refuse it
    with pytest.raises(DataError, match="MSFT"):
        risk.value_at_risk(w, sample, method="parametric", cov=daily.drop(index="MSFT"))


def test_cornish_fisher_against_scipy_moments_and_numerical_tail():
    rets = _returns(2000, seed=3)
    p = (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1).to_numpy()
    mu, sd = p.mean(), p.std(ddof=1)
    s, k = stats.skew(p), stats.kurtosis(p)  # biased, excess

    def q(prob: float) -> float:  # textbook Cornish-Fisher quantile (Favre & Galeano 2002)
        z = stats.norm.ppf(prob)
        return z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36

    for c in (0.95, 0.99):
        var = risk.value_at_risk(None, pd.Series(p), confidence=c, method="cornish_fisher")
        assert var == pytest.approx(-(mu + sd * q(1 - c)), rel=1e-10)
        tail, _ = integrate.quad(q, 0, 1 - c, limit=200)
        cvar = risk.conditional_value_at_risk(
            None, pd.Series(p), confidence=c, method="cornish_fisher"
        )
        assert cvar == pytest.approx(-(mu + sd * tail / (1 - c)), rel=1e-7)
    # horizon: square-root-of-time on the one-period distribution
    v10 = risk.value_at_risk(None, pd.Series(p), horizon=10, method="cornish_fisher")
    assert v10 == pytest.approx(-(10 * mu + math.sqrt(10) * sd * q(0.05)), rel=1e-10)


def test_monte_carlo_converges_to_parametric_and_is_reproducible():
    rets = _returns(t_df=None)
    kw = {"confidence": 0.99, "method": "monte_carlo", "n_sims": 200_000}
    mc = risk.value_at_risk(WEIGHTS, rets, **kw)
    normal = risk.value_at_risk(WEIGHTS, rets, confidence=0.99, method="parametric")
    assert mc == pytest.approx(normal, rel=0.02)
    mc_cvar = risk.conditional_value_at_risk(WEIGHTS, rets, **kw)
    assert mc_cvar == pytest.approx(
        risk.conditional_value_at_risk(WEIGHTS, rets, confidence=0.99, method="parametric"),
        rel=0.02,
    )
    assert risk.value_at_risk(WEIGHTS, rets, **kw) == mc  # seed 0 by default
    assert risk.value_at_risk(WEIGHTS, rets, **kw, seed=1) != mc
    # the sample covariance is what the draws use: a given one with twice the variance scales
    # the zero-mean figures by sqrt(2)
    cov2 = rets.cov() * 2
    a = risk.value_at_risk(WEIGHTS, rets, **kw, demean=True)
    b = risk.value_at_risk(WEIGHTS, rets, **kw, demean=True, cov=cov2)
    assert b == pytest.approx(a * math.sqrt(2), rel=1e-12)
    series = risk.value_at_risk(None, (rets[WEIGHTS.index] * WEIGHTS).sum(axis=1), **kw)
    assert series == pytest.approx(normal, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 95}, "0.95, not 95"),
        ({"confidence": 1.0}, "confidence"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 2.5}, "horizon"),
        ({"method": "garch"}, "method must be one of"),
        ({"missing": "ffill"}, "missing must be one of"),
        ({"method": "monte_carlo", "n_sims": 10}, "n_sims"),
    ],
)
def test_bad_var_arguments(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        risk.value_at_risk(WEIGHTS, _returns(), **kwargs)


def test_var_needs_enough_dates():
    rets = _returns(5)
    with pytest.raises(DataError, match="horizon"):
        risk.value_at_risk(WEIGHTS, rets, horizon=6)
    with pytest.raises(DataError, match="at least 3"):
        risk.value_at_risk(WEIGHTS, rets.iloc[:2], method="parametric")


def test_fast_path_per_column_with_nan_and_frames():
    rets = _returns(900, 6)
    rets.iloc[:300, 2] = np.nan  # late listing
    rets.iloc[500, 4] = np.nan
    got = risk.historical_var_cvar(rets, confidence=0.975, horizon=5)
    assert list(got.columns) == ["var", "cvar"]
    for col in rets.columns:
        s = rets[col].dropna()
        sums = s.rolling(5).sum().dropna().to_numpy()  # windows over the valid values
        assert got.loc[col, "var"] == pytest.approx(_inverted_cdf_var(sums, 0.975), abs=1e-15)
        assert got.loc[col, "cvar"] == pytest.approx(
            risk.conditional_value_at_risk(None, s, confidence=0.975, horizon=5), rel=1e-12
        )
    v, c = risk.historical_var_cvar(rets["A0"].to_numpy())
    assert (v, c) == risk.historical_var_cvar(rets["A0"])
    assert isinstance(v, float) and c >= v
    short = risk.historical_var_cvar(rets.iloc[:3].to_numpy(), horizon=4)
    assert np.isnan(short[0]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 400),
    c=st.floats(0.8, 0.995),
    scale=st.floats(0.1, 10.0),
    shift=st.floats(-0.01, 0.01),
)
def test_var_invariants(seed, n, c, scale, shift):
    r = pd.Series(np.random.default_rng(seed).standard_t(3, n) * 0.01)
    var, cvar = risk.historical_var_cvar(r, c)
    assert cvar >= var - 1e-15
    assert var == pytest.approx(_snapped_var(r.to_numpy(), c), abs=1e-15)
    # positive homogeneity and translation (cash added to every outcome)
    v2, c2 = risk.historical_var_cvar(r * scale + shift, c)
    assert v2 == pytest.approx(scale * var - shift, abs=1e-12)
    assert c2 == pytest.approx(scale * cvar - shift, abs=1e-12)
    # more confidence never lowers VaR or CVaR
    v3, c3 = risk.historical_var_cvar(r, min(c + 0.004, 0.999))
    assert v3 >= var - 1e-15 and c3 >= cvar - 1e-15
    for method in (VaRMethod.PARAMETRIC, VaRMethod.CORNISH_FISHER):
        pv = risk.value_at_risk(None, r, confidence=c, method=method)
        pc = risk.conditional_value_at_risk(None, r, confidence=c, method=method)
        assert pc >= pv - 1e-12 or method == VaRMethod.CORNISH_FISHER


# ------------------------------------------------------------------------ drawdowns
def test_drawdowns_by_hand_and_against_peers():
    r = pd.Series([-0.1, 0.2, -0.5, 0.5, 0.4], index=DATES[:5])
    dd = risk.drawdowns(r)
    wealth = np.array([0.9, 1.08, 0.54, 0.81, 1.134])
    np.testing.assert_allclose(dd["wealth"], wealth)
    np.testing.assert_allclose(dd["peak"], [1.0, 1.08, 1.08, 1.08, 1.134])
    np.testing.assert_allclose(dd["drawdown"], [0.1, 0.0, 0.5, 0.25, 0.0])
    assert risk.max_drawdown(r) == pytest.approx(0.5)
    assert risk.max_drawdown(pd.Series([0.01, 0.02])) == 0.0
    p = _returns(800, 3).mean(axis=1) * 3
    skm = pytest.importorskip("skfolio.measures")
    ref = skm.max_drawdown(skm.get_drawdowns(p.to_numpy(), compounded=True))
    assert risk.max_drawdown(p) == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(
        -risk.drawdowns(p)["drawdown"], skm.get_drawdowns(p.to_numpy(), compounded=True)
    )
    rf = pytest.importorskip("riskfolio.src.RiskFunctions")
    assert risk.max_drawdown(p) == pytest.approx(rf.MDD_Rel(p.to_numpy()), rel=1e-12)


def test_drawdowns_skip_nan_and_reject_frames():
    r = pd.Series([0.1, np.nan, -0.2], index=DATES[:3])
    assert len(risk.drawdowns(r)) == 2
    with pytest.raises(ValidationError, match="Series"):
        risk.drawdowns(_returns())
    with pytest.raises(DataError):
        risk.drawdowns(pd.Series([np.nan, np.nan]))


# ------------------------------------------------------------------- decomposition
def test_risk_contributions_euler_and_finite_differences():
    rets = _returns()
    cov = rets.cov() * 252
    w = WEIGHTS.reindex(rets.columns, fill_value=0.0)  # A3 held at zero: marginal only
    rc = risk.risk_contributions(w, cov)
    sig = cov.to_numpy()
    wv = w.to_numpy()
    vol = math.sqrt(wv @ sig @ wv)
    assert rc["component"].sum() == pytest.approx(vol, rel=1e-12)
    assert rc["percent"].sum() == pytest.approx(1.0, rel=1e-12)
    assert rc.loc["A3", "component"] == 0 and rc.loc["A3", "marginal"] != 0
    eps = 1e-7
    for i, name in enumerate(w.index):
        up, dn = wv.copy(), wv.copy()
        up[i] += eps
        dn[i] -= eps
        fd = (math.sqrt(up @ sig @ up) - math.sqrt(dn @ sig @ dn)) / (2 * eps)
        assert rc.loc[name, "marginal"] == pytest.approx(fd, rel=1e-6)
    # the hedge (negative weight) has a negative share of risk here
    assert rc.loc["A2", "percent"] < 0


def test_risk_contributions_match_riskfolio():
    rf = pytest.importorskip("riskfolio.src.RiskFunctions")
    rets = _returns()
    w = WEIGHTS.reindex(rets.columns, fill_value=0.0).abs()
    cov = rets.cov()
    ref = rf.Risk_Contribution(w.to_frame(), rets, cov=cov, rm="MV")
    got = risk.risk_contributions(w, cov)["component"].to_numpy()
    np.testing.assert_allclose(got, np.ravel(ref), rtol=1e-5, atol=1e-10)


def test_sector_contributions_and_market_inputs(sample):
    w = pd.Series({"AAPL": 0.2, "MSFT": 0.2, "JPM": 0.3, "XOM": 0.3})
    rc = risk.risk_contributions(w, sample)  # the market's default covariance
    cov = sample.covariance()
    vol = math.sqrt(w.to_numpy() @ cov.loc[w.index, w.index].to_numpy() @ w.to_numpy())
    assert rc["component"].sum() == pytest.approx(vol, rel=1e-12)
    sec = risk.sector_risk_contributions(w, sample)
    g = cov.loc[w.index, w.index].to_numpy() @ w.to_numpy() / vol  # ∂σ/∂w, by hand
    it = w["AAPL"] * g[0] + w["MSFT"] * g[1]
    assert sec.loc["Information Technology", "component"] == pytest.approx(it, rel=1e-12)
    assert sec.loc["Financials", "weight"] == pytest.approx(0.3)
    assert sec["percent"].sum() == pytest.approx(1.0)
    arr = risk.risk_contributions(np.array([0.5, 0.5]), np.array([[0.04, 0.0], [0.0, 0.01]]))
    np.testing.assert_allclose(
        arr["component"], [0.01 / math.sqrt(0.0125), 0.0025 / math.sqrt(0.0125)]
    )
    with pytest.raises(DataError, match="variance is zero"):
        risk.risk_contributions({"AAPL": 0.0}, sample)
    with pytest.raises(DataError, match="ZZZ"):
        risk.risk_contributions({"ZZZ": 1.0}, sample)
    with pytest.raises(ValidationError, match="sectors"):
        risk.sector_risk_contributions(w, cov)


def test_concentration_closed_forms():
    assert risk.concentration({"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}) == pytest.approx(
        {"herfindahl": 0.25, "effective_n": 4.0}
    )
    # shorts count by size; cash is excluded: shares 0.5, 0.25, 0.25
    got = risk.concentration(pd.Series({"a": 0.4, "b": -0.2, "c": 0.2}))
    assert got["herfindahl"] == pytest.approx(0.375)
    assert got["effective_n"] == pytest.approx(1 / 0.375)
    assert risk.concentration(np.array([1.0]))["effective_n"] == 1.0
    with pytest.raises(ValidationError, match="non-zero"):
        risk.concentration({"a": 0.0})


def test_sector_exposures_match_portfolio_state(sample):
    state = PortfolioState.from_dict(
        {
            "positions": {
                "AAPL": {"quantity": 100, "avg_price": 1.0},
                "MSFT": {"quantity": -50, "avg_price": 1.0},
                "KO": {"quantity": 300, "avg_price": 1.0},
            },
            "cash": 50_000.0,
        }
    )
    prices = sample.last_prices
    w = state.weights(prices)
    got = risk.sector_exposures(w, sample)
    gross = state.sector_exposures(prices, sample.sectors)
    net = state.sector_exposures(prices, sample.sectors, gross=False)
    pd.testing.assert_series_equal(got["gross"], gross, check_names=False)
    pd.testing.assert_series_equal(got["net"], net, check_names=False)
    it = got.loc["Information Technology"]
    assert it["long"] == pytest.approx(w["AAPL"]) and it["short"] == pytest.approx(w["MSFT"])
    unknown = risk.sector_exposures({"AAPL": 0.1, "NEW": 0.2}, {"AAPL": "Tech"})
    assert unknown.loc["Unknown", "net"] == pytest.approx(0.2)


# ------------------------------------------------------------------ factor exposures
def test_factor_exposures_against_sklearn_and_statsmodels(sample):
    w = pd.Series({"AAPL": 0.3, "JNJ": 0.3, "XOM": 0.4})
    p = risk.portfolio_returns(w, sample)
    f = sample.factor_returns
    got = risk.factor_exposures(p, f)
    both = pd.concat([p, f], axis=1).dropna()  # factors start in 2014: earlier rows dropped
    y, x = both.iloc[:, 0].to_numpy(), both.iloc[:, 1:].to_numpy()
    assert got["n_obs"] == len(both)
    from sklearn.linear_model import LinearRegression

    lr = LinearRegression().fit(x, y)
    np.testing.assert_allclose(got[list(f.columns)].to_numpy(float), lr.coef_, rtol=1e-9)
    assert got["alpha"] == pytest.approx(lr.intercept_ * 252, rel=1e-9)
    assert got["r_squared"] == pytest.approx(lr.score(x, y), rel=1e-10)
    sm = pytest.importorskip("statsmodels.api")
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    assert got["r_squared"] == pytest.approx(ols.rsquared, rel=1e-10)
    assert got["residual_vol"] == pytest.approx(math.sqrt(ols.scale * 252), rel=1e-10)


def test_factor_exposures_frame_is_linear_and_per_column():
    rets = _returns(500, 4)
    factors = pd.DataFrame(
        {"F1": rets.mean(axis=1), "F2": np.random.default_rng(5).normal(0, 0.01, 500)},
        index=rets.index,
    )
    many = risk.factor_exposures(rets, factors, annualize=False)
    w = pd.Series([0.1, 0.2, 0.3, 0.4], index=rets.columns)
    one = risk.factor_exposures(rets @ w, factors, annualize=False)
    # OLS is linear in the dependent variable: portfolio betas are weighted instrument betas
    for name in ("alpha", "F1", "F2"):
        assert one[name] == pytest.approx(float(many[name] @ w), rel=1e-10)
    holes = rets.copy()
    holes.iloc[:50, 1] = np.nan
    holes.iloc[:, 3] = np.nan
    got = risk.factor_exposures(holes, factors, annualize=False)
    alone = risk.factor_exposures(holes["A1"], factors, annualize=False)
    assert got.loc["A1", "F1"] == pytest.approx(alone["F1"], rel=1e-12)
    assert got.loc["A1", "n_obs"] == 450 and got.loc["A0", "n_obs"] == 500
    assert np.isnan(got.loc["A3", "F1"])
    with pytest.raises(DataError, match="at least 4"):
        risk.factor_exposures(holes["A3"], factors)

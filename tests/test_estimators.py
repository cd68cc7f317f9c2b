"""Expected returns and risk models by PyPortfolioOpt behind ``Market`` (issue 15).

Every estimator is compared with PyPortfolioOpt called directly on the same cleaned data
(``market.returns``, its benchmark, its periods per year) to 1e-12; the CAPM betas with a
least-squares fit by hand; the implied prior with the market weights it must give back.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypfopt import black_litterman as pbl
from pypfopt import expected_returns as per
from pypfopt import risk_models as prm

from portlab.analytics.estimators import (
    ReturnMethod,
    RiskModel,
    capm_betas,
    expected_returns,
    risk_matrix,
)
from portlab.analytics.optimize import views_from_signals
from portlab.datasets import example_batch, load_sample
from portlab.events import signals_to_frame
from portlab.exceptions import DataError, DataRepairWarning, ValidationError
from portlab.linalg import repair_psd
from portlab.market import CovMethod, Market

ATOL = 1e-12
WEIGHTS = {"AAPL": 2.0, "MSFT": 1.5, "XOM": 0.5, "JNJ": 0.8, "JPM": 0.6, "KO": 0.4}


def close(actual, expected, atol: float = ATOL) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=0, atol=atol)


@contextlib.contextmanager
def pypfopt_quiet() -> Iterator[None]:
    """PyPortfolioOpt's notice on NaN returns (portlab silences it and documents the rule)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Some returns are NaN")
        yield


@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def recent(sample) -> pd.DataFrame:
    return sample.returns.iloc[-504:]


def _gappy(periods_per_year: int = 252) -> Market:
    """A market with a late listing (L), a delisting (D), a long gap (G) and a benchmark that
    starts late: the data rules in front of PyPortfolioOpt."""
    rng = np.random.default_rng(7)
    n = 300
    bench = rng.normal(0.0004, 0.01, n)
    r = bench[:, None] * np.array([0.8, 1.2, 1.0, 0.5]) + rng.normal(0, 0.008, (n, 4))
    idx = pd.bdate_range("2020-01-01", periods=n, name="Date")
    px = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=idx, columns=["A", "L", "D", "G"])
    px.iloc[:120, 1] = np.nan  # late listing
    px.iloc[250:, 2] = np.nan  # delisted
    px.iloc[100:130, 3] = np.nan  # a gap longer than max_ffill: stays NaN
    b = pd.Series(100 * np.cumprod(1 + bench), index=idx, name="IDX")
    b.iloc[:10] = np.nan  # the benchmark starts late too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Market(
            px,
            benchmark=b,
            sectors=dict.fromkeys(px.columns, "X"),
            periods_per_year=periods_per_year,
        )


@pytest.fixture(scope="module")
def gappy() -> Market:
    return _gappy()


# ------------------------------------------------------------------ historical returns
@pytest.mark.parametrize("which", ["sample", "gappy", "monthly"])
@pytest.mark.parametrize(
    ("method", "compounding"), [("mean", False), ("compounded", True)], ids=["mean", "compounded"]
)
def test_historical_means_equal_pypfopt(which, method, compounding, sample):
    market = {"sample": sample, "gappy": _gappy(), "monthly": _gappy(12)}[which]
    mu = market.expected_returns(method)
    with pypfopt_quiet():
        direct = per.mean_historical_return(
            market.returns,
            returns_data=True,
            compounding=compounding,
            frequency=market.periods_per_year,
        )
    close(mu, direct)
    assert mu.name == method and list(mu.index) == list(market.instruments)
    assert mu.attrs == {
        "method": method,
        "frequency": market.periods_per_year,
        "window": None,
        "n_obs": len(market.returns),
    }


def test_window_uses_the_last_rows(sample, recent):
    mu = sample.expected_returns("mean", window=504)
    close(mu, recent.mean() * 252)
    assert mu.attrs["window"] == 504 and mu.attrs["n_obs"] == 504


@pytest.mark.parametrize("compounding", [False, True])
@pytest.mark.parametrize("which", ["sample", "gappy"])
def test_ewma_equals_pypfopt(which, compounding, sample, gappy):
    market = sample if which == "sample" else gappy
    mu = market.expected_returns("ewma", span=60, compounding=compounding)
    with pypfopt_quiet():
        direct = per.ema_historical_return(
            market.returns, returns_data=True, compounding=compounding, span=60, frequency=252
        )
    close(mu, direct)
    assert mu.attrs["span"] == 60.0 and mu.attrs["compounding"] is compounding


def test_ewma_default_span_is_pypfopts(sample):
    mu = sample.expected_returns("ewma")
    close(mu, per.ema_historical_return(sample.returns, returns_data=True, compounding=False))
    assert mu.attrs["span"] == 500.0


def test_nan_rules_late_listing_delisting_gap(gappy):
    rets = gappy.returns
    mean = gappy.expected_returns("mean")
    # each instrument over its own valid rows
    for name in gappy.instruments:
        close(mean[name], rets[name].dropna().mean() * 252)
    # compounding over the valid rows, with their number as the time span
    comp = gappy.expected_returns("compounded")
    valid = rets["L"].dropna()
    close(comp["L"], np.prod(1 + valid) ** (252 / len(valid)) - 1)
    # the delisted instrument keeps its weighted mean as of its last return
    ewma = gappy.expected_returns("ewma", span=30)
    last = rets["D"].ewm(span=30).mean().loc[rets["D"].last_valid_index()]
    close(ewma["D"], last * 252)


def test_an_instrument_without_returns_gets_nan_not_zero():
    returns = pd.DataFrame({"A": [0.01, 0.02, -0.01], "B": [np.nan] * 3})
    with pypfopt_quiet():
        assert per.mean_historical_return(returns, returns_data=True)["B"] == 0.0
    for method in ("mean", "compounded", "ewma"):
        mu = expected_returns(returns, method)
        assert np.isnan(mu["B"]) and np.isfinite(mu["A"])


# ---------------------------------------------------------------------------- CAPM
@pytest.mark.parametrize("compounding", [False, True])
@pytest.mark.parametrize("which", ["sample", "gappy"])
def test_capm_equals_pypfopt(which, compounding, sample, gappy):
    market = sample if which == "sample" else gappy
    mu = market.expected_returns("capm", risk_free_rate=0.02, compounding=compounding)
    with pypfopt_quiet():
        direct = per.capm_return(
            market.returns,
            market.benchmark_returns.to_frame(),
            returns_data=True,
            risk_free_rate=0.02,
            compounding=compounding,
            frequency=252,
        )
    close(mu, direct)
    assert mu.attrs["risk_free_rate"] == 0.02 and mu.attrs["compounding"] is compounding


def test_capm_betas_equal_ols_by_hand(recent, sample):
    bench = sample.benchmark_returns.iloc[-504:]
    betas = capm_betas(recent, bench)
    design = np.column_stack([np.ones(len(bench)), bench.to_numpy()])
    coef, *_ = np.linalg.lstsq(design, recent.to_numpy(), rcond=None)
    close(betas, coef[1])
    assert betas.name == "beta" and list(betas.index) == list(recent.columns)
    # and the CAPM returns are built from them: r_f + β (E[R_m] − r_f)
    mu = sample.expected_returns("capm", window=504, risk_free_rate=0.01)
    close(mu, 0.01 + betas * (bench.mean() * 252 - 0.01))


def test_capm_betas_with_a_late_listing_are_pypfopts_pairwise_ratio(gappy):
    rets, bench = gappy.returns, gappy.benchmark_returns
    betas = capm_betas(rets, bench)
    both = rets["L"].notna() & bench.notna()
    x, m = rets["L"][both], bench[both]
    pairwise = ((x - x.mean()) * (m - m.mean())).sum() / (len(m) - 1) / bench.var()
    close(betas["L"], pairwise)
    # the OLS slope on the overlap differs: the variance runs over the benchmark's own rows
    assert abs(betas["L"] - np.polyfit(m, x, 1)[0]) > 1e-6
    # an instrument with a return on every benchmark date: the OLS slope
    both = rets["A"].notna() & bench.notna()
    close(betas["A"], np.polyfit(bench[both], rets["A"][both], 1)[0], atol=1e-10)


def test_capm_accepts_an_instrument_called_mkt():
    rng = np.random.default_rng(3)
    bench = pd.Series(rng.normal(0, 0.01, 50))
    returns = pd.DataFrame({"mkt": bench * 2 + 0.001, "B": bench * 0.5})
    close(capm_betas(returns, bench), [2.0, 0.5])
    mu = expected_returns(returns, "capm", benchmark_returns=bench)
    assert list(mu.index) == ["mkt", "B"] and np.isfinite(mu).all()


# ----------------------------------------------------------------- market implied
def test_market_implied_equals_pypfopt(sample):
    prior = sample.expected_returns("market_implied", market_weights=WEIGHTS, risk_free_rate=0.01)
    cov = sample.covariance()
    delta = pbl.market_implied_risk_aversion(sample.benchmark, frequency=252, risk_free_rate=0.01)
    caps = pd.Series(WEIGHTS).reindex(sample.instruments, fill_value=0.0)
    direct = pbl.market_implied_prior_returns(caps, delta, cov, risk_free_rate=0.01)
    close(prior, direct)
    assert prior.attrs["risk_aversion"] == pytest.approx(delta, rel=1e-12)
    assert prior.attrs["cov"] == "ledoit_wolf" and prior.name == "market_implied"


@pytest.mark.parametrize("risk_free_rate", [0.0, 0.03])
def test_implied_prior_gives_back_the_market_weights(sample, risk_free_rate):
    cov = sample.covariance("sample")
    prior = sample.expected_returns(
        "market_implied",
        cov=cov,
        market_weights=WEIGHTS,
        risk_aversion=3.0,
        risk_free_rate=risk_free_rate,
    )
    # unconstrained mean-variance: w = (δΣ)⁻¹ (π − r_f)
    w = np.linalg.solve(3.0 * cov.to_numpy(), prior.to_numpy() - risk_free_rate)
    market = pd.Series(WEIGHTS).reindex(sample.instruments, fill_value=0.0)
    close(w, market / market.sum(), atol=1e-10)


def test_implied_prior_leaves_out_instruments_without_covariance(gappy):
    cov = gappy.covariance("sample", min_periods=200)  # L has 179 returns: NaN row
    assert cov["L"].isna().all()
    prior = gappy.expected_returns(
        "market_implied", cov=cov, market_weights={"A": 1.0, "D": 1.0}, risk_aversion=2.0
    )
    assert np.isnan(prior["L"])
    sub = cov.drop(index="L", columns="L")
    direct = pbl.market_implied_prior_returns(pd.Series({"A": 1.0, "D": 1.0, "G": 0.0}), 2.0, sub)
    close(prior.drop("L"), direct)
    with pytest.raises(DataError, match="L held in the market portfolio"):
        gappy.expected_returns(
            "market_implied", cov=cov, market_weights={"L": 1.0}, risk_aversion=2.0
        )


# ---------------------------------------------------------------- Black-Litterman
VIEWS = {"AAPL": 0.12, "XOM": -0.05, "JPM": 0.08}


@pytest.mark.parametrize("confidences", [None, {"AAPL": 0.9, "XOM": 0.3, "JPM": 0.6}])
def test_black_litterman_from_views_equals_pypfopt(sample, confidences):
    mu = sample.expected_returns(
        "black_litterman",
        market_weights=WEIGHTS,
        risk_aversion=2.5,
        views=VIEWS,
        confidences=confidences,
        tau=0.1,
    )
    cov = sample.covariance()
    caps = pd.Series(WEIGHTS).reindex(sample.instruments, fill_value=0.0)
    prior = pbl.market_implied_prior_returns(caps, 2.5, cov)
    model = pbl.BlackLittermanModel(
        cov,
        pi=prior,
        absolute_views=VIEWS,
        omega="default" if confidences is None else "idzorek",
        view_confidences=None if confidences is None else list(confidences.values()),
        tau=0.1,
    )
    close(mu, model.bl_returns())
    omega = "default" if confidences is None else "idzorek"
    assert mu.attrs["risk_aversion"] == 2.5
    assert (mu.attrs["omega"], mu.attrs["n_views"], mu.attrs["tau"]) == (omega, 3, 0.1)
    assert mu.attrs["prior"] == "market_implied" and mu.attrs["views"] == "views"


def test_black_litterman_with_a_given_prior(sample):
    prior = sample.expected_returns("mean", window=504)
    mu = sample.expected_returns("black_litterman", prior=prior, views={"MSFT": 0.1})
    direct = pbl.BlackLittermanModel(
        sample.covariance(), pi=prior, absolute_views={"MSFT": 0.1}
    ).bl_returns()
    close(mu, direct)
    assert mu.attrs["prior"] == "given"


def test_a_certain_view_is_imposed(sample):
    mu = sample.expected_returns(
        "black_litterman",
        market_weights=WEIGHTS,
        risk_aversion=2.5,
        views={"KO": 0.2},
        confidences=[1.0],
    )
    close(mu["KO"], 0.2, atol=1e-10)


def _small_batch() -> list:
    """Two opposite signals on AAPL, one on LLY with a 5-day horizon, a HOLD and a signal
    with confidence 0 (neither gives a view)."""
    signals = example_batch().signals
    aapl_buy, aapl_sell, lly = signals[0], signals[1], signals[2]
    lly = lly.model_copy(
        update={"expected_outcomes": lly.expected_outcomes.model_copy(update={"horizon_days": 5})}
    )
    hold = signals[11]  # UNH HOLD
    zero = signals[3].model_copy(
        update={"signal": signals[3].signal.model_copy(update={"confidence": 0.0})}
    )
    return [aapl_buy, aapl_sell, lly, hold, zero]


def test_views_from_signals_by_hand():
    batch = _small_batch()
    q, conf = views_from_signals(batch, periods_per_year=252)
    # AAPL: 0.025 (c 0.81) and -0.015 (c 0.62) over the default 21 days, annualised, combined
    # with Idzorek odds c / (1 - c) as weights; LLY: 0.03 over 5 days
    o1, o2 = 0.81 / 0.19, 0.62 / 0.38
    a1, a2 = 0.025 * 252 / 21, -0.015 * 252 / 21
    assert list(q.index) == ["AAPL", "LLY"]
    close(q, [(o1 * a1 + o2 * a2) / (o1 + o2), 0.03 * 252 / 5])
    close(conf, [(o1 + o2) / (1 + o1 + o2), 0.74])
    # the same from the batch as a frame
    q2, conf2 = views_from_signals(signals_to_frame(batch), periods_per_year=252)
    close(q2, q)
    close(conf2, conf)


def test_black_litterman_from_signals_equals_pypfopt_on_views_by_hand(sample):
    batch = _small_batch()
    mu = sample.expected_returns(
        "black_litterman", market_weights=WEIGHTS, risk_aversion=2.5, signals=batch
    )
    o1, o2 = 0.81 / 0.19, 0.62 / 0.38
    views = {
        "AAPL": (o1 * 0.025 * 12 - o2 * 0.015 * 12) / (o1 + o2),
        "LLY": 0.03 * 252 / 5,
    }
    confidences = [(o1 + o2) / (1 + o1 + o2), 0.74]
    cov = sample.covariance()
    caps = pd.Series(WEIGHTS).reindex(sample.instruments, fill_value=0.0)
    direct = pbl.BlackLittermanModel(
        cov,
        pi=pbl.market_implied_prior_returns(caps, 2.5, cov),
        absolute_views=views,
        omega="idzorek",
        view_confidences=confidences,
    ).bl_returns()
    close(mu, direct)
    assert (mu.attrs["views"], mu.attrs["omega"], mu.attrs["n_views"]) == ("signals", "idzorek", 2)


def test_black_litterman_from_the_example_batch(sample):
    mu = sample.expected_returns(
        "black_litterman", market_weights=WEIGHTS, signals=example_batch().signals
    )
    assert mu.attrs["n_views"] == 12 and np.isfinite(mu).all()


# -------------------------------------------------------------------- risk models
SHRINKAGE = {
    "ledoit_wolf_single_factor": lambda s: s.ledoit_wolf("single_factor"),
    "ledoit_wolf_constant_correlation": lambda s: s.ledoit_wolf("constant_correlation"),
    "oracle_approximating": lambda s: s.oracle_approximating(),
}


@pytest.mark.parametrize("method", sorted(SHRINKAGE))
def test_shrinkage_equals_pypfopt(sample, recent, method):
    cov = sample.covariance(method)
    shrink = prm.CovarianceShrinkage(recent, returns_data=True, frequency=252)
    direct = SHRINKAGE[method](shrink)
    close(cov, direct)
    assert cov.attrs["method"] == method and cov.attrs["n_obs"] == 504
    assert cov.attrs["shrinkage"] == pytest.approx(shrink.delta, abs=1e-15)
    close(sample.covariance(method, annualize=False), direct / 252, atol=1e-15)
    close(sample.volatility(method), np.sqrt(np.diag(direct)))


def test_ledoit_wolf_constant_variance_is_portlabs_ledoit_wolf_and_pypfopts(sample, recent):
    assert CovMethod("ledoit_wolf_constant_variance") is CovMethod.LEDOIT_WOLF
    cov = sample.covariance("ledoit_wolf_constant_variance")
    direct = prm.CovarianceShrinkage(recent, returns_data=True).ledoit_wolf()
    close(cov, direct)
    close(risk_matrix(recent, "ledoit_wolf_constant_variance"), direct)


@pytest.mark.parametrize("threshold", [None, 0.001])
def test_semicovariance_equals_pypfopt(sample, recent, threshold):
    cov = sample.covariance("semicovariance", threshold=threshold)
    direct = prm.semicovariance(
        recent, returns_data=True, benchmark=threshold or 0.0, frequency=252
    )
    close(cov, direct)
    assert cov.attrs["threshold"] == (threshold or 0.0)
    assert np.isnan(cov.attrs["shrinkage"])


def test_risk_models_on_complete_rows_with_report(gappy):
    rets = gappy.returns.iloc[-250:]  # L listed late, a gap in G, D delisted 50 rows before
    dropped = len(rets) - len(rets.dropna())
    assert dropped > 100
    with pytest.warns(DataRepairWarning, match=f"dropped {dropped} rows"):
        cov = gappy.covariance("oracle_approximating", window=250, min_periods=60)
    direct = prm.CovarianceShrinkage(rets.dropna(), returns_data=True).oracle_approximating()
    close(cov, direct)
    assert cov.attrs["n_obs"] == len(rets.dropna())
    row = gappy.report[gappy.report["row"] == "oracle_approximating window=250"]
    assert row["count"].tolist() == [dropped] and "complete rows" in row["action"].iloc[0]
    # an instrument with fewer than min_periods returns (L: 179) is left out (NaN), not a
    # reason to drop everyone's rows
    with pytest.warns(DataRepairWarning, match="dropped"):
        cov = gappy.covariance("semicovariance", window=None, min_periods=200)
    assert cov["L"].isna().all() and cov.loc["L"].isna().all()
    keep = gappy.returns.drop(columns="L").dropna()
    direct = prm.semicovariance(keep, returns_data=True, benchmark=0)
    close(cov.drop(index="L", columns="L"), direct)


def test_risk_model_with_too_few_complete_rows_says_what_to_do(gappy):
    with pytest.raises(DataError, match="rows are complete.*select\\(\\)"):
        gappy.covariance("ledoit_wolf_single_factor", window=None, min_periods=150)


def test_risk_matrix_refuses_missing_values():
    returns = pd.DataFrame({"A": [0.01, np.nan, 0.02], "B": [0.0, 0.01, 0.02]})
    with pytest.raises(DataError, match="needs complete rows"):
        risk_matrix(returns, "semicovariance")


# ----------------------------------------------------------------- the one repair
def test_a_given_covariance_with_rounding_negative_eigenvalue_is_repaired_and_reported():
    rng = np.random.default_rng(1)
    px = pd.DataFrame(
        100 * np.cumprod(1 + rng.normal(0, 0.01, (100, 3)), axis=0),
        index=pd.bdate_range("2021-01-01", periods=100),
        columns=["A", "B", "C"],
    )
    vecs = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    given = (vecs * np.array([-1e-10, 0.02, 0.05])) @ vecs.T
    given = (given + given.T) / 2
    with pytest.warns(DataRepairWarning, match="covariance \\(given\\): 1 negative eigenvalues"):
        market = Market(px, covariance=given, sectors=dict.fromkeys("ABC", "X"))
    close(market.covariance(), repair_psd(given)[0], atol=0)
    assert np.linalg.eigvalsh(market.covariance().to_numpy())[0] >= -1e-12 * 0.05
    row = market.report[market.report["row"] == "given"]
    assert "fix_nonpositive_semidefinite" in row["action"].iloc[0]


# ---------------------------------------------------------------------- bad input
def test_unknown_method_names_it_and_the_choices(sample):
    with pytest.raises(ValidationError, match="'median'") as info:
        sample.expected_returns("median")
    assert all(repr(str(m)) in str(info.value) for m in ReturnMethod)
    with pytest.raises(ValidationError, match="'median'") as info:
        sample.covariance("median")
    assert all(repr(str(m)) in str(info.value) for m in CovMethod)
    with pytest.raises(ValidationError, match="'median'") as info:
        risk_matrix(sample.returns, "median")
    assert all(repr(str(m)) in str(info.value) for m in RiskModel)


def test_capm_without_benchmark_is_a_clear_error(gappy):
    market = Market(gappy.prices, sectors=gappy.sectors)
    with pytest.raises(ValidationError, match="'capm' needs benchmark returns.*with_benchmark"):
        market.expected_returns("capm")
    with pytest.raises(ValidationError, match="needs risk_aversion, or benchmark returns"):
        market.expected_returns("market_implied", market_weights={"A": 1.0})
    with pytest.raises(ValidationError, match="'capm' needs benchmark returns"):
        expected_returns(gappy.returns, "capm")


@pytest.mark.parametrize(
    ("method", "kwargs", "match"),
    [
        ("mean", {"span": 20}, "'mean' does not take span"),
        ("capm", {"span": 20}, "'capm' does not take span.*risk_free_rate, compounding"),
        ("ewma", {"span": 0.5}, "span must be a finite number >= 1"),
        ("ewma", {"compounding": "yes"}, "compounding must be True or False"),
        ("market_implied", {}, "market_weights is required"),
        ("market_implied", {"market_weights": {"NOPE": 1.0}}, "unknown instrument"),
        ("market_implied", {"market_weights": {"AAPL": -1.0}}, "negative"),
        ("market_implied", {"market_weights": WEIGHTS, "risk_aversion": 0}, "risk_aversion"),
        ("black_litterman", {"market_weights": WEIGHTS}, "views .* or signals"),
        ("black_litterman", {"market_weights": WEIGHTS, "views": {"X": 1}}, "unknown"),
        (
            "black_litterman",
            {"market_weights": WEIGHTS, "views": VIEWS, "tau": 2.0},
            "tau must be in",
        ),
        (
            "black_litterman",
            {"market_weights": WEIGHTS, "views": VIEWS, "omega": "idzorek"},
            "needs confidences",
        ),
        (
            "black_litterman",
            {"prior": {"AAPL": 0.1}, "risk_aversion": 2.0, "views": VIEWS},
            "give them or prior",
        ),
    ],
)
def test_bad_parameters_are_validation_errors(sample, method, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        sample.expected_returns(method, **kwargs)


def test_threshold_belongs_to_semicovariance(sample):
    with pytest.raises(ValidationError, match="threshold applies to method 'semicovariance'"):
        sample.covariance("sample", threshold=0.001)
    with pytest.raises(
        ValidationError, match=r"threshold \(a per-period return\): must be (a number|finite)"
    ):
        sample.covariance("semicovariance", threshold=float("nan"))


def test_infinite_returns_are_data_errors():
    returns = pd.DataFrame({"A": [0.01, np.inf, 0.02]})
    with pytest.raises(DataError, match="inf"):
        expected_returns(returns, "mean")


# --------------------------------------------------------------- inputs unchanged
@st.composite
def _returns_and_views(draw):
    n_rows = draw(st.integers(30, 80))
    n_cols = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    bench = rng.normal(0.0005, 0.01, n_rows)
    x = bench[:, None] * rng.uniform(0.3, 1.5, n_cols) + rng.normal(0, 0.01, (n_rows, n_cols))
    holes = rng.random(x.shape) < draw(st.sampled_from([0.0, 0.05]))
    x[holes] = np.nan
    cols = [f"I{i}" for i in range(n_cols)]
    idx = pd.bdate_range("2022-01-03", periods=n_rows)
    returns = pd.DataFrame(x, index=idx, columns=cols)
    cov = pd.DataFrame(np.cov(np.nan_to_num(x), rowvar=False) * 252, index=cols, columns=cols)
    return returns, pd.Series(bench, index=idx), cov, {cols[0]: 0.1}, pd.Series(1.0, cols)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_returns_and_views())
def test_inputs_are_never_mutated(case):
    returns, bench, cov, views, weights = case
    before = [returns.copy(deep=True), bench.copy(deep=True), cov.copy(deep=True)]
    before += [dict(views), weights.copy(deep=True)]
    calls = [
        dict(method="mean"),
        dict(method="compounded"),
        dict(method="ewma", span=10),
        dict(method="capm", risk_free_rate=0.01),
        dict(method="market_implied", cov=cov, market_weights=weights),
        dict(method="black_litterman", cov=cov, market_weights=weights, views=views),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # repair notices are not what this test is about
        for kwargs in calls:
            try:
                expected_returns(returns, benchmark_returns=bench, **kwargs)
            except DataError as exc:  # a bear benchmark: negative implied risk aversion
                assert "risk_aversion implied" in str(exc)
        capm_betas(returns, bench)
        risk_matrix(returns.dropna(), "oracle_approximating")
    pd.testing.assert_frame_equal(returns, before[0])
    pd.testing.assert_series_equal(bench, before[1])
    pd.testing.assert_frame_equal(cov, before[2])
    assert views == before[3]
    pd.testing.assert_series_equal(weights, before[4])


def test_market_data_unchanged_by_estimates(gappy):
    returns, bench = gappy.returns.copy(deep=True), gappy.benchmark_returns.copy(deep=True)
    gappy.expected_returns("capm")
    gappy.expected_returns(
        "black_litterman", market_weights={"A": 1.0}, risk_aversion=2.0, views={"A": 0.1}
    )
    pd.testing.assert_frame_equal(gappy.returns, returns)
    pd.testing.assert_series_equal(gappy.benchmark_returns, bench)


# -------------------------------------------------------------------- import cost
def test_importing_the_estimators_does_not_load_pypfopt():
    code = (
        "import sys, portlab.analytics.estimators, portlab.market; "
        "print(sorted(m for m in ('pypfopt', 'cvxpy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

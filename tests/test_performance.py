"""Tests of portlab.analytics.performance: values by hand, by a second method and by skfolio;
the empyrical-style contract (input type out, inputs never mutated); rolling versions against
the plain metric on each window; errors."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from portlab.analytics import performance as P
from portlab.exceptions import DataError, ValidationError

R5 = [0.10, -0.05, 0.02, -0.10, 0.03]


def _returns(n: int = 300, k: int = 3, seed: int = 0, nan: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bench = rng.normal(0.0004, 0.01, n)
    x = bench[:, None] * np.linspace(0.5, 1.5, k) + rng.normal(0.0002, 0.008, (n, k))
    if nan:
        x[rng.random(x.shape) < nan] = np.nan
    idx = pd.bdate_range("2020-01-01", periods=n, name="Date")
    return pd.DataFrame(x, index=idx, columns=[f"c{i}" for i in range(k)])


def _bench(frame: pd.DataFrame, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.01, len(frame)), index=frame.index, name="bench")


# --------------------------------------------------------------------------- by hand
def test_total_annualized_and_drawdown_by_hand():
    r = pd.Series(R5)
    growth = 1.10 * 0.95 * 1.02 * 0.90 * 1.03
    assert P.total_return(r) == pytest.approx(growth - 1, abs=1e-15)
    assert P.annualized_return(r, periods_per_year=5) == pytest.approx(growth - 1, abs=1e-15)
    assert P.annualized_return(r, periods_per_year=10) == pytest.approx(growth**2 - 1, abs=1e-14)
    # peak 1.10 after period 1, trough after period 4: 1.10·0.95·1.02·0.90
    assert P.max_drawdown(r) == pytest.approx(1 - 0.95 * 1.02 * 0.90, abs=1e-15)
    ann = growth**2 - 1
    assert P.calmar_ratio(r, periods_per_year=10) == pytest.approx(ann / (1 - 0.8721), rel=1e-12)
    assert P.hit_rate(r) == pytest.approx(3 / 5)
    # a first-period loss is a drawdown from the initial wealth
    assert P.max_drawdown(pd.Series([-0.2, 0.1])) == pytest.approx(0.2)
    assert P.max_drawdown(pd.Series([0.01, 0.02])) == 0.0


def test_sharpe_sortino_volatility_against_the_standard_library():
    r = pd.Series(R5)
    rf_annual = 0.05
    rf = (1 + rf_annual) ** (1 / 12) - 1
    ex = [x - rf for x in R5]
    sd = statistics.stdev(ex)
    assert P.volatility(r, periods_per_year=12) == pytest.approx(
        statistics.stdev(R5) * math.sqrt(12), rel=1e-13
    )
    expected_sharpe = statistics.fmean(ex) / sd * math.sqrt(12)
    got = P.sharpe_ratio(r, risk_free_rate=rf_annual, periods_per_year=12)
    assert got == pytest.approx(expected_sharpe, rel=1e-12)
    downside = math.sqrt(sum(min(x, 0.0) ** 2 for x in ex) / len(ex))
    got = P.sortino_ratio(r, risk_free_rate=rf_annual, periods_per_year=12)
    assert got == pytest.approx(statistics.fmean(ex) / downside * math.sqrt(12), rel=1e-12)


def test_benchmark_metrics_by_a_second_method():
    frame = _returns(400, 2)
    bench = _bench(frame, 7)
    y, x = frame["c0"].to_numpy(), bench.to_numpy()
    reg = stats.linregress(x, y)
    a, b = P.alpha_beta(frame["c0"], bench, periods_per_year=252)
    assert b == pytest.approx(reg.slope, rel=1e-10)
    assert a == pytest.approx(reg.intercept * 252, rel=1e-9)
    assert P.beta(frame["c0"], bench) == pytest.approx(reg.slope, rel=1e-10)
    active = y - x
    te = np.std(active, ddof=1) * np.sqrt(252)
    assert P.tracking_error(frame["c0"], bench) == pytest.approx(te, rel=1e-12)
    assert P.information_ratio(frame["c0"], bench) == pytest.approx(
        active.mean() / np.std(active, ddof=1) * np.sqrt(252), rel=1e-12
    )
    assert P.hit_rate(frame["c0"], bench) == pytest.approx(np.mean(active > 0))
    # with a risk-free rate, alpha is on excess returns: a = (mean(y-rf) - b·mean(x-rf))·P
    rf = (1.03) ** (1 / 252) - 1
    reg_ex = stats.linregress(x - rf, y - rf)
    a_rf = P.alpha(frame["c0"], bench, risk_free_rate=0.03)
    assert a_rf == pytest.approx(reg_ex.intercept * 252, rel=1e-9)


def test_against_skfolio_measures():
    sk = pytest.importorskip("skfolio.measures")
    frame = _returns(500, 4, seed=3)
    x = frame.to_numpy()
    np.testing.assert_allclose(
        P.volatility(frame).to_numpy(), sk.standard_deviation(x) * np.sqrt(252), rtol=1e-12
    )
    dd = sk.get_drawdowns(x, compounded=True)
    np.testing.assert_allclose(P.max_drawdown(frame).to_numpy(), sk.max_drawdown(dd), rtol=1e-12)
    semi = sk.semi_deviation(x, min_acceptable_return=0.0, biased=True)
    np.testing.assert_allclose(
        P.sortino_ratio(frame).to_numpy(), x.mean(axis=0) / semi * np.sqrt(252), rtol=1e-12
    )


# --------------------------------------------------------------------------- contract
METRICS = {
    "total_return": lambda r: P.total_return(r),
    "annualized_return": lambda r: P.annualized_return(r, periods_per_year=252),
    "volatility": lambda r: P.volatility(r),
    "sharpe_ratio": lambda r: P.sharpe_ratio(r, risk_free_rate=0.02),
    "sortino_ratio": lambda r: P.sortino_ratio(r, risk_free_rate=0.02),
    "max_drawdown": lambda r: P.max_drawdown(r),
    "calmar_ratio": lambda r: P.calmar_ratio(r),
    "hit_rate": lambda r: P.hit_rate(r),
}
BENCH_METRICS = {
    "tracking_error": P.tracking_error,
    "information_ratio": P.information_ratio,
    "beta": P.beta,
    "alpha": P.alpha,
    "hit_rate_vs": P.hit_rate,
}
ROLLING = {
    "rolling_return": lambda r: P.rolling_return(r, 20),
    "rolling_volatility": lambda r: P.rolling_volatility(r, 20),
    "rolling_sharpe": lambda r: P.rolling_sharpe(r, 20, risk_free_rate=0.01),
    "rolling_sortino": lambda r: P.rolling_sortino(r, 20),
    "rolling_max_drawdown": lambda r: P.rolling_max_drawdown(r, 20),
}
ROLLING_BENCH = {
    "rolling_beta": lambda r, b: P.rolling_beta(r, b, 20),
    "rolling_tracking_error": lambda r, b: P.rolling_tracking_error(r, b, 20),
    "rolling_information_ratio": lambda r, b: P.rolling_information_ratio(r, b, 20),
}


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_contract_types_and_no_mutation(name):
    fn = METRICS[name]
    frame = _returns(120, 3, seed=1, nan=0.05)
    before = frame.copy()
    arr2 = frame.to_numpy().copy()
    out_frame = fn(frame)
    out_series = fn(frame["c1"])
    out_arr1 = fn(frame["c1"].to_numpy())
    out_arr2 = fn(arr2)
    assert isinstance(out_frame, pd.Series) and list(out_frame.index) == list(frame.columns)
    assert isinstance(out_series, float) and isinstance(out_arr1, float)
    assert isinstance(out_arr2, np.ndarray) and out_arr2.shape == (3,)
    assert out_series == pytest.approx(out_frame["c1"], rel=1e-14, nan_ok=True)
    assert out_arr1 == pytest.approx(out_series, rel=1e-14, nan_ok=True)
    np.testing.assert_allclose(out_arr2, out_frame.to_numpy(), rtol=1e-14)
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(arr2, before.to_numpy())
    # NaN periods are skipped: same value as on the dropped series
    assert fn(frame["c1"].dropna()) == pytest.approx(out_series, rel=1e-12)


@pytest.mark.parametrize("name", list(BENCH_METRICS))
def test_benchmark_metric_contract(name):
    fn = BENCH_METRICS[name]
    frame = _returns(150, 2, seed=2, nan=0.05)
    bench = _bench(frame, 3)
    bench.iloc[[3, 40]] = np.nan
    snapshot, bsnap = frame.copy(), bench.copy()
    out_frame = fn(frame, bench)
    out_series = fn(frame["c0"], bench)
    out_arr = fn(frame["c0"].to_numpy(), bench.to_numpy())
    assert isinstance(out_frame, pd.Series) and isinstance(out_series, float)
    assert out_arr == pytest.approx(out_series, rel=1e-14)
    assert out_frame["c0"] == pytest.approx(out_series, rel=1e-14)
    # only periods where both are present count
    both = frame["c0"].notna() & bench.notna()
    assert fn(frame["c0"][both], bench[both]) == pytest.approx(out_series, rel=1e-12)
    pd.testing.assert_frame_equal(frame, snapshot)
    pd.testing.assert_series_equal(bench, bsnap)


def test_benchmark_is_aligned_by_label():
    frame = _returns(100, 1)
    bench = _bench(frame, 1)
    shuffled = bench.sample(frac=1.0, random_state=0)
    assert P.beta(frame["c0"], shuffled) == pytest.approx(P.beta(frame["c0"], bench), rel=1e-13)


@pytest.mark.parametrize("name", list(ROLLING))
def test_rolling_contract_and_windows(name):
    fn = ROLLING[name]
    frame = _returns(80, 2, seed=4)
    frame.iloc[30, 1] = np.nan
    snapshot = frame.copy()
    out = fn(frame)
    assert isinstance(out, pd.DataFrame) and out.shape == frame.shape
    assert out.index.equals(frame.index) and out.columns.equals(frame.columns)
    series = fn(frame["c0"])
    assert isinstance(series, pd.Series) and series.index.equals(frame.index)
    arr1, arr2 = fn(frame["c0"].to_numpy()), fn(frame.to_numpy())
    assert isinstance(arr1, np.ndarray) and arr1.shape == (80,)
    assert isinstance(arr2, np.ndarray) and arr2.shape == (80, 2)
    np.testing.assert_allclose(arr2, out.to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(series.to_numpy(), out["c0"].to_numpy(), rtol=1e-14)
    assert out.iloc[:19].isna().all().all()
    # a window holding a NaN is NaN (min_periods defaults to the window)
    assert out["c1"].iloc[30:50].isna().all() and out["c1"].iloc[[29, 50]].notna().all()
    pd.testing.assert_frame_equal(frame, snapshot)


ROLLING_VS_PLAIN = [
    (lambda r: P.rolling_return(r, 25), P.total_return),
    (lambda r: P.rolling_volatility(r, 25), P.volatility),
    (
        lambda r: P.rolling_sharpe(r, 25, risk_free_rate=0.03),
        lambda r: P.sharpe_ratio(r, risk_free_rate=0.03),
    ),
    (
        lambda r: P.rolling_sortino(r, 25, risk_free_rate=0.03),
        lambda r: P.sortino_ratio(r, risk_free_rate=0.03),
    ),
    (lambda r: P.rolling_max_drawdown(r, 25), P.max_drawdown),
]


@pytest.mark.parametrize(("rolling", "plain"), ROLLING_VS_PLAIN)
def test_rolling_equals_the_metric_on_each_window(rolling, plain):
    r = _returns(90, 1, seed=5)["c0"]
    out = rolling(r)
    for end in (24, 40, 61, 89):
        assert out.iloc[end] == pytest.approx(plain(r.iloc[end - 24 : end + 1]), rel=1e-9)


@pytest.mark.parametrize("name", list(ROLLING_BENCH))
def test_rolling_benchmark_equals_the_metric_on_each_window(name):
    fn = ROLLING_BENCH[name]
    plain = {
        "rolling_beta": P.beta,
        "rolling_tracking_error": P.tracking_error,
        "rolling_information_ratio": P.information_ratio,
    }[name]
    frame = _returns(90, 2, seed=6)
    bench = _bench(frame, 6)
    out = fn(frame, bench)
    assert isinstance(out, pd.DataFrame) and out.shape == frame.shape
    for end in (19, 50, 89):
        window = slice(end - 19, end + 1)
        expected = plain(frame.iloc[window], bench.iloc[window])
        np.testing.assert_allclose(out.iloc[end].to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_rolling_min_periods_skips_nan_inside_window():
    r = _returns(60, 1, seed=8)["c0"]
    r.iloc[10] = np.nan
    out = P.rolling_volatility(r, 20, min_periods=15)
    assert out.iloc[25] == pytest.approx(P.volatility(r.iloc[6:26]), rel=1e-10)
    assert math.isnan(out.iloc[13])  # only 14 observations so far


def test_rolling_return_with_a_wipe_out():
    r = pd.Series([0.1, -1.0, 0.5, 0.2, 0.1])
    out = P.rolling_return(r, 2)
    np.testing.assert_allclose(out.to_numpy()[1:], [-1.0, -1.0, 0.8, 0.32], atol=1e-15)


# --------------------------------------------------------------------------- summary
def test_summary_matches_the_functions():
    frame = _returns(250, 2, seed=9)
    bench = _bench(frame, 9)
    s = P.summary(frame["c0"], bench, risk_free_rate=0.02, periods_per_year=252)
    assert isinstance(s, pd.Series)
    assert s["sharpe_ratio"] == pytest.approx(P.sharpe_ratio(frame["c0"], risk_free_rate=0.02))
    assert s["max_drawdown"] == pytest.approx(P.max_drawdown(frame["c0"]))
    assert s["beta"] == pytest.approx(P.beta(frame["c0"], bench))
    assert s["excess_return"] == pytest.approx(
        P.total_return(frame["c0"]) - P.total_return(bench), abs=1e-15
    )
    assert s["n_periods"] == 250
    table = P.summary(frame, bench)
    assert isinstance(table, pd.DataFrame) and list(table.columns) == ["c0", "c1"]
    assert table.loc["volatility", "c1"] == pytest.approx(P.volatility(frame["c1"]))
    assert "beta" not in P.summary(frame["c0"]).index


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-0.5, 0.5, allow_nan=False), min_size=2, max_size=60),
    st.floats(0.0, 0.1),
)
def test_properties(values, rf):
    r = pd.Series(values)
    mdd = P.max_drawdown(r)
    assert 0.0 <= mdd <= 1.0
    assert P.rolling_return(r, len(values)).iloc[-1] == pytest.approx(
        P.total_return(r), rel=1e-9, abs=1e-12
    )
    # the annual risk-free rate is subtracted per period, geometrically converted
    sharpe = P.sharpe_ratio(r, risk_free_rate=rf)
    if not math.isnan(sharpe):
        shifted = r - ((1 + rf) ** (1 / 252) - 1)
        assert sharpe == pytest.approx(P.sharpe_ratio(shifted), rel=1e-6, abs=1e-9)
    assert P.rolling_max_drawdown(r, len(values)).iloc[-1] == pytest.approx(mdd, abs=1e-12)


# --------------------------------------------------------------------------- errors
def test_errors_are_typed_and_named():
    frame = _returns(20, 2)
    bad = frame.copy()
    bad.iloc[5, 1] = np.inf
    with pytest.raises(DataError, match="c1"):
        P.volatility(bad)
    with pytest.raises(ValidationError, match="not numeric"):
        P.total_return(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(ValidationError, match="periods_per_year"):
        P.volatility(frame, periods_per_year=0)
    with pytest.raises(ValidationError, match="risk_free_rate"):
        P.sharpe_ratio(frame, risk_free_rate=-2)
    with pytest.raises(ValidationError, match="window"):
        P.rolling_volatility(frame, 1)
    with pytest.raises(ValidationError, match="periods"):
        P.beta(frame["c0"].to_numpy(), np.zeros(5))
    with pytest.raises(ValidationError, match="Series, DataFrame or ndarray"):
        P.total_return("abc")
    with pytest.raises(ValidationError):
        P.max_drawdown(np.zeros((2, 2, 2)))


def test_too_few_observations_give_nan():
    assert math.isnan(P.volatility(pd.Series([0.01])))
    assert math.isnan(P.sharpe_ratio(pd.Series([np.nan, np.nan])))
    assert math.isnan(P.total_return(pd.Series([], dtype=float)))
    assert math.isnan(P.sortino_ratio(pd.Series([0.01, 0.02])))  # no downside

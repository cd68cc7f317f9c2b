"""Tests of portlab.market: data rules, covariance estimators, caching, derived markets."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab import _estimators as est
from portlab.exceptions import DataError, ValidationError
from portlab.market import CovMethod, DataRepairWarning, Market

DAYS = pd.bdate_range("2021-01-04", periods=12, name="Date")


def _prices(n_rows: int = 400, n_cols: int = 6, seed: int = 0, missing: float = 0.0):
    rng = np.random.default_rng(seed)
    load = rng.normal(1.0, 0.3, n_cols)
    rets = rng.normal(0, 0.01, (n_rows, 1)) * load + rng.normal(0, 0.012, (n_rows, n_cols))
    px = 50.0 * np.exp(np.cumsum(rets, axis=0))
    idx = pd.bdate_range("2015-01-01", periods=n_rows, name="Date")
    df = pd.DataFrame(px, index=idx, columns=[f"A{i}" for i in range(n_cols)])
    if missing:
        hole = rng.random(df.shape) < missing
        hole[[0, -1]] = False  # no late listing, no delisting
        df = df.mask(hole)
    return df


def _frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols, index=DAYS[: len(next(iter(cols.values())))])


def _rows(market: Market, column: str) -> pd.DataFrame:
    rep = market.report
    return rep[rep["column"] == column]


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataRepairWarning)
        yield


# ------------------------------------------------------------------ covariance values
def test_sample_equals_numpy_and_pandas_on_complete_data(quiet):
    m = Market(_prices())
    cov = m.covariance(CovMethod.SAMPLE, window=None, annualize=False, min_periods=2)
    x = m.returns.to_numpy()
    np.testing.assert_allclose(cov.to_numpy(), np.cov(x, rowvar=False), rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(cov, m.returns.cov(), check_names=False, rtol=1e-12)


def test_window_uses_last_rows():
    m = Market(_prices())
    cov = m.covariance("sample", window=100, annualize=False, min_periods=2)
    x = m.returns.to_numpy()[-100:]
    np.testing.assert_allclose(cov.to_numpy(), np.cov(x, rowvar=False), rtol=1e-12)


def test_pairwise_sample_equals_pandas_with_nans():
    m = Market(_prices(600, 8, missing=0.08), max_ffill=0)
    rets = m.returns
    assert rets.isna().to_numpy().mean() > 0.08
    mom = est.pairwise_moments(rets.to_numpy())
    np.testing.assert_allclose(mom.biased * mom.correction, rets.cov().to_numpy(), rtol=1e-10)
    assert np.linalg.eigvalsh(rets.cov().to_numpy())[0] > 0  # so no PSD repair is done
    cov = m.covariance("sample", window=None, annualize=False, min_periods=2)
    pd.testing.assert_frame_equal(cov, rets.cov(), check_names=False, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_rows=st.integers(5, 60),
    n_cols=st.integers(1, 6),
    frac=st.floats(0.0, 0.5),
)
def test_pairwise_moments_property(seed, n_rows, n_cols, frac):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.001, 0.02, (n_rows, n_cols))
    x[rng.random(x.shape) < frac] = np.nan
    x[:2] = rng.normal(0.001, 0.02, (2, n_cols))  # every pair has >= 2 rows
    mom = est.pairwise_moments(x)
    expected = pd.DataFrame(x).cov().to_numpy()
    np.testing.assert_allclose(mom.biased * mom.correction, expected, rtol=1e-9, atol=1e-15)


def test_ledoit_wolf_equals_sklearn(quiet):
    from sklearn.covariance import LedoitWolf

    m = Market(_prices(700, 12))
    cov = m.covariance(annualize=False)  # defaults: Ledoit-Wolf on the last 504 rows
    lw = LedoitWolf(assume_centered=False).fit(m.returns.to_numpy()[-504:])
    rel = np.abs(cov.to_numpy() - lw.covariance_).max() / np.abs(lw.covariance_).max()
    assert rel < 1e-10
    assert cov.attrs["shrinkage"] == pytest.approx(lw.shrinkage_, rel=1e-10)


@pytest.mark.parametrize("shape", [(30, 40), (200, 5), (1000, 50), (50, 1)])
def test_ledoit_wolf_estimator_shapes(shape):
    from sklearn.covariance import LedoitWolf

    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) @ rng.standard_normal((shape[1], shape[1])) * 0.01
    res = est.ledoit_wolf_covariance(x)
    sk = LedoitWolf().fit(x).covariance_
    assert np.abs(res.cov - sk).max() <= 1e-10 * np.abs(sk).max()


def test_ledoit_wolf_with_nans_is_psd_and_close_to_sample():
    m = Market(_prices(800, 10, missing=0.05), max_ffill=0)
    lw = m.covariance(window=None, annualize=False, min_periods=2)
    s = m.covariance("sample", window=None, annualize=False, min_periods=2)
    assert 0 <= lw.attrs["shrinkage"] <= 1
    assert np.linalg.eigvalsh(lw.to_numpy())[0] > 0
    np.testing.assert_allclose(lw.to_numpy(), s.to_numpy(), atol=2e-5)


def _ewma_reference(x: np.ndarray, halflife: float) -> np.ndarray:
    n_obs, n = x.shape
    w = [0.5 ** ((n_obs - 1 - t) / halflife) for t in range(n_obs)]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            sw = sum(w)
            mi = sum(w[t] * x[t, i] for t in range(n_obs)) / sw
            mj = sum(w[t] * x[t, j] for t in range(n_obs)) / sw
            acc = sum(w[t] * (x[t, i] - mi) * (x[t, j] - mj) for t in range(n_obs)) / sw
            sw2 = sum(wt * wt for wt in w)
            out[i, j] = acc * sw * sw / (sw * sw - sw2)
    return out


def test_ewma_equals_loop_reference_and_pandas():
    m = Market(_prices(150, 4))
    cov = m.covariance("ewma", window=120, halflife=20.0, annualize=False, min_periods=2)
    x = m.returns.to_numpy()[-120:]
    np.testing.assert_allclose(cov.to_numpy(), _ewma_reference(x, 20.0), rtol=1e-10)
    ewm = pd.DataFrame(x).ewm(halflife=20.0, adjust=True).cov().loc[119].to_numpy()
    np.testing.assert_allclose(cov.to_numpy(), ewm, rtol=1e-10)


def test_ewma_with_long_halflife_is_sample():
    m = Market(_prices(300, 5))
    e = m.covariance("ewma", window=None, halflife=1e12, min_periods=2)
    s = m.covariance("sample", window=None, min_periods=2)
    np.testing.assert_allclose(e.to_numpy(), s.to_numpy(), rtol=1e-8)


def test_annualisation_factor():
    m = Market(_prices(), periods_per_year=12)
    for method in CovMethod:
        daily = m.covariance(method, annualize=False)
        annual = m.covariance(method)
        np.testing.assert_allclose(annual.to_numpy(), 12 * daily.to_numpy(), rtol=1e-14)
        vol = m.volatility(method)
        np.testing.assert_allclose(vol.to_numpy(), np.sqrt(np.diag(annual.to_numpy())))
    m252 = Market(_prices())
    np.testing.assert_allclose(
        m252.covariance().to_numpy(), 252 * m252.covariance(annualize=False).to_numpy()
    )
    assert m252.periods_per_year == 252


def test_correlation():
    m = Market(_prices())
    corr = m.correlation("sample", window=None, min_periods=2)
    np.testing.assert_allclose(corr.to_numpy(), m.returns.corr().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.diag(corr.to_numpy()), 1.0)


def test_min_periods_gives_nan_rows_not_zeros():
    px = _prices(300, 4)
    px.iloc[:270, 2] = np.nan  # late listing: 29 returns
    m = Market(px)
    cov = m.covariance(min_periods=60)
    assert cov.loc["A2"].isna().all() and cov["A2"].isna().all()
    others = cov.drop(index="A2", columns="A2")
    assert np.isfinite(others.to_numpy()).all()
    assert np.isnan(m.volatility()["A2"])
    assert np.isfinite(m.covariance(min_periods=20).loc["A2"]).all()


def test_non_psd_pairwise_matrix_is_repaired_and_reported():
    rng = np.random.default_rng(5)
    z = rng.normal(0, 0.01, 150)
    r = np.column_stack([z, z, z]) + rng.normal(0, 0.001, (150, 3))
    r[50:100, 2] = -r[50:100, 0] + rng.normal(0, 0.001, 50)
    px = pd.DataFrame(
        100 * np.cumprod(1 + r, axis=0), index=pd.bdate_range("2020-01-01", periods=150)
    )
    px.columns = ["A", "B", "C"]
    px.iloc[100:, 0] = np.nan  # A: rows 0-99
    px.iloc[50:100, 1] = np.nan  # B: rows 0-49 and 100-149 (a long gap)
    px.iloc[:50, 2] = np.nan  # C: rows 50-149
    m = Market(px)
    rets = m.returns
    assert np.linalg.eigvalsh(rets.cov().to_numpy())[0] < 0
    with pytest.warns(DataRepairWarning, match="not PSD"):
        cov = m.covariance("sample", window=None, min_periods=20, annualize=False)
    # the one repair path: PyPortfolioOpt's spectral fix (negative eigenvalues set to zero)
    from pypfopt.risk_models import fix_nonpositive_semidefinite

    pairwise = rets.cov().to_numpy()
    eig = np.linalg.eigvalsh(cov.to_numpy())
    assert eig[0] >= -1e-12 * eig[-1]
    scale = np.abs(np.linalg.eigvalsh(pairwise)).max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fix_nonpositive_semidefinite(pairwise / scale) * scale
    np.testing.assert_allclose(cov.to_numpy(), (expected + expected.T) / 2, rtol=0, atol=1e-15)
    # variances grow by at most the removed negative part
    growth = np.diag(cov.to_numpy()) - np.diag(pairwise)
    negative = -np.linalg.eigvalsh(pairwise).clip(max=0).sum()
    assert (growth >= -1e-15).all() and (growth <= negative + 1e-15).all()
    row = _rows(m, "(covariance)")
    assert len(row) == 1 and "PSD" in row["issue"].iloc[0] and row["count"].iloc[0] >= 1
    assert "fix_nonpositive_semidefinite" in row["action"].iloc[0]


def test_repair_psd_is_pypfopt_spectral_fix():
    from pypfopt.risk_models import fix_nonpositive_semidefinite

    from portlab.linalg import repair_psd

    a = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]) * 0.04
    fixed, n_negative, min_eig = repair_psd(a)
    assert min_eig < 0 and n_negative == 1
    vals = np.linalg.eigvalsh(fixed)
    assert vals[0] >= -1e-12 * vals[-1]
    top = np.abs(np.linalg.eigvalsh(a)).max()
    with pytest.warns(UserWarning, match="non positive semidefinite"):
        expected = fix_nonpositive_semidefinite(a / top, fix_method="spectral") * top
    np.testing.assert_allclose(fixed, (expected + expected.T) / 2, rtol=0, atol=1e-15)
    assert (fixed == fixed.T).all()
    # PSD within rounding (SINGULAR_RTOL): returned as it is, nothing repaired
    same, n_negative, _ = repair_psd(np.eye(3) * 0.04)
    assert n_negative == 0 and (same == np.eye(3) * 0.04).all()


def test_pairs_with_too_little_overlap_get_zero_and_report():
    px = _prices(300, 3)
    px.iloc[150:, 0] = np.nan
    px.iloc[:151, 1] = np.nan
    m = Market(px)
    with pytest.warns(DataRepairWarning, match="too few rows"):
        cov = m.covariance("sample", window=None, min_periods=30)
    assert cov.loc["A0", "A1"] == 0.0
    assert len(_rows(m, "(covariance)")) == 1


def test_bad_covariance_arguments():
    m = Market(_prices())
    with pytest.raises(ValidationError, match="method must be one of"):
        m.covariance("nope")
    with pytest.raises(ValidationError):
        m.covariance(window=1)
    with pytest.raises(ValidationError):
        m.covariance(min_periods=0)
    with pytest.raises(ValidationError):
        m.covariance("ewma", halflife=0)


# ------------------------------------------------------------- caching and risk model
def test_results_cached_per_arguments():
    m = Market(_prices())
    a = m._cov_frame(CovMethod.LEDOIT_WOLF, 504, 63.0, True, 60, True)
    b = m._cov_frame("ledoit_wolf", 504, 63.0, True, 60, True)
    assert a is b
    assert m._cov_frame("sample", 504, 63.0, True, 60, True) is not a
    pd.testing.assert_frame_equal(m.covariance(), m.covariance())


def test_risk_model_cached_readonly_and_aligned():
    m = Market(_prices())
    cov, vol = m.risk_model()
    cov2, vol2 = m.risk_model()
    assert cov is cov2 and vol is vol2
    assert cov.dtype == np.float64 and cov.shape == (6, 6) and vol.shape == (6,)
    assert not cov.flags.writeable and not vol.flags.writeable
    np.testing.assert_allclose(cov, m.covariance().to_numpy())
    np.testing.assert_allclose(vol, np.sqrt(np.diag(cov)))


def test_returned_frames_do_not_leak_changes():
    m = Market(_prices())
    cov = m.covariance()
    cov.iloc[0, 0] = 99.0
    assert m.covariance().iloc[0, 0] != 99.0
    px = m.prices
    px.iloc[0, 0] = -1.0
    assert m.prices.iloc[0, 0] > 0


# ------------------------------------------------------------------ given covariance
def _given(m: Market) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = len(m.instruments)
    b = rng.normal(0, 0.1, (n, 2))
    c = b @ b.T + np.diag(rng.uniform(0.01, 0.05, n))
    return pd.DataFrame(c, index=m.instruments, columns=m.instruments)


def test_given_covariance_is_the_default():
    base = Market(_prices())
    given = _given(base)
    shuffled = given.iloc[::-1, ::-1]  # aligned by label
    m = Market(_prices(), covariance=shuffled)
    pd.testing.assert_frame_equal(m.covariance(), given, check_names=False)
    np.testing.assert_allclose(m.covariance(annualize=False).to_numpy(), given.to_numpy() / 252)
    np.testing.assert_allclose(m.risk_model()[0], given.to_numpy())
    np.testing.assert_allclose(m.volatility().to_numpy(), np.sqrt(np.diag(given.to_numpy())))
    assert np.allclose(np.diag(m.correlation().to_numpy()), 1.0)
    estimate = m.covariance(window=None)
    pd.testing.assert_frame_equal(estimate, base.covariance(window=None))
    pd.testing.assert_frame_equal(m.covariance(use_given=False), base.covariance())
    sub = m.select(["A3", "A1"])
    np.testing.assert_allclose(sub.covariance().to_numpy(), given.loc[["A3", "A1"], ["A3", "A1"]])
    np.testing.assert_allclose(m.truncate(m.dates[100]).risk_model()[0], given.to_numpy())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.drop(index="A2", columns="A2"), "no row or column for A2"),
        (lambda c: c.replace({c.iloc[1, 1]: np.nan}), "not finite"),
        (lambda c: c + np.triu(np.full(c.shape, 0.01), 1), "not symmetric"),
        (lambda c: c - np.eye(len(c)) * 0.2, "negative variance"),
        (lambda c: c - 0.06 * np.eye(len(c)) + 0.0, "positive semi-definite|negative variance"),
    ],
)
def test_given_covariance_validation(mutate, message):
    base = Market(_prices())
    given = _given(base)
    bad = mutate(given)
    with pytest.raises(DataError, match=message):
        Market(_prices(), covariance=bad)


def test_given_covariance_not_psd():
    c = np.array([[0.04, 0.05], [0.05, 0.04]])
    with pytest.raises(DataError, match="positive semi-definite"):
        Market(_prices(n_cols=2), covariance=c)
    with pytest.raises(DataError, match="shape"):
        Market(_prices(n_cols=2), covariance=np.eye(3))


# ------------------------------------------------------------------------ data rules
def test_non_numeric_cell_names_column_and_row():
    df = _frame(A=[1.0, 2.0, 3.0], B=["1.5", "oops", "2"])
    with pytest.raises(DataError, match=r"column 'B'.*'oops'.*2021-01-05"):
        Market(df)


def test_numeric_strings_are_accepted():
    m = Market(_frame(A=[1.0, 2.0, 3.0], B=["1.5", "1.6", "2"]))
    assert m.prices["B"].tolist() == [1.5, 1.6, 2.0]


def test_non_positive_prices_raise_with_column_date_and_count():
    df = _frame(A=[1.0, 2.0, 3.0, 4.0], B=[1.0, 0.0, -2.0, 1.0])
    with pytest.raises(DataError, match=r"column 'B': 2 non-positive.*first on 2021-01-05"):
        Market(df)


def test_non_positive_prices_to_nan():
    df = _frame(A=[1.0, 2.0, 3.0, 4.0], B=[1.0, 0.0, -2.0, 1.0])
    with pytest.warns(DataRepairWarning) as record:
        m = Market(df, bad_prices="nan", max_ffill=5)
    messages = [str(w.message) for w in record]
    assert any("set 2 non-positive" in msg for msg in messages)
    assert any("forward-filled 2 missing values" in msg for msg in messages)
    row = _rows(m, "B").iloc[0]
    assert (row["row"], row["action"], row["count"]) == ("2021-01-05", "set to NaN", 2)
    # the NaN are then an interior gap and forward-filled
    assert m.prices["B"].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_identical_duplicate_dates_dropped():
    df = _frame(A=[1.0, 2.0, 3.0], B=[4.0, 5.0, 6.0])
    dup = pd.concat([df.iloc[:2], df.iloc[[1]], df.iloc[2:]])
    with pytest.warns(DataRepairWarning, match="dropped 1 repeated"):
        m = Market(dup)
    assert len(m.dates) == 3 and m.dates.is_unique
    row = _rows(m, "(dates)")
    assert row["action"].tolist()[-1] == "dropped" and row["count"].tolist()[-1] == 1
    assert row["row"].tolist()[-1] == "2021-01-05"


def test_conflicting_duplicate_dates_raise():
    df = _frame(A=[1.0, 2.0, 3.0], B=[4.0, 5.0, 6.0])
    other = df.iloc[[1]].copy()
    other["B"] = 5.5
    with pytest.raises(DataError, match=r"duplicate date 2021-01-05.*column 'B'"):
        Market(pd.concat([df, other]))


def test_unsorted_dates_sorted():
    df = _frame(A=[1.0, 2.0, 3.0, 4.0])
    with pytest.warns(DataRepairWarning, match="sorted"):
        m = Market(df.iloc[::-1])
    pd.testing.assert_frame_equal(m.prices, df.astype(float), check_freq=False)
    assert (_rows(m, "(dates)")["action"] == "sorted").any()


def test_late_listing_kept_nan_and_reported(quiet):
    m = Market(_frame(A=[1.0, 2.0, 3.0, 4.0], B=[np.nan, np.nan, 3.0, 3.3]))
    assert m.prices["B"].isna().tolist() == [True, True, False, False]
    row = _rows(m, "B").iloc[0]
    assert row["row"] == "2021-01-06" and row["count"] == 2 and "late listing" in row["issue"]


def test_interior_gaps_short_filled_long_kept():
    b = [1.0, np.nan, np.nan, 2.0, np.nan, np.nan, np.nan, np.nan, 3.0, np.nan, 4.0, 5.0]
    df = _frame(A=np.arange(1.0, 13.0), B=b)
    with pytest.warns(DataRepairWarning, match="forward-filled 3 missing values in 2 gaps"):
        m = Market(df, max_ffill=3)
    got = m.prices["B"].to_numpy()
    expected = [1, 1, 1, 2, np.nan, np.nan, np.nan, np.nan, 3, 3, 4, 5]
    np.testing.assert_array_equal(got, expected)
    rows = _rows(m, "B").set_index("action")
    assert rows.loc["forward-filled", "count"] == 2
    assert rows.loc["forward-filled", "row"] == "2021-01-05"
    assert rows.loc["kept NaN", "count"] == 1 and rows.loc["kept NaN", "row"] == "2021-01-08"


def test_max_ffill_zero_disables_filling(quiet):
    m = Market(_frame(A=[1.0, np.nan, 2.0]), max_ffill=0)
    assert m.prices["A"].isna().sum() == 1


def test_trailing_nan_delisting_and_stale():
    df = _frame(
        A=np.arange(1.0, 11.0),
        B=[1.0, 2, 3, 4, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        C=[1.0, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan],
    )
    m = Market(df, max_ffill=3)
    last = m.last_prices
    assert last["A"] == 10.0 and np.isnan(last["B"]) and last["C"] == 8.0
    assert m.prices["B"].isna().sum() == 6 and m.prices["C"].isna().sum() == 2
    b, c = _rows(m, "B").iloc[0], _rows(m, "C").iloc[0]
    assert (b["row"], b["count"]) == ("2021-01-07", 6) and "last price is NaN" in b["action"]
    assert (c["row"], c["count"]) == ("2021-01-13", 2) and "still used" in c["action"]


def test_all_nan_column_raises():
    with pytest.raises(DataError, match="column 'B' has no valid value"):
        Market(_frame(A=[1.0, 2.0], B=[np.nan, np.nan]))


def test_sectors_unknown_ignored_and_missing_unknown():
    df = _frame(A=[1.0, 2.0], B=[1.0, 2.0], C=[3.0, 4.0])
    with pytest.warns(DataRepairWarning, match="unknown instruments ignored: ZZZ"):
        m = Market(df, sectors={"A": "Energy", "B": "Financials", "ZZZ": "Energy"})
    assert m.sectors.to_dict() == {"A": "Energy", "B": "Financials", "C": "Unknown"}
    assert _rows(m, "C")["action"].iloc[0] == "set to 'Unknown'"
    assert _rows(m, "(sectors)")["action"].iloc[0] == "ignored"
    codes, labels = m.sector_codes()
    assert list(labels) == ["Energy", "Financials", "Unknown"]
    assert codes.tolist() == [0, 1, 2] and not codes.flags.writeable
    assert m.sector_codes()[0] is codes


def test_date_column_and_missing_dates():
    df = _frame(A=[1.0, 2.0]).reset_index()
    m = Market(df)
    assert isinstance(m.dates, pd.DatetimeIndex) and m.dates.name == "Date"
    with pytest.raises(DataError, match="DatetimeIndex or a 'Date' column"):
        Market(pd.DataFrame({"A": [1.0, 2.0]}))
    bad = pd.DataFrame({"Date": ["2021-01-04", "not a date"], "A": [1.0, 2.0]})
    with pytest.raises(DataError, match="row 1"):
        Market(bad)


def test_bad_arguments():
    with pytest.raises(ValidationError):
        Market(_frame(A=[1.0, 2.0]), bad_prices="drop")
    with pytest.raises(ValidationError):
        Market(_frame(A=[1.0, 2.0]), max_ffill=-1)
    with pytest.raises(ValidationError):
        Market([1, 2, 3])


def test_inputs_not_mutated():
    px = _prices(60, 3, missing=0.1).iloc[::-1]
    px = pd.concat([px, px.iloc[[3]]])
    sectors = pd.Series({"A0": "Energy", "A1": "Utilities"})
    bench = px["A0"].rename("bench") * 2
    factors = px[["A1"]].rename(columns={"A1": "F"})
    volumes = px * 0 + 1000.0
    copies = [x.copy() for x in (px, sectors, bench, factors, volumes)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        m = Market(px, sectors=sectors, benchmark=bench, factors=factors, volumes=volumes)
    for before, after in zip(copies, (px, sectors, bench, factors, volumes), strict=True):
        if isinstance(before, pd.DataFrame):
            pd.testing.assert_frame_equal(before, after)
        else:
            pd.testing.assert_series_equal(before, after)
    assert m.prices.index.is_monotonic_increasing


# ---------------------------------------------------- benchmark, factors, volumes
def test_benchmark_factors_volumes_aligned(quiet):
    px = _prices(50, 3)
    bench = px.mean(axis=1).rename("IDX")
    factors = px.iloc[20:, :2].set_axis(["F1", "F2"], axis=1)
    vol = pd.DataFrame(1000.0, index=px.index, columns=px.columns)
    vol.iloc[-5:] = 2000.0
    m = Market(px, benchmark=bench, factors=factors, volumes=vol)
    assert m.benchmark.index.equals(m.dates) and m.benchmark.name == "IDX"
    np.testing.assert_allclose(m.benchmark_returns.to_numpy(), bench.pct_change().to_numpy()[1:])
    assert m.benchmark_returns.index.equals(m.returns.index)
    assert m.factors.iloc[:20].isna().all().all() and m.factors.iloc[20:].notna().all().all()
    assert m.factor_returns.index.equals(m.returns.index)
    assert (_rows(m, "factors:F1")["row"] == fmt(px.index[20])).all()
    assert m.adv(5).tolist() == [2000.0] * 3 and m.adv(10).tolist() == [1500.0] * 3
    assert Market(px).adv() is None and Market(px).benchmark is None


def fmt(ts) -> str:
    return str(pd.Timestamp(ts).date())


def test_benchmark_extra_dates_dropped_and_negative_volumes_rejected():
    px = _prices(30, 2)
    bench = pd.Series(100.0, index=pd.bdate_range(px.index[0], periods=40))
    with pytest.warns(DataRepairWarning, match="dropped 10 dates"):
        m = Market(px, benchmark=bench)
    assert m.benchmark.index.equals(m.dates)
    vol = pd.DataFrame(1.0, index=px.index, columns=px.columns)
    vol.iloc[3, 1] = -5
    with pytest.raises(DataError, match="volumes column 'A1'"):
        Market(px, volumes=vol)


# ------------------------------------------------------------------- derived markets
def test_truncate_has_no_look_ahead():
    px = _prices(300, 4)
    px.iloc[100:103, 1] = np.nan  # a short gap: filled in the full market
    with pytest.warns(DataRepairWarning):
        m = Market(px, benchmark=px.mean(axis=1))
    assert m.prices.iloc[101, 1] == m.prices.iloc[99, 1]
    end = m.dates[101]
    t = m.truncate(end)
    assert t.dates[-1] == end and len(t.dates) == 102
    assert t.prices.iloc[-2:, 1].isna().all()  # the gap is still open at `end`
    assert t.last_prices.iloc[1] == px.iloc[99, 1]  # stale for 2 rows <= max_ffill
    assert t.benchmark.index.equals(t.dates)
    pd.testing.assert_frame_equal(t.prices.iloc[:99], m.prices.iloc[:99])
    later = m.truncate(m.dates[200])
    with pytest.warns(DataRepairWarning):
        direct = Market(px.iloc[:201])
    np.testing.assert_allclose(later.covariance().to_numpy(), direct.covariance().to_numpy())
    with pytest.raises(ValidationError):
        m.truncate("1999-01-01")


def test_truncate_keeps_unlisted_instruments():
    px = _prices(100, 3)
    px.iloc[:50, 2] = np.nan
    m = Market(px)
    t = m.truncate(m.dates[20])
    assert list(t.instruments) == list(m.instruments)
    assert t.prices["A2"].isna().all() and np.isnan(t.last_prices["A2"])


def test_select():
    m = Market(_prices(), sectors={"A0": "Energy", "A1": "Financials"})
    s = m.select(["A1", "A0"])
    assert list(s.instruments) == ["A1", "A0"]
    assert s.sectors.tolist() == ["Financials", "Energy"]
    np.testing.assert_allclose(
        s.covariance("sample").to_numpy(), m.covariance("sample").loc[["A1", "A0"], ["A1", "A0"]]
    )
    assert set(s.report["column"]) <= {"A1", "A0", "(sectors)"}
    with pytest.raises(ValidationError, match="unknown"):
        m.select(["A0", "ZZ"])


def test_from_csv_and_repr(tmp_path):
    px = _prices(40, 3)
    px.to_csv(tmp_path / "prices.csv")
    pd.DataFrame(
        {"ticker": ["A0", "A1", "A2"], "name": ["Zero", "One", "Two"], "sector": ["X", "Y", "X"]}
    ).to_csv(tmp_path / "sectors.csv", index=False)
    m = Market.from_csv(tmp_path / "prices.csv", sectors=tmp_path / "sectors.csv")
    np.testing.assert_allclose(m.prices.to_numpy(), px.to_numpy())
    assert m.names.tolist() == ["Zero", "One", "Two"]
    first, last = fmt(px.index[0]), fmt(px.index[-1])
    assert repr(m) == f"Market(3 instruments, {first}..{last}, 2 sectors)"


def test_import_is_light():
    code = (
        "import sys, portlab.market; "
        "print(any(m.split('.')[0] in ('sklearn', 'cvxpy', 'scipy') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

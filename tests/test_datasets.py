"""Tests of portlab.datasets: the bundled sample and synthetic markets."""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from portlab.datasets import load_sample, synthetic
from portlab.exceptions import ValidationError
from portlab.market import DataRepairWarning, Market

STOCKS = [
    "AAPL",
    "AMD",
    "BAC",
    "BBY",
    "CVX",
    "GE",
    "HD",
    "JNJ",
    "JPM",
    "KO",
    "LLY",
    "MRK",
    "MSFT",
    "PEP",
    "PFE",
    "PG",
    "RRC",
    "UNH",
    "WMT",
    "XOM",
]
GICS = {
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
}


@pytest.fixture(scope="module")
def sample() -> Market:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataRepairWarning)
        return load_sample()


def test_data_files_are_package_resources():
    root = resources.files("portlab.datasets") / "data"
    for name in (
        "sp500_dataset.csv.gz",
        "sp500_index.csv.gz",
        "factors_dataset.csv.gz",
        "sectors.csv",
        "README.md",
    ):
        assert (root / name).is_file(), name
    text = (root / "README.md").read_text()
    assert "skfolio" in text and "BSD 3-Clause" in text and "Yahoo Finance" in text


def test_sample_prices(sample):
    assert sample.prices.shape == (8313, 20)
    assert list(sample.instruments) == STOCKS
    assert str(sample.dates[0].date()) == "1990-01-02"
    assert str(sample.dates[-1].date()) == "2022-12-28"
    assert sample.prices.notna().all().all()
    assert sample.returns.shape == (8312, 20)
    assert sample.prices.loc["1990-01-02", "AAPL"] == pytest.approx(0.264)
    assert repr(sample) == "Market(20 instruments, 1990-01-02..2022-12-28, 7 sectors)"


def test_sample_sectors_and_names(sample):
    sectors = sample.sectors
    assert set(sectors) <= GICS
    assert sectors.nunique() == 7  # 7 of the 11 GICS sectors occur among the 20 stocks
    assert sectors["AAPL"] == "Information Technology" and sectors["XOM"] == "Energy"
    assert (sectors != "Unknown").all()
    assert sample.names["JPM"] == "JPMorgan Chase"
    codes, labels = sample.sector_codes()
    assert len(labels) == 7 and codes.shape == (20,)


def test_sample_benchmark_aligned(sample):
    bench = sample.benchmark
    assert bench.name == "SP500"
    assert bench.index.equals(sample.dates) and bench.notna().all()
    assert bench.iloc[0] == pytest.approx(359.69)
    assert sample.benchmark_returns.index.equals(sample.returns.index)
    # the index moves with its members
    corr = sample.returns.mean(axis=1).corr(sample.benchmark_returns)
    assert corr > 0.8


def test_sample_factors_start_2014(sample):
    factors = sample.factors
    assert list(factors.columns) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    assert factors.index.equals(sample.dates)
    first = factors.apply(pd.Series.first_valid_index)
    assert (first == pd.Timestamp("2014-01-02")).all()
    assert factors.loc["2014-01-02":].notna().all().all()
    assert factors.loc["2014-01-02":].shape[0] == 2264
    report = sample.report
    late = report[report["column"].str.startswith("factors:")]
    assert len(late) == 5 and (late["row"] == "2014-01-02").all()


def test_sample_is_a_new_market_each_call(sample):
    other = load_sample()
    assert other is not sample
    px = other.prices
    px.iloc[0, 0] = -1.0
    assert load_sample().prices.iloc[0, 0] == pytest.approx(0.264)


def test_sample_risk_model(sample):
    cov, vol = sample.risk_model()
    assert cov.shape == (20, 20) and np.isfinite(cov).all()
    assert np.linalg.eigvalsh(cov)[0] > 0
    assert 0.1 < np.median(vol) < 0.6  # annualised volatilities of large US stocks


# ------------------------------------------------------------------------- synthetic
def test_synthetic_reproducible_by_seed():
    a, b, c = synthetic(60, 120, seed=7), synthetic(60, 120, seed=7), synthetic(60, 120, seed=8)
    pd.testing.assert_frame_equal(a.prices, b.prices)
    pd.testing.assert_frame_equal(a.volumes, b.volumes)
    pd.testing.assert_frame_equal(a.covariance(), b.covariance())
    pd.testing.assert_series_equal(a.sectors, b.sectors)
    assert not np.allclose(a.prices.to_numpy(), c.prices.to_numpy())


def test_synthetic_shape_and_labels():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataRepairWarning)
        m = synthetic(200, 300, n_sectors=5, seed=1, start="2021-03-01")
    assert m.prices.shape == (300, 200)
    assert m.dates[0] == pd.Timestamp("2021-03-01") and m.dates.day_of_week.max() < 5
    assert sorted(m.sectors.unique()) == [f"Sector {i:02d}" for i in range(1, 6)]
    assert m.instruments[0] == "S0000" and m.instruments.is_unique
    first = m.prices.iloc[0]
    assert first.min() >= 20 and first.max() <= 200
    assert list(m.factors.columns) == ["Market"] + [f"Sector {i:02d}" for i in range(1, 6)]
    assert m.report.query("column != '(sectors)'").empty


def test_synthetic_covariance_is_the_model_and_psd():
    m = synthetic(300, 200, seed=3)
    cov, vol = m.risk_model()
    assert cov is m.risk_model()[0]
    np.testing.assert_array_equal(cov, cov.T)
    assert np.linalg.eigvalsh(cov)[0] > 0
    np.testing.assert_array_equal(m.covariance().to_numpy(), cov)
    assert m.covariance().attrs["method"] == "given"
    assert vol.min() >= 0.149 and vol.max() <= 0.601
    assert 0.2 < np.median(vol) < 0.4
    # off-diagonal: same-sector pairs are more correlated than cross-sector pairs
    corr = m.correlation().to_numpy()
    same = m.sectors.to_numpy()[:, None] == m.sectors.to_numpy()[None, :]
    off = ~np.eye(300, dtype=bool)
    assert corr[same & off].mean() > corr[~same].mean() > 0.1


def test_synthetic_returns_follow_the_model():
    m = synthetic(40, 6000, n_sectors=4, seed=11)
    model = m.covariance()
    est = m.covariance("sample", window=None)  # estimate from the simulated returns
    model_vol = np.sqrt(np.diag(model.to_numpy()))
    est_vol = np.sqrt(np.diag(est.to_numpy()))
    np.testing.assert_allclose(est_vol, model_vol, rtol=0.08)
    np.testing.assert_allclose(
        m.correlation("sample", window=None).to_numpy(), m.correlation().to_numpy(), atol=0.06
    )


def test_synthetic_benchmark_volumes_and_betas():
    m = synthetic(100, 400, seed=2)
    rets = m.returns
    np.testing.assert_allclose(m.benchmark_returns.to_numpy(), rets.mean(axis=1).to_numpy())
    assert m.benchmark.iloc[0] == 100.0
    vols = m.volumes
    assert vols.shape == m.prices.shape and (vols.to_numpy() >= 0).all()
    dollar_adv = m.adv(window=400) * m.prices.mean()
    assert 1e6 < dollar_adv.median() < 2e8
    cov = m.covariance().to_numpy()
    bench_var = cov.mean()  # variance of the equal-weight portfolio under the model
    betas = cov.mean(axis=1) / bench_var
    assert 0.3 < np.median(betas) < 1.7 and betas.min() > 0


def test_synthetic_style_factors_and_validation():
    m = synthetic(50, 50, n_sectors=3, n_factors=6, seed=0)
    assert list(m.factors.columns)[-2:] == ["Style 01", "Style 02"]
    with pytest.raises(ValidationError):
        synthetic(50, 50, n_sectors=3, n_factors=3)
    with pytest.raises(ValidationError):
        synthetic(0)
    with pytest.raises(ValidationError):
        synthetic(10, n_days=1)


def test_synthetic_5000_instruments():
    m = synthetic(5000)
    assert m.prices.shape == (756, 5000)
    assert m.sectors.nunique() == 11
    cov, vol = m.risk_model()
    assert cov.shape == (5000, 5000) and np.isfinite(vol).all()

"""Bad input at the data entry points: market files, the portfolio file, Brinson, HRP, Monte Carlo
VaR and date arguments -- a typed error naming the file/line/column/instrument, or a documented
assumption with a warning; never a pandas/numpy traceback, never a changed input file.

Expected values are computed here independently (by hand or by a second method).
"""

from __future__ import annotations

import gzip
import json
import math
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlab import analytics as pa
from portlab.analytics import attribution as A
from portlab.analytics.optimize import hrp
from portlab.analytics.risk import MONTE_CARLO_BLOCK, MONTE_CARLO_MAX_MEMORY
from portlab.exceptions import (
    DataError,
    DataRepairWarning,
    InputRepairWarning,
    PortlabError,
    ValidationError,
)
from portlab.market import UNKNOWN_SECTOR, Market
from portlab.state import PortfolioState

GOOD = "Date,A,B\n2021-01-04,10,20\n2021-01-05,11,21\n2021-01-06,12.5,19\n"
GOOD_VALUES = [[10.0, 20.0], [11.0, 21.0], [12.5, 19.0]]
PORTFOLIO_EXAMPLE = {"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash": 100000.0}


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _raises_unchanged(path: Path, exc: type, pattern: str, fn):
    """``fn()`` raises ``exc`` whose message starts with ``path`` and matches ``pattern``;
    ``path`` keeps its bytes."""
    before = path.read_bytes()
    with pytest.raises(exc, match=re.escape(str(path)) + pattern) as info:
        fn()
    assert path.read_bytes() == before
    assert "\n" not in str(info.value) and "np.float64" not in str(info.value)
    return info


def _quiet(fn):
    """``fn()`` with the warnings it raises."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, caught


# =========================================================================== 1. prices files
BAD_PRICES = [
    ("empty", b"", r": the file is empty"),
    ("blank lines only", b"\n \n\r\n", r": the file is empty"),
    ("header only", b"Date,A,B\n", r": only a header line, no data rows"),
    ("row with more fields", b"Date,A\n2021-01-04,1\n2021-01-05,1,2\n", r": line 3 has 3 fields, more"),
    ("row with fewer fields", b"Date,A,B\n2021-01-04,1,2\n\n2021-01-05,1\n", r": line 4 has 2 fields, fewer"),
    ("no Date column", b"When,A\n2021-01-04,1\n", r": no 'Date' column \(header: When, A\)"),
    ("unnamed date column", b",A\n2021-01-04,1\n", r": line 1: column 1 has no name \(name the date"),
    ("repeated column", b"Date,A,A\n2021-01-04,1,2\n", r": line 1: column 'A' appears twice"),
    ("only a Date column", b"Date\n2021-01-04\n", r": only a 'Date' column"),
    ("unparseable date", b"Date,A\n2021-01-04,1\n2021-13-45,2\n", r": line 3, column 'Date': '2021-13-45' is not a date"),
    ("empty date", b"Date,A\n2021-01-04,1\n,2\n", r": line 3, column 'Date': an empty cell is not a date"),
    ("mixed date formats", b"Date,A\n2021-01-04,1\n01/05/2021,2\n", r": line 3, column 'Date': '01/05/2021'"),
    ("mixed time zones", b"Date,A\n2021-01-04T00:00Z,1\n2021-01-05T00:00+01:00,2\n", r": column 'Date': dates in different time zones"),
    ("non-numeric cell", b"Date,A,B\n2021-01-04,1,2\n2021-01-05,1,abc\n", r": line 3, column 'B': 'abc' is not a number"),
    ("quote never closed", b'Date,A\n2021-01-04,1\n2021-01-05,"2\n', r": line 3: not valid CSV"),
    ("not UTF-8", "Date,A\n2021-01-04,1\n2021-01-05,\u00e9\n".encode("latin-1"), r": line 3, byte 0xe9 at column 12 is not UTF-8"),
    ("corrupt gzip", gzip.compress(GOOD.encode())[:-12], r": cannot be read"),
    # cleaning rules, renamed after the file
    ("non-positive price", b"Date,A\n2021-01-04,1\n2021-01-05,-2\n", r" column 'A': 1 non-positive or infinite prices, first on 2021-01-05"),
    ("infinite price", b"Date,A\n2021-01-04,1\n2021-01-05,inf\n", r" column 'A': 1 non-positive or infinite"),
    ("all missing column", b"Date,A,B\n2021-01-04,1,\n2021-01-05,2,NA\n", r" column 'B' has no valid value"),
    ("conflicting duplicate date", b"Date,A\n2021-01-04,1\n2021-01-04,2\n", r": conflicting rows for duplicate date 2021-01-04: column 'A' has 1 and 2"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "pattern"), BAD_PRICES, ids=[c[0] for c in BAD_PRICES])
def test_bad_prices_file_is_a_data_error_naming_the_file(tmp_path, case, data, pattern):
    path = _write(tmp_path, "prices.csv", data)
    _raises_unchanged(path, DataError, pattern, lambda: Market.from_csv(path))


def test_missing_and_folder_prices_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        Market.from_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        Market.from_csv(tmp_path)
    with pytest.raises(ValidationError, match="path: expected a file name, got int"):
        Market.from_csv(3)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode(),
        lambda t: b"\xef\xbb\xbf" + t.encode(),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: gzip.compress(t.encode()),
        lambda t: gzip.compress(b"\xef\xbb\xbf" + t.encode()),
    ],
    ids=["plain", "bom", "crlf", "gzip", "gzip+bom"],
)
def test_bom_crlf_and_gzip_read_alike(tmp_path, encode):
    path = _write(tmp_path, "prices.data", encode(GOOD))
    m, _ = _quiet(lambda: Market.from_csv(path))
    assert m.prices.to_numpy().tolist() == GOOD_VALUES
    assert list(m.instruments) == ["A", "B"]
    assert [str(d.date()) for d in m.dates] == ["2021-01-04", "2021-01-05", "2021-01-06"]


def test_missing_cells_are_nan_and_cleaned_by_the_rules(tmp_path):
    text = "Date,A,B\n2021-01-04,,20\n2021-01-05,NA,21\n2021-01-06, 3 ,n/a\n2021-01-07,4,22\n"
    path = _write(tmp_path, "prices.csv", text)
    with pytest.warns(DataRepairWarning, match=re.escape(str(path)) + ": forward-filled 1"):
        m = Market.from_csv(path, sectors={"A": "X", "B": "Y"})
    # A: late listing (two NaN kept); B: one-row gap forward-filled with 21
    np.testing.assert_array_equal(
        m.prices.to_numpy(), [[np.nan, 20], [np.nan, 21], [3, 21], [4, 22]]
    )


def test_repair_warnings_name_the_file(tmp_path):
    path = _write(tmp_path, "p.csv", "Date,A\n2021-01-05,2\n2021-01-04,1\n")
    with pytest.warns(DataRepairWarning, match=re.escape(str(path)) + ": dates were not in"):
        m = Market.from_csv(path, sectors={"A": "X"})
    assert m.prices["A"].tolist() == [1.0, 2.0]


def test_keyword_errors_are_not_blamed_on_the_file(tmp_path):
    path = _write(tmp_path, "p.csv", GOOD)
    with pytest.raises(ValidationError, match=r"^max_ffill must be an integer >= 0, got -1$"):
        Market.from_csv(path, max_ffill=-1)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.lists(st.floats(1e-6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=15,
    ),
    form=st.sampled_from(["plain", "bom", "gzip", "crlf"]),
)
def test_prices_round_trip_exactly(tmp_path, values, form):
    """Whatever the encoding, every float written with repr() is read back bit for bit."""
    dates = pd.bdate_range("2020-03-02", periods=len(values))
    lines = ["Date,X,Y,Z"] + [
        f"{d.date()},{','.join(repr(v) for v in row)}" for d, row in zip(dates, values, strict=True)
    ]
    text = "\n".join(lines) + "\n"
    data = {
        "plain": text.encode(),
        "bom": b"\xef\xbb\xbf" + text.encode(),
        "gzip": gzip.compress(text.encode()),
        "crlf": text.replace("\n", "\r\n").encode(),
    }[form]
    path = _write(tmp_path, "rt.csv", data)
    m, _ = _quiet(lambda: Market.from_csv(path, sectors={"X": "s", "Y": "s", "Z": "t"}))
    assert m.prices.to_numpy().tolist() == values
    assert m.dates.equals(pd.DatetimeIndex(dates, name="Date"))


# =========================================================================== sectors files
BAD_SECTORS = [
    ("empty", b"", r": the file is empty"),
    ("header only", b"ticker,sector\n", r": only a header line"),
    ("no sector column", b"ticker,name\nA,Alpha\n", r": no 'sector' column \(header: ticker, name\)"),
    ("ragged", b"ticker,sector\nA,Energy,extra\n", r": line 2 has 3 fields, more than the 2"),
    ("no instrument id", b"ticker,sector\nA,Energy\n,Tech\n", r": line 3: no instrument id in column 'ticker'"),
    ("repeated instrument", b"ticker,sector\nA,Energy\nB,Tech\nA,Tech\n", r": line 4: instrument 'A' repeats line 2"),
    ("not UTF-8", "ticker,sector\nA,\u00c9nergie\n".encode("latin-1"), r": line 2, byte 0xc9"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "pattern"), BAD_SECTORS, ids=[c[0] for c in BAD_SECTORS])
def test_bad_sectors_file_is_a_data_error_naming_it(tmp_path, case, data, pattern):
    prices = _write(tmp_path, "prices.csv", GOOD)
    path = _write(tmp_path, "sectors.csv", data)
    _raises_unchanged(path, DataError, pattern, lambda: Market.from_csv(prices, sectors=path))
    assert prices.read_text() == GOOD


def test_sectors_file_with_bom_names_and_an_unknown_instrument(tmp_path):
    prices = _write(tmp_path, "prices.csv", GOOD)
    text = "ticker,name,sector\nA,Alpha,Energy\nB,Beta,Tech\nZZZ,Zed,Tech\n"
    path = _write(tmp_path, "sectors.csv", b"\xef\xbb\xbf" + text.encode())
    with pytest.warns(DataRepairWarning, match=re.escape(str(path)) + ": sectors given for"):
        m = Market.from_csv(prices, sectors=path)
    assert m.sectors.to_dict() == {"A": "Energy", "B": "Tech"}
    assert m.names.to_dict() == {"A": "Alpha", "B": "Beta"}
    assert not m.unknown_sector.any()


# =========================================================================== 2. unknown sectors
def _prices(cols=("A", "B", "C"), n=4) -> pd.DataFrame:
    index = pd.bdate_range("2021-01-04", periods=n)
    return pd.DataFrame(
        {c: np.arange(1.0, n + 1) * (i + 1) for i, c in enumerate(cols)}, index=index
    )


def test_no_sectors_is_said_and_exposed():
    with pytest.warns(InputRepairWarning) as record:
        m = Market(_prices())
    assert [str(w.message) for w in record] == [
        "no sectors given for 3 instruments (labelled 'Unknown'): sector limits and sector "
        "analytics do not apply to them; pass sectors=..."
    ]
    u = m.unknown_sector
    assert u.dtype == bool and u.name == "unknown_sector" and u.tolist() == [True] * 3
    assert list(u.index) == ["A", "B", "C"]
    assert UNKNOWN_SECTOR == "Unknown" and set(m.sectors) == {UNKNOWN_SECTOR}


def test_some_sectors_missing_names_them():
    with pytest.warns(InputRepairWarning, match=r"no sector given for 2 of 3 instruments \(B, C\)"):
        m = Market(_prices(), sectors={"A": "Energy", "B": " "})
    assert m.unknown_sector.tolist() == [False, True, True]
    assert m.select(["C", "A"]).unknown_sector.tolist() == [True, False]
    # the label itself means "not known", whoever wrote it
    explicit, _ = _quiet(lambda: Market(_prices(), sectors={"A": "Unknown", "B": "X", "C": "X"}))
    assert explicit.unknown_sector.tolist() == [True, False, False]


def test_full_sectors_warn_nothing(tmp_path):
    _, caught = _quiet(lambda: Market(_prices(), sectors={"A": "X", "B": "Y", "C": "X"}))
    assert caught == []
    prices = _write(tmp_path, "p.csv", GOOD)
    with pytest.warns(InputRepairWarning, match="no sectors given for 2 instruments"):
        Market.from_csv(prices)


# =========================================================================== 3. portfolio file
PORTFOLIO_TEXT = json.dumps(PORTFOLIO_EXAMPLE).encode()
BAD_PORTFOLIO = [
    ("empty", b"", DataError, r": the file is empty"),
    ("blank", b" \n\n", DataError, r": the file is empty"),
    ("not UTF-8", '{"positions": {"\u00c9": 1}}'.encode("latin-1"), DataError, r": line 1, byte 0xc9"),
    ("not JSON", b'{"positions": {\n  "AAPL": }\n}', ValidationError, r": invalid JSON at line 2, column 11"),
    ("a list", b"[1, 2]", ValidationError, r": portfolio state: expected a mapping of positions and cash \(got list\)"),
    ("unknown field", b'{"positions": {}, "Cash": 5}', ValidationError, r": portfolio state: unknown field\(s\) \['Cash'\]; expected positions, cash"),
    ("quantity as text", b'{"positions": {"AAPL": {"quantity": "100", "avg_price": 1}}}', ValidationError, r": positions\.AAPL\.quantity: must be a number \(got '100'\)"),
    ("negative price", b'{"positions": {"AAPL": {"quantity": 1, "avg_price": -1}}}', ValidationError, r": positions\.AAPL\.avg_price: must be > 0 \(got -1\.0\)"),
    ("NaN cash", b'{"positions": {}, "cash": NaN}', ValidationError, r": cash: must be finite"),
    ("position not a mapping", b'{"positions": {"AAPL": 100}}', ValidationError, r": positions\.AAPL: expected a mapping of quantity, avg_price \(got 100\)"),
    ("missing avg_price", b'{"positions": {"AAPL": {"quantity": 1}}}', ValidationError, r": positions\.AAPL\.avg_price: missing"),
    ("repeated instrument", b'{"positions": {"AAPL": {"quantity": 1, "avg_price": 1}, "AAPL": {"quantity": 2, "avg_price": 1}}}', ValidationError, r": key 'AAPL' appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "data", "exc", "pattern"), BAD_PORTFOLIO, ids=[c[0] for c in BAD_PORTFOLIO]
)
def test_bad_portfolio_file_names_the_file_and_field(tmp_path, case, data, exc, pattern):
    path = _write(tmp_path, "portfolio.json", data)
    _raises_unchanged(path, exc, pattern, lambda: PortfolioState.from_json(path))


@pytest.mark.parametrize(
    "data",
    [
        PORTFOLIO_TEXT,
        b"\xef\xbb\xbf" + PORTFOLIO_TEXT,
        gzip.compress(PORTFOLIO_TEXT),
        b"\n  " + PORTFOLIO_TEXT,
    ],
    ids=["plain", "bom", "gzip", "leading blanks"],
)
def test_portfolio_file_reads_alike(tmp_path, data):
    path = _write(tmp_path, "portfolio.json", data)
    for source in (path, str(path)):
        s = PortfolioState.from_json(source)
        assert s == PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
        assert (s.positions["AAPL"].quantity, s.positions["AAPL"].avg_price) == (100.0, 150.0)
        assert s.cash == 100000.0
        # NAV at 160: 100 * 160 + 100,000
        assert s.total_value({"AAPL": 160.0}) == 116000.0


def test_portfolio_json_text_and_bad_sources(tmp_path):
    assert PortfolioState.from_json("\ufeff" + PORTFOLIO_TEXT.decode()) == PortfolioState.from_dict(
        PORTFOLIO_EXAMPLE
    )
    with pytest.raises(ValidationError, match=r"^invalid JSON at line 1, column 2"):
        PortfolioState.from_json("{not json")
    with pytest.raises(ValidationError, match=r"^key 'cash' appears twice"):
        PortfolioState.from_json('{"cash": 1, "cash": 2}')
    with pytest.raises(
        ValidationError, match=r"^source: expected JSON text or a file path \(got int\)"
    ):
        PortfolioState.from_json(5)
    with pytest.raises(ValidationError, match="an empty string"):
        PortfolioState.from_json("")
    with pytest.raises(DataError, match=r"portfolio\.json: no such file"):
        PortfolioState.from_json(tmp_path / "portfolio.json")
    with pytest.raises(DataError, match="is a folder"):
        PortfolioState.from_json(tmp_path)


def test_from_dict_accepts_exactly_the_portfolio_shape():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
    assert s.to_dict() == {
        **PORTFOLIO_EXAMPLE,
        "portfolio_id": "main_portfolio",
        "realized_pnl": 0.0,
    }
    with pytest.raises(ValidationError, match=r"unknown field\(s\) \['position'\]"):
        PortfolioState.from_dict({"position": PORTFOLIO_EXAMPLE["positions"], "cash": 1.0})
    with pytest.raises(ValidationError, match=r"^positions: expected a mapping \(got list\)"):
        PortfolioState.from_dict({"positions": [["AAPL", 100]], "cash": 1.0})
    with pytest.raises(ValidationError, match=r"^cash: must be a number \(got '100000'\)"):
        PortfolioState.from_dict({"positions": {}, "cash": "100000"})
    with pytest.raises(ValidationError, match=r"^positions\.AAPL: unknown field\(s\) \['qty'\]"):
        PortfolioState.from_dict({"positions": {"AAPL": {"qty": 1, "avg_price": 1.0}}})


# =========================================================================== 4. Brinson
DAYS = pd.bdate_range("2021-01-04", periods=3)
R = pd.DataFrame(
    {"T1": [0.01, 0.02, -0.01], "T2": [0.0, 0.01, 0.02], "E1": [0.01, -0.01, 0.0]}, index=DAYS
)
GROUPS = {"T1": "Tech", "T2": "Tech", "E1": "Energy"}
EQUAL = pd.DataFrame(1 / 3, index=DAYS, columns=R.columns)


def _with_nan() -> pd.DataFrame:
    w = pd.DataFrame({"T1": 0.5, "T2": 0.3, "E1": 0.2}, index=DAYS)
    w.loc[DAYS[1], "T2"] = np.nan
    return w


def test_brinson_nan_weight_is_an_error_naming_instrument_group_and_date():
    message = (
        "weights: NaN for instrument 'T2' (group 'Tech') at period 2021-01-05 (1 NaN in all); "
        "give 0 for an instrument not held (e.g. weights.fillna(0.0))"
    )
    with pytest.raises(DataError, match=re.escape("portfolio " + message)):
        A.brinson(_with_nan(), R, EQUAL, None, GROUPS)
    with pytest.raises(DataError, match=re.escape("benchmark " + message)):
        A.brinson(EQUAL, R, _with_nan(), None, GROUPS)
    with pytest.raises(DataError, match=r"benchmark weights: NaN for instrument 'E1'"):
        A.brinson(EQUAL, R, {"T1": 0.5, "T2": 0.5, "E1": np.nan}, None, GROUPS)


def test_brinson_explicit_zero_weights_are_cash():
    """With NaN replaced by 0 (the caller's explicit choice) period 2 holds 0.7 and 0.3 cash."""
    res = A.brinson(_with_nan().fillna(0.0), R, EQUAL, None, GROUPS)
    by_hand = [
        0.5 * 0.01 + 0.3 * 0.0 + 0.2 * 0.01,
        0.5 * 0.02 + 0.2 * -0.01,
        0.5 * -0.01 + 0.3 * 0.02,
    ]
    np.testing.assert_allclose(res.portfolio_return.to_numpy(), by_hand, rtol=1e-14)
    assert res.portfolio_weights.loc[DAYS[1], A.CASH_GROUP] == pytest.approx(0.3, abs=1e-15)


def test_brinson_nan_or_infinite_returns_and_bad_weights():
    r = R.copy()
    r.loc[DAYS[2], "E1"] = np.nan
    with pytest.raises(
        DataError,
        match=re.escape("portfolio: instrument 'E1' (group 'Energy') at period 2021-01-06 has a"),
    ):
        A.brinson(EQUAL, r, EQUAL, None, GROUPS)
    r.loc[DAYS[2], "E1"] = np.inf
    with pytest.raises(DataError, match=r"portfolio returns: infinite value for instrument 'E1'"):
        A.brinson(EQUAL, r, EQUAL, None, GROUPS)
    with pytest.raises(ValidationError, match=r"the weight of 'T1' is not a number \(got 'x'\)"):
        A.brinson(EQUAL, R, {"T1": "x", "T2": 0.5, "E1": 0.5}, None, GROUPS)


# =========================================================================== 5. HRP
def _returns(k: int, n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(0, 0.01, (n, k)), columns=[f"C{i}" for i in range(k)])


def _named(message: str, k: int) -> set[str]:
    return {c for c in (f"C{i}" for i in range(k)) if re.search(rf"\b{c}\b", message)}


def test_hrp_all_nan_column_names_exactly_that_column():
    r = _returns(12)
    r["C5"] = np.nan
    with pytest.raises(
        DataError, match=r"fewer than 2 returns in column\(s\) C5: no variance"
    ) as info:
        hrp(r)
    assert _named(str(info.value), 12) == {"C5"}


def test_hrp_names_every_column_without_variance_and_only_them():
    r = _returns(12)
    r["C2"] = 0.003  # constant
    r["C9"] = np.nan
    r.loc[7, "C9"] = 0.01  # one return
    with pytest.raises(DataError) as info:
        hrp(r)
    assert _named(str(info.value), 12) == {"C2", "C9"}
    assert "constant column(s) C2" in str(info.value)


def test_hrp_pair_that_never_overlaps_is_named():
    r = _returns(4)
    r.loc[:30, "C1"] = np.nan
    r.loc[31:, "C3"] = np.nan
    with pytest.raises(DataError, match=r"the correlation of columns 'C1' and 'C3' is undefined"):
        hrp(r)


def test_hrp_non_numeric_and_infinite_cells_are_located():
    r = _returns(3).astype(object)
    r.loc[4, "C1"] = "n/a"
    with pytest.raises(DataError, match=r"^returns: column 'C1' is not numeric \(row 4\)$"):
        hrp(r)
    r = _returns(3)
    r.loc[6, "C2"] = -np.inf
    with pytest.raises(DataError, match=r"^returns: infinite value in column 'C2' at row 6$"):
        hrp(r)


def test_hrp_with_gaps_still_equals_inverse_variance_for_two_assets():
    """Two assets: HRP is inverse variance of the pairwise (ddof=1) variances."""
    r = _returns(2, n=80)
    r.loc[:9, "C0"] = np.nan
    var = r.var(ddof=1).to_numpy()
    np.testing.assert_allclose(hrp(r).to_numpy(), (1 / var) / (1 / var).sum(), rtol=1e-13)


# =========================================================================== 6. Monte Carlo VaR
def _mc_inputs(k: int, n: int = 250):
    rets = _returns(k, n=n, seed=3)
    return pd.Series(1.0 / k, index=rets.columns), rets


def test_monte_carlo_refuses_a_billion_draws_before_allocating():
    w, rets = _mc_inputs(5)
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as info:
            pa.value_at_risk(w, rets, method="monte_carlo", n_sims=10**9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 8 bytes per draw kept + one block of 2**22 normals: 8 * (1e9 + 2**22) bytes = 7.48 GiB
    assert str(info.value) == (
        "n_sims=1,000,000,000 would need 7.48 GiB (at least; limit 512 MiB); use fewer "
        "simulations or raise max_memory= (bytes)"
    )
    assert peak < 16 * 2**20  # nothing was allocated for the simulation
    assert MONTE_CARLO_MAX_MEMORY == 512 * 2**20


def test_monte_carlo_budget_is_exact_and_counts_held_instruments():
    w, rets = _mc_inputs(5)
    need = 8 * (200_000 + 200_000 * 5)  # one block: all 200,000 × 5 normals at once
    kw = {"method": "monte_carlo", "n_sims": 200_000}
    assert math.isfinite(pa.value_at_risk(w, rets, max_memory=need, **kw))
    with pytest.raises(ValidationError, match=r"\(with 5 held instruments; limit 9\.16 MiB\)"):
        pa.value_at_risk(w, rets, max_memory=need - 1, **kw)


def test_monte_carlo_memory_stays_within_the_budget():
    """3,000,000 draws over 5 instruments: 8 × (3e6 + 838,860 × 5) bytes = 57.6 MB, not the
    120 MB of drawing every normal at once."""
    w, rets = _mc_inputs(5)
    rows = MONTE_CARLO_BLOCK // 5
    need = 8 * (3_000_000 + rows * 5)
    tracemalloc.start()
    try:
        pa.value_at_risk(w, rets, method="monte_carlo", n_sims=3_000_000, max_memory=need)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= need + 4 * 2**20
    assert peak < 8 * 3_000_000 * 5


def test_monte_carlo_in_blocks_equals_one_draw():
    """Second method: the whole normal matrix drawn at once, the quantile read by sorting."""
    k, n_sims, c = 60, 150_000, 0.95  # 2**22 // 60 = 69,905 rows a block: three blocks
    w, rets = _mc_inputs(k, n=400)
    x = rets.to_numpy()
    lam, vec = np.linalg.eigh(np.cov(x, rowvar=False))
    load = (vec * np.sqrt(np.clip(lam, 0, None))).T @ w.to_numpy()
    z = np.random.default_rng(7).standard_normal((n_sims, k))
    sims = 2 * float(x.mean(axis=0) @ w.to_numpy()) + math.sqrt(2) * (z @ load)
    tail = np.sort(sims)[: int(round((1 - c) * n_sims)) + 1]  # 7,501 smallest
    var = -tail[-1]  # the ceil(0.95 n)-th smallest loss
    cvar = -tail[:-1].mean()  # (1 - c) n = 7,500 exactly: the mean of the 7,500 worst
    kw = {"method": "monte_carlo", "n_sims": n_sims, "seed": 7, "horizon": 2, "confidence": c}
    assert pa.value_at_risk(w, rets, **kw) == pytest.approx(var, rel=1e-12)
    assert pa.conditional_value_at_risk(w, rets, **kw) == pytest.approx(cvar, rel=1e-12)


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        (
            {"n_sims": 1e6},
            r"^n_sims must be an integer >= 100, got 1e\+06 \(float\); write 1000000$",
        ),
        ({"n_sims": -5}, r"^n_sims must be an integer >= 100, got -5$"),
        ({"n_sims": True}, r"^n_sims must be an integer >= 100, got True \(bool\)$"),
        ({"n_sims": "20000"}, r"^n_sims must be an integer >= 100, got '20000' \(str\)$"),
        ({"n_sims": np.int64(50)}, r"^n_sims must be an integer >= 100, got 50$"),
        ({"max_memory": 1.5}, r"^max_memory must be an integer >= 1, got 1\.5 \(float\)$"),
        ({"max_memory": 0}, r"^max_memory must be an integer >= 1, got 0$"),
        ({"seed": 0.5}, r"^seed must be an int >= 0, a Generator or None, got 0\.5 \(float\)$"),
        ({"seed": -1}, r"^seed must be an int >= 0, a Generator or None, got int$"),
    ],
)
def test_monte_carlo_argument_errors(kw, pattern):
    w, rets = _mc_inputs(3)
    with pytest.raises(ValidationError, match=pattern):
        pa.value_at_risk(w, rets, method="monte_carlo", **kw)


# =========================================================================== 7. numbers in messages
def test_numbers_in_messages_read_as_numbers():
    w, rets = _mc_inputs(3)
    cases = [
        (lambda: pa.value_at_risk(w, rets, confidence=np.float64(95.0)), r"got 95$"),
        (lambda: pa.value_at_risk(w, rets, horizon=np.int64(0)), r"horizon must be .*, got 0$"),
        (lambda: Market(_prices()).covariance("ewma", halflife=np.float64(-1.5)), r"got -1\.5$"),
        (lambda: Market(_prices(), max_ffill=np.int64(-2)), r"got -2$"),
        (
            lambda: Market(
                pd.DataFrame({"A": [125.674, 125.675]}, index=pd.DatetimeIndex(["2021-01-04"] * 2))
            ),
            r"column 'A' has 125\.674 and 125\.675$",
        ),
        (
            lambda: PortfolioState({"A": {"quantity": -10, "avg_price": 1.0}}).weights({"A": 1.0}),
            r"^net asset value is -10\.00; weights",
        ),
    ]
    for fn, pattern in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputRepairWarning)
            with pytest.raises(PortlabError, match=pattern) as info:
                fn()
        assert "np." not in str(info.value)


# =========================================================================== 8. date arguments
def test_truncate_end_is_a_date_named_end():
    m, _ = _quiet(lambda: Market(_prices(n=6)))
    with pytest.raises(ValidationError, match=r"^end: '2021-13-45' is not a date"):
        m.truncate("2021-13-45")
    with pytest.raises(ValidationError, match=r"^end: expected a date .*, got int$"):
        m.truncate(20210105)
    with pytest.raises(ValidationError, match=r"^end: no dates on or before 2020-12-31"):
        m.truncate("2020-12-31")
    assert list(m.truncate("2021-01-06").dates.day) == [4, 5, 6]
    # a time with a zone is compared in UTC: 2021-01-06 01:00+05:00 is 2021-01-05 20:00 UTC
    assert list(m.truncate("2021-01-06T01:00:00+05:00").dates.day) == [4, 5]


def test_attribution_period_dates_are_named():
    idx = pd.bdate_range("2021-01-04", periods=40)
    rng = np.random.default_rng(2)
    p = pd.Series(rng.normal(0.001, 0.01, 40), index=idx)
    b = pd.Series(rng.normal(0.001, 0.01, 40), index=idx)
    with pytest.raises(ValidationError, match=r"^period start: '2021-13-01' is not a date"):
        A.attribution_event(p, b, period=("2021-13-01", "2021-02-26"))
    with pytest.raises(ValidationError, match=r"^period end: expected a date"):
        A.attribution_event(p, b, period=("2021-01-04", None))
    with pytest.raises(ValidationError, match=r"^period: start 2021-03-01 is after end 2021-01-04"):
        A.attribution_event(p, b, period=("2021-03-01", "2021-01-04"))
    event = A.attribution_event(p, b, period=("2021-01-04", "2021-02-26"))
    period = event.attribution_period
    assert (str(period.start)[:10], str(period.end)[:10]) == ("2021-01-04", "2021-02-26")

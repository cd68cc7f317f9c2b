"""Bad input at ``Coordinator.coordinate``: typed errors naming the argument, rejections with a
reason, or a documented repair with a warning -- never a bare AttributeError/TypeError.

Expected sizes are worked out here by hand from the policy limits (NAV 1,000,000 and prices of
100 unless said otherwise, so 1% of NAV is 100 shares).
"""

from __future__ import annotations

import copy
import functools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _builders import rebalance_request
from portlab import Coordinator, Market, Policy, PortfolioState
from portlab.exceptions import DataError, InputRepairWarning, ValidationError

NAV = 1_000_000.0
TS = "2024-01-03T15:00:00Z"


def make_market(names, vols=None, sectors=None, dates: int = 3) -> Market:
    """Prices 100, the given volatilities (20% by default), no correlation; ``sectors=None``
    builds the market without sectors (every instrument "Unknown")."""
    index = pd.bdate_range("2024-01-01", periods=dates)
    prices = pd.DataFrame({k: [100.0] * dates for k in names}, index=index)
    vol = np.array([(vols or {}).get(k, 0.2) for k in names])
    cov = pd.DataFrame(np.diag(vol**2), index=names, columns=names)
    if sectors is None:
        return Market(prices, covariance=cov)
    return Market(prices, sectors=pd.Series(sectors), covariance=cov)


def buy(sid, inst, conf=0.7, er=0.05, ts=TS):
    """A BUY signal; with σ 20% over 21 days its Kelly fraction 0.05/(0.04·21/252) = 15 is
    capped at 25%, so the position limit always binds."""
    return {
        "signal_id": sid,
        "timestamp": pd.Timestamp(ts),
        "instrument_id": inst,
        "action": "BUY",
        "confidence": conf,
        "expected_return": er,
    }


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def event(sid, inst, ts=TS):
    return {
        "eventId": sid,
        "timestamp": ts,
        "signal": {
            "instrument_id": inst,
            "action": "BUY",
            "confidence": 0.7,
            "strength": "STRONG",
            "signal_score": 0.5,
        },
        "expected_outcomes": {
            "price_target": 110.0,
            "expected_return": 0.05,
            "success_probability": 0.6,
        },
    }


def holding(qty: dict, nav: float = NAV) -> PortfolioState:
    """Holdings at price 100 and the cash that makes NAV ``nav``."""
    positions = {k: {"quantity": q, "avg_price": 100.0} for k, q in qty.items()}
    return PortfolioState(positions, cash=nav - 100.0 * sum(qty.values()))


def shares(result, inst) -> tuple[str, float]:
    d = result.decisions
    row = d[d["instrument_id"] == inst]
    assert len(row) == 1, result.rejections.to_dict("records")
    return row.iloc[0]["action"], float(row.iloc[0]["share_quantity"])


def rejection(result, rid, source: str | None = None) -> pd.Series:
    rej = result.rejections
    rows = rej[(rej["id"] == rid) & ((rej["source"] == source) if source else True)]
    assert len(rows) == 1, result.rejections.to_dict("records")
    return rows.iloc[0]


@pytest.fixture(scope="module")
def market() -> Market:
    return make_market(["A", "B"], sectors={"A": "X", "B": "Y"})


# -- 1. argument types -----------------------------------------------------------------------


def test_state_as_a_portfolio_file_dict_is_read_with_from_dict(market):
    # A: 100 shares at 100 = 10,000 + cash 100,000 → NAV 110,000; B may reach 5% = 5,500 = 55 shares
    state = {"positions": {"A": {"quantity": 100, "avg_price": 150.0}}, "cash": 100000.0}
    before = copy.deepcopy(state)
    r = Coordinator().coordinate(frame(buy("s", "B")), state, market)
    assert r.nav == pytest.approx(110_000.0)
    assert shares(r, "B") == ("BUY", 55.0)
    assert state == before
    same = Coordinator().coordinate(frame(buy("s", "B")), PortfolioState.from_dict(state), market)
    pd.testing.assert_frame_equal(r.decisions, same.decisions)


@pytest.mark.parametrize(
    "state, match",
    [
        (
            {"positions": {"A": {"quantity": 1, "avg_price": -1.0}}},
            r"^state: positions\.A\.avg_price",
        ),
        ({"positions": {}, "cassh": 5.0}, r"^state: unknown field\(s\) \['cassh'\]"),
    ],
)
def test_bad_state_dict_is_named_once(market, state, match):
    with pytest.raises(ValidationError, match=match) as info:
        Coordinator().coordinate([], state, market)
    assert "portfolio state" not in str(info.value)  # no stutter


@pytest.mark.parametrize(
    "state, got",
    [(None, "NoneType"), (5, "int"), ("portfolio.json", r"str \(read a JSON file"), ([], "list")],
)
def test_state_of_a_wrong_type(market, state, got):
    with pytest.raises(
        ValidationError, match=rf"^state: expected a PortfolioState or a mapping .* got {got}"
    ):
        Coordinator().coordinate([], state, market)


@pytest.mark.parametrize(
    "bad, got",
    [
        (None, "NoneType"),
        ("sample", r"str \(read a prices file with Market.from_csv"),
        (pd.DataFrame({"A": [1.0]}), "DataFrame"),
    ],
)
def test_market_of_a_wrong_type(bad, got):
    with pytest.raises(ValidationError, match=rf"^market: expected a portlab\.Market .* got {got}"):
        Coordinator().coordinate([], PortfolioState(cash=NAV), bad)


@pytest.mark.parametrize(
    "bad, got",
    [
        (5, "int$"),
        ("signals.jsonl", r"str \(read a JSON Lines file"),
        ({"instrument_id": ["A"]}, r"dict \(put a single signal in a list\)"),
        (pd.Series([1.0]), "Series$"),
    ],
)
def test_signals_of_a_wrong_type(market, bad, got):
    with pytest.raises(
        ValidationError, match=rf"^signals: expected a list of TradingSignalEvent .*got {got}"
    ):
        Coordinator().coordinate(bad, PortfolioState(cash=NAV), market)


@pytest.mark.parametrize(
    "bad, got",
    [
        (5, "int$"),
        ("requests.jsonl", r"str \(read a JSON Lines file"),
        (pd.DataFrame(), "DataFrame$"),
    ],
)
def test_rebalance_requests_of_a_wrong_type(market, bad, got):
    with pytest.raises(ValidationError, match=rf"^rebalance_requests: expected .* got {got}"):
        Coordinator().coordinate([], PortfolioState(cash=NAV), market, bad)


def test_bad_elements_of_a_list_are_rejections_and_the_rest_goes_on(market):
    good_request = rebalance_request(
        "rb", [{"instrument_id": "B", "target_weight": 0.02}], timestamp=TS
    )
    r = Coordinator().coordinate(
        [None, 5, event("ok", "A")], PortfolioState(cash=NAV), market, [None, good_request]
    )
    assert shares(r, "A") == ("BUY", 500.0)  # 5% position limit
    assert shares(r, "B") == ("BUY", 200.0)  # target 2% from 0
    assert rejection(r, "index-0", "SIGNAL")["detail"].startswith("signals[0]: expected a dict")
    assert rejection(r, "index-1")["detail"] == (
        "signals[1]: expected a dict, a JSON string or a TradingSignalEvent, got int"
    )
    rb = rejection(r, "index-0", "REBALANCE")
    assert (rb["reason"], rb["detail"]) == (
        "INVALID",
        "rebalance_requests[0]: expected a dict, a JSON string or a RebalanceRequestEvent, got NoneType",
    )
    assert r.stats["total_signals"] == 3 and r.stats["total_rebalance_adjustments"] == 2


# -- 2. as_of ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, match",
    [
        ("yesterday", r"^as_of: 'yesterday' is not a date"),
        (5, r"^as_of: expected a date .* got int"),
        ("2022-13-45", r"^as_of: '2022-13-45' is not a date"),
        (True, r"^as_of: expected a date .* got bool"),
        ("3000-01-01", r"^as_of: 3000-01-01T00:00:00\+00:00 is outside the supported range"),
    ],
)
def test_unusable_as_of_is_named(market, as_of, match):
    with pytest.raises(ValidationError, match=match):
        Coordinator().coordinate(
            frame(buy("s", "A")), PortfolioState(cash=NAV), market, as_of=as_of
        )


def test_as_of_with_a_zone_is_converted_to_utc(market):
    r = Coordinator().coordinate(
        frame(buy("s", "A")), PortfolioState(cash=NAV), market, as_of="2024-01-05T09:30:00-05:00"
    )
    assert r.as_of == pd.Timestamp("2024-01-05 14:30", tz="UTC")
    assert r.decisions["timestamp"].iloc[0] == r.as_of


# -- 3. rebalance targets that need a short under a no-short policy -----------------------------


def _short_request(target: float, priority: str | None = None):
    adj = {"instrument_id": "A", "target_weight": target}
    if priority:
        adj["priority"] = priority
    return rebalance_request("rb", [adj], timestamp="2024-01-03T14:00:00Z")


def test_negative_target_does_not_displace_a_valid_signal():
    """A holds 3% (300 shares); a BUY signal (MEDIUM, Kelly 25%) and a request to go to -2%
    (MEDIUM: a tie, which the request would win). -2% needs a short, which Policy() forbids:
    the request is rejected before conflict resolution and the signal is sized normally:
    position room 5% - 3% = 2%, nothing else held so no correlation cut → 200 shares."""
    m = make_market(["A", "B"], sectors={"A": "X", "B": "Y"})
    r = Coordinator().coordinate(
        frame(buy("s", "A")), holding({"A": 300}), m, [_short_request(-0.02)]
    )
    assert shares(r, "A") == ("BUY", 200.0)
    d = r.decisions.iloc[0]
    assert d["policy_constrained"] == pytest.approx(0.02, abs=1e-12)
    assert d["target_position"] == pytest.approx(0.05, abs=1e-12)
    assert list(d["signal_ids"]) == ["s"] and list(d["rebalance_ids"]) == []
    rb = rejection(r, "rb/A")
    assert (rb["reason"], rb["rule"]) == ("POLICY_LIMIT", "short_selling")
    assert rb["detail"] == (
        "target weight -2.0% needs a short position (current weight 3.0%) but the policy does "
        "not allow short selling (allow_short=False); a target of 0% sells the 3.0% held down "
        "to flat"
    )
    assert "s" not in set(r.rejections["id"])


def test_negative_target_without_a_holding_leaves_the_signal_its_full_size():
    # nothing held: the signal gets the full 5% position limit = 500 shares
    m = make_market(["A", "B"], sectors={"A": "X", "B": "Y"})
    r = Coordinator().coordinate(
        frame(buy("s", "A")), PortfolioState(cash=NAV), m, [_short_request(-0.02, "CRITICAL")]
    )
    assert shares(r, "A") == ("BUY", 500.0)
    assert rejection(r, "rb/A")["detail"].endswith("use a target of 0% or more")


def test_with_shorts_allowed_the_request_still_wins_the_tie():
    # allow_short: 3% → -2% is a SELL of 5% = 500 shares (short room: 3% + 5% = 8%); the
    # request wins the priority tie and the signal is overridden, as documented
    m = make_market(["A", "B"], sectors={"A": "X", "B": "Y"})
    c = Coordinator(policy=Policy(allow_short=True))
    r = c.coordinate(frame(buy("s", "A")), holding({"A": 300}), m, [_short_request(-0.02)])
    assert shares(r, "A") == ("SELL", 500.0)
    s = rejection(r, "s")
    assert (s["reason"], s["winner_id"]) == ("OVERRIDDEN", "rb/A")


def test_a_short_already_held_may_be_covered_but_not_increased():
    # A is short 3% (-300 shares) under a no-short policy: -1% buys back 200, -4% is refused
    m = make_market(["A", "B"], sectors={"A": "X", "B": "Y"})
    r = Coordinator().coordinate([], holding({"A": -300}), m, [_short_request(-0.01)])
    assert shares(r, "A") == ("BUY", 200.0)
    r = Coordinator().coordinate([], holding({"A": -300}), m, [_short_request(-0.04)])
    assert r.decisions.empty
    assert rejection(r, "rb/A")["detail"].startswith(
        "target weight -4.0% adds to the short position (current weight -3.0%)"
    )


@functools.cache
def _two() -> Market:
    return make_market(["A", "B"], sectors={"A": "X", "B": "Y"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    held=st.integers(-400, 600),
    target=st.integers(-800, 800),
    urgency=st.sampled_from(["LOW", "NORMAL", "CRITICAL"]),
)
def test_short_targets_are_refused_exactly_when_infeasible(held, target, urgency):
    """Weights in basis points (``held`` shares at 100 are held/10,000 of NAV). Under no-short
    the adjustment is refused iff target < min(0, held); then the BUY signal (Kelly 25%) is
    sized as if there were no request: up to the 5% position limit, 500 - held shares, or
    too small to round up to the 1% minimum when less than 100 shares are left."""
    req = rebalance_request(
        "rb",
        [{"instrument_id": "A", "target_weight": target / 1e4, "urgency": urgency}],
        timestamp="2024-01-03T14:00:00Z",
    )
    r = Coordinator().coordinate(frame(buy("s", "A")), holding({"A": held}), _two(), [req])
    rej = r.rejections.set_index("id")
    refused = "rb/A" in rej.index and rej.loc["rb/A", "rule"] == "short_selling"
    assert refused == (target < min(0, held))
    if not refused:
        return
    if held <= 400:
        assert shares(r, "A") == ("BUY", float(500 - held))
    elif held < 500:
        assert rej.loc["s", "reason"] == "BELOW_MIN_SIZE"
    else:
        assert (rej.loc["s", "reason"], rej.loc["s", "rule"]) == ("POLICY_LIMIT", "position")


# -- 4. instruments without a sector --------------------------------------------------------------


def _recorded(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    mine = [w for w in caught if issubclass(w.category, InputRepairWarning)]
    return out, mine


def test_unknown_sectors_are_not_pooled_under_the_sector_cap():
    """8 stocks without sectors, 8 BUY signals each capped at the 5% position limit: 500
    shares each, 40% in total. Pooled into one "Unknown" sector they would stop at 25%.
    Nothing else binds: cash 100%, leverage 0.4 < 2, volatility √8·5%·20% = 2.8% < 20%."""
    names = [f"S{i}" for i in range(8)]
    m = make_market(names)
    sig = frame(*(buy(f"s{i}", n) for i, n in enumerate(names)))
    r, caught = _recorded(lambda: Coordinator().coordinate(sig, PortfolioState(cash=NAV), m))
    assert r.rejections.empty
    assert [shares(r, n) for n in names] == [("BUY", 500.0)] * 8
    assert r.decisions["position_size"].sum() == pytest.approx(0.40, abs=1e-12)
    assert set(r.decisions["sector"]) == {"Unknown"}
    assert r.decisions["sector_after"].to_numpy() == pytest.approx(np.full(8, 0.05))
    assert all("sector_unknown_limit_not_applied" in w for w in r.decisions["warnings"])
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "market: 8 of 8 instruments have no sector (labelled 'Unknown'); the 25.0% sector "
        "limit does not apply to them (each counts as a sector of its own; the position limit "
        "still does). Give the market sectors= to enforce it"
    )


def test_known_sectors_keep_their_cap_next_to_unknown_ones():
    """T1 and T2 are Tech, U0..U5 have no sector. Tech holds 22% (T1): T2 may add the 3% left
    under the 25% cap (300 shares); each U gets its 5% position limit (500 shares). Cash 78%
    covers 33%; volatility √(0.22² + 0.03² + 6·0.05²)·20% = 4.8% < 20%."""
    names = ["T1", "T2", *[f"U{i}" for i in range(6)]]
    m = make_market(names, sectors={"T1": "Tech", "T2": "Tech"})
    sig = frame(buy("t2", "T2"), *(buy(f"u{i}", f"U{i}") for i in range(6)))
    state = PortfolioState({"T1": {"quantity": 2200, "avg_price": 100.0}}, cash=780_000)
    r, caught = _recorded(lambda: Coordinator().coordinate(sig, state, m))
    assert shares(r, "T2") == ("BUY", 300.0)
    assert [shares(r, f"U{i}") for i in range(6)] == [("BUY", 500.0)] * 6
    assert r.decisions.set_index("instrument_id").loc["T2", "sector_after"] == pytest.approx(0.25)
    assert len(caught) == 1 and "6 of 8 instruments have no sector" in str(caught[0].message)


def test_no_warning_when_every_instrument_has_a_sector(market):
    _, caught = _recorded(
        lambda: Coordinator().coordinate(frame(buy("s", "A")), PortfolioState(cash=NAV), market)
    )
    assert caught == []


_N = 6
_NAMES = [f"I{i}" for i in range(_N)]
_PAIR: list[tuple[Market, Market]] = []


def _pair() -> tuple[Market, Market]:
    """The same market without sectors and with each instrument in a sector of its own."""
    if not _PAIR:
        vols = dict(zip(_NAMES, [0.15, 0.2, 0.25, 0.3, 0.35, 0.4], strict=True))
        _PAIR.append((make_market(_NAMES, vols), make_market(_NAMES, vols, {n: n for n in _NAMES})))
    return _PAIR[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    held=st.lists(st.integers(0, 900), min_size=_N, max_size=_N),
    er=st.lists(st.floats(0.001, 0.05), min_size=_N, max_size=_N),
    sector=st.floats(0.02, 0.3),
    position=st.floats(0.02, 0.2),
)
def test_unknown_sectors_behave_as_sectors_of_their_own(held, er, sector, position):
    """Second method: a market without sectors decides exactly as the same market in which
    every instrument is named its own sector, whatever the holdings and limits."""
    position = min(position, sector)
    unknown, own = _pair()
    state = holding(dict(zip(_NAMES, held, strict=True)))
    sig = frame(*(buy(f"s{i}", n, er=e) for i, (n, e) in enumerate(zip(_NAMES, er, strict=True))))
    c = Coordinator(policy={"max_position_size": position, "max_sector_exposure": sector})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputRepairWarning)
        a = c.coordinate(sig, state, unknown)
    b = c.coordinate(sig, state, own)
    cols = [
        "instrument_id",
        "action",
        "share_quantity",
        "final_size",
        "sector_before",
        "sector_after",
    ]
    pd.testing.assert_frame_equal(a.decisions[cols], b.decisions[cols])
    pd.testing.assert_frame_equal(a.rejections, b.rejections)


# -- 5. other foreseeable bad input --------------------------------------------------------------


@pytest.mark.parametrize("empty", [[], None, pd.DataFrame(), ()])
def test_no_signals_is_an_empty_result_stamped_with_the_last_market_date(market, empty):
    r = Coordinator().coordinate(empty, PortfolioState(cash=NAV), market)
    assert r.decisions.empty and r.rejections.empty
    assert r.stats["total_signals"] == 0
    assert r.as_of == pd.Timestamp("2024-01-03", tz="UTC")


def test_frame_missing_or_repeating_columns(market):
    with pytest.raises(
        ValidationError,
        match=r"^signals: the DataFrame lacks required column\(s\) \['action', 'confidence'\]",
    ):
        Coordinator().coordinate(
            pd.DataFrame({"instrument_id": ["A"]}), PortfolioState(cash=NAV), market
        )
    twice = pd.DataFrame(
        [["A", "BUY", 0.7, 0.7]], columns=["instrument_id", "action", "confidence", "confidence"]
    )
    with pytest.raises(
        ValidationError, match=r"^signals: column\(s\) \['confidence'\] appear more than once"
    ):
        Coordinator().coordinate(twice, PortfolioState(cash=NAV), market)


def test_bad_cells_of_a_frame_are_rejections_naming_the_field(market):
    rows = frame(
        {**buy("num_ts", "A"), "timestamp": 5},
        {**buy("junk_ts", "A"), "timestamp": "soon"},
        {**buy("far_ts", "A"), "timestamp": "3000-01-01"},
        {**buy("bool", "A"), "confidence": True},
        {**buy("inf", "A"), "expected_return": np.inf},
        {**buy("lot", "A"), "lot_size": 0.5},
        {**buy("int_id", "A"), "instrument_id": 7},
        {**buy("ok", "B"), "timestamp": "2024-01-03"},  # ISO date without time or zone: UTC
    )
    r = Coordinator().coordinate(rows, PortfolioState(cash=NAV), market)
    detail = r.rejections.set_index("id")["detail"]
    assert (
        detail["num_ts"] == "timestamp: not a timestamp (use ISO 8601, e.g. 2022-12-28T14:55:00Z)"
    )
    assert detail["junk_ts"] == detail["num_ts"]
    assert detail["far_ts"] == "timestamp: outside the supported range 1677-09-21 to 2262-04-11"
    assert detail["bool"] == "signal.confidence: not a number (got a boolean)"
    assert detail["inf"] == "expected_outcomes.expected_return: must be finite, got inf"
    assert detail["lot"] == "signal.lot_size: 0.5 outside [1, inf)"
    assert detail["int_id"] == "signal.instrument_id: expected a string, got 7"
    assert not r.rejections["detail"].str.contains("np.").any()
    assert shares(r, "B") == ("BUY", 500.0)


def test_event_timestamps_beyond_the_supported_range_are_rejections(market):
    far = rebalance_request(
        "far", [{"instrument_id": "B", "target_weight": 0.02}], timestamp="3000-01-01T00:00:00Z"
    )
    r = Coordinator().coordinate(
        [event("old", "A", ts="1200-01-01T00:00:00Z"), event("ok", "B")],
        PortfolioState(cash=NAV),
        market,
        [far],
    )
    assert rejection(r, "old")["field"] == "timestamp"
    assert (rejection(r, "far")["reason"], rejection(r, "far")["field"]) == ("INVALID", "timestamp")
    assert shares(r, "B") == ("BUY", 500.0)


def test_instruments_not_in_the_market_are_rejected(market):
    req = rebalance_request("rb", [{"instrument_id": "ZZ", "target_weight": 0.02}], timestamp=TS)
    r = Coordinator().coordinate(frame(buy("s", "ZZ")), PortfolioState(cash=NAV), market, [req])
    assert tuple(rejection(r, "s")[["reason", "detail"]]) == (
        "UNKNOWN_INSTRUMENT",
        "instrument not in the market",
    )
    assert tuple(rejection(r, "rb/ZZ")[["reason", "detail"]]) == (
        "UNKNOWN_INSTRUMENT",
        "instrument not in the market",
    )


def test_state_holding_instruments_the_market_lacks(market):
    state = PortfolioState(
        {k: {"quantity": 1, "avg_price": 1.0} for k in ("ZZ", "A", "YY")}, cash=NAV
    )
    with pytest.raises(
        DataError, match=r"^state: held instrument\(s\) ZZ, YY not in the market \(2 instruments\)"
    ):
        Coordinator().coordinate([], state, market)


def test_held_instrument_without_a_current_price():
    index = pd.bdate_range("2024-01-01", periods=10)
    prices = pd.DataFrame({"A": [100.0] * 10, "D": [50.0] * 2 + [np.nan] * 8}, index=index)
    m = Market(prices, sectors={"A": "X", "D": "Y"})
    state = PortfolioState({"D": {"quantity": 10, "avg_price": 50.0}}, cash=NAV)
    with pytest.raises(DataError, match=r"^state: held instrument\(s\) D have no current price"):
        Coordinator().coordinate([], state, m)


@pytest.mark.parametrize(
    "qty, cash, shown",
    [
        ({}, 0.0, "cash 0.00 \\+ positions 0.00 .* got 0.00"),
        ({"A": 10}, -5_000.0, "cash -5,000.00 \\+ positions 1,000.00 .* got -4,000.00"),
    ],
)
def test_portfolio_value_must_be_positive(market, qty, cash, shown):
    state = PortfolioState(
        {k: {"quantity": q, "avg_price": 100.0} for k, q in qty.items()}, cash=cash
    )
    with pytest.raises(DataError, match=rf"^state: portfolio value \({shown}"):
        Coordinator().coordinate(frame(buy("s", "A")), state, market)


def test_market_with_one_date_has_no_risk_data():
    """One price row: no volatility. Signals are rejected NO_RISK_DATA; a rebalance adjustment
    that adds exposure is too (the volatility limit cannot be checked), a pure reduction goes
    through: A 5% → 1% sells 400 shares."""
    m = Market(
        pd.DataFrame({"A": [100.0], "B": [100.0]}, index=pd.bdate_range("2024-01-01", periods=1)),
        sectors={"A": "X", "B": "Y"},
    )
    req = rebalance_request(
        "rb",
        [
            {"instrument_id": "A", "target_weight": 0.01},
            {"instrument_id": "B", "target_weight": 0.03},
        ],
        timestamp=TS,
    )
    r = Coordinator().coordinate(frame(buy("s", "B")), holding({"A": 500}), m, [req])
    assert rejection(r, "s")["reason"] == "NO_RISK_DATA"
    assert rejection(r, "rb/B")["reason"] == "NO_RISK_DATA"
    assert shares(r, "A") == ("SELL", 400.0)


# -- 6. rebalance trades are measured against the actual portfolio -----------------------------------


def test_request_is_measured_from_target_weight_not_its_stale_current_weight(market):
    # the request believes A is at 1% and asks +2% to 3%; A actually holds 5% (500 shares):
    # the engine trades to the 3% target, a SELL of 2% = 200 shares
    req = rebalance_request(
        "rb",
        [
            {
                "instrument_id": "A",
                "current_weight": 0.01,
                "target_weight": 0.03,
                "adjustment_needed": 0.02,
            }
        ],
        timestamp=TS,
    )
    r = Coordinator().coordinate([], holding({"A": 500}), market, [req])
    assert shares(r, "A") == ("SELL", 200.0)
    assert r.decisions.iloc[0]["target_position"] == pytest.approx(0.03, abs=1e-12)


def test_a_request_passed_twice_is_reported_once_and_applied_once(market):
    from portlab.events import RebalanceRequestEvent

    req = RebalanceRequestEvent.model_validate(
        rebalance_request("rb", [{"instrument_id": "A", "target_weight": 0.02}], timestamp=TS)
    )
    r = Coordinator().coordinate([], PortfolioState(cash=NAV), market, [req, req])
    assert shares(r, "A") == ("BUY", 200.0)  # 2% of 1,000,000 at 100
    again = rejection(r, "rb")
    assert (again["reason"], again["field"]) == ("INVALID", "eventId")
    assert "rb/A" not in set(r.rejections["id"])


def test_signals_without_timestamp_give_the_same_decisions_whenever_run():
    import json

    from portlab.datasets import example_batch, example_paths, load_sample
    from portlab.events import parse_signals

    records = [json.loads(line) for line in example_paths()["signals"].read_text().splitlines()]
    for record in records:
        del record["timestamp"]
    batch, market = example_batch(), load_sample()
    runs = []
    for _ in range(2):
        with pytest.warns(InputRepairWarning, match="14 events without timestamp"):
            signals = parse_signals(records).events
        assert not any(s.timestamp_given for s in signals)
        result = Coordinator().coordinate(signals, batch.state, market)
        runs.append([event.to_json() for event in result.events()])
    assert runs[0] == runs[1]
    # no time given anywhere: the decisions are stamped with the market's last date
    assert {e.timestamp.date().isoformat() for e in result.events()} == {"2022-12-28"}

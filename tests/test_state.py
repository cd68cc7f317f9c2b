"""Tests of portlab.state: hand-computed cases and accounting properties."""

from __future__ import annotations

import copy
import enum
import math
import pickle
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab.events import TradeExecutedEvent
from portlab.exceptions import DataError, PortlabError, ValidationError
from portlab.state import PortfolioState, Position

PORTFOLIO_EXAMPLE = {"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash": 100000.0}
EXECUTION_EXAMPLE = {
    "eventId": "uuid",
    "timestamp": "2025-06-21T10:35:00.000Z",
    "execution": {
        "instrument_id": "AAPL",
        "action": "BUY",
        "quantity": 197,
        "executed_price": 152.28,
        "total_amount": 29999.16,
    },
}


def execution(iid, action, quantity, price, total=None, event_id="e"):
    ex = {"instrument_id": iid, "action": action, "quantity": quantity, "executed_price": price}
    if total is not None:
        ex["total_amount"] = total
    return {"eventId": event_id, "timestamp": "2025-06-21T10:35:00.000Z", "execution": ex}


# -- loading and serialization ------------------------------------------------------------


def test_portfolio_example_loads():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
    assert s.positions == {"AAPL": Position(100.0, 150.0)}
    assert s.cash == 100000.0
    assert s.portfolio_id == "main_portfolio"
    assert s.realized_pnl == 0.0
    assert s.instruments == ("AAPL",)
    assert s.total_value({"AAPL": 150.0}) == 115000.0


def test_round_trips_dict_json_frame_pickle(tmp_path):
    s = PortfolioState(
        {"AAPL": {"quantity": 100, "avg_price": 150.0}, "TSLA": Position(-20, 250.5)},
        -5000.0,
        portfolio_id="p2",
        realized_pnl=12.5,
    )
    assert PortfolioState.from_dict(s.to_dict()) == s
    assert PortfolioState.from_json(s.to_json()) == s
    path = tmp_path / "state.json"
    path.write_text(s.to_json(indent=2))
    assert PortfolioState.from_json(path) == s
    assert PortfolioState.from_json(str(path)) == s
    frame = s.to_frame()
    assert list(frame.columns) == ["instrument_id", "quantity", "avg_price"]
    back = PortfolioState.from_frame(frame, -5000.0, portfolio_id="p2", realized_pnl=12.5)
    assert back == s
    assert PortfolioState.from_frame(frame.set_index("instrument_id"), -5000.0).positions == (
        s.positions
    )
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.deepcopy(s) == s
    assert hash(PortfolioState.from_dict(s.to_dict())) == hash(s)


def test_inputs_copied_read_only_and_zero_positions_dropped():
    raw = {"AAPL": {"quantity": 100, "avg_price": 150.0}, "MSFT": {"quantity": 0, "avg_price": 0}}
    s = PortfolioState(raw, 1.0)
    raw["AAPL"] = {"quantity": 1, "avg_price": 1.0}
    assert s.positions == {"AAPL": Position(100.0, 150.0)}
    assert isinstance(s.positions, MappingProxyType)
    with pytest.raises(TypeError):
        s.positions["X"] = Position(1, 1)  # type: ignore[index]
    with pytest.raises(AttributeError, match=r"^PortfolioState is immutable; apply\(\) returns"):
        s.cash = 5.0  # type: ignore[misc]
    with pytest.raises(AttributeError, match=r"^PortfolioState is immutable$"):
        del s._cash
    with pytest.raises(AttributeError):
        s.anything_new = 1  # no __dict__: nothing can be added either
    assert "AAPL" in repr(s) and "cash=1.00" in repr(s)
    assert PortfolioState().to_frame().shape == (0, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"positions": {"AAPL": {"quantity": 100, "avg_price": -1.0}}}, "positions.AAPL.avg_price"),
        ({"positions": {"AAPL": {"quantity": 100, "avg_price": 0}}}, "positions.AAPL.avg_price"),
        ({"positions": {"MSFT": {"quantity": "100", "avg_price": 1}}}, "positions.MSFT.quantity"),
        ({"positions": {"MSFT": {"quantity": float("nan"), "avg_price": 1}}}, "MSFT.quantity"),
        ({"positions": {"IBM": {"quantity": 1}}}, "positions.IBM.avg_price: missing"),
        ({"positions": {"IBM": {"quantity": 1, "avg_price": 1, "cost": 2}}}, "'cost'"),
        ({"positions": {"IBM": 5}}, "positions.IBM"),
        ({"positions": [1, 2]}, "positions"),
        ({"positions": {}, "cash": None}, "cash"),
        ({"postions": {}}, "postions"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_shapes_name_instrument_and_field(data, message):
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        PortfolioState.from_dict(data)


def test_error_message_exact_and_hierarchy():
    with pytest.raises(ValidationError) as info:
        PortfolioState.from_dict({"positions": {"AAPL": {"quantity": 100, "avg_price": -1.0}}})
    assert str(info.value) == "positions.AAPL.avg_price: must be > 0 (got -1.0)"
    assert isinstance(info.value, PortlabError)
    with pytest.raises(ValidationError, match="invalid JSON"):
        PortfolioState.from_json("{not json")
    with pytest.raises(ValidationError, match="missing column"):
        PortfolioState.from_frame(pd.DataFrame({"instrument_id": ["A"], "quantity": [1.0]}))
    frame = pd.DataFrame({"instrument_id": ["A", "A"], "quantity": [1, 2], "avg_price": [1, 1]})
    with pytest.raises(ValidationError, match="'A'"):
        PortfolioState.from_frame(frame)
    with pytest.raises(ValidationError, match="Position.avg_price"):
        Position(5, 0.0)
    assert Position(0, 0.0).cost_basis == 0.0


# -- executions ---------------------------------------------------------------------------


def test_execution_example_applied_to_cash():
    s0 = PortfolioState(cash=100000.0)
    s1 = s0.apply(EXECUTION_EXAMPLE)
    assert s1.cash == pytest.approx(70000.84, abs=1e-9)
    assert s1.positions == {"AAPL": Position(197.0, 152.28)}
    assert s1.realized_pnl == 0.0
    assert s0 == PortfolioState(cash=100000.0)  # the original is untouched


def test_execution_example_added_to_portfolio_example_averages_price():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE).apply([EXECUTION_EXAMPLE])
    pos = s.positions["AAPL"]
    assert pos.quantity == 297.0
    assert pos.avg_price == pytest.approx((100 * 150.0 + 197 * 152.28) / 297, rel=1e-12)
    assert s.cash == pytest.approx(70000.84, abs=1e-9)


def test_duck_typed_event_with_str_enum_action():
    class Action(enum.StrEnum):
        BUY = "BUY"
        SELL = "SELL"

    inner = SimpleNamespace(
        instrument_id="AAPL", action=Action.SELL, quantity=40, executed_price=160.0
    )
    event = SimpleNamespace(eventId="x", timestamp=None, execution=inner)
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE).apply(event)  # no total_amount: q * p
    assert s.cash == 100000.0 + 40 * 160.0
    assert s.positions["AAPL"] == Position(60, 150.0)
    assert s.realized_pnl == pytest.approx(400.0)


def test_trade_executed_event_applies():
    event = TradeExecutedEvent.model_validate(EXECUTION_EXAMPLE)
    s = PortfolioState(cash=100000.0).apply(event)
    assert s.cash == pytest.approx(70000.84, abs=1e-9)
    assert s.positions["AAPL"] == Position(197, 152.28)


def test_partial_sell_realizes_pnl_and_keeps_avg_with_fees_in_cash_only():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE).apply(
        execution("AAPL", "SELL", 40, 160.0, 6395.0)
    )
    assert s.positions["AAPL"] == Position(60.0, 150.0)
    assert s.realized_pnl == pytest.approx((160.0 - 150.0) * 40)
    assert s.cash == 100000.0 + 6395.0  # 5.0 of fees


def test_full_close_removes_position():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE).apply(execution("AAPL", "SELL", 100, 140.0))
    assert s.positions == {}
    assert s.realized_pnl == pytest.approx(-1000.0)
    assert s.cash == 114000.0


def test_flip_long_to_short():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE).apply(
        execution("AAPL", "SELL", 150, 140.0, 21000.0)
    )
    assert s.positions["AAPL"] == Position(-50.0, 140.0)
    assert s.realized_pnl == pytest.approx((140.0 - 150.0) * 100)
    assert s.cash == 121000.0


def test_short_add_cover_and_flip():
    s = PortfolioState({"TSLA": {"quantity": -100, "avg_price": 50.0}}, 10000.0)
    added = s.apply(execution("TSLA", "SELL", 100, 60.0))
    assert added.positions["TSLA"] == Position(-200.0, 55.0)
    covered = s.apply(execution("TSLA", "BUY", 30, 45.0, 1351.0))
    assert covered.positions["TSLA"] == Position(-70.0, 50.0)
    assert covered.realized_pnl == pytest.approx((50.0 - 45.0) * 30)
    assert covered.cash == 10000.0 - 1351.0
    closed = covered.apply(execution("TSLA", "BUY", 70, 55.0))
    assert closed.positions == {}
    assert closed.realized_pnl == pytest.approx(150.0 + (50.0 - 55.0) * 70)
    flipped = s.apply_trade("TSLA", 130, 40.0)
    assert flipped.positions["TSLA"] == Position(30.0, 40.0)
    assert flipped.realized_pnl == pytest.approx((50.0 - 40.0) * 100)
    assert flipped.cash == 10000.0 - 130 * 40.0


def test_apply_trade_matches_apply_and_validates():
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
    assert s.apply_trade("AAPL", -40, 160.0, 6395.0) == s.apply(
        execution("AAPL", "SELL", 40, 160.0, 6395.0)
    )
    with pytest.raises(ValidationError, match="quantity"):
        s.apply_trade("AAPL", 0, 160.0)
    with pytest.raises(ValidationError, match="price"):
        s.apply_trade("AAPL", 1, -1.0)
    with pytest.raises(ValidationError, match="total_amount"):
        s.apply_trade("AAPL", 1, 1.0, -3.0)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"quantity": -5}, r"executions\[1\] \(eventId=e2\) \[MSFT\]: execution\.quantity"),
        ({"quantity": 0}, "execution.quantity: must be > 0"),
        ({"executed_price": float("nan")}, "execution.executed_price"),
        ({"total_amount": -1.0}, "execution.total_amount"),
        ({"action": "HOLD"}, "execution.action"),
        ({"instrument_id": ""}, "execution.instrument_id"),
    ],
)
def test_bad_execution_names_event_and_field_and_applies_nothing(bad, message):
    good = execution("AAPL", "BUY", 1, 150.0, event_id="e1")
    wrong = execution("MSFT", "BUY", 5, 300.0, event_id="e2")
    wrong["execution"].update(bad)
    s = PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
    with pytest.raises(ValidationError, match=message):
        s.apply([good, wrong])
    assert s == PortfolioState.from_dict(PORTFOLIO_EXAMPLE)
    with pytest.raises(ValidationError, match="executions"):
        s.apply(42)


# -- valuation ----------------------------------------------------------------------------

SECTOR_STATE = PortfolioState(
    {
        "A": {"quantity": 100, "avg_price": 8.0},
        "B": {"quantity": -50, "avg_price": 22.0},
        "C": {"quantity": 10, "avg_price": 100.0},
    },
    7000.0,
)
SECTOR_PRICES = {"A": 10.0, "B": 20.0, "C": 100.0, "ZZZ": float("nan")}  # NAV = 8000


def test_valuation_by_hand():
    s, prices = SECTOR_STATE, pd.Series(SECTOR_PRICES)
    mv = s.market_values(prices)
    assert mv.to_dict() == {"A": 1000.0, "B": -1000.0, "C": 1000.0}
    assert mv.index.name == "instrument_id"
    assert s.total_value(prices) == 8000.0
    assert s.weights(prices).to_dict() == {"A": 0.125, "B": -0.125, "C": 0.125}
    assert s.gross_exposure(prices) == pytest.approx(3000 / 8000)
    assert s.leverage(prices) == s.gross_exposure(prices)
    assert s.net_exposure(prices) == pytest.approx(1000 / 8000)
    assert s.unrealized_pnl(prices).to_dict() == {"A": 200.0, "B": 100.0, "C": 0.0}


def test_sector_exposures_by_hand():
    sectors = {"A": "Tech", "B": "Tech"}  # C is missing -> Unknown
    gross = SECTOR_STATE.sector_exposures(SECTOR_PRICES, sectors)
    assert gross.to_dict() == {"Tech": 0.25, "Unknown": 0.125}
    net = SECTOR_STATE.sector_exposures(SECTOR_PRICES, pd.Series(sectors), gross=False)
    assert net.to_dict() == {"Tech": 0.0, "Unknown": 0.125}
    frame = pd.DataFrame({"ticker": ["A", "B", "C"], "sector": ["Tech", "Energy", None]})
    by_frame = SECTOR_STATE.sector_exposures(SECTOR_PRICES, frame)
    assert by_frame.to_dict() == {"Energy": 0.125, "Tech": 0.125, "Unknown": 0.125}


@pytest.mark.parametrize(
    "prices", [{"A": 10.0, "C": 100.0}, {"A": 10.0, "B": np.nan, "C": 1.0}, {"A": 1, "B": 0}]
)
def test_unusable_price_of_held_instrument_is_data_error_naming_it(prices):
    for method in ("market_values", "total_value", "weights", "unrealized_pnl", "leverage"):
        with pytest.raises(DataError, match="'B'"):
            getattr(SECTOR_STATE, method)(prices)


def test_weights_need_positive_nav():
    s = PortfolioState({"A": {"quantity": 10, "avg_price": 10.0}}, -100.0)
    assert s.total_value({"A": 10.0}) == 0.0
    with pytest.raises(DataError, match="NAV"):
        s.weights({"A": 10.0})


def test_quantities_aligned_to_universe():
    s = SECTOR_STATE
    np.testing.assert_array_equal(s.quantities(["Z", "C", "A", "B"]), [0.0, 10.0, 100.0, -50.0])
    np.testing.assert_array_equal(s.quantities(pd.Index(["A", "B", "C"])), [100.0, -50.0, 10.0])
    assert PortfolioState().quantities([]).shape == (0,)
    with pytest.raises(DataError, match="'B'"):
        s.quantities(["A", "C"])
    with pytest.raises(ValidationError, match="duplicate"):
        s.quantities(["A", "A", "B", "C"])


# -- from_weights -------------------------------------------------------------------------


def test_from_weights_whole_shares():
    weights = pd.Series({"AAPL": 0.3, "MSFT": 0.5, "TSLA": -0.1, "GE": 0.0})
    prices = {"AAPL": 152.28, "MSFT": 281.3, "TSLA": 249.9}
    value = 1_000_000.0
    s = PortfolioState.from_weights(weights, prices, value)
    assert set(s.positions) == {"AAPL", "MSFT", "TSLA"}
    assert s.positions["AAPL"] == Position(math.trunc(0.3 * value / 152.28), 152.28)
    assert s.positions["TSLA"].quantity == math.trunc(-0.1 * value / 249.9)  # toward zero
    assert all(p.quantity == int(p.quantity) for p in s.positions.values())
    assert s.total_value(prices) == pytest.approx(value, rel=1e-14)
    w = s.weights(prices)
    for iid, target in weights.items():
        if target:
            assert abs(w[iid] - target) <= prices[iid] / value


def test_from_weights_fractional_and_float_noise():
    s = PortfolioState.from_weights({"A": 0.25, "B": 0.75}, {"A": 3.0, "B": 7.0}, 100.0)
    assert s.positions["A"].quantity == 8.0 and s.positions["B"].quantity == 10.0
    assert s.cash == pytest.approx(100 - 24 - 70)
    frac = PortfolioState.from_weights(
        {"A": 0.25, "B": 0.75}, {"A": 3.0, "B": 7.0}, 100.0, whole_shares=False
    )
    assert frac.weights({"A": 3.0, "B": 7.0}).to_dict() == pytest.approx({"A": 0.25, "B": 0.75})
    assert frac.cash == pytest.approx(0.0, abs=1e-12)
    # 0.35 * 100 / 0.07 is 499.99999999999994 in floats: still 500 whole shares
    assert PortfolioState.from_weights({"X": 0.35}, {"X": 0.07}, 100.0).positions["X"] == (
        Position(500, 0.07)
    )


def test_from_weights_missing_price_names_instrument():
    with pytest.raises(DataError, match="'MSFT'"):
        PortfolioState.from_weights({"AAPL": 0.5, "MSFT": 0.5}, {"AAPL": 150.0}, 1e6)
    with pytest.raises(ValidationError, match=r"weights\.AAPL"):
        PortfolioState.from_weights({"AAPL": float("nan")}, {"AAPL": 150.0}, 1e6)


# -- properties ---------------------------------------------------------------------------

UNIVERSE = ["A", "B", "C", "D"]
prices_st = st.floats(1.0, 500.0, allow_nan=False)
states = st.builds(
    PortfolioState,
    st.dictionaries(
        st.sampled_from(UNIVERSE),
        st.fixed_dictionaries({"quantity": st.integers(-500, 500), "avg_price": prices_st}),
        max_size=4,
    ),
    st.floats(-1e5, 1e6, allow_nan=False),
    realized_pnl=st.floats(-1e4, 1e4, allow_nan=False),
)
int_qty = st.integers(-300, 300).filter(bool)
float_qty = st.floats(0.01, 300.0).flatmap(lambda q: st.sampled_from([q, -q]))
trades_st = st.lists(
    st.tuples(
        st.sampled_from(UNIVERSE),
        st.one_of(int_qty, float_qty),
        prices_st,
        st.floats(0.0, 25.0),
        st.booleans(),
    ),
    max_size=25,
)


def as_events(trades):
    """Events of (iid, signed qty, price, fee, give_total) trades, and the total fees."""
    events, fees = [], 0.0
    for i, (iid, q, p, fee, give_total) in enumerate(trades):
        gross = abs(q) * p
        total = (gross + fee if q > 0 else max(gross - fee, 0.0)) if give_total else None
        fees += 0.0 if total is None else (total - gross if q > 0 else gross - total)
        events.append(execution(iid, "BUY" if q > 0 else "SELL", abs(q), p, total, f"e{i}"))
    return events, fees


@settings(max_examples=200, deadline=None)
@given(states, trades_st, st.lists(prices_st, min_size=4, max_size=4))
def test_accounting_identity(s0, trades, marks):
    events, fees = as_events(trades)
    s1 = s0.apply(events)
    prices = dict(zip(UNIVERSE, marks, strict=True))
    book0 = s0.cash + sum(p.quantity * p.avg_price for p in s0.positions.values())
    expected = book0 + (s1.realized_pnl - s0.realized_pnl) + s1.unrealized_pnl(prices).sum() - fees
    scale = abs(s0.cash) + sum(abs(p.quantity) * p.avg_price for p in s0.positions.values())
    scale += sum(abs(q) * max(p, *marks) for _, q, p, _, _ in trades) + 1.0
    assert s1.total_value(prices) == pytest.approx(expected, rel=1e-6, abs=1e-9 * scale)


@settings(max_examples=200, deadline=None)
@given(states, st.lists(st.tuples(st.sampled_from(UNIVERSE), int_qty, prices_st), max_size=25))
def test_quantities_are_signed_sums_of_trades(s0, trades):
    s1 = s0.apply(as_events([(i, q, p, 0.0, False) for i, q, p in trades])[0])
    expected = s0.quantities(UNIVERSE).copy()
    for iid, q, _ in trades:
        expected[UNIVERSE.index(iid)] += q
    np.testing.assert_array_equal(s1.quantities(UNIVERSE), expected)
    assert all(p.quantity != 0 and p.avg_price > 0 for p in s1.positions.values())


@settings(max_examples=100, deadline=None)
@given(states, trades_st)
def test_apply_never_mutates_and_batch_equals_sequence(s0, trades):
    before, snapshot = s0.to_dict(), copy.deepcopy(s0)
    events, _ = as_events(trades)
    batch = s0.apply(events)
    assert s0 == snapshot and s0.to_dict() == before
    one_by_one = s0
    for event in events:
        one_by_one = one_by_one.apply(event)
    assert one_by_one == batch


@settings(max_examples=100, deadline=None)
@given(states, trades_st)
def test_dict_and_json_round_trip(s0, trades):
    s1 = s0.apply(as_events(trades)[0])
    for s in (s0, s1):
        assert PortfolioState.from_dict(s.to_dict()) == s
        assert PortfolioState.from_json(s.to_json()) == s

"""The execution rules (ExecutionRulesConfig) in the workbench: the policy tuner's view-model,
its widget and the coordination console hold the order type, time in force, limit price
distance, market impact limit and what happens above it; what they show is the engine's
result under the same rules, computed here by a direct ``Coordinator`` call.

The bundled sample has no volumes, so a copy with a constant average daily volume per
instrument is used: the impact ``σ_daily × sqrt(shares / ADV)`` is then known by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import param
import pytest

from portlab import Coordinator, ExecutionRulesConfig, Market
from portlab.apps.console import CoordinationConsole, Css
from portlab.datasets import example_batch, load_sample
from portlab.engine import ImpactAction, OrderType, TimeInForce
from portlab.ui import EXECUTION_SETTINGS, PolicyModel
from portlab.widgets import PolicyTuner
from portlab.widgets.policy_tuner import decision_table

BATCH = example_batch()
ADV = 20_000.0  # shares a day, every instrument: the example's trades are ~1-5% of it


def with_volumes(market: Market) -> Market:
    volumes = pd.DataFrame(ADV, index=market.dates, columns=market.instruments)
    return Market(
        market.prices,
        sectors=market.sectors,
        names=market.names,
        benchmark=market.benchmark,
        volumes=volumes,
    )


@pytest.fixture(scope="module")
def market() -> Market:
    return with_volumes(load_sample())


RULES = {
    "default_order_type": OrderType.LIMIT,
    "time_in_force": TimeInForce.GTC,
    "price_threshold": 0.02,
    "market_impact_limit": 0.001,
    "impact_action": ImpactAction.SPLIT,
}


def engine(market: Market, **rules) -> pd.DataFrame:
    return (
        Coordinator(execution=rules)
        .coordinate(BATCH.signals, BATCH.state, market, BATCH.rebalance_requests)
        .decisions.set_index("instrument_id")
    )


def test_the_model_holds_the_execution_rules_and_coordinates_under_them(market):
    model = PolicyModel(market=market, state=BATCH.state, signals=BATCH.signals,
                        rebalance_requests=BATCH.rebalance_requests)  # fmt: skip
    assert set(EXECUTION_SETTINGS) <= set(model.SETTINGS)
    assert model.market_impact_limit == 0.0  # no limit, on the slider's scale
    assert model.execution_settings()["market_impact_limit"] is None
    model.set(**RULES)
    assert model.error is None
    assert model.build_coordinator().execution == ExecutionRulesConfig(**RULES)
    got = model.result.decisions.set_index("instrument_id")
    want = engine(market, **RULES)
    pd.testing.assert_frame_equal(got, want)
    assert (got["order_type"] == "LIMIT").all() and (got["time_in_force"] == "GTC").all()
    # a BUY's limit is 2% above the last price, a SELL's 2% below
    sign = np.where(got["action"] == "BUY", 1.0, -1.0)
    np.testing.assert_allclose(got["limit_price"], got["price"] * (1 + 0.02 * sign), rtol=1e-12)
    # impact by hand: σ_daily sqrt(shares / ADV); above 0.1% a trade is split into
    # ceil((impact / 0.1%)²) daily orders
    at = market.instruments.get_indexer(got.index)
    vol = np.sqrt(np.diag(market.risk_model()[0])[at]) / np.sqrt(252)
    impact = vol * np.sqrt(got["share_quantity"] / ADV)
    np.testing.assert_allclose(got["market_impact"], impact, rtol=1e-9)
    split = np.maximum(np.ceil((impact / 0.001) ** 2 - 1e-9), 1)
    assert (got["child_orders"].to_numpy() == split.to_numpy()).all()
    assert (got["child_orders"] > 1).any()  # the limit binds on the example


def test_shrink_cuts_trades_to_the_impact_limit(market):
    model = PolicyModel(market=market, state=BATCH.state, signals=BATCH.signals,
                        rebalance_requests=BATCH.rebalance_requests)  # fmt: skip
    model.set(market_impact_limit=0.001, impact_action=ImpactAction.SHRINK)
    got = model.result.decisions
    assert (got["market_impact"] <= 0.001 + 1e-12).all()
    assert (got["child_orders"] == 1).all()
    want = engine(market, market_impact_limit=0.001, impact_action="SHRINK")
    np.testing.assert_array_equal(
        got.set_index("instrument_id")["share_quantity"], want["share_quantity"]
    )


def test_the_model_starts_from_the_coordinators_rules(market):
    given = Coordinator(execution={"default_order_type": "MARKET", "market_impact_limit": 0.004})
    model = PolicyModel(market=market, coordinator=given)
    assert model.default_order_type is OrderType.MARKET
    assert model.market_impact_limit == 0.004
    model.market_impact_limit = 0.0  # back to no limit
    assert model.build_coordinator().execution.market_impact_limit is None


def test_the_tuner_shows_the_orders_as_the_engine_gives_them(market):
    tuner = PolicyTuner(market=market, state=BATCH.state, signals=BATCH.signals,
                        rebalance_requests=BATCH.rebalance_requests)  # fmt: skip
    controls = tuner.controls_by_name
    assert set(EXECUTION_SETTINGS) <= set(controls)
    for name, value in RULES.items():
        controls[name].value = value  # as a person picks each
    assert tuner.model.error is None
    table = decision_table(tuner.result).set_index("Instrument")
    want = engine(market, **RULES).loc[table.index]
    n = want["child_orders"].to_numpy()
    orders = [o.replace("\u00a0", " ") for o in table["Order"]]  # non-breaking in the page
    assert orders == [f"LIMIT GTC x{k}" if k > 1 else "LIMIT GTC" for k in n]
    np.testing.assert_allclose(table["Limit price"], want["limit_price"], rtol=1e-12)
    np.testing.assert_allclose(table["Impact"], want["market_impact"], rtol=1e-12)
    html = tuner.decisions_html.value
    price = want["limit_price"].iloc[0]
    assert f"${price:,.2f}" in html  # limit prices with cents


def test_the_console_has_the_execution_controls_and_columns(market):
    console = CoordinationConsole(market=market, state=BATCH.state)
    for name in EXECUTION_SETTINGS:
        assert name in console.controls, name
    assert Css.ORDER_TYPE in console.controls["default_order_type"].css_classes
    console.controls["default_order_type"].value = OrderType.LIMIT
    slider = console.controls["market_impact_limit"]
    slider.value = 0.001
    with param.edit_constant(slider):
        slider.value_throttled = 0.001  # a release of the slider
    shown = console.decisions.value.set_index("instrument_id")
    want = (
        Coordinator(execution={"default_order_type": "LIMIT", "market_impact_limit": 0.001})
        .coordinate(console.model.signals, BATCH.state, market, console.model.rebalance_requests)
        .decisions.set_index("instrument_id")
        .loc[shown.index]
    )
    for column in ("order_type", "time_in_force", "limit_price", "market_impact", "child_orders"):
        assert column in shown.columns, column
        pd.testing.assert_series_equal(shown[column], want[column], check_names=False)

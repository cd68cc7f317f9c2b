"""Tests of portlab.apps.console in Python (no browser): the console's decisions are the
engine's for the same inputs and policy, computed here by a direct ``Coordinator`` call, and
its downloads read back as the same decision events.
"""

from __future__ import annotations

import io

import pandas as pd
import panel as pn
import param
import pytest

from portlab import Coordinator, Policy
from portlab.apps.console import CoordinationConsole, Css, UploadKind, coordination_console
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.events import (
    CoordinatedTradingDecisionEvent,
    TradingSignalEvent,
    parse_events,
    read_jsonl,
)

PATHS = example_paths()
MARKET = load_sample()
BATCH = example_batch()
SIGNALS = read_jsonl(PATHS["signals"], TradingSignalEvent).events


@pytest.fixture(scope="module")
def console() -> CoordinationConsole:
    return CoordinationConsole(market=MARKET)


def _release(slider: pn.widgets.FloatSlider, value: float) -> None:
    """What the browser sends when a slider is released: value, then value_throttled."""
    slider.value = value
    with param.edit_constant(slider):
        slider.value_throttled = value


def _decisions_equal(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    columns = ["decision_id", "instrument_id", "action", "share_quantity", "trade_amount"]
    pd.testing.assert_frame_equal(
        actual[columns].reset_index(drop=True), expected[columns].reset_index(drop=True)
    )


def test_loaded_signals_and_max_position_give_the_engines_decisions(console):
    loaded = console.load_signals(PATHS["signals"].read_bytes(), "example_signals.jsonl")
    assert loaded.count == 14 and console.uploads[UploadKind.SIGNALS] is loaded
    _release(console.controls["max_position_size"], 0.03)
    console.run()
    assert console.model.error is None
    direct = Coordinator(policy=Policy(max_position_size=0.03)).coordinate(
        SIGNALS, BATCH.state, MARKET
    )
    assert len(direct.decisions) > 0
    _decisions_equal(console.model.result.decisions, direct.decisions)
    shown = console.decisions.value
    assert shown["instrument_id"].tolist() == direct.decisions["instrument_id"].tolist()
    assert shown["share_quantity"].tolist() == direct.decisions["share_quantity"].tolist()
    assert sorted(console.rejections.value["id"]) == sorted(direct.rejections["id"])


def test_downloads_read_back_as_the_decisions(console):
    direct = Coordinator(policy=Policy(max_position_size=console.model.max_position_size))
    result = direct.coordinate(list(console.model.signals), BATCH.state, MARKET)
    lines = console.decisions_jsonl().decode("utf-8").splitlines()
    batch = parse_events(lines, CoordinatedTradingDecisionEvent)
    assert batch.errors == []
    assert [e.to_dict() for e in batch.events] == [e.to_dict() for e in result.events()]
    rejections = pd.read_csv(io.BytesIO(console.rejections_csv()))
    assert rejections["id"].tolist() == result.rejections["id"].tolist()
    assert rejections["reason"].tolist() == [str(r) for r in result.rejections["reason"]]


def test_a_malformed_line_is_listed_and_the_others_coordinated():
    app = CoordinationConsole(market=MARKET)
    lines = PATHS["signals"].read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"confidence": 0.62', '"confidence": 7')
    app.signals_paste.value = "\n".join(lines)
    app.load_pasted.clicks += 1
    loaded = app.uploads[UploadKind.SIGNALS]
    assert loaded.errors == (
        "pasted:2: signal.confidence: Input should be less than or equal to 1",
    )
    assert "pasted:2: signal.confidence:" in app.upload_errors.object
    rest = [s for s in SIGNALS if s.event_id != "sig-002"]
    direct = Coordinator().coordinate(rest, BATCH.state, MARKET)
    _decisions_equal(app.model.result.decisions, direct.decisions)
    # the rejections download: the engine's rejections, then the invalid line
    table = pd.read_csv(io.BytesIO(app.rejections_csv()), keep_default_na=False)
    engine = table[table["source"] != "UPLOAD"]
    assert engine["id"].tolist() == direct.rejections["id"].tolist()
    invalid = table[table["source"] == "UPLOAD"]
    assert invalid[["id", "reason", "field"]].to_numpy().tolist() == [
        ["pasted:2", "INVALID", "signal.confidence"]
    ]
    assert invalid["detail"].tolist() == ["Input should be less than or equal to 1"]


def test_policy_and_portfolio_uploads_replace_the_settings_and_state():
    app = CoordinationConsole(market=MARKET)
    app.load_signals(PATHS["signals"].read_text(encoding="utf-8"))
    policy_yaml = b"policy:\n  max_position_size: 0.02\n  max_leverage: 1.5\n"
    app.load_policy(policy_yaml, "tight.yaml")
    assert app.controls["max_position_size"].value == pytest.approx(0.02)
    assert app.model.max_leverage == pytest.approx(1.5)
    app.load_portfolio(b'{"positions": {"AAPL": {"quantity": 100, "avg_price": 120}}, '
                       b'"cash": 500000}', "small.json")  # fmt: skip
    direct = Coordinator(policy=Policy(max_position_size=0.02, max_leverage=1.5)).coordinate(
        SIGNALS, app.model.state, MARKET
    )
    assert app.model.state.cash == 500000
    _decisions_equal(app.model.result.decisions, direct.decisions)
    bad = app.load_policy(b"policy:\n  max_position_size: 5\n", "bad.yaml")
    assert bad.value is None and app.model.max_position_size == pytest.approx(0.02)
    assert "bad.yaml:2: policy.max_position_size" in app.upload_errors.object


def test_strategy_map_upload_rejects_unmapped_signals_and_keeps_the_controls():
    app = CoordinationConsole(market=MARKET)
    app.load_signals(PATHS["signals"].read_text(encoding="utf-8"))
    _release(app.controls["max_position_size"], 0.04)
    loaded = app.load_strategy_map(PATHS["strategies"].read_bytes(), "strategies.yaml")
    assert loaded.value is not None and loaded.errors == ()
    assert app.model.max_position_size == pytest.approx(0.04)  # the control kept its value
    direct = Coordinator(policy={"max_position_size": 0.04}, portfolio=PATHS["strategies"])
    want = direct.coordinate(SIGNALS, app.model.state, MARKET)
    _decisions_equal(app.model.result.decisions, want.decisions)
    rejected = app.rejections.value
    unmapped = rejected[rejected["reason"] == "UNMAPPED_STRATEGY"]
    assert sorted(unmapped["instrument_id"]) == ["AMD", "RRC"]
    assert "strategy map</b>: strategies.yaml — loaded" in app.upload_errors.object
    # a policy upload afterwards keeps the map
    app.load_policy(b"policy:\n  max_position_size: 0.03\n", "p.yaml")
    assert app.model.result.coordinator.portfolio is not None
    assert (app.model.result.rejections["reason"] == "UNMAPPED_STRATEGY").sum() == 2
    # a bad map is listed and changes nothing
    bad = app.load_strategy_map(b"name: x\ninstruments: [AAPL]\nstrategies: {AAPL: {m: -1}}\n",
                                "bad.yaml")  # fmt: skip
    assert bad.value is None and "bad.yaml" in app.upload_errors.object
    assert app.model.result.coordinator.portfolio.name == "sample_portfolio"


def test_selection_draws_that_decisions_waterfall(console):
    frame = console.decisions.value
    console.decisions.selection = [len(frame) - 1]
    instrument = frame["instrument_id"].iloc[-1]
    title = console.waterfall.object.opts.get().kwargs.get("title", "")
    assert f"Sizing of {instrument}" in title


def test_the_decisions_numbers_are_aligned_right(console):
    grid = console.decisions
    for column in ("share_quantity", "price", "trade_amount", "position_size", "limit_price"):
        assert grid.formatters[column].text_align == "right"
    assert grid.formatters["trade_amount"].format == "$0,0"


def test_editor_targets_become_the_rebalance_request(console):
    weights = dict(console.editor.target_weights)
    console.editor.target_weights = {**weights, "LLY": 0.03}
    assert dict(console.model.targets) == {"LLY": 0.03}
    assert "LLY" in console.model.result.decisions["instrument_id"].tolist()
    console.editor.target_weights = weights  # back to the current weights: no targets
    assert console.model.targets is None


def test_page_and_css_classes():
    view = coordination_console(market=MARKET)
    assert isinstance(view, pn.template.FastListTemplate)
    app = CoordinationConsole(market=MARKET)
    shown = [o for area in (app.view.sidebar, app.view.main) for top in area for o in top.select()]
    classes = {c for obj in shown for c in getattr(obj, "css_classes", [])}
    for css in (
        Css.SIGNALS_UPLOAD,
        Css.MAX_POSITION,
        Css.RUN,
        Css.DECISIONS,
        Css.REJECTIONS,
        Css.UPLOAD_ERRORS,
        Css.DOWNLOAD_DECISIONS,
        Css.DOWNLOAD_REJECTIONS,
    ):
        assert css in classes, css  # fmt: skip

"""Adaptation in the workbench: the policy tuner's view-model learns each strategy's
calibration, Kelly scale and tier shift from a decision journal's realized outcomes (by the
market's last close) when ``adaptive`` is on; the tuner widget and the console show what was
learned. Expected values: the engine's own learning (``learn`` over ``journal_outcomes``) and
a direct ``Coordinator`` call with that state."""

from __future__ import annotations

import pandas as pd
import pytest

from portlab import Coordinator
from portlab.apps.console import CoordinationConsole
from portlab.datasets import example_batch, load_sample
from portlab.engine import AdaptiveState
from portlab.engine.learning import learn
from portlab.engine.realized import journal_outcomes
from portlab.journal import Journal
from portlab.ui import ADAPTIVE_SETTINGS, PolicyModel, adaptation_rows
from portlab.widgets import PolicyTuner

BATCH = example_batch()
MARKET = load_sample()
SETTINGS = {"learning_rate": 0.05, "adaptation_period": 2}


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    """Three earlier runs of the example batch, every decision's horizon passed by the
    sample's last close."""
    path = tmp_path_factory.mktemp("adaptive") / "decisions.db"
    with Journal(path) as j:
        for day in ("2022-06-30", "2022-08-31", "2022-10-31"):
            Coordinator().coordinate(BATCH.signals, BATCH.state, MARKET.truncate(day),
                                     journal=j, as_of=f"{day}T20:00:00Z")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def learned(journal) -> AdaptiveState:
    close = MARKET.dates[-1].tz_localize("UTC")
    with Journal(journal) as j:
        found = journal_outcomes(j, MARKET, as_of=close)
    state = learn(found, SETTINGS, stated=Coordinator().strategies, as_of=close)
    # every realized outcome counted, and there are some
    assert sum(a.n_outcomes for _, a in state.entries) == found["realized"].sum() > 0
    return state


def model(**kwargs) -> PolicyModel:
    return PolicyModel(market=MARKET, state=BATCH.state, signals=BATCH.signals,
                       rebalance_requests=BATCH.rebalance_requests, **kwargs)  # fmt: skip


def test_the_model_learns_from_the_journal_as_the_engine_does(journal, learned):
    m = model(journal=str(journal))
    assert set(ADAPTIVE_SETTINGS) <= set(m.SETTINGS)
    assert not m.adaptive and m.result.coordination.adaptive_state is None
    m.set(adaptive=True, **SETTINGS)
    assert m.error is None
    assert m.result.coordination.adaptive_state == learned
    want = Coordinator(adaptive=learned).coordinate(
        BATCH.signals, BATCH.state, MARKET, BATCH.rebalance_requests
    )
    pd.testing.assert_frame_equal(m.result.decisions, want.decisions)
    # the code it gives reproduces the result (the learned state written out as data)
    namespace = {"market": MARKET, "state": BATCH.state, "signals": BATCH.signals,
                 "rebalance_requests": BATCH.rebalance_requests}  # fmt: skip
    exec(m.to_code(), namespace)
    pd.testing.assert_frame_equal(namespace["result"].decisions, m.result.decisions)
    m.adaptive = False
    assert not m.result.decisions["reasoning"].str.contains("adaptive").any()


def test_the_coordinators_other_adaptive_settings_are_kept(journal):
    # a narrow noise band (the coordinator's) with the model's rate and period: the gaps of
    # this journal count as evidence, and each period moves a quantity by the rate
    base = Coordinator(adaptive={"noise_z": 0.5})
    m = model(coordinator=base, journal=str(journal), **SETTINGS)
    assert m.adaptive  # the coordinator adapts: so does the model
    state = m.result.coordination.adaptive_state
    assert state.config.noise_z == 0.5 and state.config.learning_rate == 0.05
    assert not state.neutral
    close = MARKET.dates[-1].tz_localize("UTC")
    with Journal(journal) as j:
        want = learn(journal_outcomes(j, MARKET, as_of=close), state.config, as_of=close,
                     stated=base.strategies)  # fmt: skip
    assert state == want
    steps = state.changes
    assert ((steps["new"] - steps["old"]).abs() <= 0.05 + 1e-12).all()


def test_without_a_journal_nothing_is_learned():
    m = model(adaptive=True)
    state = m.result.coordination.adaptive_state
    assert state is not None and state.neutral and adaptation_rows(state).empty
    plain = Coordinator().coordinate(BATCH.signals, BATCH.state, MARKET, BATCH.rebalance_requests)
    pd.testing.assert_frame_equal(m.result.decisions, plain.decisions)


def test_a_coordinators_own_state_is_kept(learned):
    m = model(coordinator=Coordinator(adaptive=learned))
    assert m.adaptive and m.learning_rate == SETTINGS["learning_rate"]
    assert m.result.coordination.adaptive_state is learned


def test_the_tuner_shows_what_was_learned(journal, learned):
    tuner = PolicyTuner(market=MARKET, state=BATCH.state, signals=BATCH.signals,
                        rebalance_requests=BATCH.rebalance_requests, journal=str(journal))  # fmt: skip
    assert "Adaptation off" in tuner.adaptation_html.value
    controls = tuner.controls_by_name
    controls["learning_rate"].value = SETTINGS["learning_rate"]
    controls["adaptation_period"].value = SETTINGS["adaptation_period"]
    controls["adaptive"].value = True
    html = tuner.adaptation_html.value
    table = learned.table()
    for name, row in table.iterrows():
        assert f">{name}</td>" in html
        assert f"{row['calibration']:,.2f}\u00d7" in html
        assert f">{int(row['n_outcomes']):,d}<" in html


def test_the_console_shows_what_was_learned(journal):
    base = Coordinator(adaptive={"noise_z": 0.5})  # a narrow band: something moves
    console = CoordinationConsole(market=MARKET, state=BATCH.state, coordinator=base,
                                  journal=str(journal), adaptive=False, **SETTINGS)  # fmt: skip
    assert "Adaptation off" in console.adaptation_note.object
    console.controls["adaptive"].value = True
    learned = console.model.result.coordination.adaptive_state
    close = MARKET.dates[-1].tz_localize("UTC")
    with Journal(journal) as j:
        want = learn(journal_outcomes(j, MARKET, as_of=close), learned.config, as_of=close,
                     stated=base.strategies)  # fmt: skip
    assert learned == want and not learned.neutral
    shown = console.adaptation.value.set_index("strategy_id")
    table = learned.table()
    assert list(shown.index) == list(table.index)
    pd.testing.assert_series_equal(
        shown["n_outcomes"], table["n_outcomes"], check_names=False, check_dtype=False
    )
    pd.testing.assert_series_equal(shown["calibration"], table["calibration"], check_names=False)
    for name, a in learned.entries:
        if not a.neutral:
            assert a.describe(name) in console.adaptation_note.object.replace("&#x27;", "'")

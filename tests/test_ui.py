"""Tests of portlab.ui, the view-models of the workbench.

Each model's derived results are compared with the engine or analytics call that the test
writes itself from the same settings (never with the model's own helpers); the exposures
against limits with the policy measures recomputed from their definitions
(``tests/_builders.py``). Also: several changes through one ``param.update`` recompute once
(engine calls counted), errors become one-line messages that keep the last good result,
``to_code()`` scripts reproduce the numbers when run, and no input is ever modified.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import portlab
from _builders import apply_decisions, signals_frame, universe
from portlab import Coordinator, CovMethod, Policy, SizingConfig
from portlab.analytics import attribution as A
from portlab.analytics import optimize as O
from portlab.analytics.estimators import ReturnMethod
from portlab.analytics.performance import annualized_return
from portlab.datasets import example_batch, load_sample, synthetic
from portlab.engine import AllocationMode, Resolution
from portlab.events import signals_to_frame
from portlab.exceptions import ValidationError
from portlab.ui import (
    AttributionModel,
    ConflictModel,
    Grouping,
    OptimizerModel,
    OptimizerObjective,
    PolicyModel,
    SizingContext,
    SizingModel,
    current_weights,
    target_request,
)
from portlab.ui.base import OUTPUT_NAMES
from portlab.ui.estimators import ESTIMATOR_COLUMNS
from portlab.ui.inputs import INPUT_NAMES

MODELS = (PolicyModel, SizingModel, ConflictModel, AttributionModel, OptimizerModel)
#: the expected-return methods that take the optimizer's risk-free rate
_RF_METHODS = (ReturnMethod.CAPM, ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN)
CONFLICT_REASONS = {"CONFLICT_LOST", "OVERRIDDEN", "NETTED_OUT"}


@pytest.fixture(scope="module")
def market():
    return load_sample()


@pytest.fixture(scope="module")
def batch():
    return example_batch()


def _run(code: str, **variables) -> dict:
    namespace = dict(variables)
    exec(compile(code, "<to_code>", "exec"), namespace)
    return namespace


class Counter:
    """Wraps a function (or method) and counts its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def coordinate_calls(monkeypatch):
    counter = Counter(Coordinator.coordinate)

    def counting(self, *args, **kwargs):
        return counter(self, *args, **kwargs)

    monkeypatch.setattr(Coordinator, "coordinate", counting)
    return counter


# --------------------------------------------------------------------------- common behaviour


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_model_computes_on_the_bundled_sample_by_default(cls):
    model = cls()
    assert model.error is None
    assert model.result is not None
    assert model.busy is False
    assert model.from_sample("market") and model.from_sample("state")
    assert model.last_exception is None


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_settings_are_documented_controls_and_data_and_outputs_are_hidden(cls):
    model = cls()
    for name in cls.SETTINGS:
        p = model.param[name]
        assert p.doc, f"{cls.__name__}.{name} has no doc"
        assert p.precedence is None or p.precedence >= 0, name
    for name in (*INPUT_NAMES, "coordinator", *OUTPUT_NAMES):
        assert model.param[name].precedence < 0, name
    assert set(cls.SETTINGS) | set(INPUT_NAMES) | {"coordinator", *OUTPUT_NAMES, "name"} >= set(
        model.param
    ) - {"portfolio_weights", "benchmark_weights", "journal"}  # optional data inputs
    if "journal" in model.param:
        assert model.param["journal"].precedence < 0


def test_one_param_update_recomputes_once(coordinate_calls):
    model = PolicyModel()
    assert coordinate_calls.calls == 1
    model.param.update(max_position_size=0.04, max_leverage=1.5, kelly_multiplier=0.5)
    assert coordinate_calls.calls == 2
    assert model.result.coordinator.policy.max_position_size.limit == 0.04
    assert model.result.coordinator.policy.max_leverage.limit == 1.5
    assert model.result.coordinator.sizing.kelly_multiplier == 0.5
    model.set(max_position_size=0.03, allow_short=True)
    assert coordinate_calls.calls == 3
    with model.batched():
        model.max_position_size = 0.02
        model.correlation_penalty = 0.1
        model.allocation = AllocationMode.GREEDY
    assert coordinate_calls.calls == 4
    assert model.result.coordinator.sizing.allocation is AllocationMode.GREEDY
    model.max_position_size = 0.025
    assert coordinate_calls.calls == 5


def test_analytics_models_recompute_once_per_update(monkeypatch):
    counter = Counter(A.brinson)
    monkeypatch.setattr("portlab.ui.attribution.brinson", counter)
    model = AttributionModel()
    assert counter.calls == 1
    model.param.update(
        method=A.BrinsonMethod.BHB, linking=A.Linking.GRAP, grouping=Grouping.INSTRUMENT
    )
    assert counter.calls == 2
    assert model.result.brinson.method is A.BrinsonMethod.BHB

    fits = Counter(O.MeanVarianceProblem.fit)
    monkeypatch.setattr(O.MeanVarianceProblem, "fit", lambda self: fits(self))
    opt = OptimizerModel()
    assert fits.calls == 1
    # a new objective or target reuses the prepared problem; new constraints build it once
    opt.param.update(objective=OptimizerObjective.TARGET_RISK, target_risk=0.14)
    assert fits.calls == 1
    opt.param.update(max_weight=0.12, sector_cap=0.4)
    assert fits.calls == 2


def test_busy_is_true_while_computing_and_false_after(coordinate_calls):
    model = PolicyModel()
    seen = []
    model.param.watch(lambda e: seen.append(e.new), "busy")
    flags = []
    inner = coordinate_calls.fn
    coordinate_calls.fn = lambda *a, **k: (flags.append(model.busy), inner(*a, **k))[1]
    model.max_position_size = 0.04
    assert flags == [True]
    assert seen == [True, False]
    assert model.busy is False


def test_invalid_policy_becomes_a_message_and_the_last_result_stays():
    model = PolicyModel()
    model.max_position_size = 0.04
    good = model.result
    code = model.to_code()
    model.max_position_size = 0.30  # above the 25% sector limit
    assert model.error is not None and "\n" not in model.error
    assert model.error.startswith("policy.max_position_size: 0.3 is above max_sector_exposure")
    assert model.result is good
    assert isinstance(model.last_exception, portlab.exceptions.ConfigError)
    assert model.to_code() == code  # still the last good result's script
    model.max_sector_exposure = 0.40  # now consistent: computed again, error cleared
    assert model.error is None
    assert model.result is not good
    assert model.result.coordinator.policy.max_position_size.limit == 0.30


def test_unexpected_exceptions_are_reported_in_one_line(coordinate_calls):
    model = PolicyModel()
    good = model.result

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    coordinate_calls.fn = boom
    model.max_position_size = 0.04
    assert model.error == "unexpected error (RuntimeError: boom); please report it"
    assert isinstance(model.last_exception, RuntimeError)
    assert model.result is good


def test_a_model_whose_first_computation_fails_has_an_error_and_no_result():
    state = {"positions": {"NOPE": {"quantity": 10, "avg_price": 5.0}}, "cash": 1000.0}
    model = SizingModel(state=state)
    assert model.result is None
    assert "NOPE" in model.error
    assert isinstance(model.last_exception, portlab.exceptions.DataError)


def test_out_of_range_values_are_refused_by_the_parameters_themselves():
    model = PolicyModel()
    good = model.result
    with pytest.raises(ValueError, match="max_position_size"):
        model.max_position_size = 5.0  # a percentage: the parameter's bounds are (0, 1]
    assert model.max_position_size == 0.05 and model.result is good and model.error is None


def test_warnings_are_collected_not_printed(batch, recwarn):
    unnamed = batch.signals[0].model_dump(mode="json", by_alias=True)
    del unnamed["eventId"]  # the engine derives an id from the content, with a warning
    model = PolicyModel(signals=[unnamed])
    assert model.error is None
    assert len(model.warnings) == 1 and "eventId" in model.warnings[0]
    assert not [w for w in recwarn if "eventId" in str(w.message)]
    model.signals = batch.signals  # a new input recomputes, and the warning is gone
    assert model.warnings == () and model.result.counts["total_signals"] == 14


def test_inputs_are_never_modified(market, batch):
    frame = signals_to_frame(batch.signals)
    frame_copy = frame.copy(deep=True)
    dumps = [s.model_dump() for s in batch.signals]
    requests = [r.model_dump() for r in batch.rebalance_requests]
    state_dict = copy.deepcopy(batch.state.to_dict())
    prices, cov = market.prices.copy(), market.covariance().copy()
    coordinator = Coordinator(policy={"max_position_size": 0.04})
    policy_dump = coordinator.policy.model_dump()
    weights = batch.state.weights(market.last_prices)
    weights_copy = weights.copy()

    policy = PolicyModel(
        market=market,
        state=batch.state,
        signals=batch.signals,
        rebalance_requests=batch.rebalance_requests,
        coordinator=coordinator,
    )
    policy.set(max_position_size=0.03, allow_short=True, allocation=AllocationMode.GREEDY)
    sizing = SizingModel(market=market, state=batch.state, signals=frame, coordinator=coordinator)
    sizing.set(
        signal_id="sig-003", confidence=0.95, stop_price=None, context=SizingContext.WITH_BATCH
    )
    sizing.signal_id = None
    ConflictModel(
        market=market, state=batch.state, signals=batch.signals
    ).resolution = Resolution.NET
    AttributionModel(market=market, state=batch.state, portfolio_weights=weights).method = "bhb"
    opt = OptimizerModel(market=market, state=batch.state, signals=batch.signals)
    opt.set(objective=OptimizerObjective.BLACK_LITTERMAN, max_turnover=0.9, transaction_costs=0.001)

    assert sizing.error is None and opt.error is None and policy.error is None
    pd.testing.assert_frame_equal(frame, frame_copy)
    assert [s.model_dump() for s in batch.signals] == dumps
    assert [r.model_dump() for r in batch.rebalance_requests] == requests
    assert batch.state.to_dict() == state_dict
    pd.testing.assert_frame_equal(market.prices, prices)
    pd.testing.assert_frame_equal(market.covariance(), cov)
    assert coordinator.policy.model_dump() == policy_dump
    assert coordinator.sizing == SizingConfig()
    pd.testing.assert_series_equal(weights, weights_copy)


def test_no_ui_library_is_imported_and_import_portlab_stays_light():
    code = (
        "import sys, portlab; assert 'param' not in sys.modules; "
        "import portlab.ui; "
        "bad = [m for m in ('ipywidgets', 'panel', 'holoviews', 'hvplot', 'bokeh') "
        "if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- policy tuner


POLICY_CHANGES = dict(
    max_position_size=0.04,
    max_sector_exposure=0.20,
    max_sector_exposure_hard=False,
    max_correlation_exposure=0.50,
    max_correlation_exposure_hard=True,
    cash_floor=0.65,
    kelly_multiplier=0.5,
    correlation_penalty=0.2,
    min_position_size=0.005,
    allocation=AllocationMode.GREEDY,
)


def _direct_policy_coordinator(max_position_size: float = 0.04) -> Coordinator:
    return Coordinator(
        policy=Policy(
            max_position_size=max_position_size,
            max_sector_exposure={"limit": 0.20, "hard": False},
            max_correlation_exposure={"limit": 0.50, "hard": True},
            cash_floor=0.65,
        ),
        sizing=SizingConfig(
            kelly_multiplier=0.5,
            correlation_penalty=0.2,
            min_position_size=0.005,
            allocation="GREEDY",
        ),
    )


def test_policy_model_equals_the_direct_engine_call(market, batch):
    model = PolicyModel()
    default_decisions = model.result.decisions
    model.param.update(**POLICY_CHANGES)
    assert model.error is None
    direct = _direct_policy_coordinator().coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    out = model.result
    pd.testing.assert_frame_equal(out.decisions, direct.decisions)
    pd.testing.assert_frame_equal(out.rejections, direct.rejections)
    for name in (
        "total_signals",
        "accepted_signals",
        "resized_signals",
        "rejected_signals",
        "conflicted_signals",
        "total_rebalance_adjustments",
        "decisions",
    ):
        assert out.counts[name] == direct.stats[name], name
    # the settings matter: the cash floor binds, fewer and smaller trades than by default
    assert not out.decisions.equals(default_decisions)
    assert out.decisions["trade_amount"].sum() < default_decisions["trade_amount"].sum()


def test_policy_model_starts_from_the_coordinator_given():
    model = PolicyModel(coordinator=_direct_policy_coordinator())
    for name, value in POLICY_CHANGES.items():
        assert getattr(model, name) == value, name
    model.coordinator = Coordinator()  # a new coordinator reloads the settings
    assert model.max_position_size == 0.05 and model.max_sector_exposure_hard is True
    assert model.result.coordinator.policy == Policy()


def test_exposures_against_limits_equal_the_measures_from_their_definitions(market, batch):
    model = PolicyModel()
    model.set(max_position_size=0.045, correlation_threshold=0.5)
    out = model.result
    u = universe(market)
    before, after = apply_decisions(u, batch.state, out.decisions, threshold=0.5)
    limits = out.limits
    for when, m in (("before", before), ("after", after)):
        assert limits.loc["position", when] == pytest.approx(m.position.max(), abs=1e-12)
        assert limits.loc["sector", when] == pytest.approx(m.sector.max(), abs=1e-12)
        assert limits.loc["correlation", when] == pytest.approx(m.cluster.max(), abs=1e-12)
        assert limits.loc["volatility", when] == pytest.approx(m.volatility, abs=1e-12)
        assert limits.loc["leverage", when] == pytest.approx(m.leverage, abs=1e-12)
    assert limits.loc["position", "limit"] == 0.045
    assert limits.loc["position", "breached_before"]  # MSFT is held above the limit
    assert limits.loc["position", "where_before"] == "MSFT"
    # no trade increases a hard measure above its limit (a breach held before may remain,
    # reduced: MSFT is sold toward the rebalance target of 4.5%, in whole shares)
    hard = limits[limits["hard"]]
    assert (hard["after"] <= np.maximum(hard["limit"], hard["before"]) + 1e-12).all()
    assert limits.loc["position", "where_after"] == "MSFT"
    assert limits.loc["position", "after"] < limits.loc["position", "before"]
    weights_after = pd.Series(after.w, index=u.names)
    held = weights_after[weights_after != 0]
    pd.testing.assert_series_equal(
        out.positions["after"][out.positions["after"] != 0].sort_index(),
        held.sort_index(),
        check_names=False,
        atol=1e-12,
    )
    labels = np.unique(market.sectors.reindex(u.names).astype(str))
    gross_after = pd.Series(after.sector, index=labels)
    pd.testing.assert_series_equal(
        out.sectors["after"].sort_index(),
        gross_after[gross_after > 0].sort_index(),
        check_names=False,
        check_index_type=False,
        atol=1e-12,
    )


def test_policy_to_code_reproduces_the_result(market, batch):
    coordinator = Coordinator(
        risk_loop={"max_iterations": 5},
        strategies={"momentum": 0.3, "trend": 0.3, "mean_reversion": 0.3},
    )
    model = PolicyModel(coordinator=coordinator)
    model.param.update(**POLICY_CHANGES)
    code = model.to_code()
    assert "load_sample()" in code and "'max_position_size': {'limit': 0.04, 'hard': True}" in code
    result = _run(code)["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.decisions)
    pd.testing.assert_frame_equal(result.rejections, model.result.rejections)


def _requests_toward(market, state, targets):
    """The rebalance request of ``targets`` from the state's weights at the last prices."""
    request = target_request(targets, current_weights(state, market), timestamp=market.dates[-1])
    return [request]


TARGETS = {"LLY": 0.03, "MSFT": 0.045, "AAPL": 0.0, "KO": 0.02}


def test_set_targets_coordinates_toward_them_as_the_engine_does(market, batch, coordinate_calls):
    model = PolicyModel()
    original = model.result
    model.param.update(**POLICY_CHANGES)
    calls = coordinate_calls.calls
    given = pd.Series(TARGETS)
    model.set_targets(given)
    assert coordinate_calls.calls == calls + 1  # one recomputation
    assert model.error is None and model.targets == TARGETS
    pd.testing.assert_series_equal(given, pd.Series(TARGETS))  # not modified
    requests = _requests_toward(market, batch.state, TARGETS)
    # the request written by hand: each move from the state's weight at the last prices
    held = batch.state.weights(market.last_prices)
    moves = {
        a.instrument_id: (a.current_weight, a.target_weight)
        for a in requests[0].instrument_adjustments
    }
    assert moves == {k: (float(held.get(k, 0.0)), v) for k, v in TARGETS.items()}
    direct = _direct_policy_coordinator().coordinate(batch.signals, batch.state, market, requests)
    pd.testing.assert_frame_equal(model.result.decisions, direct.decisions)
    pd.testing.assert_frame_equal(model.result.rejections, direct.rejections)
    assert not model.result.decisions.equals(original.decisions)
    # a later change of a setting keeps the targets
    model.max_position_size = 0.03
    tighter = _direct_policy_coordinator(max_position_size=0.03)
    direct = tighter.coordinate(batch.signals, batch.state, market, requests)
    pd.testing.assert_frame_equal(model.result.decisions, direct.decisions)
    # None brings back the model's own rebalance requests
    model.set_targets(None)
    assert model.targets is None
    direct = tighter.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    pd.testing.assert_frame_equal(model.result.decisions, direct.decisions)
    fresh = PolicyModel()
    fresh.set_targets(TARGETS)
    fresh.set_targets(None)
    pd.testing.assert_frame_equal(fresh.result.decisions, original.decisions)


def test_set_targets_refuses_weights_that_are_not_numbers():
    model = PolicyModel()
    before = model.result
    with pytest.raises(ValidationError, match="LLY"):
        model.set_targets({"LLY": float("nan")})
    with pytest.raises(ValidationError, match="mapping or Series"):
        model.set_targets([0.1, 0.2])
    assert model.targets is None and model.result is before and model.error is None
    model.set_targets({"NOPE": 0.1})  # the engine's to refuse, as any request's instrument
    rejected = model.result.rejections.set_index("instrument_id")
    assert rejected.loc["NOPE", "reason"] == "UNKNOWN_INSTRUMENT"
    assert rejected.loc["NOPE", "source"] == "REBALANCE"


def test_set_targets_to_code_reproduces_the_result(market, batch):
    model = PolicyModel()
    model.param.update(**POLICY_CHANGES)
    model.set_targets(TARGETS)
    code = model.to_code()
    assert "target_request(" in code and "'LLY': 0.03" in code
    namespace = _run(code)
    pd.testing.assert_frame_equal(namespace["result"].decisions, model.result.decisions)
    pd.testing.assert_frame_equal(namespace["result"].rejections, model.result.rejections)
    # targets equal to the current weights: no request, only the signals
    same = current_weights(batch.state, market).to_dict()
    model.set_targets(same)
    direct = _direct_policy_coordinator().coordinate(batch.signals, batch.state, market, [])
    pd.testing.assert_frame_equal(model.result.decisions, direct.decisions)
    result = _run(model.to_code())["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.decisions)
    model.set_targets(None)  # back to the sample's request, loaded by the script
    assert "target_request" not in model.to_code()
    result = _run(model.to_code())["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.decisions)


def test_optimizer_weights_as_targets_move_the_portfolio_toward_them(market, batch):
    targets = OptimizerModel().result.weights
    model = PolicyModel(signals=[])  # only the move toward the targets
    model.set_targets(targets)
    assert model.error is None
    decisions = model.result.decisions
    u = universe(market)
    before, after = apply_decisions(u, batch.state, decisions, threshold=0.7)
    target = targets.reindex(u.names, fill_value=0.0).to_numpy()
    limit = Policy().max_position_size.limit
    # no other limit can clip the capped targets: sectors, leverage and volatility within
    capped = np.clip(target, -limit, limit)
    sector = np.zeros(u.n_sectors)
    np.add.at(sector, u.sector, np.abs(capped))
    assert sector.max() < Policy().max_sector_exposure.limit
    assert math.sqrt(capped @ u.cov @ capped) < Policy().max_portfolio_volatility.limit
    # the sign of each trade is the sign of target - current
    sign = {"BUY": 1.0, "SELL": -1.0}
    idx = u.names.get_indexer(decisions["instrument_id"])
    np.testing.assert_array_equal(
        decisions["action"].map(sign).to_numpy(), np.sign(target[idx] - before.w[idx])
    )
    assert set(u.names[idx]) == set(u.names[np.abs(target - before.w) > 1e-9])
    # each weight moves toward its target without passing it ...
    moved = np.abs(after.w - target) <= np.abs(before.w - target) + 1e-12
    assert moved.all()
    # ... and reaches it, to within one share, where the position limit does not clip it;
    # where it does, the weight stops at the limit
    share = u.price / before.nav
    free = np.abs(target) <= limit
    assert (np.abs(after.w - target)[free] <= share[free] + 1e-12).all()
    assert (np.abs(after.w - capped)[~free] <= share[~free] + 1e-12).all()
    assert (~free).any() and free.any()  # both kinds are tested


# --------------------------------------------------------------------------- sizing what-if


def _event(batch, signal_id: str) -> dict:
    return next(s for s in batch.signals if s.event_id == signal_id).model_dump(
        mode="json", by_alias=True
    )


def test_selecting_a_signal_loads_its_fields(coordinate_calls):
    model = SizingModel(signal_id="sig-001")
    assert (model.instrument_id, model.action, model.confidence) == ("AAPL", "BUY", 0.81)
    assert (model.price_target, model.stop_price, model.success_probability) == (
        130.70,
        118.13,
        0.78,
    )
    calls = coordinate_calls.calls
    seen = []
    model.param.watch(
        lambda *events: seen.extend(e.name for e in events), ["confidence", "stop_price"]
    )
    model.signal_id = "sig-002"  # the mean-reversion SELL on AAPL, without a stop
    assert coordinate_calls.calls == calls + 1  # loading its fields did not recompute again
    assert set(seen) == {"confidence", "stop_price"}  # but front ends saw them change
    assert (model.action, model.confidence, model.stop_price) == ("SELL", 0.62, None)
    model.param.update(signal_id="sig-003", confidence=0.5)  # a value given with it wins
    assert (model.instrument_id, model.confidence) == ("LLY", 0.5)
    assert coordinate_calls.calls == calls + 2


def test_a_signal_the_what_if_cannot_show_is_an_error(market, batch):
    frame = signals_to_frame(batch.signals)
    frame.loc[frame["signal_id"] == "sig-004", "confidence"] = 1.5  # invalid for the engine too
    model = SizingModel(market=market, state=batch.state, signals=frame, signal_id="sig-003")
    good = model.result
    model.signal_id = "sig-004"
    assert model.error == (
        "signal sig-004: confidence 1.5 is outside the values the what-if can show; "
        "the engine rejects such a signal as INVALID"
    )
    assert model.result is good
    with pytest.raises(portlab.exceptions.ValidationError, match="signal_id column"):
        SizingModel(signals=frame.drop(columns="signal_id"))


def test_sizing_model_equals_the_direct_engine_call(market, batch):
    model = SizingModel(signal_id="sig-003")
    model.param.update(
        confidence=0.9,
        success_probability=0.7,
        price_target=400.0,
        stop_price=330.0,
        kelly_multiplier=0.5,
        max_kelly_fraction=0.2,
        correlation_penalty=0.3,
    )
    event = _event(batch, "sig-003")
    event["signal"]["confidence"] = 0.9
    event["expected_outcomes"].update(success_probability=0.7, price_target=400.0, stop_price=330.0)
    direct = Coordinator(
        sizing={"kelly_multiplier": 0.5, "max_kelly_fraction": 0.2, "correlation_penalty": 0.3}
    ).coordinate([event], batch.state, market, batch.rebalance_requests)
    out = model.result
    decision = direct.decisions.set_index("instrument_id").loc["LLY"]
    row = direct.waterfall.set_index("instrument_id").loc["LLY"]
    assert out.shares == decision["share_quantity"] > 0
    assert out.amount == decision["trade_amount"]
    assert out.reasoning == decision["reasoning"]
    steps = out.steps.set_index("step")
    for step, column in (
        ("Kelly (raw)", "kelly_raw"),
        ("Kelly target", "kelly"),
        ("wanted trade", "signal_trade"),
        ("policy limits", "policy_constrained"),
        ("correlation", "correlation_adjusted"),
        ("rebalance blend", "blended"),
        ("allocation", "allocated"),
        ("final", "final_size"),
    ):
        assert steps.loc[step, "size"] == row[column], step
    assert steps.loc["policy limits", "rule"] == row["binding_rule"] == "position"
    # the Kelly cap of 20% binds: the target is the cap, below the raw fraction × 0.5
    assert steps.loc["Kelly target", "size"] == 0.2 < 0.5 * steps.loc["Kelly (raw)", "size"]


def test_sizing_methods_of_a_typed_signal(market, batch):
    """A typed signal compared across methods: each row is the engine run with that method
    on the signal alone (context SIGNAL_ONLY), and on the batch with the signal added."""
    model = SizingModel(
        signal_id=None, instrument_id="MSFT", action="BUY", confidence=0.9,
        expected_return=0.04, context=SizingContext.SIGNAL_ONLY, method="RISK_PARITY",
    )  # fmt: skip
    assert model.result.methods is None
    assert "target: Risk parity" in list(model.result.steps["step"])
    model.set(compare=True)
    methods = model.result.methods
    typed = model.result.signal
    frame = signals_to_frame(batch.signals)
    for method in portlab.SizingMethod:
        run = Coordinator(sizing={"method": method})
        one = run.coordinate(typed, batch.state, market)
        whole = run.coordinate(pd.concat([frame, typed], ignore_index=True), batch.state, market)
        expect = one.decisions["position_size"].sum()
        assert methods.loc[method.value, "size"] == pytest.approx(expect, rel=1e-12)
        assert methods.loc[method.value, "batch_decisions"] == whole.n_decisions


def test_sizing_contexts(market, batch):
    model = SizingModel(signal_id="sig-003", context=SizingContext.SIGNAL_ONLY)
    alone = Coordinator().coordinate([_event(batch, "sig-003")], batch.state, market)
    assert model.result.shares == alone.decisions["share_quantity"].iloc[0]
    steps = model.result.steps.set_index("step")["size"]
    assert steps["rebalance blend"] == steps["correlation"]  # nothing to blend with
    model.context = SizingContext.WITH_REBALANCE  # LLY has a 3% rebalance target: blended
    steps = model.result.steps.set_index("step")["size"]
    assert steps["rebalance blend"] < steps["correlation"]
    model.context = SizingContext.WITH_BATCH  # unchanged fields: the example batch itself
    whole = Coordinator().coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    pd.testing.assert_frame_equal(model.result.coordination.decisions, whole.decisions)


def test_a_signal_that_loses_or_is_rejected_says_why():
    model = SizingModel(signal_id="sig-002", context=SizingContext.WITH_BATCH)
    assert model.result.decision is None
    assert model.result.rejection["reason"] == "CONFLICT_LOST"
    assert model.result.reasoning.startswith("CONFLICT_LOST: lost to sig-001")
    model.stop_price = 500.0  # a BUY's stop above the price: the signal is invalid
    model.action = "BUY"
    assert model.result.rejection["reason"] == "INVALID"
    assert model.result.shares == 0.0 and model.result.steps.empty is False


def test_a_typed_signal_equals_the_direct_engine_call(market, batch):
    model = SizingModel(signal_id=None, context=SizingContext.SIGNAL_ONLY)
    model.param.update(
        instrument_id="PFE",
        action="BUY",
        confidence=0.8,
        success_probability=None,
        price_target=None,
        stop_price=None,
        expected_return=0.04,
    )
    frame = signals_frame(
        [
            {
                "signal_id": "what-if",
                "timestamp": "2022-12-28",
                "instrument_id": "PFE",
                "action": "BUY",
                "confidence": 0.8,
                "expected_return": 0.04,
            }
        ]
    )
    direct = Coordinator().coordinate(frame, batch.state, market)
    assert model.error is None
    pd.testing.assert_frame_equal(model.result.coordination.decisions, direct.decisions)
    assert model.result.shares == direct.decisions["share_quantity"].iloc[0] > 0


@pytest.mark.parametrize("context", list(SizingContext))
@pytest.mark.parametrize("typed", [False, True])
def test_sizing_to_code_reproduces_the_result(context, typed):
    model = SizingModel(signal_id=None if typed else "sig-007", context=context)
    model.param.update(
        confidence=0.66, stop_price=None, max_kelly_fraction=0.15, expected_return=0.05
    )
    result = _run(model.to_code())["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.coordination.decisions)
    pd.testing.assert_frame_equal(result.rejections, model.result.coordination.rejections)


def test_sizing_with_a_signals_dataframe(market, batch):
    frame = signals_to_frame(batch.signals)
    model = SizingModel(
        market=market,
        state=batch.state,
        signals=frame,
        rebalance_requests=batch.rebalance_requests,
        signal_id="sig-013",
    )
    model.confidence = 0.6
    code = model.to_code()
    assert "define them before running this code" in code and "load_sample" not in code
    result = _run(
        code,
        market=market,
        state=batch.state,
        signals=frame,
        rebalance_requests=batch.rebalance_requests,
    )["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.coordination.decisions)


# --------------------------------------------------------------------------- conflict explorer


@pytest.mark.parametrize("mode", list(AllocationMode))
@pytest.mark.parametrize("resolution", list(Resolution))
def test_conflict_model_equals_the_direct_engine_call(market, batch, resolution, mode):
    model = ConflictModel()
    assert set(model.param["resolution"].objects) == set(Resolution)
    model.param.update(resolution=resolution, allocation=mode)
    direct = Coordinator(sizing={"allocation": mode}, resolution=resolution).coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    out = model.result
    lost = direct.rejections[direct.rejections["reason"].isin(CONFLICT_REASONS)]
    assert out.losers["id"].tolist() == lost["id"].tolist()
    assert out.losers["winner_id"].tolist() == lost["winner_id"].tolist()
    assert (out.losers["rule"] == str(resolution)).all()
    conflicted = direct.waterfall[direct.waterfall["conflicted"].astype(bool)]
    assert out.winners["instrument_id"].tolist() == conflicted["instrument_id"].tolist()
    assert out.winners["winner_id"].tolist() == conflicted["winner_id"].tolist()
    assert out.allocation["allocated"].tolist() == direct.waterfall["allocated"].tolist()
    assert len(out.losers) >= 1  # the example has conflicts on AAPL and MSFT


def test_the_binding_limit_is_named(market, batch):
    tight = Coordinator(policy={"max_portfolio_volatility": 0.06})
    model = ConflictModel(coordinator=tight)
    model.allocation = AllocationMode.GREEDY
    direct = Coordinator(
        policy={"max_portfolio_volatility": 0.06}, sizing={"allocation": "GREEDY"}
    ).coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    named = direct.waterfall["allocation_binding"].fillna("")
    assert model.result.binding[0] == "volatility" == named[named != ""].mode()[0]
    assert ConflictModel().result.binding == ()  # the example batch fits every limit


def test_conflict_to_code_reproduces_the_result():
    model = ConflictModel(coordinator=Coordinator(policy={"cash_floor": 0.6}))
    model.param.update(resolution=Resolution.WEIGHTED_AVERAGE, allocation=AllocationMode.GREEDY)
    result = _run(model.to_code())["result"]
    pd.testing.assert_frame_equal(result.decisions, model.result.coordination.decisions)
    assert "cash" in model.result.binding


# --------------------------------------------------------------------------- attribution


def _direct_brinson(
    market,
    batch,
    returns,
    method=A.BrinsonMethod.BRINSON_FACHLER,
    linking=A.Linking.CARINO,
    groups=None,
):
    held = batch.state.weights(market.last_prices)
    portfolio = pd.Series(0.0, index=market.instruments)
    portfolio[held.index] = held
    n = len(market.instruments)
    benchmark = pd.Series(np.full(n, 1.0 / n), index=market.instruments)
    return A.brinson(
        portfolio,
        returns,
        benchmark,
        None,
        market if groups is None else groups,
        method=method,
        linking=linking,
    )


def test_attribution_model_equals_the_direct_analytics_call(market, batch):
    model = AttributionModel()
    returns = market.returns.iloc[-252:]
    assert pd.Timestamp(model.start) == returns.index[0]
    assert pd.Timestamp(model.end) == returns.index[-1]
    direct = _direct_brinson(market, batch, returns)
    out = model.result
    pd.testing.assert_frame_equal(out.by_group, direct.linked)
    totals = out.totals
    assert totals["portfolio_return"] == pytest.approx(
        np.prod(1 + direct.portfolio_return) - 1, abs=1e-14
    )
    assert totals["benchmark_return"] == pytest.approx(
        np.prod(1 + direct.benchmark_return) - 1, abs=1e-14
    )
    for effect in ("allocation", "selection", "interaction"):
        assert totals[effect] == pytest.approx(direct.linked[effect].sum(), abs=1e-14)
    # the waterfall goes from the benchmark return to the portfolio return
    wf = out.waterfall.set_index("step")["value"]
    assert wf["benchmark return"] + wf["allocation"] + wf["selection"] + wf["interaction"] == (
        pytest.approx(wf["portfolio return"], abs=1e-14)
    )
    assert wf["portfolio return"] == totals["portfolio_return"]
    # cash (72% of the example book) shows as an allocation effect of its own
    assert out.by_group.loc[A.CASH_GROUP, "allocation"] < 0
    expected_factors = A.factor_attribution(direct.portfolio_return, A.style_factor_returns(market))
    pd.testing.assert_series_equal(out.factors.exposures, expected_factors.exposures)


def test_linked_effects_over_time_equal_the_attribution_of_each_sub_period(market, batch):
    model = AttributionModel()
    model.linking = A.Linking.GRAP
    returns = market.returns.iloc[-252:]
    over_time = model.result.over_time
    assert over_time.index[-1] == returns.index[-1] and len(over_time) == 13
    for end in (pd.Timestamp("2022-03-31"), pd.Timestamp("2022-09-30")):
        sub = _direct_brinson(market, batch, returns.loc[:end], linking=A.Linking.GRAP)
        for effect in ("allocation", "selection", "interaction"):
            assert over_time.loc[end, effect] == pytest.approx(sub.linked[effect].sum(), abs=1e-14)
        assert over_time.loc[end, "active_return"] == pytest.approx(
            sub.portfolio_total - sub.benchmark_total, abs=1e-14
        )


@pytest.mark.parametrize("linking", [A.Linking.CARINO, A.Linking.MENCHERO, A.Linking.GRAP])
def test_attribution_settings(market, batch, linking):
    model = AttributionModel()
    model.param.update(
        start=pd.Timestamp("2020-01-02"),
        end=pd.Timestamp("2021-06-30"),
        method=A.BrinsonMethod.BHB,
        linking=linking,
        grouping=Grouping.INSTRUMENT,
    )
    returns = market.returns.loc["2020-01-02":"2021-06-30"]
    groups = pd.Series(market.instruments, index=market.instruments)
    direct = _direct_brinson(market, batch, returns, A.BrinsonMethod.BHB, linking, groups)
    pd.testing.assert_frame_equal(model.result.by_group, direct.linked)
    assert model.result.totals["active_return"] == pytest.approx(direct.linked_active, abs=1e-14)
    assert model.result.totals[["allocation", "selection", "interaction"]].sum() == pytest.approx(
        direct.linked_active, abs=1e-12
    )


def test_attribution_with_weights_given_and_a_bad_period(market):
    dates = market.returns.loc["2022-01-03":"2022-06-30"].index
    portfolio = pd.DataFrame(0.0, index=dates, columns=market.instruments)
    portfolio[["AAPL", "XOM"]] = [0.6, 0.4]
    benchmark = pd.Series({"AAPL": 0.5, "XOM": 0.5})
    model = AttributionModel(
        portfolio_weights=portfolio, benchmark_weights=benchmark, start=dates[0], end=dates[-1]
    )
    direct = A.brinson(portfolio, market.returns.loc[dates], benchmark, None, market)
    pd.testing.assert_frame_equal(model.result.by_group, direct.linked)
    code = model.to_code()
    assert "state" not in code
    result = _run(
        code, market=load_sample(), portfolio_weights=portfolio, benchmark_weights=benchmark
    )["result"]
    pd.testing.assert_frame_equal(result.linked, model.result.by_group)
    good = model.result
    model.param.update(start=dates[-1], end=dates[0])
    assert model.error == "the period starts (2022-06-30) after it ends (2022-01-03)"
    assert model.result is good


def test_attribution_to_code_reproduces_the_result():
    model = AttributionModel()
    model.param.update(
        start=pd.Timestamp("2019-01-02"), method=A.BrinsonMethod.BHB, linking=A.Linking.MENCHERO
    )
    result = _run(model.to_code())["result"]
    pd.testing.assert_frame_equal(result.linked, model.result.by_group)
    pd.testing.assert_series_equal(result.portfolio_return, model.result.brinson.portfolio_return)


# --------------------------------------------------------------------------- optimizer


def _constraints(market, batch, cov, max_weight=0.10, sector_cap=0.30, **more):
    caps = {s: sector_cap for s in set(market.sectors)}
    current = batch.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    return O.Constraints(
        bounds=(0, max_weight), groups=[(market.sectors, caps)], current_weights=current, **more
    ), current


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # the cvxpy cross-check
@pytest.mark.parametrize(
    "objective, target",
    [
        (O.Objective.MAX_SHARPE, None),
        (O.Objective.MIN_VOLATILITY, None),
        (O.Objective.TARGET_RETURN, 0.25),
        (O.Objective.TARGET_RISK, 0.15),
    ],
)
def test_mean_variance_objectives_equal_the_direct_analytics_call(market, batch, objective, target):
    model = OptimizerModel()
    model.param.update(
        objective=OptimizerObjective[objective.name], target_return=0.25, target_risk=0.15
    )
    returns = market.returns.iloc[-504:]
    mu, cov = annualized_return(returns), market.covariance(window=504)
    constraints, _ = _constraints(market, batch, cov)
    problem = O.MeanVarianceProblem(mu, cov, constraints).fit()
    direct = problem.solve(objective, target=target)
    out = model.result
    pd.testing.assert_series_equal(out.weights, direct.weights, atol=1e-12, check_names=False)
    for name in ("expected_return", "volatility", "sharpe", "turnover"):
        assert out.figures[name] == pytest.approx(getattr(direct, name), abs=1e-12), name
    # the optimum, as a second solver finds it
    other = O.mean_variance(
        mu, cov, objective, constraints=constraints, target=target, method=O.Method.CVXPY
    )
    assert out.figures["volatility"] == pytest.approx(other.volatility, abs=1e-6)
    assert out.figures["expected_return"] == pytest.approx(other.expected_return, abs=1e-6)
    frontier = O.efficient_frontier(mu, cov, n_points=30, constraints=constraints)
    pd.testing.assert_frame_equal(out.frontier, frontier, atol=1e-10)
    assert out.weights.max() <= 0.10 + 1e-12
    assert out.weights.groupby(market.sectors).sum().max() <= 0.30 + 1e-12


def test_the_other_objectives_equal_the_direct_analytics_calls(market, batch):
    returns = market.returns.iloc[-504:]
    cov = market.covariance(window=504)
    constraints, _ = _constraints(market, batch, cov)
    model = OptimizerModel(objective=OptimizerObjective.RISK_PARITY)
    expected = O.constrained_risk_budgeting(cov, constraints=constraints)
    pd.testing.assert_series_equal(model.result.weights, expected, atol=1e-12)
    model.objective = OptimizerObjective.HRP
    pd.testing.assert_series_equal(model.result.weights, O.hrp(returns), atol=1e-15)
    assert model.result.notes  # HRP ignores the caps: said so
    model.param.update(objective=OptimizerObjective.FRONTIER_POINT, frontier_point=7)
    frontier = model.result.frontier
    pd.testing.assert_series_equal(
        model.result.weights, frontier.loc[7, cov.index], check_names=False
    )
    assert model.result.figures["volatility"] == pytest.approx(
        frontier.loc[7, "volatility"], abs=1e-12
    )
    model.objective = OptimizerObjective.BLACK_LITTERMAN
    views, conf = O.views_from_signals(batch.signals)
    prior = O.market_implied_prior(cov, pd.Series(1.0 / len(cov), index=cov.index))
    post_mu, post_cov = O.black_litterman(cov, prior, views, omega="idzorek", confidences=conf)
    direct = O.MeanVarianceProblem(post_mu, post_cov, constraints).fit().solve()
    pd.testing.assert_series_equal(
        model.result.weights, direct.weights, atol=1e-12, check_names=False
    )
    pd.testing.assert_series_equal(model.result.mu, post_mu)


def test_current_portfolio_point_and_figures_of_given_weights(market, batch):
    model = OptimizerModel(risk_free_rate=0.02)
    out = model.result
    returns = market.returns.iloc[-504:]
    mu, cov = annualized_return(returns), market.covariance(window=504)
    w = batch.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0).to_numpy()
    er, vol = float(mu.to_numpy() @ w), math.sqrt(float(w @ cov.to_numpy() @ w))
    assert out.current["expected_return"] == pytest.approx(er, abs=1e-14)
    assert out.current["volatility"] == pytest.approx(vol, abs=1e-14)
    assert out.current["sharpe"] == pytest.approx((er - 0.02 * w.sum()) / vol, abs=1e-12)
    assert out.current["turnover"] == 0.0
    assert out.current_point["weights"] is out.current_weights
    # the figures of given weights follow MeanVarianceResult's definitions (costs, turnover)
    constraints, _ = _constraints(market, batch, cov, max_turnover=0.8, transaction_costs=0.002)
    solved = O.mean_variance(
        mu, cov, O.Objective.MIN_VOLATILITY, constraints=constraints, risk_free_rate=0.02
    )
    problem = O.MeanVarianceProblem(mu, cov, constraints=constraints, risk_free_rate=0.02)
    figures = problem.figures(solved.weights)
    for name in ("expected_return", "volatility", "sharpe", "turnover", "cost"):
        assert figures[name] == pytest.approx(getattr(solved, name), rel=1e-9, abs=1e-12), name


def test_optimizer_turnover_and_costs_and_infeasible_constraints(market, batch):
    model = OptimizerModel()
    model.param.update(max_turnover=0.8, transaction_costs=0.001)
    assert model.error is None
    assert model.result.figures["turnover"] <= 0.8 + 1e-6
    assert model.result.figures["cost"] == pytest.approx(0.001 * model.result.figures["turnover"])
    good = model.result
    model.max_weight = 0.02
    assert model.error.startswith(
        "infeasible constraints: max weight 0.02 × 20 assets = 0.40 < budget 1.00"
    )
    assert model.result is good
    model.param.update(max_weight=0.10, objective=OptimizerObjective.TARGET_RISK, target_risk=0.01)
    assert model.error is not None and "volatility" in model.error
    model.param.update(objective=OptimizerObjective.FRONTIER_POINT, frontier_point=99)
    assert model.error.startswith("frontier_point must be a point of the frontier, 0 to 29")


@pytest.mark.parametrize("objective", list(OptimizerObjective))
def test_optimizer_to_code_reproduces_the_result(objective):
    model = OptimizerModel()
    model.param.update(
        objective=objective,
        max_weight=0.12,
        sector_cap=0.35,
        frontier_point=4,
        risk_free_rate=0.01,
        lookback=378,
        n_points=20,
    )
    assert model.error is None
    namespace = _run(model.to_code())
    pd.testing.assert_series_equal(namespace["weights"], model.result.weights, check_names=False)
    pd.testing.assert_frame_equal(namespace["frontier"], model.result.frontier)


# ----------------------------------------------------------------- optimizer: the estimators


def _direct_mu(market, method, cov, batch, **options):
    """``market.expected_returns`` for the optimizer's lookback, as a user writes it: the
    implied methods on an equal-weight market and the given covariance, Black-Litterman's
    views from the example's signals."""
    if method in (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN):
        options.update(cov=cov, market_weights=pd.Series(1.0, index=cov.index))
    if method is ReturnMethod.BLACK_LITTERMAN:
        options["signals"] = batch.signals
    return market.expected_returns(method, window=504, **options)


def _max_sharpe(market, batch, mu, cov):
    constraints, _ = _constraints(market, batch, cov)
    return O.MeanVarianceProblem(mu, cov, constraints).fit().solve(O.Objective.MAX_SHARPE)


@pytest.mark.parametrize("method", list(ReturnMethod))
def test_each_expected_return_method_is_the_markets_estimate(market, batch, method):
    model = OptimizerModel(return_method=method, span=252, risk_free_rate=0.0)
    assert model.error is None
    cov = market.covariance(CovMethod.LEDOIT_WOLF, window=504)
    options = {"span": 252} if method is ReturnMethod.EWMA else {}
    if method in (ReturnMethod.CAPM, ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN):
        options["risk_free_rate"] = 0.0
    mu = _direct_mu(market, method, cov, batch, **options)
    pd.testing.assert_series_equal(model.result.mu, mu, check_exact=True)
    direct = _max_sharpe(market, batch, mu, cov)
    pd.testing.assert_series_equal(model.result.weights, direct.weights, atol=1e-12)
    assert model.result.figures["sharpe"] == pytest.approx(direct.sharpe, abs=1e-12)
    if method is ReturnMethod.MARKET_IMPLIED:  # the prior's optimum is the market itself
        assert np.allclose(model.result.weights, 1 / 20, atol=1e-6)
    if method is ReturnMethod.COMPOUNDED:  # the default: today's historical estimate
        pd.testing.assert_series_equal(
            model.result.mu, annualized_return(market.returns.iloc[-504:]), check_names=False
        )


@pytest.mark.parametrize("method", list(CovMethod))
def test_each_risk_model_is_the_markets_covariance(market, batch, method):
    model = OptimizerModel(risk_model=method, halflife=42)
    assert model.error is None
    options = {"halflife": 42} if method is CovMethod.EWMA else {}
    cov = market.covariance(method, window=504, **options)
    pd.testing.assert_frame_equal(model.result.cov, cov, check_exact=True)
    mu = market.expected_returns(ReturnMethod.COMPOUNDED, window=504)
    direct = _max_sharpe(market, batch, mu, cov)
    pd.testing.assert_series_equal(model.result.weights, direct.weights, atol=1e-12)
    assert model.result.figures["volatility"] == pytest.approx(direct.volatility, abs=1e-12)


def test_estimators_side_by_side_are_the_direct_optimizations(market, batch):
    model = OptimizerModel(return_method=ReturnMethod.CAPM, risk_model=CovMethod.SEMICOVARIANCE)
    assert model.result.estimators is None  # not asked for: nothing more computed
    model.compare_estimators = True
    effect = model.result.estimators
    figures, weights = effect.figures, effect.weights
    expected = [("return_method", str(m)) for m in ReturnMethod]
    expected += [("risk_model", str(m)) for m in CovMethod]
    assert list(figures.index) == expected and list(figures.columns) == list(ESTIMATOR_COLUMNS)
    assert list(figures.index[figures["chosen"]]) == [
        ("return_method", "capm"),
        ("risk_model", "semicovariance"),
    ]
    chosen = model.result.weights
    for (kind, method), row in figures.iterrows():
        pair = {"return_method": ReturnMethod.CAPM, "risk_model": CovMethod.SEMICOVARIANCE}
        pair[kind] = ReturnMethod(method) if kind == "return_method" else CovMethod(method)
        cov = market.covariance(pair["risk_model"], window=504)
        rm = pair["return_method"]
        options = {"risk_free_rate": 0.0} if rm in _RF_METHODS else {}
        direct = _max_sharpe(market, batch, _direct_mu(market, rm, cov, batch, **options), cov)
        np.testing.assert_allclose(weights.loc[(kind, method)], direct.weights, atol=1e-12)
        for name in ("expected_return", "volatility", "sharpe", "turnover", "cost"):
            assert row[name] == pytest.approx(getattr(direct, name), abs=1e-12), (method, name)
        moved = float((direct.weights - chosen).abs().sum())
        assert row["turnover_vs_chosen"] == pytest.approx(moved, abs=1e-12)
        assert row["note"] == ""
    assert effect.top_holdings(3) == list(chosen.sort_values(ascending=False).index[:3])
    table = effect.table(holdings=3)
    assert table["Method"].iloc[3] == "CAPM" and table["Chosen"].iloc[3] == "\u2713"
    assert list(table.columns[-3:]) == effect.top_holdings(3)


def test_estimators_side_by_side_say_what_they_leave_out(market, batch):
    bare = portlab.Market(market.prices, sectors=market.sectors)  # no benchmark
    model = OptimizerModel(market=bare, compare_estimators=True)
    assert model.error is None
    notes = model.result.estimators.figures["note"]
    assert "benchmark" in notes[("return_method", "capm")]
    assert "risk_aversion" in notes[("return_method", "market_implied")]
    assert model.result.estimators.weights.loc[("return_method", "capm")].isna().all()
    assert (notes.drop([("return_method", m) for m in _RF_METHODS]) == "").all()
    assert "Note" in model.result.estimators.table().columns
    model.risk_aversion = 2.5  # now the market-implied returns need no benchmark
    notes = model.result.estimators.figures["note"]
    assert notes[("return_method", "market_implied")] == ""
    model.objective = OptimizerObjective.BLACK_LITTERMAN  # its returns are the views'
    effect = model.result.estimators
    assert set(effect.figures.index.get_level_values("estimator")) == {"risk_model"}
    assert any("Black-Litterman" in n for n in effect.notes)
    model.objective = OptimizerObjective.HRP  # same weights in every row
    effect = model.result.estimators
    solved = effect.weights.dropna()  # CAPM: no benchmark, no row
    assert list(effect.weights.index.difference(solved.index)) == [("return_method", "capm")]
    assert np.allclose(solved.to_numpy(), model.result.weights.to_numpy()[None, :])
    assert any("HRP" in n for n in effect.notes)


def test_a_change_with_estimators_compared_recomputes_once(market, batch, monkeypatch):
    model = OptimizerModel(compare_estimators=True)
    fits = Counter(O.MeanVarianceProblem.fit)
    monkeypatch.setattr(O.MeanVarianceProblem, "fit", lambda self: fits(self))
    model.objective = OptimizerObjective.MIN_VOLATILITY  # every problem kept: only solves
    assert model.error is None and fits.calls == 0
    model.max_weight = 0.12  # a new problem per estimator: 6 + 7 - 1 (the chosen, shared)
    assert model.error is None and fits.calls == len(ReturnMethod) + len(CovMethod) - 1
    with pytest.raises(ValueError):
        model.return_method = "median"  # not an estimator: refused, nothing changes
    assert model.return_method is ReturnMethod.COMPOUNDED


@pytest.mark.parametrize(
    ("return_method", "risk_model", "more"),
    [
        ("ewma", "ewma", {"span": 126, "halflife": 21}),
        ("capm", "semicovariance", {"risk_free_rate": 0.02}),
        ("market_implied", "oracle_approximating", {"risk_aversion": 3.0}),
        ("black_litterman", "ledoit_wolf_single_factor", {}),
        ("mean", "sample", {"objective": OptimizerObjective.RISK_PARITY}),
    ],
)
def test_optimizer_to_code_reproduces_each_estimator(return_method, risk_model, more):
    model = OptimizerModel(return_method=return_method, risk_model=risk_model, **more)
    assert model.error is None
    code = model.to_code()
    assert f"ReturnMethod.{ReturnMethod(return_method).name}" in code
    assert f"CovMethod.{CovMethod(risk_model).name}" in code
    namespace = _run(code)
    pd.testing.assert_series_equal(namespace["mu"], model.result.mu)
    pd.testing.assert_series_equal(namespace["weights"], model.result.weights, check_names=False)


# --------------------------------------------------------------------------- other markets


def _synthetic_inputs(n: int = 40):
    market = synthetic(n_instruments=n, n_days=400, n_sectors=5, seed=3)
    rng = np.random.default_rng(4)
    held = market.instruments[rng.choice(n, 8, replace=False)]
    weights = pd.Series(rng.uniform(0.01, 0.04, 8), index=held)
    state = portlab.PortfolioState.from_weights(weights, market.last_prices, 5_000_000)
    names = market.instruments[rng.integers(0, n, 30)]
    price = market.last_prices.reindex(names).to_numpy()
    side = rng.choice([1, -1], 30, p=[0.7, 0.3])
    er = side * rng.uniform(0.01, 0.05, 30)
    signals = signals_frame(
        [
            {
                "signal_id": f"s{i}",
                "timestamp": market.dates[-1],
                "instrument_id": names[i],
                "action": "BUY" if side[i] > 0 else "SELL",
                "confidence": 0.6 + 0.01 * i,
                "price_target": price[i] * (1 + 2 * er[i]),
                "expected_return": er[i],
                "success_probability": 0.6,
                "strategy_id": ["a", "b", "c"][i % 3],
            }
            for i in range(30)
        ]
    )
    return market, state, signals


def test_models_on_a_synthetic_market_and_their_code_with_given_inputs():
    market, state, signals = _synthetic_inputs()
    given = dict(market=market, state=state, signals=signals, rebalance_requests=None)
    policy = PolicyModel(market=market, state=state, signals=signals)
    policy.max_position_size = 0.02
    conflict = ConflictModel(market=market, state=state, signals=signals)
    conflict.resolution = Resolution.NET
    sizing = SizingModel(market=market, state=state, signals=signals, signal_id="s5")
    sizing.confidence = 0.9
    for model in (policy, conflict, sizing):
        assert model.error is None, model.error
        assert model.rebalance_requests is None
        code = model.to_code()
        assert "load_sample" not in code and "example_batch" not in code
        result = _run(code, **given)["result"]
        pd.testing.assert_frame_equal(result.decisions, model.result.coordination.decisions)
    decisions = policy.result.decisions
    after, before = decisions["target_position"].abs(), decisions["current_position"].abs()
    assert (after <= np.maximum(0.02, before) + 1e-12).all()
    opt = OptimizerModel(market=market, state=state, signals=signals, lookback=252)
    opt.objective = OptimizerObjective.BLACK_LITTERMAN
    namespace = _run(opt.to_code(), **given)
    pd.testing.assert_series_equal(namespace["weights"], opt.result.weights, check_names=False)
    attribution = AttributionModel(market=market, state=state)
    assert attribution.error is None and len(attribution.result.by_group) == 6  # 5 sectors, cash


def test_sizing_steps_name_a_rule_only_where_it_cut_the_trade():
    model = SizingModel()
    steps = model.result.steps.set_index("step")
    # 22% wanted, 2% of room under the 5% position limit (3% held): the limit cuts
    assert steps.loc["policy limits", "rule"] == "position"
    assert steps.loc["policy limits", "size"] < steps.loc["wanted trade", "size"]
    model.param.update(success_probability=0.62)  # Kelly now wants 1.9% < 2% of room
    steps = model.result.steps.set_index("step")
    assert steps.loc["policy limits", "size"] == steps.loc["wanted trade", "size"]
    assert steps.loc["policy limits", "rule"] == ""

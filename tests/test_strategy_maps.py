"""Per-instrument strategy maps (Coordinator(portfolio=...)): which strategies speak for an
instrument, their weights there, each instrument's aggregator, the map's allocations."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlab import Coordinator, Market, PortfolioState
from portlab.engine import PortfolioStrategies, load_portfolio
from portlab.exceptions import ConfigError

NAMES = ["AAPL", "MSFT", "NVDA", "XOM"]
TS = "2024-01-03T15:00:00Z"
MAP = {
    "name": "tech",
    "stocks": ["AAPL", "MSFT", "NVDA"],
    "strategies": {
        "AAPL": {"trend": {"weight": 0.6, "params": {"window": 50}}, "value": {"weight": 0.4}},
        "MSFT": {"trend": 1.0, "value": 1.0},
        "NVDA": {"trend": 1.0},
    },
    "aggregators": {"AAPL": "WEIGHTED_AVERAGE"},
}


def make_market() -> Market:
    index = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({k: [100.0] * 3 for k in NAMES}, index=index)
    vol = np.array([0.2, 0.25, 0.3, 0.2])
    cov = pd.DataFrame(np.diag(vol**2), index=NAMES, columns=NAMES)
    return Market(prices, sectors=pd.Series({k: f"S{k}" for k in NAMES}), covariance=cov)


MARKET = make_market()
STATE = PortfolioState(cash=1_000_000.0)


def signal(sid, inst, strategy, conf, action="BUY", priority_hint=None) -> dict:
    return {
        "signal_id": sid,
        "timestamp": TS,
        "instrument_id": inst,
        "action": action,
        "confidence": conf,
        "expected_return": 0.05 if action == "BUY" else -0.05,
        "strategy_id": strategy,
    }


def coordinator(portfolio=MAP, **kwargs) -> Coordinator:
    return Coordinator(
        policy={"max_position_size": 0.2, "max_sector_exposure": 0.2},
        sizing={
            "method": "FIXED_FRACTIONAL",
            "fixed_fraction": 0.05,
            "correlation_penalty": 0.0,
            "min_position_size": 0.0,
            "fractional_shares": True,
        },
        portfolio=portfolio,
        **kwargs,
    )


def test_unmapped_strategies_and_unlisted_instruments_are_rejected_with_the_reason():
    batch = pd.DataFrame(
        [
            signal("a", "NVDA", "value", 0.8),  # value does not speak for NVDA
            signal("b", "XOM", "trend", 0.8),  # XOM is not in the portfolio
            signal("c", "NVDA", "trend", 0.8),
        ]
    )
    result = coordinator().coordinate(batch, STATE, MARKET)
    rej = result.rejections.set_index("id")
    assert rej.loc["a", "reason"] == rej.loc["b", "reason"] == "UNMAPPED_STRATEGY"
    assert (
        rej.loc["a", "detail"] == "strategy value does not speak for NVDA (its strategies: trend)"
    )
    assert rej.loc["b", "detail"] == "XOM is not one of the portfolio's instruments"
    assert list(result.decisions["signal_id"]) == ["c"]
    # without the map XOM trades, and the two NVDA signals meet in conflict resolution
    free = coordinator(portfolio=None).coordinate(batch, STATE, MARKET)
    assert set(free.decisions["instrument_id"]) == {"NVDA", "XOM"}
    assert list(free.rejections["reason"]) == ["CONFLICT_LOST"]


def test_each_instrument_combines_its_signals_with_its_own_aggregator_and_weights():
    batch = pd.DataFrame(
        [
            signal("a1", "AAPL", "trend", 0.8),
            signal("a2", "AAPL", "value", 0.6),
            signal("m1", "MSFT", "trend", 0.8),
            signal("m2", "MSFT", "value", 0.6),
        ]
    )
    result = coordinator().coordinate(batch, STATE, MARKET)
    wf = result.waterfall.set_index("instrument_id")
    # AAPL, WEIGHTED_AVERAGE: weights strategy weight x confidence, targets 5% x confidence
    w1, w2 = 0.6 * 0.8, 0.4 * 0.6
    expected = (w1 * 0.05 * 0.8 + w2 * 0.05 * 0.6) / (w1 + w2)
    assert wf.loc["AAPL", "target_size"] == pytest.approx(expected, rel=1e-12)
    assert wf.loc["AAPL", "rule"] == "WEIGHTED_AVERAGE"
    # MSFT, the coordinator's HIGHEST_PRIORITY: one winner, its own target
    assert wf.loc["MSFT", "rule"] == "HIGHEST_PRIORITY"
    assert wf.loc["MSFT", "target_size"] == pytest.approx(0.05 * 0.8, rel=1e-12)
    decided = result.decisions.set_index("instrument_id")
    assert decided.loc["AAPL", "position_size"] == pytest.approx(expected, rel=1e-9)
    assert list(decided.loc["AAPL", "signal_ids"]) == ["a1", "a2"]
    assert result.rejections.set_index("id").loc["m2", "reason"] == "CONFLICT_LOST"


def test_the_maps_weights_decide_opposing_signals():
    opposite = pd.DataFrame(
        [signal("a1", "AAPL", "trend", 0.5), signal("a2", "AAPL", "value", 0.5, action="SELL")]
    )
    # BUY 2.5% weighted 0.6 x 0.5 against SELL 2.5% weighted 0.4 x 0.5: +0.5%
    net = coordinator().coordinate(opposite, STATE, MARKET)
    assert net.waterfall["target_size"].iloc[0] == pytest.approx(0.2 * 0.025, rel=1e-12)
    assert list(net.decisions["action"]) == ["BUY"]
    # weighted evenly, they cancel
    evens = {**MAP, "strategies": {**MAP["strategies"], "AAPL": {"trend": 1.0, "value": 1.0}}}
    even = coordinator(portfolio=evens).coordinate(opposite, STATE, MARKET)
    assert even.n_decisions == 0
    assert set(even.rejections["reason"]) == {"NETTED_OUT"}


def test_allocations_register_the_strategies():
    mapped = coordinator(portfolio={**MAP, "allocations": {"trend": 0.3, "value": 0.2}})
    assert {k: s.allocation for k, s in mapped.strategies.items()} == {"trend": 0.3, "value": 0.2}
    with pytest.raises(ConfigError, match="allocations once"):
        coordinator(portfolio={**MAP, "allocations": {"trend": 0.3, "value": 0.2}},
                    strategies={"trend": 0.3})  # fmt: skip
    with pytest.raises(ConfigError, match=r"none given for the mapped strategies \['value'\]"):
        load_portfolio({**MAP, "allocations": {"trend": 0.3}})


def test_the_plans_yaml_shape_is_read(tmp_path):
    path = tmp_path / "portfolio.yaml"
    path.write_text(
        textwrap.dedent(
            """
            name: tech
            stocks: [AAPL, MSFT, NVDA]
            strategies:
              AAPL:
                trend: {weight: 0.6, params: {window: 50}}
                value: {weight: 0.4}
              MSFT: {trend: 1.0, value: 1.0}
              NVDA: {trend: 1.0}
            aggregators: {AAPL: WEIGHTED_AVERAGE}
            """
        ),
        encoding="utf-8",
    )
    loaded = load_portfolio(path)
    assert loaded == PortfolioStrategies.model_validate(MAP)
    assert loaded.strategies["AAPL"]["trend"].params == {"window": 50}
    batch = pd.DataFrame([signal("a1", "AAPL", "trend", 0.8), signal("a2", "AAPL", "value", 0.6)])
    by_file = coordinator(portfolio=path).coordinate(batch, STATE, MARKET)
    by_dict = coordinator().coordinate(batch, STATE, MARKET)
    pd.testing.assert_frame_equal(by_file.waterfall, by_dict.waterfall)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aggregators": {"AAPL": "AVERAGE"}}, r"aggregators\.AAPL"),
        ({"strategies": {"TSLA": {"trend": 1.0}}}, "not listed in instruments: \\['TSLA'\\]"),
        ({"strategies": {"AAPL": {"trend": -1.0}}}, r"strategies\.AAPL\.trend\.weight"),
        ({"colour": "red"}, "colour"),
        ({"instruments": ["AAPL"]}, "once"),
    ],
)
def test_bad_maps_are_named(change, message):
    with pytest.raises(ConfigError, match=message):
        load_portfolio({**MAP, **change})


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nothing.yaml: cannot read"):
        Coordinator(portfolio=tmp_path / "nothing.yaml")


_CHOICE = st.sampled_from(["trend", "value", "carry"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(NAMES), _CHOICE, st.floats(0.05, 1.0), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    aggregator=st.sampled_from(["NET", "WEIGHTED_AVERAGE", "HIGHEST_PRIORITY", None]),
)
def test_every_signal_is_accounted_for_and_no_unmapped_one_trades(rows, aggregator):
    batch = pd.DataFrame(
        [
            signal(f"s{k}", inst, strat, conf, "BUY" if buy else "SELL")
            for k, (inst, strat, conf, buy) in enumerate(rows)
        ]
    )
    portfolio = {**MAP, "default_aggregator": aggregator}
    result = coordinator(portfolio=portfolio).coordinate(batch, STATE, MARKET)
    decided = {sid for ids in result.decisions["signal_ids"] for sid in ids}
    rejected = set(result.rejections["id"])
    assert decided | rejected == set(batch["signal_id"]) and not decided & rejected
    mapped = load_portfolio(portfolio)
    for row in batch.itertuples():
        if mapped.weight(row.instrument_id, row.strategy_id) is None:
            assert row.signal_id in rejected


def test_the_workbench_keeps_the_map_when_it_changes_other_settings():
    """The tuner's coordinator (``configured``) and the code it prints keep the portfolio
    map; a replace() that changes the policy keeps it too."""
    import portlab
    from portlab.ui import PolicyModel, configured
    from portlab.ui.codegen import coordinator_code

    base = coordinator(portfolio={**MAP, "allocations": {"trend": 0.3, "value": 0.2}})
    tuned = configured(base, policy={"max_position_size": 0.1})
    assert tuned.portfolio == base.portfolio and tuned.strategies == base.strategies
    assert (
        tuned.policy.max_position_size.limit == 0.1 and base.policy.max_position_size.limit == 0.2
    )
    batch = pd.DataFrame([signal("a", "NVDA", "value", 0.8), signal("c", "NVDA", "trend", 0.8)])
    model = PolicyModel(market=MARKET, state=STATE, signals=batch, coordinator=base)
    model.set(max_position_size=0.1)
    direct = tuned.coordinate(batch, STATE, MARKET)
    assert list(model.result.rejections["reason"]) == list(direct.rejections["reason"])
    assert "UNMAPPED_STRATEGY" in set(direct.rejections["reason"])
    namespace = {"portlab": portlab}
    exec("\n".join(coordinator_code(tuned)), namespace)
    rebuilt = namespace["coordinator"]
    assert rebuilt.portfolio == tuned.portfolio and rebuilt.strategies == tuned.strategies
    with pytest.raises(ConfigError, match="unknown settings"):
        base.replace(polcy={})


def test_a_journaled_run_keeps_its_map_and_replays(tmp_path):
    from portlab.journal import Journal

    mapped = coordinator(portfolio={**MAP, "allocations": {"trend": 0.3, "value": 0.2}})
    batch = pd.DataFrame(
        [signal("a1", "AAPL", "trend", 0.8), signal("a2", "AAPL", "value", 0.6),
         signal("n1", "NVDA", "value", 0.8)]
    )  # fmt: skip
    with Journal(tmp_path / "j.db") as journal:
        result = mapped.coordinate(batch, STATE, MARKET, journal=journal)
        again = journal.inputs(result.run_id).coordinator
        assert again.portfolio == mapped.portfolio and again.strategies == mapped.strategies
        assert journal.replay(result.run_id).identical
        # the same batch without the map is another policy, another run
        free = coordinator(portfolio=None).coordinate(batch, STATE, MARKET, journal=journal)
        assert free.run_id != result.run_id
        versions = journal.runs().set_index("run_id")["policy_version"]
        assert versions[free.run_id] != versions[result.run_id]

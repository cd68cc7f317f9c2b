"""portlab.sweep: scenarios and their ids, specs, and sweeps run on Dask distributed.

Every metric is checked against the library called directly with the scenario's settings
(``Coordinator(...).coordinate``, ``Backtest(...).run(...).summary()``). The sweeps run on one
LocalCluster of two single-threaded worker processes shared by the module (a second, of one
worker, for the 1-vs-2 comparison).
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import portlab
from portlab.analytics.backtest import Backtest, MeanReversion, Momentum
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.exceptions import ConfigError, InputRepairWarning, ValidationError
from portlab.state import PortfolioState
from portlab.sweep import (
    HEAD,
    METRICS,
    SignalBatch,
    Status,
    SweepKind,
    cells,
    example_specs,
    expand,
    load_inputs,
    load_spec,
    metric_columns,
    parameter_columns,
    pivot,
    read_results,
    run,
    scenario_id,
    scenario_result,
)

COORDINATION_GRID = {
    "policy.max_position_size": [0.03, 0.05, 0.08],
    "sizing.max_kelly_fraction": [0.05, 0.25],
    "resolution": ["highest_priority", "WEIGHTED_AVERAGE"],
}
BACKTEST_GRID = {
    "strategy": ["momentum", "momentum+mean_reversion"],
    "configuration": ["default", "tight"],
    "split": ["validation", "test"],
}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(
        start="2021-01-01",
        end="2021-12-31",
        configurations={"default": {}, "tight": {"policy": {"max_position_size": 0.03}}},
    )


def _no_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="seconds")


# -- scenarios and their ids ---------------------------------------------------------------


def test_a_grid_is_every_combination_in_order(inputs):
    found = expand(SweepKind.COORDINATION, inputs, grid=COORDINATION_GRID)
    assert len(found) == 3 * 2 * 2
    assert len({s.id for s in found}) == 12
    first, second, last = found[0], found[1], found[-1]
    assert dict(first.parameters) == {
        "policy.max_position_size": 0.03,
        "sizing.max_kelly_fraction": 0.05,
        "resolution": "HIGHEST_PRIORITY",  # canonical: as the engine holds it
    }
    assert second.parameters["resolution"] == "WEIGHTED_AVERAGE"  # the last axis fastest
    assert last.parameters["policy.max_position_size"] == 0.08
    more = expand("coordination", inputs, grid=COORDINATION_GRID,
                  scenarios=[{"policy.max_position_size": 0.1}])  # fmt: skip
    assert len(more) == 13 and more[:12] == found
    assert dict(more[-1].parameters) == {"policy.max_position_size": 0.1}


def test_ids_are_stable_and_content_addressed(inputs):
    a = expand("coordination", inputs, grid=COORDINATION_GRID)
    again = expand("coordination", load_inputs(), grid=COORDINATION_GRID)
    assert [s.id for s in a] == [s.id for s in again]  # inputs read afresh: the same content
    # the same value spelt otherwise is the same scenario
    spelt = expand("coordination", inputs, scenarios=[{"resolution": "highest_priority",
                                                       "policy.max_position_size": 3e-2}])  # fmt: skip
    assert spelt[0].id == expand("coordination", inputs, scenarios=[
        {"resolution": "HIGHEST_PRIORITY", "policy.max_position_size": 0.03}])[0].id  # fmt: skip
    # a changed portfolio, signal batch or base policy: other ids
    state = example_batch().state
    richer = PortfolioState(dict(state.positions), cash=state.cash + 1.0)
    batch = inputs.batch("example")
    fewer = SignalBatch(batch.signals[:-1], batch.rebalance_requests)
    for changed in (
        dataclasses.replace(inputs, state=richer),
        dataclasses.replace(inputs, signals={"example": fewer}),
        dataclasses.replace(
            inputs, coordinator=portlab.Coordinator(sizing={"allocation": "GREEDY"})
        ),
    ):
        other = expand("coordination", changed, grid=COORDINATION_GRID)
        assert not {s.id for s in other} & {s.id for s in a}
    # an input coordinations do not read leaves their ids alone
    unrelated = dataclasses.replace(inputs, cost=0.002)
    assert [s.id for s in expand("coordination", unrelated, grid=COORDINATION_GRID)] == [
        s.id for s in a
    ]
    # a backtest configuration's content is in the id, not only its name
    b = expand("backtest", inputs, grid=BACKTEST_GRID)
    looser = load_inputs(start="2021-01-01", end="2021-12-31", configurations={
        "default": {}, "tight": {"policy": {"max_position_size": 0.04}}})  # fmt: skip
    b2 = expand("backtest", looser, grid=BACKTEST_GRID)
    same = [x.id == y.id for x, y in zip(b, b2, strict=True)]
    tight = [s.parameters["configuration"] == "tight" for s in b]
    assert same == [not t for t in tight]


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.integers(),
            st.text(max_size=5),
            st.booleans(),
        ),
        max_size=5,
    ),
    st.sampled_from(list(SweepKind)),
)
def test_an_id_is_the_content_whatever_the_order(parameters, kind):
    digests = {"book": "abc"}
    sid = scenario_id(kind, parameters, digests)
    assert len(sid) == 12 and int(sid, 16) >= 0
    assert sid == scenario_id(kind, dict(reversed(list(parameters.items()))), dict(digests))
    assert sid != scenario_id(kind, parameters, {"book": "abd"})
    other = next(k for k in SweepKind if k != kind)
    assert sid != scenario_id(other, parameters, digests)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"policy.max_position_sise": [0.03]}, "policy.max_position_sise: unknown axis; did you mean policy.max_position_size?"),
        ({"policy.max_position_size": [0.03, 5]}, "policy.max_position_size = 5: 5 looks like a percentage"),
        ({"sizing.allocation": ["OPTIMAL", "FASTEST"]}, "sizing.allocation = 'FASTEST'"),
        ({"resolution": ["COIN_TOSS"]}, "resolution = 'COIN_TOSS': unknown resolution"),
        ({"signals": ["example", "other"]}, "signals = 'other': no batch 'other'; the batches are example"),
        ({"policy.max_position_size": [[0.03, 0.05]]}, "policy.max_position_size = [0.03, 0.05]: an axis value is one"),
        ({"policy.max_position_size": []}, "policy.max_position_size: an axis needs at least one value"),
        ({"decisions": [1]}, "decisions: the name of a results column"),
    ],
)  # fmt: skip
def test_bad_axes_and_values_are_named(inputs, grid, message):
    with pytest.raises(ConfigError) as err:
        expand("coordination", inputs, grid=grid)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"strategy": ["momentum", "momentun"]}, "strategy = 'momentun': unknown strategy 'momentun'"),
        ({"configuration": ["default", "loose"]}, "configuration = 'loose': no configuration 'loose'"),
        ({"split": ["train", "holdout"]}, "split = 'holdout': no split 'holdout'"),
        ({"cost": [0.001, 2]}, "cost = 2: a fraction"),
        ({"frequency": ["W-FRI", "fortnightly"]}, "frequency = 'fortnightly': not a pandas offset"),
        ({"strategy": ["momentum+momentum"]}, "names momentum twice"),
    ],
)  # fmt: skip
def test_bad_backtest_values_are_named(inputs, grid, message):
    with pytest.raises(ConfigError) as err:
        expand("backtest", inputs, grid=grid)
    assert message in str(err.value)


def test_a_bad_kind_and_an_empty_sweep_are_refused(inputs):
    with pytest.raises(ConfigError, match="kind: 'optimisation' is not one of coordination"):
        expand("optimisation", inputs, grid={"resolution": ["HIGHEST_PRIORITY"]})
    with pytest.raises(ConfigError, match="no scenarios"):
        expand("coordination", inputs)
    with pytest.raises(ConfigError, match="scenarios 1 and 2 are the same"):
        expand("coordination", inputs, scenarios=[{"resolution": "WEIGHTED_AVERAGE"}] * 2)


# -- specs ---------------------------------------------------------------------------------


def test_the_example_specs_load():
    scenarios, inputs = load_spec(example_specs()["coordination"])
    assert len(scenarios) == 12 and {s.kind for s in scenarios} == {SweepKind.COORDINATION}
    assert example_specs()["coordination"] in inputs.files
    scenarios, inputs = load_spec(example_specs()["backtest"])
    assert len(scenarios) == 12
    assert {s.parameters["split"] for s in scenarios} == {"train", "validation", "test"}
    assert set(inputs.periods) == {"all", "train", "validation", "test"}
    assert inputs.periods["all"].start >= pd.Timestamp("2019-01-01")


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: coordination\ngrid:\n  policy.max_position_size: [0.03, 5]\n",
         "spec.yaml:3: policy.max_position_size = 5: 5 looks like a percentage"),
        ("kind: coordination\ninputs:\n  markt: sample\ngrid: {resolution: [HIGHEST_PRIORITY]}\n",
         "spec.yaml:3: inputs.markt: unknown key; did you mean market?"),
        ("kind: coordination\ngird: {resolution: [HIGHEST_PRIORITY]}\n", "spec.yaml:2: gird: unknown key; did you mean grid?"),
        ("grid: {resolution: [HIGHEST_PRIORITY]}\n", "kind: missing"),
        ("kind: coordination\ninputs: {portfolio: nowhere.json}\ngrid: {resolution: [HIGHEST_PRIORITY]}\n",
         "portfolio: "),
        ("kind: coordination\ngrid: [1, 2\n", "spec.yaml:3: not valid YAML"),  # YAML marks where it stopped
    ],
)  # fmt: skip
def test_spec_errors_name_the_file_line_and_axis(tmp_path, text, message):
    with pytest.raises(portlab.exceptions.PortlabError) as err:
        load_spec(_spec(tmp_path, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_spec_reads_files_relative_to_itself(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "portfolio.json").write_text(example_paths()["portfolio"].read_text())
    (tmp_path / "data" / "signals.jsonl").write_text(example_paths()["signals"].read_text())
    spec = _spec(tmp_path, """\
        kind: coordination
        inputs:
          portfolio: data/portfolio.json
          signals:
            mine: data/signals.jsonl
            example: example
        grid:
          signals: [mine, example]
        """)  # fmt: skip
    scenarios, inputs = load_spec(spec)
    assert len(scenarios) == 2 and len(inputs.batch("mine").signals) == 14
    assert inputs.batch("mine").rebalance_requests == ()  # a file alone: no rebalance request
    assert tmp_path / "data" / "portfolio.json" in inputs.files
    assert scenarios[0].id != scenarios[1].id


# -- running on Dask -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def coordination(inputs):
    return expand("coordination", inputs, grid=COORDINATION_GRID)


@pytest.fixture(scope="module")
def backtests(inputs):
    return expand("backtest", inputs, grid=BACKTEST_GRID)


@pytest.fixture(scope="module")
def coordination_results(client, coordination, inputs):
    return run(coordination, inputs, client=client, progress=False)


def _binding(result) -> dict[str, int]:
    """How many trades each rule cut, from the waterfall's columns themselves."""
    w = result.waterfall
    num = {c: pd.to_numeric(w[c], errors="coerce").to_numpy(dtype=float)
           for c in ("signal_trade", "rebalance_trade", "policy_constrained", "allocated", "sized")}  # fmt: skip
    want = np.where(np.isnan(num["signal_trade"]), num["rebalance_trade"], num["signal_trade"])
    counts: dict[str, int] = {}
    for k in range(len(w)):
        cut = set()
        if num["policy_constrained"][k] < want[k] - 1e-9:
            cut.add(w["binding_rule"].iloc[k])
        named = {c: w[c].iloc[k] if isinstance(w[c].iloc[k], str) else ""
                 for c in ("allocation_binding", "trimmed_by")}  # fmt: skip
        if num["allocated"][k] < num["sized"][k] - 1e-9 and named["allocation_binding"]:
            cut.add(named["allocation_binding"])
        if named["trimmed_by"]:
            cut.add(named["trimmed_by"])
        for rule in cut:
            counts[rule] = counts.get(rule, 0) + 1
    return counts


def test_coordination_results_are_the_engine_s(coordination_results, coordination, inputs):
    results = coordination_results
    assert list(results.columns[:5]) == list(HEAD)
    assert parameter_columns(results) == list(COORDINATION_GRID)
    assert metric_columns(results) == list(METRICS[SweepKind.COORDINATION])
    assert list(results["scenario"]) == [s.id for s in coordination]
    assert (results["status"] == Status.OK.value).all() and (results["error"] == "").all()
    assert (results["seconds"] > 0).all()
    batch = example_batch()
    market = load_sample()
    for row in results.itertuples(index=False):
        params = dict(zip(results.columns, row, strict=True))
        direct = portlab.Coordinator(
            policy={"max_position_size": params["policy.max_position_size"]},
            sizing={"max_kelly_fraction": params["sizing.max_kelly_fraction"]},
            resolution=params["resolution"],
        ).coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
        deployed = float(direct.decisions["trade_amount"].sum())
        assert params["decisions"] == len(direct.decisions)
        assert params["rejections"] == len(direct.rejections)
        assert params["signals_total"] == 14
        assert params["capital_deployed"] == pytest.approx(deployed, rel=1e-12)
        assert params["deployed_fraction"] == pytest.approx(deployed / direct.nav, rel=1e-12)
        shown = dict(
            (part.rsplit(" ", 1)[0], int(part.rsplit(" ", 1)[1]))
            for part in params["binding_limits"].split(", ")
            if part
        )
        assert shown == _binding(direct)
    # the position limit binds less as it loosens: capital deployed grows with it
    deployed = results.groupby("policy.max_position_size")["capital_deployed"].max()
    assert deployed.is_monotonic_increasing


def test_backtest_results_are_the_backtest_s(client, backtests, inputs):
    results = run(backtests, inputs, client=client, progress=False)
    assert metric_columns(results) == list(METRICS[SweepKind.BACKTEST])
    assert (results["status"] == "ok").all()
    row = results.iloc[-1]  # momentum+mean_reversion, tight, test
    assert (row["strategy"], row["configuration"], row["split"]) == (
        "momentum+mean_reversion", "tight", "test")  # fmt: skip
    period = inputs.period("test")
    direct = Backtest(
        [Momentum(), MeanReversion()],
        portlab.Coordinator(policy={"max_position_size": 0.03}),
    ).run(load_sample(), period.start, period.end)
    summary = direct.summary()
    for name in METRICS[SweepKind.BACKTEST]:
        assert row[name] == pytest.approx(summary[name], rel=1e-12, nan_ok=True), name
    # each split is a part of 2021 (60/20/20), in order
    assert (
        inputs.period("validation").end < period.start <= period.end <= pd.Timestamp("2021-12-31")
    )


def test_a_failing_scenario_is_a_row_and_the_others_finish(client, inputs):
    broken = SignalBatch(pd.DataFrame({"instrument_id": ["AAPL"]}))  # no action, no confidence
    mixed = dataclasses.replace(
        inputs, signals={"example": inputs.batch("example"), "broken": broken}
    )
    grid = {"signals": ["example", "broken"], "policy.max_position_size": [0.03, 0.05]}
    scenarios = expand("coordination", mixed, grid=grid)
    results = run(scenarios, mixed, client=client, progress=False)
    failed = results[results["signals"] == "broken"]
    assert list(failed["status"]) == ["failed", "failed"]
    assert all("action" in e and "\n" not in e for e in failed["error"])
    assert failed["decisions"].isna().all() and failed["capital_deployed"].isna().all()
    ok = results[results["signals"] == "example"]
    assert list(ok["status"]) == ["ok", "ok"] and list(ok["decisions"]) == [8, 11]


def test_a_combination_the_engine_refuses_fails_alone(client, inputs):
    grid = {"policy.max_position_size": [0.05, 0.3], "policy.max_sector_exposure": [0.25, 0.4]}
    with pytest.warns(InputRepairWarning, match="1 of 4 scenarios combine values"):
        scenarios = expand("coordination", inputs, grid=grid)
    results = run(scenarios, inputs, client=client, progress=False)
    assert list(results["status"]) == ["ok", "ok", "failed", "ok"]
    assert "0.3 is above max_sector_exposure 0.25" in results["error"].iloc[2]


def test_scenario_result_reopens_one_scenario(coordination_results, coordination, inputs):
    scenario = coordination[4]
    result = scenario_result(scenario, inputs)
    assert isinstance(result, portlab.CoordinationResult)
    row = coordination_results.set_index("scenario").loc[scenario.id]
    assert len(result.decisions) == row["decisions"]
    assert float(result.decisions["trade_amount"].sum()) == pytest.approx(row["capital_deployed"])


def test_inputs_are_scattered_once_to_every_worker(client, coordination, inputs, monkeypatch):
    calls = []
    scatter = client.scatter

    def spy(data, **kwargs):
        calls.append((type(data).__name__, kwargs))
        return scatter(data, **kwargs)

    monkeypatch.setattr(client, "scatter", spy)
    sizes = []
    submit = client.submit

    def spy_submit(func, *args, **kwargs):
        import pickle

        sizes.append(len(pickle.dumps(args[0])))  # the scenario: what each task carries
        assert type(args[1]).__name__ == "Future"  # the inputs travel as the scattered future
        return submit(func, *args, **kwargs)

    monkeypatch.setattr(client, "submit", spy_submit)
    run(coordination[:4], inputs, client=client, progress=False)
    assert calls == [("SweepInputs", {"broadcast": True, "hash": False})]
    assert len(sizes) == 4 and max(sizes) < 2_000  # the market is 2 MB pickled


def test_resume_runs_only_what_is_missing(client, coordination, inputs, tmp_path, monkeypatch):
    out = tmp_path / "sweep.parquet"
    full = run(coordination, inputs, client=client, out=out, progress=False)
    pd.testing.assert_frame_equal(read_results(out), full)
    # keep 5 finished rows and one failed: the failed one and the 6 missing run again
    partial = full.iloc[:6].copy()
    partial.loc[5, ["status", "error"]] = ["failed", "boom"]
    partial.to_parquet(out, index=False)
    submitted = []
    submit = client.submit
    monkeypatch.setattr(
        client, "submit", lambda f, s, *a, **k: submitted.append(s.id) or submit(f, s, *a, **k)
    )
    again = run(coordination, inputs, client=client, out=out, progress=False)
    assert submitted == [s.id for s in coordination[5:]]
    pd.testing.assert_frame_equal(_no_seconds(again), _no_seconds(full))
    assert list(again["seconds"].iloc[:5]) == list(full["seconds"].iloc[:5])  # kept, not rerun
    # everything finished: nothing runs (no cluster is even started)
    submitted.clear()
    run(coordination, inputs, out=out, progress=False)
    assert submitted == []
    # without resuming, everything runs
    run(coordination, inputs, client=client, out=out, resume=False, progress=False)
    assert len(submitted) == len(coordination)


def test_results_are_written_as_they_come(client, coordination, inputs, tmp_path, monkeypatch):
    from portlab.sweep import _runner

    written = []
    monkeypatch.setattr(_runner, "CHECKPOINT_ROWS", 1)
    monkeypatch.setattr(
        _runner, "write_results", lambda frame, path: written.append((len(frame), Path(path)))
    )
    out = tmp_path / "sweep.parquet"
    run(coordination[:5], inputs, client=client, out=out, progress=False)
    assert [n for n, _ in written] == [1, 2, 3, 4, 5, 5] and {p for _, p in written} == {out}


def test_one_worker_and_two_give_the_same_table(
    coordination_results, coordination, inputs, backtests
):
    both = coordination[:6] + backtests[:4]
    one = run(both, inputs, workers=1, progress=False)
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as c,
        Client(c, set_as_default=False) as two_client,
    ):
        two = run(both, inputs, client=two_client, progress=False)
    pd.testing.assert_frame_equal(_no_seconds(one), _no_seconds(two))
    assert set(one["kind"]) == {"coordination", "backtest"}
    # a mixed sweep: each kind's metrics, missing for the other kind's rows
    assert one.loc[one["kind"] == "backtest", "decisions"].isna().all()
    assert one.loc[one["kind"] == "coordination", "sharpe"].isna().all()
    pd.testing.assert_frame_equal(
        _no_seconds(one.iloc[:6]).dropna(axis=1, how="all").reset_index(drop=True),
        _no_seconds(coordination_results.iloc[:6]).reset_index(drop=True),
    )


def test_a_scheduler_by_address(cluster, coordination, inputs, coordination_results):
    results = run(coordination, inputs, scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(_no_seconds(results), _no_seconds(coordination_results))


def test_an_output_that_is_an_input_is_refused(coordination, tmp_path):
    portfolio = tmp_path / "portfolio.json"
    portfolio.write_text(example_paths()["portfolio"].read_text())
    before = portfolio.read_bytes()
    inputs = load_inputs(portfolio=portfolio)
    scenarios = expand("coordination", inputs, grid={"resolution": ["HIGHEST_PRIORITY"]})
    with pytest.raises(ValidationError, match="is an input file"):
        run(scenarios, inputs, out=tmp_path / "." / "portfolio.json", progress=False)
    assert portfolio.read_bytes() == before
    not_results = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(not_results)
    with pytest.raises(ValidationError, match="not a sweep's results file"):
        run(scenarios, inputs, out=not_results, progress=False)


def test_client_scheduler_and_workers_exclude_each_other(client, cluster, coordination, inputs):
    with pytest.raises(ValidationError, match="give one of them"):
        run(coordination, inputs, client=client, scheduler=cluster.scheduler_address)
    with pytest.raises(ValidationError, match="workers: only for the local cluster"):
        run(coordination, inputs, client=client, workers=2)
    with pytest.raises(ValidationError, match="workers: a whole number"):
        run(coordination, inputs, workers=0)
    with pytest.raises(ValidationError, match="listed twice"):
        run(coordination[:1] * 2, inputs, client=client)


def test_cells_and_pivot(coordination_results):
    where = {"resolution": "HIGHEST_PRIORITY"}
    table = pivot(coordination_results, "decisions", "policy.max_position_size",
                  "sizing.max_kelly_fraction", where)  # fmt: skip
    assert table.shape == (3, 2)
    assert table.loc[0.03, 0.25] == 8 and table.loc[0.05, 0.25] == 11
    grid = cells(coordination_results, "sizing.max_kelly_fraction", "policy.max_position_size",
                 "capital_deployed", where)  # fmt: skip
    assert list(grid.columns) == ["sizing.max_kelly_fraction", "policy.max_position_size",
                                  "capital_deployed", "scenario"]  # fmt: skip
    assert len(grid) == 6
    with pytest.raises(ValidationError, match="resolution varies"):
        cells(
            coordination_results,
            "sizing.max_kelly_fraction",
            "policy.max_position_size",
            "decisions",
        )


def test_a_report_sweep_checks_its_parameters(inputs):
    with pytest.raises(ConfigError, match="report: no template named"):
        expand("report", inputs, grid={"title": ["a"]})
    with pytest.raises(ConfigError, match=r"colour = 'red': unknown parameter 'colour'"):
        expand("report", inputs, grid={"report": ["portfolio"], "colour": ["red"]})
    with pytest.raises(ConfigError, match="report = 'nope'"):
        expand("report", inputs, grid={"report": ["nope"]})
    found = expand("report", inputs, grid={"report": ["portfolio"], "title": ["A", "B"]})
    assert [dict(s.parameters) for s in found] == [
        {"report": "portfolio", "title": "A"}, {"report": "portfolio", "title": "B"}]  # fmt: skip


def test_a_report_sweep_writes_pages(client, inputs, tmp_path):
    folder = tmp_path / "pages"
    shared = dataclasses.replace(inputs, report_folder=folder)
    scenarios = expand("report", shared, grid={"report": ["portfolio"], "title": ["Sweep page"]})
    results = run(scenarios, shared, client=client, progress=False)
    assert list(results["status"]) == ["ok"], results["error"].tolist()
    page = Path(results["page"].iloc[0])
    assert page == folder / f"portfolio-{scenarios[0].id}.html"
    assert page.stat().st_size == results["page_bytes"].iloc[0]
    assert "Sweep page" in page.read_text(encoding="utf-8")


def test_metric_tables_name_every_kind():
    assert set(METRICS) == set(SweepKind)
    assert "sharpe" in METRICS[SweepKind.BACKTEST] and "binding_limits" in METRICS["coordination"]


def test_local_workers_keep_glibcs_trim_threshold_and_one_blas_thread():
    """Dask's nannies would set MALLOC_TRIM_THRESHOLD_=65536 (backtests ~20% slower); the
    sweep's local cluster starts its workers without it and without the statistical
    profiler, BLAS still held to one thread."""
    import os

    import dask

    # as an earlier Dask nanny of this process leaves it (Dask would pass it on)
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"
    with portlab.sweep.dask_client(workers=1) as client:
        seen = client.run(
            lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"))
        )
        profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(seen.values()) == [(None, "1")]
    assert list(profiling.values()) == [False]  # the workers' stack sampler is off
    assert os.environ.pop("MALLOC_TRIM_THRESHOLD_") == "65536"  # this process's left as it was

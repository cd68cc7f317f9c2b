"""The sweep explorer: its view-model, the notebook widget, the Panel page and ``portlab serve
--sweep``, and the page in Chromium: a click on a heatmap cell opens that scenario, whose
decisions must be the engine's for the scenario's settings, computed here directly.

The sweep is the shipped example (``coordination.yaml``: 3 position limits x 2 Kelly caps x 2
resolutions on the bundled batch), run once for the module on one Dask worker.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import portlab
from portlab import sweep
from portlab.datasets import example_batch, load_sample
from portlab.exceptions import ValidationError
from portlab.ui import SweepModel

X, Y = "policy.max_position_size", "sizing.max_kelly_fraction"


@pytest.fixture(scope="module")
def spec():
    return sweep.load_spec(sweep.example_specs()["coordination"])


@pytest.fixture(scope="module")
def results(spec):
    return sweep.run(spec.scenarios, spec.inputs, workers=1, progress=False)


def _direct(row: pd.Series) -> portlab.CoordinationResult:
    """The engine on the scenario's settings, without the sweep package."""
    batch = example_batch()
    coordinator = portlab.Coordinator(
        policy=portlab.Policy(max_position_size=float(row[X])),
        sizing={"max_kelly_fraction": float(row[Y]), "allocation": row["sizing.allocation"]},
        resolution=row["resolution"],
    )
    return coordinator.coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )


def _decision_tuples(decisions: pd.DataFrame) -> list[tuple[str, str, float]]:
    return list(
        zip(
            decisions["instrument_id"].astype(str),
            decisions["action"].astype(str),
            decisions["share_quantity"].astype(float),
            strict=True,
        )
    )


# -- the view-model -----------------------------------------------------------------------------


def test_the_model_starts_on_two_varying_parameters_and_holds_the_third(results, spec):
    model = SweepModel(results=results, sweep=spec)
    assert model.error is None
    assert (model.x, model.y, model.metric) == (X, Y, "capital_deployed")
    assert model.where == {"resolution": "HIGHEST_PRIORITY"}
    held = results[results["resolution"] == "HIGHEST_PRIORITY"]
    cells = model.result.cells
    assert cells["scenario"].tolist() == held["scenario"].tolist()
    np.testing.assert_array_equal(cells["capital_deployed"], held["capital_deployed"])
    assert model.result.row is None and model.result.outcome is None


def test_the_other_parameter_moves_when_an_axis_takes_it(results, spec):
    model = SweepModel(results=results, sweep=spec)
    model.x = Y  # the y parameter moves away, the third one is held instead
    assert model.error is None and model.x == Y and model.y != Y
    assert set(model.where) == ({X, Y, "resolution"} - {model.x, model.y})
    model.set(x="resolution", y=X)
    assert model.where == {Y: 0.05}
    assert len(model.result.cells) == 6


def test_selecting_a_scenario_runs_it_again_as_the_engine_does(results, spec):
    model = SweepModel(results=results, sweep=spec)
    row = results.iloc[-1]  # 8% cap, 25% Kelly cap, WEIGHTED_AVERAGE
    model.selected = row["scenario"]
    assert model.error is None
    assert model.result.row["scenario"] == row["scenario"]
    direct = _direct(row)
    assert _decision_tuples(model.result.outcome.decisions) == _decision_tuples(direct.decisions)
    assert len(direct.decisions) == row["decisions"]
    assert model.result.row["capital_deployed"] == pytest.approx(
        direct.decisions["trade_amount"].abs().sum()
    )


def test_without_the_sweep_a_selection_shows_its_row_and_says_why(results):
    model = SweepModel(results=results)
    model.selected = results["scenario"].iloc[0]
    assert model.result.outcome is None and "give the sweep" in model.result.note
    model.selected = "nope"
    assert "no scenario 'nope'" in model.error
    assert model.result.row["scenario"] == results["scenario"].iloc[0]  # the last good one


def test_the_model_refuses_what_is_not_a_sweep():
    with pytest.raises(ValidationError, match="sweep's results"):
        SweepModel(results=pd.DataFrame({"a": [1]}))


def test_to_code_reproduces_the_cells(results, spec):
    model = SweepModel(results=results, sweep=spec)
    model.set(x="resolution", y=X, metric="decisions")
    scope = {"results": results}
    exec(model.to_code(), scope)
    pd.testing.assert_frame_equal(scope["result"], model.result.cells)


# -- the notebook widget ------------------------------------------------------------------------


def test_the_widget_opens_a_clicked_scenario_and_shows_its_decisions(results, spec):
    from portlab.widgets import SweepExplorer

    explorer = SweepExplorer(results, spec)
    assert [c.description for c in explorer._held.children] == ["resolution"]
    row = results.iloc[4]
    explorer.select_scenario(row["scenario"])
    page = explorer.decisions_html.value
    for instrument in _direct(row).decisions["instrument_id"]:
        assert f">{instrument}<" in page
    assert row["scenario"] in explorer.summary_html.value
    # the heatmap's taps reach the model: the data source's selection, as bokeh sets it
    from bokeh.models import ColumnDataSource

    slot = explorer.slots["heatmap"]
    source = next(
        s for s in slot.plot.state.select({"type": ColumnDataSource}) if "scenario" in s.data
    )
    target = results.iloc[2]["scenario"]
    index = list(source.data["scenario"]).index(target)
    source.selected.indices = [index]
    assert explorer.model.selected == target
    # holding the third parameter at another value redraws the cells
    explorer._held.children[0].value = "WEIGHTED_AVERAGE"
    assert explorer.model.where == {"resolution": "WEIGHTED_AVERAGE"}
    shown = results[results["resolution"] == "WEIGHTED_AVERAGE"]["scenario"].tolist()
    assert explorer.model.result.cells["scenario"].tolist() == shown


# -- the Panel page and the server ------------------------------------------------------------


def test_the_page_opens_a_scenario_into_its_grids(results, spec):
    from portlab.apps import SweepPage

    page = SweepPage(results, spec)
    row = results.iloc[7]
    page.select_scenario(row["scenario"])
    direct = _direct(row)
    shown = page.decisions.value
    assert shown["instrument"].tolist() == direct.decisions["instrument_id"].astype(str).tolist()
    assert len(page.rejections.value) == len(direct.rejections)
    page.x.value = "resolution"  # the sidebar's select moves the model
    assert page.model.x == "resolution"


def test_serve_routes_the_sweep_explorer_only_with_results(results):
    from portlab.apps import routes

    assert "sweep" not in routes()
    assert "sweep" in routes(sweep_results=results)
    with pytest.raises(ValidationError, match="needs a sweep's results"):
        routes(apps=(portlab.apps.App.SWEEP,))


def test_portlab_serve_sweep_options_are_checked(tmp_path):
    def serve(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "portlab.cli", "serve", *args],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip

    done = serve("--app", "sweep")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "portlab: error: --app sweep: give the sweep's results with --sweep RESULTS.parquet"
    )
    done = serve("--sweep", "missing.parquet")
    assert done.returncode == 2 and "missing.parquet" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- in Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_click_on_a_cell_opens_its_scenario_in_the_served_page(results, spec, browser):
    from _jupyterlab import ARTIFACTS, CHROMIUM
    from _panel_server import in_process
    from _report_pages import point_with_tooltip

    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    from portlab.apps import App

    row = results.iloc[10]  # 8% cap, 25% Kelly cap, HIGHEST_PRIORITY: shown by default
    direct = _direct(row)
    with in_process(sweep_results=results, sweep=spec, apps=(App.SWEEP,), warm=False) as served:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(served.urls[App.SWEEP])
        figure = page.locator(".bk-Figure").first  # the heatmap: the page's one chart
        figure.wait_for(timeout=60_000)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.every((d) => d.is_idle)")
        x, y = point_with_tooltip(page, figure, row["scenario"])
        page.mouse.click(x, y)
        page.locator(".pl-sweep-opened").filter(has_text=row["scenario"]).wait_for()
        grid = page.locator(".pl-sweep-decisions .tabulator-row")
        grid.first.wait_for()
        cells = ('.tabulator-cell[tabulator-field="instrument"]',
                 '.tabulator-cell[tabulator-field="action"]',
                 '.tabulator-cell[tabulator-field="shares"]')  # fmt: skip
        shown = [tuple(r.locator(c).inner_text() for c in cells) for r in grid.all()]
        expected = [
            (str(i), str(a), f"{round(q):,}") for i, a, q in _decision_tuples(direct.decisions)
        ]
        assert [s[:3] for s in shown] == expected[: len(shown)] and len(shown) >= min(
            len(expected), 10
        )
        assert row["scenario"] in page.url  # the scenario opened is in the URL
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sweep_explorer.png"))
        assert [p for p in problems if "favicon" not in p] == []
        context.close()

"""The workbench in a real JupyterLab, driven in Chromium as a person would use it.

One JupyterLab server for the module, started the way a user starts it
(``portlab lab FOLDER --no-browser --port N``, see ``tests/_jupyterlab.py``), on a free port
with a random token. Each test opens a tutorial, runs all its cells with JupyterLab's own
"Run All Cells" command, then works the widget with the mouse:

* the policy tuner: the max-position slider is dragged to a new value; the decisions table in
  the page must become the decisions a direct ``Coordinator`` call makes at that value;
* the allocation editor: a bar is dragged past the position cap; it must turn red while the
  button is down and, on release, the kernel's ``editor.target_weights`` must hold the new
  weight and the decisions shown must be the engine's for it;
* every tutorial with a widget: it renders with no error output and no browser console error,
  and a screenshot of it is saved in ``tests/artifacts/`` (the README shows them).

The time from releasing the slider to the table updated in the page is written to
``tests/artifacts/browser_latency.json`` (measured over repeats by
``benchmarks/bench_browser.py``, not asserted here).
"""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest

pytest.importorskip("playwright")
pytest.importorskip("jupyterlab")

from _jupyterlab import ARTIFACTS, CHROMIUM, LabPage, LabServer

if not CHROMIUM.exists():
    pytest.skip("no Chromium at /usr/bin/chromium", allow_module_level=True)


import portlab
from portlab.datasets import example_batch, load_sample
from portlab.events import signals_to_frame
from portlab.ui import target_request

pytestmark = pytest.mark.browser

#: tutorials and the CSS selector of the widget each shows (its first output)
WIDGET_NOTEBOOKS = {
    "02_policy_tuning": ".widget-hbox .widget-slider",
    "03_sizing_what_if": ".widget-hbox .widget-slider",
    "04_conflict_resolution": ".widget-hbox .widget-dropdown",
    "05_allocation_editor": "svg rect.pa-bar",
    "06_optimization": ".widget-hbox .widget-dropdown",
    "07_attribution": ".widget-hbox .widget-dropdown",
    "09_sweeps": ".widget-hbox .widget-dropdown",
    # the Panel apps displayed in cells (Panel's own comms, not ipywidgets)
    "08_dashboards": ".pl-book-value",
}

#: the tutorials the interaction tests open (and screenshot after working the widget)
INTERACTIVE = (
    "02_policy_tuning",
    "03_sizing_what_if",
    "05_allocation_editor",
    "06_optimization",
    "09_sweeps",
)

# Rows of the table shown under the caption ``caption`` inside the first widget output.
READ_TABLE = """(caption) => {
  const heads = Array.from(document.querySelectorAll('.jp-OutputArea-output div'))
    .filter((d) => d.textContent.trim() === caption && d.children.length === 0);
  if (!heads.length) return null;
  let node = heads[0].nextElementSibling;
  while (node && node.tagName !== 'TABLE') node = node.nextElementSibling;
  if (!node) return [];
  const cols = Array.from(node.querySelectorAll('thead th')).map((t) => t.textContent.trim());
  return Array.from(node.querySelectorAll('tbody tr')).map((tr) => {
    const cells = Array.from(tr.querySelectorAll('td')).map((t) => t.textContent.trim());
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture
def open_notebook(lab, browser):
    """``open_notebook(name)``: a :class:`LabPage` with the tutorial open and all cells run;
    console errors are collected in ``page.console_errors``. The kernel is shut down after."""
    pages: list[LabPage] = []

    def _open(name: str) -> LabPage:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        lab_page = LabPage(page, lab, f"{name}.ipynb")
        lab_page.console_errors = errors  # type: ignore[attr-defined]
        pages.append(lab_page)
        lab_page.open()
        lab_page.run_all()
        assert lab_page.errors_shown() == [], f"{name}: an error in the notebook"
        return lab_page

    yield _open
    for lab_page in pages:
        try:
            lab_page.command("kernelmenu:shutdown")
        finally:
            lab_page.page.close()


def _shares(text: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", text))


def _decisions_in_page(lab_page: LabPage) -> list[tuple[str, str, float]]:
    rows = lab_page.page.evaluate(READ_TABLE, "Decisions") or []
    return [(r["Instrument"], r["Action"], _shares(r["Shares"])) for r in rows]


def _engine_decisions(max_position_size: float) -> list[tuple[str, str, float]]:
    batch = example_batch()
    coordinator = portlab.Coordinator(policy=portlab.Policy(max_position_size=max_position_size))
    result = coordinator.coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )
    d = result.decisions
    return list(
        zip(d["instrument_id"], d["action"], d["share_quantity"].astype(float), strict=True)
    )


def test_policy_tuner_slider_dragged_with_the_mouse_gives_the_engines_decisions(open_notebook):
    lab_page = open_notebook("02_policy_tuning")
    page = lab_page.page
    slider = page.locator(".widget-slider", has_text="Max position").first
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    assert readout.text_content() == "3.0%"  # the tutorial's last setting
    start = _decisions_in_page(lab_page)
    assert start == _engine_decisions(0.03)

    track = slider.locator(".noUi-target").bounding_box()
    handle = slider.locator(".noUi-handle").bounding_box()
    y = handle["y"] + handle["height"] / 2
    lo, hi = 0.0, 0.25  # the slider's range (PolicyModel's soft bounds)
    goal_x = track["x"] + track["width"] * (0.045 - lo) / (hi - lo)
    page.mouse.move(handle["x"] + handle["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(goal_x, y, steps=10)
    moved_at = time.perf_counter()
    page.mouse.up()
    released_at = time.perf_counter()
    # wait for the kernel's answer to reach the page
    deadline = released_at + 30
    while _decisions_in_page(lab_page) == start and time.perf_counter() < deadline:
        page.wait_for_timeout(10)
    updated_at = time.perf_counter()
    value = float(readout.text_content().rstrip("%")) / 100
    assert value != 0.03 and 0.02 <= value <= 0.07  # snapped to the slider's 0.5% steps
    assert abs(value / 0.005 - round(value / 0.005)) < 1e-9
    lab_page.wait_kernel_idle()
    shown = _decisions_in_page(lab_page)
    assert shown == _engine_decisions(value), f"at {value:.1%}"
    assert shown != start
    # the kernel's model holds the value the page shows
    assert lab_page.run_code("print(tuner.model.max_position_size)").strip() == repr(value)

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser_latency.json").write_text(
        json.dumps(
            {
                "policy_tuner_release_to_table_ms": round(1e3 * (updated_at - released_at), 1),
                "drag_ms": round(1e3 * (released_at - moved_at), 1),
            }
        ),
        encoding="utf-8",
    )
    screenshot_widget(lab_page, "02_policy_tuning")


METHODS_CAPTION = "Sizing methods side by side (the signal, and the whole batch)"


def _percent(text: str) -> float:
    return float(text.rstrip("%").replace(",", "")) / 100


def test_sizing_method_picked_in_the_page_sizes_as_the_engine_does(open_notebook):
    """The tutorial ends with "Compare sizing methods" ticked: the page shows every method's
    size; picking "Equal weight" in the list redraws the steps with that method's target,
    each number the engine's own for the tutorial's signal."""
    lab_page = open_notebook("03_sizing_what_if")
    page = lab_page.page
    compare = page.locator(".widget-checkbox", has_text="Compare sizing methods").first
    compare.scroll_into_view_if_needed()
    assert compare.locator("input").is_checked()

    batch, market = example_batch(), load_sample()
    frame = signals_to_frame(batch.signals)
    frame.loc[frame["signal_id"] == "sig-001", "success_probability"] = 0.62  # the tutorial's
    signal = frame[frame["signal_id"] == "sig-001"]

    def engine(method: str):
        run = portlab.Coordinator(sizing={"method": method})
        return run.coordinate(signal, batch.state, market, batch.rebalance_requests)

    shown = {r["Method"]: r for r in page.evaluate(READ_TABLE, METHODS_CAPTION)}
    for method in portlab.SizingMethod:
        d = engine(method).decisions
        size = float(d.loc[d["instrument_id"] == "AAPL", "position_size"].sum())
        assert _percent(shown[method.label]["Size (% NAV)"]) == pytest.approx(size, abs=5e-5)

    page.locator(".widget-dropdown", has_text="Sizing method").first.locator(
        "select"
    ).select_option(label="Equal weight")
    deadline = time.perf_counter() + 30

    def steps() -> dict[str, str]:
        rows = page.evaluate(READ_TABLE, "Sizing steps") or []
        return {r["Step"]: r["Size (% NAV)"] for r in rows}

    while "target: Equal weight" not in steps() and time.perf_counter() < deadline:
        page.wait_for_timeout(50)
    lab_page.wait_kernel_idle()
    row = engine("EQUAL_WEIGHT").waterfall.set_index("instrument_id").loc["AAPL"]
    got = steps()
    assert _percent(got["target: Equal weight"]) == pytest.approx(row["target_size"], abs=5e-5)
    assert _percent(got["final"]) == pytest.approx(row["final_size"], abs=5e-5)
    assert lab_page.run_code("print(whatif.model.method)").strip() == "EQUAL_WEIGHT"
    screenshot_widget(lab_page, "03_sizing_what_if")


ESTIMATORS_CAPTION = "Estimators side by side (max Sharpe; each under its own estimates)"


def _max_sharpe(market, state, mu, cov):
    """The explorer's default optimization, written here: max Sharpe, long only, 10% per
    stock, 30% per sector, turnover from the current holdings."""
    from portlab.analytics import optimize

    current = state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    caps = {s: 0.30 for s in market.sectors.unique()}
    constraints = optimize.Constraints(
        bounds=(0.0, 0.10), groups=[(market.sectors, caps)], current_weights=current
    )
    problem = optimize.MeanVarianceProblem(mu, cov, constraints).fit()
    return problem.solve(optimize.Objective.MAX_SHARPE)


#: a closed select's width less its longest option's text width, px (in the select's font)
ROOM_FOR_LONGEST_OPTION = """(select) => {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = getComputedStyle(select).font;
  const longest = Math.max(...[...select.options].map((o) => ctx.measureText(o.text).width));
  return select.clientWidth - longest;
}"""


def test_estimator_picked_in_the_page_optimizes_as_the_market_estimates(open_notebook):
    """The tutorial ends with CAPM returns and "Compare estimators" ticked: each row of the
    page's side-by-side table is the market's estimate optimized directly; picking
    "Exponentially weighted" in the Expected returns list redraws the chosen weights as the
    direct optimization of the market's EWMA returns."""
    lab_page = open_notebook("06_optimization")
    page = lab_page.page
    compare = page.locator(".widget-checkbox", has_text="Compare estimators").first
    compare.scroll_into_view_if_needed()
    assert compare.locator("input").is_checked()
    market, state = load_sample(), example_batch().state
    cov = market.covariance("ledoit_wolf", window=504)

    def direct(method: str, **options):
        return _max_sharpe(
            market, state, market.expected_returns(method, window=504, **options), cov
        )

    capm, ewma = direct("capm"), direct("ewma")
    rows = {(r["Estimator"], r["Method"]): r for r in page.evaluate(READ_TABLE, ESTIMATORS_CAPTION)}
    assert len(rows) == 13 and rows[("Returns", "CAPM")]["Chosen"] == "\u2713"
    for key, solved in ((("Returns", "CAPM"), capm), (("Returns", "Exponentially weighted"), ewma)):
        assert _percent(rows[key]["Expected return"]) == pytest.approx(
            solved.expected_return, abs=5e-5
        )
        assert _percent(rows[key]["Volatility"]) == pytest.approx(solved.volatility, abs=5e-5)
        assert float(rows[key]["Sharpe"]) == pytest.approx(solved.sharpe, abs=5e-3)
    moved = float((ewma.weights - capm.weights).abs().sum())
    assert _percent(rows[("Returns", "Exponentially weighted")]["Moved from chosen"]) == (
        pytest.approx(moved, abs=5e-4)
    )

    # every estimator's name fits its closed list, beside the arrow (was cut at 150 px)
    for name in ("Expected returns", "Risk model"):
        select = page.locator(".widget-dropdown", has_text=name).first.locator("select")
        assert select.evaluate(ROOM_FOR_LONGEST_OPTION) >= 20, name
    page.locator(".widget-dropdown", has_text="Expected returns").first.locator(
        "select"
    ).select_option(label="Exponentially weighted")
    deadline = time.perf_counter() + 30

    def chosen() -> set[str]:
        table = page.evaluate(READ_TABLE, ESTIMATORS_CAPTION) or []
        return {r["Method"] for r in table if r["Chosen"]}

    while "Exponentially weighted" not in chosen() and time.perf_counter() < deadline:
        page.wait_for_timeout(50)
    lab_page.wait_kernel_idle()
    weights = {
        r["Instrument"]: r["Chosen"] for r in page.evaluate(READ_TABLE, "Weights (% of NAV)")
    }
    for iid, weight in ewma.weights.items():
        assert _percent(weights.get(iid, "0%")) == pytest.approx(weight, abs=5e-5), iid
    assert lab_page.run_code("print(explorer.model.return_method)").strip() == "ewma"
    screenshot_widget(lab_page, "06_optimization")


def test_allocation_editor_bar_dragged_past_the_cap_turns_red_and_reaches_python(open_notebook):
    lab_page = open_notebook("05_allocation_editor")
    page = lab_page.page
    state = json.loads(
        lab_page.run_code(
            "import json; print(json.dumps({'weights': editor.target_weights, "
            "'current': {k: float(v) for k, v in editor.current.items()}, "
            "'cap': editor.limits['position']['limit']}))"
        )
    )
    cap = state["cap"]
    # an instrument at zero, neither held nor given a target by the tutorial
    iid = next(k for k, w in state["weights"].items() if w == 0 and state["current"][k] == 0)
    row = page.locator(f'g.pa-row[data-id="{iid}"] rect.pa-hit')
    row.scroll_into_view_if_needed()
    box = row.bounding_box()
    cap_x = page.locator("line.pa-cap").first.bounding_box()["x"]
    zero_x = page.locator("line.pa-zero").bounding_box()["x"]
    y = box["y"] + box["height"] / 2

    def bar_status() -> str:
        return page.locator(f'rect.pa-bar[data-id="{iid}"]').get_attribute("data-status")

    page.mouse.move(zero_x + 0.3 * (cap_x - zero_x), y)
    page.mouse.down()
    page.wait_for_timeout(50)
    assert bar_status() == "within"
    page.mouse.move(cap_x + 40, y, steps=12)
    page.wait_for_timeout(50)
    assert bar_status() == "over-hard"  # red while the button is still down
    page.mouse.up()

    # on release the weight goes to the kernel, which recomputes the decisions
    page.wait_for_function(
        """(iid) => Array.from(document.querySelectorAll('table.pa-decisions tbody tr'))
            .some((tr) => tr.textContent.includes(iid))""",
        arg=iid,
        timeout=30_000,
    )
    received = json.loads(
        lab_page.run_code("import json; print(json.dumps(editor.target_weights))")
    )
    assert received[iid] > cap
    assert {k: v for k, v in received.items() if k != iid} == {
        k: v for k, v in state["weights"].items() if k != iid
    }
    # the decisions shown are the engine's for the weights Python received
    batch, market = example_batch(), load_sample()
    current = pd.Series(state["current"], dtype=float)
    request = target_request(received, current, timestamp=market.dates[-1])
    direct = portlab.Coordinator().coordinate(None, batch.state, market, [request]).decisions
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('table.pa-decisions tbody tr'))
            .map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent))"""
    )
    shown = {r[0].strip(): r for r in rows if len(r) >= 3}  # (a reasoning row follows each)
    for iid_, shares in zip(direct["instrument_id"], direct["share_quantity"], strict=True):
        assert _shares(shown[iid_][2]) == float(shares), iid_
    assert len(shown) == len(direct)
    screenshot_widget(lab_page, "05_allocation_editor")


def screenshot_widget(lab_page: LabPage, name: str) -> None:
    """Check the tutorial's widget output (no traceback, no refused setting, every chart
    drawn, no console error) and save its screenshot as ``jupyterlab_<name>.png``."""
    page = lab_page.page
    widget = page.locator(WIDGET_NOTEBOOKS[name]).first
    widget.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(1500)  # let the charts finish drawing
    output = page.locator(".jp-Cell").filter(has=page.locator(WIDGET_NOTEBOOKS[name])).first
    output = output.locator(".jp-OutputArea").first
    text = output.inner_text()
    assert "Traceback" not in text and "Not applied" not in text
    assert "chart not drawn" not in text
    # as a person sees it: file browser closed, the whole widget in one tall window
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    height = output.bounding_box()["height"]
    page.set_viewport_size({"width": 1400, "height": int(min(height + 300, 6000))})
    output.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    output.screenshot(path=str(ARTIFACTS / f"jupyterlab_{name}.png"))
    errors = [e for e in lab_page.console_errors if "favicon" not in e]  # type: ignore[attr-defined]
    assert errors == []


@pytest.mark.parametrize("name", [n for n in WIDGET_NOTEBOOKS if n not in INTERACTIVE])
def test_each_tutorial_widget_renders_in_jupyterlab(open_notebook, name):
    screenshot_widget(open_notebook(name), name)


def test_launcher_shows_the_apps_and_opens_the_dashboard_inside_jupyterlab(lab, browser):
    """jupyter-server-proxy's launcher entries (``portlab.apps.proxy``): the two cards are in
    JupyterLab's launcher; a click starts ``portlab serve --app dashboard`` behind JupyterLab
    and the dashboard draws the book inside a JupyterLab tab."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{lab.base}/lab/workspaces/launcher?reset&token={lab.token}")
        card = page.locator(".jp-LauncherCard", has_text="portlab PM dashboard")
        card.wait_for(timeout=90_000)
        assert page.locator(".jp-LauncherCard", has_text="portlab coordination console").count()
        card.click()
        frame = page.frame_locator("iframe").first
        frame.locator(".pl-book-value").first.wait_for(timeout=120_000)
        assert "$" in frame.locator(".pl-book-value").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab_launcher_dashboard.png"))
    finally:
        page.close()


def test_sweep_explorer_cell_clicked_opens_the_engines_decisions(open_notebook):
    """Tutorial 9's explorer: a click on a heatmap cell (found by pointing at it until its
    tooltip names the scenario) opens that scenario; the decisions shown must be those of the
    engine run directly on its settings."""
    from _report_pages import point_with_tooltip
    from portlab import sweep

    # the tutorial's grid; its scenario with an 8% cap, a 25% Kelly cap and HIGHEST_PRIORITY
    # (shown by default): its id is a digest of that content
    cap, kelly = 0.08, 0.25
    grid = {"policy.max_position_size": [0.03, 0.05, 0.08],
            "sizing.max_kelly_fraction": [0.05, 0.25],
            "resolution": ["HIGHEST_PRIORITY", "WEIGHTED_AVERAGE"]}  # fmt: skip
    scenarios = sweep.expand("coordination", sweep.load_inputs(), grid=grid)
    target = next(
        s.id
        for s in scenarios
        if s.parameters["policy.max_position_size"] == cap
        and s.parameters["sizing.max_kelly_fraction"] == kelly
        and s.parameters["resolution"] == "HIGHEST_PRIORITY"
    )
    batch = example_batch()
    coordinator = portlab.Coordinator(
        policy=portlab.Policy(max_position_size=cap), sizing={"max_kelly_fraction": kelly}
    )
    direct = coordinator.coordinate(batch.signals, batch.state, load_sample(),
                                    batch.rebalance_requests).decisions  # fmt: skip

    lab_page = open_notebook("09_sweeps")
    page = lab_page.page
    figure = page.locator(".jp-OutputArea-output .bk-Figure").last
    figure.wait_for(timeout=60_000)
    page.mouse.click(*point_with_tooltip(page, figure, target))
    rows: list[dict] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not rows:
        rows = page.evaluate(READ_TABLE, f"Decisions ({len(direct)})") or []
        page.wait_for_timeout(200)
    shown = [(r["Instrument"], r["Action"], _shares(r["Shares"])) for r in rows]
    expected = list(zip(direct["instrument_id"], direct["action"],
                        direct["share_quantity"].astype(float), strict=True))  # fmt: skip
    assert shown == expected
    screenshot_widget(lab_page, "09_sweeps")

"""Tests of portlab.apps.charts: charts shipped to the page as Bokeh JSON, rendered once.

The JSON a page receives is read back into a Bokeh document here and its numbers compared
with values computed by hand (volatility contributions from the covariance matrix); the cache
must render a chart once per result object and never hand one result's chart to another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from portlab import plots
from portlab.analytics import risk
from portlab.apps.charts import ChartItem, chart_item, render_item
from portlab.apps.dashboard import PMDashboard
from portlab.apps.design import bokeh_theme
from portlab.datasets import example_batch, load_sample
from portlab.ui import OutcomeCache
from portlab.ui.book import Section

NAMES = list("ABC")


@pytest.fixture(scope="module")
def contributions():
    rng = np.random.default_rng(7)
    cov = pd.DataFrame(np.cov(rng.normal(size=(3, 200))), index=NAMES, columns=NAMES)
    weights = pd.Series([0.5, 0.3, 0.2], index=NAMES)
    return weights, cov, risk.volatility_contributions(weights, cov)


def _sources(item):
    doc = Document.from_json(item["doc"])
    return doc, [m for m in doc.models if isinstance(m, ColumnDataSource)]


def test_the_json_holds_the_charts_numbers(contributions):
    weights, cov, table = contributions
    item = render_item(plots.risk_contributions(table))
    doc, sources = _sources(item)
    (source,) = [s for s in sources if "component" in s.data]
    w, s = weights.to_numpy(), cov.to_numpy()
    vol = float(np.sqrt(w @ s @ w))
    by_hand = dict(zip(NAMES, w * (s @ w) / vol, strict=True))
    shown = dict(zip(source.data["instrument"], source.data["component"], strict=True))
    assert shown == pytest.approx(by_hand, rel=1e-12)
    (root,) = doc.roots
    assert str(root.id) == item["root_id"]
    assert root.output_backend == "canvas"  # not WebGL: drawn in every browser
    assert f"({100 * vol:.1f}% a year)" in root.title.text


def test_rendered_once_per_result_object(contributions):
    table = contributions[2]
    cache, calls = OutcomeCache(maxsize=8), []

    def make():
        calls.append(1)
        return plots.risk_contributions(table)

    first = chart_item(make, key=("risk", "default"), inputs=(table,), cache=cache)
    second = chart_item(make, key=("risk", "default"), inputs=(table,), cache=cache)
    assert isinstance(first, ChartItem) and len(calls) == 1
    assert second.item is first.item and second.chart is first.chart
    # an equal but distinct result object is another result: drawn again
    chart_item(make, key=("risk", "default"), inputs=(table.copy(),), cache=cache)
    # another theme is another picture
    dark = chart_item(
        make, key=("risk", "dark"), inputs=(table,), cache=cache, theme=bokeh_theme("dark")
    )
    assert len(calls) == 3 and dark.item is not first.item
    chart_item(make, key=("risk", "default"), inputs=(table,), cache=None)
    assert len(calls) == 4


def test_height_is_the_charts_own_unless_given(contributions):
    table = contributions[2]
    pane = chart_item(lambda: plots.risk_contributions(table), key="r", inputs=(), cache=None)
    (root,) = Document.from_json(pane.item["doc"]).roots
    assert pane.height == root.height + 10
    assert pane.sizing_mode == "stretch_width"
    given = chart_item(
        lambda: plots.risk_contributions(table), key="r", inputs=(), cache=None, height=123
    )
    assert given.height == 123


def test_a_chart_that_cannot_be_drawn_says_why():
    def broken():
        raise ValueError("no returns in the window")

    pane = chart_item(broken, key="x", inputs=(), cache=OutcomeCache(maxsize=2))
    assert isinstance(pane, pn.pane.Alert)
    assert "Chart not drawn: no returns in the window" in pane.object


def test_dark_theme_is_in_the_json(contributions):
    table = contributions[2]
    light = render_item(plots.risk_contributions(table), bokeh_theme("default"))
    dark = render_item(plots.risk_contributions(table), bokeh_theme("dark"))

    def background(item):
        (root,) = Document.from_json(item["doc"]).roots
        return root.background_fill_color

    assert background(light) != background(dark)


def test_sessions_of_one_server_share_the_rendered_charts():
    market, state = load_sample(), example_batch().state
    results, charts = OutcomeCache(), OutcomeCache(maxsize=64)
    first = PMDashboard(market, state, cache=results, charts=charts, static_charts=True)
    second = PMDashboard(market, state, coordinator=first.model.coordinator, cache=results,
                         charts=charts, static_charts=True)  # fmt: skip
    risk_tab = list(Section).index(Section.RISK)
    first.tabs.active = risk_tab
    misses = charts.misses
    second.tabs.active = risk_tab
    assert charts.misses == misses  # nothing rendered again
    mine, theirs = (d.sections[Section.RISK].select(ChartItem) for d in (first, second))
    assert len(mine) == len(theirs) == 2
    assert [a.item is b.item for a, b in zip(mine, theirs, strict=True)] == [True, True]
    assert mine[0] is not theirs[0]  # each session its own component


def test_a_warmed_server_has_the_default_view_ready():
    from portlab.apps import routes

    page = routes(warm=True)["dashboard"]()
    dash = page.dashboard
    dash.static_charts = True  # as in a served session (this test has none)
    charts_missed, results_missed = dash.charts.misses, dash.model.cache.misses
    dash.draw_all()
    assert dash.charts.misses == charts_missed and dash.charts.hits >= 10
    assert dash.model.cache.hits >= 1 and dash.model.cache.misses == results_missed


def test_a_notebook_gets_holoviews_panes_of_the_same_charts():
    market, state = load_sample(), example_batch().state
    shown = PMDashboard(market, state)  # not served: static_charts defaults to False
    assert shown.static_charts is False
    shown.tabs.active = list(Section).index(Section.RISK)
    panes = shown.sections[Section.RISK].select(pn.pane.HoloViews)
    assert len(panes) == 2 and not shown.sections[Section.RISK].select(ChartItem)
    contributions = shown.model.result.risk_contributions
    bars = panes[0].object.dframe().set_index("instrument")["component"]
    assert bars.to_dict() == pytest.approx(contributions["component"].loc[bars.index].to_dict())

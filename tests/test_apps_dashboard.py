"""Tests of portlab.apps.dashboard, the PM dashboard, built in Python (no browser).

The headline figures shown are compared with values the test computes itself (the book's
value by hand from prices and quantities, VaR by a direct portlab.analytics call); moving the
date picker must move the shown value to the hand value for that date; every tab must build;
the downloads must hold the positions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import importlib.util
import io
import re

import pandas as pd
import panel as pn
import pytest

from portlab.analytics import risk
from portlab.apps.dashboard import Css, PMDashboard, pm_dashboard
from portlab.datasets import example_batch, load_sample
from portlab.ui.book import Section


@pytest.fixture(scope="module")
def market():
    return load_sample()


@pytest.fixture(scope="module")
def state():
    return example_batch().state


@pytest.fixture
def page(market, state):
    return pm_dashboard(market, state)


def select(page, kind):
    """The objects of type ``kind`` in the page's header, sidebar and main areas
    (``Template.select`` trips over the template's BrowserInfo in Panel 1.9)."""
    return [
        x for area in (page.header, page.sidebar, page.main) for o in area for x in o.select(kind)
    ]


def shown(page, css):
    """The text of the one element of the page with CSS class ``css`` (a span in a pane)."""
    found = [
        m.group(1)
        for p in select(page, pn.pane.HTML)
        for m in re.finditer(f'<span class="{css}">(.*?)</span>', str(p.object))
    ]
    assert len(found) == 1, css
    return html.unescape(found[0])


def hand_value(market, state, date):
    prices = market.prices.loc[:date].iloc[-1]
    return state.cash + sum(p.quantity * prices[i] for i, p in state.positions.items())


def dollars(x):
    return f"${x:,.0f}"


def test_page_shows_the_book_value_largest_position_and_var(page, market, state):
    assert isinstance(page, pn.template.FastListTemplate)
    date = market.dates[-1]
    assert shown(page, Css.BOOK_VALUE) == dollars(hand_value(market, state, date))
    assert shown(page, Css.BOOK_VALUE) == "$1,000,004"
    assert shown(page, Css.LARGEST_POSITION) == "MSFT"
    model = page.dashboard.model
    weights = state.weights(market.last_prices)
    var = risk.value_at_risk(weights, market.returns.iloc[-252:], confidence=0.99)
    amount = var * hand_value(market, state, date)
    assert shown(page, Css.VAR) == f"{100 * var:.2f}% ({dollars(amount)})"
    assert model.result.risk["var"] == pytest.approx(var)


def test_date_picker_moves_the_whole_dashboard(page, market, state):
    dash = page.dashboard
    picker = [w for w in select(page, pn.widgets.DatePicker) if Css.ASOF in w.css_classes]
    assert picker == [dash.as_of]
    assert picker[0].start == market.dates[0].date() and picker[0].end == market.dates[-1].date()
    picker[0].value = dt.date(2022, 6, 15)
    assert dash.model.result.as_of == pd.Timestamp("2022-06-15")
    value = hand_value(market, state, "2022-06-15")
    assert shown(page, Css.BOOK_VALUE) == dollars(value)
    assert dash.positions.value["price"]["MSFT"] == market.prices.loc["2022-06-15", "MSFT"]
    # a tab opened later shows the new date too
    dash.tabs.active = list(Section).index(Section.PERFORMANCE)
    assert dash.model.result.returns.index[-1] == pd.Timestamp("2022-06-15")
    # and the model's date drives the picker back
    dash.model.as_of = pd.Timestamp("2022-03-01")
    assert picker[0].value == dt.date(2022, 3, 1)


def test_confidence_and_method_change_the_var(market, state):
    dash = PMDashboard(market, state)
    dash.confidence.value = 0.95
    dash.var_method.value = risk.VaRMethod.PARAMETRIC
    weights = state.weights(market.last_prices)
    var = risk.value_at_risk(
        weights, market.returns.iloc[-252:], confidence=0.95, method=risk.VaRMethod.PARAMETRIC
    )
    assert shown(dash.view, Css.VAR).startswith(f"{100 * var:.2f}% (")


def test_every_tab_builds(page):
    dash = page.dashboard
    for i, section in enumerate(Section):
        dash.tabs.active = i
        objects = dash.sections[section].objects
        assert objects, section
        alerts = [o for o in dash.sections[section].select(pn.pane.Alert)]
        assert not any("not drawn" in a.object for a in alerts), section
    perf = dash.sections[Section.PERFORMANCE]
    assert any("held constant" in a.object for a in perf.select(pn.pane.Alert))
    assert len(perf.select(pn.pane.HoloViews)) == 4  # in a notebook: HoloViews panes


def test_tax_lots_show_whole_shares_and_prices_in_dollars(page, state):
    dash = page.dashboard
    dash.tabs.active = list(Section).index(Section.TAX)
    (lots,) = dash.sections[Section.TAX].select(pn.widgets.Tabulator)
    assert dict(zip(lots.value["instrument"], lots.value["quantity"], strict=True)) == {
        i: p.quantity for i, p in state.positions.items()
    }
    formats = {c: lots.formatters[c].format for c in ("quantity", "cost_per_share", "price")}
    assert formats == {"quantity": "0,0", "cost_per_share": "$0,0.00", "price": "$0,0.00"}


def test_harvest_table_shows_conflict_columns_only_when_a_candidate_has_one(page):
    from portlab.apps.sections import BUILDERS

    dash = page.dashboard
    r = dash.model.result
    assert len(r.harvest) and not r.harvest["wash_sale_risk"].any()  # the sample: MSFT, no buy

    def harvest_headers(outcome):
        panes = BUILDERS[Section.TAX](dash, outcome)
        tables = [p.object for p in panes if isinstance(p, pn.pane.DataFrame)]
        (harvest,) = [t for t in tables if "Loss fraction" in t.columns]
        return list(harvest.columns)

    shown = harvest_headers(r)
    assert "Wash sale risk" in shown and "MSFT" not in shown
    assert not {"Replacement quantity", "Conflict source", "Conflict date", "Conflict"} & set(shown)
    conflicted = r.harvest.assign(
        wash_sale_risk=True,
        replacement_quantity=50.0,
        conflict_source="planned",
        conflict_date=r.as_of + pd.Timedelta(days=3),
        conflict="buy 50",
    )
    shown = harvest_headers(dataclasses.replace(r, harvest=conflicted))
    assert {"Replacement quantity", "Conflict source", "Conflict date", "Conflict"} <= set(shown)


def test_every_grid_aligns_its_numbers_right_and_shows_booleans_as_yes_or_no(page):
    from bokeh.models.widgets.tables import NumberFormatter

    dash = page.dashboard
    grids = [dash.positions]
    for i, section in enumerate(Section):
        dash.tabs.active = i
        grids += dash.sections[section].select(pn.widgets.Tabulator)
    assert len(grids) >= 3  # positions, the trade list, the open lots
    for grid in grids:
        frame = grid.value
        assert not [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c].dtype)]
        floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
        assert set(floats) <= set(grid.formatters), floats  # none left in Panel's 0,0.0[00000]
        for column, formatter in grid.formatters.items():
            if isinstance(formatter, NumberFormatter):
                assert formatter.text_align == "right", column
    (trades,) = dash.sections[Section.REBALANCING].select(pn.widgets.Tabulator)
    in_band = dash.model.result.trades["in_band"]
    assert trades.value["in_band"].tolist() == ["yes" if b else "no" for b in in_band]
    assert "in_band" not in trades.formatters  # it is a yes/no, not a percentage


def test_positions_table_and_downloads(page, market, state):
    dash = page.dashboard
    table = dash.positions
    assert Css.POSITIONS in table.css_classes and table.header_filters
    assert set(table.value.index) == set(state.positions)
    csv = pd.read_csv(io.StringIO(dash._csv.callback().getvalue()), index_col=0)
    assert csv["quantity"].to_dict() == {i: p.quantity for i, p in state.positions.items()}
    assert dash._csv.filename == f"positions-{market.dates[-1].date()}.csv"
    if importlib.util.find_spec("xlsxwriter") is None:
        assert dash._excel.disabled
    else:
        assert dash._excel.callback().getvalue()[:2] == b"PK"  # a zip: an .xlsx workbook


def test_no_location_no_sync(market, state):
    assert pn.state.location is None
    PMDashboard(market, state)  # builds outside a server without syncing the URL


def test_tearsheet_charts_hold_the_model_tables(page):
    dash = page.dashboard
    dash.tabs.active = list(Section).index(Section.PERFORMANCE)
    r = dash.model.result
    charts = [p.object for p in dash.sections[Section.PERFORMANCE].select(pn.pane.HoloViews)]
    heat = next(c for c in charts if c.group == "HeatMap")
    cells = heat.dframe().set_index(["year", "month"])["return"]
    assert cells[("2022", "Dec")] == r.monthly_returns.loc[2022, 12]
    assert len(cells) == r.monthly_returns[list(range(1, 13))].notna().sum().sum()
    layout = next(c for c in charts if c.group == "Layout" and len(c) == 3)
    sharpe = layout.Curve.I.dframe()["sharpe"].to_numpy()
    assert sharpe == pytest.approx(r.rolling["sharpe"].dropna().to_numpy())


def test_settings_changed_from_code_show_in_the_controls(market, state):
    dash = PMDashboard(market, state)
    dash.model.set(
        confidence=0.95, var_method="parametric", window=126, attribution_period="month to date"
    )
    assert dash.confidence.value == 0.95 and dash.var_method.value == "parametric"
    assert dash.window.value == 126 and dash.period.value == "month to date"
    dash.model.set(confidence=0.9, window=300)  # values the controls did not offer
    assert dash.confidence.value == 0.9 and dash.confidence.options["90.0%"] == 0.9
    assert dash.window.value == 300 and dash.window.options["300 days"] == 300
    day = market.dates[-40]
    dash.model.set(as_of=day)
    assert dash.as_of.value == day.date()


def test_the_page_walks_the_document_models_once_when_served(page, monkeypatch):
    """Bokeh re-indexes a document's models after each root added unless frozen; the page has
    eleven roots and adds them under one freeze (apps.design.Page.server_doc)."""
    from bokeh.document import Document
    from bokeh.document.models import DocumentModelManager

    walks = []
    recompute = DocumentModelManager.recompute
    monkeypatch.setattr(
        DocumentModelManager, "recompute", lambda self: walks.append(1) or recompute(self)
    )
    doc = Document()
    page.server_doc(doc)
    assert len(doc.roots) >= 10 and len(walks) == 1
    # every model of the page is indexed: found by its id
    assert all(doc.get_model_by_id(m.id) is m for r in doc.roots for m in r.references())

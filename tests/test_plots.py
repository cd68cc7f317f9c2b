"""Tests of portlab.plots: each chart built from real results on the bundled sample.

For every chart: the data inside the HoloViews element equal the numbers of the result it was
built from (computed independently here: the policy measures from their definitions in
``_builders``, wealth and drawdowns with numpy, orders and sums from the result's own tables),
the title, axis labels and hover fields are set, the colours follow the palette (a breach is
red) and it renders to a bokeh model.
"""

from __future__ import annotations

import subprocess
import sys

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
from bokeh.core.property.vectorization import Field, Value
from bokeh.models import GridPlot, HoverTool, Label, Legend, Span, Text, Transform

import portlab
from _builders import apply_decisions, universe
from portlab import plots
from portlab.analytics.attribution import EFFECTS, Linking, brinson
from portlab.analytics.optimize import (
    HierarchicalRiskParity,
    Objective,
    efficient_frontier,
    mean_variance,
)
from portlab.analytics.risk import portfolio_returns, volatility_contributions
from portlab.datasets import example_batch, load_sample
from portlab.exceptions import ValidationError
from portlab.plots import LimitStatus, Palette

# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market():
    return load_sample()


@pytest.fixture(scope="module")
def batch():
    return example_batch()


@pytest.fixture(scope="module")
def coordinator():
    return portlab.Coordinator()


@pytest.fixture(scope="module")
def result(coordinator, batch, market):
    return coordinator.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)


@pytest.fixture(scope="module")
def tight(batch, market):
    """A policy that leaves little room: candidates dropped by the minimum size and by the
    leverage limit (NO_CAPACITY)."""
    c = portlab.Coordinator(
        policy={"max_portfolio_volatility": 0.06, "max_sector_exposure": 0.1, "max_leverage": 0.3}
    )
    return c.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)


@pytest.fixture(scope="module")
def attribution(batch, market):
    """Brinson-Fachler of the example book (static weights) against an equal-weight
    benchmark of the sample over its last year, by sector."""
    returns = market.returns.iloc[-252:]
    held = batch.state.weights(market.last_prices).reindex(market.instruments, fill_value=0.0)
    bench = pd.Series(1.0 / len(market.instruments), index=market.instruments)
    return brinson(held, returns, bench, None, market)


# -- helpers --------------------------------------------------------------------------------


def _figures(model):
    """The bokeh figures of a rendered chart (one, or each of a grid's)."""
    if isinstance(model, GridPlot):
        return [child[0] for child in model.children]
    return [model]


def _tooltip_labels(fig) -> set[str]:
    return {label for t in fig.tools if isinstance(t, HoverTool) for label, _ in t.tooltips}


def _legend_labels(fig) -> list[str]:
    """The legend's entries (a field label shows one entry per value of its column)."""
    labels: list[str] = []
    for legend in fig.legend:
        for item in legend.items:
            label = item.label
            if isinstance(label, Value | str):
                labels.append(label.value if isinstance(label, Value) else label)
            else:
                column = item.renderers[0].data_source.data[label.field]
                labels.extend(dict.fromkeys(column))
    return labels


def _opt(obj, name):
    return obj.opts.get().kwargs.get(name)


def _sources(fig):
    return [r.data_source.data for r in fig.renderers if hasattr(r, "data_source")]


def _colors(fig) -> set[str]:
    """Every fill colour of the figure's glyphs: fixed ones and those of colour columns."""
    out: set[str] = set()
    for r in fig.renderers:
        glyph = getattr(r, "glyph", None)
        fill = getattr(glyph, "fill_color", None)
        if isinstance(fill, str):
            out.add(fill)
        elif isinstance(fill, Field) and not isinstance(fill.transform, Transform):
            out.update(r.data_source.data[fill.field])  # colours given as a column
    return out


# -- import cost ----------------------------------------------------------------------------


def test_import_portlab_does_not_import_holoviews():
    code = (
        "import sys, portlab; portlab.Coordinator; portlab.analytics; "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'holoviews', 'hvplot', 'bokeh', 'panel', 'param', 'ipywidgets'}); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_extension_loads_the_bokeh_backend():
    plots.extension(inline=True)
    assert hv.Store.current_backend == "bokeh"
    assert "bokeh" in hv.Store.renderers


# -- palette --------------------------------------------------------------------------------


def test_palette_colours_are_distinct_hex():
    values = [str(c) for c in Palette]
    assert len(set(values)) == len(values)
    assert all(len(v) == 7 and v.startswith("#") and int(v[1:], 16) >= 0 for v in values)


@pytest.mark.parametrize(
    ("value", "hard", "status"),
    [
        (0.04, True, LimitStatus.WITHIN),
        (0.0449, True, LimitStatus.WITHIN),
        (0.045, True, LimitStatus.NEAR),  # exactly 90% of the limit
        (0.05, True, LimitStatus.NEAR),  # at the limit: near, not over
        (0.0501, True, LimitStatus.OVER_HARD),
        (0.0501, False, LimitStatus.OVER_SOFT),
    ],
)
def test_limit_status(value, hard, status):
    assert plots.limit_status(value, 0.05, hard=hard) is status


def test_status_colours():
    assert LimitStatus.WITHIN.color == Palette.NEUTRAL
    assert LimitStatus.NEAR.color == Palette.AMBER
    assert LimitStatus.OVER_SOFT.color == Palette.AMBER
    assert LimitStatus.OVER_HARD.color == Palette.RED
    assert LimitStatus.OVER_SOFT.icon and not LimitStatus.NEAR.icon
    assert plots.side_color("BUY") == Palette.BUY and plots.side_color("SELL") == Palette.SELL


# -- exposures ------------------------------------------------------------------------------


def test_exposure_table_equals_the_measures_from_their_definitions(
    batch, market, coordinator, result
):
    table = plots.exposure_table(batch.state, market, coordinator, result)
    u = universe(market)
    before, after = apply_decisions(u, batch.state, result.decisions, 0.7)
    labels = market.sectors.reindex(u.names).astype(str).to_numpy()
    sectors = np.unique(labels)
    for when, m in (("before", before), ("after", after)):
        rows = table[table["when"] == when].set_index(["measure", "item"])["value"]
        pos = rows.loc["position"]
        expected = pd.Series(m.position, index=u.names)
        expected = expected[expected != 0]
        assert set(pos.index) == set(expected.index)
        np.testing.assert_allclose(pos[expected.index], expected, rtol=0, atol=1e-12)
        sec = rows.loc["sector"]
        held = pd.Series(m.sector, index=sectors)
        np.testing.assert_allclose(sec[held[held > 0].index], held[held > 0], rtol=0, atol=1e-12)
        assert rows.loc[("leverage", "portfolio")] == pytest.approx(m.leverage, abs=1e-12)
        assert rows.loc[("volatility", "portfolio")] == pytest.approx(m.volatility, abs=1e-12)
    # the limits and statuses
    rules = coordinator.policy.rules()
    for measure in plots.Measure:
        part = table[table["measure"] == measure.value]
        assert (part["limit"] == rules[measure.value].limit).all()
        for r in part.itertuples():
            assert r.status == plots.limit_status(r.value, r.limit, hard=r.hard).value
            assert r.color == str(LimitStatus(r.status).color)
    # the example's MSFT starts above the hard 5% limit: red; the batch sells it to ~4.5%
    msft = table[(table["measure"] == "position") & (table["item"] == "MSFT")].set_index("when")
    assert msft.at["before", "color"] == Palette.RED
    assert msft.at["after", "value"] < 0.05
    assert msft.at["after", "color"] == Palette.AMBER  # at or above 90% of the limit
    # a sector bar names the positions that fill it
    tech = table[(table["item"] == "Information Technology") & (table["when"] == "after")]
    assert tech["members"].iloc[0].startswith("MSFT 4.5%, AAPL 4.3%, AMD 3.5%")


def test_exposures_chart(batch, market, coordinator, result):
    layout = plots.exposures(batch.state, market, coordinator, result)
    table = plots.exposure_table(batch.state, market, coordinator, result)
    assert len(layout) == 4
    for chart, measure in zip(layout, plots.Measure, strict=True):
        bars = chart.Bars.I
        data = bars.dframe()
        expected = table[table["measure"] == measure.value]
        merged = data.merge(expected, on=["item", "when"], suffixes=("", "_t"))
        assert len(merged) == len(expected) == len(data)
        np.testing.assert_array_equal(merged["value"], merged["value_t"])
        assert (merged["color"] == merged["color_t"]).all()
        assert chart.HLine.I.data == coordinator.policy.rules()[measure.value].limit
        title = _opt(chart, "title")
        assert title.split("\n")[1].startswith("hard limit ")
        assert _opt(bars, "ylabel") and _opt(bars, "invert_axes") is True
        assert _opt(chart, "framewise") is True  # an update in place rescales the axes
    assert _opt(layout[0], "title") == "Position sizes\nhard limit 5.0%"
    lev = table[(table["measure"] == "leverage")].set_index("when")["value"]
    assert _opt(layout[2], "title") == (
        f"Leverage {lev['before']:.2f}\u00d7 \u2192 {lev['after']:.2f}\u00d7\nhard limit 2\u00d7"
    )
    model = hv.render(layout)
    figs = _figures(model)
    assert len(figs) == 4
    position = figs[0]
    assert position.title.text.startswith("Position sizes")
    assert position.xaxis[0].axis_label == "|Weight| (% of NAV)"  # horizontal bars
    # the largest position after the batch at the top (bokeh lists factors bottom up),
    # "before" above "after"; the group names written horizontally
    after = table[(table["measure"] == "position") & (table["when"] == "after")]
    tops = list(dict.fromkeys(f[0] for f in position.y_range.factors))
    assert tops[-1] == after.loc[after["value"].idxmax(), "item"]
    assert [f[1] for f in position.y_range.factors[-2:]] == ["after", "before"]
    assert position.yaxis[0].group_label_orientation == "horizontal"
    labels = {(a.text, a.x) for f in figs for a in f.center if isinstance(a, Label)}
    assert {("limit 5.0%", 0.05), ("limit 25.0%", 0.25), ("limit 2\u00d7", 2.0)} <= labels
    # the value axis leaves room for the limit's label right of the line
    assert position.x_range.end >= 1.3 * 0.05
    assert {"Value", "Limit", "Of limit", "Status"} <= _tooltip_labels(position)
    assert "Positions" in _tooltip_labels(figs[1])  # sectors name their positions
    src = next(s for s in _sources(position) if "color" in s)
    cells = dict(zip(zip(src["item"], src["when"], strict=True), src["color"], strict=True))
    # drawn red, pale before the batch: the 0.45 alpha baked into the colour (#rrggbbaa)
    assert cells[("MSFT", "before")] == f"{Palette.RED}{round(0.45 * 255):02x}"
    assert all(c.endswith("ff") for (_, when), c in cells.items() if when == "after")
    spans = [r for r in position.renderers if isinstance(r, Span)]
    assert [s.location for s in spans] == [0.05]
    assert spans[0].line_color == Palette.RED
    assert not position.legend or not _legend_labels(position)  # one series: no legend


def test_exposures_soft_limit_is_amber_and_without_result(batch, market):
    policy = portlab.Policy(max_position_size={"limit": 0.05, "hard": False})
    table = plots.exposure_table(batch.state, market, policy)
    assert set(table["when"]) == {"before"}
    msft = table[(table["measure"] == "position") & (table["item"] == "MSFT")]
    assert msft["status"].iloc[0] == LimitStatus.OVER_SOFT
    assert msft["color"].iloc[0] == Palette.AMBER
    layout = plots.exposures(batch.state, market, policy, measures=[plots.Measure.POSITION])
    assert _opt(layout[0], "title") == "Position sizes\nsoft limit 5.0%"
    assert list(layout[0].Bars.I.kdims) == ["item"]  # no batch: one bar per position
    fig = _figures(hv.render(layout))[0]
    span = next(r for r in fig.renderers if isinstance(r, Span))
    assert span.line_color == Palette.AMBER and span.line_dash == [2, 4]


def test_exposures_show_the_largest_items(batch, market, result):
    layout = plots.exposures(batch.state, market, None, result, max_items=3)
    items = set(layout[0].Bars.I.dframe()["item"])
    table = plots.exposure_table(batch.state, market, None, result)
    pos = table[table["measure"] == "position"].groupby("item")["value"].max()
    assert items == set(pos.sort_values(ascending=False).index[:3])
    n_items = pos.size
    assert _opt(layout[0], "title") == f"Position sizes, largest 3 of {n_items}\nhard limit 5.0%"


def test_charts_of_an_empty_book_and_batch(market):
    empty = portlab.PortfolioState(positions={}, cash=1_000_000.0)
    nothing = portlab.Coordinator().coordinate([], empty, market)
    table = plots.exposure_table(empty, market, None, nothing)
    assert not (table["measure"] == "position").any()
    vol = table[table["measure"] == "volatility"]
    assert list(vol["value"]) == [0.0, 0.0] and list(vol["when"]) == ["before", "after"]
    for chart in (
        plots.exposures(empty, market, None, nothing),
        plots.allocation(nothing),
        plots.conflicts(nothing),
    ):
        hv.render(chart)
    with pytest.raises(ValidationError, match="the result has none"):
        plots.sizing_waterfall(nothing, "AAPL")


def test_exposure_table_rejects_a_bad_policy(batch, market):
    with pytest.raises(ValidationError, match="policy"):
        plots.exposure_table(batch.state, market, policy=0.05)


# -- sizing waterfall -----------------------------------------------------------------------


def _ends(chart) -> pd.DataFrame:
    return chart.Waterfall.I.dframe()


# the steps every candidate has (an optional one shows only when it moved the trade)
STEPS = [(s, c) for s, c in plots.SIZING_STEPS if s not in plots.OPTIONAL_STEPS]
STEP_COLUMNS = [c for _, c in STEPS]


def test_sizing_waterfall_reads_the_result(result):
    chart = plots.sizing_waterfall(result, "AAPL")
    data = _ends(chart)
    row = result.waterfall.set_index("instrument_id").loc["AAPL"]
    expected = [row["signal_trade"], *(row[c] for c in STEP_COLUMNS), row["final_size"]]
    np.testing.assert_array_equal(data["end"], np.asarray(expected, dtype=float))
    assert list(data["step"]) == ["Kelly", *(s for s, _ in STEPS), "final"]
    # each bar starts where the previous one ended; the totals start at 0
    np.testing.assert_array_equal(data["start"].iloc[1:-1], data["end"].iloc[:-2])
    assert data["start"].iloc[0] == 0 and data["start"].iloc[-1] == 0
    np.testing.assert_array_equal(data["change"], data["end"] - data["start"])
    # the final bar is the decision's size
    decision = result.decisions.set_index("instrument_id").loc["AAPL"]
    assert data["end"].iloc[-1] == decision["position_size"]
    # labelled with the rule that moved it: the 5% position limit, then the correlation
    rules = dict(zip(data["step"], data["rule"], strict=True))
    assert row["binding_rule"] == "position" and rules["policy"] == "position limit"
    assert (
        rules["correlation"]
        == f"×{row['correlation_factor']:.2f} (ρ {row['book_correlation']:.2f})"
    )
    assert rules["allocation"] == ""  # did not move
    ticks = dict(_opt(chart, "xticks"))
    assert ticks[1] == "policy\nposition limit"
    # colours: the trade's side at both ends, amber where a limit cut it
    colors = dict(zip(data["step"], data["color"], strict=True))
    assert colors["Kelly"] == colors["final"] == Palette.BUY
    assert colors["policy"] == Palette.AMBER
    assert colors["correlation"] == Palette.NEUTRAL
    title = _opt(chart, "title")
    assert title == "Sizing of AAPL BUY: 22.0% → 1.3% of NAV"
    fig = hv.render(chart)
    assert fig.yaxis[0].axis_label == "Trade size (% of NAV)"
    assert {"Step", "Moved by", "From", "To", "Change"} <= _tooltip_labels(fig)
    assert not _legend_labels(fig)


def test_sizing_waterfall_of_a_rebalance_and_a_sell(result):
    mrk = _ends(plots.sizing_waterfall(result, "MRK"))
    row = result.waterfall.set_index("instrument_id").loc["MRK"]
    assert np.isnan(row["signal_trade"])
    assert mrk["step"].iloc[0] == "rebalance request"
    assert mrk["end"].iloc[0] == row["rebalance_trade"]
    jpm = _ends(plots.sizing_waterfall(result, "JPM"))
    assert (jpm["color"].iloc[[0, -1]] == Palette.SELL).all()
    assert dict(zip(jpm["step"], jpm["rule"], strict=True))["policy"] == "no short selling"
    lly = _ends(plots.sizing_waterfall(result, "LLY"))  # signal and rebalance: blended
    lrow = result.waterfall.set_index("instrument_id").loc["LLY"]
    blend = lly.set_index("step").loc["rebalance blend"]
    assert blend["change"] == lrow["blended"] - lrow["correlation_adjusted"]
    assert blend["rule"] == "blended with rebalance"
    hv.render(plots.sizing_waterfall(result, "MRK"))


def test_sizing_waterfall_of_dropped_candidates(tight):
    wf = tight.waterfall.set_index("instrument_id")
    rejected = set(tight.rejections["instrument_id"])
    for iid in ("AAPL", "BAC", "PG"):
        assert wf.at[iid, "outcome"] != "DECIDED" and iid in rejected
        data = _ends(plots.sizing_waterfall(tight, iid))
        final = data.iloc[-1]
        assert final["end"] == 0.0 and final["rule"] == wf.at[iid, "outcome"]
    bac = _ends(plots.sizing_waterfall(tight, "BAC")).set_index("step")
    assert wf.at["BAC", "allocation_binding"] == "leverage"
    assert bac.at["allocation", "rule"] == "leverage limit"
    assert bac.at["allocation", "end"] == wf.at["BAC", "allocated"] == 0.0
    assert bac.at["allocation", "color"] == Palette.AMBER
    aapl = _ends(plots.sizing_waterfall(tight, "AAPL")).set_index("step")
    assert aapl.at["minimum size", "rule"] == "below the minimum"
    hv.render(plots.sizing_waterfall(tight, "PG"))


def test_sizing_waterfall_errors(result):
    with pytest.raises(ValidationError, match="no candidate trade for 'ZZZ'"):
        plots.sizing_waterfall(result, "ZZZ")
    with pytest.raises(ValidationError, match="instrument_id: required"):
        plots.sizing_waterfall(result)
    with pytest.raises(ValidationError, match="CoordinationResult"):
        plots.sizing_waterfall(42, "AAPL")


# -- allocation -----------------------------------------------------------------------------


def test_allocation_chart(result, tight):
    chart = plots.allocation(tight)
    bars = pd.concat([b.dframe() for b in chart if isinstance(b, hv.Bars)])
    wf = tight.waterfall.set_index("instrument_id")
    decided = tight.decisions.set_index("instrument_id")["position_size"]
    for r in bars.itertuples():
        assert r.wanted == wf.at[r.instrument_id, "sized"]
        assert r.allocated == decided.get(r.instrument_id, 0.0)
    assert set(bars["instrument_id"]) == set(wf.index)
    assert bars.set_index("instrument_id").at["BAC", "binding"] == "leverage limit"
    for b in chart:
        if isinstance(b, hv.Bars):
            assert _opt(b, "color") == plots.side_color(b.label)
    assert "leverage limit" in _opt(chart, "title")
    fig = hv.render(chart)
    assert sorted(_legend_labels(fig)) == ["BUY", "SELL", "asked for"]
    assert {"Allocated", "Asked for", "Bound by"} <= _tooltip_labels(fig)
    assert fig.yaxis[0].axis_label == "Trade size (% of NAV)"
    assert "no limit binds" in _opt(plots.allocation(result), "title")


# -- conflicts ------------------------------------------------------------------------------

LOST_REASONS = {"CONFLICT_LOST", "OVERRIDDEN", "NETTED_OUT"}


def test_conflict_table_matches_the_rejections(result, batch):
    table = plots.conflict_table(result, batch.signals)
    rej = result.rejections
    lost = rej[rej["reason"].isin(LOST_REASONS)]
    got = table[table["role"].isin(["lost", "netted out"])]
    assert sorted(got["id"]) == sorted(lost["id"])
    merged = got.merge(lost, on="id", suffixes=("", "_r"))
    assert (merged["winner_id"] == merged["winner_id_r"]).all()
    assert (merged["reason"] == merged["reason_r"]).all()
    conflicted = result.waterfall[result.waterfall["conflicted"].astype(bool)]
    winners = table[table["role"] == "won"].set_index("instrument_id")["id"]
    assert winners.to_dict() == dict(
        zip(conflicted["instrument_id"], conflicted["winner_id"], strict=True)
    )
    by_id = table.set_index("id")
    assert by_id.at["sig-001", "action"] == "BUY" and by_id.at["sig-002", "action"] == "SELL"
    assert by_id.at["sig-002", "confidence"] == 0.62  # from the signal
    assert by_id.at["sig-002", "rule"] == "HIGHEST_PRIORITY"


def test_conflicts_chart(result, batch):
    chart = plots.conflicts(result, batch.signals)
    cells = chart.Points.I.dframe().set_index(["instrument_id", "role"])
    assert cells.at[("AAPL", "won"), "ids"] == "sig-001"
    assert cells.at[("AAPL", "won"), "color"] == Palette.BUY
    assert cells.at[("AAPL", "lost"), "ids"] == "sig-002"
    assert cells.at[("AAPL", "lost"), "color"] == Palette.SELL
    assert cells.at[("AAPL", "lost"), "alpha"] < cells.at[("AAPL", "won"), "alpha"]
    assert "lost to sig-001" in cells.at[("AAPL", "lost"), "detail"]
    assert cells.at[("MSFT", "won"), "ids"] == "rebal-2022-12-28/MSFT"
    assert _opt(chart, "title") == "Conflicts on 2 instruments: who won, who lost"
    fig = hv.render(chart)
    assert fig.xaxis[0].axis_label == "Role" and fig.yaxis[0].axis_label == "Instrument"
    assert {"Inputs", "Rule", "Detail", "Winning trade"} <= _tooltip_labels(fig)
    assert list(fig.x_range.factors) == ["won", "lost"]
    assert {Palette.BUY, Palette.SELL} <= _colors(fig)


def test_conflicts_netted_and_combined(batch, market):
    net = portlab.Coordinator(resolution="NET").coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    table = plots.conflict_table(net)
    aapl = table[table["instrument_id"] == "AAPL"]
    assert set(aapl["role"]) == {"netted out"} and set(aapl["id"]) == {"sig-001", "sig-002"}
    hv.render(plots.conflicts(net))
    avg = portlab.Coordinator(resolution="WEIGHTED_AVERAGE").coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    table = plots.conflict_table(avg)
    ids = avg.decisions.set_index("instrument_id").at["AAPL", "signal_ids"]
    aapl = table[table["instrument_id"] == "AAPL"].set_index("id")["role"]
    assert aapl.to_dict() == {ids[0]: "won", **{i: "combined" for i in ids[1:]}}


def test_no_conflicts(batch, market):
    one = portlab.Coordinator().coordinate(batch.signals[2:3], batch.state, market)
    chart = plots.conflicts(one)
    assert chart.Points.I.dframe().empty
    assert _opt(chart, "title") == "No conflicts in this batch"
    hv.render(chart)


# -- optimization ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def optimization(market, batch):
    returns = market.returns.iloc[-504:]
    mu, cov = returns.mean() * 252, market.covariance()
    table = efficient_frontier(mu, cov, n_points=15)
    best = mean_variance(mu, cov, Objective.MAX_SHARPE)
    held = batch.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    current = {
        "volatility": float(np.sqrt(held.to_numpy() @ cov.to_numpy() @ held.to_numpy())),
        "expected_return": float(held @ mu),
        "weights": held,
    }
    return table, best, current, held, cov


def test_frontier_chart(optimization):
    table, best, current, _, _ = optimization
    chart = plots.frontier(table, current=current, chosen=best)
    points = chart.Frontier.I.dframe()
    np.testing.assert_array_equal(points["volatility"], table["volatility"])
    np.testing.assert_array_equal(points["expected_return"], table["expected_return"])
    np.testing.assert_array_equal(points["sharpe"], table["sharpe"])
    chosen = chart.Scatter.Chosen.dframe().iloc[0]
    assert chosen["volatility"] == best.volatility
    assert chosen["expected_return"] == best.expected_return
    top = best.weights.sort_values(ascending=False).index[0]
    assert chosen["holdings"].startswith(f"{top} ")
    cur = chart.Scatter.Current.dframe().iloc[0]
    assert cur["volatility"] == current["volatility"]
    assert cur["expected_return"] == current["expected_return"]
    assert _opt(chart, "title") == "Efficient frontier with the current and chosen portfolios"
    fig = hv.render(chart)
    assert fig.xaxis[0].axis_label == "Volatility (% a year)"
    assert fig.yaxis[0].axis_label == "Expected return (% a year)"
    assert sorted(_legend_labels(fig)) == ["chosen", "current", "efficient frontier"]
    assert {"Expected return", "Volatility", "Sharpe", "Largest weights"} <= _tooltip_labels(fig)
    assert any(type(t).__name__ == "TapTool" for t in fig.tools)
    alone = plots.frontier(table)
    assert _opt(alone, "title") == "Efficient frontier"
    assert not _legend_labels(hv.render(alone))  # one series: no legend
    assert {Palette.CURRENT, Palette.PORTFOLIO, Palette.NEUTRAL} <= _colors(fig)


def test_frontier_point_forms_and_errors(optimization):
    table = optimization[0]
    assert plots.frontier_point((0.1, 0.2))["expected_return"] == 0.2
    with pytest.raises(ValidationError, match="point"):
        plots.frontier_point("max sharpe")
    with pytest.raises(ValidationError, match="efficient_frontier"):
        plots.frontier(table.drop(columns="sharpe"))


def test_risk_contributions_chart(optimization):
    held, cov = optimization[3], optimization[4]
    contributions = volatility_contributions(held, cov)
    chart = plots.risk_contributions(contributions)
    data = chart.dframe().set_index("instrument")
    nonzero = contributions[contributions["weight"] != 0]
    assert set(data.index) == set(nonzero.index)
    np.testing.assert_array_equal(data.loc[nonzero.index, "component"], nonzero["component"])
    assert data["component"].is_monotonic_decreasing
    vol = np.sqrt(held.to_numpy() @ cov.to_numpy() @ held.to_numpy())
    assert f"({100 * vol:.1f}% a year)" in _opt(chart, "title")
    assert _opt(chart, "color") == Palette.NEUTRAL
    fig = hv.render(chart)
    assert fig.yaxis[0].axis_label == "Volatility contributed (% a year)"
    assert {"Contribution", "Share of risk", "Weight"} <= _tooltip_labels(fig)
    top = plots.risk_contributions(contributions, top=3)
    assert list(top.dframe()["instrument"]) == list(data.index[:3])


def test_estimator_weights_heatmap():
    """A cell per estimator and instrument holding its weight; the chosen row marked and its
    order of holdings on the x axis; a row that could not be solved blank; white text on
    the dark cells; the largest instruments kept when there are too many."""
    weights = pd.DataFrame(
        {"A": [0.10, 0.30, np.nan], "B": [0.60, 0.20, np.nan], "C": [0.30, 0.50, np.nan],
         "D": [0.0, 0.0, np.nan]},
        index=["Risk model: Sample", "Risk model: EWMA", "Expected returns: CAPM"],
    )  # fmt: skip
    chart = plots.estimator_weights(weights, chosen="Risk model: Sample", objective="max Sharpe")
    cells = chart.HeatMap.I.dframe().set_index(["estimator", "instrument"])
    assert len(cells) == 3 * 3  # D is held nowhere: no column
    assert cells.loc[("\u25b6 Risk model: Sample", "B"), "weight"] == 0.60
    assert cells.loc[("Risk model: EWMA", "C"), "weight"] == 0.50
    assert cells.loc[("Risk model: EWMA", "C"), "change"] == pytest.approx(0.20)
    assert cells.loc["Expected returns: CAPM", "weight"].isna().all()
    assert _opt(chart, "title") == "Weights of the max Sharpe portfolio under each estimator"
    fig = hv.render(chart)
    assert list(fig.x_range.factors) == ["B", "C", "A"]  # the chosen portfolio's order
    assert list(fig.y_range.factors)[-1] == "\u25b6 Risk model: Sample"  # first row on top
    assert {"Estimator", "Instrument", "Weight", "Change from the chosen"} <= _tooltip_labels(fig)
    assert not _legend_labels(fig) and fig.width <= 860
    dark, light = (chart.Labels.I.dframe(), chart.Labels.II.dframe())
    assert set(light["text"]) == {"60%", "50%"}  # white text on the darkest cells
    assert "30%" in set(dark["text"]) and "" in set(dark["text"])  # NaN and 0: no text
    assert plots.estimator_weights(weights).opts.get().kwargs["height"] == fig.height
    cut = plots.estimator_weights(weights, top=2)
    assert set(cut.HeatMap.I.dframe()["instrument"]) == {"B", "C"}
    assert "largest 2 of 3 instruments" in _opt(cut, "title")
    with pytest.raises(ValidationError, match="chosen"):
        plots.estimator_weights(weights, chosen="Risk model: OAS")
    with pytest.raises(ValidationError, match="one row of weights per estimator"):
        plots.estimator_weights(pd.DataFrame())


def test_correlation_heatmap_in_hrp_order(market):
    corr = market.correlation()
    chart = plots.correlation_heatmap(corr)
    order = list(HierarchicalRiskParity().fit(corr).order_)
    data = chart.dframe()
    assert len(data) == len(order) ** 2
    for r in data.sample(40, random_state=0).itertuples():
        assert r.correlation == corr.at[r.x, r.y]
    assert "in HRP order (single linkage)" in _opt(chart, "title")
    assert _opt(chart, "clim") == (-1.0, 1.0)
    fig = hv.render(chart)
    assert list(fig.x_range.factors) == order
    assert list(fig.y_range.factors) == order[::-1]  # the first at the top
    assert {"Instrument", "With", "Correlation"} <= _tooltip_labels(fig)
    model = HierarchicalRiskParity(linkage="ward").fit(corr)
    ward = plots.correlation_heatmap(corr, model)
    assert list(hv.render(ward).x_range.factors) == list(model.order_)
    with pytest.raises(ValidationError, match="order"):
        plots.correlation_heatmap(corr, ["AAPL", "NOPE"])


# -- attribution ----------------------------------------------------------------------------


def test_brinson_effects_chart(attribution):
    chart = plots.brinson_effects(attribution)
    data = chart.dframe().set_index(["group", "effect"])["value"]
    linked = attribution.linked
    for group in linked.index:
        for effect in EFFECTS:
            assert data[(group, effect)] == linked.at[group, effect]
    assert _opt(chart, "title").startswith("Brinson-Fachler effects by group\nCariño linking")
    fig = hv.render(chart)
    assert sorted(_legend_labels(fig)) == sorted(EFFECTS)
    assert fig.yaxis[0].axis_label == "Effect (% of portfolio value)"
    assert {"Group", "Effect", "Value"} <= _tooltip_labels(fig)
    grap = plots.brinson_effects(attribution, linking=Linking.GRAP).dframe()
    relinked = attribution.relink(Linking.GRAP)
    got = grap.set_index(["group", "effect"])["value"]
    assert got[(linked.index[0], "selection")] == relinked.at[linked.index[0], "selection"]


def test_attribution_waterfall(attribution):
    chart = plots.attribution_waterfall(attribution)
    data = _ends(chart)
    assert list(data["step"]) == ["benchmark", *EFFECTS, "portfolio"]
    assert data["end"].iloc[0] == attribution.benchmark_total
    assert data["end"].iloc[-1] == attribution.portfolio_total
    sums = attribution.linked[list(EFFECTS)].sum()
    np.testing.assert_allclose(data["change"].iloc[1:4], sums.to_numpy(), rtol=0, atol=1e-15)
    # the effects lead from the benchmark's return to the portfolio's (Cariño links exactly)
    assert data["end"].iloc[3] == pytest.approx(attribution.portfolio_total, abs=1e-12)
    colors = list(data["color"])
    assert colors[0] == Palette.BENCHMARK and colors[-1] == Palette.PORTFOLIO
    assert colors[1:4] == [Palette.ALLOCATION, Palette.SELECTION, Palette.INTERACTION]
    assert "Attribution of the active return" in _opt(chart, "title")
    fig = hv.render(chart)
    assert {Palette.BENCHMARK, Palette.PORTFOLIO, Palette.ALLOCATION} <= _colors(fig)
    assert fig.yaxis[0].axis_label == "Return over the period (%)"
    assert not _legend_labels(fig)
    # without linking the arithmetic sum misses the compounding: a step of its own
    plain = _ends(plots.attribution_waterfall(attribution, linking="none"))
    assert list(plain["step"]) == ["benchmark", *EFFECTS, "not linked", "portfolio"]
    none = attribution.relink(Linking.NONE)[list(EFFECTS)].sum().sum()
    assert plain["change"].iloc[4] == pytest.approx(
        attribution.portfolio_total - attribution.benchmark_total - none, abs=1e-15
    )


def test_linked_effects_over_time(attribution):
    chart = plots.linked_effects(attribution)
    assert [c.label for c in chart] == list(EFFECTS)
    beta = attribution.coefficients.to_numpy()
    for curve in chart:
        data = curve.dframe()
        per_period = attribution.effects[curve.label].to_numpy()
        assert len(data) == len(per_period)
        assert data["cumulative"].iloc[0] == beta[0] * per_period[0]
        assert data["cumulative"].iloc[-1] == pytest.approx(
            attribution.linked[curve.label].sum(), abs=1e-14
        )
        assert _opt(curve, "color") == plots.EFFECT_COLORS[curve.label]
    fig = hv.render(chart)
    assert sorted(_legend_labels(fig)) == sorted(EFFECTS)
    assert fig.xaxis[0].axis_label == "Date"
    assert {"Effect", "Date", "Cumulative"} <= _tooltip_labels(fig)


def test_attribution_charts_reject_other_results(result):
    with pytest.raises(ValidationError, match="BrinsonResult"):
        plots.attribution_waterfall(result)


# -- performance ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def returns(market):
    weights = pd.Series(1.0 / len(market.instruments), index=market.instruments)
    return portfolio_returns(weights, market).loc["2015":]


def test_equity_curve(returns, market):
    chart = plots.equity_curve(returns, market.benchmark_returns)
    port = chart.Curve.Portfolio.dframe()
    np.testing.assert_allclose(port["wealth"], np.cumprod(1.0 + returns.to_numpy()), rtol=1e-13)
    bench = market.benchmark_returns.loc[returns.index[0] : returns.index[-1]].dropna()
    np.testing.assert_allclose(
        chart.Curve.Benchmark.dframe()["wealth"], np.cumprod(1.0 + bench.to_numpy()), rtol=1e-13
    )
    assert _opt(chart.Curve.Benchmark, "color") == Palette.BENCHMARK
    assert _opt(chart.Curve.Portfolio, "color") == Palette.PORTFOLIO
    assert (
        _opt(chart, "title")
        == "Growth of $1 invested, portfolio and benchmark\n2015-01-02 to 2022-12-28"
    )
    fig = hv.render(chart)
    assert sorted(_legend_labels(fig)) == ["benchmark", "portfolio"]
    assert fig.yaxis[0].axis_label == "Value of $1 ($)"
    assert {"Date", "Value of $1", "Drawdown"} <= _tooltip_labels(fig)
    alone = hv.render(plots.equity_curve(returns))
    assert not _legend_labels(alone)  # one series: no legend


def test_underwater_and_performance(returns, market):
    chart = plots.underwater(returns)
    data = chart.dframe()
    wealth = np.cumprod(1.0 + returns.to_numpy())
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
    np.testing.assert_allclose(data["drawdown"], 1.0 - wealth / peak, rtol=0, atol=1e-13)
    worst = float(np.max(1.0 - wealth / peak))
    at = returns.index[int(np.argmax(1.0 - wealth / peak))].date().isoformat()
    assert (
        _opt(chart, "title") == f"Drawdown from the running peak (worst {100 * worst:.1f}% on {at})"
    )
    assert _opt(chart, "invert_yaxis") is True
    fig = hv.render(chart)
    assert fig.yaxis[0].axis_label == "Drawdown (%)"
    layout = plots.performance(returns, market.benchmark_returns)
    assert len(_figures(hv.render(layout))) == 2


def test_performance_takes_a_backtest_like_result(returns):
    class Run:  # what BacktestResult offers: a returns Series
        pass

    run = Run()
    run.returns = returns
    a = plots.equity_curve(run).Curve.Portfolio.dframe()["wealth"]
    b = plots.equity_curve(returns).Curve.Portfolio.dframe()["wealth"]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValidationError, match="returns"):
        plots.underwater([0.01, 0.02])


# -- many instruments: the charts keep the largest and say so -------------------------------


@pytest.fixture(scope="module")
def wide():
    """A 120-instrument synthetic market and a book of 80 positions of distinct sizes."""
    from portlab.datasets import synthetic

    market = synthetic(n_instruments=120, n_days=300, n_sectors=4, seed=1)
    rng = np.random.default_rng(5)
    held = market.instruments[rng.choice(120, 80, replace=False)]
    weights = pd.Series(np.linspace(0.001, 0.012, 80), index=held)
    state = portlab.PortfolioState.from_weights(weights, market.last_prices, 10_000_000)
    return market, state


def test_exposures_of_a_wide_book_keep_the_largest(wide):
    market, state = wide
    layout = plots.exposures(state, market)
    weights = state.weights(market.last_prices).abs()
    weights = weights[weights > 0]
    expected = set(weights.to_numpy().argsort()[::-1][:30])  # positions of the 30 largest
    shown = set(layout[0].Bars.I.dframe()["item"])
    assert shown == {weights.index[i] for i in expected}
    assert _opt(layout[0], "title") == "Position sizes, largest 30 of 80\nhard limit 5.0%"
    assert _opt(layout[1], "title") == "Sector exposures\nhard limit 25.0%"  # 4 sectors: all
    fig = _figures(hv.render(layout))[0]
    assert len(fig.y_range.factors) == 30
    assert fig.height == 130 + 15 * 30  # the bars keep their height: nothing overlaps
    # a sector's tooltip names its 8 largest positions, then how many more
    table = plots.exposure_table(state, market)
    sectors = market.sectors.reindex(weights.index)
    biggest = sectors.value_counts().index[0]
    members = table.set_index(["measure", "item"]).at[("sector", biggest), "members"]
    assert members.endswith(f" and {int((sectors == biggest).sum()) - 8} more")
    assert members.count("%") == 8


def test_risk_contributions_of_a_wide_book_keep_the_largest(wide):
    market, state = wide
    contributions = volatility_contributions(state.weights(market.last_prices), market)
    chart = plots.risk_contributions(contributions)
    held = contributions[contributions["weight"] != 0]["component"]
    top = held.abs().to_numpy().argsort()[::-1][:30]
    assert list(chart.dframe()["instrument"]) == list(held.index[top])
    assert _opt(chart, "title").endswith("\nlargest 30 of 80 instruments")
    everything = plots.risk_contributions(contributions, top=None)
    assert len(everything.dframe()) == 80
    assert _opt(everything, "title").endswith("\nby instrument")


def test_correlation_heatmap_of_a_wide_market(wide):
    market, state = wide
    corr = market.correlation()
    weights = state.weights(market.last_prices)
    chart = plots.correlation_heatmap(corr, weights=weights, max_items=12)
    kept = list(weights.abs().sort_values(ascending=False).index[:12])  # sizes are distinct
    data = chart.dframe()
    assert set(data["x"]) == set(kept) and len(data) == 144
    order = list(HierarchicalRiskParity().fit(corr.loc[kept, kept]).order_)
    assert list(hv.render(chart).x_range.factors) == order
    assert _opt(chart, "title") == (
        "Correlation of largest 12 of 120 holdings\nin HRP order (single linkage)"
    )
    # without weights every instrument stays, unnamed on the axes
    bare = plots.correlation_heatmap(corr, max_items=50)
    assert len(bare.dframe()) == 120**2
    assert _opt(bare, "xaxis") == "bare" and _opt(bare, "yaxis") == "bare"
    assert _opt(bare, "title").endswith("(too many to name on the axes)")


def test_allocation_keeps_the_largest_asks(tight):
    sized = tight.waterfall.set_index("instrument_id")["sized"].abs()
    chart = plots.allocation(tight, max_items=4)
    bars = pd.concat([b.dframe() for b in chart if isinstance(b, hv.Bars)])
    assert set(bars["instrument_id"]) == set(sized.sort_values(ascending=False).index[:4])
    assert _opt(chart, "title").startswith(f"Allocation, largest 4 of {len(sized)} opportunities\n")
    # the limits named are those of every candidate, shown or not
    assert "leverage limit" in _opt(chart, "title")
    fig = hv.render(chart)
    assert any(isinstance(m, Legend) for m in fig.right)  # outside the frame: hides nothing
    assert plots.rule_label("short_selling") == "no short selling"
    whole = plots.allocation(tight, max_items=None)
    shown = pd.concat([b.dframe() for b in whole if isinstance(b, hv.Bars)])
    assert len(shown) == len(sized)
    assert not any("_" in b or b.isupper() for b in shown["binding"] if b)  # readable reasons


def test_conflicts_keep_the_most_contested(market, batch):
    """Signals of several strategies on six instruments, 2 to 5 signals each."""
    names = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG"]
    counts = dict(zip(names, [2, 4, 3, 2, 5, 3], strict=True))
    rows = []
    for name in names:
        price = float(market.last_prices[name])
        for k in range(counts[name]):
            rows.append(
                {
                    "signal_id": f"{name}-{k}",
                    "timestamp": pd.Timestamp(market.dates[-1], tz="UTC") + pd.Timedelta(minutes=k),
                    "instrument_id": name,
                    "action": "BUY",
                    "confidence": 0.6 + 0.05 * k,
                    "strength": "STRONG",
                    "signal_score": 0.5,
                    "price_target": price * 1.05,
                    "expected_return": 0.03,
                    "success_probability": 0.6,
                    "strategy_id": ["momentum", "mean_reversion", "trend", "carry", "value"][k],
                }
            )
    signals = pd.DataFrame(rows)
    res = portlab.Coordinator().coordinate(signals, batch.state, market)
    chart = plots.conflicts(res, signals, max_items=3)
    shown = list(dict.fromkeys(chart.Points.I.dframe()["instrument_id"]))
    # the most inputs first, ties by name: JNJ (5), MSFT (4), then JPM (3) before PG (3)
    assert sorted(shown) == ["JNJ", "JPM", "MSFT"]
    assert _opt(chart, "title") == (
        "Conflicts on 6 instruments: who won, who lost\nthe 3 with the most competing inputs"
    )
    fig = hv.render(chart)
    assert list(fig.y_range.factors) == ["JPM", "MSFT", "JNJ"]  # the first at the top
    cells = chart.Labels.I.dframe().set_index(["instrument_id", "role"])["label"]
    table = plots.conflict_table(res, signals)
    lost = table[table["role"] == "lost"].groupby("instrument_id")["id"].apply(list)
    assert len(lost["MSFT"]) == 3 and len(lost["JNJ"]) == 4
    assert cells[("MSFT", "lost")] == "\n".join(lost["MSFT"])  # three ids fit a cell
    assert cells[("JNJ", "lost")] == "\n".join(lost["JNJ"][:3]) + "\n+1 more"
    full = chart.Points.I.dframe().set_index(["instrument_id", "role"])["ids"]
    assert full[("JNJ", "lost")] == "\n".join(lost["JNJ"])  # the tooltip names them all
    assert len(plots.conflicts(res, signals, max_items=None).Points.I.dframe()) > len(
        chart.Points.I.dframe()
    )


def test_sizing_waterfall_labels_do_not_overlap(result):
    chart = plots.sizing_waterfall(result, "AAPL")
    ticks = dict(_opt(chart, "xticks"))
    assert ticks[0] == "Kelly\ntarget 25.0%,\nheld 3.0%"
    assert ticks[1] == "policy\nposition limit"
    assert ticks[3] == "rebalance\nblend"
    for text in ticks.values():  # at most 14 characters a line (~95 px at 8pt)
        assert all(len(line) <= 14 for line in text.split("\n"))
    assert _opt(chart, "width") == 90 + 9 * 85  # 9 bars and the axis, within ~880 px
    labels = chart.Labels.I
    assert _opt(labels, "text_color") == "#404040"
    # the values sit above the bars, on the chart's ground: on a white pill, so that the dark
    # text stays readable when the dashboard's dark theme darkens that ground
    text = next(r for r in hv.render(chart).renderers if isinstance(r.glyph, Text)).glyph
    assert (text.background_fill_color, text.background_fill_alpha) == ("white", 0.8)
    assert _opt(chart, "framewise") is True


def test_underwater_draws_the_drawdown_alone(returns):
    chart = plots.underwater(returns)
    assert [d.name for d in chart.vdims] == ["drawdown"]  # a second one is the area's floor
    fig = hv.render(chart)
    patch = next(r for r in fig.renderers if hasattr(r, "data_source"))
    y = np.asarray(patch.data_source.data["y"], dtype=float)
    wealth = np.cumprod(1.0 + returns.to_numpy())
    worst = np.max(1.0 - wealth / np.maximum.accumulate(np.maximum(wealth, 1.0)))
    assert y.min() == 0.0 and y.max() == pytest.approx(worst, abs=1e-13)


def test_charts_rescale_and_keep_legends_outside(optimization, attribution, returns, market):
    table, best, current, held, cov = optimization
    charts = {
        "frontier": plots.frontier(table, current=current, chosen=best),
        "linked": plots.linked_effects(attribution),
        "equity": plots.equity_curve(returns, market.benchmark_returns),
    }
    for name, chart in charts.items():
        assert _opt(chart, "framewise") is True, name
        fig = hv.render(chart)
        assert any(isinstance(m, Legend) for m in fig.right), name
        assert fig.width <= 860, name
    assert _opt(charts["linked"], "title") == "Linked effects over time (Cariño linking)"
    assert _opt(plots.brinson_effects(attribution), "framewise") is True
    assert _opt(plots.risk_contributions(volatility_contributions(held, cov)), "framewise")


def test_charts_updated_in_place_rescale(batch, market, result):
    """As a widget updates its chart (a DynamicMap): the axes follow each new frame and the
    limit's label moves with the limit."""

    def position(limit):
        c = portlab.Coordinator(policy={"max_position_size": limit})
        res = c.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
        return plots.exposures(batch.state, market, c, res, measures=[plots.Measure.POSITION])[0]

    dmap = hv.DynamicMap(position, kdims=[hv.Dimension("limit", values=[0.04, 0.08])])
    plot = hv.renderer("bokeh").get_plot(dmap)
    plot.update((0.08,))
    fig = plot.state
    assert [(a.text, a.x) for a in fig.center if isinstance(a, Label)] == [("limit 8.0%", 0.08)]
    assert fig.x_range.end == pytest.approx(1.3 * 0.08)  # the value axis, rescaled
    assert fig.title.text == "Position sizes\nhard limit 8.0%"

    sizing = hv.DynamicMap(
        lambda iid: plots.sizing_waterfall(result, iid),
        kdims=[hv.Dimension("iid", values=["AAPL", "MSFT"])],
    )
    plot = hv.renderer("bokeh").get_plot(sizing)
    plot.update(("MSFT",))
    msft = _ends(plots.sizing_waterfall(result, "MSFT"))
    top = max(0.0, float(msft["end"].max()), float(msft["start"].max()))
    assert plot.state.y_range.end == pytest.approx(1.12 * top)  # 12% headroom, from 0


# -- a sweep's heatmap ------------------------------------------------------------------------


def _sweep_cells() -> pd.DataFrame:
    caps, kellys = [0.05, 0.1, 0.15], [0.25, 0.5, 1.0]
    return pd.DataFrame(
        {
            "policy.max_position_size": [c for _ in kellys for c in caps],
            "sizing.kelly_fraction": [k for k in kellys for _ in caps],
            "capital_deployed": [1e5 * (i + 1) for i in range(9)],
            "scenario": [f"s{i}" for i in range(9)],
        }
    )


def test_sweep_heatmap_has_a_cell_per_scenario_and_outlines_the_selected():
    cells = _sweep_cells()
    cells.loc[4, "capital_deployed"] = np.nan  # a failed scenario: a blank cell
    chart = plots.sweep_heatmap(
        cells, "policy.max_position_size", "sizing.kelly_fraction", "capital_deployed",
        label="Capital deployed", selected="s5",
    )  # fmt: skip
    data = chart.Sweep.I.dframe()
    assert data["scenario"].tolist() == cells["scenario"].tolist()
    assert data["policy.max_position_size"].tolist() == ["0.05", "0.1", "0.15"] * 3
    assert data["sizing.kelly_fraction"].tolist() == ["0.25"] * 3 + ["0.5"] * 3 + ["1"] * 3
    np.testing.assert_array_equal(data["capital_deployed"], cells["capital_deployed"])
    # numbers in their order on the axes (0.05 < 0.1 < 0.15), not as text
    assert chart.Sweep.I.kdims[0].values == ["0.05", "0.1", "0.15"]
    picked = chart.Selected.I.dframe()
    assert picked[["policy.max_position_size", "sizing.kelly_fraction"]].values.tolist() == [
        ["0.15", "0.5"]
    ]
    fig = plots.to_bokeh(chart)
    assert "tap" in {t.__class__.__name__.lower().replace("tool", "") for t in fig.tools}
    tips = [dict(t.tooltips) for t in fig.select({"type": HoverTool}) if t.tooltips]
    assert any("Scenario" in tip and "Capital deployed" in tip for tip in tips), tips
    assert fig.title.text.startswith("Capital deployed")


def test_sweep_heatmap_without_a_selection_and_bad_columns():
    chart = plots.sweep_heatmap(_sweep_cells(), "sizing.kelly_fraction",
                                "policy.max_position_size", "capital_deployed")  # fmt: skip
    assert len(chart.Selected.I) == 0
    with pytest.raises(ValidationError, match="no column 'turnover'"):
        plots.sweep_heatmap(_sweep_cells(), "sizing.kelly_fraction",
                            "policy.max_position_size", "turnover")  # fmt: skip
    with pytest.raises(ValidationError, match="the same parameter"):
        plots.sweep_heatmap(_sweep_cells(), "sizing.kelly_fraction", "sizing.kelly_fraction",
                            "capital_deployed")  # fmt: skip

"""Tests of portlab.widgets' five notebook widgets, without a browser.

Each widget is built on the bundled sample; a control is moved programmatically (as the
browser does when a slider is released) and the test asserts the view-model's parameter
changed, that the numbers in the displayed HTML table equal the direct engine or analytics
call the test writes itself, that one release recomputes once, that a bad combination shows
the model's message in the banner while the last good table stays, and that "Copy as code"
fills the text area with ``model.to_code()``.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser
from types import SimpleNamespace

import ipywidgets as ipw
import pandas as pd
import pytest

import portlab
from portlab import Coordinator, CovMethod, Policy, SizingConfig
from portlab.analytics import attribution as A
from portlab.analytics import optimize as O
from portlab.analytics.estimators import ReturnMethod
from portlab.analytics.performance import annualized_return
from portlab.datasets import example_batch, load_sample
from portlab.engine import AllocationMode, Resolution
from portlab.events import signals_to_frame
from portlab.ui import (
    AttributionModel,
    ConflictModel,
    OptimizerModel,
    OptimizerObjective,
    PolicyModel,
    SizingModel,
)
from portlab.widgets import (
    AttributionExplorer,
    ChartSlot,
    ChartUpdate,
    ConflictExplorer,
    OptimizerExplorer,
    PolicyTuner,
    SizingWhatIf,
)
from portlab.widgets.optimizer_explorer import HOLDINGS_SHOWN

WIDGETS = (PolicyTuner, SizingWhatIf, ConflictExplorer, AttributionExplorer, OptimizerExplorer)


@pytest.fixture(scope="module")
def market():
    return load_sample()


@pytest.fixture(scope="module")
def batch():
    return example_batch()


# ----------------------------------------------------------------------------- helpers


class _Tables(HTMLParser):
    """The tables of an HTML string: a list of (header, rows) with cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell, self._head = [], tag == "th"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            header, rows = self.tables[-1]
            (header.extend if self._head and not header else rows.append)(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(value: str) -> list[pd.DataFrame]:
    parser = _Tables()
    parser.feed(value)
    return [pd.DataFrame(rows, columns=header) for header, rows in parser.tables]


def num(text: str) -> float:
    """A displayed number back as a float: '$12,935' → 12935, '4.31%' → 0.0431, '-12 bp'."""
    t = text.replace(",", "").replace("$", "").replace("×", "").strip()
    if t.endswith("%"):
        return float(t[:-1]) / 100
    if t.endswith("bp"):
        return float(t[:-2]) / 1e4
    return float(t)


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


class Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def computes(monkeypatch):
    """Counts the view-models' computations (every class's ``_compute``)."""
    counters = {}
    for cls, model_cls in _MODEL.items():
        counter = Counter(model_cls._compute)
        counters[cls] = counter

        def counting(self, _counter=counter):
            return _counter(self)

        monkeypatch.setattr(model_cls, "_compute", counting)
    return counters


_MODEL = {
    PolicyTuner: PolicyModel,
    SizingWhatIf: SizingModel,
    ConflictExplorer: ConflictModel,
    AttributionExplorer: AttributionModel,
    OptimizerExplorer: OptimizerModel,
}


# ----------------------------------------------------------------------------- common


@pytest.mark.parametrize("cls", WIDGETS, ids=lambda c: c.__name__)
def test_each_widget_is_a_domwidget_tree_on_the_sample(cls):
    w = cls()
    assert isinstance(w, ipw.HBox) and isinstance(w, ipw.DOMWidget)
    assert w.model.error is None
    assert w.result is w.model.result is not None
    controls, results = w.children
    assert controls.layout.width == "310px"  # controls on the left, results on the right
    assert results.children[0] is w.banner and w.banner.value == ""
    assert w.busy_indicator.layout.visibility == "hidden"
    assert any(type(c).__name__ == "BokehModel" for c in walk(results)), "no chart"
    for c in walk(w):  # every chart and control is a real widget
        assert isinstance(c, ipw.Widget)


@pytest.mark.parametrize("cls", WIDGETS, ids=lambda c: c.__name__)
def test_every_slider_and_text_box_updates_on_release_only(cls):
    w = cls()
    sliders = [c for c in walk(w) if isinstance(c, ipw.FloatSlider | ipw.IntSlider)]
    texts = [c for c in walk(w) if isinstance(c, ipw.Text)]
    assert sliders or cls is ConflictExplorer or cls is AttributionExplorer
    for c in [*sliders, *texts]:
        assert c.continuous_update is False, c.description


@pytest.mark.parametrize("cls", WIDGETS, ids=lambda c: c.__name__)
def test_copy_as_code_fills_the_text_area(cls):
    w = cls()
    assert w.code.value == "" and w.code.layout.display == "none"
    w.code_button.click()
    assert w.code.layout.display == "block"
    assert w.code.value == w.model.to_code()
    assert "result" in w.code.value


def test_widgets_take_the_inputs_and_the_coordinator(market, batch):
    coordinator = Coordinator(Policy(max_position_size={"limit": 0.04, "hard": True}))
    w = PolicyTuner(
        market=market, state=batch.state, signals=batch.signals[:5], coordinator=coordinator
    )
    assert w.model.max_position_size == 0.04
    assert w.controls_by_name["max_position_size"].value == 0.04
    assert w.result.counts["total_signals"] == 5
    assert "market = " not in w.model.to_code()  # given inputs are referred to by name


def test_busy_indicator_shows_while_computing(computes):
    w = PolicyTuner()
    seen = []
    original = computes[PolicyTuner].fn

    def spy(model):
        seen.append(w.busy_indicator.layout.visibility)
        return original(model)

    computes[PolicyTuner].fn = spy
    w.controls_by_name["kelly_multiplier"].value = 0.5
    assert seen == ["visible"]
    assert w.busy_indicator.layout.visibility == "hidden"


def test_import_portlab_imports_no_widget_library():
    code = "import sys, portlab; print([m for m in ('ipywidgets', 'jupyter_bokeh', 'holoviews') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- policy tuner


def test_policy_slider_changes_the_model_and_the_table_equals_the_engine(market, batch, computes):
    w = PolicyTuner()
    assert computes[PolicyTuner].calls == 1
    before = w.decisions_html.value
    renders = w.renders
    w.controls_by_name["max_position_size"].value = 0.03  # the slider released at 3%
    assert computes[PolicyTuner].calls == 2 and w.renders == renders + 1  # one recompute
    assert w.model.max_position_size == 0.03
    assert w.decisions_html.value != before

    direct = Coordinator(Policy(max_position_size={"limit": 0.03, "hard": True})).coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    table = tables(w.decisions_html.value)[0]
    d = direct.decisions.reset_index(drop=True)
    assert list(table["Instrument"]) == list(d["instrument_id"])
    assert list(table["Action"]) == list(d["action"])
    assert [num(s) for s in table["Shares"]] == [float(q) for q in d["share_quantity"]]
    for shown, amount in zip(table["Amount"], d["trade_amount"], strict=True):
        assert abs(num(shown) - amount) <= 0.5
    for shown, size in zip(table["Size (% NAV)"], d["position_size"], strict=True):
        assert abs(num(shown) - size) <= 0.00005
    assert all(re.fullmatch(r"[\d,]+", s) for s in table["Shares"])  # integer shares
    assert all(re.fullmatch(r"\$[\d,]+(\.\d\d)?", s) for s in table["Amount"])
    assert "position limit" in set(table["Clipped by"])  # the rule that clipped it
    headline = w.counts_html.value
    assert f">{len(d)}<" in headline  # decisions taken, the largest number first
    rejections = tables(w.rejections_html.value)[0]
    assert list(rejections["Id"]) == list(direct.rejections["id"])
    assert list(rejections["Reason"]) == list(direct.rejections["reason"])


def test_policy_tuner_sizing_method_and_its_settings(market, batch, computes):
    """The tuner's sizing-method list and the fixed-fraction slider: the decisions shown are
    the engine's under that method."""
    w = PolicyTuner()
    w.controls_by_name["method"].value = portlab.SizingMethod.FIXED_FRACTIONAL
    w.controls_by_name["fixed_fraction"].value = 0.03
    assert computes[PolicyTuner].calls == 3
    direct = Coordinator(sizing={"method": "FIXED_FRACTIONAL", "fixed_fraction": 0.03}).coordinate(
        batch.signals, batch.state, market, batch.rebalance_requests
    )
    table = tables(w.decisions_html.value)[0]
    d = direct.decisions.reset_index(drop=True)
    assert list(table["Instrument"]) == list(d["instrument_id"])
    assert [num(x) for x in table["Shares"]] == [float(q) for q in d["share_quantity"]]
    kelly = Coordinator().coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    assert list(d["share_quantity"]) != list(kelly.decisions["share_quantity"])


def test_hard_toggle_and_selector_reach_the_model(computes):
    w = PolicyTuner()
    w.controls_by_name["max_position_size_hard"].value = False
    assert w.model.max_position_size_hard is False
    assert w.result.coordinator.policy.max_position_size.hard is False
    w.controls_by_name["allocation"].value = AllocationMode.GREEDY
    assert w.result.coordinator.sizing.allocation is AllocationMode.GREEDY
    assert computes[PolicyTuner].calls == 3
    limits = tables(w.limits_html.value)[0].set_index("Rule")
    assert limits.loc["position", "Kind"] == "soft"
    assert num(limits.loc["position", "Limit"]) == pytest.approx(0.05)


def test_an_infeasible_policy_shows_the_banner_and_keeps_the_last_table():
    w = PolicyTuner()
    w.controls_by_name["max_position_size"].value = 0.04
    good, result = w.decisions_html.value, w.result
    w.controls_by_name["max_sector_exposure"].value = 0.03  # below the position limit
    assert w.model.error and "max_position_size" in w.model.error
    assert "Not applied" in w.banner.value and "max_sector_exposure" in w.banner.value
    assert "Traceback" not in w.banner.value
    assert w.result is result and w.decisions_html.value == good
    w.controls_by_name["max_sector_exposure"].value = 0.25  # a good change clears it
    assert w.model.error is None and w.banner.value == ""


def test_a_model_change_moves_the_control_without_recomputing_twice(computes):
    w = PolicyTuner()
    w.model.max_leverage = 1.5  # e.g. set from a notebook cell
    assert w.controls_by_name["max_leverage"].value == 1.5
    assert computes[PolicyTuner].calls == 2


# ----------------------------------------------------------------------------- sizing what-if


def test_sizing_signal_and_slider(market, batch, computes):
    w = SizingWhatIf()
    assert computes[SizingWhatIf].calls == 1
    w.controls_by_name["signal_id"].value = "sig-003"  # loads its fields: one recompute
    assert computes[SizingWhatIf].calls == 2
    assert w.controls_by_name["confidence"].value == 0.74
    assert w.controls_by_name["price_target"].value == "380.53"
    w.controls_by_name["kelly_multiplier"].value = 0.25
    assert computes[SizingWhatIf].calls == 3 and w.model.kelly_multiplier == 0.25

    frame = signals_to_frame(batch.signals)
    signal = frame[frame["signal_id"] == "sig-003"]
    direct = Coordinator(sizing=SizingConfig(kelly_multiplier=0.25)).coordinate(
        signal, batch.state, market, batch.rebalance_requests
    )
    decision = direct.decisions[direct.decisions["instrument_id"] == "LLY"].iloc[0]
    headline = w.summary_html.value
    assert f">{int(decision['share_quantity']):,d}<" in headline
    assert f">${decision['trade_amount']:,.0f}<" in headline
    assert decision["reasoning"] in w.reasoning_html.value.replace("&gt;", ">")
    steps = tables(w.steps_html.value)[0]
    assert list(steps["Step"]) == list(w.result.steps["step"])
    final = direct.waterfall[direct.waterfall["instrument_id"] == "LLY"].iloc[0]["final_size"]
    assert num(steps["Size (% NAV)"].iloc[-1]) == pytest.approx(final, abs=5e-5)


def test_sizing_methods_picked_and_compared(market, batch, computes):
    """The method list sizes the signal by that method (the engine's numbers); ticking
    "Compare sizing methods" shows every method's size for the signal and the batch, each
    equal to the engine run directly with that method."""
    w = SizingWhatIf(signal_id="sig-003")
    frame = signals_to_frame(batch.signals)
    signal = frame[frame["signal_id"] == "sig-003"]
    assert w.result.methods is None and w.methods_html not in w.children
    w.controls_by_name["method"].value = portlab.SizingMethod.EQUAL_WEIGHT
    assert w.model.method is portlab.SizingMethod.EQUAL_WEIGHT
    direct = Coordinator(sizing={"method": "EQUAL_WEIGHT"}).coordinate(
        signal, batch.state, market, batch.rebalance_requests
    )
    row = direct.waterfall[direct.waterfall["instrument_id"] == "LLY"].iloc[0]
    steps = tables(w.steps_html.value)[0].set_index("Step")
    assert num(steps.loc["target: Equal weight", "Size (% NAV)"]) == pytest.approx(
        row["target_size"], abs=5e-5
    )
    assert num(steps["Size (% NAV)"].iloc[-1]) == pytest.approx(row["final_size"], abs=5e-5)

    calls = computes[SizingWhatIf].calls
    w.controls_by_name["compare"].value = True
    assert computes[SizingWhatIf].calls == calls + 1
    shown = tables(w.methods_html.value)[0].set_index("Method")
    assert list(shown.index) == [m.label for m in portlab.SizingMethod]
    for method in portlab.SizingMethod:
        run = Coordinator(sizing={"method": method})
        one = run.coordinate(signal, batch.state, market, batch.rebalance_requests)
        whole = run.coordinate(frame, batch.state, market, batch.rebalance_requests)
        lly = one.decisions[one.decisions["instrument_id"] == "LLY"]
        size = float(lly["position_size"].iloc[0]) if len(lly) else 0.0
        assert num(shown.loc[method.label, "Size (% NAV)"]) == pytest.approx(size, abs=5e-5)
        assert int(num(shown.loc[method.label, "Batch decisions"])) == whole.n_decisions
        assert num(shown.loc[method.label, "Batch traded (% NAV)"]) == pytest.approx(
            whole.decisions["position_size"].sum(), abs=5e-5
        )


def test_sizing_typed_price_and_refused_text(computes):
    w = SizingWhatIf(signal_id="sig-003")
    shares = w.result.shares
    w.controls_by_name["price_target"].value = "abc"
    assert "price_target" in w.banner.value and "Traceback" not in w.banner.value
    assert w.model.price_target == 380.53 and w.result.shares == shares
    assert computes[SizingWhatIf].calls == 1
    w.controls_by_name["price_target"].value = "390"
    assert w.model.price_target == 390.0 and computes[SizingWhatIf].calls == 2
    assert w.banner.value == ""
    w.controls_by_name["signal_id"].value = None  # a typed signal
    assert w.model.signal_id is None and w.result.signal["signal_id"].iloc[0] == "what-if"


# ----------------------------------------------------------------------------- conflicts


@pytest.mark.parametrize("resolution", list(Resolution))
def test_conflict_resolution_switch_equals_the_engine(market, batch, resolution):
    w = ConflictExplorer()
    w.controls_by_name["resolution"].value = resolution
    w.controls_by_name["allocation"].value = AllocationMode.GREEDY
    assert w.model.resolution == resolution and w.model.allocation == AllocationMode.GREEDY
    direct = Coordinator(
        sizing=SizingConfig(allocation="GREEDY"), resolution=resolution
    ).coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    rej = direct.rejections
    lost = rej[rej["reason"].isin(["CONFLICT_LOST", "OVERRIDDEN", "NETTED_OUT"])]
    losers = tables(w.losers_html.value)[0] if len(lost) else pd.DataFrame(columns=["Id"])
    assert list(losers["Id"]) == list(lost["id"])
    if len(lost):
        assert list(losers["Beaten by rule"]) == list(lost["rule"])
    allocation = tables(w.allocation_html.value)[0]
    wf = direct.waterfall
    assert list(allocation["Instrument"]) == list(wf["instrument_id"])
    for shown, size in zip(allocation["Wanted (% NAV)"], wf["sized"], strict=True):
        if size == size and size is not None:
            assert abs(num(shown) - size) <= 5e-5


def test_conflict_one_switch_one_recompute(computes):
    w = ConflictExplorer()
    w.controls_by_name["resolution"].value = Resolution.NET
    assert computes[ConflictExplorer].calls == 2
    assert tables(w.losers_html.value)[0]["Reason"].iloc[0] == "NETTED_OUT"


# ----------------------------------------------------------------------------- attribution


def test_attribution_controls_equal_the_analytics(market, batch, computes):
    w = AttributionExplorer()
    w.controls_by_name["grouping"].value = "INSTRUMENT"
    w.controls_by_name["linking"].value = A.Linking.GRAP
    w.controls_by_name["start"].value = dt.date(2022, 6, 1)
    assert computes[AttributionExplorer].calls == 4
    assert w.model.start == pd.Timestamp("2022-06-01")
    returns = market.returns.loc["2022-06-01":]
    weights = batch.state.weights(market.last_prices).reindex(market.instruments, fill_value=0.0)
    bench = pd.Series(1.0 / len(market.instruments), index=market.instruments)
    direct = A.brinson(
        weights, returns, bench, None, pd.Series(market.instruments, index=market.instruments),
        method=A.BrinsonMethod.BRINSON_FACHLER, linking=A.Linking.GRAP,
    )  # fmt: skip
    groups = tables(w.groups_html.value)[0].set_index("Group")
    for group, row in direct.linked.iterrows():
        assert num(groups.loc[str(group), "Total"]) == pytest.approx(row["total"], abs=5e-5)
    assert f"{(direct.portfolio_total - direct.benchmark_total) * 1e4:+,.0f} bp" in (
        w.totals_html.value
    )


def test_attribution_bad_period_keeps_the_last_table():
    w = AttributionExplorer()
    good = w.groups_html.value
    w.controls_by_name["start"].value = dt.date(2030, 1, 1)  # after the data ends: refused
    assert "start" in w.banner.value and w.groups_html.value == good
    w.controls_by_name["start"].value = dt.date(2022, 12, 27)
    w.controls_by_name["end"].value = dt.date(2022, 12, 1)  # before the start
    assert w.model.error and "after it ends" in w.model.error
    assert "after it ends" in w.banner.value


# ----------------------------------------------------------------------------- optimizer


def test_optimizer_slider_equals_the_analytics_and_infeasible_keeps_the_table(
    market, batch, computes
):
    w = OptimizerExplorer()
    w.controls_by_name["max_weight"].value = 0.08
    assert computes[OptimizerExplorer].calls == 2 and w.model.max_weight == 0.08
    cov = market.covariance(window=504)
    mu = annualized_return(market.returns.iloc[-504:])
    current = batch.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    constraints = O.Constraints(
        bounds=(0.0, 0.08),
        groups=[(market.sectors, {s: 0.30 for s in market.sectors.unique()})],
        current_weights=current,
    )
    direct = O.MeanVarianceProblem(mu, cov, constraints).fit().solve(O.Objective.MAX_SHARPE)
    shown = tables(w.weights_html.value)[1].set_index("Instrument")
    for iid, weight in direct.weights.items():
        if abs(weight) > 1e-9:
            assert num(shown.loc[str(iid), "Chosen"]) == pytest.approx(weight, abs=5e-5)
    assert f">{direct.sharpe:,.2f}<" in w.figures_html.value

    good = w.weights_html.value
    w.controls_by_name["max_weight"].value = 0.02  # 20 x 2% < 100%
    assert "infeasible" in w.banner.value and w.weights_html.value == good
    assert w.result.weights.max() <= 0.08 + 1e-9


def test_optimizer_estimator_picked_and_estimators_side_by_side(market, batch, computes):
    """The expected-return list gives the optimizer that estimator's numbers (the market's
    estimate and the same optimization, written here); ticking "Compare estimators" shows
    every estimator's portfolio, each row the direct optimization under that estimator,
    and a heatmap of their weights."""
    w = OptimizerExplorer()
    assert w.result.estimators is None and w.estimators_html not in w.results.children
    w.controls_by_name["return_method"].value = ReturnMethod.EWMA
    assert computes[OptimizerExplorer].calls == 2 and w.model.return_method is ReturnMethod.EWMA
    cov = market.covariance(CovMethod.LEDOIT_WOLF, window=504)
    current = batch.state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    constraints = O.Constraints(
        bounds=(0.0, 0.10),
        groups=[(market.sectors, {s: 0.30 for s in market.sectors.unique()})],
        current_weights=current,
    )

    def direct(mu, cov):
        return O.MeanVarianceProblem(mu, cov, constraints).fit().solve(O.Objective.MAX_SHARPE)

    ewma = direct(market.expected_returns("ewma", window=504, span=500), cov)
    shown = tables(w.weights_html.value)[1].set_index("Instrument")
    for iid, weight in ewma.weights.items():
        if abs(weight) > 1e-9:
            assert num(shown.loc[str(iid), "Chosen"]) == pytest.approx(weight, abs=5e-5)
    assert f">{ewma.sharpe:,.2f}<" in w.figures_html.value
    assert "Exponentially weighted" in w.figures_html.value

    w.controls_by_name["compare_estimators"].value = True
    assert computes[OptimizerExplorer].calls == 3
    assert w.estimators_html in w.results.children
    table = tables(w.estimators_html.value)[0]
    assert len(table) == len(ReturnMethod) + len(CovMethod)
    rows = table.set_index(["Estimator", "Method"])
    assert rows.loc[("Returns", "Exponentially weighted"), "Chosen"] == "\u2713"
    assert rows.loc[("Risk", "Ledoit-Wolf"), "Chosen"] == "\u2713"
    capm = direct(market.expected_returns("capm", window=504, risk_free_rate=0.0), cov)
    semi = market.covariance(CovMethod.SEMICOVARIANCE, window=504)
    semi_ewma = direct(market.expected_returns("ewma", window=504, span=500), semi)
    for key, solved in ((("Returns", "CAPM"), capm), (("Risk", "Semicovariance"), semi_ewma)):
        row = rows.loc[key]
        assert num(row["Expected return"]) == pytest.approx(solved.expected_return, abs=5e-5)
        assert num(row["Volatility"]) == pytest.approx(solved.volatility, abs=5e-5)
        assert num(row["Sharpe"]) == pytest.approx(solved.sharpe, abs=5e-3)
        moved = float((solved.weights - ewma.weights).abs().sum())
        assert num(row["Moved from chosen"]) == pytest.approx(moved, abs=5e-4)
        for iid in table.columns[-HOLDINGS_SHOWN:]:
            assert num(row[iid]) == pytest.approx(solved.weights[iid], abs=5e-4), (key, iid)
    assert list(table.columns[-HOLDINGS_SHOWN:]) == list(
        ewma.weights.sort_values(ascending=False, kind="stable").index[:HOLDINGS_SHOWN]
    )
    heat = next(s for s in chart_sources(w, "estimators") if "zvalues" in s.data)  # the cells
    cells = pd.DataFrame({k: list(heat.data[k]) for k in ("instrument", "estimator", "zvalues")})
    capm_cells = cells[cells["estimator"] == "Expected returns: CAPM"].set_index("instrument")
    assert len(capm_cells) == len(set(cells["instrument"])) > HOLDINGS_SHOWN
    for iid, weight in capm_cells["zvalues"].items():
        assert weight == pytest.approx(capm.weights[iid], abs=1e-12)
    assert "\u25b6 Expected returns: Exponentially weighted" in set(cells["estimator"])
    w.controls_by_name["risk_model"].value = CovMethod.SEMICOVARIANCE
    assert computes[OptimizerExplorer].calls == 4
    assert w.slots["estimators"].last is ChartUpdate.UPDATED  # the same chart, new numbers
    assert w.result.weights.equals(semi_ewma.weights)


def test_optimizer_frontier_click_and_optional_constraints(computes):
    w = OptimizerExplorer()
    chart = next(c for c in walk(w) if type(c).__name__ == "BokehModel")
    from bokeh.models import ColumnDataSource

    source = next(
        s for s in chart._document.select({"type": ColumnDataSource})
        if "point" in s.data and "holdings" in s.data and len(s.data["point"]) == w.model.n_points
    )  # fmt: skip
    # the message BokehJS sends through jupyter_bokeh when the frontier's point 4 is tapped
    tap = {"kind": "ModelChanged", "model": {"id": source.selected.id}, "attr": "indices"}
    chart._sync_model(chart, {"event": "jsevent", **tap, "new": [4]}, [])
    assert w.model.objective == OptimizerObjective.FRONTIER_POINT
    assert w.model.frontier_point == 4 and computes[OptimizerExplorer].calls == 2
    assert w.controls_by_name["frontier_point"].value == 4
    row = w.result.frontier.loc[4, w.result.mu.index]
    assert (w.result.weights.to_numpy() == row.to_numpy()).all()
    w.controls_by_name["sector_cap_on"].value = False
    assert w.model.sector_cap is None
    w.controls_by_name["max_turnover_on"].value = True
    assert w.model.max_turnover == w.controls_by_name["max_turnover"].value
    editor = SimpleNamespace(target_weights={"AAPL": 0.0})
    w.send_to(editor)
    assert editor.target_weights == {**{"AAPL": 0.0}, **w.targets()}


def test_optimizer_targets_sent_to_the_policy_tuner_become_its_decisions():
    from portlab.ui import current_weights, target_request

    optimizer, tuner = OptimizerExplorer(), PolicyTuner(max_position_size=0.08)
    optimizer.send_to(tuner)
    m = tuner.model
    request = target_request(
        optimizer.targets(), current_weights(m.state, m.market), timestamp=m.market.dates[-1]
    )
    policy = portlab.Policy(max_position_size=0.08)
    direct = portlab.Coordinator(policy=policy).coordinate(m.signals, m.state, m.market, [request])
    shown = tuner.result.decisions
    assert shown["instrument_id"].tolist() == direct.decisions["instrument_id"].tolist()
    assert shown["share_quantity"].tolist() == direct.decisions["share_quantity"].tolist()
    with pytest.raises(TypeError, match="takes no targets"):
        optimizer.send_to(object())


def test_the_models_warnings_show_in_amber(market):
    from portlab import Market

    bare = Market(market.prices)  # no sectors: the coordination warns
    w = PolicyTuner(market=bare)
    assert w.model.warnings, "the model should have collected a warning"
    assert "\u26a0" in w.warnings_html.value
    assert all(m.split(":")[0] in w.warnings_html.value for m in w.model.warnings)


def test_a_first_computation_that_fails_shows_the_banner_and_no_result(market):
    from portlab import Market

    w = PolicyTuner(market=Market(market.prices.iloc[-300:, :3]))  # the portfolio's stocks missing
    assert w.result is None and w.model.error
    assert "Not applied" in w.banner.value and "Traceback" not in w.banner.value
    w.controls_by_name["max_position_size"].value = 0.04  # still usable, still the message
    assert w.model.max_position_size == 0.04 and w.result is None


# ----------------------------------------------------------------------------- charts in place


def chart_sources(widget, name):
    """The data sources of the chart ``name`` as bokeh holds them (what the browser shows)."""
    from bokeh.models import ColumnDataSource

    return list(widget.slots[name].plot.state.select({"type": ColumnDataSource}))


def drawn(fig):
    """What a bokeh layout draws, per figure title: ranges, data, spans, labels, ticks, size."""
    from bokeh.models import Label, Plot, Span

    def extent(r):
        return tuple(map(str, getattr(r, "factors", None) or (r.start, r.end)))

    out = {}
    for f in fig.select({"type": Plot}):
        data = sorted(
            (k, tuple(map(str, v)))
            for r in f.renderers
            if hasattr(r, "data_source")
            for k, v in r.data_source.data.items()
        )
        out[f.title.text] = (
            extent(f.x_range),
            extent(f.y_range),
            data,
            sorted((s.location, s.visible) for s in f.renderers if isinstance(s, Span)),
            sorted((x.text, x.x, x.y) for x in f.center if isinstance(x, Label)),
            [str(a.major_label_overrides) for a in (*f.xaxis, *f.yaxis)],
            (f.width, f.height),
        )
    return out


def test_policy_chart_is_updated_in_place_with_the_new_limit():
    w = PolicyTuner()
    before = w.slots["exposures"].widget
    w.controls_by_name["max_position_size"].value = 0.04
    slot = w.slots["exposures"]
    assert slot.widget is before and slot.last is ChartUpdate.UPDATED  # no new BokehModel
    assert any(c is before for c in walk(w.results))
    bars = [s for s in chart_sources(w, "exposures") if "limit" in s.data and "item" in s.data]
    position = [s for s in bars if "AAPL" in list(s.data["item"])]
    assert len(position) == 1
    assert set(position[0].data["limit"]) == {0.04}  # the model's new limit, on every bar
    from bokeh.models import Span

    spans = [s.location for s in slot.plot.state.select({"type": Span})]
    assert 0.04 in spans and 0.05 not in spans


def test_sizing_waterfall_holds_the_new_kelly_step_in_place():
    w = SizingWhatIf(signal_id="sig-003")
    before = w.slots["waterfall"].widget
    w.controls_by_name["kelly_multiplier"].value = 0.5
    assert w.slots["waterfall"].widget is before
    raw = w.result.steps.set_index("step")["size"]["Kelly (raw)"]
    rects = next(s for s in chart_sources(w, "waterfall") if "end" in s.data)
    ends = dict(zip(rects.data["step"], rects.data["end"], strict=True))
    assert ends["Kelly"] == pytest.approx(0.5 * raw, rel=1e-12)  # the multiplier, applied
    assert list(rects.data["end"])[-1] == pytest.approx(w.result.steps["size"].iloc[-1])


def test_optimizer_frontier_in_place_and_a_tap_after_the_update(computes):
    w = OptimizerExplorer()
    before = w.slots["frontier"].widget
    w.controls_by_name["max_weight"].value = 0.08
    assert w.slots["frontier"].widget is before and w.slots["frontier"].last is ChartUpdate.UPDATED
    source = next(s for s in chart_sources(w, "frontier") if "point" in s.data)
    table = w.result.frontier
    assert list(source.data["volatility"]) == pytest.approx(table["volatility"].to_list())
    assert list(source.data["expected_return"]) == pytest.approx(table["expected_return"].to_list())
    # a tap on the updated chart chooses the point of the new frontier
    tap = {"kind": "ModelChanged", "model": {"id": source.selected.id}, "attr": "indices"}
    before._sync_model(before, {"event": "jsevent", **tap, "new": [4]}, [])
    assert w.model.frontier_point == 4
    row = table.loc[4, w.result.mu.index]
    assert (w.result.weights.to_numpy() == row.to_numpy()).all()


@pytest.mark.parametrize(
    ("cls", "start", "change"),
    [
        (PolicyTuner, {}, {"max_sector_exposure": 0.2, "max_position_size": 0.03}),
        (SizingWhatIf, {"signal_id": "sig-003"}, {"signal_id": "sig-001"}),
        (ConflictExplorer, {}, {"resolution": Resolution.NET}),
        (AttributionExplorer, {}, {"grouping": "INSTRUMENT", "linking": A.Linking.GRAP}),
        (OptimizerExplorer, {}, {"objective": OptimizerObjective.HRP, "max_weight": 0.08}),
        (
            OptimizerExplorer,
            {"compare_estimators": True},
            {"risk_model": CovMethod.EWMA, "objective": OptimizerObjective.BLACK_LITTERMAN},
        ),
    ],
)
def test_an_update_in_place_draws_what_a_fresh_render_draws(cls, start, change):
    import holoviews as hv

    w = cls(**start)
    shown = {name: slot.widget for name, slot in w.slots.items()}
    w.model.param.update(**change)
    assert w.model.error is None
    for name, obj in w.chart_objects(w.model, w.result).items():
        slot = w.slots[name]
        assert slot.widget is shown[name], f"{name} was drawn again"
        assert drawn(slot.plot.state) == drawn(hv.render(obj, backend="bokeh")), name


def test_chart_slot_updates_in_place_skips_equal_and_redraws_a_new_structure():
    import holoviews as hv
    from bokeh.models import ColumnDataSource

    slot = ChartSlot()
    first = slot.show(hv.Curve(([0, 1, 2], [1.0, 2.0, 3.0])))
    assert slot.last is ChartUpdate.DRAWN and type(first).__name__ == "BokehModel"
    shown = slot.show(hv.Curve(([0, 1, 2], [5.0, 1.0, 4.0])))
    assert shown is first and slot.last is ChartUpdate.UPDATED
    (source,) = slot.plot.state.select({"type": ColumnDataSource})
    assert list(source.data["y"]) == [5.0, 1.0, 4.0]
    assert slot.plot.state.y_range.end >= 5.0  # framewise: the axis follows the new data
    assert slot.show(hv.Curve(([0, 1, 2], [5.0, 1.0, 4.0]))) is first
    assert slot.last is ChartUpdate.UNCHANGED
    # another kind of element: HoloViews cannot update it in place, the slot draws anew
    other = slot.show(hv.Scatter(([0, 1], [7.0, 8.0])))
    assert other is not first and slot.last is ChartUpdate.DRAWN
    (source,) = slot.plot.state.select({"type": ColumnDataSource})
    assert list(source.data["y"]) == [7.0, 8.0]


def test_chart_slot_falls_back_to_a_new_drawing_when_holoviews_fails(monkeypatch):
    import holoviews as hv
    from bokeh.models import ColumnDataSource

    slot = ChartSlot()
    first = slot.show(hv.Curve(([0, 1], [1.0, 2.0])))

    def broken(self, data):
        raise ValueError("cannot update")

    monkeypatch.setattr(hv.streams.Pipe, "send", broken)
    shown = slot.show(hv.Curve(([0, 1], [3.0, 4.0])))
    assert shown is not first and slot.last is ChartUpdate.DRAWN
    (source,) = slot.plot.state.select({"type": ColumnDataSource})
    assert list(source.data["y"]) == [3.0, 4.0]


def test_a_widget_chart_that_changes_structure_is_redrawn_alone(monkeypatch):
    import holoviews as hv

    w = AttributionExplorer()
    shown = {name: slot.widget for name, slot in w.slots.items()}
    real = AttributionExplorer.chart_objects.__func__

    def linked_as_scatter(cls, model, result):
        charts = real(cls, model, result)
        charts["linked"] = hv.Scatter(([0, 1], [0.0, 1.0]))  # another kind of chart
        return charts

    monkeypatch.setattr(AttributionExplorer, "chart_objects", classmethod(linked_as_scatter))
    w.model.linking = A.Linking.GRAP
    assert w.slots["linked"].widget is not shown["linked"]
    assert w.slots["linked"].last is ChartUpdate.DRAWN
    assert w.slots["waterfall"].widget is shown["waterfall"]
    assert w.slots["linked"].widget in w.results.children  # the new one is on the page


_PAGE = """<html><head>{js}</head><body>{div}<script>
Bokeh.embed.embed_items({docs}, {items});
window.column = (id, name) => Array.from(Bokeh.documents[0].get_model_by_id(id).data[name]);
</script></body></html>"""


@pytest.mark.browser
def test_the_browser_shows_the_numbers_of_an_update_in_place(tmp_path):
    """After a change the same BokehModel carries the updated document whole (its
    ``render_bundle``, which every view, including one created later, draws from), and
    BokehJS drawing that bundle holds the new result's numbers. No patch is sent besides."""
    import json
    from pathlib import Path

    from bokeh.core.json_encoder import serialize_json
    from bokeh.resources import INLINE

    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    w = SizingWhatIf(signal_id="sig-003")  # Kelly multiplier 1: the step is min(raw, cap)
    raw = w.result.steps.set_index("step")["size"]["Kelly (raw)"]
    first = min(w.model.kelly_multiplier * raw, w.model.max_kelly_fraction)
    shown = w.slots["waterfall"].widget
    bundles = [dict(shown.render_bundle)]
    sent = []
    shown.send = lambda content, buffers=None: sent.append((content, buffers))
    w.controls_by_name["kelly_multiplier"].value = 0.5
    assert w.slots["waterfall"].widget is shown and sent == []
    bundles.append(dict(shown.render_bundle))
    (rects,) = [s for s in chart_sources(w, "waterfall") if "end" in s.data]
    ends = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            for k, bundle in enumerate(bundles):
                page = tmp_path / f"chart{k}.html"
                page.write_text(
                    _PAGE.format(
                        js=INLINE.render_js(),
                        div=bundle["div"],
                        docs=serialize_json(bundle["docs_json"]),
                        items=json.dumps(bundle["render_items"]),
                    )
                )
                tab = browser.new_page()
                tab.goto(page.as_uri())
                tab.wait_for_function("window.Bokeh && Bokeh.documents.length > 0", timeout=30_000)
                ends.append(tab.evaluate("([id, c]) => column(id, c)", [rects.id, "end"]))
        finally:
            browser.close()
    assert ends[0][0] == pytest.approx(first, rel=1e-12)
    assert ends[1][0] == pytest.approx(0.5 * raw, rel=1e-12)
    assert ends[1] == pytest.approx([float(x) for x in rects.data["end"]], rel=1e-12)


def test_bokehjs_is_put_into_the_page_once_per_kernel_inline(monkeypatch):
    import bokeh

    import portlab.widgets._bokehjs as bokehjs

    shown: list[dict] = []
    monkeypatch.setattr(bokehjs, "_loaded", False)
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    assert bokehjs.load_bokehjs() is True
    assert bokehjs.load_bokehjs() is False  # once per kernel
    assert bokehjs.load_bokehjs(force=True) is True
    assert len(shown) == 2
    script = shown[0]["application/javascript"]
    assert f"window.Bokeh.version === {bokeh.__version__!r}" in script
    assert ".call(window)" in script
    assert "http://" not in script.split("\n", 1)[0] and "cdn.bokeh.org" not in script
    assert len(script) > 500_000  # BokehJS itself, inline


def test_displaying_a_widget_loads_bokehjs_before_the_widget(monkeypatch):
    import portlab.widgets._base as base

    calls: list[object] = []
    monkeypatch.setattr(base, "load_bokehjs", lambda: calls.append("bokehjs"))
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: calls.append(obj))
    widget = SizingWhatIf()
    widget._ipython_display_()
    assert calls[0] == "bokehjs"
    view = calls[1]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == widget.model_id


def test_every_chart_draws_on_a_canvas_not_webgl():
    from bokeh.models import Plot

    for cls in WIDGETS:
        w = cls()
        for name, slot in w.slots.items():
            figures = list(slot.widget._model.select({"type": Plot}))
            assert figures, (cls.__name__, name)
            assert {f.output_backend for f in figures} == {"canvas"}, (cls.__name__, name)

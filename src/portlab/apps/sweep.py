"""The sweep explorer page: a sweep's metric over two chosen parameters as a heatmap; a click on
a cell opens that scenario, its parameters and metrics, and (run again) its decisions.

Layout and wiring only: the cells and the scenario opened are :class:`portlab.ui.SweepModel`'s
(:mod:`portlab.sweep` calls), the heatmap is :func:`portlab.plots.sweep_heatmap`. Served by
``portlab serve --sweep results.parquet [--sweep-spec spec.yaml]`` at ``/sweep``; the metric,
the axes and the scenario opened are kept in the URL (``?metric=sharpe&x=...&selected=...``).

Elements the browser tests find by CSS class: ``pl-sweep-heatmap`` (the chart),
``pl-sweep-opened`` (the id of the scenario opened), ``pl-sweep-decisions`` (its decisions).

Examples
--------
>>> import pandas as pd
>>> from portlab.apps import SweepPage
>>> results = pd.DataFrame({
...     "scenario": ["a", "b", "c", "d"], "kind": "coordination", "status": "ok", "error": "",
...     "seconds": 0.1, "policy.max_position_size": [0.03, 0.03, 0.05, 0.05],
...     "resolution": ["NET", "HIGHEST_PRIORITY"] * 2, "decisions": [8, 8, 11, 10]})
>>> page = SweepPage(results)       # with (scenarios, inputs) too, a click opens decisions
>>> page.select_scenario("c")        # what a click on that cell does
>>> page.model.result.row["decisions"], page.view.title
(np.int64(11), 'portlab sweep explorer')
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
import param

from portlab import plots
from portlab.apps.design import Page, title_bar
from portlab.apps.figures import kpi, kpi_html, kpi_row
from portlab.apps.session import served
from portlab.apps.tables import Fmt, empty_grid, table
from portlab.ui import SweepModel, SweepOutcome
from portlab.ui.editor import decision_rows, rejection_rows
from portlab.ui.sweep import FRACTION_METRICS, MONEY_METRICS

__all__ = ["SweepPage", "sweep_explorer"]

TITLE = "portlab sweep explorer"


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if name in FRACTION_METRICS:
        return Fmt.PCT.text(value)
    if name in MONEY_METRICS:
        return Fmt.MONEY.text(value)
    if isinstance(value, int | np.integer):
        return f"{value:,d}"
    return Fmt.NUM.text(value)


class SweepPage:
    """The sweep explorer's page over one :class:`~portlab.ui.SweepModel` (one per session).

    Parameters
    ----------
    results : DataFrame
        A sweep's results.
    sweep : Sweep or (scenarios, inputs), optional
        The sweep that made them, to open a scenario's decisions.
    **settings
        The model's (``metric=``, ``x=``, ``y=``, ``where=``, ``selected=``).

    Attributes
    ----------
    model : SweepModel
    view : Page
    """

    def __init__(self, results: pd.DataFrame, sweep: Any = None, **settings: Any) -> None:
        self.model = SweepModel(results=results, sweep=sweep, **settings)
        m = self.model
        self.metric = pn.widgets.Select(
            name="Metric", options=m.param.metric.objects, value=m.metric
        )
        self.x = pn.widgets.Select(label="Across", options=m.param.x.objects, value=m.x)
        self.y = pn.widgets.Select(label="Down", options=m.param.y.objects, value=m.y)
        self.held = pn.Column(sizing_mode="stretch_width")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False)
        self.headline = kpi_row([])
        self.heatmap = pn.pane.Bokeh(css_classes=["pl-sweep-heatmap"])
        self.scenario = pn.Column(sizing_mode="stretch_width")
        # the grids are made now (empty) so that the page loads Tabulator's script with it
        numbers = {"shares": "right", "amount": "right"}  # formatted text (decision_rows)
        self.decisions = empty_grid(
            DECISION_TITLES,
            page_size=15,
            css_classes=["pl-sweep-decisions"],
            text_align=numbers,
        )
        self.rejections = empty_grid(
            REJECTION_TITLES, page_size=15, css_classes=["pl-sweep-rejections"]
        )
        self.opened_note = pn.pane.Markdown("", visible=False)
        for name in ("metric", "x", "y"):
            getattr(self, name).param.watch(self._to_model(name), "value")
        m.param.watch(self._from_model, ["metric", "x", "y"])
        m.param.watch(lambda _: self._refresh(), ["result", "error"])
        self.view = self._page()
        self._refresh()
        self._sync_url()

    def __panel__(self) -> Page:
        return self.view

    def _to_model(self, name: str) -> Any:
        def push(event: param.parameterized.Event) -> None:
            if event.new != getattr(self.model, name):
                setattr(self.model, name, event.new)

        return push

    def _from_model(self, event: param.parameterized.Event) -> None:
        widget = getattr(self, event.name)
        if widget.value != event.new:
            widget.value = event.new

    def select_scenario(self, scenario_id: str) -> None:
        """Open the scenario ``scenario_id`` (what a click on its cell does)."""
        self.model.selected = scenario_id

    # -- drawing --------------------------------------------------------------------------------

    def _page(self) -> Page:
        sidebar = [
            pn.pane.Markdown("### Heatmap"),
            self.metric,
            self.x,
            self.y,
            pn.pane.Markdown("### Other parameters at"),
            self.held,
        ]
        body = pn.Column(
            self.error,
            self.headline,
            self.heatmap,
            pn.pane.Markdown("### Scenario opened"),
            self.scenario,
            pn.pane.Markdown("### Its decisions (the scenario run again)"),
            self.opened_note,
            self.decisions,
            pn.pane.Markdown("### Its rejections"),
            self.rejections,
            sizing_mode="stretch_width",
        )
        return Page(
            notebook_view=pn.Column(
                title_bar(TITLE),
                pn.Row(pn.Column(*sidebar, width=320), body, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            title=TITLE,
            sidebar=sidebar,
            main=[body],
            sidebar_width=320,
            theme_toggle=True,
        )

    def _refresh(self) -> None:
        m = self.model
        self.error.object = m.error or ""
        self.error.visible = bool(m.error)
        result: SweepOutcome | None = m.result
        if result is None:
            return
        self._held_widgets(result)
        failed = int((m.results["status"] != "ok").sum())
        opened = html.escape(m.selected or "click a cell")
        self.headline.object = kpi_html(
            [
                kpi("Scenarios", f"{len(m.results):,d}"),
                kpi("Failed", f"{failed:,d}"),
                kpi("Shown", f"{len(result.cells):,d}"),
                kpi("Opened", opened, "pl-sweep-opened"),
            ]
        )
        self.heatmap.object = self._figure(result)
        self.scenario.objects = self._scenario(result)
        self._decisions(result)

    def _held_widgets(self, result: SweepOutcome) -> None:
        if [w.label for w in self.held.objects] == list(result.where):
            for widget in self.held.objects:
                widget.value = result.where[widget.label]
            return
        widgets = []
        for name, value in result.where.items():
            choices = self.model.choices(name)
            widget = pn.widgets.Select(
                label=name, options={str(c): c for c in choices}, value=value
            )

            def held(event: param.parameterized.Event, name: str = name) -> None:
                if event.new != self.model.where.get(name):
                    self.model.where = {**self.model.where, name: event.new}

            widget.param.watch(held, "value")
            widgets.append(widget)
        self.held.objects = widgets

    def _figure(self, result: SweepOutcome) -> Any:
        """The heatmap's bokeh figure, its cells' taps wired to :meth:`select_scenario`."""
        m = self.model
        chart = plots.sweep_heatmap(
            result.cells, m.x, m.y, m.metric, selected=m.selected, **m.metric_style()
        )
        figure = plots.to_bokeh(chart)
        plots.on_scenario_tap(figure, self.select_scenario)
        return figure

    def _scenario(self, result: SweepOutcome) -> list[Any]:
        from portlab.sweep import metric_columns, parameter_columns

        if result.row is None:
            return [pn.pane.Markdown("*Click a cell of the heatmap to open its scenario.*")]
        names = [*parameter_columns(self.model.results), *metric_columns(self.model.results)]
        frame = pd.DataFrame(
            {"Value": [_value_text(n, result.row[n]) for n in names]}, index=pd.Index(names)
        )
        out: list[Any] = [table(frame)]
        if result.note:
            out.append(pn.pane.Alert(result.note, alert_type="warning"))
        return out

    def _decisions(self, result: SweepOutcome) -> None:
        """The opened scenario's decisions and rejections (a coordination or a backtest)."""
        outcome = result.outcome
        decisions = getattr(outcome, "decisions", None)
        rejections = getattr(outcome, "rejections", None)
        shown = isinstance(decisions, pd.DataFrame)
        self.decisions.value = pd.DataFrame(
            decision_rows(decisions) if shown else [], columns=list(DECISION_TITLES)
        )
        self.rejections.value = pd.DataFrame(
            rejection_rows(rejections) if isinstance(rejections, pd.DataFrame) else [],
            columns=list(REJECTION_TITLES),
        )
        note = ""
        if outcome is None and result.row is None:
            note = "*Click a cell of the heatmap to open its scenario.*"
        elif not shown and outcome is not None:
            note = f"Opened: `{outcome}`"
        self.opened_note.object = note
        self.opened_note.visible = bool(note)

    def _sync_url(self) -> None:
        """Keep the metric, the axes and the scenario opened in the URL of a served page."""
        location = pn.state.location
        if location is None or not served():
            return
        location.sync(self.model, {n: n for n in ("metric", "x", "y", "selected")})


#: the columns of the decisions and rejections grids (:func:`portlab.ui.decision_rows`'s)
DECISION_TITLES = {"instrument": "Instrument", "action": "Action", "shares": "Shares",
                   "amount": "Amount", "reasoning": "Reasoning"}  # fmt: skip
REJECTION_TITLES = {"instrument": "Instrument", "reason": "Reason"}


def sweep_explorer(results: pd.DataFrame, sweep: Any = None, **settings: Any) -> Page:
    """The sweep explorer's page (``SweepPage(...).view``): serve it, or display it in a
    notebook cell after ``pn.extension("tabulator")``. Parameters as :class:`SweepPage`'s."""
    return SweepPage(results, sweep, **settings).view

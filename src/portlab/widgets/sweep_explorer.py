"""The sweep explorer: a sweep's metric as a heatmap over two chosen parameters; a click on a
cell opens that scenario (its parameters and metrics, and, run again, its decisions).

Examples
--------
>>> import pandas as pd
>>> from portlab.widgets import SweepExplorer
>>> results = pd.DataFrame({
...     "scenario": ["a", "b", "c", "d"], "kind": "coordination", "status": "ok", "error": "",
...     "seconds": 0.1, "policy.max_position_size": [0.03, 0.03, 0.05, 0.05],
...     "resolution": ["NET", "HIGHEST_PRIORITY"] * 2, "decisions": [8, 8, 11, 10],
...     "capital_deployed": [1.9e5, 1.9e5, 3.1e5, 2.9e5]})
>>> explorer = SweepExplorer(results)
>>> explorer.model.x, explorer.model.y, explorer.model.metric
('policy.max_position_size', 'resolution', 'capital_deployed')
>>> explorer.select_scenario("c")                     # as a click on that cell
>>> explorer.model.result.row["decisions"]
np.int64(11)
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as ipw
import numpy as np
import pandas as pd

from portlab.plots import on_scenario_tap, sweep_heatmap
from portlab.ui import SweepModel, SweepOutcome
from portlab.ui.editor import decision_rows, rejection_rows
from portlab.ui.sweep import FRACTION_METRICS, MONEY_METRICS
from portlab.widgets._base import ChartUpdate, WorkbenchWidget, bind, dropdown, headline_html
from portlab.widgets._format import money, number, pct, table_html, text

__all__ = ["SweepExplorer"]


def metric_text(name: str, value: Any) -> str:
    """A metric's value as people read it (percent, dollars or a number)."""
    if name in FRACTION_METRICS:
        return pct(value)
    if name in MONEY_METRICS:
        return money(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return f"{value:,d}"
    return number(value)


class SweepExplorer(WorkbenchWidget):
    """Sweep explorer: the metric and the two parameters of the heatmap, the values the other
    parameters are held at; the heatmap (a click on a cell opens that scenario) and the
    scenario opened.

    Parameters
    ----------
    results : DataFrame
        A sweep's results (:func:`portlab.sweep.run`, :func:`portlab.sweep.read_results`).
    sweep : Sweep or (scenarios, inputs), optional
        The sweep that made them (:func:`portlab.sweep.load_spec`), to open a scenario's
        decisions.
    **settings
        ``metric=``, ``x=``, ``y=``, ``where=``, ``selected=``.

    Attributes
    ----------
    model : SweepModel
    result : SweepOutcome
    summary_html, scenario_html, decisions_html : ipywidgets.HTML
    """

    TITLE = "Sweep explorer"
    MODEL = SweepModel
    OUTPUTS = ("summary_html", "scenario_html", "decisions_html")

    def __init__(self, results: pd.DataFrame, sweep: Any = None, **settings: Any) -> None:
        self._held = ipw.VBox()
        super().__init__(results=results, sweep=sweep, **settings)

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model
        return [
            bind(self, dropdown(m, "metric", "Metric"), "metric"),
            bind(self, dropdown(m, "x", "Across"), "x"),
            bind(self, dropdown(m, "y", "Down"), "y"),
            ipw.HTML("<div style='margin-top:8px;font-size:12px'>Other parameters at</div>"),
            self._held,
        ]

    def _held_controls(self) -> list[ipw.Widget]:
        """A dropdown per other varying parameter (rebuilt when the axes change)."""
        controls = []
        for name, value in self.model.where.items():
            control = ipw.Dropdown(
                options=[(str(v), v) for v in self.model.choices(name)],
                value=value,
                description=name,
                style={"description_width": "initial"},
                layout=ipw.Layout(width="100%"),
            )

            def held(change: dict[str, Any], name: str = name) -> None:
                if change["new"] != self.model.where.get(name):
                    self.set_setting("where", {**self.model.where, name: change["new"]})

            control.observe(held, names="value")
            controls.append(control)
        return controls

    def select_scenario(self, scenario_id: str) -> None:
        """Open the scenario ``scenario_id`` (what a click on its cell does)."""
        self.set_setting("selected", scenario_id)

    # -- results --------------------------------------------------------------------------------

    @classmethod
    def chart_objects(cls, model: SweepModel, result: SweepOutcome) -> dict[str, Any]:
        """``{"heatmap": Overlay}``: the metric over the two parameters, the opened scenario
        outlined."""
        return {
            "heatmap": sweep_heatmap(
                result.cells,
                model.x,
                model.y,
                model.metric,
                selected=model.selected,
                **model.metric_style(),
            )
        }

    def _heatmap(self, result: SweepOutcome) -> ipw.Widget:
        shown = self.chart("heatmap", self.chart_objects(self.model, result)["heatmap"])
        slot = self.slots["heatmap"]
        if slot.last is ChartUpdate.DRAWN:  # a new bokeh document: wire its taps once
            on_scenario_tap(slot.plot.state, self.select_scenario)
        return shown

    def _render(self, result: SweepOutcome) -> list[ipw.Widget]:
        m = self.model
        held = list(self._held.children)
        if [c.description for c in held] != list(result.where):
            self._held.children = self._held_controls()
        results = m.results
        failed = int((results["status"] != "ok").sum())
        self.summary_html.value = headline_html(
            [
                ("scenarios", f"{len(results):,d}"),
                ("failed", f"{failed:,d}"),
                ("shown", f"{len(result.cells):,d}"),
                ("opened", m.selected or "click a cell"),
            ]
        )
        self.scenario_html.value = self._scenario(result)
        self.decisions_html.value = self._decisions(result)
        return [self.summary_html, self._heatmap(result), self.scenario_html, self.decisions_html]

    def _scenario(self, result: SweepOutcome) -> str:
        """The opened scenario's parameters and metrics."""
        from portlab.sweep import metric_columns, parameter_columns

        if result.row is None:
            return ""
        row = result.row
        names = [*parameter_columns(self.model.results), *metric_columns(self.model.results)]
        table = pd.DataFrame(
            {
                "": names,
                "Value": [metric_text(n, row[n]) for n in names],
            }
        )
        note = (
            f"<div style='color:#8a6d3b;font-size:12px'>{html.escape(result.note)}</div>"
            if result.note
            else ""
        )
        return table_html(table, caption=f"Scenario {row['scenario']}") + note

    def _decisions(self, result: SweepOutcome) -> str:
        """The opened scenario's decisions and rejections (a coordination or a backtest)."""
        outcome = result.outcome
        decisions = getattr(outcome, "decisions", None)
        if not isinstance(decisions, pd.DataFrame):
            return "" if outcome is None else f"<div>Opened: {html.escape(str(outcome))}</div>"
        rows = pd.DataFrame(decision_rows(decisions))
        rows = rows.drop(columns=["reasoning"], errors="ignore").rename(columns=str.capitalize)
        out = table_html(rows, caption=f"Decisions ({len(decisions):,d})", max_rows=30)
        rejections = getattr(outcome, "rejections", None)
        if isinstance(rejections, pd.DataFrame) and len(rejections):
            shown = pd.DataFrame(rejection_rows(rejections)).rename(columns=str.capitalize)
            shown["Reason"] = [text(r) for r in shown["Reason"]]
            out += table_html(shown, caption=f"Rejections ({len(rejections):,d})", max_rows=30)
        return out

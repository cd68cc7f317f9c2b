"""The optimizer explorer: objective, estimators, caps, turnover and costs; the efficient
frontier with the current and the chosen portfolios; a click on a frontier point chooses it;
the chosen objective's portfolio under each estimator, side by side.

Examples
--------
>>> from portlab.widgets import OptimizerExplorer
>>> explorer = OptimizerExplorer()                        # max Sharpe, 10% cap, 30% sectors
>>> explorer.controls_by_name["max_weight"].value = 0.08
>>> bool(explorer.result.weights.max() <= 0.08 + 1e-9)
True
>>> explorer.select_point(0)                              # as a click on the frontier's first point
>>> explorer.model.objective, explorer.model.frontier_point
(<OptimizerObjective.FRONTIER_POINT: 'FRONTIER_POINT'>, 0)
>>> explorer.controls_by_name["return_method"].value = ReturnMethod.CAPM
>>> explorer.controls_by_name["compare_estimators"].value = True
>>> explorer.result.mu.name, len(explorer.result.estimators.figures)
('capm', 13)
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as ipw
import pandas as pd

from portlab.analytics.estimators import ReturnMethod
from portlab.market import CovMethod
from portlab.plots import estimator_weights, frontier
from portlab.ui import OptimizerModel, OptimizerObjective, OptimizerOutcome
from portlab.ui.estimators import EstimatorEffect, estimator_label
from portlab.widgets._base import (
    ChartUpdate,
    WorkbenchWidget,
    bind,
    checkbox,
    dropdown,
    headline_html,
    slider,
)
from portlab.widgets._format import number, pct, pct2, signed_pct, table_html, text

__all__ = ["ESTIMATORS_CAPTION", "OptimizerExplorer", "estimators_html"]

#: the caption of the estimators' table (what a page reads it by)
ESTIMATORS_CAPTION = "Estimators side by side"
#: holdings of the chosen portfolio given a column in the estimators' table (the heatmap
#: below it shows every weight)
HOLDINGS_SHOWN = 3

_LABELS = {
    OptimizerObjective.MAX_SHARPE: "max Sharpe",
    OptimizerObjective.MIN_VOLATILITY: "min volatility",
    OptimizerObjective.TARGET_RETURN: "target return",
    OptimizerObjective.TARGET_RISK: "target risk",
    OptimizerObjective.RISK_PARITY: "risk parity",
    OptimizerObjective.HRP: "HRP",
    OptimizerObjective.BLACK_LITTERMAN: "Black-Litterman (signals' views)",
    OptimizerObjective.FRONTIER_POINT: "a frontier point",
}
_TABLE_FORMATS = {
    "Estimator": text,
    "Method": text,
    "Chosen": text,
    "Expected return": pct2,
    "Volatility": pct2,
    "Sharpe": number,
    "Turnover": pct,
    "Moved from chosen": pct,
}
_FIGURES = {
    "expected_return": ("Expected return", pct2),
    "volatility": ("Volatility", pct2),
    "sharpe": ("Sharpe", number),
    "turnover": ("Turnover", pct),
    "cost": ("Cost", pct2),
}


def estimators_html(effect: EstimatorEffect, objective: str = "") -> str:
    """:attr:`OptimizerOutcome.estimators <portlab.ui.OptimizerOutcome>` as a table: the
    objective's portfolio under each estimator (:meth:`EstimatorEffect.table
    <portlab.ui.estimators.EstimatorEffect.table>` without the turnover from the current
    portfolio, to fit a results column), its figures under that estimator's own estimates,
    how far it moved from the chosen portfolio, and the chosen portfolio's largest
    holdings; then the comparison's notes."""
    table = effect.table(HOLDINGS_SHOWN).drop(columns="Turnover")
    holdings = [c for c in table.columns if c not in _TABLE_FORMATS and c != "Note"]
    formats = {**_TABLE_FORMATS, **dict.fromkeys(holdings, pct)}
    what = f" ({objective}; each under its own estimates)" if objective else ""
    notes = "".join(
        f"<div style='font-size:11px;opacity:0.75'>{html.escape(n)}</div>" for n in effect.notes
    )
    return table_html(table, formats, caption=ESTIMATORS_CAPTION + what) + notes


class OptimizerExplorer(WorkbenchWidget):
    """Optimizer explorer: objective (max Sharpe, min volatility, target return or risk, risk
    parity, HRP, Black-Litterman with views from the signals, a frontier point), the
    expected-return and risk-model estimators, the weight and sector caps, the turnover limit
    and costs; the frontier with the current and chosen portfolios, the chosen weights and
    their figures and, with "Compare estimators" ticked, the objective's portfolio under each
    estimator side by side (a table and a heatmap of the weights).

    Parameters
    ----------
    market, state, signals, coordinator : optional
        Passed to :class:`~portlab.ui.OptimizerModel` (default: the bundled sample; the
        signals give Black-Litterman's views).
    **settings
        Starting values of the model's settings.

    Attributes
    ----------
    model : OptimizerModel
    result : OptimizerOutcome
    figures_html, weights_html, notes_html, estimators_html : ipywidgets.HTML
        ``estimators_html``: with "Compare estimators" ticked, :func:`estimators_html`.
    """

    TITLE = "Optimizer explorer"

    MODEL = OptimizerModel
    OUTPUTS = (
        "figures_html",
        "weights_html",
        "notes_html",
        "estimators_html",
    )

    # -- controls -------------------------------------------------------------------------------

    def _optional(self, name: str, label: str, on_label: str, fmt: str) -> list[ipw.Widget]:
        """A slider for an optional number and a checkbox switching it on (None when off)."""
        m = self.model
        value = getattr(m, name)
        control = slider(m, name, label, readout_format=fmt)
        if value is None:
            control.value = control.min + (control.max - control.min) / 2
        bind(self, control, name, to_control=lambda v: v)
        switch = checkbox(m, name, on_label)
        switch.value = value is not None

        def toggled(change: dict[str, Any]) -> None:
            if not self._syncing:
                self.set_setting(name, control.value if change["new"] else None)

        def pulled(event: Any) -> None:
            self._syncing = True
            try:
                switch.value = event.new is not None
            finally:
                self._syncing = False

        switch.observe(toggled, names="value")
        m.param.watch(pulled, [name])
        self.controls_by_name[f"{name}_on"] = switch
        return [switch, control]

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model
        objectives = [(_LABELS.get(o, str(o)), o) for o in m.param["objective"].objects]
        point = ipw.IntSlider(
            value=m.frontier_point or 0,
            min=0,
            max=max(0, m.n_points - 1),
            description="Frontier point",
            continuous_update=False,
            style={"description_width": "150px"},
            layout=ipw.Layout(width="300px"),
        )
        point.observe(lambda c: None if self._syncing else self.select_point(c["new"]), "value")
        self.controls_by_name["frontier_point"] = point

        def sync_point(event: Any) -> None:
            self._syncing = True
            try:
                point.max = max(0, self.model.n_points - 1)
                if self.model.frontier_point is not None:
                    point.value = self.model.frontier_point
            finally:
                self._syncing = False

        m.param.watch(sync_point, ["frontier_point", "n_points"])
        return [
            bind(self, dropdown(m, "objective", "Objective", objectives), "objective"),
            bind(self, slider(m, "target_return", "Target return"), "target_return"),
            bind(self, slider(m, "target_risk", "Target risk"), "target_risk"),
            point,
            ipw.HTML("<i>Estimators</i>"),
            bind(self, dropdown(m, "return_method", "Expected returns",
                                [(estimator_label(x), x) for x in ReturnMethod], stacked=True),
                 "return_method"),
            bind(self, slider(m, "span", "EWMA span (days)", integer=True), "span"),
            bind(self, dropdown(m, "risk_model", "Risk model",
                                [(estimator_label(x), x) for x in CovMethod], stacked=True),
                 "risk_model"),
            bind(self, slider(m, "halflife", "EWMA half-life (days)", integer=True),
                 "halflife"),
            bind(self, checkbox(m, "compare_estimators", "Compare estimators"),
                 "compare_estimators"),
            ipw.HTML("<i>Constraints</i>"),
            bind(self, slider(m, "max_weight", "Max weight"), "max_weight"),
            *self._optional("sector_cap", "Sector cap", "cap sectors", ".0%"),
            *self._optional("max_turnover", "Max turnover", "limit turnover", ".0%"),
            bind(self, slider(m, "transaction_costs", "Costs", readout_format=".2%"),
                 "transaction_costs"),
            bind(self, slider(m, "risk_free_rate", "Risk-free rate", readout_format=".2%"),
                 "risk_free_rate"),
            bind(self, slider(m, "lookback", "Lookback (days)", integer=True, step=21),
                 "lookback"),
            bind(self, slider(m, "n_points", "Frontier points", integer=True,
                              bounds=(5, 100), step=1), "n_points"),
        ]  # fmt: skip

    # -- actions --------------------------------------------------------------------------------

    def select_point(self, point: int) -> None:
        """Choose the frontier's point ``point`` (what a click on the frontier does): one
        recomputation with the objective FRONTIER_POINT."""
        try:
            self.model.set(objective=OptimizerObjective.FRONTIER_POINT, frontier_point=int(point))
        except ValueError as err:
            self.show_error(" ".join(str(err).split()))

    def targets(self) -> dict[str, float]:
        """The chosen weights as targets ``{instrument: weight}`` (fractions of NAV)."""
        return {str(k): float(v) for k, v in self.result.weights.items()}

    def send_to(self, target: Any) -> None:
        """Send the chosen weights as targets: to an allocation editor (any widget with a
        ``target_weights`` mapping) or to a policy tuner (any widget whose model has
        ``set_targets``, :meth:`portlab.ui.PolicyModel.set_targets`). Either way the engine
        turns the move from the current weights into decisions, under the target's policy.

        Raises
        ------
        TypeError
            ``target`` takes no targets.
        """
        model = getattr(target, "model", None)
        if hasattr(model, "set_targets"):
            model.set_targets(self.targets())
        elif hasattr(target, "target_weights"):
            target.target_weights = {**dict(target.target_weights), **self.targets()}
        else:
            raise TypeError(
                f"send_to: a {type(target).__name__} takes no targets; give an "
                "AllocationEditor or a PolicyTuner"
            )

    # -- results --------------------------------------------------------------------------------

    @classmethod
    def chart_objects(cls, model: OptimizerModel, result: OptimizerOutcome) -> dict[str, Any]:
        """``{"frontier": Overlay}``: the frontier (a tap on a point chooses it) with the
        current and chosen portfolios."""
        import holoviews as hv

        chart = frontier(
            result.frontier, current=result.current_point, chosen=result.chosen_point
        ).opts(hv.opts.Scatter("Frontier", tools=["hover", "tap"]), clone=True)
        charts = {"frontier": chart}
        effect = result.estimators
        if effect is not None:
            charts["estimators"] = estimator_weights(
                effect.labelled_weights(),
                chosen=effect.chosen_label(),
                objective=_LABELS.get(result.objective, str(result.objective)),
            )
        return charts

    def _frontier_chart(self, chart: Any) -> ipw.Widget:
        shown = self.chart("frontier", chart)
        slot = self.slots["frontier"]
        if slot.last is ChartUpdate.DRAWN:  # a new bokeh document: wire its taps once
            self._wire_clicks(slot)
        return shown

    def _wire_clicks(self, slot: Any) -> None:
        """A tap on a frontier point (its data source's selection) chooses that point.

        The data source stays the same while the chart is updated in place, so the point
        tapped is read from its data at the time of the tap.
        """
        from bokeh.models import ColumnDataSource

        for source in slot.plot.state.select({"type": ColumnDataSource}):
            if "point" in source.data and "holdings" in source.data:

                def clicked(attr: str, old: Any, new: Any, source: Any = source) -> None:
                    points = source.data["point"]
                    if new and new[0] < len(points):
                        self.select_point(int(points[new[0]]))

                source.selected.on_change("indices", clicked)

    def _render(self, result: OptimizerOutcome) -> list[ipw.Widget]:
        f, c = result.figures, result.current
        objective = _LABELS.get(result.objective, str(result.objective))
        returns = (
            "signals' posterior"
            if result.objective is OptimizerObjective.BLACK_LITTERMAN
            else estimator_label(ReturnMethod(self.model.return_method))
        )
        self.figures_html.value = headline_html(
            [
                ("Sharpe", number(f["sharpe"])),
                ("expected return", pct2(f["expected_return"])),
                ("volatility", pct2(f["volatility"])),
                ("turnover", pct(f["turnover"])),
                ("objective", objective),
            ]
        ) + (
            "<div style='font-size:12px;margin:-4px 0 6px'>Expected returns: "
            f"<b>{html.escape(returns)}</b> · risk model: "
            f"<b>{html.escape(estimator_label(CovMethod(self.model.risk_model)))}</b> · "
            f"lookback {self.model.lookback} days</div>"
        )
        figures = pd.DataFrame(
            {
                "Figure": [label for label, _ in _FIGURES.values()],
                "Chosen": [fmt(f[k]) for k, (_, fmt) in _FIGURES.items()],
                "Current": [fmt(c[k]) for k, (_, fmt) in _FIGURES.items()],
            }
        )
        weights = pd.DataFrame(
            {"current": result.current_weights, "chosen": result.weights}
        ).fillna(0.0)
        weights = weights[(weights.abs() > 1e-9).any(axis=1)]
        weights = weights.sort_values("chosen", ascending=False, kind="stable")
        table = pd.DataFrame(
            {
                "Instrument": [str(i) for i in weights.index],
                "Current": weights["current"].to_numpy(),
                "Chosen": weights["chosen"].to_numpy(),
                "Change": (weights["chosen"] - weights["current"]).to_numpy(),
            }
        )
        self.weights_html.value = table_html(
            figures, caption="Chosen and current portfolio"
        ) + table_html(
            table,
            {"Current": pct2, "Chosen": pct2, "Change": signed_pct},
            caption="Weights (% of NAV)",
        )
        self.notes_html.value = "".join(
            f"<div style='font-size:11px;opacity:0.75'>{html.escape(n)}</div>" for n in result.notes
        )
        charts = self.chart_objects(self.model, result)
        sections = [
            self.figures_html,
            self._frontier_chart(charts["frontier"]),
            self.notes_html,
            self.weights_html,
        ]
        effect = result.estimators
        self.estimators_html.value = "" if effect is None else estimators_html(effect, objective)
        if effect is not None:
            sections += [self.estimators_html, self.chart("estimators", charts["estimators"])]
        return sections

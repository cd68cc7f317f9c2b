"""The attribution explorer: Brinson attribution over a period, by sector or instrument,
BHB or Brinson-Fachler, linked by Cariño, Menchero or GRAP; and the factor attribution.

Examples
--------
>>> from portlab.widgets import AttributionExplorer
>>> explorer = AttributionExplorer()
>>> explorer.controls_by_name["grouping"].value = "INSTRUMENT"
>>> "AAPL" in explorer.result.by_group.index
True
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as ipw
import pandas as pd

from portlab.analytics.attribution import BrinsonMethod, Linking
from portlab.plots import attribution_waterfall, brinson_effects, linked_effects
from portlab.ui import AttributionModel, AttributionOutcome
from portlab.widgets._base import WorkbenchWidget, bind, dropdown, headline_html
from portlab.widgets._format import bp, number, pct2, signed_pct, table_html

__all__ = ["AttributionExplorer", "to_date", "to_timestamp"]

_METHOD_LABELS = {BrinsonMethod.BRINSON_FACHLER: "Brinson-Fachler", BrinsonMethod.BHB: "BHB"}
_LINKING_LABELS = {Linking.CARINO: "Cariño", Linking.MENCHERO: "Menchero", Linking.GRAP: "GRAP"}


def to_date(value: Any) -> dt.date | None:
    """A period bound as a date picker shows it."""
    return None if value is None else pd.Timestamp(value).date()


def to_timestamp(value: dt.date | None) -> pd.Timestamp:
    """A date picked as the model's period bound.

    Raises
    ------
    ValueError
        No date picked.
    """
    if value is None:
        raise ValueError("no date")
    return pd.Timestamp(value)


class AttributionExplorer(WorkbenchWidget):
    """Attribution explorer: period, grouping, Brinson method and linking; effects by group,
    the attribution waterfall, linked effects over time and the factor attribution.

    Parameters
    ----------
    market, state, coordinator : optional
        Passed to :class:`~portlab.ui.AttributionModel` (default: the bundled sample; the
        portfolio is the state's weights held over the period, the benchmark equal weights).
    portfolio_weights, benchmark_weights : Series or DataFrame, optional
        Replace the default portfolio and benchmark.
    signals, rebalance_requests : optional
        Accepted for symmetry with the other widgets (attribution does not use them).
    **settings
        ``start=``, ``end=``, ``grouping=``, ``method=``, ``linking=``.

    Attributes
    ----------
    model : AttributionModel
    result : AttributionOutcome
    totals_html, groups_html, factors_html, notes_html : ipywidgets.HTML
    """

    TITLE = "Attribution explorer"

    MODEL = AttributionModel
    OUTPUTS = (
        "totals_html",
        "groups_html",
        "factors_html",
        "notes_html",
    )

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model

        def picker(name: str, label: str) -> ipw.Widget:
            box = ipw.DatePicker(
                value=to_date(getattr(m, name)),
                description=label,
                style={"description_width": "150px"},
                layout=ipw.Layout(width="300px"),
            )
            return bind(self, box, name, to_model=to_timestamp, to_control=to_date)

        linkings = [(_LINKING_LABELS.get(x, str(x)), x) for x in m.param["linking"].objects]
        methods = [(_METHOD_LABELS.get(x, str(x)), x) for x in m.param["method"].objects]
        return [
            picker("start", "From"),
            picker("end", "To"),
            bind(self, dropdown(m, "grouping", "Groups"), "grouping"),
            bind(self, dropdown(m, "method", "Method", methods), "method"),
            bind(self, dropdown(m, "linking", "Linking", linkings), "linking"),
        ]

    def _render(self, result: AttributionOutcome) -> list[ipw.Widget]:
        t = result.totals
        self.totals_html.value = headline_html(
            [
                ("active return", bp(t["active_return"])),
                ("portfolio return", signed_pct(t["portfolio_return"])),
                ("benchmark return", signed_pct(t["benchmark_return"])),
                ("allocation", bp(t["allocation"])),
                ("selection", bp(t["selection"])),
                ("interaction", bp(t["interaction"])),
            ]
        )
        g = result.by_group
        table = pd.DataFrame(
            {
                "Group": [str(i) for i in g.index],
                "Allocation": g["allocation"].to_numpy(),
                "Selection": g["selection"].to_numpy(),
                "Interaction": g["interaction"].to_numpy(),
                "Total": g["total"].to_numpy(),
            }
        )
        self.groups_html.value = table_html(
            table,
            {c: signed_pct for c in ("Allocation", "Selection", "Interaction", "Total")},
            caption="Effects by group (linked over the period, % of portfolio value)",
        )
        f = result.factors
        if f is None:
            self.factors_html.value = ""
        else:
            self.factors_html.value = table_html(
                pd.DataFrame(
                    {
                        "Factor": [str(i) for i in f.exposures.index],
                        "Exposure (β)": f.exposures.to_numpy(),
                        "Contribution": f.total_contributions.reindex(f.exposures.index).to_numpy(),
                        "Share of variance": f.factor_risk.reindex(f.exposures.index).to_numpy(),
                    }
                ),
                {"Exposure (β)": number, "Contribution": signed_pct, "Share of variance": pct2},
                caption=(
                    f"Factor attribution: alpha {signed_pct(f.alpha_annualized)} a year, "
                    f"R² {number(f.r_squared)}, {f.n_obs} days"
                ),
            )
        self.notes_html.value = "".join(
            f"<div style='font-size:11px;opacity:0.75'>{html.escape(n)}</div>" for n in result.notes
        )
        charts = self.chart_objects(self.model, result)
        return [
            self.totals_html,
            self.chart("waterfall", charts["waterfall"]),
            self.groups_html,
            self.chart("effects", charts["effects"]),
            self.chart("linked", charts["linked"]),
            self.factors_html,
            self.notes_html,
        ]

    @classmethod
    def chart_objects(cls, model: AttributionModel, result: AttributionOutcome) -> dict[str, Any]:
        """``{"waterfall", "effects", "linked"}``: the attribution waterfall, the effects by
        group and the linked effects over time."""
        b = result.brinson
        return {
            "waterfall": attribution_waterfall(b),
            "effects": brinson_effects(b),
            "linked": linked_effects(b),
        }

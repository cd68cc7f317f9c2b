"""The conflict explorer: signals of several strategies on the same instruments, resolved by
one of the seven resolution methods and allocated OPTIMAL or GREEDY.

Examples
--------
>>> from portlab.widgets import ConflictExplorer
>>> explorer = ConflictExplorer()
>>> explorer.controls_by_name["resolution"].value = "NET"
>>> explorer.result.losers["reason"].iloc[0]
'NETTED_OUT'
"""

from __future__ import annotations

from typing import Any

import ipywidgets as ipw
import pandas as pd

from portlab.engine import AllocationMode
from portlab.plots import allocation, conflicts, rule_label
from portlab.ui import ConflictModel, ConflictOutcome
from portlab.widgets._base import WorkbenchWidget, bind, dropdown, headline_html
from portlab.widgets._format import pct2, table_html, text

__all__ = ["ConflictExplorer"]


class ConflictExplorer(WorkbenchWidget):
    """Conflict explorer: the resolution strategy (all seven) and the allocation mode; the
    winners, the losers with the rule that beat them, the allocation across opportunities and
    the limits that bind.

    Parameters
    ----------
    market, state, signals, rebalance_requests, coordinator : optional
        Passed to :class:`~portlab.ui.ConflictModel` (default: the bundled example batch).
    **settings
        ``resolution=``, ``allocation=``.

    Attributes
    ----------
    model : ConflictModel
    result : ConflictOutcome
    binding_html, winners_html, losers_html, allocation_html : ipywidgets.HTML
    """

    TITLE = "Conflict explorer"

    MODEL = ConflictModel
    OUTPUTS = (
        "binding_html",
        "winners_html",
        "losers_html",
        "allocation_html",
    )

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model
        mode = ipw.ToggleButtons(
            options=[(str(a), a) for a in AllocationMode],
            value=m.allocation,
            description="Allocation",
            style={"description_width": "70px", "button_width": "100px"},
        )
        return [
            bind(self, dropdown(m, "resolution", "Resolution"), "resolution"),
            bind(self, mode, "allocation"),
        ]

    def _render(self, result: ConflictOutcome) -> list[ipw.Widget]:
        binds = ", ".join(rule_label(b) or b for b in result.binding) or "none"
        self.binding_html.value = headline_html(
            [
                ("instruments in conflict", f"{len(result.winners):,d}"),
                ("inputs that lost", f"{len(result.losers):,d}"),
                ("decisions", f"{len(result.coordination.decisions):,d}"),
                ("limits that bind", binds),
            ]
        )
        w = result.winners
        self.winners_html.value = table_html(
            pd.DataFrame(
                {
                    "Instrument": w["instrument_id"].to_numpy(),
                    "Winner": w["winner_id"].to_numpy(),
                    "Action": w["action"].to_numpy(),
                    "Origin": w["origin"].to_numpy(),
                    "Priority": w["priority"].to_numpy(),
                    "Rule": w["rule"].to_numpy(),
                    "Final (% NAV)": w["final_size"].to_numpy(),
                    "Outcome": w["outcome"].to_numpy(),
                }
            ),
            {"Final (% NAV)": pct2},
            caption="Winners",
        )
        lo = result.losers
        self.losers_html.value = table_html(
            pd.DataFrame(
                {
                    "Id": lo["id"].to_numpy(),
                    "Instrument": lo["instrument_id"].to_numpy(),
                    "Strategy": lo["strategy_id"].to_numpy(),
                    "Reason": lo["reason"].to_numpy(),
                    "Beaten by rule": lo["rule"].to_numpy(),
                    "Winner": lo["winner_id"].to_numpy(),
                    "Detail": lo["detail"].to_numpy(),
                }
            ),
            caption="Losers",
        )
        a = result.allocation
        self.allocation_html.value = table_html(
            pd.DataFrame(
                {
                    "Instrument": a["instrument_id"].to_numpy(),
                    "Action": a["action"].to_numpy(),
                    "Winner": a["winner_id"].to_numpy(),
                    "Wanted (% NAV)": a["sized"].to_numpy(),
                    "Allocated (% NAV)": a["allocated"].to_numpy(),
                    "Bound by": [
                        rule_label(b) or text(b) if b else "" for b in a["allocation_binding"]
                    ],
                    "Final (% NAV)": a["final_size"].to_numpy(),
                    "Outcome": a["outcome"].to_numpy(),
                }
            ),
            {"Wanted (% NAV)": pct2, "Allocated (% NAV)": pct2, "Final (% NAV)": pct2},
            caption="Allocation across opportunities",
        )
        charts = self.chart_objects(self.model, result)
        return [
            self.binding_html,
            self.winners_html,
            self.losers_html,
            self.chart("conflicts", charts["conflicts"]),
            self.allocation_html,
            self.chart("allocation", charts["allocation"]),
        ]

    @classmethod
    def chart_objects(cls, model: ConflictModel, result: ConflictOutcome) -> dict[str, Any]:
        """``{"conflicts": Overlay, "allocation": ...}``: winner and losers per instrument,
        and the allocation across opportunities."""
        coordination = result.coordination
        return {
            "conflicts": conflicts(coordination, model.signals),
            "allocation": allocation(coordination),
        }

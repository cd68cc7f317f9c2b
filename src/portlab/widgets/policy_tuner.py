"""The policy tuner: every policy limit with its hard/soft switch, and what the batch becomes.

Examples
--------
>>> from portlab.widgets import PolicyTuner
>>> tuner = PolicyTuner()                                 # the bundled example batch
>>> tuner.result.counts["decisions"]
11
>>> tuner.controls_by_name["max_position_size"].value = 0.03   # as a release of the slider
>>> tuner.model.max_position_size, tuner.model.error is None
(0.03, True)
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as ipw
import pandas as pd

from portlab.plots import exposures, rule_label
from portlab.ui import RULE_TITLES, PolicyModel, PolicyOutcome
from portlab.ui.adaptive import adaptation_note, adaptation_rows
from portlab.widgets._base import WorkbenchWidget, bind, checkbox, dropdown, headline_html, slider
from portlab.widgets._format import (
    money,
    multiple,
    pct,
    pct2,
    price,
    shares,
    table_html,
    text,
)

__all__ = [
    "ADAPTATION_COLUMNS",
    "DECISION_COLUMNS",
    "PolicyTuner",
    "adaptation_html",
    "decision_table",
]

#: the decisions table's columns: (header, formatter)
DECISION_COLUMNS = {
    "Instrument": text,
    "Action": text,
    "Shares": shares,
    "Price": price,
    "Amount": money,
    "Size (% NAV)": pct2,
    "Target (% NAV)": pct2,
    "Clipped by": text,
    "Order": text,
    "Limit price": price,
    "Impact": pct2,
}


def decision_table(result: PolicyOutcome) -> pd.DataFrame:
    """The decisions as shown: one row per decision, the numbers as the engine gave them, and
    the rule that clipped it (the waterfall's final trim, allocation limit or policy rule)."""
    decisions = result.decisions
    waterfall = result.coordination.waterfall.set_index("instrument_id")
    clipped = []
    for iid in decisions["instrument_id"]:
        rule = ""
        if iid in waterfall.index:
            row = waterfall.loc[iid]
            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
            for column in ("trimmed_by", "allocation_binding", "binding_rule"):
                rule = rule_label(row.get(column))
                if rule:
                    break
        clipped.append(rule)
    return pd.DataFrame(
        {
            "Instrument": decisions["instrument_id"].to_numpy(),
            "Action": decisions["action"].to_numpy(),
            "Shares": decisions["share_quantity"].to_numpy(),
            "Price": decisions["price"].to_numpy(),
            "Amount": decisions["trade_amount"].to_numpy(),
            "Size (% NAV)": decisions["position_size"].to_numpy(),
            "Target (% NAV)": decisions["target_position"].to_numpy(),
            "Clipped by": clipped,
            # the execution rules: order type and time in force, limit price, impact (and
            # the child orders of a trade split under the impact limit)
            "Order": [
                # non-breaking spaces: the order reads on one line in a narrow column
                f"{kind}\u00a0{tif}" + (f"\u00a0x{n}" if n > 1 else "")
                for kind, tif, n in zip(
                    decisions["order_type"],
                    decisions["time_in_force"],
                    decisions["child_orders"],
                    strict=True,
                )
            ],
            "Limit price": decisions["limit_price"].to_numpy(),
            "Impact": decisions["market_impact"].to_numpy(),
        }
    )


#: the adaptation table's columns: (header, formatter)
ADAPTATION_COLUMNS = {
    "Strategy": text,
    "Calibration": multiple,
    "Kelly scale": multiple,
    "Tier shift": text,
    "Outcomes": shares,
    "Stated p": pct,
    "Hit rate": pct,
    "Beyond noise": text,
}


def adaptation_html(result: PolicyOutcome, has_journal: bool) -> str:
    """The adaptation the decisions applied (each strategy's multiples and their evidence),
    or why there is none."""
    state = result.coordination.adaptive_state
    rows = adaptation_rows(state)
    note = f"<p><i>{html.escape(adaptation_note(state, has_journal))}</i></p>"
    if rows.empty:
        return note
    shown = pd.DataFrame(
        {
            "Strategy": rows["strategy_id"].to_numpy(),
            "Calibration": rows["calibration"].to_numpy(),
            "Kelly scale": rows["kelly_scale"].to_numpy(),
            "Tier shift": [f"{int(t):+d}" if t else "0" for t in rows["tier_shift"]],
            "Outcomes": rows["n_outcomes"].to_numpy(),
            "Stated p": rows["stated_p"].to_numpy(),
            "Hit rate": rows["hit_rate"].to_numpy(),
            "Beyond noise": rows["beyond_noise"].to_numpy(),
        }
    )
    return note + table_html(shown, ADAPTATION_COLUMNS, caption="Adaptation learned from outcomes")


def _limits_table(result: PolicyOutcome) -> pd.DataFrame:
    limits = result.limits
    rows = []
    for rule, row in limits.iterrows():
        fmt = multiple if rule == "leverage" else pct
        rows.append(
            {
                "Rule": str(rule),
                "Limit": fmt(row["limit"]),
                "Kind": "hard" if row["hard"] else "soft",
                "Before": fmt(row["before"]),
                "After": fmt(row["after"]),
                "Where (after)": text(row["where_after"]) if row["where_after"] else "",
                "Breached after": "yes" if row["breached_after"] else "",
            }
        )
    return pd.DataFrame(rows)


class PolicyTuner(WorkbenchWidget):
    """Policy tuner: the policy limits (hard/soft), the sizing settings, and the batch's
    decisions, rejections, exposures against the limits and statistics.

    Parameters
    ----------
    market, state, signals, rebalance_requests, coordinator : optional
        Passed to :class:`~portlab.ui.PolicyModel` (default: the bundled example batch).
    **settings
        Starting values of the model's settings (e.g. ``max_position_size=0.03``).

    Attributes
    ----------
    model : PolicyModel
    result : PolicyOutcome
        The current result (``model.result``).
    decisions_html, rejections_html, limits_html, counts_html : ipywidgets.HTML
    """

    TITLE = "Policy tuner"

    MODEL = PolicyModel
    OUTPUTS = (
        "counts_html",
        "decisions_html",
        "rejections_html",
        "limits_html",
        "adaptation_html",
    )

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model
        out: list[ipw.Widget] = [ipw.HTML("<i>Policy limits</i>")]
        for name, title in RULE_TITLES.items():
            fmt = ".2f" if name == "max_leverage" else ".1%"
            out.append(bind(self, slider(m, name, title, readout_format=fmt), name))
            out.append(bind(self, checkbox(m, f"{name}_hard", "hard limit"), f"{name}_hard"))
        out += [
            bind(self, slider(m, "correlation_threshold", "Correlated at ρ ≥", readout_format=".2f"),
                 "correlation_threshold"),
            bind(self, checkbox(m, "allow_short", "allow short"), "allow_short"),
            bind(self, slider(m, "cash_floor", "Cash floor"), "cash_floor"),
            ipw.HTML("<i>Sizing</i>"),
            bind(self, dropdown(m, "method", "Sizing method",
                                [(x.label, x) for x in m.param["method"].objects]), "method"),
            bind(self, slider(m, "fixed_fraction", "Fixed fraction"), "fixed_fraction"),
            bind(self, slider(m, "risk_target", "Risk target"), "risk_target"),
            bind(self, slider(m, "kelly_multiplier", "Kelly multiplier", readout_format=".2f"),
                 "kelly_multiplier"),
            bind(self, slider(m, "max_kelly_fraction", "Kelly cap"), "max_kelly_fraction"),
            bind(self, slider(m, "min_position_size", "Min trade", readout_format=".1%"),
                 "min_position_size"),
            bind(self, slider(m, "correlation_penalty", "Correlation penalty",
                              readout_format=".2f"), "correlation_penalty"),
            bind(self, slider(m, "rebalance_blend", "Rebalance blend", readout_format=".2f"),
                 "rebalance_blend"),
            bind(self, dropdown(m, "allocation", "Allocation"), "allocation"),
            ipw.HTML("<i>Execution</i>"),
            bind(self, dropdown(m, "default_order_type", "Order type"), "default_order_type"),
            bind(self, dropdown(m, "time_in_force", "Time in force"), "time_in_force"),
            bind(self, slider(m, "price_threshold", "Limit price ±", readout_format=".2%"),
                 "price_threshold"),
            bind(self, slider(m, "market_impact_limit", "Impact limit (0: off)",
                              readout_format=".2%"), "market_impact_limit"),
            bind(self, dropdown(m, "impact_action", "Above the limit"), "impact_action"),
            ipw.HTML("<i>Adaptation</i>"),
            bind(self, checkbox(m, "adaptive", "learn from outcomes"), "adaptive"),
            bind(self, slider(m, "learning_rate", "Learning rate", readout_format=".3f"),
                 "learning_rate"),
            bind(self, slider(m, "adaptation_period", "Period (outcomes)", integer=True),
                 "adaptation_period"),
        ]  # fmt: skip
        return out

    def _render(self, result: PolicyOutcome) -> list[ipw.Widget]:
        counts = result.counts
        deployed = float(result.decisions["trade_amount"].sum())
        self.counts_html.value = headline_html(
            [
                ("decisions taken", f"{counts['decisions']:,d}"),
                ("capital traded", money(deployed)),
                ("signals", f"{counts['total_signals']:,d}"),
                ("accepted", f"{counts['accepted_signals']:,d}"),
                ("resized", f"{counts['resized_signals']:,d}"),
                ("rejected", f"{counts['rejected_signals']:,d}"),
                ("conflicted", f"{counts['conflicted_signals']:,d}"),
                ("rebalance adjustments", f"{counts['total_rebalance_adjustments']:,d}"),
            ]
        )
        self.decisions_html.value = table_html(
            decision_table(result), DECISION_COLUMNS, caption="Decisions"
        )
        rej = result.rejections
        self.rejections_html.value = table_html(
            pd.DataFrame(
                {
                    "Id": rej["id"].to_numpy(),
                    "Instrument": rej["instrument_id"].to_numpy(),
                    "Reason": rej["reason"].to_numpy(),
                    "Rule": rej["rule"].to_numpy(),
                    "Winner": rej["winner_id"].to_numpy(),
                    "Detail": rej["detail"].to_numpy(),
                }
            ),
            caption="Rejections",
        )
        self.limits_html.value = table_html(
            _limits_table(result), caption="Exposures against the limits"
        )
        self.adaptation_html.value = adaptation_html(result, self.model.journal is not None)
        return [
            self.counts_html,
            self.decisions_html,
            self.rejections_html,
            self.limits_html,
            self.adaptation_html,
            *(self.chart(k, obj) for k, obj in self.chart_objects(self.model, result).items()),
        ]

    @classmethod
    def chart_objects(cls, model: PolicyModel, result: PolicyOutcome) -> dict[str, Any]:
        """``{"exposures": Layout}``: the exposures against the limits before and after
        the batch, one chart per measure in one column (with the controls the page stays
        within 1280 px, no horizontal scroll)."""
        chart = exposures(model.state, model.market, result.coordinator, result.coordination)
        return {"exposures": chart.cols(1)}

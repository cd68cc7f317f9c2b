"""The sizing what-if: one signal (picked from the batch or typed), its inputs and the sizing
settings, and how the engine sizes it step by step.

Examples
--------
>>> from portlab.widgets import SizingWhatIf
>>> what_if = SizingWhatIf(signal_id="sig-003")          # LLY, BUY
>>> what_if.controls_by_name["kelly_multiplier"].value = 0.5
>>> what_if.model.kelly_multiplier, what_if.result.decision["instrument_id"]
(0.5, 'LLY')
"""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as ipw
import pandas as pd

from portlab.engine import SizingMethod
from portlab.plots import sizing_waterfall
from portlab.ui import SizingModel, SizingOutcome
from portlab.widgets._base import (
    WorkbenchWidget,
    bind,
    checkbox,
    dropdown,
    headline_html,
    slider,
)
from portlab.widgets._format import money, pct2, shares, table_html, text

__all__ = ["SizingWhatIf", "methods_html", "parse_price", "price_text"]

_TYPED = "(type a signal)"


def parse_price(value: str) -> float | None:
    """A price typed in a text box: empty means not given (None).

    Raises
    ------
    ValueError
        Not a number.
    """
    value = value.strip().replace(",", "").lstrip("$")
    return None if value == "" else float(value)


def price_text(value: float | None) -> str:
    """A price as shown in its text box (empty when not given)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:g}"


def methods_html(methods: pd.DataFrame) -> str:
    """:attr:`SizingOutcome.methods <portlab.ui.SizingOutcome>` as a table: the signal and
    the batch under each sizing method, side by side."""
    table = pd.DataFrame(
        {
            "Method": [SizingMethod(m).label for m in methods.index],
            "Target (% NAV)": methods["target"].to_numpy(),
            "Size (% NAV)": methods["size"].to_numpy(),
            "Shares": methods["shares"].to_numpy(),
            "Dollars": methods["amount"].to_numpy(),
            "Outcome": methods["outcome"].to_numpy(),
            "Batch decisions": methods["batch_decisions"].to_numpy(),
            "Batch traded (% NAV)": methods["batch_traded"].to_numpy(),
        }
    )
    return table_html(
        table,
        {
            "Target (% NAV)": pct2,
            "Size (% NAV)": pct2,
            "Shares": shares,
            "Dollars": money,
            "Outcome": text,
            "Batch decisions": shares,
            "Batch traded (% NAV)": pct2,
        },
        caption="Sizing methods side by side (the signal, and the whole batch)",
    )


class SizingWhatIf(WorkbenchWidget):
    """Sizing what-if: pick a signal or type one, vary its inputs and the sizing settings, see
    its sizing waterfall, the resulting shares and dollars, and the decision's reasoning.

    Parameters
    ----------
    market, state, signals, rebalance_requests, coordinator : optional
        Passed to :class:`~portlab.ui.SizingModel` (default: the bundled example batch).
    signal_id : str or None, optional
        The batch's signal to start from (default its first; None: a typed signal).
    **settings
        Starting values of the model's settings.

    Attributes
    ----------
    model : SizingModel
    result : SizingOutcome
    summary_html, reasoning_html, steps_html, methods_html : ipywidgets.HTML
        ``methods_html``: with "Compare sizing methods" ticked, the signal and the batch
        under each sizing method (:func:`methods_html`).
    """

    TITLE = "Sizing what-if"

    MODEL = SizingModel
    OUTPUTS = (
        "summary_html",
        "reasoning_html",
        "steps_html",
        "methods_html",
    )

    def _build_controls(self) -> list[ipw.Widget]:
        m = self.model
        signals = [(_TYPED, None), *((str(s), s) for s in m.param["signal_id"].objects if s)]
        pct1 = ".1%"

        def number(name: str) -> ipw.Widget:
            # a probability that is not given shows the slider at 0 until it is moved
            label = name.replace("_", " ").capitalize()
            return bind(self, slider(m, name, label, readout_format=".2f"), name)

        def price(name: str, label: str) -> ipw.Widget:
            box = ipw.Text(
                value=price_text(getattr(m, name)),
                description=label,
                placeholder="not given",
                continuous_update=False,
                style={"description_width": "150px"},
                layout=ipw.Layout(width="300px"),
            )
            return bind(self, box, name, to_model=parse_price, to_control=price_text)

        return [
            bind(self, dropdown(m, "signal_id", "Signal", signals), "signal_id"),
            bind(self, dropdown(m, "instrument_id", "Instrument"), "instrument_id"),
            bind(self, dropdown(m, "action", "Action"), "action"),
            number("confidence"),
            number("success_probability"),
            price("price_target", "Price target ($)"),
            price("stop_price", "Stop price ($)"),
            bind(self, slider(m, "expected_return", "Expected return", readout_format=pct1),
                 "expected_return"),
            ipw.HTML("<i>Sizing</i>"),
            bind(self, dropdown(m, "method", "Sizing method",
                                [(x.label, x) for x in m.param["method"].objects]), "method"),
            bind(self, slider(m, "fixed_fraction", "Fixed fraction", readout_format=pct1),
                 "fixed_fraction"),
            bind(self, slider(m, "risk_target", "Risk target", readout_format=pct1),
                 "risk_target"),
            bind(self, slider(m, "kelly_multiplier", "Kelly multiplier", readout_format=".2f"),
                 "kelly_multiplier"),
            bind(self, slider(m, "max_kelly_fraction", "Kelly cap", readout_format=pct1),
                 "max_kelly_fraction"),
            bind(self, slider(m, "correlation_penalty", "Correlation penalty",
                              readout_format=".2f"), "correlation_penalty"),
            bind(self, slider(m, "rebalance_blend", "Rebalance blend", readout_format=".2f"),
                 "rebalance_blend"),
            bind(self, dropdown(m, "context", "Coordinate with"), "context"),
            bind(self, checkbox(m, "compare", "Compare sizing methods"), "compare"),
        ]  # fmt: skip

    def _render(self, result: SizingOutcome) -> list[ipw.Widget]:
        signal = result.signal.iloc[0]
        decision = result.decision
        outcome = "decision" if decision is not None else "no decision"
        self.summary_html.value = headline_html(
            [
                ("shares", shares(result.shares)),
                ("dollars", money(result.amount)),
                (
                    "of NAV",
                    pct2(decision["position_size"]) if decision is not None else pct2(0.0),
                ),
                (outcome, f"{signal['instrument_id']} {signal['action']}"),
            ]
        )
        self.reasoning_html.value = (
            "<div style='font-weight:600;margin:6px 0 2px'>Reasoning</div>"
            f"<div style='font-size:12px'>{html.escape(result.reasoning) or 'none'}</div>"
        )
        steps = result.steps
        self.steps_html.value = table_html(
            pd.DataFrame(
                {
                    "Step": steps["step"].to_numpy(),
                    "Size (% NAV)": steps["size"].to_numpy(),
                    "Rule": steps["rule"].to_numpy(),
                }
            ),
            {"Size (% NAV)": pct2, "Rule": text},
            caption="Sizing steps",
        )
        self.methods_html.value = "" if result.methods is None else methods_html(result.methods)
        sections: list[ipw.Widget] = [self.summary_html, self.reasoning_html, self.steps_html]
        if result.methods is not None:
            sections.append(self.methods_html)
        charts = self.chart_objects(self.model, result)
        sections += [self.chart(name, obj) for name, obj in charts.items()]
        return sections

    @classmethod
    def chart_objects(cls, model: SizingModel, result: SizingOutcome) -> dict[str, Any]:
        """``{"waterfall": Overlay}``: the signal's sizing waterfall (none when the engine
        sized nothing)."""
        if not len(result.waterfall):
            return {}
        instrument = str(result.signal.iloc[0]["instrument_id"])
        return {"waterfall": sizing_waterfall(result.waterfall, instrument)}

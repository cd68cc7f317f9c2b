"""The coordination console's setting controls: one Panel widget per
:class:`~portlab.ui.PolicyModel` setting, bound to the model's parameter (a slider sets it when
released), in the groups of the console's sidebar.

Examples
--------
>>> from portlab.ui import PolicyModel
>>> controls = setting_controls(PolicyModel())
>>> list(CONTROL_GROUPS), controls["max_position_size"].value
(['Policy limits', 'Sizing', 'Execution', 'Adaptation'], 0.05)
>>> set(controls) == {n for names in CONTROL_GROUPS.values() for n in names}
True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import panel as pn

from portlab.ui import PolicyModel
from portlab.ui.policy import (
    ADAPTIVE_SETTINGS,
    EXECUTION_SETTINGS,
    OTHER_POLICY_SETTINGS,
    RULE_TITLES,
    SIZING_SETTINGS,
)

__all__ = ["CONTROL_GROUPS", "PCT", "PCT2", "setting_controls"]

#: number formats of the sliders and tables (numbro, as Panel's sliders and Tabulator read them)
PCT, PCT2, MULTIPLE, DECIMAL = "0.0%", "0.00%", "0.00x", "0.00"

_SLIDERS = {  # name -> (title, format)
    "correlation_threshold": ("Correlated at ρ ≥", DECIMAL),
    "cash_floor": ("Cash floor", PCT),
    "fixed_fraction": ("Fixed fraction", PCT),
    "risk_target": ("Risk target", PCT),
    "kelly_multiplier": ("Kelly multiplier", DECIMAL),
    "max_kelly_fraction": ("Kelly cap", PCT),
    "min_position_size": ("Min trade", PCT),
    "correlation_penalty": ("Correlation penalty", DECIMAL),
    "rebalance_blend": ("Rebalance blend", DECIMAL),
    "price_threshold": ("Limit price ±", PCT2),
    "market_impact_limit": ("Impact limit (0: off)", PCT2),
    "learning_rate": ("Learning rate", "0.000"),
    **{name: (title, MULTIPLE if name == "max_leverage" else PCT) for name, title in RULE_TITLES.items()},
}  # fmt: skip
_CHECKBOXES = {
    "allow_short": "allow short",
    "adaptive": "learn from outcomes (journal)",
    **{f"{name}_hard": "hard limit" for name in RULE_TITLES},
}
_SELECTS = {
    "method": "Sizing method",
    "allocation": "Allocation",
    "default_order_type": "Order type",
    "time_in_force": "Time in force",
    "impact_action": "Above the impact limit",
}

#: the sidebar's groups: title -> the settings' names, in display order
CONTROL_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Policy limits": (
            *(n for name in RULE_TITLES for n in (name, f"{name}_hard")),
            *OTHER_POLICY_SETTINGS,
        ),
        "Sizing": SIZING_SETTINGS,
        "Execution": EXECUTION_SETTINGS,
        "Adaptation": ADAPTIVE_SETTINGS,
    }
)


def setting_controls(
    model: PolicyModel, css: Mapping[str, str] | None = None
) -> dict[str, pn.widgets.Widget]:
    """A control per setting of :data:`CONTROL_GROUPS`, bound to ``model``.

    Parameters
    ----------
    model : PolicyModel
    css : mapping of setting name to CSS class, optional
        Classes for controls that pages or browser tests select.
    """
    css = css or {}
    out: dict[str, pn.widgets.Widget] = {}
    for names in CONTROL_GROUPS.values():
        for name in names:
            p, classes = model.param[name], [css[name]] if name in css else []
            if name in _SLIDERS:
                title, fmt = _SLIDERS[name]
                out[name] = pn.widgets.FloatSlider.from_param(
                    p, label=title, format=fmt, throttled=True, css_classes=classes
                )
            elif name in _CHECKBOXES:
                out[name] = pn.widgets.Checkbox.from_param(
                    p, label=_CHECKBOXES[name], css_classes=classes
                )
            elif name == "method":  # the methods by their names as people read them
                out[name] = pn.widgets.Select.from_param(
                    p,
                    label=_SELECTS[name],
                    options={x.label: x for x in p.objects},
                    css_classes=classes,
                )
            elif name in _SELECTS:
                out[name] = pn.widgets.Select.from_param(
                    p, label=_SELECTS[name], css_classes=classes
                )
            else:  # the adaptation period, a whole number
                out[name] = pn.widgets.IntSlider.from_param(
                    p, label="Period (outcomes)", throttled=True, css_classes=classes
                )
    return out

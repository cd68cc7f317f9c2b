"""The allocation editor in Panel: the notebook widget's ES module as a Panel component.

The same module as :class:`portlab.widgets.AllocationEditor` (``widgets/allocation_editor.js``),
loaded by Panel's ``AnyWidgetComponent``: one editor for the notebook and the console.
"""

from __future__ import annotations

from typing import Any

import param
from panel.custom import AnyWidgetComponent

from portlab.plots.palette import NEAR_LIMIT
from portlab.ui import PolicyModel
from portlab.widgets.allocation_editor import ASSET_NAMES, asset_path

__all__ = ["AllocationEditorComponent", "editor_limits"]


class AllocationEditorComponent(AnyWidgetComponent):
    """The allocation editor's ES module in Panel, with the traits of
    :class:`portlab.widgets.AllocationEditor` as parameters (same names, same meaning)."""

    _esm = asset_path(ASSET_NAMES[0])
    _stylesheets = [
        asset_path(ASSET_NAMES[1]).read_text(encoding="utf-8"),
        # the module's text colour is JupyterLab's variable: follow the page's theme instead
        ".portlab-alloc { color: var(--panel-on-background-color, inherit); }",
    ]

    instruments = param.List(default=[])
    target_weights = param.Dict(default={})
    limits = param.Dict(default={})
    colors = param.Dict(default={})
    decisions = param.List(default=[])
    rejections = param.List(default=[])
    summary = param.String(default="")
    error = param.String(default="")
    busy = param.Boolean(default=False)


def editor_limits(model: PolicyModel) -> dict[str, Any]:
    """The limits the editor draws, from the model's current settings."""

    def rule(name: str) -> dict[str, Any]:
        return {"limit": float(getattr(model, name)), "hard": bool(getattr(model, f"{name}_hard"))}

    return {
        "position": rule("max_position_size"),
        "sector": rule("max_sector_exposure"),
        "leverage": rule("max_leverage"),
        "allow_short": bool(model.allow_short),
        "near": NEAR_LIMIT,
    }

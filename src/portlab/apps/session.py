"""The served session an app runs in, if any (a browser page behind a websocket)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import panel as pn

__all__ = ["after_this_update", "served"]


def served() -> bool:
    """Whether this runs in a served Panel session (not a notebook, not plain Python)."""
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None


def after_this_update(callback: Callable[[], Any]) -> None:
    """Call ``callback`` on the session's next tick when served (what changed so far is sent
    to the browser first), at once otherwise (a notebook, Python)."""
    if served():
        pn.state.curdoc.add_next_tick_callback(callback)
    else:
        callback()

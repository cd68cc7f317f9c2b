"""The served session an app runs in, if any (a browser page behind a websocket)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import panel as pn

__all__ = ["after_this_update", "new_components", "served"]


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


@contextmanager
def new_components() -> Iterator[None]:
    """Where an app replaces components of a page already shown.

    In a notebook with ``pn.extension(inline=True)``, Panel inlines the stylesheets of the
    first render only; components created afterwards link Panel's CDN (panel#8707, fixed
    after Panel 1.9.4), which an offline machine cannot reach: they show unstyled. Created
    in Panel's inline resource mode, their stylesheets are inlined like the first render's.
    Elsewhere (served, or not inline) this does nothing.
    """
    if served() or not pn.config.inline:
        yield
        return
    from panel.io.resources import set_resource_mode

    with set_resource_mode("inline"):
        yield

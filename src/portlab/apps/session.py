"""The served session an app runs in, if any (a browser page behind a websocket)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import panel as pn

__all__ = ["FirstViews", "after_this_update", "served"]


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


class FirstViews:
    """The sessions of one server whose first view is not up in their browser yet.

    A dashboard session builds its hidden tabs once its page is up: about half a second of
    the server's one thread, and as much again of its browser's drawing. When several PMs
    open the dashboard together, the first to arrive would build theirs while the others
    still wait for their first view. Deferred work given to :meth:`after_first_views` runs
    once no other session waits (or after ``patience`` seconds): everyone's first view comes
    before anyone's hidden tabs. A tab opened meanwhile is built at once by its session.

    Parameters
    ----------
    patience : float, default 5.0
        Seconds a session waits for the others at most; a session that opened longer ago
        than this (its browser went away before its page came up) no longer counts.
    poll_ms : int, default 50
        How often a deferred callback looks again, in milliseconds.

    Examples
    --------
    >>> views = FirstViews(patience=1.0)
    >>> views.opened("a"); views.opened("b")
    >>> views.others_waiting("a")
    1
    >>> views.shown("b")
    >>> views.others_waiting("a")
    0
    """

    def __init__(self, patience: float = 5.0, poll_ms: int = 50) -> None:
        self.patience = float(patience)
        self.poll_ms = int(poll_ms)
        self._opened: dict[Any, float] = {}  # session key -> monotonic time it opened
        self._lock = threading.Lock()

    def opened(self, key: Any) -> None:
        """Session ``key`` was created: its browser is loading the page."""
        with self._lock:
            self._opened[key] = time.monotonic()

    def shown(self, key: Any) -> None:
        """Session ``key``'s first view is up in its browser."""
        with self._lock:
            self._opened.pop(key, None)

    def others_waiting(self, key: Any) -> int:
        """How many other sessions still wait for their first view (stale ones dropped)."""
        limit = time.monotonic() - self.patience
        with self._lock:
            for stale in [k for k, t in self._opened.items() if t < limit]:
                del self._opened[stale]
            return sum(k != key for k in self._opened)

    def after_first_views(self, key: Any, callback: Callable[[], Any]) -> None:
        """Call ``callback`` in this session once no other session waits for its first view
        (at once if none does, or when not served), or after ``patience`` seconds."""
        doc = pn.state.curdoc
        if not served() or not self.others_waiting(key):
            callback()
            return
        deadline = time.monotonic() + self.patience

        def look() -> None:
            if self.others_waiting(key) and time.monotonic() < deadline:
                doc.add_timeout_callback(look, self.poll_ms)
            else:
                callback()

        doc.add_timeout_callback(look, self.poll_ms)

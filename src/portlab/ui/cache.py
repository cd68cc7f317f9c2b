"""Results shared between view-models on the same inputs: a server's sessions.

``portlab serve`` loads its inputs once and gives every browser session its own view-model on
those same objects. The second visitor asking for the same settings (the dashboard's default
as-of date, say) should not wait for the same analytics again: view-models given one
:class:`OutcomeCache` look their result up by their class, the identity of their inputs and
the values of their settings before computing it.

A hit requires the very same input objects (``is``, not equality: portlab's inputs are
immutable, a new object is new data); the cache keeps them alive while it holds the entry, so
an id is never reused under it. Results are shared, so front ends must not modify them (they
only read them).

Examples
--------
>>> from portlab.ui import BookModel, OutcomeCache
>>> cache = OutcomeCache(maxsize=16)
>>> from portlab import Coordinator
>>> first = BookModel(coordinator=Coordinator(), cache=cache)
>>> second = BookModel(market=first.market, state=first.state,
...                    coordinator=first.coordinator, cache=cache)
>>> second.result is first.result, cache.hits
(True, 1)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["CachedOutcome", "OutcomeCache"]


@dataclass(frozen=True)
class CachedOutcome:
    """What a view-model's computation gave: its result, the script reproducing it and the
    messages of the warnings it issued."""

    result: Any
    code: str
    warnings: tuple[str, ...]


class OutcomeCache:
    """A bounded mapping (least recently used first out) of computations of view-models.

    Parameters
    ----------
    maxsize : int, default 64
        Entries kept; the least recently used goes when a new one would exceed it.
    """

    def __init__(self, maxsize: int = 64) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize: at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[tuple[Any, ...], CachedOutcome]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, inputs: tuple[Any, ...]) -> CachedOutcome | None:
        """The entry of ``key`` computed on these very ``inputs``, or None."""
        entry = self._entries.get(key)
        if entry is None or len(entry[0]) != len(inputs):
            self.misses += 1
            return None
        if not all(a is b for a, b in zip(entry[0], inputs, strict=True)):
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, inputs: tuple[Any, ...], outcome: CachedOutcome) -> None:
        """Keep ``outcome`` for ``key`` (the ``inputs`` kept alive with it)."""
        self._entries[key] = (inputs, outcome)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

"""The journal writer the crash and concurrency tests run in other processes.

``write(url, first, count)`` records the batches ``first, first + 1, ...`` of the bundled
sample in a loop (forever when ``count`` is None): batch ``k`` is the example batch without
signal ``k % 14``, coordinated as of 2023-01-01 plus ``k`` minutes, so every batch has its
own run id and its own decision event ids, and batches differ in size. Run as a script:
``python _journal_writer.py URL FIRST [COUNT]``.

Imported by a ``forkserver`` (with :data:`WARM_UP` set) before the writers are forked, so
each writer starts in milliseconds with the sample loaded and every code path warm.
"""

from __future__ import annotations

import os
import sys

import pandas as pd

from portlab import Coordinator
from portlab.datasets import example_batch, load_sample
from portlab.journal import Journal

MARKET = load_sample()
BATCH = example_batch()
START = pd.Timestamp("2023-01-01", tz="UTC")
#: set in the environment of the process that imports this module to warm it up
WARM_UP = "PORTLAB_JOURNAL_WRITER_WARM_UP"


def batch(k: int) -> dict:
    """The arguments of ``Coordinator.coordinate`` for batch ``k``."""
    signals = [s for i, s in enumerate(BATCH.signals) if i != k % len(BATCH.signals)]
    return {
        "signals": signals,
        "state": BATCH.state,
        "market": MARKET,
        "rebalance_requests": BATCH.rebalance_requests,
        "as_of": START + pd.Timedelta(minutes=k),
    }


def warm_up() -> None:
    """Run every code path of a write once (pydantic builds its validators on first use,
    pyarrow loads its Parquet writer), so that forked writers start hot."""
    with Journal(":memory:") as journal:
        Coordinator().coordinate(**batch(-1), journal=journal)


def write(url: str, first: int, count: int | None = None, ready=None) -> None:
    """Record batches ``first ..`` into the journal at ``url``; set ``ready`` (an Event) once
    the journal is open."""
    coordinator = Coordinator()
    with Journal(url) as journal:
        if ready is not None:
            ready.set()
        k = first
        while count is None or k < first + count:
            coordinator.coordinate(**batch(k), journal=journal)
            k += 1


if os.environ.get(WARM_UP):  # in the tests' forkserver: its forked writers start hot
    warm_up()

if __name__ == "__main__":
    write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)

"""The Dask client a sweep runs on: a given one, a scheduler by address, or a local cluster
of one single-threaded worker process per CPU."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT_S", "dask_client", "default_workers"]

#: the environment variable the local cluster's workers start without, Dask's value of it, and
#: Dask's setting of it
TRIM_VARIABLE = "MALLOC_TRIM_THRESHOLD_"
DASK_TRIM = "65536"
NO_TRIM = f"distributed.nanny.pre-spawn-environ.{TRIM_VARIABLE}"
#: the local cluster's Dask settings: without the workers' statistical profiler (it samples
#: the task thread's stack every 10 ms, and a sweep's tasks are one long function each)
LOCAL_SETTINGS = {NO_TRIM: None, "distributed.worker.profile.enabled": False}
#: seconds to wait for a scheduler given by address
CONNECT_TIMEOUT_S = 10


def default_workers() -> int:
    """Worker processes of a local cluster by default: one per CPU."""
    return os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    tasks: int | None = None,
) -> Iterator[Client]:
    """The client to run on; a cluster or client started here is closed on the way out.

    Parameters
    ----------
    client : distributed.Client, optional
        Used as given (not closed).
    scheduler : str, optional
        A running scheduler's address (``tcp://host:8786``).
    workers : int, optional
        Worker processes of the local cluster started when neither is given (default one
        per CPU, never more than ``tasks``); each has one thread.
    tasks : int, optional
        How many tasks will run (caps the local cluster's size).

    Raises
    ------
    ValidationError
        Both a client and a scheduler; ``workers`` with either; ``workers`` below 1; a
        scheduler that cannot be reached in :data:`CONNECT_TIMEOUT_S` seconds.
    """
    from distributed import Client, LocalCluster

    if client is not None and scheduler is not None:
        raise ValidationError("client and scheduler: give one of them, not both")
    if workers is not None and (client is not None or scheduler is not None):
        raise ValidationError(
            "workers: only for the local cluster; a given client or scheduler has its own workers"
        )
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValidationError(f"workers: a whole number of at least 1, got {workers!r}")
    if client is not None:
        yield client
        return
    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValidationError(
                f"scheduler {scheduler}: cannot connect ({' '.join(str(exc).split())})"
            ) from None
        with remote:
            yield remote
        return
    import dask

    n = workers or default_workers()
    if tasks is not None:
        n = max(1, min(n, tasks))
    with _glibc_trim(), dask.config.set(LOCAL_SETTINGS):
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster, set_as_default=False) as local:
        yield local


@contextlib.contextmanager
def _glibc_trim() -> Iterator[None]:
    """While workers start: without Dask's MALLOC_TRIM_THRESHOLD_=65536 (memory handed back to
    the system at every free; a backtest allocates many arrays of that size and ran ~20% slower
    with it, benchmarks/bench_sweep.py), glibc's own threshold instead. An earlier Dask nanny in
    this process leaves the variable in ``os.environ``, which Dask would pass on: it is taken
    out meanwhile and put back after."""
    left = os.environ.get(TRIM_VARIABLE) == DASK_TRIM
    if left:
        del os.environ[TRIM_VARIABLE]
    try:
        yield
    finally:
        if left:
            os.environ[TRIM_VARIABLE] = DASK_TRIM

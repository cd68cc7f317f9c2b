"""Many runs of one report at once: a list of parameter sets on a process pool."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from portlab.exceptions import PortlabError
from portlab.reports.catalog import find_template
from portlab.reports.runner import check_parameters, run

__all__ = ["BATCH_COLUMNS", "REPORTS_PER_CPU", "run_batch"]

#: the columns of :func:`run_batch`'s table
BATCH_COLUMNS = ("out", "status", "error", "seconds")
#: reports run at once per CPU: a report takes turns between two processes (the kernel runs
#: the cells; the driver starts it, collects the outputs and renders the page), so one per
#: CPU leaves a core idle at each turn (benchmarks/bench_reports.py: 2 per CPU is ~10% faster)
REPORTS_PER_CPU = 2


def _one(job: tuple[str, dict[str, Any], str, float]) -> tuple[str, str, float]:
    """Run one report (in a worker process): (status, error, seconds)."""
    name, parameters, out, timeout = job
    started = time.perf_counter()
    try:
        run(name, parameters, out, timeout=timeout, progress=False)
    except PortlabError as exc:
        return "failed", " ".join(str(exc).split()), time.perf_counter() - started
    return "ok", "", time.perf_counter() - started


def run_batch(
    name: str,
    parameter_sets: Sequence[Mapping[str, Any]],
    folder: str | Path = ".",
    *,
    workers: int | None = None,
    timeout: float = 600,
) -> pd.DataFrame:
    """Run the report ``name`` once per parameter set, several at a time.

    Parameters
    ----------
    name : str
        The template.
    parameter_sets : sequence of mappings
        One mapping of parameters per report; its ``out`` key (optional) is that report's
        file (``.html`` or ``.pdf``, relative to ``folder``), default ``NAME-K.html``.
    folder : str or Path
        Where the reports are written.
    workers : int, optional
        Reports at once (default :data:`REPORTS_PER_CPU` per CPU, at most the number of sets).
    timeout : float
        Seconds a cell may run.

    Returns
    -------
    DataFrame
        One row per set (index K, from 1): ``out``, ``status`` ("ok" or "failed"),
        ``error`` (one line), ``seconds``. A set with bad parameters fails without running;
        the others still run.
    """
    find_template(name)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rows: dict[int, dict[str, Any]] = {}
    jobs: dict[int, tuple[str, dict[str, Any], str, float]] = {}
    for k, given in enumerate(parameter_sets, start=1):
        values = dict(given)
        out = str(target / str(values.pop("out", f"{name}-{k}.html")))
        try:
            jobs[k] = (name, check_parameters(name, values), out, timeout)
        except PortlabError as exc:
            rows[k] = {"out": out, "status": "failed", "error": " ".join(str(exc).split()),
                       "seconds": 0.0}  # fmt: skip
    if jobs:
        count = min(len(jobs), workers or REPORTS_PER_CPU * (os.cpu_count() or 1))
        # fresh interpreters, not forks of a process that may hold threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            for k, (status, error, seconds) in zip(
                jobs, pool.map(_one, jobs.values()), strict=True
            ):
                rows[k] = {"out": jobs[k][2], "status": status, "error": error, "seconds": seconds}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(BATCH_COLUMNS))
    return table.sort_index().rename_axis("set")

"""Running a sweep on Dask distributed: the shared inputs scattered to every worker once, one
task per scenario, results gathered as they complete and written as they go."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlab.exceptions import PortlabError, ValidationError
from portlab.sweep._cluster import dask_client
from portlab.sweep._handlers import handler
from portlab.sweep._kinds import Status
from portlab.sweep._results import Row, frame, read_results, rows_of, write_results
from portlab.sweep._scenarios import Scenario

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from portlab.sweep._inputs import SweepInputs

__all__ = ["CHECKPOINT_ROWS", "CHECKPOINT_SECONDS", "run", "run_task", "scenario_result"]

log = logging.getLogger("portlab.sweep")

#: the output is rewritten after this many new results ...
CHECKPOINT_ROWS = 25
#: ... or when this many seconds have passed since it was last written
CHECKPOINT_SECONDS = 5.0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, PortlabError) and text else f"{type(exc).__name__}: {text}"


def _row(scenario: Scenario, status: Status, error: str, seconds: float, values: dict) -> Row:
    return {
        "scenario": scenario.id,
        "kind": scenario.kind.value,
        "status": status.value,
        "error": error,
        "seconds": seconds,
        "metrics": values,
    }


def run_task(scenario: Scenario, inputs: SweepInputs) -> Row:
    """Run one scenario and measure it (what each Dask task does); never raises: a failure is
    a row with status ``failed`` and the error on one line."""
    started = time.perf_counter()
    try:
        kind = handler(scenario.kind)
        values = kind.measure(kind.execute(scenario.parameters, inputs, scenario.id))
    except Exception as exc:  # any failure of one scenario is its row
        return _row(scenario, Status.FAILED, _one_line(exc), time.perf_counter() - started, {})
    return _row(scenario, Status.OK, "", time.perf_counter() - started, values)


def scenario_result(scenario: Scenario, inputs: SweepInputs) -> Any:
    """Run one scenario again in this process and return its full result.

    Returns
    -------
    CoordinationResult, BacktestResult or Path
        What :meth:`Coordinator.coordinate`, :meth:`Backtest.run` or
        :func:`portlab.reports.run` returned: the decisions and rejections behind a row of
        the results, the equity curve and trades, or the page.

    Raises
    ------
    PortlabError
        What the scenario raises (a failed row's error).
    """
    return handler(scenario.kind).execute(scenario.parameters, inputs, scenario.id)


def _dashboard(client: Client) -> str | None:
    try:
        return client.dashboard_link
    except Exception:  # a scheduler without a dashboard
        return None


def _announce(client: Client, n: int, progress: bool) -> None:
    workers = len(client.scheduler_info().get("workers", {}))
    link = _dashboard(client)
    text = f"portlab sweep: {n} scenarios on {workers} Dask workers" + (
        f"; dashboard {link}" if link else ""
    )
    if progress:
        print(text, file=sys.stderr, flush=True)
    else:
        log.info(text)


def _results(
    client: Client, todo: Sequence[Scenario], inputs: SweepInputs, progress: bool
) -> Iterator[Row]:
    from distributed import as_completed

    shared = client.scatter(inputs, broadcast=True, hash=False)
    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(run_task, s, shared, key=f"portlab-sweep-{s.id}-{token}", pure=False): s
        for s in todo
    }
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="sweep", unit="scenario", file=sys.stderr)
    try:
        for future in as_completed(futures, loop=client.loop):
            scenario = futures[future]
            if future.status == "finished":
                row = future.result()
            else:  # the task itself failed: a worker died, the scheduler lost it
                error = future.exception()
                row = _row(scenario, Status.FAILED, f"task: {_one_line(error)}", float("nan"), {})
            future.release()
            if bar is not None:
                bar.update()
            yield row
    finally:
        if bar is not None:
            bar.close()
        for future in futures:
            future.cancel()
        shared.release()


class _Checkpoint:
    """Rewrites the output every :data:`CHECKPOINT_ROWS` results or :data:`CHECKPOINT_SECONDS`."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.pending = 0
        self.last = time.monotonic()

    def due(self) -> bool:
        self.pending += 1
        if self.out is None:
            return False
        return self.pending >= CHECKPOINT_ROWS or time.monotonic() - self.last >= CHECKPOINT_SECONDS

    def write(self, results: pd.DataFrame) -> None:
        if self.out is not None:
            write_results(results, self.out)
        self.pending = 0
        self.last = time.monotonic()


def _resumed(scenarios: Sequence[Scenario], out: Path, progress: bool) -> dict[str, Row]:
    previous = rows_of(read_results(out))
    wanted = {s.id for s in scenarios}
    kept = {sid: row for sid, row in previous.items() if sid in wanted}
    text = f"portlab sweep: {out}: {len(kept)} finished scenarios kept"
    stale = len(previous) - len(kept)
    if stale:
        text += f"; {stale} rows of scenarios not in this sweep left out"
    if progress:
        print(text, file=sys.stderr, flush=True)
    else:
        log.info(text)
    return kept


def run(
    scenarios: Iterable[Scenario],
    inputs: SweepInputs,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Run scenarios as tasks on Dask distributed and tabulate their results.

    Parameters
    ----------
    scenarios : iterable of Scenario
        From :func:`expand` or :func:`load_spec`.
    inputs : SweepInputs
        Scattered to every worker once (``client.scatter(..., broadcast=True)``); each task
        carries only its scenario.
    client : distributed.Client, optional
        Run on this client (left open).
    scheduler : str, optional
        Run on the cluster whose scheduler is at this address (``tcp://host:8786``).
    workers : int, optional
        Without ``client`` or ``scheduler``, a ``LocalCluster`` of this many single-threaded
        worker processes (default one per CPU, at most one per scenario to run) is started
        and closed afterwards.
    out : str or Path, optional
        A Parquet file: rewritten (atomically) every :data:`CHECKPOINT_ROWS` results or
        :data:`CHECKPOINT_SECONDS` seconds and at the end. Never one of the inputs' files.
    resume : bool
        When ``out`` exists, keep its finished (``ok``) rows of these scenarios (matched by
        id) and run only the others; failed ones run again. False: run everything.
    progress : bool
        A progress bar on stderr, and the Dask dashboard's address printed there once.

    Returns
    -------
    DataFrame
        One row per scenario, in scenario order: ``scenario`` (id), ``kind``, ``status``
        (``ok`` or ``failed``), ``error`` (one line, empty when ok), ``seconds`` (in the task),
        one column per parameter, then the metrics of the kinds (:data:`METRICS`). The same
        scenarios give the same table (``seconds`` aside) whatever the number of workers.

    Raises
    ------
    ValidationError
        Two scenarios with one id; ``out`` is an input file, a folder, or an existing file
        that is not a sweep's results (when resuming); bad ``client``/``scheduler``/
        ``workers``; a scheduler that cannot be reached. A failing scenario never raises: it
        is a row with its error.
    """
    scenarios = list(scenarios)
    seen: set[str] = set()
    for s in scenarios:
        if not isinstance(s, Scenario):
            raise ValidationError(f"scenarios: expected Scenario objects, got {type(s).__name__}")
        if s.id in seen:
            raise ValidationError(f"scenarios: {s.id} is listed twice")
        seen.add(s.id)
    target = None
    if out is not None:
        from portlab.io import check_outputs

        target = Path(out)
        check_outputs({"out": target}, inputs.files)
    rows: dict[str, Row] = {}
    if target is not None and resume and target.exists():
        rows = _resumed(scenarios, target, progress)
    todo = [s for s in scenarios if s.id not in rows]
    checkpoint = _Checkpoint(target)
    if todo:
        try:
            with dask_client(client, scheduler, workers, tasks=len(todo)) as c:
                _announce(c, len(todo), progress)
                for row in _results(c, todo, inputs, progress):
                    rows[row["scenario"]] = row
                    if checkpoint.due():
                        checkpoint.write(frame(scenarios, rows))
        except BaseException:  # interrupted or unreachable: keep what finished for a resume
            if checkpoint.pending:
                checkpoint.write(frame(scenarios, rows))
            raise
    results = frame(scenarios, rows)
    checkpoint.write(results)
    return results

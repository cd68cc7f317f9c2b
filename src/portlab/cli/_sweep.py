"""``portlab sweep``: run a sweep spec on Dask distributed into a Parquet table (private; see
:mod:`portlab.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from portlab.cli._common import ExitCode, Fatal, emit

__all__ = ["configure", "run"]

#: rows of the results printed at the end (the file has them all)
SHOWN_ROWS = 40


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} workers: at least 1")
    return value


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``portlab sweep``."""
    p.add_argument("spec", type=Path, metavar="SPEC.yaml",
                   help="the sweep spec (kind, inputs, grid and/or scenarios); "
                   "examples in portlab/sweep/examples/")  # fmt: skip
    p.add_argument("--out", type=Path, required=True, metavar="FILE.parquet",
                   help="the results table, rewritten as results come in; never an input")  # fmt: skip
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="run on the Dask cluster of this scheduler (default: a local cluster)")  # fmt: skip
    where.add_argument("--workers", type=_workers, metavar="N",
                       help="worker processes of the local cluster (default: one per CPU)")  # fmt: skip
    p.add_argument("--no-resume", action="store_true",
                   help="run every scenario again (default: keep the finished rows of --out)")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _shown(results: Any) -> str:
    """The results as a readable table: the parameters and the first metrics."""
    from portlab.sweep import metric_columns, parameter_columns

    metrics = [m for m in metric_columns(results) if m != "binding_limits"][:5]
    columns = ["scenario", "status", *parameter_columns(results), *metrics]
    table = results[columns].head(SHOWN_ROWS)
    text = table.to_string(index=False, float_format=lambda x: f"{x:,.4g}")
    if len(results) > SHOWN_ROWS:
        text += f"\n... {len(results) - SHOWN_ROWS} more rows in the results file"
    return text


def run(args: argparse.Namespace) -> int:
    from portlab.io import check_outputs
    from portlab.sweep import Status, load_spec
    from portlab.sweep import run as run_sweep

    if not args.spec.is_file():
        raise Fatal(f"{args.spec}: no such file")
    check_outputs({"--out": args.out}, [args.spec])
    scenarios, inputs = load_spec(args.spec)
    check_outputs({"--out": args.out}, inputs.files)  # the spec's input files too
    results = run_sweep(
        scenarios,
        inputs,
        scheduler=args.scheduler,
        workers=args.workers,
        out=args.out,
        resume=not args.no_resume,
        progress=not args.no_progress,
    )
    emit(_shown(results))
    failed = results[results["status"] == Status.FAILED.value]
    for row in failed.head(20).itertuples(index=False):
        emit(f"failed {row.scenario}: {row.error}")
    emit(
        f"portlab sweep: {len(results) - len(failed)} ok, {len(failed)} failed; results in "
        f"{args.out}"
    )
    return ExitCode.INVALID_LINES if len(failed) else ExitCode.OK

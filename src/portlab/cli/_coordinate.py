"""``portlab coordinate``: files in, decisions and rejections out, written atomically together
(private; the guarantees are listed in the :mod:`portlab.cli` docstring).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from portlab.cli._common import ExitCode, Fatal, emit, one_line
from portlab.cli._inputs import (
    build_coordinator,
    check_input,
    check_output_kinds,
    load_policy,
    read_events,
    read_market,
    reading,
)
from portlab.cli._summary import plural, summary_lines

__all__ = ["run"]


_MAX_BAD_LINES = 20  # invalid input lines listed on stderr; all of them go to the rejections


def _rejection_path(args: argparse.Namespace) -> Path:
    if args.rejections is not None:
        return args.rejections
    return args.out.with_name(args.out.name.removesuffix(".jsonl") + ".rejections.jsonl")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _as_of(text: str | None) -> Any:
    """``--as-of`` as a UTC timestamp, checked before any work (the engine's range included)."""
    import pandas as pd

    from portlab.dates import as_utc

    if text is None:
        return None
    ts = as_utc(text, "--as-of")
    low, high = (t.tz_localize("UTC") for t in (pd.Timestamp.min, pd.Timestamp.max))
    if not low <= ts <= high:
        raise Fatal(
            f"--as-of: {text} is outside the supported range {low:%Y-%m-%d} to {high:%Y-%m-%d}"
        )
    return ts


def run(args: argparse.Namespace) -> int:
    from portlab.engine.outcome import Source
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent
    from portlab.exceptions import JournalError, PortlabError, ValidationError
    from portlab.io import atomic_write, check_outputs
    from portlab.state import PortfolioState

    # 1. arguments and paths, before anything is read
    as_of = _as_of(args.as_of)
    market_file = None if args.market == "sample" else Path(args.market)
    if args.sectors is not None and market_file is None:
        raise Fatal("--sectors goes with a prices CSV (--market FILE); the sample has its own")
    inputs = {
        "--signals": args.signals,
        "--portfolio": args.portfolio,
        "--rebalance": args.rebalance,
        "--policy": args.policy,
        "--strategy-map": args.strategy_map,
        "--adaptive": args.adaptive,
        "--market": market_file,
        "--sectors": args.sectors,
    }
    inputs = {k: v for k, v in inputs.items() if v is not None}
    for option, path in inputs.items():
        check_input(option, path)
    rej_path = _rejection_path(args)
    rej_label = "--rejections" if args.rejections is not None else "rejections file"
    outputs = {"--out": args.out, rej_label: rej_path}
    journal_file = _journal_file(args.journal)
    if journal_file is not None:
        outputs["--journal"] = journal_file
    try:
        check_outputs(outputs, list(inputs.values()))
    except ValidationError as exc:
        raise Fatal(one_line(exc)) from None
    check_output_kinds(outputs)

    # 2. inputs, cheapest first
    config = load_policy(args.policy) if args.policy else None
    coordinator = build_coordinator(args, config)
    with reading(args.portfolio):
        state = PortfolioState.from_json(args.portfolio)
    signals = read_events("--signals", args.signals, TradingSignalEvent)
    requests = None
    if args.rebalance:
        requests = read_events("--rebalance", args.rebalance, RebalanceRequestEvent)
    market = read_market(args.market, args.sectors)

    # 3. coordinate (recorded in the journal, one transaction), then write both outputs
    journal = _open_journal(args.journal) if args.journal else None
    try:
        result = coordinator.coordinate(
            signals.events, state, market, requests.events if requests else None, as_of=as_of,
            journal=journal,
        )  # fmt: skip
    except PortlabError as exc:
        if journal is not None and isinstance(exc, JournalError):
            raise Fatal(f"--journal {args.journal}: {one_line(exc)}") from None
        raise
    finally:
        if journal is not None:
            journal.close()
    invalid = _invalid_lines(
        [(args.signals, Source.SIGNAL, signals)]
        + ([(args.rebalance, Source.REBALANCE, requests)] if requests else [])
    )
    decision_lines = [ev.to_json() for ev in result.events()]
    rows = [*result.rejections.to_dict("records"), *(row for _, row in invalid)]
    rejection_lines = [
        json.dumps({k: _jsonable(v) for k, v in row.items()}, default=str) for row in rows
    ]
    summary = summary_lines(result, len(requests.events) if requests else 0)  # before writing
    targets = [Path(os.path.realpath(p)) for p in (args.out, rej_path)]  # keep symlinks
    missing = {a for t in targets for a in (t.parent, *t.parent.parents) if not a.exists()}
    try:
        with atomic_write(targets[0]) as out_fh, atomic_write(targets[1]) as rej_fh:
            out_fh.writelines(line + "\n" for line in decision_lines)
            rej_fh.writelines(line + "\n" for line in rejection_lines)
    except BaseException as exc:
        for folder in sorted(missing, key=lambda a: len(a.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # the folders this run created, when left empty
        if not isinstance(exc, OSError):
            raise
        label, path = _failed_output(exc, outputs, targets)
        raise Fatal(f"{label} {path}: cannot be written ({exc.strerror or exc})") from None

    for i, (text, _) in enumerate(invalid):
        if i == _MAX_BAD_LINES:
            more = f"{len(invalid) - i} more invalid lines"
            print(f"portlab: {more}, all listed in {rej_path}", file=sys.stderr)
            break
        print(text, file=sys.stderr)
    if not args.quiet:
        for line in summary:
            emit(line)
        if invalid:
            emit(
                f"  and {plural(len(invalid), 'invalid input line')}, not coordinated: listed "
                "on stderr and in the rejections (reason INVALID)"
            )
        emit(
            f"wrote {len(decision_lines)} decisions to {args.out}, "
            f"{len(rejection_lines)} rejections to {rej_path}"
        )
        if journal is not None:
            emit(f"recorded run {result.run_id} in the journal {args.journal}")
    return ExitCode.INVALID_LINES if invalid else ExitCode.OK


def _journal_file(url: str | None) -> Path | None:
    """The SQLite file of a ``--journal`` value (None for a server URL or no journal)."""
    if not url:
        return None
    from portlab.journal import journal_file

    return journal_file(url)


def _open_journal(url: str) -> Any:
    """The journal at ``url``; a failure to open it is one line (exit 2)."""
    from portlab.exceptions import PortlabError
    from portlab.journal import Journal

    try:
        return Journal(url)
    except PortlabError as exc:
        raise Fatal(f"--journal {url}: {one_line(exc)}") from None


def _failed_output(exc: OSError, outputs: dict[str, Path], targets: list[Path]) -> tuple[str, Path]:
    """Which output a write error is about: by its temporary file's name or its folder."""
    name = Path(exc.filename) if exc.filename else None
    pairs = list(zip(outputs.items(), targets, strict=True))
    for (label, path), target in pairs:
        if name is not None and (name == target or name.name.startswith(f".{target.name}.")):
            return label, path
    for (label, path), target in pairs:
        if name is not None and target.is_relative_to(name):
            return label, path
    return next(iter(outputs.items()))


def _invalid_lines(batches: list[tuple[Path, str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """One entry per invalid input line: its stderr line ``file:line: field: message; ...``
    and its rejection row (reason INVALID, ``source`` SIGNAL or REBALANCE by the file)."""
    from portlab.engine.outcome import REJECTION_COLUMNS, RejectReason

    grouped: dict[tuple[str, Any, str], list[Any]] = {}
    for path, source, batch in batches:
        for err in batch.errors:
            grouped.setdefault((str(path), err.line, source), []).append(err)
    entries = []
    for (path, line, source), errors in grouped.items():
        what = "; ".join(f"{e.field or '(line)'}: {one_line(e.message)}" for e in errors)
        row = dict.fromkeys(REJECTION_COLUMNS)
        row.update(source=source, id=errors[0].event_id, reason=RejectReason.INVALID, rule="")
        row.update(detail=f"{path}:{line}: {what}", field=", ".join(e.field for e in errors))
        entries.append((f"{path}:{line}: {what}", row))
    return entries

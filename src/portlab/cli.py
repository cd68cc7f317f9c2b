"""The ``portlab`` command line.

Commands
--------
``portlab coordinate``
    Reads signal events (JSON Lines), a portfolio (JSON), optionally rebalance requests (JSON
    Lines), a policy (YAML) and a market (the bundled sample or a prices CSV), and writes the
    decision events and the rejections (JSON Lines). Input files may be gzipped (read
    transparently) and may start with a UTF-8 byte-order mark.
``portlab demo``
    Coordinates the bundled example batch against the bundled sample market and prints the
    decisions, the rejections and a summary whose counts add up.
``portlab policy --example | --check FILE``
    Prints the commented example policy file, or validates a policy file and prints the
    effective configuration (every default filled in) as YAML.

Exit status
-----------
0
    Everything was coordinated (or printed).
1
    Some input lines were invalid: each is reported on stderr as ``file:line: field: message``
    (the first 20; all of them in the rejections file, one row per line with reason
    ``INVALID`` and source ``SIGNAL`` or ``REBALANCE``); the valid lines are still coordinated
    and written. A file none of whose lines is valid is unusable (exit 2).
2
    The arguments or the inputs cannot be used (a missing or unreadable file, a file with no
    valid event, an unusable output path, a bad option value): one line on stderr,
    ``portlab: error: <file or option>: <what>``. No output file was created or changed.
3
    Internal error, a bug in portlab: one line, ``portlab: internal error: <type>: <message>
    (please report this)``. No output file was created or changed.
130
    Interrupted (Ctrl-C): ``portlab: interrupted``; outputs keep their old content.

Guarantees (issue #8)
---------------------
- Output paths are checked before any input is read (:func:`portlab.io.check_outputs`): an
  output that is an input (also through a symlink or another spelling such as ``./a``), two
  outputs that are one file, an output that is a folder or an existing device or pipe, and an
  output whose folder cannot be created are refused (exit 2) and nothing is written.
- ``--as-of`` and the other options are validated before any work; every input file is checked
  (exists, is a file, readable) before the first one is read.
- Outputs are written atomically (:func:`portlab.io.atomic_write`), decisions and rejections
  together: both are complete in temporary files before either replaces its target, so a
  failed or interrupted run leaves the old files (or none), never part of one, and no
  temporary file. Writing through a symlink replaces the file it points to, not the link.
- A warning prints as one line, ``portlab: warning: <message>`` (installed inside
  :func:`main` only; the previous ``warnings.showwarning`` is restored afterwards).
- Output cut short by a closed pipe (``portlab demo --json | head -1``) stops quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import math
import os
import stat
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ExitCode", "main"]


class ExitCode(enum.IntEnum):
    """The exit statuses of ``portlab`` (see the module docstring)."""

    OK = 0
    INVALID_LINES = 1
    UNUSABLE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class _Fatal(Exception):
    """An input or argument that stops the command (exit status 2); the message is one line."""


_MAX_BAD_LINES = 20  # invalid input lines listed on stderr; all of them go to the rejections


def _one_line(text: object) -> str:
    """``text`` on one line: its lines joined by "; ", runs of white space made one space."""
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "; ".join(line for line in lines if line)


# ----------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2 through :func:`main`)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _Fatal(f"{message} (see '{self.prog} --help')")


def _choice(enum_type: type[enum.Enum]) -> Any:
    """An argparse ``type`` taking an enum value in any letter case."""

    def parse(text: str) -> str:
        value = text.strip().upper().replace("-", "_")
        if value not in {m.value for m in enum_type}:
            names = ", ".join(m.value for m in enum_type)
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {names}")
        return value

    parse.__name__ = enum_type.__name__
    return parse


def _file(text: str) -> Path:
    """An argparse ``type`` for a file name: a ``Path``, never an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name")
    return Path(text)


_EXIT_HELP = (
    "exit status: 0 all coordinated; 1 some input lines invalid (the valid ones are still "
    "coordinated and written); 2 arguments or inputs unusable (one line on stderr, nothing "
    "written); 3 internal error (please report it); 130 interrupted"
)


def _parser() -> argparse.ArgumentParser:
    from portlab import __version__
    from portlab.engine.config import AllocationMode, Resolution

    resolution = {
        "type": _choice(Resolution),
        "help": "conflict resolution: one of "
        f"{', '.join(r.value for r in Resolution)} (default HIGHEST_PRIORITY)",
    }
    allocation = {
        "type": _choice(AllocationMode),
        "help": "capital allocation, OPTIMAL or "
        "GREEDY (default: the policy's sizing, else OPTIMAL)",
    }
    coordinate = {
        "--signals": {"required": True, "type": _file, "help": "JSON Lines of "
                      "TradingSignalEvent (gzip allowed)"},
        "--portfolio": {"required": True, "type": _file, "help": "portfolio JSON: {'positions': "
                        "{id: {'quantity', 'avg_price'}}, 'cash'}"},
        "--rebalance": {"type": _file, "help": "JSON Lines of RebalanceRequestEvent"},
        "--policy": {"type": _file, "help": "YAML with policy (and optional sizing, risk_loop) "
                     "sections; 'portlab policy --example' prints a commented one"},
        "--market": {"default": "sample", "metavar": "sample|FILE", "help": "'sample' (the "
                     "bundled data, default) or a prices CSV with a Date column"},
        "--sectors": {"type": _file, "help": "CSV of instrument sectors (columns ticker, "
                      "sector); only with a prices CSV"},
        "--resolution": resolution,
        "--allocation": allocation,
        "--as-of": {"metavar": "TIME", "help": "ISO 8601 time stamped on the decisions, e.g. "
                    "2022-12-28T15:00:00Z (default: the latest input timestamp)"},
        "--out": {"required": True, "type": _file, "help": "where to write the decision events "
                  "(JSON Lines); never one of the inputs"},
        "--rejections": {"type": _file, "help": "where to write the rejections (JSON Lines; "
                         "default: OUT with .rejections.jsonl)"},
        "--quiet": {"action": "store_true", "help": "print nothing on stdout on success "
                    "(errors and warnings still go to stderr)"},
    }  # fmt: skip
    p = _Parser(
        prog="portlab",
        description="portlab: coordinate trading signals and rebalance requests into "
        "sized, policy-compliant decisions.",
        epilog=_EXIT_HELP,
    )
    p.add_argument("--version", action="version", version=f"portlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    c = sub.add_parser(
        "coordinate",
        help="coordinate a batch of signal events into decision events",
        description="Coordinate signal events (and rebalance requests) into decision events. "
        "Outputs are checked before anything is read and written atomically.",
        epilog=_EXIT_HELP,
    )
    for flag, kwargs in coordinate.items():
        c.add_argument(
            flag, **({"metavar": "FILE"} if kwargs.get("type") is _file else {}), **kwargs
        )
    d = sub.add_parser("demo", help="coordinate the bundled example on the bundled market")
    d.add_argument("--resolution", **resolution)
    d.add_argument("--allocation", **allocation)
    d.add_argument("--json", action="store_true", help="print the decision events as JSON Lines")
    pol = sub.add_parser("policy", help="print the example policy, or check a policy file")
    what = pol.add_mutually_exclusive_group(required=True)
    what.add_argument("--example", action="store_true", help="print the commented example")
    what.add_argument("--check", type=_file, metavar="FILE", help="validate FILE and print the "
                      "effective configuration (defaults filled in) as YAML")  # fmt: skip
    return p


# ----------------------------------------------------------------------------- output
def _emit(text: str = "") -> None:
    """Print a line on stdout; when the reader has gone (closed pipe), drop the rest quietly."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not fail
            os.close(devnull)


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """``warnings.showwarning`` of the command line: one line, no source excerpt."""
    from portlab.exceptions import PortlabWarning

    text = _one_line(message)
    if not issubclass(category, PortlabWarning):
        text = f"{category.__name__}: {text}"
    print(f"portlab: warning: {text}", file=sys.stderr)


# ----------------------------------------------------------------------------- inputs
def _named(paths: Sequence[Path], message: object) -> str:
    """``message`` on one line, starting with the first file's name unless it names one."""
    text = _one_line(message)
    if any(str(p) in text or p.name in text for p in paths):
        return text
    return f"{paths[0]}: {text}"


@contextlib.contextmanager
def _reading(path: Path, *others: Path) -> Iterator[None]:
    """Turn whatever reading ``path`` (and ``others``) raises that is foreseeable into a
    one-line ``_Fatal`` naming the file."""
    from portlab.exceptions import PortlabError

    try:
        yield
    except PortlabError as exc:
        raise _Fatal(_named([path, *others], exc)) from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
        raise _Fatal(
            f"{path}: byte 0x{byte:02x} at offset {exc.start} is not UTF-8; save the file as UTF-8"
        ) from None
    except OSError as exc:
        where = exc.filename or path
        raise _Fatal(f"{where}: cannot be read ({exc.strerror or exc})") from None


def _check_input(option: str, path: Path) -> None:
    """Refuse, before anything is read, an input that is missing, a folder or unreadable."""
    if not path.exists():
        hint = "'sample' or a prices CSV" if option == "--market" else option
        raise _Fatal(f"{path}: no such file ({hint})")
    if path.is_dir():
        raise _Fatal(f"{path}: is a folder, not a file ({option})")
    if not os.access(path, os.R_OK):
        raise _Fatal(f"{path}: no permission to read it ({option})")


def _check_output_kinds(outputs: dict[str, Path]) -> None:
    """Refuse an existing output that is not a regular file (a device, a pipe, a socket)."""
    for label, path in outputs.items():
        with contextlib.suppress(OSError):
            if not stat.S_ISREG(path.stat().st_mode) and not path.is_dir():
                raise _Fatal(f"{label} {path} is not a regular file; give a file name")


def _read_events(option: str, path: Path, model: type) -> Any:
    """The events of a JSON Lines file; a file none of whose lines is valid is unusable."""
    from portlab.events import read_jsonl

    with _reading(path):
        batch = read_jsonl(path, model)
    if batch.errors and not batch.events:
        lines = sorted({e.line for e in batch.errors if e.line is not None})
        first = batch.errors[0]
        where = f"line {first.line}: " if first.line is not None else ""
        field = f"{first.field}: " if first.field else ""
        what = f"a valid {model.__name__} ({option}; {where}{field}{_one_line(first.message)})"
        if len(lines) == 1:
            raise _Fatal(f"{path}: its only line is not {what}")
        raise _Fatal(f"{path}: none of its {len(lines)} lines is {what}")
    return batch


def _load_policy(path: Path) -> tuple[Any, Any, Any]:
    """``load_config`` of a policy file (any suffix; every problem of it on one line)."""
    from portlab.engine import load_config

    with _reading(path):
        return load_config(path)


def _market(spec: str, sectors: Path | None) -> Any:
    from portlab.datasets import load_sample
    from portlab.market import Market

    if spec == "sample":
        return load_sample()
    path = Path(spec)
    others = [sectors] if sectors is not None else []
    with _reading(path, *others), _csv_errors(path, *others):
        return Market.from_csv(path, sectors=sectors)


@contextlib.contextmanager
def _csv_errors(*paths: Path) -> Iterator[None]:
    """pandas' errors for an unreadable CSV as one line naming the file (``Market`` reports
    empty and ragged files itself as a ``DataError``; this is the net under it)."""
    import pandas as pd

    try:
        yield
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise _Fatal(_named(paths, f"not a readable CSV file ({_one_line(exc)})")) from None


def _coordinator(args: argparse.Namespace, config: tuple[Any, Any, Any] | None) -> Any:
    from portlab.engine import Coordinator, SizingConfig

    policy, sizing, loop = config if config else (None, None, None)
    if args.allocation:
        settings = sizing.model_dump() if sizing is not None else {}
        sizing = SizingConfig.model_validate({**settings, "allocation": args.allocation})
    kwargs = {"resolution": args.resolution} if args.resolution else {}
    return Coordinator(policy, sizing, risk_loop=loop, **kwargs)


# ----------------------------------------------------------------------------- coordinate
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
        raise _Fatal(
            f"--as-of: {text} is outside the supported range {low:%Y-%m-%d} to {high:%Y-%m-%d}"
        )
    return ts


def _coordinate(args: argparse.Namespace) -> int:
    from portlab.engine.outcome import Source
    from portlab.events import RebalanceRequestEvent, TradingSignalEvent
    from portlab.exceptions import ValidationError
    from portlab.io import atomic_write, check_outputs
    from portlab.state import PortfolioState

    # 1. arguments and paths, before anything is read
    as_of = _as_of(args.as_of)
    market_file = None if args.market == "sample" else Path(args.market)
    if args.sectors is not None and market_file is None:
        raise _Fatal("--sectors goes with a prices CSV (--market FILE); the sample has its own")
    inputs = {
        "--signals": args.signals,
        "--portfolio": args.portfolio,
        "--rebalance": args.rebalance,
        "--policy": args.policy,
        "--market": market_file,
        "--sectors": args.sectors,
    }
    inputs = {k: v for k, v in inputs.items() if v is not None}
    for option, path in inputs.items():
        _check_input(option, path)
    rej_path = _rejection_path(args)
    rej_label = "--rejections" if args.rejections is not None else "rejections file"
    outputs = {"--out": args.out, rej_label: rej_path}
    try:
        check_outputs(outputs, list(inputs.values()))
    except ValidationError as exc:
        raise _Fatal(_one_line(exc)) from None
    _check_output_kinds(outputs)

    # 2. inputs, cheapest first
    config = _load_policy(args.policy) if args.policy else None
    coordinator = _coordinator(args, config)
    with _reading(args.portfolio):
        state = PortfolioState.from_json(args.portfolio)
    signals = _read_events("--signals", args.signals, TradingSignalEvent)
    requests = None
    if args.rebalance:
        requests = _read_events("--rebalance", args.rebalance, RebalanceRequestEvent)
    market = _market(args.market, args.sectors)

    # 3. coordinate, then write both outputs together
    result = coordinator.coordinate(
        signals.events, state, market, requests.events if requests else None, as_of=as_of
    )
    invalid = _invalid_lines(
        [(args.signals, Source.SIGNAL, signals)]
        + ([(args.rebalance, Source.REBALANCE, requests)] if requests else [])
    )
    decision_lines = [ev.to_json() for ev in result.events()]
    rows = [*result.rejections.to_dict("records"), *(row for _, row in invalid)]
    rejection_lines = [
        json.dumps({k: _jsonable(v) for k, v in row.items()}, default=str) for row in rows
    ]
    summary = _summary(result, len(requests.events) if requests else 0)  # before writing
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
        raise _Fatal(f"{label} {path}: cannot be written ({exc.strerror or exc})") from None

    for i, (text, _) in enumerate(invalid):
        if i == _MAX_BAD_LINES:
            more = f"{len(invalid) - i} more invalid lines"
            print(f"portlab: {more}, all listed in {rej_path}", file=sys.stderr)
            break
        print(text, file=sys.stderr)
    if not args.quiet:
        for line in summary:
            _emit(line)
        if invalid:
            _emit(
                f"  and {_plural(len(invalid), 'invalid input line')}, not coordinated: listed "
                "on stderr and in the rejections (reason INVALID)"
            )
        _emit(
            f"wrote {len(decision_lines)} decisions to {args.out}, "
            f"{len(rejection_lines)} rejections to {rej_path}"
        )
    return ExitCode.INVALID_LINES if invalid else ExitCode.OK


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
        what = "; ".join(f"{e.field or '(line)'}: {_one_line(e.message)}" for e in errors)
        row = dict.fromkeys(REJECTION_COLUMNS)
        row.update(source=source, id=errors[0].event_id, reason=RejectReason.INVALID, rule="")
        row.update(detail=f"{path}:{line}: {what}", field=", ".join(e.field for e in errors))
        entries.append((f"{path}:{line}: {what}", row))
    return entries


# ----------------------------------------------------------------------------- summaries
def _reason_words(other: str) -> dict[str, str]:
    """How a rejection reason reads after "5 rejected (2 ..."; ``other``: the winning side."""
    from portlab.engine.outcome import RejectReason as R

    words = {r: r.value.lower().replace("_", " ") for r in R}
    words.update({R.HOLD: "HOLD", R.CONFLICT_LOST: "lost a conflict", R.AT_TARGET: "at target",
                  R.OVERRIDDEN: f"overridden by {other}", R.UNKNOWN_STRATEGY: "unregistered "
                  "strategy", R.POLICY_LIMIT: "no room under a policy limit", R.BELOW_MIN_SIZE:
                  "below the minimum size", R.RISK_LIMIT: "dropped by the risk loop",
                  R.ROUNDS_TO_ZERO: "less than one share", R.NO_CAPACITY: "no capacity left"})  # fmt: skip
    return words


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def _rejected(reasons: Sequence[str], other: str) -> str:
    words = _reason_words(other)
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    order = sorted(counts, key=lambda r: (-counts[r], str(r)))
    detail = ", ".join(f"{counts[r]} {words.get(r, str(r).lower())}" for r in order)
    return f"{len(reasons)} rejected" + (f" ({detail})" if detail else "")


def _summary(result: Any, n_requests: int) -> list[str]:
    """Counts that reconcile: decisions by origin, signals and adjustments by fate."""
    from portlab.engine.outcome import Source

    d, rej, s = result.decisions, result.rejections, result.stats
    has_sig = [len(x) > 0 for x in d["signal_ids"]]
    has_adj = [len(x) > 0 for x in d["rebalance_ids"]]
    both = sum(a and b for a, b in zip(has_sig, has_adj, strict=True))
    sig_in = sum(len(x) for x in d["signal_ids"])
    adj_in = sum(len(x) for x in d["rebalance_ids"])
    sig_rej = rej.loc[rej["source"] == Source.SIGNAL, "reason"].tolist()
    adj_rej = rej.loc[rej["source"] == Source.REBALANCE, "reason"].tolist()
    n_sig, n_adj = s["total_signals"], s["total_rebalance_adjustments"]
    requests = (
        f" and {_plural(n_requests, 'rebalance request')} ({_plural(n_adj, 'adjustment')})"
        if n_requests or n_adj
        else ""
    )
    lines = [
        f"{_plural(n_sig, 'signal')}{requests} -> {_plural(len(d), 'decision')}, "
        f"{_plural(len(rej), 'rejection')} ({s['elapsed_ms']:.1f} ms)",
        f"  decisions:   {len(d):,} = {sum(has_sig) - both:,} from signals + "
        f"{sum(has_adj) - both:,} from rebalance adjustments + {both:,} from both",
        f"  signals:     {n_sig:,} = {sig_in:,} in {_plural(sum(has_sig), 'decision')} "
        f"({s['resized_signals']:,} resized by a limit) + "
        f"{_rejected(sig_rej, 'a rebalance adjustment')}",
    ]
    if requests:
        lines.append(
            f"  adjustments: {n_adj:,} = {adj_in:,} in {_plural(sum(has_adj), 'decision')} + "
            f"{_rejected(adj_rej, 'a signal')}"
        )
    return lines


def _money(x: float, currency: str) -> str:
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{abs(x):,.2f}"


def _pct(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x + 0.0:.2%}"


def _table(headers: list[str], rows: list[list[Any]], right: set[int]) -> list[str]:
    """Text columns: ``right`` ones right-aligned (numbers), the others left-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [fmt(headers), *(fmt(r) for r in rows)]


def _demo(args: argparse.Namespace) -> int:
    from portlab.datasets import example_batch, load_sample

    batch = example_batch()
    market = load_sample()
    coordinator = _coordinator(args, None)
    result = coordinator.coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    if args.json:
        for ev in result.events():
            _emit(ev.to_json())
        return ExitCode.OK
    d = result.decisions
    _emit(
        f"portlab demo: {_plural(len(batch.signals), 'signal')} and "
        f"{_plural(len(batch.rebalance_requests), 'rebalance request')} against a "
        f"${result.nav:,.0f} portfolio; sample market as of {market.dates[-1]:%Y-%m-%d}; "
        f"{coordinator.resolution.value} resolution, {coordinator.sizing.allocation.value} "
        "allocation\n"
    )
    _emit("Decisions (sizes and weights in % of the portfolio's value)")
    headers = ["instrument", "action", "shares", "price", "amount", "Kelly trade", "size",
               "weight before -> after", "priority", "origin", "horizon"]  # fmt: skip
    rows = [
        [r.instrument_id, r.action, f"{int(r.share_quantity):,}", _money(r.price, "$"),
         _money(r.trade_amount, "$"), _pct(r.signal_trade), _pct(r.final_size),
         f"{_pct(r.current_position)} -> {_pct(r.target_position)}", r.priority, r.origin,
         r.time_horizon]
        for r in d.itertuples(index=False)
    ]  # fmt: skip
    for line in _table(headers, rows, right={2, 3, 4, 5, 6, 7}):
        _emit(line)
    _emit("  (Kelly trade: the move toward the signal's Kelly target before any limit; "
          "size: what the limits and the correlation adjustment left)")  # fmt: skip
    _emit("\nRejections")
    rej = result.rejections
    cells = [[r.source, r.id, r.instrument_id, r.reason, r.detail] for r in rej.itertuples()]
    for line in _table(["source", "id", "instrument", "reason", "detail"], cells, right=set()):
        _emit(line)
    if len(d):
        _emit("\nReasoning of the first decision:")
        _emit("  " + str(d["reasoning"].iloc[0]))
    _emit()
    for line in _summary(result, len(batch.rebalance_requests)):
        _emit(line)
    return ExitCode.OK


# ----------------------------------------------------------------------------- policy
def _policy(args: argparse.Namespace) -> int:
    import yaml

    from portlab.datasets import example_paths
    from portlab.io import read_text

    if args.example:
        path = example_paths().get("policy")
        if path is None:
            raise RuntimeError("the example policy is missing from this installation")
        with _reading(path):
            text = read_text(path)
        _emit(text.rstrip("\n"))
        return ExitCode.OK
    _check_input("--check", args.check)
    policy, sizing, loop = _load_policy(args.check)
    effective = {
        "policy": policy.model_dump(mode="json"),
        "sizing": sizing.model_dump(mode="json"),
        "risk_loop": loop.model_dump(mode="json"),
    }
    _emit(f"# {args.check}: valid; the effective configuration (defaults filled in)")
    _emit(yaml.safe_dump(effective, sort_keys=False).rstrip("\n"))
    return ExitCode.OK


# ----------------------------------------------------------------------------- main
_COMMANDS = {"coordinate": _coordinate, "demo": _demo, "policy": _policy}


def _run(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.OK
    return _COMMANDS[args.command](args)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (:class:`ExitCode`; see the module docstring). ``--help`` and
        ``--version`` raise ``SystemExit(0)`` as argparse does.
    """
    from portlab.exceptions import PortlabError, PortlabWarning

    with warnings.catch_warnings():  # restores showwarning and the filters on the way out
        warnings.showwarning = _show_warning
        warnings.filterwarnings("default", category=PortlabWarning)
        try:
            return int(_run(argv))
        except (_Fatal, PortlabError) as exc:
            print(f"portlab: error: {_one_line(exc)}", file=sys.stderr)
        except KeyboardInterrupt:
            print("portlab: interrupted", file=sys.stderr)
            return ExitCode.INTERRUPTED
        except OSError as exc:  # the environment (a file that vanished, a full disk)
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"portlab: error: {where}{_one_line(exc.strerror or exc)}", file=sys.stderr)
        except Exception as exc:  # last resort: a bug; still one line, no traceback
            print(
                f"portlab: internal error: {type(exc).__name__}: {_one_line(exc)} "
                "(please report this)",
                file=sys.stderr,
            )
            return ExitCode.INTERNAL
        return ExitCode.UNUSABLE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

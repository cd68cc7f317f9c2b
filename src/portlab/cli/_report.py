"""``portlab report``: run a report template into a self-contained HTML page (private; see
:mod:`portlab.cli`)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from portlab.cli._common import ExitCode, Fatal, emit

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``portlab report``."""
    p.add_argument(
        "name",
        nargs="?",
        help="the template (portfolio, coordination, backtest; --list shows them)",
    )
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("KEY", "VALUE"), help="a parameter (repeatable); VALUE read as "
                   "YAML: 0.95 is a number, dates and other text stay text")  # fmt: skip
    p.add_argument("-f", "--parameters-file", type=Path, metavar="FILE",
                   help="a YAML mapping of parameters (-p values override it)")  # fmt: skip
    p.add_argument("--out", type=Path, metavar="FILE.html|FILE.pdf",
                   help="the page (default NAME.html); .pdf: printed by Chromium")  # fmt: skip
    p.add_argument("--keep-notebook", type=Path, metavar="FILE.ipynb",
                   help="also keep the executed notebook")  # fmt: skip
    p.add_argument("--timeout", type=float, default=600, help="seconds a cell may run (600)")
    p.add_argument("--list", action="store_true", help="list the templates and their parameters")
    p.add_argument("--batch", type=Path, metavar="FILE", help="a YAML list of parameter sets "
                   "(each may name its 'out'): run them concurrently, --out is their folder")  # fmt: skip
    p.add_argument("--workers", type=int, help="reports at once with --batch (default: 2 per CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _value(text: str) -> Any:
    """A parameter value from the command line: YAML scalars, dates kept as text."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, dt.date | dt.datetime) else value


def _yaml(path: Path) -> Any:
    """A YAML file's content; a missing or invalid file is one line naming it."""
    import yaml

    if not path.is_file():
        raise Fatal(f"{path}: no such file")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f":{where.line + 1}" if where is not None else ""
        raise Fatal(f"{path}{line}: not valid YAML") from None


def _texts(mapping: dict[Any, Any]) -> dict[str, Any]:
    """Names as text, dates as ISO text (YAML reads 2022-06-30 as a date)."""
    return {str(k): v.isoformat() if isinstance(v, dt.date) else v for k, v in mapping.items()}


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.parameters_file is not None:
        loaded = _yaml(args.parameters_file)
        if loaded is not None and not isinstance(loaded, dict):
            raise Fatal(f"{args.parameters_file}: expected a mapping of parameter names to values")
        values |= _texts(loaded or {})
    for key, text in args.parameter:
        values[key] = _value(text)
    return values


def _list() -> int:
    from portlab.reports import templates

    for name, template in templates().items():
        emit(name)
        for pname, spec in template.parameters().items():
            helptext = f"  # {spec['help']}" if spec.get("help") else ""
            emit(f"  {pname} = {spec['default']}{helptext}")
    return ExitCode.OK


def run(args: argparse.Namespace) -> int:
    from portlab.reports import run as run_report

    if args.list:
        return _list()
    if args.name is None:
        raise Fatal("a template name is needed (portlab report --list shows them)")
    if args.batch is not None:
        return _batch(args)
    out = run_report(
        args.name,
        _parameters(args),
        args.out,
        keep_notebook=args.keep_notebook,
        timeout=args.timeout,
        progress=not args.no_progress,
    )
    emit(f"portlab report {args.name}: {out}")
    return ExitCode.OK


def _batch(args: argparse.Namespace) -> int:
    from portlab.reports import run_batch

    sets = _yaml(args.batch)
    if not isinstance(sets, list) or not all(isinstance(x, dict) for x in sets):
        raise Fatal(f"{args.batch}: expected a list of mappings of parameters")
    common = _parameters(args)
    table = run_batch(args.name, [common | _texts(x) for x in sets], args.out or ".",
                      workers=args.workers, timeout=args.timeout)  # fmt: skip
    emit(table.to_string())
    failed = int((table["status"] != "ok").sum())
    emit(f"portlab report {args.name}: {len(table) - failed} ok, {failed} failed")
    return ExitCode.INVALID_LINES if failed else ExitCode.OK

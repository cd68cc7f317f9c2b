"""Reading the inputs of a command: files checked before reading, every foreseeable error of
reading one line naming the file, and the coordinator the options ask for (private).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from portlab.cli._common import Fatal, one_line

__all__ = [
    "build_coordinator",
    "check_input",
    "check_output_kinds",
    "load_policy",
    "read_events",
    "read_market",
    "reading",
]


def _named(paths: Sequence[Path], message: object) -> str:
    """``message`` on one line, starting with the first file's name unless it names one."""
    text = one_line(message)
    if any(str(p) in text or p.name in text for p in paths):
        return text
    return f"{paths[0]}: {text}"


@contextlib.contextmanager
def reading(path: Path, *others: Path) -> Iterator[None]:
    """Turn whatever reading ``path`` (and ``others``) raises that is foreseeable into a
    one-line ``Fatal`` naming the file."""
    from portlab.exceptions import PortlabError

    try:
        yield
    except PortlabError as exc:
        raise Fatal(_named([path, *others], exc)) from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
        raise Fatal(
            f"{path}: byte 0x{byte:02x} at offset {exc.start} is not UTF-8; save the file as UTF-8"
        ) from None
    except OSError as exc:
        where = exc.filename or path
        raise Fatal(f"{where}: cannot be read ({exc.strerror or exc})") from None


def check_input(option: str, path: Path) -> None:
    """Refuse, before anything is read, an input that is missing, a folder or unreadable."""
    if not path.exists():
        hint = "'sample' or a prices CSV" if option == "--market" else option
        raise Fatal(f"{path}: no such file ({hint})")
    if path.is_dir():
        raise Fatal(f"{path}: is a folder, not a file ({option})")
    if not os.access(path, os.R_OK):
        raise Fatal(f"{path}: no permission to read it ({option})")


def check_output_kinds(outputs: dict[str, Path]) -> None:
    """Refuse an existing output that is not a regular file (a device, a pipe, a socket)."""
    for label, path in outputs.items():
        with contextlib.suppress(OSError):
            if not stat.S_ISREG(path.stat().st_mode) and not path.is_dir():
                raise Fatal(f"{label} {path} is not a regular file; give a file name")


def read_events(option: str, path: Path, model: type) -> Any:
    """The events of a JSON Lines file; a file none of whose lines is valid is unusable."""
    from portlab.events import read_jsonl

    with reading(path):
        batch = read_jsonl(path, model)
    if batch.errors and not batch.events:
        lines = sorted({e.line for e in batch.errors if e.line is not None})
        first = batch.errors[0]
        where = f"line {first.line}: " if first.line is not None else ""
        field = f"{first.field}: " if first.field else ""
        what = f"a valid {model.__name__} ({option}; {where}{field}{one_line(first.message)})"
        if len(lines) == 1:
            raise Fatal(f"{path}: its only line is not {what}")
        raise Fatal(f"{path}: none of its {len(lines)} lines is {what}")
    return batch


def load_policy(path: Path) -> dict[str, Any]:
    """``load_settings`` of a policy file (any suffix; every problem of it on one line):
    ``policy``, ``sizing``, ``risk_loop`` and ``execution``."""
    from portlab.engine import load_settings

    with reading(path):
        return load_settings(path)


def read_market(spec: str, sectors: Path | None) -> Any:
    from portlab.datasets import load_sample
    from portlab.market import Market

    if spec == "sample":
        return load_sample()
    path = Path(spec)
    others = [sectors] if sectors is not None else []
    with reading(path, *others), _csv_errors(path, *others):
        return Market.from_csv(path, sectors=sectors)


@contextlib.contextmanager
def _csv_errors(*paths: Path) -> Iterator[None]:
    """pandas' errors for an unreadable CSV as one line naming the file (``Market`` reports
    empty and ragged files itself as a ``DataError``; this is the net under it)."""
    import pandas as pd

    try:
        yield
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise Fatal(_named(paths, f"not a readable CSV file ({one_line(exc)})")) from None


def build_coordinator(args: argparse.Namespace, config: dict[str, Any] | None) -> Any:
    from portlab.engine import Coordinator, SizingConfig

    settings = dict(config or {})
    policy, sizing = settings.pop("policy", None), settings.pop("sizing", None)
    if args.allocation:
        given = sizing.model_dump() if sizing is not None else {}
        sizing = SizingConfig.model_validate({**given, "allocation": args.allocation})
    if args.resolution:
        settings["resolution"] = args.resolution
    for option, name in (("strategy_map", "portfolio"), ("adaptive", "adaptive")):
        given = getattr(args, option, None)
        if given is not None:
            settings[name] = given
    return Coordinator(policy, sizing, **settings)

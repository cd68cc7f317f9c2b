"""The coordination console's inputs read from uploaded bytes or pasted text.

Each upload is handed to the reader portlab already has for that kind of file, so an upload
is read exactly as ``portlab coordinate`` reads the same file:

* signals, JSON Lines (or a JSON array): :func:`portlab.events.read_jsonl`;
* signals, CSV (the columns of :func:`portlab.events.signals_to_frame`):
  :func:`portlab.events.signals_from_frame` over ``pandas.read_csv``;
* a portfolio (the seed-004 JSON shape): :meth:`portlab.state.PortfolioState.from_json`;
* a policy YAML (``policy``/``sizing``/``risk_loop`` sections, ``--policy``):
  :func:`portlab.engine.load_settings`.

The bytes go to a file of the upload's name in a private temporary folder and that file is
read (so gzip, a byte-order mark and the not-UTF-8 messages behave as for a file on disk);
the folder's path is then taken out of every message, which names the upload
(``signals.jsonl:3: signal.confidence: Input should be ...``).

Nothing here raises for bad input: every problem becomes a line of
:attr:`Loaded.errors`, the valid lines of a signals file still load, and an upload over
:data:`MAX_UPLOAD_BYTES` is refused with a message saying so.
"""

from __future__ import annotations

import csv
import enum
import io
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portlab.engine import load_settings
from portlab.events import (
    EventBatch,
    EventError,
    TradingSignalEvent,
    read_jsonl,
    signals_from_frame,
    signals_to_frame,
)
from portlab.exceptions import PortlabError
from portlab.io import read_text
from portlab.state import PortfolioState

__all__ = [
    "MAX_UPLOAD_BYTES",
    "PASTED",
    "Loaded",
    "SignalFormat",
    "invalid_rows",
    "read_policy",
    "read_portfolio",
    "read_signals",
    "read_strategy_map",
    "signal_format",
    "too_large",
]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Largest upload read, in bytes (20 MB); a larger one is refused with a message.

A server must accept websocket messages of at least 4/3 of this (the browser sends a file
base64-encoded): Bokeh's default ``websocket_max_message_size`` is 20 MB."""

PASTED = "pasted"
"""The name under which pasted text is read and reported (``pasted:3: ...``)."""


class SignalFormat(enum.StrEnum):
    """The two signal file formats the console reads."""

    JSONL = "jsonl"
    """One ``TradingSignalEvent`` JSON object per line (a JSON array is read too)."""
    CSV = "csv"
    """A table with :data:`portlab.events.SIGNAL_COLUMNS` columns, one signal per row."""


_CSV_SUFFIXES = (".csv", ".csv.gz")
_MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    """What one upload gave: the value read, and every problem found in it.

    Attributes
    ----------
    source : str
        The upload's file name (``"pasted"`` for pasted text).
    value : object or None
        Signals: a tuple of :class:`~portlab.events.TradingSignalEvent` (the valid ones,
        possibly empty). Portfolio: a :class:`~portlab.state.PortfolioState`. Policy: the
        the settings of :func:`portlab.engine.load_settings`.
        None when nothing usable was read (refused, unreadable, or an invalid portfolio or
        policy: those are all or nothing).
    errors : tuple of str
        One line per problem, naming the upload: ``"name:line: field: message"`` for a bad
        field of a line (field ``(line)`` when the line as a whole is bad),
        ``"name: message"`` for the file as a whole.
    warnings : tuple of str
        Messages of the repair warnings the reader issued (e.g. events without eventId,
        given an id derived from their content).
    """

    source: str
    value: Any = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when something usable was read and nothing was wrong."""
        return self.value is not None and not self.errors

    @property
    def count(self) -> int:
        """How many signals were read (1 for a portfolio or a policy, 0 for nothing)."""
        if self.value is None:
            return 0
        return len(self.value) if isinstance(self.value, tuple | list) else 1


def too_large(size: int, source: str, max_bytes: int = MAX_UPLOAD_BYTES) -> str | None:
    """The refusal message of an upload of ``size`` bytes, or None if it is within the limit.

    Examples
    --------
    >>> too_large(30 * 1024 * 1024, "big.jsonl")
    'big.jsonl: 30.0 MB is over the 20.0 MB upload limit; split the file or run portlab coordinate on it'
    >>> too_large(10, "small.jsonl") is None
    True
    """
    if size <= max_bytes:
        return None
    return (
        f"{source}: {size / _MEGABYTE:.1f} MB is over the {max_bytes / _MEGABYTE:.1f} MB upload "
        "limit; split the file or run portlab coordinate on it"
    )


def signal_format(data: bytes | str, source: str) -> SignalFormat:
    """The format of a signals upload: by the name's suffix, else by its first character.

    ``.csv`` (or ``.csv.gz``) is CSV and ``.jsonl``/``.json``/``.ndjson`` JSON Lines; any
    other name (``"pasted"``) is JSON Lines when its first non-blank character is ``{`` or
    ``[``, CSV otherwise.
    """
    name = source.lower()
    if name.endswith(_CSV_SUFFIXES):
        return SignalFormat.CSV
    if name.endswith((".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz")):
        return SignalFormat.JSONL
    head = data[:4096]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    return (
        SignalFormat.JSONL
        if text.lstrip("\ufeff \t\r\n").startswith(("{", "["))
        else SignalFormat.CSV
    )


def read_signals(
    data: bytes | str,
    source: str = PASTED,
    *,
    fmt: SignalFormat | str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Loaded:
    """Trading signals from an uploaded file's bytes or pasted text.

    Parameters
    ----------
    data : bytes or str
        The file's content (UTF-8; gzip is decompressed) or the pasted text.
    source : str, default "pasted"
        The upload's file name (only its last component is used); it names the upload in
        every message and, with ``fmt`` None, chooses the format (:func:`signal_format`).
    fmt : SignalFormat or str, optional
        Force JSON Lines or CSV.
    max_bytes : int, default MAX_UPLOAD_BYTES
        Larger uploads are refused (``value`` None, one error saying so).

    Returns
    -------
    Loaded
        ``value`` the tuple of valid signals in file order (empty when none is valid, None
        when the upload was refused or unreadable); ``errors`` one line per bad field,
        ``"name:line: field: message"``, with the line numbers of the file (a CSV's header
        is line 1). A line's problems never drop another line.
    """
    name = _name(source)
    refused = too_large(len(data), name, max_bytes)
    if refused:
        return Loaded(name, None, (refused,))
    kind = SignalFormat(fmt) if fmt is not None else signal_format(data, name)
    reader = _read_jsonl if kind is SignalFormat.JSONL else _read_csv
    return _guarded(name, data, reader)


def read_portfolio(
    data: bytes | str, source: str = "portfolio.json", *, max_bytes: int = MAX_UPLOAD_BYTES
) -> Loaded:
    """A portfolio (the seed-004 JSON shape of ``example_portfolio.json``) from an upload.

    Read by :meth:`~portlab.state.PortfolioState.from_json`; ``value`` is the
    :class:`~portlab.state.PortfolioState`, or None with the reader's message (naming the
    upload, and the line for invalid JSON) in ``errors``.
    """
    name = _name(source)
    refused = too_large(len(data), name, max_bytes)
    if refused:
        return Loaded(name, None, (refused,))
    return _guarded(name, data, lambda path: (PortfolioState.from_json(path), ()))


def read_policy(
    data: bytes | str, source: str = "policy.yaml", *, max_bytes: int = MAX_UPLOAD_BYTES
) -> Loaded:
    """A policy file (as ``portlab coordinate --policy`` reads it) from an upload.

    Read by :func:`portlab.engine.load_settings`; ``value`` is its dict (``policy``,
    ``sizing``, ``risk_loop``, ``execution``), or None with one line per problem in ``errors``
    (``"policy.yaml:3: policy.max_position_size: 5 looks like a percentage; ..."``).
    """
    name = _name(source)
    refused = too_large(len(data), name, max_bytes)
    if refused:
        return Loaded(name, None, (refused,))
    return _guarded(name, data, lambda path: (load_settings(path), ()))


def read_strategy_map(
    data: bytes | str, source: str = "strategies.yaml", *, max_bytes: int = MAX_UPLOAD_BYTES
) -> Loaded:
    """A per-instrument strategy map (the YAML of ``portlab coordinate --strategy-map``) from
    an upload.

    Read by :func:`portlab.engine.load_portfolio`; ``value`` is the
    :class:`~portlab.engine.PortfolioStrategies`, or None with one line per problem in
    ``errors``.
    """
    from portlab.engine import load_portfolio

    name = _name(source)
    refused = too_large(len(data), name, max_bytes)
    if refused:
        return Loaded(name, None, (refused,))
    return _guarded(name, data, lambda path: (load_portfolio(path), ()))


# --------------------------------------------------------------------------- helpers

_Reader = Callable[[Path], tuple[Any, tuple[str, ...]]]


def _name(source: str) -> str:
    """The last component of an upload's name (a browser may send a path)."""
    base = os.path.basename(str(source).replace("\\", "/"))
    return base if base not in ("", ".", "..") else PASTED


@contextmanager
def _as_file(name: str, data: bytes | str) -> Iterator[Path]:
    """``data`` written to a file called ``name`` in a fresh private folder."""
    with tempfile.TemporaryDirectory(prefix="portlab-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else bytes(data))
        yield path


def _guarded(name: str, data: bytes | str, reader: _Reader) -> Loaded:
    """Run ``reader`` on ``data`` as a file; every problem becomes a message naming ``name``."""
    with _as_file(name, data) as path, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = str(path.parent) + os.sep
        try:
            value, errors = reader(path)
        except PortlabError as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            errors = tuple(_named(line.replace(folder, ""), name) for line in lines)
            return Loaded(name, None, errors or (f"{name}: {type(exc).__name__}",))
        issued = tuple(dict.fromkeys(str(w.message).replace(folder, "") for w in caught))
    return Loaded(name, value, errors, issued)


def _named(message: str, name: str) -> str:
    """``message`` starting with the upload's name."""
    return message if message.startswith(name) else f"{name}: {message}"


def _error_line(name: str, error: EventError, line: int | None) -> str:
    """One problem as ``name:line: field: message`` (``name: message`` for the whole file)."""
    if line is None:
        return f"{name}: {error.message}"
    return f"{name}:{line}: {error.field or '(line)'}: {error.message}"


def _lines_of(batch: EventBatch, name: str, lines: list[int] | None = None) -> tuple[str, ...]:
    """The batch's errors as lines; ``lines`` maps a row position to its line (CSV)."""
    out = []
    for error in batch.errors:
        line = error.line
        if line is None and lines is not None and 0 <= error.index < len(lines):
            line = lines[error.index]
        out.append(_error_line(name, error, line))
    return tuple(out)


def _read_jsonl(path: Path) -> tuple[tuple[TradingSignalEvent, ...], tuple[str, ...]]:
    batch = read_jsonl(path, TradingSignalEvent)
    return tuple(batch.events), _lines_of(batch, path.name)


def _string_columns() -> dict[str, type]:
    """The signal columns read as text (ids, enums, timestamps): the non-numeric ones."""
    frame = signals_to_frame([])
    return {c: str for c, dtype in frame.dtypes.items() if dtype.kind not in "fiu"}


def _record_lines(text: str) -> list[int]:
    """The line on which each data record of a CSV text starts (the header is line 1)."""
    starts, previous = [], 0
    reader = csv.reader(io.StringIO(text))
    for index, row in enumerate(reader):
        start = previous + 1
        previous = reader.line_num
        if index and any(cell.strip() for cell in row):
            starts.append(start)
    return starts


def _read_csv(path: Path) -> tuple[tuple[TradingSignalEvent, ...], tuple[str, ...]]:
    import pandas as pd

    text = read_text(path)
    if not text.strip():
        return (), (f"{path.name}: the file is empty (expected a header line of signal columns)",)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=_string_columns(), skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        message = " ".join(str(exc).split())
        return (), (f"{path.name}: not a readable CSV file ({message})",)
    batch = signals_from_frame(frame)
    lines = _record_lines(text)
    if len(lines) != len(frame):  # pandas and csv disagree on a record: count rows instead
        lines = [row + 2 for row in range(len(frame))]
    return tuple(batch.events), _lines_of(batch, path.name, lines)


#: ``name:line: field: message`` (a bad field of a line) or ``name: message`` (the whole file)
_PROBLEM = re.compile(r"^(?P<where>.+?:\d+): (?P<field>[^:]+): (?P<message>.*)$", re.DOTALL)


def invalid_rows(loaded: Loaded) -> list[dict[str, str]]:
    """An upload's problems as rows of a coordination's rejections table (reason INVALID).

    Each row: ``source`` "UPLOAD", ``id`` where the problem is (``signals.jsonl:3``, or the
    file's name), ``reason`` "INVALID", ``field`` the field named (``(line)`` for a line as a
    whole, empty for the file), ``detail`` the message; the rejections' other columns empty.

    Examples
    --------
    >>> bad = Loaded("s.jsonl", (), ("s.jsonl:3: signal.confidence: must be <= 1",))
    >>> invalid_rows(bad)[0]["id"], invalid_rows(bad)[0]["field"]
    ('s.jsonl:3', 'signal.confidence')
    """
    from portlab.engine import RejectReason

    rows = []
    for problem in loaded.errors:
        hit = _PROBLEM.match(problem)
        where, field, message = (
            hit.group("where", "field", "message") if hit else (loaded.source, "", problem)
        )
        if not hit and problem.startswith(f"{loaded.source}: "):
            message = problem[len(loaded.source) + 2 :]
        rows.append(
            {"source": "UPLOAD", "id": where, "reason": RejectReason.INVALID.value,
             "field": field, "detail": message}
        )  # fmt: skip
    return rows

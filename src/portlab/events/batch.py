"""Parse batches of events, keeping every good event and naming every bad field.

A batch never fails as a whole: :func:`parse_events` returns the valid events together with
one :class:`EventError` per problem (position in the batch, ``eventId``, dotted field path,
message, and for files the line number). Call :meth:`EventBatch.raise_if_errors` to turn
problems into a :class:`~portlab.exceptions.EventValidationError`.

Rules for bad input (issue #8)
------------------------------
* Each record that is not an event is an error for that record only, and never an exception:
  text that is not JSON, not UTF-8, nested deeper than
  :data:`~portlab.events._errors.MAX_NESTING` levels (``[[[[...]]]]``), an integer of more
  than :data:`~portlab.events._errors.MAX_INT_DIGITS` digits, a JSON value that is not an
  object (``42``, ``"x"``, ``null``), NaN or Infinity in a number field, an ``eventId`` that
  is not a non-empty string, an event with thousands of unknown fields (the first
  :data:`~portlab.events._errors.MAX_ERRORS_PER_EVENT` problems are listed).
* A record without ``eventId`` gets an id derived from its content (see
  :class:`~portlab.events.EventModel`), and the batch issues ONE
  :class:`~portlab.exceptions.InputRepairWarning` naming how many records and which
  lines or positions. The same content twice then has the same id, so the second is a
  duplicate.
* A repeated ``eventId`` is an error on each later occurrence (field ``eventId``), which is
  left out; the first is kept.
"""

from __future__ import annotations

import bisect
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Generic, TypeVar

import pydantic

from portlab.events._errors import (
    OPENED,
    EventError,
    errors_from_validation,
    json_kind,
    load_record,
    opens_document,
    shown,
    split_document,
)
from portlab.events._types import EVENT_ID_DIGITS, EventModel
from portlab.events.rebalance import RebalanceRequestEvent
from portlab.events.signal import TradingSignalEvent
from portlab.exceptions import (
    DataError,
    EventValidationError,
    InputRepairWarning,
    ValidationError,
    warn,
)
from portlab.io import PathLike, atomic_write, iter_lines, read_text

__all__ = [
    "EventBatch",
    "EventError",
    "parse_events",
    "parse_rebalance_requests",
    "parse_signals",
    "read_jsonl",
    "write_jsonl",
]

E = TypeVar("E", bound=EventModel)

Record = Mapping[str, Any] | str | bytes | bytearray | EventModel
"""What a batch may hold: a dict, one JSON document, or an already built event."""

_LISTED = 10  # positions named in a warning before "and N more"


@dataclass(frozen=True, slots=True)
class EventBatch(Generic[E]):
    """The outcome of parsing a batch: the valid events and the problems found.

    Attributes
    ----------
    events : list of EventModel
        The valid events, in input order (duplicates after the first are left out).
    errors : list of EventError
        One entry per bad field of each bad record, in input order.
    source : str or None
        Name of the file or other source of the batch, if any.
    """

    events: list[E]
    errors: list[EventError] = field(default_factory=list)
    source: str | None = None

    @property
    def ok(self) -> bool:
        """True when no record had a problem."""
        return not self.errors

    def raise_if_errors(self) -> EventBatch[E]:
        """Raise if any record was bad; return the batch otherwise (for chaining).

        Returns
        -------
        EventBatch
            ``self``.

        Raises
        ------
        portlab.exceptions.EventValidationError
            Carrying all :attr:`errors` and the :attr:`source`.
        """
        if self.errors:
            raise EventValidationError(self.errors, self.source)
        return self


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A record that could not even be decoded (the message says why)."""

    message: str
    whole_file: bool = False


def _parse_one(
    record: object,
    model: type[E],
    *,
    index: int,
    line: int | None,
    source: str | None,
) -> tuple[E | list[EventError], bool]:
    """Validate one record into ``model``; also tell whether its id was derived."""

    def fail(message: str, event_id: object = None, field_: str = "") -> list[EventError]:
        ident = event_id if isinstance(event_id, str) and event_id else None
        return [EventError(index, ident, field_, message, line, source)]

    if isinstance(record, _Unreadable):
        at = -1 if record.whole_file else index
        return [EventError(at, None, "", record.message, line, source)], False
    if isinstance(record, EventModel):
        if isinstance(record, model):
            return record, False
        kind = type(record).__name__
        return fail(f"expected a {model.__name__}, got a {kind}", record.event_id), False
    if isinstance(record, str | bytes | bytearray):
        record, problem = load_record(record)
        if problem is not None:
            return fail(problem), False
        if not isinstance(record, dict):
            return fail(f"expected a JSON object (one event), got {json_kind(record)}"), False
    elif not isinstance(record, Mapping):
        return fail(
            f"expected a dict, a JSON string or a {model.__name__}, got {type(record).__name__}"
        ), False
    derived = "eventId" not in record and "event_id" not in record
    try:
        return model.model_validate(record), derived
    except pydantic.ValidationError as exc:
        event_id = record.get("eventId", record.get("event_id"))
        return errors_from_validation(
            exc, index=index, event_id=event_id, line=line, source=source
        ), False


def _collect_quiet(
    items: Iterable[tuple[object, int | None]],
    model: type[E],
    source: str | None,
) -> tuple[EventBatch[E], list[tuple[int, int | None]]]:
    """Parse ``(record, line)`` pairs; also return ``(index, line)`` of each derived id."""
    events: list[E] = []
    errors: list[EventError] = []
    derived: list[tuple[int, int | None]] = []
    first_seen: dict[str, tuple[int, int | None, bool]] = {}
    for index, (record, line) in enumerate(items):
        result, was_derived = _parse_one(record, model, index=index, line=line, source=source)
        if isinstance(result, list):
            errors.extend(result)
            continue
        if was_derived:
            derived.append((index, line))
        event_id = result.event_id
        first = first_seen.setdefault(event_id, (index, line, was_derived))
        if first[0] != index:
            where = f"line {first[1]}" if first[1] is not None else f"event {first[0]}"
            if was_derived and first[2]:
                message = (
                    f"duplicate of the event at {where}: same content and no eventId, so the "
                    f"same derived id {shown(event_id)}"
                )
            else:
                message = f"duplicate eventId {shown(event_id)} (first seen at {where})"
            errors.append(EventError(index, event_id, "eventId", message, line, source))
            continue
        events.append(result)
    return EventBatch(events, errors, source), derived


def _warn_derived(
    derived: list[tuple[int, int | None]], model: type[EventModel], source: str | None
) -> None:
    """One InputRepairWarning for all the records of a batch that had no eventId."""
    if not derived:
        return
    count = len(derived)
    by_line = all(line is not None for _, line in derived)
    label = "line" if by_line else "event"
    places = [line if by_line else index for index, line in derived]
    listed = ", ".join(str(p) for p in places[:_LISTED])
    if count > _LISTED:
        listed += f" and {count - _LISTED:,} more"
    where = f"{source}: " if source else ""
    plural = "s" if count > 1 else ""
    warn(
        f"{where}{count:,} event{plural} without eventId ({label}{plural} {listed}): each was "
        f"given an id derived from its content, {model.id_prefix!r} + the first "
        f"{EVENT_ID_DIGITS} hex digits of the SHA-256 of its canonical JSON; give each event "
        "an eventId to choose your own",
        InputRepairWarning,
    )


def _warn_untimed(batch: EventBatch, source: str | None) -> None:
    """One InputRepairWarning for the events of a batch given without a timestamp."""
    untimed = [e.event_id for e in batch.events if not e.timestamp_given]
    if not untimed:
        return
    count = len(untimed)
    listed = ", ".join(untimed[:_LISTED]) + (
        f" and {count - _LISTED:,} more" if count > _LISTED else ""
    )
    where = f"{source}: " if source else ""
    warn(
        f"{where}{count:,} event{'s' * (count > 1)} without timestamp ({listed}): the engine "
        "treats them as having no time (decisions are stamped with as_of, or the market's last "
        "date; first-in-first-out resolution counts them as the oldest); give each a timestamp",
        InputRepairWarning,
    )


def _collect(
    items: Iterable[tuple[object, int | None]],
    model: type[E],
    source: str | None,
) -> EventBatch[E]:
    """Parse ``(record, line)`` pairs, flagging repeated eventIds after the first.

    Issues one :class:`~portlab.exceptions.InputRepairWarning` when records had no eventId.
    """
    batch, derived = _collect_quiet(items, model, source)
    _warn_derived(derived, model, source)
    _warn_untimed(batch, source)
    return batch


def _check_model(model: object) -> None:
    if not (isinstance(model, type) and issubclass(model, EventModel)):
        got = model.__name__ if isinstance(model, type) else type(model).__name__
        raise ValidationError(
            f"model: expected an event class such as TradingSignalEvent, got {got}"
        )


def _check_records(records: object, model: type[EventModel]) -> None:
    hint: str | None = None
    if isinstance(records, str | bytes | bytearray):
        hint = (
            f"to read a JSON Lines file use read_jsonl(path, {model.__name__}); "
            "put a single JSON event in a list"
        )
    elif isinstance(records, os.PathLike):
        hint = f"to read a file use read_jsonl(path, {model.__name__})"
    elif isinstance(records, Mapping | EventModel):
        hint = "put a single event in a list"
    elif type(records).__name__ == "DataFrame":
        hint = "use signals_from_frame or events_from_frame"
    elif not isinstance(records, Iterable):
        hint = ""
    if hint is not None:
        raise ValidationError(
            f"records: expected a list of events (dicts, JSON strings or {model.__name__}), "
            f"got {type(records).__name__}" + (f" ({hint})" if hint else "")
        )


def parse_events(
    records: Iterable[Record], model: type[E], *, source: str | None = None
) -> EventBatch[E]:
    """Validate a batch of records into events of one type.

    Parameters
    ----------
    records : iterable of dict, str, bytes or EventModel
        Dicts with the contract's field names, JSON documents (a leading byte-order mark is
        dropped; bytes must be UTF-8), or events of type ``model`` (kept as they are).
    model : type of EventModel
        The event class, e.g. :class:`~portlab.events.TradingSignalEvent`.
    source : str, optional
        Name of where the records came from, used in error messages.

    Returns
    -------
    EventBatch
        The valid events in input order, and one :class:`EventError` per problem. A record
        whose ``eventId`` repeats an earlier valid event's is an error (field ``eventId``)
        and is left out; a bad record never causes a good one to be dropped. Records
        without ``eventId`` get an id derived from their content, with one
        ``InputRepairWarning`` for the batch.

    Raises
    ------
    portlab.exceptions.ValidationError
        ``records`` is not a collection of records (a single string, dict or event, a
        DataFrame, a path), or ``model`` is not an event class.

    Examples
    --------
    >>> batch = parse_events([{"eventId": "a"}], TradingSignalEvent)
    >>> batch.events, str(batch.errors[0])
    ([], "event 0 (eventId 'a'), field signal: Field required")
    """
    _check_model(model)
    _check_records(records, model)
    return _collect(((r, None) for r in records), model, source)


def parse_signals(
    records: Iterable[Record], *, source: str | None = None
) -> EventBatch[TradingSignalEvent]:
    """Parse trading signals; ``parse_events(records, TradingSignalEvent)``.

    Parameters
    ----------
    records : iterable of dict, str, bytes or TradingSignalEvent
        The signals.
    source : str, optional
        Name of where the records came from.

    Returns
    -------
    EventBatch of TradingSignalEvent
    """
    return parse_events(records, TradingSignalEvent, source=source)


def parse_rebalance_requests(
    records: Iterable[Record], *, source: str | None = None
) -> EventBatch[RebalanceRequestEvent]:
    """Parse rebalance requests; ``parse_events(records, RebalanceRequestEvent)``.

    Parameters
    ----------
    records : iterable of dict, str, bytes or RebalanceRequestEvent
        The requests.
    source : str, optional
        Name of where the records came from.

    Returns
    -------
    EventBatch of RebalanceRequestEvent
    """
    return parse_events(records, RebalanceRequestEvent, source=source)


# --------------------------------------------------------------------------- files


def _file_name(path: object, what: str = "path") -> str:
    try:
        name = os.fspath(path)  # type: ignore[arg-type]
    except TypeError:
        raise ValidationError(
            f"{what}: expected a file name (str or pathlib.Path), got {type(path).__name__}"
        ) from None
    return os.fsdecode(name)


def _without(prefix: str, message: str) -> str:
    return message[len(prefix) :] if message.startswith(prefix) else message


def _lines(name: str) -> Iterator[tuple[str | _Unreadable, int]]:
    """``(text, line)`` of each non-blank line; a line that is not UTF-8 is ``_Unreadable``.

    A compressed file that breaks off after some lines yields a last whole-file problem
    instead of raising, so the lines before it are kept.
    """
    last = 0
    try:
        for number, text in iter_lines(name):
            last = number
            if isinstance(text, str):
                yield text, number
            else:
                yield _Unreadable(_without(f"{name}: line {number}, ", str(text))), number
    except (DataError, zlib.error) as exc:
        # zlib.error: corrupt deflate data escapes portlab.io.open_binary (not an OSError)
        message = _without(f"{name}: ", str(exc) if isinstance(exc, DataError) else "")
        message = message or f"cannot be read (corrupt compressed data: {exc})"
        if last == 0:
            raise DataError(f"{name}: {message}") from None
        yield _Unreadable(f"{message}; lines 1-{last} were read", whole_file=True), last + 1


def _read_document(name: str, model: type[E]) -> tuple[EventBatch[E], list] | None:
    """Read ``name`` as a JSON array or several-line JSON objects; None if not decodable."""
    try:
        text = read_text(name)
    except (DataError, zlib.error):
        return None
    newlines = [m.start() for m in re.finditer("\n", text)]

    def place(offset: int) -> tuple[int, int]:
        line = bisect.bisect_left(newlines, offset)
        return line + 1, offset - (newlines[line - 1] + 1 if line else 0) + 1

    doc = split_document(text)
    items: list[tuple[object, int]] = []
    for begin, end in doc.spans:
        origin = place(begin)
        value, problem = load_record(text[begin:end], origin=origin)
        if problem is None and not isinstance(value, dict):
            problem = f"expected a JSON object (one event), got {json_kind(value)}"
        items.append((_Unreadable(problem) if problem else value, origin[0]))
    batch, derived = _collect_quiet(items, model, name)
    if not doc.problems:
        return batch, derived
    hint = (
        "this looks like a JSON array; portlab reads JSON Lines: one event per line (or "
        "one complete JSON array of events)"
        if doc.kind == "array"
        else "this looks like a JSON object spread over several lines; portlab reads JSON "
        "Lines: one event per line (or complete JSON objects spread over lines)"
    )
    structural = []
    for offset, what, opened in doc.problems:
        what = what.replace(OPENED, f"line {place(opened)[0]}")
        structural.append(EventError(-1, None, "", f"{hint}; {what}", place(offset)[0], name))
    errors = sorted([*batch.errors, *structural], key=lambda e: e.line or 0)
    return EventBatch(batch.events, errors, name), derived


def read_jsonl(path: PathLike, model: type[E]) -> EventBatch[E]:
    """Read a JSON Lines file of events of one type.

    Parameters
    ----------
    path : str or os.PathLike
        File with one JSON event per line; blank lines are skipped. Read through
        :func:`portlab.io.iter_lines`: UTF-8, a byte-order mark is dropped, a gzip file
        is decompressed whatever its name.
    model : type of EventModel
        The event class.

    Returns
    -------
    EventBatch
        Valid events and errors; each error carries its 1-based ``line`` and the file name
        as ``source``; ``index`` counts non-blank lines from 0. A line that is not JSON, not
        UTF-8, nested too deep or not an object is an error with field ``""``; the other
        lines are kept.

    Raises
    ------
    portlab.exceptions.DataError
        The file is missing, a folder, unreadable, or a corrupt compressed file (the
        message names it). A compressed file cut short after some lines is not raised:
        the lines read are kept and the break is one error (``index`` -1).
    portlab.exceptions.ValidationError
        ``path`` is not a file name, or ``model`` not an event class.

    Notes
    -----
    A JSON array, or JSON objects spread over several lines (pretty-printed, as ``jq .``
    writes them), is read too, by this rule: when the first non-blank line starts with
    ``[``, or starts an object that it does not close, the file is read as JSON values
    spread over lines. Each element of a top-level array and each top-level object is one
    event (``index`` its position, ``line`` the line where it starts); an element that is
    not valid JSON is an error for that element only. What breaks the structure itself (an
    array never closed, a stray ``]``) is ONE error with ``index`` -1 and the hint "this
    looks like a JSON array; portlab reads JSON Lines: one event per line", never one error
    per line. If reading the file line by line keeps more events (a JSON Lines file whose
    first line is cut short), the line-by-line result is returned instead, so a valid line
    is never lost.
    """
    _check_model(model)
    name = _file_name(path)
    lines = _lines(name)
    first = next(lines, None)
    if first is None:
        return EventBatch([], [], name)
    if opens_document(first[0]):
        lines.close()
        result = _read_document(name, model)
        by_line = _collect_quiet(_lines(name), model, name)
        if result is None or len(by_line[0].events) > len(result[0].events):
            result = by_line
    else:
        result = _collect_quiet(chain([first], lines), model, name)
    batch, derived = result
    _warn_derived(derived, model, name)
    return batch


def write_jsonl(path: PathLike, events: Iterable[EventModel]) -> int:
    """Write events to a JSON Lines file (one compact JSON document per line), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        File to create or replace. It is written through :func:`portlab.io.atomic_write`:
        an interrupted or failed write leaves the old file (or none), never part of one.
    events : iterable of EventModel
        The events, written with :meth:`EventModel.to_json`.

    Returns
    -------
    int
        Number of events written.

    Raises
    ------
    portlab.exceptions.ValidationError
        ``events`` holds something that is not an event, or ``path`` is a folder or cannot
        be written; nothing is written then.
    """
    name = _file_name(path)
    if isinstance(events, EventModel | Mapping | str | bytes) or not isinstance(events, Iterable):
        raise ValidationError(
            f"events: expected a list of events, got {type(events).__name__}"
            + (" (put a single event in a list)" if isinstance(events, EventModel) else "")
        )
    items = list(events)
    for position, event in enumerate(items):
        if not isinstance(event, EventModel):
            raise ValidationError(
                f"events[{position}]: expected an event (an EventModel such as "
                f"TradingSignalEvent), got {type(event).__name__}; nothing was written"
            )
    if os.path.isdir(name):
        raise ValidationError(f"{name} is a folder; give a file name")
    try:
        with atomic_write(name) as fh:
            for event in items:
                fh.write(event.to_json())
                fh.write("\n")
    except OSError as exc:
        raise ValidationError(f"{name}: cannot be written ({exc.strerror or exc})") from None
    return len(items)

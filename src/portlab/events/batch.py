"""Parse batches of events, keeping every good event and naming every bad field.

A batch never fails as a whole: :func:`parse_events` returns the valid events together with
one :class:`EventError` per problem (position in the batch, ``eventId``, dotted field path,
message, and for files the line number). Call :meth:`EventBatch.raise_if_errors` to turn
problems into a :class:`~portlab.exceptions.EventValidationError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pydantic

from portlab.events._errors import EventError, errors_from_validation
from portlab.events._types import EventModel
from portlab.events.rebalance import RebalanceRequestEvent
from portlab.events.signal import TradingSignalEvent
from portlab.exceptions import EventValidationError

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


def _parse_one(
    record: object,
    model: type[E],
    *,
    index: int,
    line: int | None,
    source: str | None,
) -> E | list[EventError]:
    """Validate one record into ``model``, or return its errors."""

    def fail(message: str, event_id: object = None, field_: str = "") -> list[EventError]:
        ident = event_id if isinstance(event_id, str) and event_id else None
        return [EventError(index, ident, field_, message, line, source)]

    if isinstance(record, EventModel):
        if isinstance(record, model):
            return record
        return fail(f"expected a {model.__name__}, got a {type(record).__name__}", record.event_id)
    if isinstance(record, str | bytes | bytearray):
        try:
            record = json.loads(record)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            return fail(f"not valid JSON: {exc}")
        if not isinstance(record, dict):
            return fail(f"expected a JSON object, got {type(record).__name__}")
    elif not isinstance(record, Mapping):
        return fail(
            f"expected a dict, a JSON string or a {model.__name__}, got {type(record).__name__}"
        )
    try:
        return model.model_validate(record)
    except pydantic.ValidationError as exc:
        return errors_from_validation(
            exc, index=index, event_id=record.get("eventId"), line=line, source=source
        )


def _collect(
    items: Iterable[tuple[object, int | None]],
    model: type[E],
    source: str | None,
) -> EventBatch[E]:
    """Parse ``(record, line)`` pairs, flagging repeated eventIds after the first."""
    events: list[E] = []
    errors: list[EventError] = []
    first_seen: dict[str, int] = {}
    for index, (record, line) in enumerate(items):
        result = _parse_one(record, model, index=index, line=line, source=source)
        if isinstance(result, list):
            errors.extend(result)
            continue
        first = first_seen.setdefault(result.event_id, index)
        if first != index:
            message = f"duplicate eventId {result.event_id!r} (first seen at event {first})"
            errors.append(EventError(index, result.event_id, "eventId", message, line, source))
            continue
        events.append(result)
    return EventBatch(events, errors, source)


def parse_events(
    records: Iterable[Record], model: type[E], *, source: str | None = None
) -> EventBatch[E]:
    """Validate a batch of records into events of one type.

    Parameters
    ----------
    records : iterable of dict, str, bytes or EventModel
        Dicts with the contract's field names, JSON documents, or events of type ``model``
        (kept as they are).
    model : type of EventModel
        The event class, e.g. :class:`~portlab.events.TradingSignalEvent`.
    source : str, optional
        Name of where the records came from, used in error messages.

    Returns
    -------
    EventBatch
        The valid events in input order, and one :class:`EventError` per problem. A record
        whose ``eventId`` repeats an earlier valid event's is an error (field ``eventId``)
        and is left out; a bad record never causes a good one to be dropped.

    Examples
    --------
    >>> batch = parse_events([{"eventId": "a"}], TradingSignalEvent)
    >>> batch.events, str(batch.errors[0])
    ([], "event 0 (eventId 'a'), field signal: Field required")
    """
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


def _jsonl_lines(path: str | os.PathLike[str]) -> Iterator[tuple[str, int]]:
    with open(path, encoding="utf-8-sig") as fh:
        for number, text in enumerate(fh, start=1):
            if text.strip():
                yield text, number


def read_jsonl(path: str | os.PathLike[str], model: type[E]) -> EventBatch[E]:
    """Read a JSON Lines file of events of one type.

    Parameters
    ----------
    path : str or os.PathLike
        File with one JSON event per line; blank lines are skipped.
    model : type of EventModel
        The event class.

    Returns
    -------
    EventBatch
        Valid events and errors; each error carries its 1-based ``line`` and the file name
        as ``source``; ``index`` counts non-blank lines from 0. A line that is not JSON is
        an error with field ``""``.

    Raises
    ------
    OSError
        If the file cannot be opened.
    """
    source = os.fspath(path)
    return _collect(_jsonl_lines(path), model, str(source))


def write_jsonl(path: str | os.PathLike[str], events: Iterable[EventModel]) -> int:
    """Write events to a JSON Lines file (one compact JSON document per line).

    Parameters
    ----------
    path : str or os.PathLike
        File to create or overwrite.
    events : iterable of EventModel
        The events, written with :meth:`EventModel.to_json`.

    Returns
    -------
    int
        Number of events written.
    """
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for event in events:
            fh.write(event.to_json())
            fh.write("\n")
            count += 1
    return count

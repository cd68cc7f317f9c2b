"""Problems of single events: JSON text that is not an event, and pydantic's errors.

Every problem becomes one :class:`EventError` with a one-line message. JSON text is decoded
by :func:`load_record`, which never raises: text nested deeper than :data:`MAX_NESTING`
levels, integers longer than :data:`MAX_INT_DIGITS` digits, bytes that are not UTF-8 and
text that is not JSON are each reported as a message (Python's own decoder would raise
``RecursionError`` on ``[[[[...]]]]`` 100,000 deep). :func:`split_document` finds the events
of a JSON array (or of objects spread over several lines) so that each is decoded on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pydantic

__all__ = [
    "MAX_ERRORS_PER_EVENT",
    "MAX_INT_DIGITS",
    "MAX_NESTING",
    "OPENED",
    "UNION_TAGS",
    "Document",
    "EventError",
    "errors_from_validation",
    "field_path",
    "json_kind",
    "load_record",
    "opens_document",
    "shown",
    "split_document",
]

# Tags of the tagged unions used in the models; pydantic puts them in error locations
# (``target_adjustments.0.InstrumentAdjustment.current_weight``), the dotted paths drop them.
UNION_TAGS: frozenset[str] = frozenset(
    {"InstrumentAdjustment", "StrategyAdjustment", "SectorAdjustment"}
)

MAX_NESTING = 32
"""Deepest nesting of arrays and objects accepted in one JSON event (levels).

The deepest event contract is 4 levels (a rebalance request's
``target_adjustments[i].affected_instruments``); deeper text is reported as
``nested deeper than 32 levels`` without being decoded."""

MAX_INT_DIGITS = 400
"""Longest integer literal decoded, in digits; longer ones are an error for their event."""

MAX_ERRORS_PER_EVENT = 10
"""At most this many problems are listed per event; one more entry says how many were left."""

_SHOWN_LENGTH = 40

# A JSON string (one never closed ends at its line's end, so the scan stays linear), a
# bracket, a comma, or a bare scalar (number, true, false, null, or garbage).
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*+(?:"|\\?(?=\n|\Z))|[\[\]{},]|[^\s\[\]{},":]+')


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem with one event of a batch.

    Attributes
    ----------
    index : int
        Position of the event in the batch (0-based); for a DataFrame, the row position;
        for a JSON Lines file, the position among its non-blank lines; for a file holding a
        JSON array, the element's position. ``-1`` for a problem of the file as a whole
        (a JSON array that is never closed, a compressed file that is cut short).
    event_id : str or None
        The event's ``eventId`` when it could be read.
    field : str
        Dotted path of the bad field, e.g. ``"signal.confidence"`` or
        ``"target_adjustments.1.sector"``; ``""`` when the record as a whole is bad
        (not JSON, not an object).
    message : str
        What is wrong, e.g. ``"Input should be less than or equal to 1"``; one line.
    line : int or None
        Line number (1-based) in the file the event came from, if any.
    source : str or None
        Name of the file (or other source) the event came from, if any.
    """

    index: int
    event_id: str | None
    field: str
    message: str
    line: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        what = f", field {self.field}" if self.field else ""
        if self.index < 0:
            return f"{where}{self.field + ': ' if self.field else ''}{self.message}"
        ident = f" (eventId {shown(self.event_id)})" if self.event_id is not None else ""
        return f"{where}event {self.index}{ident}{what}: {self.message}"


def shown(text: str) -> str:
    """``text`` quoted for a one-line message: control characters escaped, long text cut.

    Parameters
    ----------
    text : str
        An identifier or key taken from the input.

    Returns
    -------
    str
        ``repr`` of the text, cut to 40 characters with ``...`` when longer.
    """
    if len(text) > _SHOWN_LENGTH:
        return repr(text[: _SHOWN_LENGTH - 3]) + "..."
    return repr(text)


def _path_part(part: int | str) -> str:
    text = str(part)
    if isinstance(part, str) and (not text.isprintable() or len(text) > _SHOWN_LENGTH):
        return shown(text)
    return text


def field_path(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into a dotted field path.

    Parameters
    ----------
    loc : tuple of int or str
        The ``loc`` of a pydantic error.

    Returns
    -------
    str
        Dotted path such as ``"target_adjustments.0.current_weight"``, without union tags.
        A key that holds control characters or is longer than 40 characters is shown
        quoted and cut, so the path stays on one line.
    """
    parts: list[str] = []
    previous: int | str | None = None
    for part in loc:
        if not (isinstance(previous, int) and part in UNION_TAGS):
            parts.append(_path_part(part))
        previous = part
    return ".".join(parts)


# pydantic messages reworded for people: type -> message
_MESSAGES = {
    "string_unicode": "Input should be valid Unicode text (it holds a lone surrogate such as \\ud800)",
}


def errors_from_validation(
    exc: pydantic.ValidationError,
    *,
    index: int,
    event_id: Any = None,
    line: int | None = None,
    source: str | None = None,
) -> list[EventError]:
    """Convert a pydantic ``ValidationError`` into one :class:`EventError` per bad field.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised while validating one event.
    index : int
        Position of the event in its batch.
    event_id : object, optional
        The record's ``eventId``; kept only when it is a non-empty string.
    line : int, optional
        Line number in the source file.
    source : str, optional
        Name of the source file.

    Returns
    -------
    list of EventError
        At most :data:`MAX_ERRORS_PER_EVENT` problems, then one entry (field ``""``) saying
        how many more there were (an event with 10,000 unknown fields gives 11 entries).
    """
    ident = event_id if isinstance(event_id, str) and event_id else None
    details = exc.errors(include_url=False, include_input=False, include_context=False)
    errors = [
        EventError(
            index=index,
            event_id=ident,
            field=field_path(err["loc"]),
            message=_MESSAGES.get(err["type"], err["msg"]),
            line=line,
            source=source,
        )
        for err in details[:MAX_ERRORS_PER_EVENT]
    ]
    if len(details) > MAX_ERRORS_PER_EVENT:
        more = len(details) - MAX_ERRORS_PER_EVENT
        message = (
            f"and {more:,} more problem{'s' if more > 1 else ''} in this event "
            f"(only the first {MAX_ERRORS_PER_EVENT} are listed)"
        )
        errors.append(EventError(index, ident, "", message, line, source))
    return errors


# --------------------------------------------------------------------------- JSON text


_KINDS = ((dict, "an object"), (list, "an array"), (str, "a string"), (int | float, "a number"))


def json_kind(value: object) -> str:
    """What a decoded JSON value is, in JSON's words (``"an array"``, ``"null"``, ...).

    Parameters
    ----------
    value : object
        A value returned by ``json.loads``.

    Returns
    -------
    str
        ``"an object"``, ``"an array"``, ``"a string"``, ``"a number"``,
        ``"true or false"`` or ``"null"``; the Python type name for anything else.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    for kind, name in _KINDS:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _too_deep_at(text: str, limit: int) -> int | None:
    """Offset of the first bracket nested deeper than ``limit`` (outside strings), or None."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token == "]" or token == "}":
            depth -= 1
    return None


class _IntegerTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _parse_int(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _IntegerTooLong(digits)
    return int(literal)


_JSON_MESSAGES = {
    "Extra data": "more text after the end of the JSON value (two events on one line?)",
    "Expecting value": "expected a JSON value",
    "Unterminated string starting at": "this string is never closed (no closing quote)",
    "Invalid control character at": "a control character (tab, newline, ...) inside a string",
}


def _position(text: str, offset: int, origin: tuple[int, int] | None) -> str:
    """Where ``offset`` of ``text`` is, in the file's coordinates when ``origin`` is given."""
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    if origin is None:
        return f"line {line + 1}, column {column}" if "\n" in text else f"column {column}"
    first_line, first_column = origin
    if line == 0:
        column += first_column - 1
    return f"line {first_line + line}, column {column}"


def load_record(
    text: str | bytes | bytearray, *, origin: tuple[int, int] | None = None
) -> tuple[Any, str | None]:
    """Decode one JSON document without ever raising.

    Parameters
    ----------
    text : str or bytes
        The JSON text of one event. Bytes must be UTF-8; a leading byte-order mark is
        dropped (in bytes or text).
    origin : (int, int), optional
        Line and column (1-based) of the text's first character in its file; positions in
        messages are then given in the file's lines and columns.

    Returns
    -------
    value : object
        The decoded value (``None`` when there is a problem, or when the text is ``null``).
    problem : str or None
        One-line description of why the text cannot be decoded, or ``None``:
        ``not UTF-8: byte 0xff at offset 3``, ``nested deeper than 32 levels (at column
        33)``, ``a number with 5,000 digits is too long (at most 400)``,
        ``not valid JSON at column 17: Expecting ',' delimiter``.
    """
    if isinstance(text, bytes | bytearray):
        raw = bytes(text).removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, (
                f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
                "save the text as UTF-8"
            )
    text = text.removeprefix("\ufeff")
    deep = _too_deep_at(text, MAX_NESTING)
    if deep is not None:
        return None, (
            f"nested deeper than {MAX_NESTING} levels (at {_position(text, deep, origin)}); "
            "an event is at most 4 levels deep"
        )
    try:
        return json.loads(text, parse_int=_parse_int), None
    except _IntegerTooLong as exc:
        return None, (f"a number with {exc.digits:,} digits is too long (at most {MAX_INT_DIGITS})")
    except json.JSONDecodeError as exc:
        message = _JSON_MESSAGES.get(exc.msg, exc.msg)
        return None, f"not valid JSON at {_position(text, exc.pos, origin)}: {message}"
    except (RecursionError, ValueError) as exc:  # safety nets: guarded above
        return None, f"not valid JSON: {type(exc).__name__}"


# --------------------------------------------------------------------------- documents

_CLOSER = {"[": "]", "{": "}"}
_KIND = {"[": "array", "{": "object"}
OPENED = "<opened>"  # stands for "line N" of an opening bracket in a structural problem


def opens_document(text: object) -> bool:
    """Does ``text`` (a file's first line) start a JSON array, or an object it does not close?

    Parameters
    ----------
    text : object
        The first non-blank line of a file (anything else gives False).

    Returns
    -------
    bool
        True when the line starts with ``[``, or starts with ``{`` and leaves it open.
    """
    if not isinstance(text, str):
        return False
    start = text.lstrip()
    if start.startswith("["):
        return True
    if not start.startswith("{"):
        return False
    depth = 0
    for match in _TOKEN.finditer(start):
        token = match.group()
        depth += (token == "[" or token == "{") - (token == "]" or token == "}")
    return depth > 0


@dataclass
class Document:
    """Where the values of a JSON text spread over lines are (character offsets)."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    problems: list[tuple[int, str, int]] = field(default_factory=list)  # offset, what, opened
    kind: str = "array"


def split_document(text: str) -> Document:
    """Find each event of a JSON array, or of JSON objects written over several lines.

    Top-level arrays give one span per element, top-level objects and scalars one span each;
    what breaks the structure (a bracket never closed, a stray or mismatched closing one, an
    empty or trailing comma) is a problem at its offset. Elements are decoded separately
    later, so one bad element is an error for that element only.

    Parameters
    ----------
    text : str
        The whole text of a file.

    Returns
    -------
    Document
        ``spans`` (start, end) offsets of each value, ``problems`` (offset, message,
        offset of the bracket the message refers to as ``OPENED``), and ``kind``
        (``"array"`` or ``"object"``, what the text starts with).
    """
    doc = Document()
    stack: list[tuple[str, int]] = []  # open brackets: (bracket, offset)
    start: int | None = None  # offset of the current element of a top-level array
    after_comma = False
    for match in _TOKEN.finditer(text):
        token, pos = match.group(), match.start()
        if not stack:
            if token == "[" or token == "{":
                if not doc.spans and not doc.problems:
                    doc.kind = _KIND[token]
                stack.append((token, pos))
                start, after_comma = None, False
            elif token in ("]", "}", ","):
                doc.problems.append((pos, f"unexpected '{token}' outside any array or object", 0))
            else:
                doc.spans.append((pos, match.end()))
            continue
        items = len(stack) == 1 and stack[0][0] == "["
        if token == "[" or token == "{":
            if items and start is None:
                start = pos
            stack.append((token, pos))
        elif token == "]" or token == "}":
            opener, opened = stack.pop()
            if stack:
                continue
            if _CLOSER[opener] != token:
                doc.problems.append(
                    (pos, f"'{token}' closes the {_KIND[opener]} opened on {OPENED}", opened)
                )
            if opener == "{":
                doc.spans.append((opened, match.end()))
            elif start is not None:
                doc.spans.append((start, pos))
            elif after_comma:
                doc.problems.append((pos, f"a comma before '{token}' is not allowed in JSON", 0))
            start = None
        elif token == ",":
            if items:
                if start is None:
                    doc.problems.append((pos, "an empty element (two commas in a row?)", 0))
                else:
                    doc.spans.append((start, pos))
                start, after_comma = None, True
        elif items and start is None:
            start = pos
    if stack:
        opener, opened = stack[0]
        doc.problems.append(
            (len(text), f"the {_KIND[opener]} opened on {OPENED} is never closed", opened)
        )
    return doc

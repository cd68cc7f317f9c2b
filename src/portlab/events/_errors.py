"""One validation problem of one event, and its conversion from pydantic errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic

__all__ = ["UNION_TAGS", "EventError", "errors_from_validation", "field_path"]

# Tags of the tagged unions used in the models; pydantic puts them in error locations
# (``target_adjustments.0.InstrumentAdjustment.current_weight``), the dotted paths drop them.
UNION_TAGS: frozenset[str] = frozenset(
    {"InstrumentAdjustment", "StrategyAdjustment", "SectorAdjustment"}
)


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem with one event of a batch.

    Attributes
    ----------
    index : int
        Position of the event in the batch (0-based); for a DataFrame, the row position;
        for a JSON Lines file, the position among its non-blank lines.
    event_id : str or None
        The event's ``eventId`` when it could be read.
    field : str
        Dotted path of the bad field, e.g. ``"signal.confidence"`` or
        ``"target_adjustments.1.sector"``; ``""`` when the record as a whole is bad
        (not JSON, not an object).
    message : str
        What is wrong, e.g. ``"Input should be less than or equal to 1"``.
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
        ident = f" (eventId {self.event_id!r})" if self.event_id is not None else ""
        what = f", field {self.field}" if self.field else ""
        return f"{where}event {self.index}{ident}{what}: {self.message}"


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
    """
    parts: list[str] = []
    previous: int | str | None = None
    for part in loc:
        if not (isinstance(previous, int) and part in UNION_TAGS):
            parts.append(str(part))
        previous = part
    return ".".join(parts)


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
    """
    ident = event_id if isinstance(event_id, str) and event_id else None
    return [
        EventError(
            index=index,
            event_id=ident,
            field=field_path(err["loc"]),
            message=err["msg"],
            line=line,
            source=source,
        )
        for err in exc.errors(include_url=False)
    ]

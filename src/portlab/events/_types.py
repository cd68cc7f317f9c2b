"""Building blocks shared by every event model: enums, field types and the base classes.

Units used throughout the event package
---------------------------------------
* weights, exposures, position sizes, turnover and cost limits are **fractions of portfolio
  value** (``0.05`` is 5 %), never percent;
* returns, VaR fractions and volatilities are fractions too (``0.025`` is 2.5 %);
* amounts (``trade_amount``, ``min_trade_size``, ``position_var_1d``, ...) are in the
  portfolio's currency;
* prices are in the instrument's quote currency per share.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

import numpy as np
import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from portlab.events._errors import EventError, errors_from_validation, json_kind, load_record
from portlab.exceptions import EventValidationError

__all__ = [
    "EVENT_ID_DIGITS",
    "MAX_EXACT_INT",
    "Action",
    "CheckStatus",
    "EventBlock",
    "EventModel",
    "Finite",
    "NonEmptyStr",
    "NonNegative",
    "NonNegativeInt",
    "Positive",
    "PositiveInt",
    "Priority",
    "Probability",
    "RebalanceType",
    "Score",
    "Severity",
    "Strength",
    "Timestamp",
    "TriggerType",
    "Urgency",
    "content_event_id",
    "format_timestamp",
    "utc_now",
]


# --------------------------------------------------------------------------- enums


class Action(enum.StrEnum):
    """Direction of a signal, decision or execution."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class Strength(enum.StrEnum):
    """Qualitative strength of a trading signal."""

    WEAK = "WEAK"
    MODERATE = "MODERATE"
    STRONG = "STRONG"
    VERY_STRONG = "VERY_STRONG"


class Urgency(enum.StrEnum):
    """How soon something should be acted on."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Priority(enum.StrEnum):
    """Relative priority of a decision or adjustment."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class RebalanceType(enum.StrEnum):
    """Kind of rebalance a request asks for."""

    STRATEGIC = "STRATEGIC"
    TACTICAL = "TACTICAL"
    RISK_DRIVEN = "RISK_DRIVEN"
    TIME_BASED = "TIME_BASED"


class Severity(enum.StrEnum):
    """Severity of a rebalance trigger."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class CheckStatus(enum.StrEnum):
    """Outcome of one policy check."""

    PASSED = "PASSED"
    WARNING = "WARNING"
    FAILED = "FAILED"


class TriggerType(enum.StrEnum):
    """What triggered a rebalance request."""

    WEIGHT_DEVIATION = "WEIGHT_DEVIATION"
    TIME_BASED = "TIME_BASED"
    RISK_BUDGET_BREACH = "RISK_BUDGET_BREACH"
    VOLATILITY_SPIKE = "VOLATILITY_SPIKE"
    CORRELATION_REGIME_CHANGE = "CORRELATION_REGIME_CHANGE"
    PERFORMANCE_DIVERGENCE = "PERFORMANCE_DIVERGENCE"
    DRIFT = "DRIFT"
    MANUAL = "MANUAL"


# --------------------------------------------------------------------------- timestamps


def utc_now() -> datetime:
    """Return the current UTC time, truncated to whole milliseconds.

    Returns
    -------
    datetime
        Timezone-aware (UTC) current time with millisecond precision.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_utc(value: datetime) -> datetime:
    try:
        return _to_utc_unchecked(value)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past the year 9999 in UTC
        raise PydanticCustomError(
            "timestamp_range", "Input should be a time between the years 1 and 9999 in UTC"
        ) from None


def _to_utc_unchecked(value: datetime) -> datetime:
    # pandas.Timestamp and other datetime subclasses become plain datetimes
    if type(value) is not datetime:
        value = datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_timestamp(value: datetime) -> str:
    """Format a datetime in the event wire format, e.g. ``2025-06-21T10:30:00.200Z``.

    Parameters
    ----------
    value : datetime
        Timezone-aware datetime (naive values are taken as UTC).

    Returns
    -------
    str
        ISO 8601 UTC time with exactly three fractional digits and a ``Z`` suffix.
    """
    value = _to_utc(value)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A timezone-aware UTC datetime with millisecond precision.

Accepts datetimes (naive ones are taken as UTC; other zones are converted), ISO 8601 strings
and ``pandas.Timestamp``. Sub-millisecond digits are dropped, as the wire format has none. A
time outside the years 1-9999 once converted to UTC is an error for its event.
Serialises to JSON as ``2025-06-21T10:30:00.200Z``.
"""


# --------------------------------------------------------------------------- numbers


MAX_EXACT_INT = 2**53
"""Largest integer magnitude accepted in a number field (9,007,199,254,740,992).

Beyond it integers are no longer exact as floats; no quantity, amount or price is that
large, and an integer of 400 digits would otherwise be accepted as a lot size."""


def _number(value: Any) -> Any:
    """Reject strings, booleans, NaN/inf and huge integers where a number is expected.

    pydantic alone would coerce ``"0.5"`` and ``True``, report NaN against a bound
    (``greater than 0``) rather than as not finite, and accept any integer where an
    integer is expected.
    """
    if isinstance(value, bool | np.bool_):
        raise PydanticCustomError("number_type", "Input should be a number, not a boolean")
    if isinstance(value, str | bytes | bytearray):
        raise PydanticCustomError("number_type", "Input should be a number, not a string")
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if isinstance(value, int) and abs(value) > MAX_EXACT_INT:
        raise PydanticCustomError(
            "number_too_large",
            f"Input should be at most 2^53 (about 9.0e15) in magnitude, got a "
            f"{len(str(abs(value))):,}-digit integer",
        )
    return value


Finite = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]
"""A finite float (NaN and infinities are rejected)."""

NonNegative = Annotated[float, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]
"""A finite float ``>= 0``."""

Positive = Annotated[float, BeforeValidator(_number), Field(gt=0, allow_inf_nan=False)]
"""A finite float ``> 0`` (prices)."""

Probability = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1, allow_inf_nan=False)]
"""A float in ``[0, 1]`` (confidence, success probability)."""

Score = Annotated[float, BeforeValidator(_number), Field(ge=-1, le=1, allow_inf_nan=False)]
"""A float in ``[-1, 1]`` (signal score)."""

PositiveInt = Annotated[int, BeforeValidator(_number), Field(gt=0)]
"""An integer ``> 0``; integral floats such as ``197.0`` are accepted."""

NonNegativeInt = Annotated[int, BeforeValidator(_number), Field(ge=0)]
"""An integer ``>= 0``; integral floats such as ``197.0`` are accepted."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
"""A non-empty string (identifiers)."""


# --------------------------------------------------------------------------- base classes


class EventBlock(BaseModel):
    """Base class of the nested blocks of an event (``signal``, ``decision``, ...).

    Blocks are immutable and reject unknown fields, so a misspelt field is an error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


EVENT_ID_DIGITS = 16
"""Hex digits of SHA-256 kept in an id derived from an event's content (64 bits)."""


def content_event_id(prefix: str, content: Mapping[str, Any]) -> str:
    """The id of an event that was given none: ``prefix`` + SHA-256 of its canonical JSON.

    Parameters
    ----------
    prefix : str
        ``"sig-"`` for signals, ``"rebal-"`` for rebalance requests, ``"evt-"`` otherwise.
    content : Mapping
        The event as :meth:`EventModel.to_dict` writes it, without ``eventId`` (and without
        ``timestamp`` when that was not given either); ``null`` fields left out.

    Returns
    -------
    str
        ``prefix`` followed by the first :data:`EVENT_ID_DIGITS` hex digits of the SHA-256
        of the canonical JSON (keys sorted, no spaces, ASCII).

    Examples
    --------
    >>> content_event_id("sig-", {"b": 1, "a": [0.5, "x"]})
    'sig-9ba1833eb37d5171'
    """
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return prefix + hashlib.sha256(canonical.encode("ascii")).hexdigest()[:EVENT_ID_DIGITS]


class EventModel(BaseModel):
    """Base class of every event: ``eventId``, ``timestamp`` and the JSON round trip.

    Attributes
    ----------
    event_id : str
        Identifier of the event, ``"eventId"`` in JSON. Any non-empty string. When not
        given, it is derived from the event's content, so the same event always gets the
        same id (:func:`content_event_id`): ``"sig-"`` (signals), ``"rebal-"`` (rebalance
        requests) or ``"evt-"`` followed by 16 hex digits of the SHA-256 of its canonical
        JSON. Also readable as ``eventId``.
    timestamp : datetime
        Timezone-aware UTC time of the event, millisecond precision; now by default (a
        timestamp that was not given is left out of the derived id).

    Notes
    -----
    Events are immutable (use ``model_copy(update=...)`` to derive a changed copy, which keeps
    the id) and reject unknown fields. Serialisation omits optional fields that were never
    set, so an event read from JSON writes back the same JSON; ``eventId`` and ``timestamp``
    are always written.

    Behaviour change (issue #8): an event without ``eventId`` used to get a random UUID4, so
    the same input gave different outputs on every run; its id is now derived from its
    content. The batch readers (:func:`~portlab.events.parse_events`,
    :func:`~portlab.events.read_jsonl`) say so with one ``InputRepairWarning`` per batch.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )

    event_id: NonEmptyStr = Field(default="", alias="eventId")
    timestamp: Timestamp = Field(default_factory=utc_now)

    _always_set: ClassVar[frozenset[str]] = frozenset({"event_id", "timestamp"})
    id_prefix: ClassVar[str] = "evt-"
    """Prefix of an ``eventId`` derived from the content (:func:`content_event_id`):
    ``"sig-"`` for signals, ``"rebal-"`` for rebalance requests, ``"evt-"`` otherwise."""
    _timestamp_given: bool = PrivateAttr(default=True)

    def model_post_init(self, context: Any, /) -> None:
        """Derive a missing ``eventId``; mark ``eventId`` and ``timestamp`` as set."""
        given = self.__pydantic_fields_set__
        self._timestamp_given = "timestamp" in given
        if "event_id" not in given:
            leave_out = {"event_id"} if "timestamp" in given else {"event_id", "timestamp"}
            content = self.model_dump(
                mode="json", by_alias=True, exclude_unset=True, exclude_none=True, exclude=leave_out
            )
            self.__dict__["event_id"] = content_event_id(self.id_prefix, content)
        given.update(self._always_set)

    def __eq__(self, other: object) -> bool:
        # field values only: whether the timestamp was given is not part of the event's value
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = BaseModel.__hash__

    @property
    def timestamp_given(self) -> bool:
        """False when the event was built without a ``timestamp`` (it then holds the time of
        construction, which the engine ignores: such an event has no time, so that the same
        input gives the same decisions whenever it is run)."""
        return self._timestamp_given

    @property
    def eventId(self) -> str:
        """The event identifier (same as ``event_id``)."""
        return self.event_id

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-ready dict with the contract's field names.

        Returns
        -------
        dict
            Plain JSON types only (enums as strings, timestamps as
            ``2025-06-21T10:30:00.200Z``); optional fields never set are left out.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self, *, indent: int | None = None) -> str:
        """Return the event as a JSON document (see :meth:`to_dict`).

        Parameters
        ----------
        indent : int, optional
            Pretty-print with this indentation; compact by default.

        Returns
        -------
        str
            The JSON text.
        """
        return self.model_dump_json(by_alias=True, exclude_unset=True, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate a dict (as parsed from JSON) into an event.

        Parameters
        ----------
        data : Mapping
            The event's fields, with the contract's names.

        Returns
        -------
        EventModel
            The validated event.

        Raises
        ------
        portlab.exceptions.EventValidationError
            If the data is malformed; ``errors`` names each bad field.
        """
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            event_id = data.get("eventId") if isinstance(data, Mapping) else None
            errors = errors_from_validation(exc, index=0, event_id=event_id)
            raise EventValidationError(errors, cls.__name__) from exc

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> Self:
        """Parse and validate one JSON document into an event.

        Parameters
        ----------
        data : str or bytes
            The JSON text of one event.

        Returns
        -------
        EventModel
            The validated event.

        Raises
        ------
        portlab.exceptions.EventValidationError
            If the text is not JSON (or nested deeper than
            :data:`~portlab.events.MAX_NESTING` levels, or not UTF-8) or the event is
            malformed; ``errors`` names each bad field.
        """
        if not isinstance(data, str | bytes | bytearray):
            problem = f"expected JSON text (str or bytes), got {type(data).__name__}"
            raise EventValidationError([EventError(0, None, "", problem)], cls.__name__)
        parsed, problem = load_record(data)
        if problem is None and not isinstance(parsed, dict):
            problem = f"expected a JSON object, got {json_kind(parsed)}"
        if problem is not None:
            raise EventValidationError([EventError(0, None, "", problem)], cls.__name__)
        return cls.from_dict(parsed)

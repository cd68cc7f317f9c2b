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
import json
import math
import uuid
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
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from portlab.events._errors import errors_from_validation
from portlab.exceptions import EventValidationError

__all__ = [
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
and ``pandas.Timestamp``. Sub-millisecond digits are dropped, as the wire format has none.
Serialises to JSON as ``2025-06-21T10:30:00.200Z``.
"""


# --------------------------------------------------------------------------- numbers


def _number(value: Any) -> Any:
    """Reject strings, booleans and NaN/inf where a number is expected.

    pydantic alone would coerce ``"0.5"`` and ``True``, and report NaN against a bound
    (``greater than 0``) rather than as not finite.
    """
    if isinstance(value, bool | np.bool_):
        raise PydanticCustomError("number_type", "Input should be a number, not a boolean")
    if isinstance(value, str | bytes | bytearray):
        raise PydanticCustomError("number_type", "Input should be a number, not a string")
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
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

    model_config = ConfigDict(extra="forbid", frozen=True)


def _new_event_id() -> str:
    return str(uuid.uuid4())


class EventModel(BaseModel):
    """Base class of every event: ``eventId``, ``timestamp`` and the JSON round trip.

    Attributes
    ----------
    event_id : str
        Identifier of the event, ``"eventId"`` in JSON. Any non-empty string; a fresh
        UUID4 string by default. Also readable as ``eventId``.
    timestamp : datetime
        Timezone-aware UTC time of the event, millisecond precision; now by default.

    Notes
    -----
    Events are immutable (use ``model_copy(update=...)`` to derive a changed copy) and reject
    unknown fields. Serialisation omits optional fields that were never set, so an event read
    from JSON writes back the same JSON; ``eventId`` and ``timestamp`` are always written.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    event_id: NonEmptyStr = Field(default_factory=_new_event_id, alias="eventId")
    timestamp: Timestamp = Field(default_factory=utc_now)

    _always_set: ClassVar[frozenset[str]] = frozenset({"event_id", "timestamp"})

    def model_post_init(self, context: Any, /) -> None:
        """Mark ``eventId`` and ``timestamp`` as set so that they are always serialised."""
        self.__pydantic_fields_set__.update(self._always_set)

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
            If the text is not JSON or the event is malformed; ``errors`` names each bad
            field.
        """
        try:
            return cls.model_validate_json(data)
        except pydantic.ValidationError as exc:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
            event_id = parsed.get("eventId") if isinstance(parsed, dict) else None
            errors = errors_from_validation(exc, index=0, event_id=event_id)
            raise EventValidationError(errors, cls.__name__) from exc

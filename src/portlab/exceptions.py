"""The one exception hierarchy of portlab.

Every error portlab raises on purpose derives from :class:`PortlabError`, so callers can
catch them all at once, or precisely by kind.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "EventValidationError",
    "InfeasibleError",
    "PortlabError",
    "ValidationError",
]


class PortlabError(Exception):
    """Base class of every error portlab raises on purpose."""


class ValidationError(PortlabError, ValueError):
    """An argument or record is malformed (wrong type, out of range, missing field)."""


class EventValidationError(ValidationError):
    """One or more events failed validation.

    Attributes
    ----------
    errors : list of portlab.events.EventError
        One entry per bad field of each bad event: its position in the batch, its
        ``eventId`` (when it had one), the field's dotted path and the message.
    """

    def __init__(self, errors: list, source: str | None = None) -> None:
        self.errors = list(errors)
        self.source = source
        first = self.errors[0] if self.errors else None
        where = f"{source}: " if source else ""
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(f"{where}{first}{more}" if first else f"{where}invalid events")


class DataError(PortlabError, ValueError):
    """Market or portfolio data cannot be used as given (names the column and row)."""


class ConfigError(ValidationError):
    """A policy, sizing or engine configuration is invalid or inconsistent."""


class InfeasibleError(PortlabError):
    """An optimization problem has no solution; the message says which constraints conflict."""

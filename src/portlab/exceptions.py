"""The one exception hierarchy of portlab.

Every error portlab raises on purpose derives from :class:`PortlabError`, so callers can
catch them all at once, or precisely by kind.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = [
    "ConfigError",
    "DataError",
    "DataRepairWarning",
    "EventValidationError",
    "InfeasibleError",
    "InputRepairWarning",
    "JournalError",
    "PortlabError",
    "PortlabWarning",
    "ReportError",
    "SingularMatrixError",
    "ValidationError",
    "warn",
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


class JournalError(PortlabError):
    """The decision journal cannot do what was asked: a database it cannot open or write, a
    schema newer than this portlab knows, an unknown run id. The message names the database
    (its URL without a password) and what to do."""


class ReportError(PortlabError):
    """A report's notebook failed while running: names the cell and its error; the partial
    notebook is kept (``partial``) next to the output."""

    def __init__(self, message: str, partial: object = None) -> None:
        super().__init__(message)
        self.partial = partial


class SingularMatrixError(ValidationError):
    """A matrix that must be invertible (or positive definite) is singular or indefinite.

    Decided from its eigenvalues or singular values against a stated tolerance, never from
    whether a LAPACK routine happened to fail; the message names the matrix, its numerical
    rank and the tolerance used.
    """


class PortlabWarning(UserWarning):
    """Base class of every warning portlab issues on purpose."""


class DataRepairWarning(PortlabWarning):
    """Market data were changed by a documented repair rule (see :attr:`Market.report`)."""


class InputRepairWarning(PortlabWarning):
    """An input was accepted after a documented repair or assumption (the message says which)."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = InputRepairWarning) -> None:
    """Issue ``message`` attributed to the first caller outside portlab.

    A warning then shows the user's own line (or none, from the command line) rather than
    portlab's internal source line, however deep in the package it was raised.

    Parameters
    ----------
    message : str
        What was repaired or assumed, and how to avoid it.
    category : type of Warning
        Default :class:`InputRepairWarning`.
    """
    level = 2  # stacklevel 2 is warn()'s caller
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)

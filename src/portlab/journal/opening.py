"""Opening a journal that must already be there: what readers (the dashboard, the reports)
use, so that a mistyped path is an error instead of a new, empty journal."""

from __future__ import annotations

import os
from pathlib import Path

from portlab.exceptions import JournalError
from portlab.journal.store import Journal

__all__ = ["journal_file", "open_existing"]


def journal_file(target: str | os.PathLike[str]) -> Path | None:
    """The SQLite file a journal target names, or None (a server URL, or in memory).

    Examples
    --------
    >>> journal_file("decisions.db"), journal_file("sqlite:///runs/d.db")
    (PosixPath('decisions.db'), PosixPath('runs/d.db'))
    >>> journal_file("postgresql://team@db/portlab"), journal_file(":memory:")
    (None, None)
    """
    text = os.fspath(target)
    if text.lower().startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        return None if rest in ("", "/", "/:memory:") else Path(rest[1:])
    if "://" in text or text == ":memory:":
        return None
    return Path(text)


def open_existing(target: str | os.PathLike[str], *, timeout: float = 30.0) -> Journal:
    """:class:`Journal` ``target``, refusing a SQLite file that does not exist yet.

    Raises
    ------
    JournalError
        No such file (the message names it), or what :class:`Journal` raises.
    """
    path = journal_file(target)
    if path is not None and not path.is_file():
        raise JournalError(f"{path}: no such journal (portlab coordinate --journal makes one)")
    return Journal(target, timeout=timeout)

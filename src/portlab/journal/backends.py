"""The two databases a journal runs on, behind one small interface.

:func:`connect` opens a target: a file path or ``sqlite:///path`` (SQLite, embedded, in WAL
mode) or ``postgresql://...`` (a PostgreSQL server through psycopg 3, imported only here).
Both :class:`Database` classes speak the same SQL, written with ``?`` placeholders and the
column kinds of :data:`KINDS`, and convert values the same way: timestamps are UTC (ISO 8601
text with microseconds in SQLite, ``timestamptz`` in PostgreSQL), JSON is text in SQLite and
``jsonb`` in PostgreSQL, binary is ``BLOB``/``bytea``.

Examples
--------
>>> db = connect(":memory:")
>>> db.kind, db.column_type("json"), db.column_type("ts")
('sqlite', 'TEXT', 'TEXT')
>>> with db.transaction():
...     db.execute("CREATE TABLE t (x TEXT PRIMARY KEY, at TEXT)")
...     db.executemany(db.insert_sql("t", ["x", "at"], ["text", "ts"]),
...                    [("a", db.to_db("ts", "2022-12-28T15:00Z"))] * 2)
>>> db.query("SELECT x, at FROM t")
(['x', 'at'], [('a', '2022-12-28T15:00:00.000000Z')])
>>> db.close()
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from portlab.exceptions import JournalError

__all__ = [
    "KINDS",
    "Database",
    "PostgresDatabase",
    "SQLiteDatabase",
    "connect",
    "display_url",
    "to_json_text",
]

#: column kinds -> (SQLite type, PostgreSQL type)
KINDS = {
    "text": ("TEXT", "TEXT"),
    "int": ("INTEGER", "BIGINT"),
    "real": ("REAL", "DOUBLE PRECISION"),
    "ts": ("TEXT", "TIMESTAMPTZ"),
    "json": ("TEXT", "JSONB"),
    "blob": ("BLOB", "BYTEA"),
}

#: how SQLite writes a timestamp: fixed width, so text order is time order
SQLITE_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def connect(target: str | os.PathLike[str], *, timeout: float = 30.0) -> Database:
    """Open the database ``target`` names.

    Parameters
    ----------
    target : str or path
        ``postgresql://user:password@host:port/dbname`` (or ``postgres://``; libpq's query
        parameters such as ``?host=/path/to/socket`` work too), ``sqlite:///relative.db`` /
        ``sqlite:////absolute.db`` / ``sqlite://`` (in memory), or a file path (SQLite;
        ``":memory:"`` for an in-memory database).
    timeout : float
        Seconds a writer waits for another one's lock before giving up.

    Raises
    ------
    JournalError
        An unknown URL scheme, or a database that cannot be opened (the message names it,
        without its password).
    """
    if isinstance(target, os.PathLike):
        return SQLiteDatabase(os.fspath(target), timeout=timeout)
    if not isinstance(target, str) or not target:
        raise JournalError(f"journal: expected a file path or a URL, got {target!r}")
    scheme = target.split("://", 1)[0].lower() if "://" in target else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(target, timeout=timeout)
    if scheme == "sqlite":
        rest = target[len("sqlite://") :]
        path = ":memory:" if rest in ("", "/", "/:memory:") else rest[1:]
        return SQLiteDatabase(path, timeout=timeout)
    if scheme:
        raise JournalError(
            f"journal: unknown database {display_url(target)!r}; use a file path, "
            "sqlite:///path or postgresql://..."
        )
    return SQLiteDatabase(target, timeout=timeout)


def display_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages).

    >>> display_url("postgresql://me:secret@db:5432/journal")
    'postgresql://me:***@db:5432/journal'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def to_json_text(value: Any) -> str:
    """Compact JSON text of a JSON-ready value; NaN and infinities become null (the JSON of
    both databases has no NaN).

    >>> to_json_text({"a": float("nan"), "b": [1.5, True]})
    '{"a":null,"b":[1.5,true]}'
    """
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, default=_plain)
    except ValueError:
        return json.dumps(_finite(value), separators=(",", ":"), allow_nan=False, default=_plain)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, times as ISO 8601 text (``json.dumps``'s fallback)."""
    if isinstance(value, np.generic):
        return _finite(value.item())
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class Database:
    """A connection to a journal's database (one per :class:`~portlab.journal.Journal`).

    Attributes
    ----------
    kind : {"sqlite", "postgresql"}
    url : str
        What was opened, without a password.
    """

    kind: str = ""
    url: str = ""
    placeholder: str = "?"

    def column_type(self, kind: str) -> str:
        """The SQL type of a column kind of :data:`KINDS` on this database."""
        return KINDS[kind][0 if self.kind == "sqlite" else 1]

    def insert_sql(self, table: str, columns: Sequence[str], kinds: Sequence[str]) -> str:
        """``INSERT ... ON CONFLICT DO NOTHING`` of one row of ``columns`` (their kinds give
        the casts)."""
        values = ", ".join(self.value_sql(k) for k in kinds)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) ON CONFLICT DO NOTHING"
        )

    def value_sql(self, kind: str) -> str:
        """The placeholder of a value of ``kind`` (with its cast where one is needed)."""
        return "?"

    def insert_many(
        self, table: str, columns: Sequence[str], kinds: Sequence[str], rows: list[tuple]
    ) -> None:
        """Insert ``rows`` (values already adapted by :meth:`to_db`) into ``table``; rows
        whose key exists are left as they are (``ON CONFLICT DO NOTHING``)."""
        self.executemany(self.insert_sql(table, columns, kinds), rows)

    def to_db(self, kind: str, value: Any) -> Any:
        """A Python value as this database takes it for a column of ``kind``."""
        if value is None:
            return None
        if kind == "ts":
            return self.timestamp(value)
        if kind == "json":  # JSON-ready data, or JSON text already written (a str)
            return value if isinstance(value, str) else to_json_text(value)
        if kind == "real":
            value = float(value)
            return value if math.isfinite(value) else None
        if kind == "int":
            return int(value)
        return value

    def timestamp(self, value: Any) -> Any:
        """A date-like value in UTC, as this database stores timestamps."""
        raise NotImplementedError

    def from_json(self, value: Any) -> Any:
        """A JSON column's value as Python objects."""
        return json.loads(value) if isinstance(value, str | bytes) else value

    # -- running SQL --------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: everything inside commits together or not at all."""
        raise NotImplementedError
        yield  # pragma: no cover

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Column names and rows of a query."""
        raise NotImplementedError

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query, or None."""
        rows = self.query(sql, params)[1]
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        """Whether the table ``name`` exists."""
        raise NotImplementedError

    def lock_schema(self) -> None:
        """Inside a transaction: wait until no other connection is migrating the schema."""

    def close(self) -> None:
        """Close the connection (idempotent)."""
        raise NotImplementedError


class SQLiteDatabase(Database):
    """SQLite in WAL mode: readers never wait; writers queue on ``busy_timeout``.

    New files get 16 KiB pages; each connection a 32 MiB page cache.

    ``synchronous=NORMAL`` (the recommended setting in WAL mode): a transaction that has
    committed survives the process being killed; a power cut may lose the last ones, never
    the file's consistency. Write transactions start with ``BEGIN IMMEDIATE``, so a writer
    takes the lock before reading and never has to give up half way.

    Checkpoints (copying the WAL into the database file, with an ``fsync``: tens of
    milliseconds) run on a background thread with a connection of their own, once the WAL
    has grown past :attr:`CHECKPOINT_BYTES`, instead of inside the commit that crossed it
    (SQLite's automatic checkpoint, turned off for the writer): writers go on meanwhile
    (``PASSIVE``). A process killed during one leaves the WAL, which the next opening reads.
    """

    kind = "sqlite"
    #: WAL size above which a commit starts a background checkpoint (SQLite's default
    #: automatic checkpoint: 1,000 pages)
    CHECKPOINT_BYTES = 1000 * 16384
    #: bytes per page of a new database file
    PAGE_SIZE = 16384
    #: page cache of a connection, KiB
    CACHE_KIB = 32768

    def __init__(self, path: str, *, timeout: float = 30.0) -> None:
        self.url = path if path == ":memory:" else f"sqlite:///{path}"
        self.path = path
        if path != ":memory:":
            folder = Path(path).expanduser().resolve().parent
            if not folder.is_dir():
                raise JournalError(f"cannot open the journal {path}: no folder {folder}")
        try:
            self._conn = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            # 16 KiB pages (for a new file; an existing one keeps its own): a decision's row
            # with its event is about 1.5 KiB, and inserts split pages a third as often as
            # with the default 4 KiB (a third less CPU per decision written)
            self._conn.execute(f"PRAGMA page_size = {self.PAGE_SIZE}")
            self._conn.execute(f"PRAGMA cache_size = -{self.CACHE_KIB}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if path != ":memory:":
                self._conn.execute("PRAGMA wal_autocheckpoint = 0")  # see _checkpoint_soon
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._timeout = timeout
        self._checkpointer: threading.Thread | None = None

    def timestamp(self, value: Any) -> str:
        return _utc(value).strftime(SQLITE_TIME)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._run(self._conn.execute, "BEGIN IMMEDIATE", ())
            try:
                yield
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._run(self._conn.execute, "COMMIT", ())
        self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        """A background checkpoint when the WAL is past :attr:`CHECKPOINT_BYTES` and none
        is running."""
        if self.path == ":memory:" or (self._checkpointer and self._checkpointer.is_alive()):
            return
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except OSError:
            return
        if size >= self.CHECKPOINT_BYTES:
            self._checkpointer = threading.Thread(
                target=self._checkpoint, name="portlab-journal-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _checkpoint(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error:  # the WAL stays as it is: a later commit starts another
            pass

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(self._conn.execute, sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._run(self._conn.executemany, sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self._lock:
            cursor = self._run(self._conn.execute, sql, params)
            rows = cursor.fetchall()
        return [d[0] for d in cursor.description or ()], rows

    def table_exists(self, name: str) -> bool:
        return bool(
            self.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])
        )

    def _run(self, method: Any, sql: str, params: Any) -> Any:
        try:
            return method(sql, params)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise JournalError(
                    f"{self.url}: another writer held the database longer than the timeout "
                    f"({exc}); retry, or open the journal with a longer timeout"
                ) from exc
            raise JournalError(f"{self.url}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.url}: {exc}") from exc

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.join()
        self._conn.close()


class PostgresDatabase(Database):
    """PostgreSQL through psycopg 3 (autocommit outside :meth:`transaction`).

    Many writers commit concurrently: a batch's rows take row locks only, and ``ON CONFLICT
    DO NOTHING`` makes a second writer of the same batch wait for the first and then add
    nothing.
    """

    kind = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = display_url(url)
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
            self._conn.execute(f"SET lock_timeout = {int(timeout * 1000)}")
        except psycopg.Error as exc:
            raise JournalError(f"cannot open the journal {self.url}: {exc}") from exc
        self._lock = threading.RLock()

    def value_sql(self, kind: str) -> str:
        return "CAST(? AS jsonb)" if kind == "json" else "?"

    #: from this many rows on, :meth:`insert_many` goes through ``COPY``
    COPY_FROM = 32

    def insert_many(
        self, table: str, columns: Sequence[str], kinds: Sequence[str], rows: list[tuple]
    ) -> None:
        """Many rows: ``COPY`` into a temporary table of the same shape (emptied at each
        commit), then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` from it: one round
        trip for the rows instead of one statement each."""
        if len(rows) < self.COPY_FROM:
            super().insert_many(table, columns, kinds, rows)
            return
        stage = f"journal_stage_{table}"
        names = ", ".join(columns)
        with self._lock, self._wrap(), self._conn.cursor() as cursor:
            # every time: a rolled-back transaction takes the table it created with it
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
                f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"TRUNCATE {stage}")

    def timestamp(self, value: Any) -> Any:
        return _utc(value).to_pydatetime()  # microseconds, as SQLite's text

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, self._wrap(), self._conn.transaction():
            yield

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._lock, self._wrap():
            self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock, self._wrap(), self._conn.cursor() as cursor:
            cursor.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self._lock, self._wrap(), self._conn.cursor() as cursor:
            cursor.execute(self._sql(sql), params)
            rows = cursor.fetchall()
            return [d.name for d in cursor.description or ()], rows

    def table_exists(self, name: str) -> bool:
        return self.scalar("SELECT to_regclass(?)::text", [name]) is not None

    def lock_schema(self) -> None:
        # one lock id for "migrating the journal's schema" (any 64-bit constant would do)
        self.execute("SELECT pg_advisory_xact_lock(7152431)")

    @contextmanager
    def _wrap(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.Error as exc:
            if isinstance(exc, self._psycopg.errors.LockNotAvailable):
                raise JournalError(
                    f"{self.url}: another writer held a lock longer than the timeout ({exc})"
                ) from exc
            raise JournalError(f"{self.url}: {exc}") from exc

    def close(self) -> None:
        self._conn.close()


def _utc(value: Any) -> pd.Timestamp:
    """A date-like value in UTC (naive taken as UTC), cut to whole microseconds (what both
    databases keep)."""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("us") if ts.nanosecond else ts

"""The journal's inserts: one function per table, each an ``INSERT ... ON CONFLICT DO
NOTHING`` of many rows at once (``executemany``; ``COPY`` through a staging table on
PostgreSQL), called inside the batch's transaction by
:meth:`Journal.record <portlab.journal.Journal.record>`.

Values are adapted column by column (each column's kind converted once per batch, not per
cell): timestamps to the database's form, JSON to text, NaN to NULL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from portlab.journal.backends import Database, to_json_text
from portlab.journal.markets import MARKET_FORMAT, MARKET_PARTS
from portlab.journal.records import RunRecord
from portlab.journal.schema import COLUMNS

__all__ = [
    "insert_rows",
    "write_decisions",
    "write_market",
    "write_rejections",
    "write_run",
    "write_waterfall",
]


def insert_rows(db: Database, table: str, columns: Mapping[str, Sequence[Any]]) -> int:
    """Insert rows given column by column into ``table`` (every column of
    :data:`~portlab.journal.schema.COLUMNS`); rows whose key exists are left as they are.

    Returns
    -------
    int
        The number of rows offered.
    """
    spec = COLUMNS[table]
    names = [name for name, _ in spec]
    adapted = [_adapt(db, kind, columns[name]) for name, kind in spec]
    rows = list(zip(*adapted, strict=True))
    if rows:
        db.insert_many(table, names, [kind for _, kind in spec], rows)
    return len(rows)


def write_market(db: Database, fingerprint: str, parts: Mapping[str, Any]) -> None:
    """Store a market's Parquet parts (:func:`~portlab.journal.markets.market_to_parquet`)
    under its fingerprint."""
    row = {name: [parts.get(name)] for name in MARKET_PARTS}
    row.update(
        fingerprint=[fingerprint],
        format=[MARKET_FORMAT],
        settings=[parts["settings"]],
        stored_at=[pd.Timestamp.now(tz="UTC")],
    )
    insert_rows(db, "markets", row)


def write_run(db: Database, record: RunRecord) -> None:
    """The run's row."""
    insert_rows(db, "runs", {k: [v] for k, v in record.run.items()})


def write_decisions(db: Database, record: RunRecord) -> None:
    """The run's decisions."""
    insert_rows(db, "decisions", record.decisions)


def write_rejections(db: Database, record: RunRecord) -> None:
    """The run's rejections."""
    insert_rows(db, "rejections", record.rejections)


def write_waterfall(db: Database, record: RunRecord) -> None:
    """The run's sizing waterfall."""
    insert_rows(db, "waterfall", record.waterfall)


def _adapt(db: Database, kind: str, values: Sequence[Any]) -> list[Any]:
    if kind == "text" or kind == "blob":
        return list(values)
    if kind == "real":  # NaN and infinities as NULL
        return [None if v is None or not math.isfinite(v) else float(v) for v in values]
    if kind == "int":
        return [None if v is None else int(v) for v in values]
    if kind == "json":
        return [v if v is None or isinstance(v, str) else to_json_text(v) for v in values]
    # timestamps: a batch's are mostly one value, converted once
    seen: dict[Any, Any] = {}
    return [
        None if v is None else seen[v] if v in seen else seen.setdefault(v, db.to_db(kind, v))
        for v in values
    ]

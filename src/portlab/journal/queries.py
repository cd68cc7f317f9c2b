"""Reading the journal back as DataFrames: the SQL of :class:`~portlab.journal.Journal`'s
queries.

Every filter is optional and combines with the others (AND). A text filter takes one value or
a list of values. ``start`` and ``end`` bound the time (the decision's time, or the run's
``as_of`` for rejections and runs) and are both inclusive; an ``end`` given as a date alone
(``"2022-12-28"``, a ``datetime.date``) covers that whole day. Times come back as UTC
timestamps, JSON columns as Python objects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from portlab.dates import as_utc
from portlab.engine.result import WATERFALL_COLUMNS
from portlab.exceptions import JournalError
from portlab.journal.arrow import ARROW_FORMAT, from_arrow
from portlab.journal.backends import Database
from portlab.journal.parquet import from_parquet
from portlab.journal.schema import COLUMNS

__all__ = [
    "DECISION_COLUMNS",
    "REJECTION_COLUMNS",
    "RUN_COLUMNS",
    "TextFilter",
    "decisions",
    "rejections",
    "run_row",
    "runs",
    "waterfall",
]

TextFilter = str | Sequence[str] | None
"""One value, a list of values (any of them), or None (no filter)."""

#: columns of :meth:`Journal.decisions` (``event`` too with ``events=True``)
DECISION_COLUMNS = (
    "run_id",
    "event_id",
    "position",
    "timestamp",
    "instrument_id",
    "strategy_id",
    "action",
    "trade_amount",
    "share_quantity",
    "position_size",
    "price",
    "origin",
    "priority",
    "signal_id",
    "policy_version",
)
#: columns of :meth:`Journal.rejections`
REJECTION_COLUMNS = (
    "run_id",
    "position",
    "as_of",
    "source",
    "id",
    "instrument_id",
    "strategy_id",
    "reason",
    "rule",
    "detail",
    "winner_id",
    "field",
    "policy_version",
)
#: columns of :meth:`Journal.runs`: every column of the ``runs`` table but ``inputs``
RUN_COLUMNS = tuple(name for name, _ in COLUMNS["runs"] if name != "inputs")

# output column -> table column, where they differ
_DECISION_SQL = {"timestamp": "decided_at"}
_REJECTION_SQL = {"id": "rejected_id"}
_JSON_RUN_COLUMNS = tuple(name for name, kind in COLUMNS["runs"] if kind == "json")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def decisions(
    db: Database,
    start: Any = None,
    end: Any = None,
    *,
    instrument: TextFilter = None,
    strategy: TextFilter = None,
    policy_version: TextFilter = None,
    run_id: TextFilter = None,
    limit: int | None = None,
    latest: int | None = None,
    events: bool = False,
) -> pd.DataFrame:
    """Decisions in time order (then run and position); see :meth:`Journal.decisions`."""
    if latest is not None and limit is not None:
        raise JournalError("decisions: give limit (the oldest) or latest (the newest), not both")
    columns = [*DECISION_COLUMNS, *(["event"] if events else [])]
    where = _Where(db)
    where.between("decided_at", start, end)
    where.text("instrument_id", instrument)
    where.text("strategy_id", strategy)
    where.text("policy_version", policy_version)
    where.text("run_id", run_id)
    # the newest: read backwards through the time index, then put back in time order
    order = " DESC" if latest is not None else ""
    sql = (
        f"SELECT {_select(columns, _DECISION_SQL)} FROM decisions{where.sql()} "
        f"ORDER BY decided_at{order}, run_id{order}, position{order}"
    )
    count = latest if latest is not None else limit
    frame = _frame(db, sql + _limit(count, where), where.params, columns, "decisions")
    if latest is not None:
        frame = frame.iloc[::-1].reset_index(drop=True)
    if events:
        frame["event"] = [db.from_json(v) for v in frame["event"]]
    return frame


def rejections(
    db: Database,
    start: Any = None,
    end: Any = None,
    *,
    instrument: TextFilter = None,
    strategy: TextFilter = None,
    policy_version: TextFilter = None,
    run_id: TextFilter = None,
    rule: TextFilter = None,
    reason: TextFilter = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Rejections by the run's as-of time (then run and position); see
    :meth:`Journal.rejections`."""
    where = _Where(db)
    where.between("as_of", start, end)
    where.text("instrument_id", instrument)
    where.text("strategy_id", strategy)
    where.text("policy_version", policy_version)
    where.text("run_id", run_id)
    where.text("rule", rule)
    where.text("reason", reason)
    sql = (
        f"SELECT {_select(REJECTION_COLUMNS, _REJECTION_SQL)} FROM rejections{where.sql()} "
        "ORDER BY as_of, run_id, position"
    )
    return _frame(db, sql + _limit(limit, where), where.params, REJECTION_COLUMNS, "rejections")


def runs(
    db: Database,
    start: Any = None,
    end: Any = None,
    *,
    policy_version: TextFilter = None,
    run_id: TextFilter = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Runs by as-of time (then recording time); see :meth:`Journal.runs`."""
    where = _Where(db)
    where.between("as_of", start, end)
    where.text("policy_version", policy_version)
    where.text("run_id", run_id)
    sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where.sql()} ORDER BY as_of, recorded_at, run_id"
    frame = _frame(db, sql + _limit(limit, where), where.params, RUN_COLUMNS, "runs")
    for name in _JSON_RUN_COLUMNS:
        if name in frame:
            frame[name] = [db.from_json(v) for v in frame[name]]
    return frame


def run_row(db: Database, run_id: str, columns: Sequence[str]) -> dict[str, Any]:
    """Columns of one run's row (JSON columns as Python objects).

    Raises
    ------
    JournalError
        No run has this id.
    """
    found = db.query(f"SELECT {', '.join(columns)} FROM runs WHERE run_id = ?", [run_id])[1]
    if not found:
        raise JournalError(f"{db.url}: no run {run_id!r} in the journal")
    kinds = dict(COLUMNS["runs"])
    return {
        c: db.from_json(v) if kinds.get(c) == "json" else v
        for c, v in zip(columns, found[0], strict=True)
    }


def waterfall(db: Database, run_id: str) -> pd.DataFrame:
    """One run's sizing waterfall, as ``CoordinationResult.waterfall`` was.

    Raises
    ------
    JournalError
        No run has this id.
    """
    run_row(db, run_id, ["run_id"])
    _, found = db.query("SELECT format, steps FROM waterfall WHERE run_id = ?", [run_id])
    if not found:
        return pd.DataFrame(columns=list(WATERFALL_COLUMNS))
    kind, stored = found[0]
    # runs written before the Arrow format keep their Parquet
    return from_arrow(stored) if kind == ARROW_FORMAT else from_parquet(stored)


# -- building the SQL ----------------------------------------------------------------------


class _Where:
    """The WHERE clause of a query and its parameters."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def text(self, column: str, value: TextFilter) -> None:
        if value is None:
            return
        values = [value] if isinstance(value, str) else list(value)
        if not values:
            self.clauses.append("1 = 0")
        elif len(values) == 1:
            self.clauses.append(f"{column} = ?")
        else:
            self.clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
        self.params += [str(v) for v in values]

    def between(self, column: str, start: Any, end: Any) -> None:
        if start is not None:
            self.clauses.append(f"{column} >= ?")
            self.params.append(self.db.to_db("ts", as_utc(start, "start")))
        if end is not None:
            whole_day = (isinstance(end, dt.date) and not isinstance(end, dt.datetime)) or (
                isinstance(end, str) and _DATE_ONLY.fullmatch(end.strip()) is not None
            )
            stamp = as_utc(end, "end")
            if whole_day:
                self.clauses.append(f"{column} < ?")
                stamp = stamp + pd.Timedelta(days=1)
            else:
                self.clauses.append(f"{column} <= ?")
            self.params.append(self.db.to_db("ts", stamp))

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def _limit(limit: int | None, where: _Where) -> str:
    if limit is None:
        return ""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise JournalError(f"limit must be a whole number >= 0, got {limit!r}")
    where.params.append(limit)
    return " LIMIT ?"


def _select(columns: Sequence[str], renamed: dict[str, str]) -> str:
    return ", ".join(renamed.get(c, c) for c in columns)


def _frame(
    db: Database, sql: str, params: list[Any], columns: Sequence[str], table: str
) -> pd.DataFrame:
    """Rows as a DataFrame whose dtypes do not depend on the rows: text as object (None when
    missing), numbers as float64 / int64, times as UTC timestamps, JSON as text (parsed by
    the caller)."""
    rows = db.query(sql, params)[1]
    frame = pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)
    kinds = _KINDS[table]
    for name in columns:
        kind = kinds.get(name, "json")
        values = frame[name]
        if kind == "ts":
            frame[name] = pd.to_datetime(values, utc=True, format="ISO8601").dt.as_unit("us")
        elif kind == "real":
            frame[name] = values.astype("float64")
        elif kind == "int":
            frame[name] = values.astype("int64")
        else:
            frame[name] = values.astype(object).where(values.notna(), None)
    return frame


# output column -> kind, by table (output names as the queries return them)
_KINDS = {
    table: {
        {"decided_at": "timestamp", "rejected_id": "id"}.get(name, name): kind
        for name, kind in COLUMNS[table]
    }
    for table in ("decisions", "rejections", "runs")
}

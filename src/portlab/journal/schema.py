"""The journal's tables and their migrations.

A journal's database records its schema version in ``journal_schema`` (one row per migration
applied: ``version``, ``description``, ``applied_at``). :func:`migrate` applies the
:data:`MIGRATIONS` it lacks, in order, in one transaction (on SQLite under the write lock, on
PostgreSQL under an advisory lock, so two processes opening a new database at once migrate it
once). A database at a version newer than :data:`SCHEMA_VERSION` is refused.

The tables (schema version 4; kinds as in :data:`portlab.journal.backends.KINDS`):

``runs``, one row per recorded run
    ``run_id`` (primary key), ``recorded_at``, ``as_of``, ``package_version``,
    ``policy_version``, the input fingerprints (``inputs_fingerprint`` as a report prints it,
    ``market_fingerprint``, ``state_fingerprint``, ``signals_fingerprint``,
    ``rebalance_fingerprint``), ``portfolio_id``, ``nav``, the counts (``n_signals``,
    ``n_rebalance``, ``n_decisions``, ``n_rejections``, ``n_waterfall``: what the batch wrote),
    the configuration (``resolution``, ``policy``, ``sizing``, ``risk_loop``, ``strategies``
    as JSON), ``stats`` (the result's statistics), ``inputs`` (signals, rebalance
    requests, portfolio and ``as_of`` as given, JSON; see :mod:`portlab.journal.inputs`) and
    ``execution`` (the execution rules, JSON; NULL for runs recorded before version 3,
    which were coordinated with the default rules), ``portfolio`` (the per-instrument
    strategy map, JSON; NULL without one) and ``adaptive`` (the adaptive state the run
    applied, ``AdaptiveState.to_dict()`` as JSON; NULL for a static run and for runs recorded
    before version 4).
``markets``, one row per distinct market (content-addressed)
    ``fingerprint`` (primary key, :func:`portlab.fingerprints.market_fingerprint`),
    ``format`` (``"parquet/1"``), ``prices``, ``reference``, ``benchmark``, ``factors``,
    ``volumes``, ``covariance`` (Parquet files as bytes; see
    :mod:`portlab.journal.markets`), ``settings`` (JSON), ``stored_at``.
``decisions``, one row per decision
    ``run_id``, ``event_id`` (the decision event's ``eventId``; primary key with the run:
    the engine derives it from the winning input, the instrument and the time, so two runs
    of one batch under different policies share it), ``position`` (its row in
    ``CoordinationResult.decisions``), ``decided_at``, ``instrument_id``, ``strategy_id``,
    ``action``, ``trade_amount``, ``share_quantity``, ``position_size``, ``price``,
    ``origin``, ``priority``, ``signal_id``, ``event`` (the whole
    ``CoordinatedTradingDecisionEvent`` as JSON), ``policy_version``.
``rejections``, one row per rejected signal or rebalance adjustment
    ``run_id``, ``position`` (primary key together), ``as_of``, ``source``, ``rejected_id``,
    ``instrument_id``, ``strategy_id``, ``reason``, ``rule``, ``detail``, ``winner_id``,
    ``field``, ``policy_version``.
``waterfall``, one row per run
    ``run_id`` (primary key), ``format`` (``"arrow-ipc/1"``; ``"parquet/1"`` for runs
    recorded before), ``n_rows``, ``steps``: the run's ``CoordinationResult.waterfall``
    (every candidate trade, every sizing step) as an Arrow IPC stream
    (:mod:`portlab.journal.arrow`; numbers with missing values as float64) or a Parquet file
    (:mod:`portlab.journal.parquet`).

Indexes: decisions by (instrument, time), (strategy, time), time, (policy version, time) and
event id; rejections by (instrument, as-of) and as-of; runs by as-of and policy version.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portlab.exceptions import JournalError
from portlab.journal.backends import KINDS, Database

__all__ = ["COLUMNS", "MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "schema_version"]


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history.

    Attributes
    ----------
    version : int
        The schema version once applied (1, 2, ...).
    description : str
    statements : tuple of str
        SQL run in order; ``{text}``, ``{int}``, ``{real}``, ``{ts}``, ``{json}`` and
        ``{blob}`` stand for each database's column types.
    """

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, content-addressed markets, decisions, rejections and the sizing waterfall",
        (
            """CREATE TABLE markets (
                fingerprint {text} PRIMARY KEY,
                format {text} NOT NULL,
                prices {blob} NOT NULL,
                reference {blob} NOT NULL,
                benchmark {blob},
                factors {blob},
                volumes {blob},
                covariance {blob},
                settings {json} NOT NULL,
                stored_at {ts} NOT NULL
            )""",
            """CREATE TABLE runs (
                run_id {text} PRIMARY KEY,
                recorded_at {ts} NOT NULL,
                as_of {ts} NOT NULL,
                package_version {text} NOT NULL,
                policy_version {text} NOT NULL,
                inputs_fingerprint {text} NOT NULL,
                market_fingerprint {text} NOT NULL REFERENCES markets (fingerprint),
                state_fingerprint {text} NOT NULL,
                signals_fingerprint {text} NOT NULL,
                rebalance_fingerprint {text} NOT NULL,
                portfolio_id {text} NOT NULL,
                nav {real} NOT NULL,
                n_signals {int} NOT NULL,
                n_rebalance {int} NOT NULL,
                n_decisions {int} NOT NULL,
                n_rejections {int} NOT NULL,
                n_waterfall {int} NOT NULL,
                resolution {text} NOT NULL,
                policy {json} NOT NULL,
                sizing {json} NOT NULL,
                risk_loop {json} NOT NULL,
                strategies {json} NOT NULL,
                stats {json} NOT NULL,
                inputs {json} NOT NULL
            )""",
            """CREATE TABLE decisions (
                run_id {text} NOT NULL REFERENCES runs (run_id),
                event_id {text} NOT NULL,
                position {int} NOT NULL,
                decided_at {ts} NOT NULL,
                instrument_id {text} NOT NULL,
                strategy_id {text},
                action {text} NOT NULL,
                trade_amount {real} NOT NULL,
                share_quantity {real} NOT NULL,
                position_size {real} NOT NULL,
                price {real},
                origin {text} NOT NULL,
                priority {text} NOT NULL,
                signal_id {text},
                event {json} NOT NULL,
                PRIMARY KEY (run_id, event_id)
            )""",
            """CREATE TABLE rejections (
                run_id {text} NOT NULL REFERENCES runs (run_id),
                position {int} NOT NULL,
                as_of {ts} NOT NULL,
                source {text} NOT NULL,
                rejected_id {text},
                instrument_id {text},
                strategy_id {text},
                reason {text} NOT NULL,
                rule {text},
                detail {text},
                winner_id {text},
                field {text},
                PRIMARY KEY (run_id, position)
            )""",
            """CREATE TABLE waterfall (
                run_id {text} PRIMARY KEY REFERENCES runs (run_id),
                format {text} NOT NULL,
                n_rows {int} NOT NULL,
                steps {blob} NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "the policy version on decisions and rejections (filled from their runs); "
        "indexes for the queries by instrument, strategy, time and policy version",
        (
            "ALTER TABLE decisions ADD COLUMN policy_version {text}",
            "ALTER TABLE rejections ADD COLUMN policy_version {text}",
            """UPDATE decisions SET policy_version =
                (SELECT r.policy_version FROM runs r WHERE r.run_id = decisions.run_id)""",
            """UPDATE rejections SET policy_version =
                (SELECT r.policy_version FROM runs r WHERE r.run_id = rejections.run_id)""",
            "CREATE INDEX decisions_instrument ON decisions (instrument_id, decided_at)",
            "CREATE INDEX decisions_strategy ON decisions (strategy_id, decided_at)",
            "CREATE INDEX decisions_time ON decisions (decided_at)",
            "CREATE INDEX decisions_policy ON decisions (policy_version, decided_at)",
            "CREATE INDEX decisions_event ON decisions (event_id)",
            "CREATE INDEX rejections_instrument ON rejections (instrument_id, as_of)",
            "CREATE INDEX rejections_time ON rejections (as_of)",
            "CREATE INDEX runs_as_of ON runs (as_of)",
            "CREATE INDEX runs_policy ON runs (policy_version)",
        ),
    ),
    Migration(
        3,
        "the execution rules and the strategy map of each run (NULL for older runs: the "
        "default rules, no map)",
        (
            "ALTER TABLE runs ADD COLUMN execution {json}",
            "ALTER TABLE runs ADD COLUMN portfolio {json}",
        ),
    ),
    Migration(
        4,
        "the adaptive state each adapted run applied (NULL for static and older runs)",
        ("ALTER TABLE runs ADD COLUMN adaptive {json}",),
    ),
)

#: the newest schema version this portlab knows
SCHEMA_VERSION = MIGRATIONS[-1].version

#: the columns the journal writes (schema version :data:`SCHEMA_VERSION`), by table, with
#: their kinds
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "markets": (
        ("fingerprint", "text"),
        ("format", "text"),
        ("prices", "blob"),
        ("reference", "blob"),
        ("benchmark", "blob"),
        ("factors", "blob"),
        ("volumes", "blob"),
        ("covariance", "blob"),
        ("settings", "json"),
        ("stored_at", "ts"),
    ),
    "runs": (
        ("run_id", "text"),
        ("recorded_at", "ts"),
        ("as_of", "ts"),
        ("package_version", "text"),
        ("policy_version", "text"),
        ("inputs_fingerprint", "text"),
        ("market_fingerprint", "text"),
        ("state_fingerprint", "text"),
        ("signals_fingerprint", "text"),
        ("rebalance_fingerprint", "text"),
        ("portfolio_id", "text"),
        ("nav", "real"),
        ("n_signals", "int"),
        ("n_rebalance", "int"),
        ("n_decisions", "int"),
        ("n_rejections", "int"),
        ("n_waterfall", "int"),
        ("resolution", "text"),
        ("policy", "json"),
        ("sizing", "json"),
        ("risk_loop", "json"),
        ("strategies", "json"),
        ("stats", "json"),
        ("inputs", "json"),
        ("execution", "json"),
        ("portfolio", "json"),
        ("adaptive", "json"),
    ),
    "decisions": (
        ("run_id", "text"),
        ("event_id", "text"),
        ("position", "int"),
        ("decided_at", "ts"),
        ("instrument_id", "text"),
        ("strategy_id", "text"),
        ("action", "text"),
        ("trade_amount", "real"),
        ("share_quantity", "real"),
        ("position_size", "real"),
        ("price", "real"),
        ("origin", "text"),
        ("priority", "text"),
        ("signal_id", "text"),
        ("event", "json"),
        ("policy_version", "text"),
    ),
    "rejections": (
        ("run_id", "text"),
        ("position", "int"),
        ("as_of", "ts"),
        ("source", "text"),
        ("rejected_id", "text"),
        ("instrument_id", "text"),
        ("strategy_id", "text"),
        ("reason", "text"),
        ("rule", "text"),
        ("detail", "text"),
        ("winner_id", "text"),
        ("field", "text"),
        ("policy_version", "text"),
    ),
    "waterfall": (
        ("run_id", "text"),
        ("format", "text"),
        ("n_rows", "int"),
        ("steps", "blob"),
    ),
}


def schema_version(db: Database) -> int:
    """The schema version of ``db``'s journal: 0 for a database without one."""
    if not db.table_exists("journal_schema"):
        return 0
    return int(db.scalar("SELECT MAX(version) FROM journal_schema") or 0)


def migrate(db: Database, target: int | None = None) -> int:
    """Bring ``db`` to schema version ``target`` (default :data:`SCHEMA_VERSION`).

    The missing migrations run in one transaction: a failure leaves the database as it was.
    A database already at ``target`` is only read.

    Parameters
    ----------
    db : Database
    target : int, optional
        A version up to :data:`SCHEMA_VERSION` (an older one builds a database as an older
        portlab would have, for tests).

    Returns
    -------
    int
        The version the database is at.

    Raises
    ------
    JournalError
        The database's version is newer than this portlab knows (written by a newer
        portlab), or ``target`` is not a known version.

    Examples
    --------
    >>> from portlab.journal.backends import connect
    >>> db = connect(":memory:")
    >>> migrate(db, 1), migrate(db), schema_version(db)
    (1, 4, 4)
    """
    target = SCHEMA_VERSION if target is None else int(target)
    if not 1 <= target <= SCHEMA_VERSION:
        raise JournalError(f"schema version {target} is not one of 1..{SCHEMA_VERSION}")
    current = schema_version(db)
    _refuse_newer(db, current)
    if current >= target:
        return current
    types = {k: db.column_type(k) for k in KINDS}
    with db.transaction():
        db.lock_schema()
        db.execute(
            "CREATE TABLE IF NOT EXISTS journal_schema (version {int} PRIMARY KEY, "
            "description {text} NOT NULL, applied_at {ts} NOT NULL)".format(**types)
        )
        current = int(db.scalar("SELECT MAX(version) FROM journal_schema") or 0)
        _refuse_newer(db, current)
        now = db.to_db("ts", pd.Timestamp.now(tz="UTC"))
        for m in MIGRATIONS:
            if current < m.version <= target:
                for statement in m.statements:
                    db.execute(statement.format(**types))
                db.execute(
                    "INSERT INTO journal_schema (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    [m.version, m.description, now],
                )
                current = m.version
    return current


def _refuse_newer(db: Database, version: int) -> None:
    if version > SCHEMA_VERSION:
        import portlab

        raise JournalError(
            f"{db.url}: the journal's schema is at version {version}, newer than this portlab "
            f"({portlab.__version__}) knows (up to {SCHEMA_VERSION}); upgrade portlab to open it"
        )

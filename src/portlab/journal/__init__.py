"""The decision journal: every coordination run recorded, queryable and replayable.

One interface over an embedded SQLite file (WAL mode, no server) or a shared PostgreSQL
(psycopg 3, imported only when used). A run keeps its decisions, rejections with their
reasons, sizing waterfall, configuration and policy version, input fingerprints, package
version and its inputs (the market once per content, as Parquet), so that
:meth:`Journal.replay` coordinates it again from the journal alone and checks the decisions
come out identical.

=========================  =================================================================
:class:`Journal`            open a journal (a path, ``sqlite:///...``, ``postgresql://...``)
:meth:`Journal.record`      record a run (``Coordinator.coordinate(..., journal=j)`` calls it)
:meth:`Journal.decisions`   decisions as a DataFrame, by time, instrument, strategy, policy, run
:meth:`Journal.rejections`  rejections with reasons and rules, filtered the same way
:meth:`Journal.runs`        runs: fingerprints, versions, configuration, counts
:meth:`Journal.waterfall`   one run's sizing waterfall
:meth:`Journal.inputs`      one run's inputs rebuilt (:class:`RunInputs`)
:meth:`Journal.replay`      re-run a recorded run and compare (:class:`Replay`)
:func:`open_existing`       open a journal that must exist (readers: dashboard, reports)
:func:`temporary_postgres`  a throw-away PostgreSQL server (tests, benchmarks)
=========================  =================================================================

The tables and their migrations: :mod:`portlab.journal.schema`; the stored market format:
:mod:`portlab.journal.markets`; the stored inputs: :mod:`portlab.journal.inputs`.

Examples
--------
>>> from portlab.datasets import example_batch, load_sample
>>> from portlab import Coordinator
>>> batch = example_batch()
>>> with Journal(":memory:") as journal:
...     run_id = Coordinator().coordinate(batch.signals, batch.state, load_sample(),
...                                       batch.rebalance_requests, journal=journal).run_id
...     runs = journal.runs()
>>> runs[["n_decisions", "n_rejections", "package_version"]].values.tolist()
[[11, 5, '0.1.0']]
"""

from portlab.exceptions import JournalError
from portlab.journal.inputs import RunInputs
from portlab.journal.opening import journal_file, open_existing
from portlab.journal.replay import Replay
from portlab.journal.schema import SCHEMA_VERSION
from portlab.journal.store import Journal
from portlab.journal.testing import PostgresServer, find_postgres, temporary_postgres
from portlab.types import DecisionRecorder

__all__ = [
    "SCHEMA_VERSION",
    "DecisionRecorder",
    "Journal",
    "JournalError",
    "PostgresServer",
    "Replay",
    "RunInputs",
    "find_postgres",
    "journal_file",
    "open_existing",
    "temporary_postgres",
]

"""The journal under killed and concurrent writers, on SQLite and on a real PostgreSQL server.

Writers are other processes (forked by a ``forkserver`` that has the sample loaded, so that a
writer starts in milliseconds): one is killed with SIGKILL at a random moment, over and over,
while it records batch after batch; then the database must open, pass SQLite's integrity
check, and hold only whole batches: every run has exactly the decisions, rejections and
waterfall its row counts, and they are the ones the engine gives for that batch. Four writers
recording different batches at once must lose and duplicate nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from contextlib import closing
from multiprocessing import forkserver
from pathlib import Path

import pandas as pd
import pytest

import _journal_writer
from _journal_writer import START, batch
from portlab import Coordinator
from portlab.journal import Journal

KILLS = 25
WRITERS, BATCHES_EACH = 4, 12


@pytest.fixture(scope="module")
def processes(monkeypatch_module):
    """Processes forked from a server that has imported the writer (and so loaded the
    sample and run a write once)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["_journal_writer", "psycopg", "pyarrow.parquet"])
    # the server imports the preloaded modules with the environment's path (Python 3.11
    # does not pass it this process's sys.path): give it this folder
    tests = str(Path(__file__).resolve().parent)
    monkeypatch_module.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))
    )
    monkeypatch_module.setenv(_journal_writer.WARM_UP, "1")
    forkserver.ensure_running()
    monkeypatch_module.undo()
    return context


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def query(url: str, sql: str) -> list[tuple]:
    """SQL run on the journal's database directly, not through the journal."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()
    with closing(sqlite3.connect(url)) as conn:
        return conn.execute(sql).fetchall()


def stored_counts(url: str) -> dict[str, pd.Series]:
    """Rows per run in each table."""
    sizes = {}
    for table in ("decisions", "rejections"):
        rows = query(url, f"SELECT run_id, COUNT(*) FROM {table} GROUP BY run_id")
        sizes[table] = pd.Series(dict(rows), dtype="int64")
    sizes["waterfall"] = pd.Series(
        dict(query(url, "SELECT run_id, n_rows FROM waterfall")), dtype="int64"
    )
    return sizes


def check_whole_batches(url: str, recheck: int = 20) -> pd.DataFrame:
    """Every run's rows complete, nothing else; ``recheck`` runs compared with the engine."""
    if not url.startswith("postgresql"):
        with closing(sqlite3.connect(url)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with Journal(url) as journal:
        runs = journal.runs()
        decisions = journal.decisions()
    sizes = stored_counts(url)
    ids = set(runs["run_id"])
    for table, column in (("decisions", "n_decisions"), ("rejections", "n_rejections")):
        assert set(sizes[table].index) <= ids, f"{table} of a run that is not there"
        expected = runs.set_index("run_id")[column]
        assert sizes[table].reindex(expected.index, fill_value=0).equals(expected), table
    waterfall = runs.set_index("run_id")["n_waterfall"]
    assert sizes["waterfall"].reindex(waterfall.index).equals(waterfall)
    assert decisions["event_id"].is_unique
    coordinator = Coordinator()
    for run in runs.sample(min(recheck, len(runs)), random_state=0).itertuples():
        k = int((run.as_of - START) / pd.Timedelta(minutes=1))
        result = coordinator.coordinate(**batch(k))
        mine = decisions[decisions["run_id"] == run.run_id]
        assert mine["event_id"].tolist() == result.decisions["decision_id"].tolist()
        assert mine["trade_amount"].tolist() == result.decisions["trade_amount"].tolist()
    return runs


def test_killed_writers_leave_only_whole_batches(journal_url, processes):
    # a journal with a run (so with its market, which the first write of a new market adds
    # and which takes a writer longer than most of the delays below)
    _journal_writer.write(journal_url, -1, 1)
    rng = random.Random(7)
    started = time.monotonic()
    for i in range(KILLS):
        ready = processes.Event()
        writer = processes.Process(
            target=_journal_writer.write, args=(journal_url, 1000 * i, None, ready)
        )
        writer.start()
        assert ready.wait(60), "the writer did not open the journal"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.kill()
        writer.join(10)
        assert writer.exitcode == -signal.SIGKILL
    runs = check_whole_batches(journal_url)
    assert len(runs) > KILLS // 2  # the writers got batches in between the kills
    if journal_url.startswith("postgresql"):  # and some kills came in the middle of one
        rolled_back = query(
            journal_url,
            "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()",
        )
        assert rolled_back[0][0] > 0
    assert time.monotonic() - started < 60


def test_concurrent_writers_lose_and_duplicate_nothing(journal_url, processes):
    Journal(journal_url).close()
    writers = [
        processes.Process(target=_journal_writer.write, args=(journal_url, 1000 * w, BATCHES_EACH))
        for w in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    runs = check_whole_batches(journal_url, recheck=8)
    coordinator = Coordinator()
    expected = [
        coordinator.coordinate(**batch(1000 * w + k))
        for w in range(WRITERS)
        for k in range(BATCHES_EACH)
    ]
    assert len(runs) == WRITERS * BATCHES_EACH
    assert runs["n_decisions"].sum() == sum(len(r.decisions) for r in expected)
    assert runs["n_rejections"].sum() == sum(len(r.rejections) for r in expected)
    with Journal(journal_url) as journal:
        decisions = journal.decisions()
    assert len(decisions) == sum(len(r.decisions) for r in expected)
    assert decisions["event_id"].is_unique
    assert set(decisions["event_id"]) == {e for r in expected for e in r.decisions["decision_id"]}

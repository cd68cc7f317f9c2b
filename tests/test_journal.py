"""The decision journal (portlab.journal) on SQLite and on a real PostgreSQL server.

What is read back is checked against the CoordinationResult it was recorded from, and the
queries' filters against pandas filtering of the whole table; the policy version and the
fingerprints are recomputed here from their definitions.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import subprocess
import sys
from contextlib import closing

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portlab
from portlab import Coordinator, Resolution
from portlab.datasets import example_batch, load_sample, synthetic
from portlab.engine.decisions import decision_events
from portlab.engine.eventjson import decision_event_json
from portlab.exceptions import JournalError
from portlab.fingerprints import market_fingerprint
from portlab.journal import DecisionRecorder, Journal, Replay
from portlab.journal import writes as journal_writes
from portlab.journal.backends import connect, display_url
from portlab.journal.markets import market_from_parquet, market_to_parquet
from portlab.journal.schema import SCHEMA_VERSION, migrate
from portlab.reports import fingerprint as report_fingerprint

MARKET = load_sample()
BATCH = example_batch()
AS_OF = pd.Timestamp("2022-12-28 15:13", tz="UTC")  # the latest input time of the batch


def coordinate(journal=None, coordinator=None, signals=None, **kwargs):
    coordinator = coordinator or Coordinator()
    signals = BATCH.signals if signals is None else signals
    requests = kwargs.pop("rebalance_requests", BATCH.rebalance_requests)
    return coordinator.coordinate(signals, BATCH.state, MARKET, requests, journal=journal, **kwargs)


def raw(url: str, sql: str, params=()) -> list[tuple]:
    """SQL run on the journal's database directly, not through the journal."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
    with closing(sqlite3.connect(url)) as conn, conn:
        return conn.execute(sql, params).fetchall()


def texts(values) -> list:
    """Text values with missing ones (None or NaN) as None."""
    return [None if pd.isna(v) else v for v in values]


def count(url: str, table: str) -> int:
    return raw(url, f"SELECT COUNT(*) FROM {table}")[0][0]


def policy_digest(coordinator: Coordinator) -> str:
    """The policy version from its definition: 12 hex digits of the SHA-256 of the canonical
    JSON of the policy, sizing and risk-loop settings and the resolution."""
    config = {
        "policy": coordinator.policy.model_dump(mode="json"),
        "sizing": coordinator.sizing.model_dump(mode="json"),
        "risk_loop": coordinator.risk_loop.model_dump(mode="json"),
        "resolution": coordinator.resolution.value,
    }
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# -- reading back what was recorded ----------------------------------------------------------


def test_decisions_read_back_equal_the_results(journal_url):
    with Journal(journal_url) as journal:
        result = coordinate(journal)
        got = journal.decisions(events=True)
    d = result.decisions
    assert len(got) == len(d) == 11
    assert got["run_id"].tolist() == [result.run_id] * 11
    assert got["event_id"].tolist() == d["decision_id"].tolist()
    assert got["position"].tolist() == list(range(11))
    for column in ("instrument_id", "action", "origin", "priority"):
        assert got[column].tolist() == d[column].tolist()
    assert texts(got["strategy_id"]) == texts(d["strategy_id"])
    assert texts(got["signal_id"]) == texts(d["signal_id"])
    for column in ("trade_amount", "share_quantity", "position_size", "price"):
        np.testing.assert_array_equal(got[column].to_numpy(float), d[column].to_numpy(float))
    # amounts are sizes times NAV; share quantities whole
    np.testing.assert_allclose(got["trade_amount"], got["position_size"] * result.nav, rtol=1e-12)
    assert (got["share_quantity"] == got["share_quantity"].round()).all()
    assert (got["timestamp"] == AS_OF).all() and result.as_of == AS_OF
    assert got["policy_version"].unique().tolist() == [policy_digest(Coordinator())]
    # the whole event, as the contract's JSON
    assert got["event"].tolist() == [json.loads(e.to_json()) for e in result.events()]
    aapl = got[got["instrument_id"] == "AAPL"].iloc[0]
    assert (aapl["action"], aapl["share_quantity"], aapl["strategy_id"]) == (
        "BUY",
        102.0,
        "momentum",
    )
    assert aapl["event"]["decision"]["trade_amount"] == round(aapl["trade_amount"], 2)


def test_rejections_read_back_with_reasons_and_rules(journal_url):
    with Journal(journal_url) as journal:
        result = coordinate(journal)
        got = journal.rejections()
    expected = result.rejections
    assert len(got) == len(expected) == 5
    for column in ("source", "id", "instrument_id", "strategy_id", "reason", "rule", "detail"):
        assert texts(got[column]) == texts(expected[column]), column
    assert texts(got["winner_id"]) == [None, None, None, "sig-001", "rebal-2022-12-28/MSFT"]
    assert (got["as_of"] == AS_OF).all()
    lost = got[got["reason"] == "CONFLICT_LOST"].iloc[0]
    assert (lost["id"], lost["rule"], lost["winner_id"]) == (
        "sig-002",
        "HIGHEST_PRIORITY",
        "sig-001",
    )
    assert sorted(got["reason"]) == ["CONFLICT_LOST", "HOLD", "NO_EDGE", "NO_EDGE", "OVERRIDDEN"]


def test_waterfall_read_back(journal_url):
    with Journal(journal_url) as journal:
        result = coordinate(journal)
        got = journal.waterfall(result.run_id)
    pd.testing.assert_frame_equal(got, result.waterfall)
    assert np.isinf(got["headroom_correlation"]).any()  # infinities survive the storage


def test_waterfall_of_a_run_stored_as_parquet_reads_back(journal_url):
    # runs journaled before the waterfall moved to Arrow IPC keep their Parquet and read alike
    from portlab.journal.parquet import PARQUET_FORMAT, to_parquet

    with Journal(journal_url) as journal:
        result = coordinate(journal)
        raw(
            journal_url,
            "UPDATE waterfall SET format = ?, steps = ? WHERE run_id = ?",
            [PARQUET_FORMAT, to_parquet(result.waterfall), result.run_id],
        )
        assert raw(journal_url, "SELECT format FROM waterfall") == [(PARQUET_FORMAT,)]
        got = journal.waterfall(result.run_id)
    pd.testing.assert_frame_equal(got, result.waterfall)


def test_arrow_waterfall_reads_as_the_parquet_of_the_frame_did():
    # rejected candidates leave None in the later steps: numbers with None read as float64
    from portlab.journal.arrow import from_arrow, to_arrow
    from portlab.journal.parquet import from_parquet, to_parquet

    result = coordinate(coordinator=Coordinator(policy={"max_leverage": 0.3}))
    assert result.waterfall["final_size"].isna().any()
    pd.testing.assert_frame_equal(
        from_arrow(to_arrow(result.waterfall_table())), from_parquet(to_parquet(result.waterfall))
    )


def test_waterfall_table_is_the_frames_columns_read_only():
    result = coordinate()
    table = result.waterfall_table()
    assert list(table) == list(result.waterfall.columns)
    for name, values in table.items():
        np.testing.assert_array_equal(values, result.waterfall[name].to_numpy(), err_msg=name)
        assert not values.flags.writeable, name
    with pytest.raises(TypeError):
        table["shares"] = None  # a view: the result's own arrays


def test_runs_row(journal_url):
    before = pd.Timestamp.now(tz="UTC")
    coordinator = Coordinator(strategies={"momentum": 0.3, "trend": 0.3})
    with Journal(journal_url) as journal:
        result = coordinate(journal, coordinator)
        runs = journal.runs()
    after = pd.Timestamp.now(tz="UTC")
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["run_id"] == result.run_id and run["run_id"].startswith("run-")
    assert len(run["run_id"]) == len("run-") + 16
    assert before.floor("us") <= run["recorded_at"] <= after
    assert run["as_of"] == AS_OF
    assert run["package_version"] == portlab.__version__
    assert run["policy_version"] == policy_digest(coordinator)
    assert run["inputs_fingerprint"] == report_fingerprint(MARKET, BATCH.state, coordinator)
    assert run["market_fingerprint"] == market_fingerprint(MARKET)
    assert (run["n_signals"], run["n_rebalance"]) == (14, 3)
    n_decisions, n_rejections = len(result.decisions), len(result.rejections)
    assert (run["n_decisions"], run["n_rejections"]) == (n_decisions, n_rejections)
    assert run["n_waterfall"] == len(result.waterfall)
    assert run["nav"] == pytest.approx(1_000_004.23)
    assert run["policy"] == coordinator.policy.model_dump(mode="json")
    assert run["sizing"]["max_kelly_fraction"] == 0.25
    assert run["risk_loop"] == coordinator.risk_loop.model_dump(mode="json")
    assert run["resolution"] == "HIGHEST_PRIORITY"
    assert [s["name"] for s in run["strategies"]] == ["momentum", "trend"]
    assert run["stats"]["total_signals"] == 14 and run["stats"]["decisions"] == n_decisions


# -- writes: idempotent, transactional -----------------------------------------------------


def test_recording_twice_adds_nothing(journal_url):
    with Journal(journal_url) as journal:
        first = coordinate(journal)
        tables = {t: count(journal_url, t) for t in ("runs", "markets", "decisions", "rejections")}
        again = coordinate(journal)
        by_hand = journal.record(
            first,
            coordinator=Coordinator(),
            signals=BATCH.signals,
            state=BATCH.state,
            market=MARKET,
            rebalance_requests=BATCH.rebalance_requests,
        )
    assert again.run_id == by_hand == first.run_id
    assert tables == {"runs": 1, "markets": 1, "decisions": 11, "rejections": 5}
    assert {t: count(journal_url, t) for t in tables} == tables
    with Journal(journal_url) as journal:  # a new connection knows it too
        assert coordinate(journal).run_id == first.run_id
    assert {t: count(journal_url, t) for t in tables} == tables


def test_another_as_of_is_another_run_with_its_own_event_ids(journal_url):
    with Journal(journal_url) as journal:
        a = coordinate(journal)
        b = coordinate(journal, as_of="2022-12-29T10:00:00Z")
        decisions = journal.decisions()
    assert a.run_id != b.run_id
    assert len(decisions) == 22 and decisions["event_id"].is_unique
    assert count(journal_url, "markets") == 1  # the market is stored once


def test_a_failed_batch_leaves_nothing(journal_url, monkeypatch):
    def fail(db, record):
        raise RuntimeError("disk unplugged between the decisions and the rejections")

    with Journal(journal_url) as journal:
        monkeypatch.setattr(journal_writes, "write_rejections", fail)
        with pytest.raises(RuntimeError, match="disk unplugged"):
            coordinate(journal)
        for table in ("runs", "markets", "decisions", "rejections", "waterfall"):
            assert count(journal_url, table) == 0, table
        assert journal.decisions().empty and journal.runs().empty
        monkeypatch.undo()
        result = coordinate(journal)  # the same batch goes in whole afterwards
        assert len(journal.decisions(run_id=result.run_id)) == 11
        assert count(journal_url, "markets") == 1


# -- queries against pandas --------------------------------------------------------------------


@pytest.fixture
def journal_of_four_runs(journal_url):
    """Four runs: two policies, a second resolution, signal subsets, four as-of times."""
    journal = Journal(journal_url)
    results = [
        coordinate(journal),
        coordinate(journal, signals=BATCH.signals[:10], as_of="2022-12-29T10:00:00Z"),
        coordinate(
            journal,
            Coordinator(policy={"max_position_size": 0.04}),
            as_of="2022-12-30T09:00:00Z",
        ),
        coordinate(
            journal,
            Coordinator(resolution=Resolution.WEIGHTED_AVERAGE),
            rebalance_requests=None,
            as_of="2022-12-30T18:30:00Z",
        ),
    ]
    yield journal, results
    journal.close()


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_decision_filters_match_pandas(journal_of_four_runs):
    journal, results = journal_of_four_runs
    full = journal.decisions()
    assert len(full) == sum(len(r.decisions) for r in results)
    assert set(zip(full["run_id"], full["event_id"], strict=True)) == {
        (r.run_id, e) for r in results for e in r.decisions["decision_id"]
    }
    assert full["timestamp"].is_monotonic_increasing
    assert full["policy_version"].nunique() == 3
    for name in ("AAPL", "MSFT", "NOPE"):
        _same(journal.decisions(instrument=name), full[full["instrument_id"] == name])
    _same(
        journal.decisions(instrument=["AAPL", "XOM"]),
        full[full["instrument_id"].isin(["AAPL", "XOM"])],
    )
    for strategy in ("momentum", "trend", "mean_reversion"):
        _same(journal.decisions(strategy=strategy), full[full["strategy_id"] == strategy])
    for version in full["policy_version"].unique():
        _same(journal.decisions(policy_version=version), full[full["policy_version"] == version])
    for r in results:
        _same(journal.decisions(run_id=r.run_id), full[full["run_id"] == r.run_id])
    times = sorted(full["timestamp"].unique())
    start, end = times[1], times[2]  # both bounds fall on decisions: inclusive
    _same(
        journal.decisions(start, end),
        full[(full["timestamp"] >= start) & (full["timestamp"] <= end)],
    )
    _same(journal.decisions(start=start), full[full["timestamp"] >= start])
    _same(journal.decisions(end="2022-12-29"), full[full["timestamp"] < "2022-12-30"])
    _same(
        journal.decisions(end=pd.Timestamp("2022-12-29 10:00")),  # naive: UTC
        full[full["timestamp"] <= pd.Timestamp("2022-12-29 10:00", tz="UTC")],
    )
    _same(journal.decisions(limit=5), full.head(5))
    _same(
        journal.decisions("2022-12-29", instrument="AAPL", strategy="momentum", limit=1),
        full[
            (full["timestamp"] >= "2022-12-29")
            & (full["instrument_id"] == "AAPL")
            & (full["strategy_id"] == "momentum")
        ].head(1),
    )
    assert journal.decisions(instrument=[]).empty
    assert list(journal.decisions(instrument="NOPE").columns) == list(full.columns)


def test_rejection_and_run_filters_match_pandas(journal_of_four_runs):
    journal, results = journal_of_four_runs
    full = journal.rejections()
    assert len(full) == sum(len(r.rejections) for r in results)
    for reason in full["reason"].unique():
        _same(journal.rejections(reason=reason), full[full["reason"] == reason])
    for rule in full["rule"].unique():
        _same(journal.rejections(rule=rule), full[full["rule"] == rule])
    _same(
        journal.rejections(reason=["NO_EDGE", "HOLD"]),
        full[full["reason"].isin(["NO_EDGE", "HOLD"])],
    )
    for name in ("AAPL", "KO", "UNH"):
        _same(journal.rejections(instrument=name), full[full["instrument_id"] == name])
    _same(journal.rejections(strategy="trend"), full[full["strategy_id"] == "trend"])
    for r in results:
        _same(journal.rejections(run_id=r.run_id), full[full["run_id"] == r.run_id])
    version = full.loc[full["run_id"] == results[2].run_id, "policy_version"].iloc[0]
    _same(journal.rejections(policy_version=version), full[full["policy_version"] == version])
    _same(journal.rejections("2022-12-30"), full[full["as_of"] >= "2022-12-30"])
    _same(journal.rejections(limit=3), full.head(3))

    runs = journal.runs()
    assert runs["run_id"].tolist() == [r.run_id for r in results]  # by as-of
    assert runs["n_decisions"].tolist() == [len(r.decisions) for r in results]
    _same(journal.runs(start="2022-12-29", end="2022-12-30T09:00:00Z"), runs.iloc[1:3])
    version = runs["policy_version"].iloc[2]
    _same(journal.runs(policy_version=version), runs[runs["policy_version"] == version])
    _same(journal.runs(run_id=results[3].run_id), runs.iloc[[3]])
    _same(journal.runs(limit=2), runs.head(2))


def test_one_instruments_query_uses_its_index(tmp_path):
    path = tmp_path / "journal.db"
    Journal(path).close()
    with closing(sqlite3.connect(path)) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM decisions WHERE instrument_id = ? "
            "ORDER BY decided_at, run_id, position",
            ["AAPL"],
        ).fetchall()
    assert "decisions_instrument" in " ".join(str(row) for row in plan)


# -- replay ----------------------------------------------------------------------------------


def test_replay_is_identical(journal_url):
    with Journal(journal_url) as journal:
        result = coordinate(journal)
        replay = journal.replay(result.run_id)
        inputs = journal.inputs(result.run_id)
    assert isinstance(replay, Replay) and replay.identical
    assert replay.differences.empty
    assert list(replay.differences.columns) == ["table", "id", "field", "recorded", "replayed"]
    pd.testing.assert_frame_equal(replay.result.decisions, result.decisions)
    assert inputs.state.to_dict() == BATCH.state.to_dict()
    assert market_fingerprint(inputs.market) == market_fingerprint(MARKET)
    assert [s["eventId"] for s in inputs.signals] == [s.event_id for s in BATCH.signals]
    assert inputs.as_of is None
    assert "identical" in repr(replay)


def test_replay_reports_a_tampered_decision(journal_url):
    with Journal(journal_url) as journal:
        result = coordinate(journal)
        target = result.decisions.iloc[2]
        event_id, amount = target["decision_id"], float(target["trade_amount"])
        raw(
            journal_url,
            "UPDATE decisions SET trade_amount = trade_amount + 1000 WHERE event_id = ?",
            [event_id],
        )
        tamper_json = (
            "jsonb_set(event, '{decision,share_quantity}', '1')"
            if journal.kind == "postgresql"
            else "json_set(event, '$.decision.share_quantity', 1)"
        )
        raw(
            journal_url,
            f"UPDATE decisions SET event = {tamper_json} WHERE event_id = ?",
            [event_id],
        )
        raw(journal_url, "DELETE FROM rejections WHERE position = 4")
        replay = journal.replay(result.run_id)
    assert not replay.identical
    diff = replay.differences.set_index(["table", "id", "field"])
    assert len(diff) == 3
    assert diff.loc[("decisions", event_id, "trade_amount"), "recorded"] == amount + 1000
    assert diff.loc[("decisions", event_id, "trade_amount"), "replayed"] == amount
    shares = diff.loc[("decisions", event_id, "event.decision.share_quantity")]
    assert (shares["recorded"], shares["replayed"]) == (1, int(target["share_quantity"]))
    assert diff.loc[("rejections", "4", "(row)")].tolist() == ["missing", "present"]
    assert "3 differences" in repr(replay)


def test_replay_of_other_inputs(journal_url):
    """A signals DataFrame, JSON dicts (one invalid), strategies, another resolution, a
    naive as-of and a single rebalance request as a dict all come back as given."""
    frame = pd.DataFrame([s.to_dict()["signal"] for s in BATCH.signals])
    frame["signal_id"] = [s.event_id for s in BATCH.signals]
    frame["timestamp"] = [s.timestamp for s in BATCH.signals]
    frame["confidence"] = frame["confidence"].astype(float)
    frame.loc[3, "confidence"] = np.nan
    dicts = [s.to_dict() for s in BATCH.signals]
    dicts[5]["signal"]["confidence"] = 1.5  # invalid: becomes an INVALID rejection
    coordinator = Coordinator(
        resolution="WEIGHTED_AVERAGE",
        strategies={"momentum": 0.4, "trend": 0.3, "mean_reversion": 0.3},
    )
    with Journal(journal_url) as journal:
        runs = [
            coordinate(journal, coordinator, signals=frame, as_of=pd.Timestamp("2022-12-28 16:00")),
            coordinate(
                journal,
                signals=dicts,
                rebalance_requests=BATCH.rebalance_requests[0].to_dict(),
            ),
        ]
        assert "INVALID" in set(runs[1].rejections["reason"])
        for result in runs:
            replay = journal.replay(result.run_id)
            assert replay.identical, replay.differences
        stored = journal.inputs(runs[0].run_id)
    assert stored.as_of == pd.Timestamp("2022-12-28 16:00")
    pd.testing.assert_frame_equal(stored.signals, frame)
    assert stored.coordinator.resolution is Resolution.WEIGHTED_AVERAGE
    assert stored.coordinator.strategies == coordinator.strategies


def test_unknown_run_id_is_a_journal_error(journal_url):
    with Journal(journal_url) as journal:
        coordinate(journal)
        for method in (journal.replay, journal.waterfall, journal.inputs):
            with pytest.raises(JournalError, match="no run 'run-0000000000000000'"):
                method("run-0000000000000000")


# -- schema versions ---------------------------------------------------------------------------


def test_an_older_schema_is_migrated(journal_url):
    db = connect(journal_url)
    assert migrate(db, target=1) == 1
    # a version-1 run with one decision and one rejection, written as version 1 had them
    db.execute(
        "INSERT INTO markets (fingerprint, format, prices, reference, settings, stored_at) "
        "VALUES ('m1', 'parquet/1', ?, ?, '{}', ?)",
        [b"p", b"r", db.to_db("ts", "2022-12-28")],
    )
    db.execute(
        "INSERT INTO runs VALUES (?, ?, ?, '0.0.9', 'pv-old', 'f', 'm1', 's', 'g', 'b', 'main', "
        "1.0, 1, 0, 1, 1, 0, 'HIGHEST_PRIORITY', '{}', '{}', '{}', '[]', '{}', '{}')",
        ["run-old", db.to_db("ts", "2022-12-28"), db.to_db("ts", "2022-12-28")],
    )
    db.execute(
        "INSERT INTO decisions VALUES ('run-old', 'e1', 0, ?, 'AAPL', 'momentum', 'BUY', 10.0, "
        "1.0, 0.01, 10.0, 'SIGNAL', 'HIGH', 's1', '{}')",
        [db.to_db("ts", "2022-12-28")],
    )
    db.execute(
        "INSERT INTO rejections VALUES ('run-old', 0, ?, 'SIGNAL', 's2', 'KO', 'trend', 'NO_EDGE', "
        "'', 'no edge', NULL, '')",
        [db.to_db("ts", "2022-12-28")],
    )
    db.close()
    with Journal(journal_url) as journal:
        assert journal.schema_version == SCHEMA_VERSION == 4
        old = journal.runs(run_id="run-old").iloc[0]
        assert old["execution"] is None and old["adaptive"] is None  # NULL for older runs
        assert journal.decisions()["policy_version"].tolist() == ["pv-old"]  # filled in
        assert journal.rejections(policy_version="pv-old")["id"].tolist() == ["s2"]
        result = coordinate(journal)  # and the migrated journal records as a new one does
        assert len(journal.decisions(run_id=result.run_id)) == 11
    versions = raw(journal_url, "SELECT version FROM journal_schema ORDER BY version")
    assert [v[0] for v in versions] == [1, 2, 3, 4]
    index_names = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'decisions'"
        if journal_url.startswith("postgresql")
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions'"
    )
    assert "decisions_instrument" in {r[0] for r in raw(journal_url, index_names)}


def test_a_newer_schema_is_refused(journal_url):
    Journal(journal_url).close()
    raw(
        journal_url,
        "INSERT INTO journal_schema (version, description, applied_at) VALUES (99, 'future', ?)",
        ["2030-01-01T00:00:00.000000Z"],
    )
    with pytest.raises(JournalError, match="schema is at version 99, newer than this portlab"):
        Journal(journal_url)


# -- the engine's side -------------------------------------------------------------------------


def test_coordinate_with_a_journal(journal_url):
    plain = coordinate()
    with Journal(journal_url) as journal:
        assert isinstance(journal, DecisionRecorder)
        recorded = coordinate(journal)
        assert journal.runs()["run_id"].tolist() == [recorded.run_id]
    assert plain.run_id is None and recorded.run_id.startswith("run-")
    pd.testing.assert_frame_equal(recorded.decisions, plain.decisions)
    pd.testing.assert_frame_equal(recorded.rejections, plain.rejections)


def test_the_engine_never_imports_the_journal_nor_its_drivers():
    code = (
        "import sys, portlab.engine; print('portlab.journal' in sys.modules); "
        "import portlab.journal; print('psycopg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keep=st.lists(st.integers(0, 13), min_size=1, max_size=14, unique=True),
    minutes=st.integers(0, 60 * 24 * 30),
    with_requests=st.booleans(),
)
def test_recording_never_changes_the_inputs_and_twice_adds_nothing(
    tmp_path_factory, keep, minutes, with_requests
):
    signals = [BATCH.signals[i] for i in sorted(keep)]
    requests = BATCH.rebalance_requests if with_requests else None
    as_of = AS_OF + pd.Timedelta(minutes=minutes)
    before = (
        [s.to_json() for s in signals],
        [r.to_json() for r in BATCH.rebalance_requests],
        copy.deepcopy(BATCH.state.to_dict()),
        MARKET.prices.copy(),
    )
    path = tmp_path_factory.mktemp("journal") / "journal.db"
    with Journal(path) as journal:
        result = Coordinator().coordinate(
            signals, BATCH.state, MARKET, requests, as_of=as_of, journal=journal
        )
        rows = [count(str(path), t) for t in ("runs", "decisions", "rejections", "waterfall")]
        again = Coordinator().coordinate(
            list(signals), BATCH.state, MARKET, requests, as_of=as_of, journal=journal
        )
        assert again.run_id == result.run_id
        assert [
            count(str(path), t) for t in ("runs", "decisions", "rejections", "waterfall")
        ] == rows
        assert rows[1:3] == [len(result.decisions), len(result.rejections)]
        assert journal.replay(result.run_id).identical
        stored = journal.decisions(run_id=result.run_id, events=True)["event"].tolist()
        assert stored == [json.loads(e.to_json()) for e in result.events()]
    assert [s.to_json() for s in signals] == before[0]
    assert [r.to_json() for r in BATCH.rebalance_requests] == before[1]
    assert BATCH.state.to_dict() == before[2]
    pd.testing.assert_frame_equal(MARKET.prices, before[3])


def test_events_json_is_the_events_json():
    """What the journal stores (CoordinationResult.events_json, written without building the
    event models) is the JSON of the validated events, field for field."""
    market = synthetic(300, 300, seed=5)
    rng = np.random.default_rng(5)
    names = rng.permutation(market.instruments)[:200]
    signals = pd.DataFrame(
        {
            "signal_id": [f"s{i}" for i in range(200)],
            "timestamp": pd.Timestamp("2023-01-02 15:00:00.123456", tz="UTC"),
            "instrument_id": names,
            "action": rng.choice(["BUY", "SELL"], 200),
            "confidence": rng.uniform(0.5, 0.95, 200),
            "expected_return": rng.uniform(0.005, 0.05, 200),
            "success_probability": 0.6,
            "strategy_id": rng.choice(["a", "b"], 200),
        }
    )
    signals["expected_return"] *= np.where(signals["action"] == "BUY", 1, -1)
    state = portlab.PortfolioState.from_weights(
        pd.Series(0.004, index=names[:100]), market.last_prices, 5_000_000
    )
    results = [
        coordinate(),
        coordinate(signals=[], as_of="2022-12-28T16:00:00Z"),  # rebalance only
        Coordinator(sizing={"fractional_shares": True, "allocation": "GREEDY"}).coordinate(
            signals, state, market
        ),
    ]
    for result in results:
        assert result.n_decisions > 0
        fast = [json.loads(text) for text in result.events_json()]
        assert fast == [json.loads(e.to_json()) for e in result.events()]
    # times of their own in another zone (sub-millisecond digits dropped), text to escape,
    # missing values the contract fills with its defaults
    # the arrays the journal writes from are the frame's columns, and read-only
    arrays = results[2].decision_arrays()
    assert list(arrays) == list(results[2].decisions.columns)
    for name, column in results[2].decisions.items():
        assert column.tolist() == arrays[name].tolist(), name
    with pytest.raises(ValueError, match="read-only"):
        arrays["price"][0] = 0.0
    frame = results[2].decisions.copy()
    n = len(frame)
    frame["timestamp"] = pd.Timestamp(
        "1969-12-31 19:00:00.123456", tz="America/New_York"
    ) + pd.to_timedelta(rng.integers(-(10**12), 10**12, n), "us")
    frame["reasoning"] = frame["reasoning"] + ' \u00e9 "quoted" \\ back\nslash \u2192'
    frame.loc[frame.index[::3], "confidence"] = np.nan
    frame.loc[frame.index[::4], "signal_strength"] = None
    frame.loc[frame.index[::5], "kelly_fraction"] = np.nan
    texts = decision_event_json(frame)
    assert [json.loads(t) for t in texts] == [
        json.loads(e.to_json()) for e in decision_events(frame)
    ]
    frame.loc[frame.index[1], "position_size"] = np.inf  # no default: refused
    with pytest.raises(ValueError, match="position_size"):
        decision_event_json(frame)


# -- targets and stored markets ----------------------------------------------------------------


@pytest.mark.parametrize("threshold", [1, 1 << 40])
def test_sqlite_checkpoints_on_a_thread_of_their_own(tmp_path, threshold):
    """The writer's commits leave checkpoints (the WAL copied into the database file) to a
    background thread, started once the WAL is past the threshold; SQLite's own automatic
    checkpoint in the commit is off (with a threshold never reached, nothing reaches the
    file while the writer is open)."""
    import threading

    def wait_for_checkpoints() -> None:
        for thread in threading.enumerate():
            if thread.name == "portlab-journal-checkpoint":
                thread.join()

    path = tmp_path / "j.db"
    db = connect(str(path))
    db.CHECKPOINT_BYTES = threshold
    with db.transaction():
        db.execute("CREATE TABLE t (x BLOB)")
    for _ in range(5):
        # each commit's checkpoint ends before the next commit (a checkpoint still running
        # when a commit ends is not started again: that commit's pages wait for a later one)
        wait_for_checkpoints()
        with db.transaction():
            db.executemany("INSERT INTO t VALUES (?)", [(bytes(100_000),)] * 10)
    wait_for_checkpoints()
    in_file = path.stat().st_size
    db.close()
    # the five commits' 5 MB in the file when each started a checkpoint, none otherwise
    assert (in_file > 5_000_000) is (threshold == 1)
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM t").fetchone() == (50,)


def test_targets(tmp_path):
    path = tmp_path / "decisions.db"
    for target in (path, str(path), f"sqlite:///{path}"):
        with Journal(target) as journal:
            assert journal.kind == "sqlite"
            coordinate(journal)
            assert len(journal.runs()) == 1
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(JournalError, match="unknown database 'mysql://u:\\*\\*\\*@h/db'"):
        Journal("mysql://u:secret@h/db")
    with pytest.raises(JournalError, match="no folder"):
        Journal(tmp_path / "missing" / "j.db")
    assert display_url("postgresql://me:pw@db/j") == "postgresql://me:***@db/j"
    journal = Journal(":memory:")
    journal.close()
    journal.close()  # a second close does nothing


def test_stored_markets_come_back_whole():
    market = synthetic(40, 300, seed=3)  # volumes, factors, a benchmark and a given covariance
    parts = market_to_parquet(market)
    assert all(isinstance(parts[k], bytes) for k in ("volumes", "covariance", "factors"))
    back = market_from_parquet(parts)
    pd.testing.assert_frame_equal(back.prices, market.prices, check_freq=False)
    pd.testing.assert_frame_equal(back.volumes, market.volumes, check_freq=False)
    pd.testing.assert_series_equal(back.sectors, market.sectors)
    np.testing.assert_array_equal(back.covariance().to_numpy(), market.covariance().to_numpy())
    assert back.covariance().attrs["method"] == "given"
    assert market_fingerprint(back) == market_fingerprint(market)
    sample = market_from_parquet(market_to_parquet(MARKET))
    assert market_fingerprint(sample) == market_fingerprint(MARKET)
    assert sample.covariance().attrs["method"] == "ledoit_wolf"  # estimated, as the original

"""The decision journal's write rate and query time (issue 13's budgets).

Writes: batches of 800 signals (one per instrument, three strategies) on a 1,000-instrument
synthetic market, coordinated into about 500 decisions, 300 rejections and 800 waterfall rows
each, recorded with ``Journal.record`` into a new SQLite file (budget at least 20,000
decisions a second) and into a local PostgreSQL server started for the run with its default,
durable settings (budget at least 5,000 a second). Two figures each: ``record()`` on fresh
results (it then also pays for the result's tables the engine builds on first access: the
decisions, rejections and waterfall DataFrames), and ``record()`` on results whose tables were
read before (the journal's own work: the decision events' JSON, rows, Parquet, inputs, the
transaction). Every batch is a new run; the first one also stores the market (not timed).
Besides the wall-clock rate (the budget's), the rate per CPU-second of this process: on a
shared machine it shows what the code costs when the wall clock also counts other work (for
PostgreSQL it leaves out the server's own CPU).

Query: one instrument's decisions (``Journal.decisions(instrument=...)``, the indexed columns
as a DataFrame, without the events' JSON) among 1,000,000 journaled decisions (budget 50 ms,
the median over many instruments). The journal is filled with the recorded batches, then with
copies of their runs and decisions made in SQL (``INSERT ... SELECT`` over a counter: new run
ids, decision times moved a day per copy, the decision events as recorded), so that the
tables hold a million real decisions, about 1,000 per instrument, with their indexes, as a
journal of many runs would.

Write rates are the best of ``--rounds`` interleaved measurements (and their median), as
timeit takes the best: on a shared machine the others are slowed by other work. The machine's
speed is printed first (``json.dumps`` of a dict of 40 floats), to compare figures across
machines.

Run:  python benchmarks/bench_journal.py [--batches 10] [--rounds 3] [--decisions 1000000]
      [--queries 25] [--backend both|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np
import pandas as pd

import portlab
from portlab.datasets import synthetic
from portlab.journal import Journal, find_postgres, temporary_postgres
from portlab.journal.schema import COLUMNS

BUDGET_WRITE = {"sqlite": 20_000, "postgresql": 5_000}  # decisions a second
BUDGET_QUERY_MS = 50.0
INSTRUMENTS, SIGNALS = 1000, 800
STRATEGIES = ["momentum", "mean_reversion", "trend"]


def batches(market, n: int) -> list[pd.DataFrame]:
    """``n`` signal batches, each on 800 distinct instruments, one a day from 2023-01-02."""
    rng = np.random.default_rng(11)
    price = market.last_prices
    out = []
    for k in range(n):
        names = rng.permutation(market.instruments)[:SIGNALS]
        side = rng.choice([1, -1], SIGNALS, p=[0.7, 0.3])
        er = side * rng.uniform(0.005, 0.05, SIGNALS)
        start = pd.Timestamp("2023-01-02 14:00", tz="UTC") + pd.Timedelta(days=k)
        out.append(
            pd.DataFrame(
                {
                    "signal_id": [f"s{k}-{i}" for i in range(SIGNALS)],
                    "timestamp": start + pd.to_timedelta(rng.integers(0, 3600, SIGNALS), "s"),
                    "instrument_id": names,
                    "action": np.where(side > 0, "BUY", "SELL"),
                    "confidence": rng.uniform(0.5, 0.95, SIGNALS),
                    "strength": "STRONG",
                    "signal_score": side * 0.5,
                    "price_target": price.reindex(names).to_numpy() * (1 + 2 * er),
                    "expected_return": er,
                    "success_probability": rng.uniform(0.5, 0.7, SIGNALS),
                    "strategy_id": rng.choice(STRATEGIES, SIGNALS),
                }
            )
        )
    return out


def write_rate(url: str, market, state, coordinator, signal_batches, prebuilt: bool) -> tuple:
    """Decisions a second of ``record()`` over the batches (after a first, untimed batch
    that also stores the market), and the journal."""
    results = [coordinator.coordinate(s, state, market) for s in signal_batches]
    if prebuilt:
        for r in results:
            _ = (r.decisions, r.waterfall, r.rejections, r.stats)
    journal = Journal(url)
    record = journal.record
    record(
        results[0], coordinator=coordinator, signals=signal_batches[0], state=state, market=market
    )
    started, cpu = time.perf_counter(), time.process_time()
    for signals, result in zip(signal_batches[1:], results[1:], strict=True):
        record(result, coordinator=coordinator, signals=signals, state=state, market=market)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    n = sum(r.n_decisions for r in results[1:])
    return (n / elapsed, n / cpu), n, results, journal


def fill(journal: Journal, url: str, target: int) -> int:
    """Copy the journal's runs and decisions in SQL until it holds ``target`` decisions."""
    have = len(journal.decisions())
    copies = math.ceil(target / have) - 1
    runs = [name for name, _ in COLUMNS["runs"]]
    decisions = [name for name, _ in COLUMNS["decisions"]]
    if url.startswith("postgresql"):
        import psycopg

        shift = {"run_id": "run_id || '-c' || i", "decided_at": "decided_at + i * interval '1 day'"}
        with psycopg.connect(url) as conn:
            conn.execute(
                f"INSERT INTO runs ({', '.join(runs)}) SELECT "
                f"{', '.join(shift.get(c, c) for c in runs)} FROM runs, "
                f"generate_series(1, {copies}) AS i"
            )
            conn.execute(
                f"INSERT INTO decisions ({', '.join(decisions)}) SELECT "
                f"{', '.join(shift.get(c, c) for c in decisions)} FROM decisions, "
                f"generate_series(1, {copies}) AS i"
            )
            conn.execute("ANALYZE")
    else:
        import sqlite3

        day = "strftime('%Y-%m-%dT%H:%M:%S', decided_at, '+' || i || ' days') || substr(decided_at, 20)"
        shift = {"run_id": "run_id || '-c' || i", "decided_at": day}
        counter = f"WITH RECURSIVE copy(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM copy WHERE i < {copies}) "
        conn = sqlite3.connect(url)
        with conn:
            conn.execute(
                f"INSERT INTO runs ({', '.join(runs)}) {counter}SELECT "
                f"{', '.join(shift.get(c, c) for c in runs)} FROM runs, copy"
            )
            conn.execute(
                f"INSERT INTO decisions ({', '.join(decisions)}) {counter}SELECT "
                f"{', '.join(shift.get(c, c) for c in decisions)} FROM decisions, copy"
            )
        conn.execute("ANALYZE")
        conn.close()
    return have * (copies + 1)


def query_ms(journal: Journal, instruments, repeat: int) -> tuple[float, float, float]:
    """Median and max milliseconds of one instrument's decisions, over ``repeat`` instruments
    (after one untimed query), and the median row count."""
    journal.decisions(instrument=instruments[-1])
    times, rows = [], []
    for name in instruments[:repeat]:
        started = time.perf_counter()
        frame = journal.decisions(instrument=name)
        times.append(1e3 * (time.perf_counter() - started))
        rows.append(len(frame))
    return float(np.median(times)), float(np.max(times)), float(np.median(rows))


def run_backend(kind: str, url: str, args, market, state, coordinator, signal_batches) -> None:
    rates: dict[bool, list] = {False: [], True: []}
    for round_ in range(args.rounds):  # interleaved, so a noisy minute hits both
        for prebuilt in (False, True):
            name = f"write_{round_}_{int(prebuilt)}"
            target = (
                args.server.create_database(name)
                if kind == "postgresql"
                else str(Path(url) / f"{name}.db")
            )
            rate, n, _, journal = write_rate(
                target, market, state, coordinator, signal_batches, prebuilt
            )
            journal.close()
            rates[prebuilt].append(rate)
    budget = BUDGET_WRITE[kind]
    for prebuilt, label in (
        (False, "record(), fresh results"),
        (True, "record(), result tables read before"),
    ):
        wall = [w for w, _ in rates[prebuilt]]
        cpu = max(c for _, c in rates[prebuilt])
        best, median = max(wall), float(np.median(wall))
        ok = "ok" if best >= budget else "OVER"
        print(f"{kind:<11} writes  {label:<36}{best:>8,.0f} decisions/s best of {args.rounds} "
              f"(median {median:,.0f}; {cpu:,.0f} per CPU-second of this process; "
              f"budget >= {budget:,}/s {ok}; {n:,} decisions in {len(signal_batches) - 1} "
              "batches)")  # fmt: skip

    target = (
        args.server.create_database("query")
        if kind == "postgresql"
        else str(Path(url) / "query.db")
    )
    _, _, _, journal = write_rate(target, market, state, coordinator, signal_batches, True)
    started = time.perf_counter()
    total = fill(journal, target, args.decisions)
    fill_s = time.perf_counter() - started
    names = list(np.random.default_rng(5).permutation(market.instruments))
    median, worst, rows = query_ms(journal, names, args.queries)
    journal.close()
    ok = "ok" if median <= BUDGET_QUERY_MS else "OVER"
    print(f"{kind:<11} query   one instrument of {total:,} decisions: median {median:.1f} ms, "
          f"max {worst:.1f} ms over {args.queries} instruments, ~{rows:,.0f} rows each "
          f"(budget {BUDGET_QUERY_MS:.0f} ms {ok}; filled in {fill_s:.0f} s)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--decisions", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3, help="write measurements (best counts)")
    ap.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    args = ap.parse_args()

    market = synthetic(n_instruments=INSTRUMENTS, n_days=300, seed=1)
    state = portlab.PortfolioState(cash=10_000_000)
    coordinator = portlab.Coordinator(
        policy={"max_position_size": 0.002, "max_sector_exposure": 0.5},
        sizing={"allocation": "GREEDY", "min_position_size": 0.0005},
    )
    signal_batches = batches(market, args.batches + 1)
    probe = coordinator.coordinate(signal_batches[0], state, market)
    print(
        f"portlab {portlab.__version__}: {INSTRUMENTS} instruments, {SIGNALS} signals a batch -> "
        f"{probe.n_decisions} decisions, {len(probe.rejections)} rejections, "
        f"{len(probe.waterfall)} waterfall rows"
    )
    reference = {f"x{i}": 0.1234567891234 * i for i in range(40)}
    per_call = min(timeit.repeat(lambda: json.dumps(reference), number=2000, repeat=5)) / 2000
    print(f"this machine: json.dumps of a dict of 40 floats takes {per_call * 1e6:.1f} us")
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run_backend("sqlite", folder, args, market, state, coordinator, signal_batches)
    if args.backend in ("both", "postgresql"):
        if find_postgres() is None:
            print("postgresql  skipped: no server binaries (install postgresql)")
            return
        with temporary_postgres() as server:
            args.server = server
            run_backend("postgresql", server.url, args, market, state, coordinator, signal_batches)


if __name__ == "__main__":
    main()

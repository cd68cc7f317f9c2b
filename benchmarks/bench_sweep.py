"""Sweeps on Dask distributed (issue: what-if sweeps): a CPU-bound sweep of 200 backtests on
the sample (each a five-month walk-forward backtest, ~0.2 s) run three ways, in interleaved
rounds (medians), so that a noisy minute on a shared machine hits all of them:

* a plain loop in this process, with BLAS/OpenMP held to one thread
  (``threadpoolctl.threadpool_limits(1)``, as Dask holds its workers);
* ``portlab.sweep.run`` on a local cluster of 1 worker process, and of 2.

Budgets: 2 workers at least 1.7x faster than 1 (on a 2-core machine); 1 worker within 10% of
the plain loop. Both are judged on the whole ``run()`` call, cluster start included; the
figures without the start (the cluster started before the clock) are printed too.

Per-task overhead is printed two ways: Dask's own (no-op tasks through a running cluster,
submitted and gathered one by one as ``run`` does) and the sweep's (wall time of the 1-worker
sweep minus the time spent inside the tasks, per task: scheduling, transfer of each scenario
and its row, the client loop).

Run:  python benchmarks/bench_sweep.py [--scenarios 200] [--rounds 3] [--months 5]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

SPEEDUP = 1.7
LOOP_MARGIN = 0.10
STRATEGIES = [
    "momentum",
    "mean_reversion",
    "ma_crossover",
    "momentum+mean_reversion",
    "momentum+ma_crossover",
]


def scenarios(n: int, months: int):
    """``n`` backtests: the strategies above x ``n / 5`` position limits, 2020-01 on."""
    import pandas as pd

    from portlab.sweep import expand, load_inputs

    end = pd.Timestamp("2020-01-01") + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    inputs = load_inputs(start="2020-01-01", end=end, splits=None)
    limits = [round(float(x), 6) for x in np.linspace(0.02, 0.10, max(1, n // len(STRATEGIES)))]
    grid = {"strategy": STRATEGIES, "policy.max_position_size": limits}
    return expand("backtest", inputs, grid=grid)[:n], inputs


def plain_loop(found, inputs) -> tuple[float, float]:
    """Wall seconds of the loop, and the seconds inside the scenarios."""
    from threadpoolctl import threadpool_limits

    from portlab.sweep._runner import run_task

    started = time.perf_counter()
    with threadpool_limits(1):
        rows = [run_task(s, inputs) for s in found]
    assert all(r["status"] == "ok" for r in rows), rows[0]["error"]
    return time.perf_counter() - started, sum(r["seconds"] for r in rows)


def on_dask(found, inputs, workers: int) -> dict[str, float]:
    """Wall seconds of ``run`` starting its own cluster, and on a cluster started first."""
    from portlab.sweep import dask_client, run

    started = time.perf_counter()
    table = run(found, inputs, workers=workers, progress=False)
    whole = time.perf_counter() - started
    assert (table["status"] == "ok").all(), table["error"].iloc[0]
    with dask_client(workers=workers) as client:  # the cluster run() starts, started first
        run(found[:workers], inputs, client=client, progress=False)  # imports and first calls
        started = time.perf_counter()
        table = run(found, inputs, client=client, progress=False)
        warm = time.perf_counter() - started
    return {"whole": whole, "warm": warm, "inside": float(table["seconds"].sum())}


def dask_noop_overhead(n: int = 500) -> float:
    """Seconds per no-op task through a running 1-worker cluster, gathered as completed."""
    from distributed import as_completed

    from portlab.sweep import dask_client

    with dask_client(workers=1) as client:
        client.submit(int, 0).result()
        started = time.perf_counter()
        futures = [client.submit(int, k, pure=False) for k in range(n)]
        for future in as_completed(futures, loop=client.loop):
            future.result()
        return (time.perf_counter() - started) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--months", type=int, default=5, help="length of each backtest")
    args = ap.parse_args()
    found, inputs = scenarios(args.scenarios, args.months)
    print(f"{len(found)} backtests of {args.months} months on {os.cpu_count()} CPUs, "
          f"{args.rounds} interleaved rounds")  # fmt: skip
    loops, ones, twos = [], [], []
    for k in range(args.rounds):
        loops.append(plain_loop(found, inputs))
        ones.append(on_dask(found, inputs, 1))
        twos.append(on_dask(found, inputs, 2))
        print(f"  round {k + 1}: loop {loops[-1][0]:.1f} s, 1 worker {ones[-1]['whole']:.1f} s "
              f"({ones[-1]['warm']:.1f} warm), 2 workers {twos[-1]['whole']:.1f} s "
              f"({twos[-1]['warm']:.1f} warm)", flush=True)  # fmt: skip
    loop = float(np.median([t for t, _ in loops]))
    per_task = float(np.median([inside for _, inside in loops])) / len(found)
    one = {key: float(np.median([r[key] for r in ones])) for key in ones[0]}
    two = {key: float(np.median([r[key] for r in twos])) for key in twos[0]}
    speedup, warm_speedup = one["whole"] / two["whole"], one["warm"] / two["warm"]
    ratio, warm_ratio = one["whole"] / loop, one["warm"] / loop
    print(f"one backtest: {per_task:.3f} s (median over the loop)")
    print(f"plain loop {loop:.1f} s; 1 worker {one['whole']:.1f} s ({ratio:.3f}x the loop; "
          f"{one['warm']:.1f} s = {warm_ratio:.3f}x on a started cluster); budget within "
          f"{LOOP_MARGIN:.0%}  {'ok' if ratio <= 1 + LOOP_MARGIN else 'OVER'}")  # fmt: skip
    print(f"2 workers {two['whole']:.1f} s: {speedup:.2f}x faster than 1 ({warm_speedup:.2f}x "
          f"on started clusters); budget {SPEEDUP}x  "
          f"{'ok' if speedup >= SPEEDUP else 'OVER'}")  # fmt: skip
    ours = (one["warm"] - one["inside"]) / len(found)
    print(f"per-task overhead: Dask's own {1e3 * dask_noop_overhead():.2f} ms (no-op tasks); "
          f"the sweep's {1e3 * ours:.1f} ms (1-worker wall minus time in tasks, per task); "
          f"time in tasks {one['inside']:.1f} s on 1 worker vs {loops[0][1]:.1f} s in the "
          f"loop")  # fmt: skip


if __name__ == "__main__":
    main()

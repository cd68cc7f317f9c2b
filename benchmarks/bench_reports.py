"""Reports end to end (issue 12's budgets): ``portlab.reports.run("portfolio")`` on the sample,
kernel start to the HTML written, in this process's environment (budget 45 s); then a batch
of ``--batch`` reports (``run_batch``, its default two per CPU) against the same reports one after
another (budget: at least 1.6x faster on 2 cores), in interleaved rounds (medians), so a noisy
minute on a shared machine hits both.

Run:  python benchmarks/bench_reports.py [--repeat 3] [--batch 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from portlab.reports import REPORTS_PER_CPU, run, run_batch

BUDGET_S = 45.0
BATCH_SPEEDUP = 1.6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="batch against one-by-one rounds")
    args = ap.parse_args()
    times, sizes = [], []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.repeat):
            started = time.perf_counter()
            out = run("portfolio", out=Path(folder) / f"pack{i}.html", progress=False)
            times.append(time.perf_counter() - started)
            sizes.append(out.stat().st_size / 1e6)
    med = float(np.median(times))
    print(f"portfolio report on the sample, kernel start to HTML: median {med:.1f} s "
          f"(min {min(times):.1f}, {args.repeat} runs), {np.median(sizes):.1f} MB; "
          f"budget {BUDGET_S:.0f} s  {'ok' if med <= BUDGET_S else 'OVER'}")  # fmt: skip
    if args.batch:
        batch(args.batch, args.rounds)


def batch(n: int, rounds: int) -> None:
    sets = [{"title": f"report {k}"} for k in range(n)]
    one_by_one, together = [], []
    for _ in range(rounds):  # interleaved, so a noisy minute hits both
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            for k, values in enumerate(sets):
                run("portfolio", values, Path(folder) / f"one{k}.html", progress=False)
            one_by_one.append(time.perf_counter() - started)
            started = time.perf_counter()
            table = run_batch("portfolio", sets, folder)
            together.append(time.perf_counter() - started)
        assert (table["status"] == "ok").all()
    cpus = os.cpu_count() or 1
    speedup = float(np.median(one_by_one) / np.median(together))
    print(f"{n} reports one after another {np.median(one_by_one):.1f} s, as a batch "
          f"({REPORTS_PER_CPU * cpus} at once on {cpus} CPUs) {np.median(together):.1f} s: "
          f"{speedup:.2f}x (medians of {rounds}); budget {BATCH_SPEEDUP}x  "
          f"{'ok' if speedup >= BATCH_SPEEDUP else 'OVER'}")  # fmt: skip


if __name__ == "__main__":
    main()

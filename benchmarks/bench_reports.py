"""Reports end to end (issue 12's budget): ``portlab.reports.run("portfolio")`` on the sample,
kernel start to the HTML written, in this process's environment (budget 45 s).

Run:  python benchmarks/bench_reports.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from portlab.reports import run

BUDGET_S = 45.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
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


if __name__ == "__main__":
    main()

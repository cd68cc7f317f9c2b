"""View-model latency: from a parameter change to recomputed results (issue 10's budgets).

For each view-model of :mod:`portlab.ui`, a setting is changed back and forth (as a slider
released at one value, then another) and the wall time of the assignment is measured: the
model recomputes synchronously, so when the assignment returns the new result is in place.
The optimizer keeps its prepared problem between changes of objective or target, so those
cases reuse it; changes of a constraint take a new value every time (no cache hit).
Median and 90th percentile over the repeats, against the budget: 100 ms on the bundled
20-stock sample, 250 ms on a 500-instrument synthetic market (60 holdings, NAV 10M, a
1,000-signal batch from three strategies, as ``bench_engine.py``).

Cases that do not define the budget are printed as "info" (a turnover limit, which moves the
optimizer from the critical line algorithm to a cvxpy program).

Run:  python benchmarks/bench_ui.py [--repeat 15] [--instruments 500]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

import portlab
from bench_engine import portfolio, signal_batch  # the engine benchmark's inputs
from portlab.analytics.attribution import BrinsonMethod, Linking
from portlab.datasets import synthetic
from portlab.engine import Resolution

BUDGET_MS = {"sample": 100.0, "synthetic": 250.0}

#: run in a fresh interpreter: the cost of the first model a notebook builds
FRESH_PROCESS = """
import time
t = time.perf_counter()
import portlab.ui
t1 = time.perf_counter()
portlab.ui.PolicyModel()
t2 = time.perf_counter()
print(f"fresh process: import portlab.ui {1e3 * (t1 - t):.0f} ms, "
      f"first PolicyModel() on the sample {1e3 * (t2 - t1):.0f} ms")
"""


def synthetic_inputs(n: int) -> dict[str, Any]:
    market = synthetic(n_instruments=n, n_days=756, n_sectors=11, seed=1)
    k = min(60, n // 2)  # holdings
    signals = signal_batch(market, 1000, seed=4, start=market.dates[-1])
    return {"market": market, "state": portfolio(market, k, seed=2), "signals": signals}


def cases(
    inputs: dict[str, Any],
) -> Iterator[tuple[str, str, Callable[[], Any], Iterator[dict[str, Any]], bool]]:
    """(model, change, factory, endless changes, counts toward the budget)."""
    from portlab.ui import (
        AttributionModel,
        ConflictModel,
        OptimizerModel,
        OptimizerObjective,
        PolicyModel,
        SizingModel,
    )

    def make(cls, **settings):
        return lambda: cls(**inputs, **settings)

    first = None if "signals" not in inputs else str(inputs["signals"]["signal_id"].iloc[0])
    sizing = {} if first is None else {"signal_id": first}
    cycle = itertools.cycle
    yield (
        "PolicyModel",
        "max_position_size",
        make(PolicyModel),
        cycle([{"max_position_size": 0.04}, {"max_position_size": 0.05}]),
        True,
    )
    yield (
        "PolicyModel",
        "3 settings, one update",
        make(PolicyModel),
        cycle(
            [
                {"max_position_size": 0.04, "kelly_multiplier": 0.5, "max_leverage_hard": False},
                {"max_position_size": 0.05, "kelly_multiplier": 1.0, "max_leverage_hard": True},
            ]
        ),
        True,
    )
    yield (
        "SizingModel",
        "confidence",
        make(SizingModel, **sizing),
        cycle([{"confidence": 0.9}, {"confidence": 0.8}]),
        True,
    )
    yield (
        "ConflictModel",
        "resolution",
        make(ConflictModel),
        cycle([{"resolution": r} for r in Resolution]),
        True,
    )
    yield (
        "AttributionModel",
        "linking / method",
        make(AttributionModel),
        cycle(
            [
                {"linking": Linking.GRAP, "method": BrinsonMethod.BHB},
                {"linking": Linking.CARINO, "method": BrinsonMethod.BRINSON_FACHLER},
            ]
        ),
        True,
    )
    yield (
        "AttributionModel",
        "period start",
        make(AttributionModel),
        cycle([{"start": inputs_start(inputs, 504)}, {"start": inputs_start(inputs, 252)}]),
        True,
    )
    yield (
        "OptimizerModel",
        "objective (problem kept)",
        make(OptimizerModel),
        cycle(
            [
                {"objective": OptimizerObjective.MIN_VOLATILITY},
                {"objective": OptimizerObjective.TARGET_RISK},
                {"objective": OptimizerObjective.MAX_SHARPE},
            ]
        ),
        True,
    )
    yield (
        "OptimizerModel",
        "max_weight (new frontier)",
        make(OptimizerModel),
        ({"max_weight": 0.09 + 1e-4 * (k % 100)} for k in itertools.count()),
        True,
    )
    yield (
        "OptimizerModel",
        "risk parity, sector_cap",
        make(OptimizerModel, objective=OptimizerObjective.RISK_PARITY),
        ({"sector_cap": 0.30 + 1e-4 * (k % 100)} for k in itertools.count()),
        True,
    )
    yield (
        "OptimizerModel",
        "turnover limit (cvxpy)",
        make(OptimizerModel, max_turnover=1.2, n_points=10),
        ({"max_turnover": 1.1 + 1e-3 * (k % 100)} for k in itertools.count()),
        False,
    )


def inputs_start(inputs: dict[str, Any], days: int) -> pd.Timestamp:
    from portlab.datasets import load_sample

    market = inputs["market"] if "market" in inputs else load_sample()
    return pd.Timestamp(market.returns.index[-days])


def measure(
    factory: Callable[[], Any], changes: Iterator[dict[str, Any]], repeat: int
) -> tuple[float, float, float, str | None]:
    """(build ms, median ms, p90 ms, error) of ``repeat`` changes after two warm-up ones."""
    t = time.perf_counter()
    model = factory()
    build = 1e3 * (time.perf_counter() - t)
    times = []
    for k in range(repeat + 2):
        change = next(changes)
        t = time.perf_counter()
        model.param.update(**change)
        if k >= 2:
            times.append(1e3 * (time.perf_counter() - t))
        if model.error is not None:
            return build, float("nan"), float("nan"), model.error
    return build, float(np.median(times)), float(np.percentile(times, 90)), None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--instruments", type=int, default=500)
    args = ap.parse_args()

    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, check=True
    )
    print(fresh.stdout.strip())
    markets = {
        "sample": {},
        "synthetic": synthetic_inputs(args.instruments),
    }
    print(
        f"portlab {portlab.__version__}; sample: 20 stocks, the example batch (14 signals); "
        f"synthetic: {args.instruments} instruments, 60 holdings, 1,000 signals; "
        f"repeat {args.repeat}\n"
    )
    header = (
        f"{'model':<17} {'change':<26} {'market':<10} {'build':>8} {'median':>8} "
        f"{'p90':>8} {'budget':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for market_name, inputs in markets.items():
        budget = BUDGET_MS[market_name]
        for model, change, factory, changes, counted in cases(inputs):
            build, median, p90, error = measure(factory, changes, args.repeat)
            if error is not None:
                verdict = f"ERROR {error}"
                failures += counted
            elif not counted:
                verdict = "info"
            elif median <= budget:
                verdict = "ok"
            else:
                verdict = "OVER"
                failures += 1
            print(
                f"{model:<17} {change:<26} {market_name:<10} {build:>6.0f}ms {median:>6.1f}ms "
                f"{p90:>6.1f}ms {budget:>5.0f}ms  {verdict}"
            )
    print(f"\n{failures} case(s) over budget" if failures else "\nevery case within budget")


if __name__ == "__main__":
    main()

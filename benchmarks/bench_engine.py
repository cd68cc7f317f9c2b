"""Coordination engine latency on a 500-instrument synthetic market (issue 2's budgets).

Prints, for each case, the median and 90th percentile wall time of ``Coordinator.coordinate``
(decisions frame included) over repeated runs, and its ratio to the time of one dense
correlation matrix-vector product ``C @ w`` on the same market — the floor of any
correlation-aware pass. Also the peak memory traced during one call against the size of one
instruments × instruments float matrix.

Run:  python benchmarks/bench_engine.py [--instruments 500] [--repeat 15]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

import portlab
from portlab.datasets import synthetic
from portlab.engine import AllocationMode

BUDGET_MS = {"batch_greedy": 50.0, "batch_optimal": 300.0, "single": 5.0}


def signal_batch(market, k: int, seed: int, start: str | pd.Timestamp = "2023-01-02 15:00"):
    """``k`` signals from three strategies on random instruments (several per instrument),
    time-stamped within the hour after ``start`` (UTC)."""
    rng = np.random.default_rng(seed)
    names = market.instruments[rng.integers(0, len(market.instruments), k)]
    price = market.last_prices.reindex(names).to_numpy()
    side = rng.choice([1, -1], k, p=[0.7, 0.3])
    er = side * rng.uniform(0.005, 0.05, k)
    return pd.DataFrame(
        {
            "signal_id": [f"s{i}" for i in range(k)],
            "timestamp": pd.Timestamp(start).tz_localize("UTC")
            + pd.to_timedelta(rng.integers(0, 3600, k), unit="s"),
            "instrument_id": names,
            "action": np.where(side > 0, "BUY", "SELL"),
            "confidence": rng.uniform(0.5, 0.95, k),
            "strength": "STRONG",
            "signal_score": side * 0.5,
            "price_target": price * (1 + 2 * er),
            "expected_return": er,
            "success_probability": rng.uniform(0.5, 0.7, k),
            "strategy_id": rng.choice(["momentum", "mean_reversion", "trend"], k),
        }
    )


def portfolio(market, n_held: int, seed: int) -> portlab.PortfolioState:
    rng = np.random.default_rng(seed)
    held = rng.choice(len(market.instruments), n_held, replace=False)
    weights = pd.Series(rng.uniform(0.002, 0.02, n_held), index=market.instruments[held])
    return portlab.PortfolioState.from_weights(weights, market.last_prices, 10_000_000)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    fn()  # warm caches and imports
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times)), 1e3 * float(np.percentile(times, 90)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instruments", type=int, default=500)
    ap.add_argument("--signals", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    market = synthetic(n_instruments=args.instruments, n_days=756, n_sectors=11, seed=1)
    n = len(market.instruments)
    corr = market.correlation().to_numpy()
    state = portfolio(market, 60, seed=2)
    w = np.random.default_rng(3).uniform(-0.01, 0.01, n)
    matvec_ms, _, _ = timed(lambda: corr @ w, 200)

    batch = signal_batch(market, args.signals, seed=4)
    single = [
        {
            "eventId": "one",
            "timestamp": "2023-01-02T15:00:00Z",
            "signal": {
                "instrument_id": str(batch.instrument_id[0]),
                "action": str(batch.action[0]),
                "confidence": 0.8,
                "strength": "STRONG",
                "signal_score": 0.5,
            },
            "expected_outcomes": {
                "price_target": float(batch.price_target[0]),
                "expected_return": float(batch.expected_return[0]),
                "success_probability": 0.6,
            },
        }
    ]
    from portlab.events import parse_signals

    single = parse_signals(single).raise_if_errors().events

    cases = {
        "batch_greedy": (portlab.Coordinator(sizing={"allocation": AllocationMode.GREEDY}), batch),
        "batch_optimal": (
            portlab.Coordinator(sizing={"allocation": AllocationMode.OPTIMAL}),
            batch,
        ),
        "single": (portlab.Coordinator(), single),
    }
    print(
        f"portlab {portlab.__version__}: {n} instruments, {args.signals}-signal batch, "
        f"60 holdings, NAV 10,000,000; repeat {args.repeat}"
    )
    print(f"one dense correlation mat-vec (C @ w, {n}x{n}): {matvec_ms * 1e3:.1f} us\n")
    print("median and p90 of coordinate(); '+frame' also builds the decisions DataFrame")
    print(
        f"{'case':<15}{'median ms':>11}{'p90 ms':>9}{'+frame ms':>11}{'budget':>9}"
        f"{'x mat-vec':>11}{'decisions':>11}  solver"
    )
    for name, (coord, sig) in cases.items():
        med, p90, _ = timed(lambda c=coord, s=sig: c.coordinate(s, state, market), args.repeat)
        full, _, _ = timed(
            lambda c=coord, s=sig: c.coordinate(s, state, market).decisions, args.repeat
        )
        result = coord.coordinate(sig, state, market)
        solver = result.waterfall["allocation_solver"].iloc[0] if len(result.waterfall) else "-"
        ok = "ok" if med <= BUDGET_MS[name] else "OVER"
        print(
            f"{name:<15}{med:>11.2f}{p90:>9.2f}{full:>11.2f}{BUDGET_MS[name]:>7.0f}{ok:>2}"
            f"{med / matvec_ms:>11.0f}{result.n_decisions:>11}  {solver}"
        )

    tracemalloc.start()
    _ = cases["batch_greedy"][0].coordinate(batch, state, market).decisions
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    square = n * n * 8
    print(
        f"\npeak traced memory of one greedy batch call: {peak / 2**20:.2f} MiB "
        f"= {peak / square:.2f} x one {n}x{n} float64 matrix ({square / 2**20:.2f} MiB)"
    )


if __name__ == "__main__":
    main()

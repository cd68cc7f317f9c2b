"""Walk-forward backtest speed: the 20-stock sample, 1990-2022, weekly, three strategies.

Budget (issue 4): the whole run in at most 60 s. Prints the wall time against the budget, the
time per rebalance date and where it goes (market view, signal generation, coordination,
bookkeeping), and the ratio of a rebalance date to one bare ``Coordinator.coordinate`` call
on the same inputs (the floor: a walk-forward step cannot be cheaper than the coordination
it runs).

With ``--vectorbt`` (and vectorbt installed) the same fills are replayed with
``vectorbt.Portfolio.from_orders`` (same prices, proportional fees) in this process: its time
and the largest difference between its portfolio value and portlab's equity curve are
printed -- an independent check that the equity reconciles with the trades and costs. Off by
default: vectorbt's first call compiles with numba, which takes a minute or more here.

Run:  python benchmarks/bench_backtest.py [--start 1990-01-01] [--end 2022-12-31] [--vectorbt]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import portlab
from portlab.analytics.backtest import (
    Backtest,
    MeanReversion,
    Momentum,
    MovingAverageCrossover,
)
from portlab.datasets import load_sample

BUDGET_S = 60.0
COST = 0.001
CASH = 1_000_000.0


def coordinate_floor(market, result, repeat: int = 30) -> float:
    """Median seconds of one bare coordinate call on a mid-run date's signals and holdings.

    Each call gets a fresh ``market.truncate(date)`` view (not timed), as in the run, so the
    view's risk model is estimated inside the call as it is there.
    """
    date = result.rebalance_dates[len(result.rebalance_dates) // 2]
    view = market.truncate(date)
    signals = result.signals[result.signals["date"] == date].drop(columns="date")
    held = result.positions.loc[date]
    held = held[held != 0]
    price = view.last_prices
    state = portlab.PortfolioState(
        {k: {"quantity": float(q), "avg_price": float(price[k])} for k, q in held.items()},
        cash=float(result.cash.loc[date]),
    )
    coordinator = portlab.Coordinator()
    coordinator.coordinate(signals, state, view, as_of=date)
    times = []
    for _ in range(repeat):
        view = market.truncate(date)
        t0 = time.perf_counter()
        coordinator.coordinate(signals, state, view, as_of=date)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def vectorbt_replay(market, result) -> tuple[float, float] | None:
    """Seconds of a vectorbt replay of the fills and the max |value - equity| (currency)."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    idx = result.equity.index
    close = market.prices.ffill().loc[idx]
    trades = result.trades.groupby(["date", "instrument_id"])["shares"].sum().unstack()
    size = trades.reindex(index=idx, columns=close.columns)
    size = pd.DataFrame(size.to_numpy(), index=close.index, columns=close.columns)
    buffer = 10 * CASH  # vectorbt never overdraws cash; give it room and subtract it after
    t0 = time.perf_counter()
    pf = vbt.Portfolio.from_orders(
        close=close,
        size=size,
        size_type="amount",
        price=close,
        fees=COST,
        init_cash=CASH + buffer,
        cash_sharing=True,
        group_by=True,
        freq="1D",
    )
    value = pf.value() - buffer
    seconds = time.perf_counter() - t0
    return seconds, float(np.max(np.abs(value.to_numpy() - result.equity.to_numpy())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=None)
    parser.add_argument("--end", default=None)
    parser.add_argument(
        "--vectorbt", action="store_true", help="replay the fills with vectorbt (slow first call)"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    market = load_sample()
    load_s = time.perf_counter() - t0
    strategies = [Momentum(), MeanReversion(), MovingAverageCrossover()]
    backtest = Backtest(strategies, portlab.Coordinator(), frequency="W-FRI", cost=COST)

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = backtest.run(market, args.start, args.end, progress=False)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0

    n = len(result.rebalance_dates)
    t = result.timings
    other = t["total"] - t["view"] - t["signals"] - t["coordinate"]
    floor = coordinate_floor(market, result)
    s = result.summary()
    status = "OK" if wall <= BUDGET_S else "OVER BUDGET"
    print(f"portlab walk-forward backtest: {market!r}")
    print(
        f"  {s['start'].date()}..{s['end'].date()}, weekly (W-FRI), 3 strategies, "
        f"fill next close, cost {COST:.1%}"
    )
    print(f"  data load                 {load_s:8.2f} s")
    print(
        f"  run (wall)                {wall:8.2f} s   budget {BUDGET_S:.0f} s   [{status}]"
        f"   ({wall / BUDGET_S:.0%} of budget; CPU {cpu:.2f} s)"
    )
    print(f"  rebalance dates           {n:8d}")
    print(f"  per rebalance date        {1000 * wall / n:8.2f} ms")
    for key, label in (
        ("view", "market.truncate view"),
        ("signals", "signal generation (3)"),
        ("coordinate", "coordination"),
    ):
        print(f"    {label:24s}{1000 * t[key] / n:8.2f} ms  ({t[key] / t['total']:.0%})")
    print(f"    {'fills and records':24s}{1000 * other / n:8.2f} ms  ({other / t['total']:.0%})")
    print(
        f"  one bare coordinate call  {1000 * floor:8.2f} ms (fresh view)   "
        f"ratio per date / coordinate call: {wall / n / floor:.2f}x"
    )
    print(
        f"  signals {s['n_signals']:,}, decisions {s['n_decisions']:,}, "
        f"rejections {s['n_rejections']:,}, trades {s['n_trades']:,}"
    )
    print(
        f"  equity {s['initial_equity']:,.0f} -> {s['final_equity']:,.0f}; annual return "
        f"{s['annual_return']:.2%}, vol {s['annual_volatility']:.2%}, Sharpe "
        f"{s['sharpe']:.2f}, max drawdown {s['max_drawdown']:.1%}, costs {s['costs']:,.0f}"
    )
    if args.vectorbt:
        peer = vectorbt_replay(market, result)
        if peer is None:
            print("  vectorbt not installed: replay skipped")
        else:
            secs, diff = peer
            print(
                f"  vectorbt replay of the same fills: {secs:.2f} s; "
                f"max |value - equity| = {diff:.6f} (currency)"
            )


if __name__ == "__main__":
    main()

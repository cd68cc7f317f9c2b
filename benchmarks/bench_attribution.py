"""Brinson attribution with Cariño linking: 500 instruments, 11 sectors, 5,000 daily periods.

Prints the median, 90th percentile and worst wall time of ``portlab.analytics.attribution.brinson``
(Brinson-Fachler, Cariño linking: per-period effects per sector, their linked totals and the
notes) against the issue's budget (median <= 1 s; the attribution budget of specification §15 < 2 s), and
the time of a straightforward per-period pandas ``groupby`` loop computing the same effects
(then linked with the same Cariño coefficients), run side by side in this process on the same
inputs; the ratio must be at least 20. The largest difference between the two results is
printed too.

Data: ``portlab.datasets.synthetic(500, 5,001 days, 11 sectors)`` returns; the portfolio holds
150 instruments at monthly rebalanced random weights that drift with prices between rebalances
(so weights change every day), with 2% cash; the benchmark is the drifting equal-weight universe.

Run:  python benchmarks/bench_attribution.py [--periods 5000] [--instruments 500] [--repeat 15]
      [--naive-periods N]   (time the naive loop on the first N periods and scale it up)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from portlab.analytics.attribution import BrinsonMethod, Linking, brinson, linking_coefficients
from portlab.datasets import synthetic

BUDGET_MEDIAN_S = 1.0
BUDGET_P99_S = 2.0
MIN_RATIO = 20.0


def drifting_weights(returns: np.ndarray, targets: np.ndarray, every: int) -> np.ndarray:
    """Weights reset to ``targets[k]`` every ``every`` periods and drifting with returns between."""
    t, n = returns.shape
    out = np.empty((t, n))
    w = targets[0].copy()
    for i in range(t):
        if i % every == 0:
            w = targets[i // every].copy()
        out[i] = w
        grown = w * (1.0 + returns[i])
        w = grown / (grown.sum() + (1.0 - targets[i // every].sum()))  # cash is part of value
    return out


def build(n_periods: int, n_instruments: int, seed: int = 0):
    market = synthetic(n_instruments=n_instruments, n_days=n_periods + 1, n_sectors=11, seed=seed)
    returns = market.returns
    r = returns.to_numpy()
    rng = np.random.default_rng(seed)
    every = 21
    n_rebal = n_periods // every + 1
    targets = np.zeros((n_rebal, n_instruments))
    for k in range(n_rebal):
        held = rng.choice(n_instruments, 150, replace=False)
        targets[k, held] = rng.dirichlet(np.ones(150)) * 0.98
    pw = drifting_weights(r, targets, every)
    bw = drifting_weights(r, np.full((n_rebal, n_instruments), 1.0 / n_instruments), every)
    cols = returns.columns
    return (
        pd.DataFrame(pw, index=returns.index, columns=cols),
        returns,
        pd.DataFrame(bw, index=returns.index, columns=cols),
        market.sectors,
    )


def naive(pw: pd.DataFrame, r: pd.DataFrame, bw: pd.DataFrame, groups: pd.Series):
    """Straightforward Brinson-Fachler: one pandas groupby per period, then Cariño linking."""
    alloc, select, inter, rp_tot, rb_tot = [], [], [], [], []
    for t in r.index:
        frame = pd.DataFrame({"wp": pw.loc[t], "wb": bw.loc[t], "r": r.loc[t], "g": groups})
        frame["cp"] = frame["wp"] * frame["r"]
        frame["cb"] = frame["wb"] * frame["r"]
        agg = frame.groupby("g")[["wp", "wb", "cp", "cb"]].sum()
        cash_p, cash_b = 1.0 - agg["wp"].sum(), 1.0 - agg["wb"].sum()
        agg.loc["(cash)"] = [cash_p, cash_b, 0.0, 0.0]
        total_b = agg["cb"].sum()
        rbg = (agg["cb"] / agg["wb"]).where(agg["wb"].abs() > 1e-12, 0.0)
        rpg = (agg["cp"] / agg["wp"]).where(agg["wp"].abs() > 1e-12, rbg)
        alloc.append((agg["wp"] - agg["wb"]) * (rbg - total_b))
        select.append(agg["wb"] * (rpg - rbg))
        inter.append((agg["wp"] - agg["wb"]) * (rpg - rbg))
        rp_tot.append(agg["cp"].sum())
        rb_tot.append(total_b)
    beta = linking_coefficients(np.array(rp_tot), np.array(rb_tot), Linking.CARINO)
    frames = [pd.DataFrame(x, index=r.index) for x in (alloc, select, inter)]
    linked = pd.DataFrame(
        {
            name: beta @ f.to_numpy()
            for name, f in zip(("allocation", "selection", "interaction"), frames, strict=True)
        },
        index=frames[0].columns,
    )
    return linked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", type=int, default=5000)
    ap.add_argument("--instruments", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--naive-periods", type=int, default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    pw, r, bw, groups = build(args.periods, args.instruments)
    print(
        f"data: {r.shape[0]:,} periods x {r.shape[1]} instruments, "
        f"{groups.nunique()} sectors (built in {time.perf_counter() - t0:.1f} s)"
    )

    def run():
        return brinson(
            pw, r, bw, None, groups, method=BrinsonMethod.BRINSON_FACHLER, linking=Linking.CARINO
        )

    result = run()  # warm-up
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t)
    times = np.array(times)
    med, p90, worst = np.median(times), np.quantile(times, 0.9), times.max()

    n_naive = args.naive_periods or len(r)
    sl = slice(0, n_naive)
    t = time.perf_counter()
    linked_naive = naive(pw.iloc[sl], r.iloc[sl], bw.iloc[sl], groups)
    naive_s = (time.perf_counter() - t) * len(r) / n_naive
    if n_naive == len(r):
        ours = result.linked[["allocation", "selection", "interaction"]]
        diff = float(np.abs(ours.sort_index() - linked_naive.sort_index()).to_numpy().max())
        agree = f"max |difference| of linked effects vs the loop: {diff:.2e}"
    else:
        agree = f"(naive loop timed on {n_naive:,} periods and scaled to {len(r):,})"

    print(
        f"brinson + Carino, {args.repeat} runs: median {med * 1e3:.0f} ms, "
        f"p90 {p90 * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms "
        f"(budget: median {BUDGET_MEDIAN_S:.0f} s, P99 {BUDGET_P99_S:.0f} s)"
    )
    print(f"naive per-period pandas groupby loop: {naive_s:.2f} s  {agree}")
    ratio = naive_s / med
    print(f"ratio naive / brinson: {ratio:.0f}x (required >= {MIN_RATIO:.0f}x)")
    print(
        f"linked active return {result.linked_active:+.6f} = sum of linked effects "
        f"{result.linked['total'].sum():+.6f}"
    )
    ok = med <= BUDGET_MEDIAN_S and worst <= BUDGET_P99_S and ratio >= MIN_RATIO
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()

"""Historical VaR / CVaR speed: 500 instruments × 5,000 days (issue 3's budget: median ≤ 100 ms).

Cases, each timed as the median (and 90th percentile) of repeated runs in this process:

* ``per column``: 95% VaR and CVaR of each of the 500 return series at once
  (``portlab.analytics.risk.historical_var_cvar``, one ``np.partition``) against a naive pandas
  implementation (``DataFrame.quantile`` then the mean of the returns at or below it), skfolio's
  ``value_at_risk`` + ``cvar`` on the 2-D array, and Riskfolio-Lib's ``VaR_Hist`` + ``CVaR_Hist``
  column by column (peers skipped when not installed);
* ``per column, 10-day``: the same with overlapping 10-day sums;
* ``one portfolio``: ``value_at_risk`` + ``conditional_value_at_risk`` of a 500-instrument
  portfolio (weights × returns, then the tail) against pandas ``(df @ w).quantile``.

Results are also checked against each other (VaR equal to skfolio's; the naive pandas figure
uses linear interpolation, so it differs slightly and is printed as a relative gap).

Run:  python benchmarks/bench_risk.py [--instruments 500] [--days 5000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
import pandas as pd

from portlab.analytics import risk

BUDGET_MS = 100.0


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median and 90th percentile wall time in ms of ``fn()`` (one warm-up call), and its result."""
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 90)), out


def peer(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def naive_pandas(df: pd.DataFrame, c: float) -> tuple[pd.Series, pd.Series]:
    q = df.quantile(1 - c)
    return -q, -df[df.le(q, axis=1)].mean()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instruments", type=int, default=500)
    ap.add_argument("--days", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    n, t, rep = args.instruments, args.days, args.repeat

    rng = np.random.default_rng(0)
    x = rng.standard_t(4, (t, n)) * 0.01 + rng.standard_normal((t, 1)) * 0.008
    df = pd.DataFrame(x, columns=[f"S{i:04d}" for i in range(n)])
    w = pd.Series(rng.dirichlet(np.ones(n)), index=df.columns)
    skm = peer("skfolio.measures")
    rf = peer("riskfolio.src.RiskFunctions")
    rows = []

    def add(case, impl, med, p90, base=None):
        rows.append((case, impl, med, p90, med / base if base else 1.0))

    # ---- per column, 1 day
    med, p90, (v, cv) = timed(lambda: risk.historical_var_cvar(x, 0.95), rep)
    base = med
    add("per column 1-day", "portlab (ndarray)", med, p90)
    m2, q2, frame = timed(lambda: risk.historical_var_cvar(df, 0.95), rep)
    add("per column 1-day", "portlab (DataFrame)", m2, q2, base)
    m3, q3, (nv, ncv) = timed(lambda: naive_pandas(df, 0.95), max(3, rep // 3))
    add("per column 1-day", "naive pandas quantile", m3, q3, base)
    gap = float(np.max(np.abs(nv.to_numpy() - v) / v))
    if skm is not None:
        m4, q4, (sv, scv) = timed(
            lambda: (skm.value_at_risk(x, beta=0.95), skm.cvar(x, beta=0.95)), rep
        )
        add("per column 1-day", "skfolio value_at_risk+cvar", m4, q4, base)
        np.testing.assert_allclose(v, sv, rtol=1e-12)
        np.testing.assert_allclose(cv, scv, rtol=1e-10)
    if rf is not None:

        def riskfolio_loop():
            return [(rf.VaR_Hist(x[:, j], 0.05), rf.CVaR_Hist(x[:, j], 0.05)) for j in range(n)]

        m5, q5, _ = timed(riskfolio_loop, max(3, rep // 5))
        add("per column 1-day", "riskfolio VaR_Hist+CVaR_Hist loop", m5, q5, base)

    # ---- per column, 10 days
    m6, q6, _ = timed(lambda: risk.historical_var_cvar(x, 0.95, horizon=10), rep)
    add("per column 10-day", "portlab (ndarray)", m6, q6)
    m7, q7, _ = timed(lambda: naive_pandas(df.rolling(10).sum().dropna(), 0.95), max(3, rep // 3))
    add("per column 10-day", "naive pandas rolling+quantile", m7, q7, m6)

    # ---- one portfolio
    def ours():
        return (
            risk.value_at_risk(w, df, confidence=0.95),
            risk.conditional_value_at_risk(w, df, confidence=0.95),
        )

    def naive_one():
        p = df @ w
        q = p.quantile(0.05)
        return -q, -p[p <= q].mean()

    m8, q8, _ = timed(ours, rep)
    add("one portfolio", "portlab value_at_risk+cvar", m8, q8)
    m9, q9, _ = timed(naive_one, rep)
    add("one portfolio", "naive pandas (df @ w).quantile", m9, q9, m8)
    if skm is not None:
        m10, q10, _ = timed(
            lambda: (skm.value_at_risk(x @ w.to_numpy()), skm.cvar(x @ w.to_numpy())), rep
        )
        add("one portfolio", "skfolio on x @ w", m10, q10, m8)

    print(f"historical VaR/CVaR at 95%, {n} instruments x {t} days, {rep} repeats")
    print(f"{'case':<20} {'implementation':<36} {'median ms':>10} {'p90 ms':>8} {'x portlab':>10}")
    for case, impl, med_, p90_, ratio in rows:
        print(f"{case:<20} {impl:<36} {med_:>10.1f} {p90_:>8.1f} {ratio:>10.2f}")
    status = "OK" if base <= BUDGET_MS else "OVER BUDGET"
    print(f"\nbudget: per-column 1-day median {base:.1f} ms <= {BUDGET_MS:.0f} ms: {status}")
    print(f"naive pandas VaR (linear interpolation) differs by at most {gap:.2%} of VaR")
    if skm is None or rf is None:
        print(
            "peers skipped (not installed):",
            [p for p, m in (("skfolio", skm), ("riskfolio", rf)) if m is None],
        )


if __name__ == "__main__":
    main()

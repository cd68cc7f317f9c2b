"""Equal risk contribution and hierarchical risk parity at 500 assets: portlab vs the peers.

Run: ``python benchmarks/bench_allocators.py [--quick] [--n 500] [--repeat 5]``

Data: ``portlab.datasets.synthetic(n, 756)`` daily returns (factor model, 755 returns); every
library gets the same return matrix and estimates the sample covariance / Pearson correlation
from it (``ddof=1``), so the weights must agree.

* ERC (long-only, variance, equal budgets): portlab ``risk_budgeting`` vs skfolio
  ``RiskBudgeting`` and Riskfolio-Lib ``Portfolio.rp_optimization`` (both cvxpy + Clarabel).
  portlab's time is given for the solve on the covariance and, for a like-for-like comparison
  with peers that estimate it from returns, including ``np.cov`` of the returns.
* Constrained risk budgeting (per-asset cap, five sector caps): portlab
  ``constrained_risk_budgeting`` vs skfolio ``RiskBudgeting`` with the same caps. The weights
  differ by design: skfolio solves the homogenised program (min risk s.t. Σ b log w >= c and
  the caps scaled by the total), portlab the Richard & Roncalli definition (risk budgets kept
  on every asset no constraint touches). Then portlab alone with a turnover limit and with
  proportional costs (no peer risk-budgeting API takes a turnover limit).
* HRP (single linkage, variance, no optimal leaf ordering, from returns): portlab ``hrp`` vs
  PyPortfolioOpt ``HRPOpt``, skfolio ``HierarchicalRiskParity`` and Riskfolio-Lib
  ``HCPortfolio`` (``leaf_order=False``).

BLAS runs on one thread for every library (``--threads``): on this shared 2-core machine
threaded factorisations of a few hundred rows are many times slower whenever the other core
is busy, which would make the figures depend on the neighbours' load.

Printed per library: median time (portlab: of ``--repeat`` runs; peers: of ``--peer-repeat``
runs), the ratio of the peer's time over portlab's, the largest absolute weight deviation from
portlab's weights and the largest relative deviation of the risk contributions from equal
(ERC). Peers that are not installed are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from portlab.analytics.optimize import hrp, risk_budgeting
from portlab.analytics.optimize import variance_contributions as risk_contributions
from portlab.datasets import synthetic


def timed(fn: Callable[[], pd.Series], repeat: int) -> tuple[float, pd.Series]:
    """Median wall time (seconds) of ``repeat`` calls and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def erc_error(w: pd.Series, cov: pd.DataFrame) -> float:
    rc = risk_contributions(w.reindex(cov.index).fillna(0.0), cov).to_numpy()
    return float(np.max(np.abs(rc * len(rc) - 1.0)))


def row(name: str, t: float, base: float, dev: float | None, extra: str = "") -> None:
    dev_s = "" if dev is None else f"{dev:.2e}"
    print(f"  {name:<34} {t * 1e3:>10.1f} ms {t / base:>9.1f}x {dev_s:>12} {extra}")


def run_peer(
    name: str,
    fn: Callable[[], pd.Series],
    w: pd.Series,
    base: float,
    repeat: int,
    note: Callable[[pd.Series], str] = lambda wp: "",
) -> float:
    """Time a peer (its warnings silenced), print its row against portlab's ``w``; its time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, wp = timed(fn, repeat)
    dev = float(np.max(np.abs(wp.reindex(w.index).to_numpy() - w.to_numpy())))
    row(name, t, base, dev, note(wp))
    return t


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'library':<34} {'median':>13} {'vs portlab':>10} {'max |Δw|':>12}")


def bench_erc(returns: pd.DataFrame, repeat: int, peer_repeat: int) -> None:
    cov = returns.cov()
    values = returns.to_numpy()
    risk_budgeting(cov)  # warm up imports
    t_solve, w = timed(lambda: risk_budgeting(cov), repeat)

    def with_estimation() -> pd.Series:
        c = np.cov(values, rowvar=False)
        return risk_budgeting(pd.DataFrame(c, index=cov.index, columns=cov.columns))

    t_full, _ = timed(with_estimation, repeat)
    header(f"Equal risk contribution, {cov.shape[0]} assets, {len(returns)} returns")
    row(
        "portlab risk_budgeting (cov given)",
        t_solve,
        t_solve,
        None,
        f"RC err {erc_error(w, cov):.1e}",
    )
    row("portlab incl. np.cov of returns", t_full, t_solve, None)
    peers = []
    try:
        from skfolio.optimization import RiskBudgeting

        def sk() -> pd.Series:
            model = RiskBudgeting().fit(returns)
            return pd.Series(model.weights_, index=returns.columns)

        peers.append(("skfolio RiskBudgeting", sk))
    except ImportError:
        print("  skfolio not installed: skipped")
    try:
        import riskfolio as rp

        def rf() -> pd.Series:
            port = rp.Portfolio(returns=returns)
            port.assets_stats(method_mu="hist", method_cov="hist")
            out = port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)
            return out["weights"]

        peers.append(("Riskfolio rp_optimization", rf))
    except ImportError:
        print("  riskfolio-lib not installed: skipped")
    fastest = min(
        (
            run_peer(
                name, fn, w, t_solve, peer_repeat, lambda wp: f"RC err {erc_error(wp, cov):.1e}"
            )
            for name, fn in peers
        ),
        default=np.inf,
    )
    if np.isfinite(fastest):
        print(
            f"  fastest peer / portlab: {fastest / t_solve:.0f}x (goal >= 50x); "
            f"incl. covariance estimation: {fastest / t_full:.0f}x"
        )


def bench_hrp(returns: pd.DataFrame, repeat: int, peer_repeat: int) -> None:
    hrp(returns)
    t_mine, w = timed(lambda: hrp(returns), repeat)
    cov = returns.cov()
    t_cov, w_cov = timed(lambda: hrp(cov), repeat)
    header(f"Hierarchical risk parity (single linkage), {returns.shape[1]} assets")
    row("portlab hrp (returns)", t_mine, t_mine, None)
    row("portlab hrp (covariance given)", t_cov, t_mine, float(np.max(np.abs(w_cov - w))))
    peers = []
    try:
        from pypfopt import HRPOpt

        def pp() -> pd.Series:
            return pd.Series(HRPOpt(returns=returns).optimize(linkage_method="single"))

        peers.append(("PyPortfolioOpt HRPOpt", pp))
    except ImportError:
        print("  PyPortfolioOpt not installed: skipped")
    try:
        from skfolio.cluster import HierarchicalClustering, LinkageMethod
        from skfolio.optimization import HierarchicalRiskParity
        from skfolio.seriation import HierarchicalSeriation

        def sk() -> pd.Series:
            model = HierarchicalRiskParity(
                seriation_estimator=HierarchicalSeriation(
                    hierarchical_clustering_estimator=HierarchicalClustering(
                        linkage_method=LinkageMethod.SINGLE
                    ),
                    optimal_ordering=False,
                )
            ).fit(returns)
            return pd.Series(model.weights_, index=returns.columns)

        peers.append(("skfolio HierarchicalRiskParity", sk))
    except ImportError:
        print("  skfolio not installed: skipped")
    try:
        import riskfolio as rp

        def rf() -> pd.Series:
            port = rp.HCPortfolio(returns=returns)
            out = port.optimization(
                model="HRP", codependence="pearson", rm="MV", rf=0, linkage="single",
                leaf_order=False,
            )  # fmt: skip
            return out["weights"]

        peers.append(("Riskfolio HCPortfolio", rf))
    except ImportError:
        print("  riskfolio-lib not installed: skipped")
    fastest = min(
        (run_peer(name, fn, w, t_mine, peer_repeat) for name, fn in peers), default=np.inf
    )
    if np.isfinite(fastest):
        print(f"  fastest peer / portlab: {fastest / t_mine:.0f}x (goal >= 20x)")


def bench_constrained(returns: pd.DataFrame, sectors: pd.Series, repeat: int, peer_repeat: int):
    """Risk budgeting with a per-asset cap and sector caps; then with turnover and costs."""
    from portlab.analytics.optimize import Constraints, constrained_risk_budgeting

    cov = returns.cov()
    n = cov.shape[0]
    cap = 1.5 / n
    capped = sorted(sectors.unique())[:5]
    groups = [(sectors, dict.fromkeys(capped, 0.08))]
    cons = Constraints(bounds=(0.0, cap), groups=groups)
    constrained_risk_budgeting(cov, constraints=cons)  # warm up imports
    t_mine, w = timed(lambda: constrained_risk_budgeting(cov, constraints=cons), repeat)
    header(
        f"Constrained risk budgeting, {n} assets: weight cap {cap:.2%}, "
        f"{len(capped)} sector caps at 8%"
    )
    binding = int((w.to_numpy() > cap - 1e-9).sum())
    row("portlab constrained_risk_budgeting", t_mine, t_mine, None, f"{binding} assets at cap")
    try:
        from skfolio.optimization import RiskBudgeting

        labels = sectors.reindex(returns.columns).str.replace(" ", "_").tolist()

        def sk() -> pd.Series:
            model = RiskBudgeting(
                max_weights=cap,
                groups=[labels],
                linear_constraints=[f"{s.replace(' ', '_')} <= 0.08" for s in capped],
            ).fit(returns)
            return pd.Series(model.weights_, index=returns.columns)

        run_peer(
            "skfolio RiskBudgeting",
            sk,
            w,
            t_mine,
            peer_repeat,
            lambda wp: "(homogenised program: other weights)",
        )
    except ImportError:
        print("  skfolio not installed: skipped")
    w0 = pd.Series(np.random.default_rng(1).dirichlet(np.ones(n)), index=cov.index)
    for name, extra in (
        ("+ turnover <= 0.5", {"max_turnover": 0.5}),
        ("+ costs 20 bp", {"transaction_costs": 0.002}),
    ):
        c = Constraints(bounds=(0.0, 2 * cap), groups=groups, current_weights=w0, **extra)
        t, _ = timed(lambda c=c: constrained_risk_budgeting(cov * 252, constraints=c), repeat)
        row(f"portlab {name}", t, t_mine, None, "(no peer takes a turnover limit here)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="number of assets")
    parser.add_argument("--repeat", type=int, default=7, help="portlab runs (median)")
    parser.add_argument("--peer-repeat", type=int, default=3, help="peer runs (median)")
    parser.add_argument("--quick", action="store_true", help="100 assets, one peer run")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads for every library (0: leave as is)"
    )
    args = parser.parse_args()
    n, peer_repeat = (100, 1) if args.quick else (args.n, args.peer_repeat)
    for peer in ("pypfopt", "skfolio.optimization", "riskfolio"):  # load their BLAS first
        with contextlib.suppress(ImportError):
            importlib.import_module(peer)
    limit = (
        threadpool_limits(limits=args.threads, user_api="blas")
        if args.threads > 0
        else contextlib.nullcontext()
    )
    market = synthetic(n, 756, seed=0)
    returns = market.returns.iloc[1:]
    print(
        f"synthetic market: {n} assets, {len(returns)} daily returns, BLAS threads: {args.threads or 'default'}"
    )
    with limit:
        bench_erc(returns, args.repeat, peer_repeat)
        bench_hrp(returns, args.repeat, peer_repeat)
        bench_constrained(returns, market.sectors, args.repeat, peer_repeat)


if __name__ == "__main__":
    main()

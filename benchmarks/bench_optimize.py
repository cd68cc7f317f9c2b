"""Mean-variance optimization: portlab against PyPortfolioOpt, skfolio and Riskfolio-Lib.

Same data for everyone: the synthetic 500-instrument market (10 sectors, seed 0) with its exact
factor-model covariance, and historical mean returns (annualised) as ``mu``; the 100-asset case
uses its first 100 instruments. Cases:

1. efficient frontier, 50 points, 100 and 500 assets (long-only, fully invested);
2. max Sharpe, 500 assets (long-only);
3. min volatility with a 10% cap per asset and a 15% cap on each of the 10 sectors, 500 assets.

Peers run side by side in this process through their own APIs (a fresh PyPortfolioOpt object
per frontier point, and one re-used object; skfolio's ``efficient_frontier_size``; Riskfolio's
``efficient_frontier``), plus a plain cvxpy program compiled once with the target return as a
Parameter. Printed: wall times (best of ``--repeat`` for the fast ones, one run for the slow
ones), ratios to portlab, and the largest deviation of volatilities (relative) and weights
(absolute) between each peer's points and portlab's solution at the same expected return.

    python benchmarks/bench_optimize.py            # everything (several minutes: the peers)
    python benchmarks/bench_optimize.py --quick    # 50 and 100 assets, 20 points
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

from portlab.analytics.optimize import (
    Constraints,
    MeanVarianceProblem,
    Objective,
    efficient_frontier,
    mean_variance,
)
from portlab.datasets import synthetic

warnings.filterwarnings("ignore")


def timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def data(n_total: int, n_sectors: int = 10):
    market = synthetic(n_total, n_sectors=n_sectors, seed=0)
    mu = market.returns.mean() * market.periods_per_year
    return market, mu, market.covariance()


def deviations(problem: MeanVarianceProblem, cov: np.ndarray, W) -> tuple[float, float, int]:
    """Max relative volatility and absolute weight deviation of portlab at each peer point's
    expected return; also the number of peer points missing (failed)."""
    dv = dw = 0.0
    failed = 0
    mu = problem.mu_
    for w in W:
        if w is None or not np.all(np.isfinite(w)):
            failed += 1
            continue
        r = float(mu @ w)
        ours = problem.solve(Objective.TARGET_RETURN, target=min(r, mu.max()))
        vp = np.sqrt(w @ cov @ w)
        dv = max(dv, abs(ours.volatility - vp) / vp)
        dw = max(dw, float(np.abs(ours.weights.to_numpy() - w).max()))
    return dv, dw, failed


def row(name, t, t_ref, dv=None, dw=None, failed=None, n_points=None):
    ratio = f"{t / t_ref:8.1f}×" if t_ref else ""
    dev = "" if dv is None else f"  max dvol {dv:.1e}  max dw {dw:.1e}"
    fail = "" if not failed else f"  ({failed} of {n_points} points failed)"
    print(f"  {name:<38s} {t:9.3f} s {ratio}{dev}{fail}")


# --------------------------------------------------------------------------- peers' setups


def skfolio_prior(mu, cov):
    from skfolio.prior import BasePrior
    from skfolio.prior._model import ReturnDistribution

    class FixedPrior(BasePrior):
        """The given moments as skfolio's prior (the returns only fill the required slot)."""

        def __init__(self, mu=None, covariance=None):
            self.mu = mu
            self.covariance = covariance

        def fit(self, X, y=None, **fit_params):
            self.return_distribution_ = ReturnDistribution(
                mu=np.asarray(self.mu),
                covariance=np.asarray(self.covariance),
                returns=np.asarray(X),
            )
            return self

    return FixedPrior(mu.to_numpy(), cov.to_numpy())


def riskfolio_portfolio(market, mu, cov):
    import riskfolio as rp

    port = rp.Portfolio(returns=market.returns.dropna()[mu.index])
    port.mu = mu.to_frame().T
    port.cov = cov
    return port


# --------------------------------------------------------------------------- cases


def bench_frontier(market, mu, cov, n_points, repeat, slow_peers):
    n = len(mu)
    S = cov.to_numpy()
    print(f"\nEfficient frontier, {n_points} points, {n} assets (long-only)")
    t_ours, front = timed(lambda: efficient_frontier(mu, cov, n_points), repeat)
    row(f"portlab (critical line, {front.attrs['method']})", t_ours, None)
    targets = front["target_return"].to_numpy()
    problem = MeanVarianceProblem(mu, cov).fit()
    problem.path()
    # portlab against itself through the generic engine
    t_cvx_ours, front_cvx = timed(lambda: efficient_frontier(mu, cov, n_points, method="cvxpy"))
    dv = float(np.max(np.abs(front_cvx["volatility"] - front["volatility"]) / front["volatility"]))
    dw = float(np.abs(front_cvx[mu.index].to_numpy() - front[mu.index].to_numpy()).max())
    row("portlab cvxpy engine (compiled once)", t_cvx_ours, t_ours, dv, dw)

    import cvxpy as cp

    def plain_cvxpy():
        w = cp.Variable(n)
        r = cp.Parameter()
        prob = cp.Problem(
            cp.Minimize(cp.quad_form(w, cp.psd_wrap(S))),
            [cp.sum(w) == 1, w >= 0, mu.to_numpy() @ w >= r],
        )
        out = []
        for t in targets[:-1]:
            r.value = t
            prob.solve(solver="CLARABEL")
            out.append(None if w.value is None else np.array(w.value))
        return out

    t, W = timed(plain_cvxpy)
    row(
        "plain cvxpy, compiled once (CLARABEL)", t, t_ours, *deviations(problem, S, W), n_points - 1
    )
    results = {}
    from pypfopt import EfficientFrontier

    def pypfopt_fresh(solver=None):
        out = []
        for t in targets[:-1]:  # pypfopt refuses the maximum return itself
            try:
                ef = EfficientFrontier(mu, cov, solver=solver)
                ef.efficient_return(t)
                out.append(np.array(list(ef.clean_weights(rounding=None).values())))
            except Exception:
                out.append(None)
        return out

    def pypfopt_reuse():
        out = []
        ef = EfficientFrontier(mu, cov)
        for t in targets[:-1]:
            try:
                ef.efficient_return(t)
                out.append(np.array(list(ef.clean_weights(rounding=None).values())))
            except Exception:
                out.append(None)
        return out

    if slow_peers or n <= 100:
        results["PyPortfolioOpt (fresh object per point)"] = timed(pypfopt_fresh)
    results["PyPortfolioOpt CLARABEL (fresh per point)"] = timed(lambda: pypfopt_fresh("CLARABEL"))
    results["PyPortfolioOpt (one object re-used)"] = timed(pypfopt_reuse)
    try:
        from skfolio import RiskMeasure
        from skfolio.optimization import MeanRisk

        X = market.returns.dropna()[mu.index].to_numpy()

        def skf():
            model = MeanRisk(
                risk_measure=RiskMeasure.VARIANCE,
                efficient_frontier_size=n_points,
                prior_estimator=skfolio_prior(mu, cov),
            )
            model.fit(X)
            return list(model.weights_)

        results["skfolio MeanRisk(efficient_frontier_size)"] = timed(skf)
    except ImportError:
        print("  skfolio not installed: skipped")
    if slow_peers or n <= 100:
        try:

            def rkf():
                port = riskfolio_portfolio(market, mu, cov)
                fr = port.efficient_frontier(
                    model="Classic", rm="MV", points=n_points, rf=0, hist=False
                )
                return list(fr.to_numpy().T)

            results["Riskfolio efficient_frontier"] = timed(rkf)
        except ImportError:
            print("  riskfolio-lib not installed: skipped")
    peer_best = np.inf
    for name, (t, W) in results.items():
        row(name, t, t_ours, *deviations(problem, S, W), len(W))
        if "cvxpy" not in name:
            peer_best = min(peer_best, t)
    if np.isfinite(peer_best):
        print(f"  => portlab is {peer_best / t_ours:.0f}× faster than the fastest peer")


def bench_max_sharpe(market, mu, cov, repeat):
    n = len(mu)
    S = cov.to_numpy()
    print(f"\nMax Sharpe, {n} assets (long-only, rf = 0)")
    t_ours, res = timed(lambda: mean_variance(mu, cov), repeat)
    row(f"portlab ({res.method})", t_ours, None)
    w_ours = res.weights.to_numpy()

    def dev(w):
        w = np.asarray(w, dtype=float)
        vp = np.sqrt(w @ S @ w)
        sr = float(mu.to_numpy() @ w) / vp
        return abs(sr - res.sharpe) / res.sharpe, float(np.abs(w - w_ours).max())

    out = {}
    from pypfopt import EfficientFrontier

    for solver in (None, "CLARABEL"):

        def pp(solver=solver):
            ef = EfficientFrontier(mu, cov, solver=solver)
            ef.max_sharpe()
            return np.array(list(ef.clean_weights(rounding=None).values()))

        out[f"PyPortfolioOpt ({solver or 'default solver'})"] = timed(pp)
    try:
        from skfolio import RiskMeasure
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        X = market.returns.dropna()[mu.index].to_numpy()

        def skf():
            model = MeanRisk(
                objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
                risk_measure=RiskMeasure.VARIANCE,
                prior_estimator=skfolio_prior(mu, cov),
            )
            model.fit(X)
            return model.weights_

        out["skfolio MeanRisk(MAXIMIZE_RATIO)"] = timed(skf)
    except ImportError:
        print("  skfolio not installed: skipped")
    try:

        def rkf():
            port = riskfolio_portfolio(market, mu, cov)
            return (
                port.optimization(model="Classic", rm="MV", obj="Sharpe", rf=0, hist=False)
                .to_numpy()
                .ravel()
            )

        out["Riskfolio optimization(obj='Sharpe')"] = timed(rkf)
    except ImportError:
        print("  riskfolio-lib not installed: skipped")
    for name, (t, w) in out.items():
        dsr, dw = dev(w)
        print(
            f"  {name:<38s} {t:9.3f} s {t / t_ours:8.1f}×  Sharpe rel dev {dsr:.1e}  max dw {dw:.1e}"
        )


def bench_min_vol_sectors(market, mu, cov, repeat, cap=0.10, sector_cap=0.15):
    n = len(mu)
    S = cov.to_numpy()
    sectors = market.sectors[mu.index]
    labels = sorted(sectors.unique())
    print(
        f"\nMin volatility, {n} assets, {cap:.0%} cap per asset, {sector_cap:.0%} cap on each of {len(labels)} sectors"
    )
    c = Constraints(bounds=(0, cap), groups=[(sectors, dict.fromkeys(labels, sector_cap))])
    t_ours, res = timed(
        lambda: mean_variance(mu, cov, Objective.MIN_VOLATILITY, constraints=c), repeat
    )
    row(f"portlab ({res.method})", t_ours, None)
    w_ours = res.weights.to_numpy()

    def dev(w):
        w = np.asarray(w, dtype=float)
        return abs(np.sqrt(w @ S @ w) - res.volatility) / res.volatility, float(
            np.abs(w - w_ours).max()
        )

    out = {}
    from pypfopt import EfficientFrontier

    def pp():
        ef = EfficientFrontier(mu, cov, weight_bounds=(0, cap))
        ef.add_sector_constraints(sectors.to_dict(), {}, dict.fromkeys(labels, sector_cap))
        ef.min_volatility()
        return np.array(list(ef.clean_weights(rounding=None).values()))

    out["PyPortfolioOpt add_sector_constraints"] = timed(pp)
    try:
        from skfolio import RiskMeasure
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        X = market.returns.dropna()[mu.index].to_numpy()
        tokens = {s: f"G{i}" for i, s in enumerate(labels)}

        def skf():
            model = MeanRisk(
                objective_function=ObjectiveFunction.MINIMIZE_RISK,
                risk_measure=RiskMeasure.VARIANCE,
                prior_estimator=skfolio_prior(mu, cov),
                max_weights=cap,
                groups=[[tokens[s] for s in sectors]],
                linear_constraints=[f"{tok} <= {sector_cap}" for tok in tokens.values()],
            )
            model.fit(X)
            return model.weights_

        out["skfolio MeanRisk(groups, linear_constraints)"] = timed(skf)
    except ImportError:
        print("  skfolio not installed: skipped")
    try:
        import riskfolio as rp

        def rkf():
            port = riskfolio_portfolio(market, mu, cov)
            classes = pd.DataFrame({"Assets": list(mu.index), "Sector": list(sectors)})
            rows = [
                {"Disabled": False, "Type": "All Assets", "Set": "", "Position": "", "Sign": "<=",
                 "Weight": cap, "Type Relative": "", "Relative Set": "", "Relative": "", "Factor": ""}
            ] + [
                {"Disabled": False, "Type": "Classes", "Set": "Sector", "Position": s, "Sign": "<=",
                 "Weight": sector_cap, "Type Relative": "", "Relative Set": "", "Relative": "", "Factor": ""}
                for s in labels
            ]  # fmt: skip
            A, B = rp.assets_constraints(pd.DataFrame(rows), classes)
            port.ainequality, port.binequality = A, B
            return (
                port.optimization(model="Classic", rm="MV", obj="MinRisk", rf=0, hist=False)
                .to_numpy()
                .ravel()
            )

        out["Riskfolio assets_constraints"] = timed(rkf)
    except ImportError:
        print("  riskfolio-lib not installed: skipped")
    for name, (t, w) in out.items():
        dv, dw = dev(w)
        print(f"  {name:<38s} {t:9.3f} s {t / t_ours:8.1f}×  max dvol {dv:.1e}  max dw {dw:.1e}")


def bench_imports():
    print("\nImport time (fresh interpreter, best of 3)")
    for label, stmt in [
        ("portlab optimize (mean-variance)", "import portlab.analytics.optimize._meanvar"),
        ("pypfopt", "import pypfopt"),
        ("cvxpy", "import cvxpy"),
    ]:
        best = np.inf
        for _ in range(3):
            code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            best = min(best, float(out.stdout.strip()))
        print(f"  {label:<38s} {best:9.3f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50 and 100 assets, 20 points")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the fast timings")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_info

    blas = threadpool_info()
    print(
        "portlab mean-variance benchmark;",
        f"BLAS threads {blas[0]['num_threads'] if blas else '?'}",
    )
    sizes, points, big = ((50, 100), 20, 100) if args.quick else ((100, 500), 50, 500)
    market, mu_all, cov_all = data(big)
    for n in sizes:
        names = mu_all.index[:n]
        bench_frontier(
            market,
            mu_all[names],
            cov_all.loc[names, names],
            points,
            args.repeat,
            slow_peers=not args.quick,
        )
    bench_max_sharpe(market, mu_all, cov_all, args.repeat)
    bench_min_vol_sectors(market, mu_all, cov_all, args.repeat)
    bench_imports()


if __name__ == "__main__":
    main()

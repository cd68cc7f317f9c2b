"""The OPTIMAL allocation program against cvxpy solving the same program independently.

The engine solves the linear program first and the second-order cone program only when the
LP's optimum breaches the volatility cap; both paths must reach cvxpy's optimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portlab import Market, PortfolioState
from portlab.engine import AllocationMode, Policy
from portlab.engine.allocation import allocate
from portlab.engine.batch import AllocationProblem
from portlab.engine.book import build_book

cp = pytest.importorskip("cvxpy")

N = 12


def _book(seed: int):
    rng = np.random.default_rng(seed)
    names = [f"S{i:02d}" for i in range(N)]
    vol = rng.uniform(0.15, 0.45, N)
    loadings = rng.normal(size=(N, 2)) * 0.5
    corr = loadings @ loadings.T + np.diag(np.ones(N))
    d = np.sqrt(np.diag(corr))
    corr = corr / np.outer(d, d)
    cov = pd.DataFrame(corr * np.outer(vol, vol), index=names, columns=names)
    dates = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({k: [100.0] * 3 for k in names}, index=dates)
    market = Market(prices, sectors=pd.Series(dict.fromkeys(names, "S")), covariance=cov)
    state = PortfolioState({"S00": {"quantity": 1000, "avg_price": 100.0}}, cash=900_000)
    return build_book(state, market, Policy().correlation_threshold), rng


def _problem(rng, book) -> AllocationProblem:
    m = N - 1  # buys of S01..S11
    return AllocationProblem(
        instrument=np.arange(1, N),
        direction=np.ones(m, dtype=int),
        wanted=np.full(m, 0.08),
        edge=rng.uniform(0.01, 0.05, m),
        priority=np.ones(m, dtype=int),
        order=np.arange(m),
        strategy_shares=[[] for _ in range(m)],
        budgets={},
    )


def _cvxpy_optimum(book, problem, cash_room: float, vol_cap: float) -> float:
    x = cp.Variable(len(problem.wanted))
    w = book.w.copy()
    select = np.zeros((len(w), len(problem.wanted)))
    select[problem.instrument, np.arange(len(problem.wanted))] = problem.direction
    w_after = w + select @ x
    chol = np.linalg.cholesky(book.covariance + 1e-12 * np.eye(len(w)))
    constraints = [
        x >= 0,
        x <= problem.wanted,
        cp.sum(x) <= cash_room,
        cp.norm(chol.T @ w_after) <= vol_cap,
    ]
    objective = cp.Maximize(problem.edge @ x)
    cp.Problem(objective, constraints).solve(solver=cp.CLARABEL)
    return float(problem.edge @ x.value)


@pytest.mark.parametrize(
    ("seed", "vol_cap", "solver"),
    [
        # the cash floor cuts the batch to a volatility under the cap: the LP's optimum stands
        (1, 0.07, "lp"),
        (2, 0.07, "lp"),
        # a tight cap binds beyond the linear limits: the cone program is solved
        (1, 0.035, "socp"),
        (2, 0.03, "socp"),
    ],
)
def test_optimal_allocation_reaches_cvxpys_optimum(seed, vol_cap, solver):
    book, rng = _book(seed)
    problem = _problem(rng, book)
    policy = Policy(
        max_position_size=0.10,
        max_sector_exposure=1.0,
        max_leverage=2.0,
        max_portfolio_volatility=vol_cap,
        cash_floor=0.55,
    )
    wanted_vol = np.sqrt(book.variance_after(problem.instrument, problem.wanted))
    assert wanted_vol > vol_cap  # the wanted batch overshoots: the cap is in play
    out = allocate(book, policy, problem, AllocationMode.OPTIMAL)
    assert out.solver == solver
    cash_room = book.cash_fraction - policy.cash_floor
    expected = _cvxpy_optimum(book, problem, cash_room, vol_cap)
    assert problem.edge @ out.sizes == pytest.approx(expected, rel=1e-6)
    assert out.sizes.sum() <= cash_room + 1e-9
    assert book.variance_after(problem.instrument, out.sizes) <= vol_cap**2 * (1 + 1e-9)

"""Singularity and definiteness decided by eigenvalues with stated tolerances, on any BLAS.

Matrices singular in exact arithmetic are built so that rounding leaves no exact zero pivot
(scaled copies by 1/3, products of random factors), which is where a LAPACK exception never
comes and ``np.linalg.solve`` returns finite nonsense; near-singular ones sit just past the
tolerance. Every entry point that takes a covariance gives the same answer for the same matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab import Market
from portlab.analytics.optimize import (
    Objective,
    black_litterman,
    constrained_risk_budgeting,
    efficient_frontier,
    mean_variance,
    risk_budgeting,
)
from portlab.exceptions import DataError, SingularMatrixError, ValidationError
from portlab.linalg import (
    PSD_RTOL,
    SINGULAR_RTOL,
    check_covariance,
    inverse_psd,
    numerical_rank,
    solve,
    solve_psd,
)

NAMES = ["A", "B", "C"]


@pytest.fixture
def cov3() -> pd.DataFrame:
    vol = np.array([0.2, 0.3, 0.25])
    corr = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.0]])
    return pd.DataFrame(corr * np.outer(vol, vol), index=NAMES, columns=NAMES)


# --------------------------------------------------------------------------- primitives


def test_solve_psd_matches_a_direct_solve_when_well_conditioned():
    rng = np.random.default_rng(1)
    b = rng.normal(size=(6, 6))
    a = b @ b.T + 6 * np.eye(6)
    rhs = rng.normal(size=(6, 2))
    np.testing.assert_allclose(solve_psd(a, rhs, name="A"), np.linalg.solve(a, rhs), rtol=1e-12)
    np.testing.assert_allclose(inverse_psd(a, name="A") @ a, np.eye(6), atol=1e-13)
    np.testing.assert_allclose(solve(a, rhs, name="A"), np.linalg.solve(a, rhs), rtol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1 / 3, 1e-6, 1e6])
def test_scaled_copies_are_singular_at_any_scale(scale):
    # row 2 = row 1 / 3 in exact arithmetic; rounding gives a tiny, not zero, pivot
    p = np.array([[1.0, -1.0, 0.5], [1 / 3, -1 / 3, 1 / 6]])
    a = scale * (p @ p.T)
    assert numerical_rank(a) == 1
    with pytest.raises(SingularMatrixError, match="numerical rank 1 of 2"):
        solve_psd(a, np.ones(2), name="A")
    with pytest.raises(SingularMatrixError, match="rank 1 of 2"):
        inverse_psd(a, name="A")
    with pytest.raises(SingularMatrixError, match="reciprocal condition"):
        solve(a, np.ones(2), name="A")


def test_near_singular_at_the_stated_tolerance():
    # eigenvalues 1 and eps: singular just below the tolerance, solvable just above it
    q = np.linalg.qr(np.random.default_rng(2).normal(size=(2, 2)))[0]
    just_below = q @ np.diag([1.0, 0.5 * SINGULAR_RTOL]) @ q.T
    just_above = q @ np.diag([1.0, 100 * SINGULAR_RTOL]) @ q.T
    with pytest.raises(SingularMatrixError):
        solve_psd(just_below, np.ones(2), name="A")
    x = solve_psd(just_above, np.ones(2), name="A")
    np.testing.assert_allclose(just_above @ x, np.ones(2), atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 12),
    rank=st.integers(0, 11),
    seed=st.integers(0, 2**32 - 1),
)
def test_rank_of_random_low_rank_products(n, rank, seed):
    rank = min(rank, n - 1)
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, rank)) * rng.uniform(0.01, 1.0, size=rank)
    a = factor @ factor.T
    assert numerical_rank(a) == rank
    with pytest.raises(SingularMatrixError):
        solve_psd(a, np.ones(n), name="A")
    full = a + rng.uniform(0.1, 1.0) * np.eye(n)
    assert numerical_rank(full) == n


def test_zero_matrix_has_rank_zero():
    assert numerical_rank(np.zeros((3, 3))) == 0
    with pytest.raises(SingularMatrixError, match="rank 0 of 3"):
        solve_psd(np.zeros((3, 3)), np.ones(3), name="A")


# --------------------------------------------------------------------------- covariances


def test_check_covariance_tolerances(cov3):
    arr, labels = check_covariance(cov3)
    np.testing.assert_array_equal(arr, cov3.to_numpy())
    assert list(labels) == NAMES
    # a negative eigenvalue within the PSD tolerance is rounding; beyond it an error
    vals, vecs = np.linalg.eigh(cov3.to_numpy())
    for factor, ok in [(0.1, True), (10.0, False)]:
        bent = vals.copy()
        bent[0] = -factor * PSD_RTOL * vals[-1]
        m = (vecs * bent) @ vecs.T
        m = (m + m.T) / 2
        if ok:
            check_covariance(m)
        else:
            with pytest.raises(DataError, match="not positive semi-definite"):
                check_covariance(m)


def _indefinite(cov: pd.DataFrame) -> pd.DataFrame:
    bad = cov.copy()
    bad.loc["A", "B"] = bad.loc["B", "A"] = 0.9 * 0.2 * 0.3 * 1.5  # correlation 1.35
    return bad


@pytest.mark.parametrize(
    "call",
    [
        lambda c: mean_variance(pd.Series(0.1, index=NAMES), c, Objective.MIN_VOLATILITY),
        lambda c: efficient_frontier(pd.Series([0.1, 0.12, 0.08], index=NAMES), c, 5),
        lambda c: constrained_risk_budgeting(c),
        lambda c: risk_budgeting(c),
        lambda c: black_litterman(c, pd.Series(0.05, index=NAMES), {"A": 0.1}),
        lambda c: Market(
            pd.DataFrame(
                100.0 + np.arange(30.0)[:, None] * np.ones(3),
                index=pd.bdate_range("2024-01-01", periods=30),
                columns=NAMES,
            ),
            covariance=c,
        ),
    ],
    ids=["mean_variance", "frontier", "crb", "risk_budgeting", "black_litterman", "Market"],
)
def test_every_entry_point_rejects_an_indefinite_covariance(cov3, call):
    bad = _indefinite(cov3)
    assert np.linalg.eigvalsh(bad.to_numpy())[0] < -0.01  # indefinite, computed independently
    with pytest.raises(DataError, match="not positive semi-definite"):
        call(bad)


def test_all_zero_covariance():
    zero = pd.DataFrame(np.zeros((3, 3)), index=NAMES, columns=NAMES)
    mu = pd.Series([0.1, 0.12, 0.08], index=NAMES)
    for objective in (Objective.MAX_SHARPE, Objective.MIN_VOLATILITY):
        with pytest.raises(SingularMatrixError, match="cov is zero"):
            mean_variance(mu, zero, objective)
    with pytest.raises(DataError, match="non-positive variance"):
        risk_budgeting(zero)


def _rank2() -> pd.DataFrame:
    # B has mixed signs: a long-only combination with zero variance exists
    b = np.array([[0.2, 0.1], [-0.1, 0.25], [0.05, -0.3], [0.15, 0.05]]) / 3.0
    names = list("ABCD")
    return pd.DataFrame(b @ b.T, index=names, columns=names)


def test_singular_covariance_max_sharpe_is_unbounded_not_5e8():
    cov = _rank2()
    mu = pd.Series([0.10, 0.12, 0.08, 0.05], index=cov.index)
    # independent check: a long-only, fully invested portfolio of zero variance exists
    from scipy.optimize import linprog

    b = np.array([[0.2, 0.1], [-0.1, 0.25], [0.05, -0.3], [0.15, 0.05]])
    lp = linprog(-mu.to_numpy(), A_eq=np.vstack([b.T, np.ones(4)]), b_eq=[0, 0, 1])
    assert lp.status == 0 and -lp.fun > 0
    with pytest.raises(SingularMatrixError, match="Sharpe ratio is unbounded"):
        mean_variance(mu, cov, Objective.MAX_SHARPE)
    # the minimum volatility is zero exactly, with no Sharpe ratio
    res = mean_variance(mu, cov, Objective.MIN_VOLATILITY)
    assert res.volatility == 0.0
    assert np.isnan(res.sharpe)
    w = res.weights.to_numpy()
    assert w @ cov.to_numpy() @ w < 1e-15
    front = efficient_frontier(mu, cov, n_points=5)
    assert front["volatility"].iloc[0] == 0.0 and np.isnan(front["sharpe"].iloc[0])
    assert (front["volatility"].iloc[1:] > 1e-3).all()


def test_duplicate_assets_are_singular_but_well_posed(cov3):
    # two share classes of one company: singular, yet no long-only riskless portfolio
    c = cov3.to_numpy()
    dup = np.block([[c, c[:, :1]], [c[:1, :], c[:1, :1]]])
    names = [*NAMES, "A2"]
    cov = pd.DataFrame(dup, index=names, columns=names)
    assert numerical_rank(dup) == 3
    mu = pd.Series([0.1, 0.12, 0.08, 0.1], index=names)
    res = mean_variance(mu, cov, Objective.MAX_SHARPE)
    ref = mean_variance(mu.iloc[:3], cov3, Objective.MAX_SHARPE)  # A and A2 merged
    assert res.sharpe == pytest.approx(ref.sharpe, rel=1e-9)
    assert res.weights["A"] + res.weights["A2"] == pytest.approx(ref.weights["A"], abs=1e-8)


# --------------------------------------------------------------------------- Black-Litterman


@pytest.mark.parametrize(
    "picking",
    [
        np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),  # exact copies
        np.array([[1.0, -1.0, 0.0], [1 / 3, -1 / 3, 0.0]]),  # a copy scaled by 1/3
        np.array([[0.1, 0.7, -0.8], [0.7 / 3, 4.9 / 3, -5.6 / 3]]),  # rounding in every entry
    ],
    ids=["copies", "third", "rounded"],
)
def test_contradictory_certain_views_are_singular(cov3, picking):
    prior = pd.Series([0.05, 0.06, 0.04], index=NAMES)
    q = np.array([0.1, 0.2 / 3])  # the second view contradicts the first
    with pytest.raises(SingularMatrixError, match="view system"):
        black_litterman(cov3, prior, q, picking=picking, omega=np.zeros((2, 2)))
    with pytest.raises(ValidationError, match="singular"):  # a ValidationError too
        black_litterman(cov3, prior, q, picking=picking, omega=np.zeros((2, 2)))


def test_nearly_certain_views_past_the_tolerance(cov3):
    prior = pd.Series([0.05, 0.06, 0.04], index=NAMES)
    p = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    tau_var = 0.05 * cov3.loc["A", "A"]
    # Ω = ε·τσ² I: condition number (2 + ε) / ε, singular when it exceeds 1e12
    with pytest.raises(SingularMatrixError):
        black_litterman(cov3, prior, [0.1, 0.2], picking=p, omega=1e-14 * tau_var * np.eye(2))
    mu, _ = black_litterman(cov3, prior, [0.1, 0.2], picking=p, omega=1e-3 * tau_var * np.eye(2))
    # two views on A with equal uncertainty: the posterior of A is close to their mean 0.15
    assert mu["A"] == pytest.approx(0.15, abs=1e-3)


def test_omega_must_be_psd(cov3):
    prior = pd.Series([0.05, 0.06, 0.04], index=NAMES)
    p = np.eye(3)[:2]
    with pytest.raises(ValidationError, match="omega must be positive semi-definite"):
        black_litterman(cov3, prior, [0.1, 0.2], picking=p, omega=[[0.01, 0.02], [0.02, 0.01]])

"""Constrained risk budgeting checked against the KKT conditions solved by hand and against
the unconstrained Newton solver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from portlab.analytics.optimize import Constraints, constrained_risk_budgeting, risk_budgeting
from portlab.exceptions import InfeasibleError, ValidationError

NAMES = ["A", "B", "C"]
SIGMA = np.array([0.1, 0.2, 0.3])
COV = pd.DataFrame(np.diag(SIGMA**2), index=NAMES, columns=NAMES)  # uncorrelated


def test_loose_constraints_give_the_unconstrained_portfolio():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(8, 8))
    cov = pd.DataFrame(a @ a.T + 8 * np.eye(8))
    free = risk_budgeting(cov)
    loose = constrained_risk_budgeting(cov, constraints=Constraints(bounds=(0.0, 0.9)))
    np.testing.assert_allclose(loose.to_numpy(), free.to_numpy(), atol=1e-5)


def test_a_binding_cap_keeps_the_free_contributions_equal():
    # KKT for the free assets: σ_i² x_i = λ b / x_i → x ∝ 1/σ among B and C, who share the 0.60
    # left by A's 0.40 cap: x_B = 0.6·0.3/0.5 = 0.36, x_C = 0.24
    caps = pd.Series({"A": 0.4, "B": 1.0, "C": 1.0})
    w = constrained_risk_budgeting(COV, constraints=Constraints(bounds=(0.0, caps)))
    np.testing.assert_allclose(w.to_numpy(), [0.40, 0.36, 0.24], atol=1e-5)


def test_a_binding_group_cap_matches_the_kkt_solution():
    # group g = {A, B} capped at 0.5 (its ERC share would be 0.82). KKT: C free → x_C = √(λb)/σ_C
    # and x_C = 0.5 so λb = (0.5·σ_C)²; in g, σ_i² x_i − λb/x_i + μ = 0 with x_A + x_B = 0.5
    lb = (0.5 * SIGMA[2]) ** 2

    def member(mu, s):
        return (-mu + np.sqrt(mu * mu + 4 * s * s * lb)) / (2 * s * s)

    mu = brentq(lambda m: member(m, SIGMA[0]) + member(m, SIGMA[1]) - 0.5, 0.0, 10.0, xtol=1e-15)
    expected = [member(mu, SIGMA[0]), member(mu, SIGMA[1]), 0.5]
    groups = [(pd.Series({"A": "g", "B": "g", "C": "h"}, name="group"), {"g": 0.5})]
    w = constrained_risk_budgeting(COV, constraints=Constraints(groups=groups))
    np.testing.assert_allclose(w.to_numpy(), expected, atol=1e-5)


def test_budgets_other_than_equal():
    budgets = pd.Series({"A": 0.5, "B": 0.25, "C": 0.25})
    w = constrained_risk_budgeting(COV, budgets, constraints=Constraints())
    np.testing.assert_allclose(w.to_numpy(), risk_budgeting(COV, budgets).to_numpy(), atol=1e-5)
    rc = w.to_numpy() ** 2 * SIGMA**2
    np.testing.assert_allclose(rc / rc.sum(), budgets.to_numpy(), atol=1e-5)


def test_infeasible_and_unsupported_constraints_are_explained():
    with pytest.raises(InfeasibleError, match="0.90"):
        constrained_risk_budgeting(COV, constraints=Constraints(bounds=(0.0, 0.3)))
    with pytest.raises(ValidationError, match="long-only"):
        constrained_risk_budgeting(
            COV, constraints=Constraints(current_weights=pd.Series({"A": 1.0}), max_turnover=0.1)
        )

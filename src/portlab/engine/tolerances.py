"""Numerical tolerances shared by the engine's stages, each with the reason for its value.

Sizes, weights and limits are fractions of NAV of order 0.001–1; variances are annualised
(fraction²), of order 1e-4–0.1. Double precision resolves one part in 4.5e15 (machine
epsilon 2.2e-16), so sums over a batch of a thousand trades carry rounding near 1e-13. The
tolerances below sit between that rounding and the smallest quantity that matters: a cent on
the largest portfolio the engine is meant for (1e-12 of a NAV of $10 billion is a hundredth of
a cent). Tolerances that only one stage uses live in that stage's module, next to their use.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_TOL",
    "CORRELATION_TOL",
    "LIMIT_TOL",
    "SIZE_TOL",
    "VARIANCE_TOL",
]

#: Two trade sizes or weights (fractions of NAV) closer than this are equal, and a size this
#: small is no trade: 1e-12 of NAV is a hundredth of a cent on $10 billion, while the rounding
#: of a weight or of a sum of a few hundred of them stays below 1e-13.
SIZE_TOL = 1e-12

#: A weight that moved by less than this has not moved: ``w + d·x`` differs from ``w`` by
#: rounding only (one unit in the last place of a weight of at most 1 is at most 2.2e-16), so
#: the test "does the trade increase |w|" is not decided by rounding noise.
CHANGE_TOL = 1e-15

#: Slack when a batch's measures (cash, gross, sector and cluster exposure as fractions of NAV,
#: strategy budgets) are checked against ``max(limit, value before)``: above the rounding of
#: the sums over a batch (about 1e-13 for a thousand trades) and of the allocation solvers'
#: clipped output, and below a cent on a $100 million portfolio.
LIMIT_TOL = 1e-10

#: Slack when an annualised portfolio variance (fraction²) is checked against its cap ``σ²``:
#: ``wᵀΣw`` for a few hundred positions carries rounding near 1e-16 × its terms; 1e-14 of
#: variance is a change of 5e-13 in a 1% volatility.
VARIANCE_TOL = 1e-14

#: A correlation computed as ``cov / (σ_i σ_j)`` that equals the correlation threshold up to
#: rounding (a few units in the last place) counts as at the threshold: the correlated
#: cluster of an instrument does not depend on the order of the floating-point operations.
CORRELATION_TOL = 1e-12

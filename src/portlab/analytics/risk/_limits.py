"""The policy measures of a portfolio (specification §2): for each rule of a
:class:`~portlab.Policy`, its value, where it is reached, and the room left under its limit.

The measures are the coordination engine's own: the weights are laid over an engine
:class:`~portlab.engine.book.Book` (its sector codes, in which every instrument without a
sector is a sector of its own; its covariance with NaN as 0; its correlated-cluster
membership at ``policy.correlation_threshold``) and read with the book's methods. There is one
implementation: :func:`limit_measures` gives it to users, and :func:`stress_test
<portlab.analytics.risk.stress_test>` measures the portfolio before and after each shock
through :func:`limit_table`.

Units: position, sector and correlated-cluster exposure are gross fractions of NAV (sums of
``|weight|``), volatility is annualised (a fraction), leverage a multiple of NAV.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.risk._inputs import covariance_matrix, holdings
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.engine.book import Book
    from portlab.engine.config import Policy
    from portlab.market import Market
    from portlab.types import WeightsLike

__all__ = [
    "LIMIT_MEASURE_COLUMNS",
    "as_policy",
    "limit_measures",
    "limit_table",
    "measure_book",
    "unmeasurable",
]

#: columns of :func:`limit_measures`, in order
LIMIT_MEASURE_COLUMNS = ("value", "limit", "hard", "where", "breached", "headroom")


def as_policy(policy: Policy | None) -> Policy:
    """``policy``, or the default ``Policy()`` for None; ValidationError for anything else."""
    from portlab.engine.config import Policy

    if policy is None:
        return Policy()
    if not isinstance(policy, Policy):
        raise ValidationError(f"policy: expected a portlab.Policy, got {type(policy).__name__}")
    return policy


def measure_book(market: Market, policy: Policy, covariance: np.ndarray | None = None) -> Book:
    """An engine book over ``market`` holding nothing, to lay weights over (:func:`limit_table`).

    Its covariance is ``covariance`` when given (annualised, aligned with the market, NaN
    already 0), else the market's risk model as the engine fills it; its correlation threshold
    is the policy's.
    """
    from portlab.engine.book import build_book
    from portlab.state import PortfolioState

    book = build_book(PortfolioState(cash=1.0), market, policy.correlation_threshold)
    return book if covariance is None else _with_covariance(book, covariance)


def _with_covariance(book: Book, covariance: np.ndarray) -> Book:
    vol = np.sqrt(np.clip(np.diagonal(covariance), 0.0, None))
    return dataclasses.replace(book, covariance=covariance, vol=vol, risk_ok=vol > 0)


def _measure(book: Book) -> dict[str, tuple[float, str]]:
    """The measures of the book's weights, by the book's own methods (all but the VaR, which
    is the policy's function of the volatility).

    The correlated cluster around instrument ``k`` is ``k`` and every instrument whose
    correlation with ``k`` is at least the threshold (:meth:`Book.clusters`); by the symmetry of
    correlation, the exposure of the cluster around every instrument is read from the rows of
    the held instruments only (``len(held) × n`` correlations, not ``n × n``).
    """
    a = np.abs(book.w)
    held = np.flatnonzero(a)
    cluster = a[held] @ book.clusters(held)  # shape (n,); zeros when nothing is held
    sector = book.sector_gross

    def largest(values: np.ndarray, labels: pd.Index) -> tuple[float, str]:
        k = int(values.argmax())
        return float(values[k]), str(labels[k]) if values[k] > 0 else ""

    return {
        "position": largest(a, book.instruments),
        "sector": largest(sector, book.sector_labels),
        "correlation": largest(cluster, book.instruments),
        "volatility": (book.volatility, ""),
        "leverage": (book.gross, ""),
        "position_risk": largest(a * book.vol, book.instruments),  # |w_i| σ_i, annualised
    }


def unmeasurable(policy: Policy) -> dict[str, tuple[float, str]]:
    """Every measure infinite, nowhere: a portfolio whose value is not positive."""
    return {rule: (np.inf, "") for rule in policy.rules()}


def limit_table(
    book: Book,
    w: np.ndarray | None,
    policy: Policy,
    covariance: np.ndarray | None = None,
) -> pd.DataFrame:
    """The table of :func:`limit_measures` for weights ``w`` over ``book``.

    Parameters
    ----------
    book : Book
        From :func:`measure_book` (its weights are replaced by ``w``).
    w : ndarray, shape (n,), or None
        Signed weights (fractions of NAV) aligned with the book's instruments; None: the
        portfolio has no positive value, every measure is infinite (:func:`unmeasurable`).
    policy : Policy
    covariance : ndarray, shape (n, n), optional
        Annualised covariance to measure under instead of the book's (a stressed one).
    """
    from portlab.engine.tolerances import LIMIT_TOL

    if w is None:
        measured = unmeasurable(policy)
    else:
        if covariance is not None:
            book = _with_covariance(book, covariance)
        measured = _measure(dataclasses.replace(book, w=np.asarray(w, dtype=np.float64)))
        measured["var"] = (float(policy.var_of(measured["volatility"][0])), "")
    rules = policy.rules()
    value = np.array([measured[r][0] for r in rules], dtype=np.float64)
    limit = np.array([rule.limit for rule in rules.values()], dtype=np.float64)
    return pd.DataFrame(
        {
            "value": value,
            "limit": limit,
            "hard": [rule.hard for rule in rules.values()],
            "where": [measured[r][1] for r in rules],
            "breached": value > limit + LIMIT_TOL,
            "headroom": limit - value,
        },
        index=pd.Index(list(rules), name="rule"),
    )


def limit_measures(
    portfolio: WeightsLike,
    market: Market,
    policy: Policy | None = None,
    *,
    covariance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The policy measures of a portfolio: each rule's value, limit and headroom.

    The same measures as the coordination engine's limits and as :func:`stress_test`'s limit
    table (this function computes both), on the portfolio as it is.

    Parameters
    ----------
    portfolio : PortfolioState, Series, mapping, array or sequence
        A state, valued at ``market.last_prices``; or signed weights (fractions of NAV) by
        instrument or in the market's instrument order (:data:`~portlab.types.WeightsLike`).
        Not modified.
    market : Market
        Last prices, sectors and the risk model. Not modified.
    policy : portlab.Policy, optional
        The limits and the correlation threshold of the correlated clusters; default
        ``Policy()`` (5% position, 25% sector, 60% correlated (soft), 20% volatility, 2x
        leverage; threshold 0.7).
    covariance : DataFrame, optional
        Annualised covariance over the market's instruments (rows and columns by instrument
        id); default the market's risk model (``market.risk_model()``, the engine's). NaN
        entries count as 0, as in the engine: an instrument without risk data adds no variance
        and is correlated with nothing.

    Returns
    -------
    DataFrame, indexed by ``rule`` (``position``, ``sector``, ``correlation``, ``volatility``,
    ``leverage``, ``var``, ``position_risk``: the labels of ``Policy.rules()`` and of
    ``stress_test(...).limits``)
        ``value``: the measure. ``position``: largest ``|w_i|``; ``sector``: largest sector
        gross exposure ``Σ_{i in s} |w_i|`` (each instrument without a sector is a sector of
        its own); ``correlation``: largest gross exposure of a correlated cluster, the
        instrument ``k`` and every instrument whose correlation with ``k`` is at least
        ``policy.correlation_threshold``; all fractions of NAV. ``volatility``: ex-ante
        ``sqrt(wᵀ Σ w)``, annualised. ``leverage``: ``Σ |w_i|``, a multiple of NAV. ``var``: the
        1-day parametric VaR of that volatility at ``policy.var_limit_confidence``
        (:meth:`Policy.var_of`), a fraction of NAV. ``position_risk``: the largest standalone
        position risk ``|w_i| σ_i`` (σ annualised), a fraction of NAV.
        ``limit`` and ``hard``: the policy's rule. ``where``: the instrument (position, the
        centre ``k`` of the cluster, position risk) or sector (sector) where the value is reached, '' for
        portfolio-wide rules or when nothing is held. ``breached``: value above the limit
        (beyond a rounding tolerance of 1e-10). ``headroom``: ``limit - value`` (negative when
        breached). Nothing held: every value is 0.

    Raises
    ------
    ValidationError
        ``market`` is not a Market, ``policy`` not a Policy, weights not numbers or not
        finite, ``covariance`` not a DataFrame.
    DataError
        A held instrument is not in the market or has no price; the portfolio value is not
        positive; ``covariance`` lacks an instrument of the market.

    Examples
    --------
    >>> from portlab.analytics.risk import limit_measures
    >>> from portlab.datasets import example_batch, load_sample
    >>> table = limit_measures(example_batch().state, load_sample())
    >>> table[["value", "limit", "breached", "headroom"]].round(4)
                    value  limit  breached  headroom
    rule
    position       0.0607   0.05      True   -0.0107
    sector         0.0909   0.25     False    0.1591
    correlation    0.0909   0.60     False    0.5091
    volatility     0.0481   0.20     False    0.1519
    leverage       0.2785   2.00     False    1.7215
    var            0.0050   0.02     False    0.0150
    position_risk  0.0176   0.05     False    0.0324
    >>> table.loc["position", "where"], table.loc["sector", "where"]
    ('MSFT', 'Information Technology')
    """
    policy = as_policy(policy)
    mv, _, nav, _ = holdings(portfolio, market)
    book = measure_book(market, policy, covariance_matrix(market, covariance, "covariance"))
    return limit_table(book, mv / nav, policy)

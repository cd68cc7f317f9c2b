"""The estimators of the optimizer explorer: their names as people read them, and the
table of one objective's portfolio under each estimator, side by side.

The optimizer takes its expected returns from :meth:`portlab.Market.expected_returns`
(:class:`~portlab.analytics.estimators.ReturnMethod`) and its covariance from
:meth:`portlab.Market.covariance` (:class:`~portlab.CovMethod`).
:attr:`OptimizerOutcome.estimators <portlab.ui.OptimizerOutcome>` (with
``compare_estimators``) is an :class:`EstimatorEffect`: the chosen objective solved again
under every expected-return method (the risk model kept) and under every risk model (the
expected returns kept), everything else unchanged.

Examples
--------
>>> from portlab.ui import OptimizerModel
>>> model = OptimizerModel(compare_estimators=True)
>>> effect = model.result.estimators
>>> effect.labels()[:2], effect.labels()[-1]
(['Expected returns: Mean (arithmetic)', 'Expected returns: Compounded (geometric)'],
 'Risk model: Oracle approximating')
>>> c = effect.figures.loc[("return_method", "capm")]
>>> bool(c["chosen"]), round(float(c["sharpe"]), 2), round(float(c["turnover_vs_chosen"]), 2)
(False, 0.13, 1.11)
>>> effect.top_holdings(3)
['CVX', 'HD', 'KO']
>>> list(effect.table(holdings=2).columns)  # doctest: +NORMALIZE_WHITESPACE
['Estimator', 'Method', 'Chosen', 'Expected return', 'Volatility', 'Sharpe', 'Turnover',
 'Moved from chosen', 'CVX', 'HD']
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pandas as pd

from portlab.analytics.estimators import ReturnMethod
from portlab.market import CovMethod

__all__ = [
    "ESTIMATOR_COLUMNS",
    "EstimatorEffect",
    "EstimatorKind",
    "estimator_label",
]


class EstimatorKind(enum.StrEnum):
    """Which estimator a row of :class:`EstimatorEffect` varies: the name of the
    :class:`~portlab.ui.OptimizerModel` setting it changes."""

    RETURN_METHOD = "return_method"  #: the expected returns (the risk model kept)
    RISK_MODEL = "risk_model"  #: the covariance (the expected returns kept)

    @property
    def label(self) -> str:
        """As a page names it: ``"Expected returns"`` or ``"Risk model"``."""
        return _KIND_LABELS[self][0]

    @property
    def short_label(self) -> str:
        """As a table's narrow column names it: ``"Returns"`` or ``"Risk"``."""
        return _KIND_LABELS[self][1]


_KIND_LABELS = {
    EstimatorKind.RETURN_METHOD: ("Expected returns", "Returns"),
    EstimatorKind.RISK_MODEL: ("Risk model", "Risk"),
}

# two tables: a StrEnum member hashes as its value, and both enums have "ewma"
_RETURN_LABELS: dict[ReturnMethod, str] = {
    ReturnMethod.MEAN: "Mean (arithmetic)",
    ReturnMethod.COMPOUNDED: "Compounded (geometric)",
    ReturnMethod.EWMA: "Exponentially weighted",
    ReturnMethod.CAPM: "CAPM",
    ReturnMethod.MARKET_IMPLIED: "Market-implied (BL prior)",
    ReturnMethod.BLACK_LITTERMAN: "Black-Litterman (signals)",
}
_RISK_LABELS: dict[CovMethod, str] = {
    CovMethod.SAMPLE: "Sample",
    CovMethod.LEDOIT_WOLF: "Ledoit-Wolf",
    CovMethod.EWMA: "EWMA",
    CovMethod.SEMICOVARIANCE: "Semicovariance",
    CovMethod.LEDOIT_WOLF_SINGLE_FACTOR: "Ledoit-Wolf (single factor)",
    CovMethod.LEDOIT_WOLF_CONSTANT_CORRELATION: "Ledoit-Wolf (constant correlation)",
    CovMethod.ORACLE_APPROXIMATING: "Oracle approximating",
}

#: columns of :attr:`EstimatorEffect.figures`
ESTIMATOR_COLUMNS = (
    "chosen",
    "expected_return",
    "volatility",
    "sharpe",
    "turnover",
    "cost",
    "turnover_vs_chosen",
    "note",
)


def estimator_label(method: Any) -> str:
    """An expected-return method or a risk model as it reads on a page.

    ``method`` is a :class:`~portlab.analytics.estimators.ReturnMethod` or a
    :class:`~portlab.CovMethod` (or the value of one; a value both share, ``"ewma"``, reads
    as the expected-return method's label).

    Examples
    --------
    >>> estimator_label("capm"), estimator_label(CovMethod.ORACLE_APPROXIMATING)
    ('CAPM', 'Oracle approximating')
    """
    if isinstance(method, CovMethod):
        return _RISK_LABELS[method]
    for kind, labels in ((ReturnMethod, _RETURN_LABELS), (CovMethod, _RISK_LABELS)):
        try:
            return labels[kind(method)]
        except ValueError:
            continue
    return str(method)


@dataclass(frozen=True)
class EstimatorEffect:
    """One objective's portfolio under each estimator, side by side.

    Attributes
    ----------
    figures : DataFrame
        One row per estimator, indexed by ``(estimator, method)``: the
        :class:`EstimatorKind` value varied (``"return_method"`` or ``"risk_model"``) and the
        method's value (``"capm"``, ``"semicovariance"``, ...); expected-return methods first,
        each kind in its enum's order. Columns :data:`ESTIMATOR_COLUMNS`: ``chosen`` (the
        row is the model's current choice; it appears once per kind), the portfolio's
        figures under that row's own estimates (``expected_return`` net of costs,
        ``volatility``, annual fractions; ``sharpe``; ``turnover`` from the current portfolio;
        ``cost``), ``turnover_vs_chosen`` (``Σ|w − w_chosen|``, how far the portfolio moved
        from the chosen one) and ``note`` (why a row could not be solved, its numbers then
        NaN; ``""`` otherwise).
    weights : DataFrame
        The same rows, one column of weights (fractions of NAV) per instrument.
    notes : tuple of str
        What the comparison leaves out or what its rows share (an objective that uses no
        expected returns, or none of the estimators).
    """

    figures: pd.DataFrame
    weights: pd.DataFrame
    notes: tuple[str, ...] = ()

    def labels(self) -> list[str]:
        """Each row as a page names it: ``"Expected returns: CAPM"``."""
        return [
            f"{EstimatorKind(kind).label}: {estimator_label(_method(kind, method))}"
            for kind, method in self.figures.index
        ]

    def chosen_label(self) -> str:
        """The label (:meth:`labels`) of the first row marked ``chosen``."""
        return self.labels()[list(self.figures["chosen"]).index(True)]

    def labelled_weights(self) -> pd.DataFrame:
        """:attr:`weights` indexed by :meth:`labels` (what
        :func:`portlab.plots.estimator_weights` draws)."""
        return self.weights.set_axis(pd.Index(self.labels(), name="estimator"), axis=0)

    def chosen_weights(self) -> pd.Series:
        """The chosen portfolio's weights (the first row marked ``chosen``)."""
        row = self.figures.index[self.figures["chosen"].to_numpy(dtype=bool)][0]
        return self.weights.loc[row].rename("weight")

    def table(self, holdings: int = 5) -> pd.DataFrame:
        """The rows as a page shows them: named columns, the chosen portfolio's largest
        holdings, numbers left as fractions (the page formats them).

        Parameters
        ----------
        holdings : int, default 5
            How many of the chosen portfolio's largest holdings get a column of weights.

        Returns
        -------
        DataFrame
            One row per estimator (in :attr:`figures`' order), columns ``Estimator``
            (:attr:`EstimatorKind.short_label`, ``Returns`` or ``Risk``), ``Method`` (:func:`estimator_label`), ``Chosen``
            (``"✓"`` on the model's current choice, else ``""``), ``Expected return``,
            ``Volatility``, ``Sharpe``, ``Turnover`` (from the current portfolio),
            ``Moved from chosen`` (``turnover_vs_chosen``), one column per holding (its
            weight) and, when some row could not be solved, ``Note``.
        """
        f = self.figures
        kinds = [EstimatorKind(k) for k in f.index.get_level_values("estimator")]
        methods = f.index.get_level_values("method")
        out = pd.DataFrame(
            {
                "Estimator": [k.short_label for k in kinds],
                "Method": [
                    estimator_label(_method(k, m)) for k, m in zip(kinds, methods, strict=True)
                ],
                "Chosen": ["\u2713" if c else "" for c in f["chosen"]],
                "Expected return": f["expected_return"].to_numpy(),
                "Volatility": f["volatility"].to_numpy(),
                "Sharpe": f["sharpe"].to_numpy(),
                "Turnover": f["turnover"].to_numpy(),
                "Moved from chosen": f["turnover_vs_chosen"].to_numpy(),
            }
        )
        for instrument in self.top_holdings(holdings):
            out[instrument] = self.weights[instrument].to_numpy()
        if (f["note"] != "").any():
            out["Note"] = f["note"].to_numpy()
        return out

    def top_holdings(self, n: int = 5) -> list[str]:
        """The chosen portfolio's ``n`` largest holdings, largest first (ties in the
        instruments' order)."""
        w = self.chosen_weights()
        w = w[w.abs() > 1e-9]
        return [str(i) for i in w.abs().sort_values(ascending=False, kind="stable").index[:n]]


def _method(kind: str, method: str) -> ReturnMethod | CovMethod:
    if EstimatorKind(kind) is EstimatorKind.RETURN_METHOD:
        return ReturnMethod(method)
    return CovMethod(method)

"""The attribution explorer's view-model: Brinson attribution of a portfolio against a
benchmark over a period, by group, linked over time.

Default inputs (documented, built by portlab calls only):

* **portfolio**: the state's current weights at the market's last prices
  (:meth:`PortfolioState.weights`), every other instrument at 0, kept constant over the period
  (rebalanced each day); what is not invested is cash (the group ``(cash)``, zero return).
  For the bundled example that is eight stocks, 28% invested.
* **benchmark**: every instrument of the market at the same weight, kept constant.
* **returns**: the market's daily simple returns from ``start`` to ``end`` (both included);
  default the last 252 trading days.

Any of them can be replaced: ``portfolio_weights=`` and ``benchmark_weights=`` take a Series
(static weights) or a DataFrame (dates × instruments, weights held over each day), as
:func:`portlab.analytics.attribution.brinson` does.

Examples
--------
>>> from portlab.ui import AttributionModel
>>> model = AttributionModel()
>>> list(model.result.waterfall["step"])
['benchmark return', 'allocation', 'selection', 'interaction', 'portfolio return']
>>> totals = model.result.totals
>>> bool(abs(totals["benchmark_return"] + totals["allocation"] + totals["selection"]
...          + totals["interaction"] - totals["portfolio_return"]) < 1e-12)
True
>>> model.set(method="bhb", linking="grap", grouping="INSTRUMENT")
>>> model.error is None, "AAPL" in model.result.by_group.index
(True, True)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import param

from portlab.analytics.attribution import (
    BrinsonMethod,
    BrinsonResult,
    FactorAttribution,
    Linking,
    brinson,
    factor_attribution,
    link,
    style_factor_returns,
)
from portlab.exceptions import PortlabError, ValidationError
from portlab.formatting import format_date
from portlab.ui.base import ViewModel
from portlab.ui.codegen import literal, script

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "LINKINGS",
    "WATERFALL_STEPS",
    "AttributionModel",
    "AttributionOutcome",
    "Grouping",
]

#: rows of the default period: one year of trading days
DEFAULT_PERIOD_DAYS = 252
#: the linking methods offered (those whose linked effects add up to the active return)
LINKINGS = (Linking.CARINO, Linking.MENCHERO, Linking.GRAP)
#: the steps of :attr:`AttributionOutcome.waterfall`
WATERFALL_STEPS = ("benchmark return", "allocation", "selection", "interaction", "portfolio return")
_EFFECTS = ("allocation", "selection", "interaction")


class Grouping(enum.StrEnum):
    """What the Brinson groups are."""

    SECTOR = "SECTOR"  #: the market's sectors
    INSTRUMENT = "INSTRUMENT"  #: each instrument a group of its own


@dataclass(frozen=True)
class AttributionOutcome:
    """Brinson attribution over the model's period.

    Attributes
    ----------
    brinson : BrinsonResult
        What :func:`~portlab.analytics.attribution.brinson` returned (per day and group).
    by_group : DataFrame, indexed by group
        ``allocation``, ``selection``, ``interaction`` and ``total`` linked over the period
        (``brinson.linked``), fractions of portfolio value.
    totals : Series
        Over the period: ``portfolio_return`` and ``benchmark_return`` (compounded),
        ``active_return`` (their difference), and the three effects linked over the period
        (:func:`~portlab.analytics.attribution.link`); the effects add up to the active
        return.
    waterfall : DataFrame
        :data:`WATERFALL_STEPS` with ``value`` and ``kind`` (``total`` for the two returns,
        ``effect`` for the three effects): benchmark return + effects = portfolio return.
    over_time : DataFrame, indexed by date
        The effects and the active return linked from the start of the period to the last
        trading day of each month (and the period's last day).
    factors : FactorAttribution or None
        Regression of the portfolio's daily returns on the market's style factors
        (:func:`~portlab.analytics.attribution.style_factor_returns`); None when the market
        has no benchmark or too little history (``notes`` says why).
    notes : tuple of str
        The conventions Brinson applied (cash, one-sided groups) and anything left out.
    """

    brinson: BrinsonResult
    by_group: pd.DataFrame
    totals: pd.Series
    waterfall: pd.DataFrame
    over_time: pd.DataFrame
    factors: FactorAttribution | None
    notes: tuple[str, ...]


class AttributionModel(ViewModel):
    """Attribution explorer: period, grouping, Brinson method and linking.

    Parameters
    ----------
    portfolio_weights : Series or DataFrame, optional
        Portfolio weights by instrument (static) or dates × instruments. Default: the
        state's current weights, held constant (see the module docstring).
    benchmark_weights : Series or DataFrame, optional
        Default: equal weights over the market's instruments.
    **kwargs
        As :class:`~portlab.ui.base.ViewModel` (``market``, ``state``) and the settings.

    Result (:class:`AttributionOutcome`).
    """

    start = param.Date(default=None, allow_None=True, doc="First day of the period.")
    end = param.Date(default=None, allow_None=True, doc="Last day of the period.")
    grouping = param.Selector(
        default=Grouping.SECTOR, objects=list(Grouping), doc="Groups: sectors or instruments."
    )
    method = param.Selector(
        default=BrinsonMethod.BRINSON_FACHLER,
        objects=list(BrinsonMethod),
        doc="Brinson-Fachler (allocation against the benchmark return) or BHB.",
    )
    linking = param.Selector(
        default=Linking.CARINO, objects=list(LINKINGS), doc="Multi-period linking of effects."
    )
    portfolio_weights = param.Parameter(
        default=None, precedence=-1, doc="Portfolio weights (None: the state's, held)."
    )
    benchmark_weights = param.Parameter(
        default=None, precedence=-1, doc="Benchmark weights (None: equal weights)."
    )

    USES: ClassVar[tuple[str, ...]] = ("market", "state")
    SETTINGS: ClassVar[tuple[str, ...]] = ("start", "end", "grouping", "method", "linking")

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        self._set_period_bounds()
        return settings

    def _sync(self, changed: set[str]) -> None:
        super()._sync(changed)
        if "market" in changed:
            self._set_period_bounds()

    def _set_period_bounds(self) -> None:
        dates = self.market.returns.index
        first, last = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
        for name in ("start", "end"):
            self.param[name].bounds = (first, last)
        if self.end is None or not first <= pd.Timestamp(self.end) <= last:
            self.end = last
        if self.start is None or not first <= pd.Timestamp(self.start) <= last:
            self.start = pd.Timestamp(dates[max(0, len(dates) - DEFAULT_PERIOD_DAYS)])

    # -- computation ----------------------------------------------------------------------------

    def _weights(self) -> tuple[Any, Any]:
        market = self.market
        portfolio = self.portfolio_weights
        if portfolio is None:
            portfolio = self.state.weights(market.last_prices).reindex(
                market.instruments, fill_value=0.0
            )
        benchmark = self.benchmark_weights
        if benchmark is None:
            benchmark = pd.Series(1.0 / len(market.instruments), index=market.instruments)
        return portfolio, benchmark

    def _groups(self) -> Any:
        market = self.market
        if Grouping(self.grouping) is Grouping.SECTOR:
            return market
        return pd.Series(market.instruments, index=market.instruments)

    def _returns(self) -> pd.DataFrame:
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        if start > end:
            raise ValidationError(
                f"the period starts ({format_date(start)}) after it ends ({format_date(end)})"
            )
        returns = self.market.returns.loc[start:end]
        if len(returns) == 0:
            raise ValidationError(f"no trading day from {format_date(start)} to {format_date(end)}")
        return returns

    def _compute(self) -> AttributionOutcome:
        portfolio, benchmark = self._weights()
        returns = self._returns()
        if isinstance(portfolio, pd.DataFrame):
            portfolio = portfolio.loc[returns.index]
        if isinstance(benchmark, pd.DataFrame):
            benchmark = benchmark.loc[returns.index]
        linking = Linking(self.linking)
        result = brinson(
            portfolio,
            returns,
            benchmark,
            None,
            self._groups(),
            method=BrinsonMethod(self.method),
            linking=linking,
        )
        rp, rb = result.portfolio_return, result.benchmark_return
        effects = pd.concat([result.effects, result.active_return], axis=1)
        linked = link(effects, rp, rb, linking)
        totals = pd.Series(
            {
                "portfolio_return": result.portfolio_total,
                "benchmark_return": result.benchmark_total,
                "active_return": result.linked_active,
                **{e: float(linked[e]) for e in _EFFECTS},
            },
            name="total",
        )
        values = (
            totals["benchmark_return"],
            *(totals[e] for e in _EFFECTS),
            totals["portfolio_return"],
        )
        kinds = ("total", "effect", "effect", "effect", "total")
        waterfall = pd.DataFrame(
            {"step": list(WATERFALL_STEPS), "value": list(values), "kind": list(kinds)}
        )
        dates = rp.index
        ends = pd.Series(dates, index=dates).groupby(dates.to_period("M")).max()
        over_time = pd.DataFrame(
            [link(effects.loc[:end], rp.loc[:end], rb.loc[:end], linking) for end in ends],
            index=pd.DatetimeIndex(ends.to_numpy(), name="date"),
        )
        factors, notes = None, list(result.notes)
        try:
            factors = factor_attribution(rp, style_factor_returns(self.market), linking=linking)
        except PortlabError as exc:
            notes.append(f"no factor attribution: {exc}")
        return AttributionOutcome(
            brinson=result,
            by_group=result.linked,
            totals=totals,
            waterfall=waterfall,
            over_time=over_time,
            factors=factors,
            notes=tuple(notes),
        )

    # -- code -------------------------------------------------------------------------------------

    def _code(self) -> str:
        """The script of :meth:`to_code`: computes the attribution.

        It defines ``portfolio_weights``, ``benchmark_weights``, ``returns`` and ``result``
        (the BrinsonResult).
        """
        uses = ["market"] if self.portfolio_weights is not None else ["market", "state"]
        imports, inputs = self._inputs_code(uses)
        given = [
            n for n in ("portfolio_weights", "benchmark_weights") if getattr(self, n) is not None
        ]
        if given:
            inputs.insert(
                0,
                f"# {', '.join(given)}: the weights given to {type(self).__name__}(...); define "
                "them before running this code",
            )
        body = []
        if self.portfolio_weights is None:
            body.append(
                "portfolio_weights = state.weights(market.last_prices).reindex("
                "market.instruments, fill_value=0.0)"
            )
        if self.benchmark_weights is None:
            body.append(
                "benchmark_weights = pd.Series(1.0 / len(market.instruments), "
                "index=market.instruments)"
            )
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        body.append(f"returns = market.returns.loc[{literal(start)}:{literal(end)}]")
        for name in ("portfolio_weights", "benchmark_weights"):
            if isinstance(getattr(self, name), pd.DataFrame):
                body.append(f"{name} = {name}.loc[returns.index]")
        if Grouping(self.grouping) is Grouping.SECTOR:
            body.append("groups = market  # its sectors")
        else:
            body.append("groups = pd.Series(market.instruments, index=market.instruments)")
        method = BrinsonMethod(self.method).name
        linking = Linking(self.linking).name
        body += [
            "result = attribution.brinson(",
            "    portfolio_weights, returns, benchmark_weights, None, groups,",
            f"    method=attribution.BrinsonMethod.{method}, linking=attribution.Linking.{linking},",
            ")",
        ]
        head = ["import pandas as pd", "", "from portlab.analytics import attribution", *imports]
        return script(head, inputs, body)

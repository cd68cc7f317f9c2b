"""The sweep explorer's view-model: one metric of a sweep over two chosen parameters, the other
parameters held at chosen values, and the scenario a person clicks opened again in full.

Examples
--------
>>> from portlab import sweep
>>> from portlab.ui import SweepModel
>>> scenarios, inputs = sweep.load_spec(sweep.example_specs()["coordination"])
>>> results = sweep.run(scenarios, inputs, workers=1, progress=False)   # doctest: +SKIP
>>> model = SweepModel(results=results, sweep=(scenarios, inputs))      # doctest: +SKIP
>>> model.set(metric="capital_deployed", x="policy.max_position_size",
...           y="sizing.max_kelly_fraction")                           # doctest: +SKIP
>>> model.selected = model.result.cells["scenario"].iloc[0]             # doctest: +SKIP
>>> model.result.outcome.decisions                                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import param

from portlab.exceptions import ValidationError
from portlab.ui.base import ViewModel

__all__ = ["FRACTION_METRICS", "MONEY_METRICS", "SweepModel", "SweepOutcome"]

_HIDDEN = -1
#: metrics that are fractions (shown as percent) and amounts of money (shown in dollars)
FRACTION_METRICS = frozenset(
    {"deployed_fraction", "total_return", "annual_return", "annual_volatility", "max_drawdown",
     "turnover"}
)  # fmt: skip
MONEY_METRICS = frozenset({"capital_deployed", "final_equity", "costs"})
#: the metrics shown first when a sweep has them (the ones a PM reads first)
PREFERRED_METRICS = ("capital_deployed", "sharpe", "total_return", "decisions")


@dataclass(frozen=True)
class SweepOutcome:
    """What the explorer shows for its settings.

    Attributes
    ----------
    cells : DataFrame
        One row per scenario on the chosen grid (:func:`portlab.sweep.cells`): the ``x`` and
        ``y`` parameters, the metric and ``scenario`` (its id).
    where : dict
        The values the other varying parameters are held at.
    row : Series or None
        The selected scenario's row of the results (its parameters and every metric).
    outcome : CoordinationResult, BacktestResult, Path or None
        The selected scenario run again (:func:`portlab.sweep.scenario_result`): its
        decisions and rejections, its backtest, or its report page; None when no scenario is
        selected or the sweep's inputs were not given.
    note : str
        Why ``outcome`` is None, when a scenario is selected (empty otherwise).
    """

    cells: pd.DataFrame
    where: dict[str, Any]
    row: pd.Series | None
    outcome: Any
    note: str


class SweepModel(ViewModel):
    """A sweep's results explored: ``metric`` over ``x`` and ``y``, the other parameters held
    at ``where``, and the ``selected`` scenario run again in full.

    Parameters
    ----------
    results : DataFrame
        A sweep's results (:func:`portlab.sweep.run` or :func:`portlab.sweep.read_results`).
    sweep : Sweep or (scenarios, inputs), optional
        The sweep that made them (:func:`portlab.sweep.load_spec`), to run a selected
        scenario again; without it, a selection shows the scenario's row only.
    **settings
        ``metric=``, ``x=``, ``y=``, ``where=``, ``selected=``.
    """

    results = param.DataFrame(precedence=_HIDDEN, doc="The sweep's results.")
    sweep = param.Parameter(
        default=None, precedence=_HIDDEN, doc="(scenarios, inputs) of the sweep, or None."
    )
    metric = param.Selector(objects=[], doc="The metric coloured.")
    x = param.Selector(objects=[], doc="The parameter across.")
    y = param.Selector(objects=[], doc="The parameter down.")
    where = param.Dict(default={}, doc="Values the other varying parameters are held at.")
    selected = param.String(default=None, allow_None=True, doc="The scenario id opened.")

    SETTINGS: ClassVar[tuple[str, ...]] = ("metric", "x", "y", "where", "selected")
    USES: ClassVar[tuple[str, ...]] = ()

    # -- settings -------------------------------------------------------------------------------

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        from portlab.sweep import metric_columns, parameter_columns

        results = settings.pop("results", None)
        if not isinstance(results, pd.DataFrame) or "scenario" not in results.columns:
            raise ValidationError("results: expected a sweep's results (portlab.sweep.run)")
        metrics = [m for m in metric_columns(results) if pd.api.types.is_numeric_dtype(results[m])]
        params = parameter_columns(results)
        if not metrics:
            raise ValidationError("results: no numeric metric to show")
        if not params:
            raise ValidationError("results: no parameter column (a sweep of one scenario?)")
        # a sweep along one axis: its scenarios in one row
        axes = [*self.varying(results, params), *params]
        axes = list(dict.fromkeys(axes)) + (["kind"] if len(params) < 2 else [])
        self.param.metric.objects = metrics
        self.param.x.objects = axes
        self.param.y.objects = axes
        self.results = results
        self.sweep = settings.pop("sweep", None)
        first = next((m for m in PREFERRED_METRICS if m in metrics), metrics[0])
        self.param.update(metric=first, x=axes[0], y=axes[1])
        self.where = self._held({})
        return settings

    @staticmethod
    def varying(results: pd.DataFrame, params: Sequence[str]) -> list[str]:
        """The parameters that take more than one value in ``results``."""
        return [p for p in params if results[p].nunique(dropna=False) > 1]

    @property
    def others(self) -> list[str]:
        """The varying parameters other than ``x`` and ``y`` (held at :attr:`where`)."""
        from portlab.sweep import parameter_columns

        params = parameter_columns(self.results)
        return [p for p in self.varying(self.results, params) if p not in (self.x, self.y)]

    def choices(self, name: str) -> list[Any]:
        """The values parameter ``name`` takes in the results, in order."""
        values = self.results[name].dropna().unique().tolist()
        return sorted(values, key=lambda v: (isinstance(v, str), v))

    def _held(self, where: Mapping[str, Any]) -> dict[str, Any]:
        """``where`` restricted to the other varying parameters, each missing one at its first
        value."""
        return {p: where[p] if p in where else self.choices(p)[0] for p in self.others}

    def _sync(self, changed: set[str]) -> None:
        if self.x == self.y:  # the parameter moved to the other axis: the other one moves away
            axes = self.param.x.objects
            if "x" in changed:
                self.y = next(a for a in axes if a != self.x)
            else:
                self.x = next(a for a in axes if a != self.y)
        if changed & {"x", "y", "where", "results"}:
            held = self._held(self.where)
            if held != self.where:
                self.where = held

    def metric_style(self) -> dict[str, Any]:
        """How the metric is shown (:func:`portlab.plots.sweep_heatmap`'s ``label``,
        ``percent`` and ``money``)."""
        return {
            "label": self.metric.replace("_", " "),
            "percent": self.metric in FRACTION_METRICS,
            "money": self.metric in MONEY_METRICS,
        }

    # -- result ---------------------------------------------------------------------------------

    def scenario(self, scenario_id: str) -> Any:
        """The :class:`~portlab.sweep.Scenario` of ``scenario_id`` in the sweep given, or None."""
        if self.sweep is None:
            return None
        scenarios = self.sweep[0]
        return next((s for s in scenarios if s.id == scenario_id), None)

    def _compute(self) -> SweepOutcome:
        from portlab.sweep import cells, scenario_result

        shown = cells(self.results, self.x, self.y, self.metric, self.where)
        row, outcome, note = None, None, ""
        if self.selected is not None:
            hits = self.results[self.results["scenario"] == self.selected]
            if hits.empty:
                raise ValidationError(f"selected: no scenario {self.selected!r} in the results")
            row = hits.iloc[0]
            scenario = self.scenario(self.selected)
            if row["status"] != "ok":
                note = f"this scenario failed: {row['error']}"
            elif scenario is None:
                note = (
                    "give the sweep (sweep=load_spec(...)) to open this scenario's decisions"
                    if self.sweep is None
                    else "this scenario is not in the sweep given"
                )
            else:
                outcome = scenario_result(scenario, self.sweep[1])
        return SweepOutcome(shown, dict(self.where), row, outcome, note)

    def _code(self) -> str:
        where = json.dumps(self.where) if self.where else "None"
        lines = [
            "from portlab import sweep",
            "",
            "# results: the sweep's results (sweep.run(...) or sweep.read_results(path))",
            f"result = sweep.cells(results, {self.x!r}, {self.y!r}, {self.metric!r}, "
            f"where={where})",
        ]
        if self.selected is not None:
            lines += [
                "# scenarios, inputs = sweep.load_spec(path)",
                f"scenario = next(s for s in scenarios if s.id == {self.selected!r})",
                "opened = sweep.scenario_result(scenario, inputs)",
            ]
        return "\n".join(lines) + "\n"

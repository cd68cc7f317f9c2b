"""Static vs adaptive: one configuration backtested both ways on the same signals (issue 14).

See :mod:`portlab.analytics.backtest._adaptive` for how the adaptive run learns without
look-ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from portlab.analytics.backtest._result import SUMMARY_FIELDS, BacktestResult
from portlab.analytics.backtest._runner import Backtest
from portlab.engine.adaptation import AdaptiveConfig, adaptive_setting

if TYPE_CHECKING:
    from portlab.analytics.backtest._strategies import SignalStrategy
    from portlab.dates import DateLike
    from portlab.engine import Coordinator
    from portlab.market import Market

__all__ = ["AdaptiveComparison", "compare_adaptive"]


class AdaptiveComparison(NamedTuple):
    """:func:`compare_adaptive`'s result.

    Attributes
    ----------
    summary : DataFrame
        One row per configuration (``static``, ``adaptive``): :data:`SUMMARY_FIELDS` and
        ``n_adaptations`` (changes the adaptive one made; 0 for the static one).
    results : dict of str to BacktestResult
        The two runs (``results["adaptive"].adaptation`` holds the learned state and its
        change log).
    """

    summary: pd.DataFrame
    results: dict[str, BacktestResult]


def compare_adaptive(
    market: Market,
    strategies: Sequence[SignalStrategy] | Mapping[str, SignalStrategy],
    adaptive: AdaptiveConfig | Mapping[str, Any] | None = None,
    *,
    coordinator: Coordinator | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    progress: bool | None = None,
    **backtest: Any,
) -> AdaptiveComparison:
    """Backtest a configuration static and adaptive side by side, on the same signals.

    Parameters
    ----------
    market : Market
    strategies : SignalStrategy sequence or mapping
    adaptive : AdaptiveConfig or mapping, optional
        The adaptation settings (default :class:`~portlab.engine.adaptation.AdaptiveConfig`:
        learning rate 0.01, a period of 20 outcomes).
    coordinator : Coordinator, optional
        The static configuration (default ``Coordinator()``); the adaptive one is a copy of
        it with ``adaptive`` (its own ``adaptive`` setting, if any, is not used).
    start, end, progress
        As in :meth:`Backtest.run`.
    **backtest
        :class:`Backtest` keyword arguments (``frequency``, ``cost``, ``initial_cash``,
        ``fill``).

    Returns
    -------
    AdaptiveComparison

    Raises
    ------
    ConfigError
        Invalid adaptation settings or backtest arguments.

    Examples
    --------
    Momentum's signals over 18 months: its hit rate ran above what it stated, so the adaptive
    run raised its calibration (and Kelly multiplier) once 30 outcomes showed it:

    >>> from portlab.datasets import load_sample
    >>> from portlab.analytics.backtest import Momentum
    >>> runs = compare_adaptive(load_sample(), [Momentum()],
    ...                         {"learning_rate": 0.05, "adaptation_period": 10},
    ...                         start="2019-01-01", end="2020-06-30")
    >>> runs.summary["n_adaptations"].tolist()
    [0, 8]
    >>> changes = runs.results["adaptive"].adaptation.changes
    >>> changes[["quantity", "old", "new", "n_outcomes"]].round(2).values.tolist()[1]
    ['calibration', 1.0, 1.05, 30]
    """
    from portlab.engine import Coordinator

    settings = adaptive_setting(AdaptiveConfig() if adaptive is None else adaptive)
    base = Coordinator() if coordinator is None else coordinator
    static = base.replace(adaptive=None)
    learner = base.replace(adaptive=settings)
    runs = Backtest(strategies, **backtest).run_many(
        market, {"static": static, "adaptive": learner}, start, end, progress
    )
    rows = []
    for name, result in runs.items():
        row = result.summary().rename(name)
        state = result.adaptation
        row["n_adaptations"] = 0 if state is None else len(state.log)
        rows.append(row)
    summary = pd.DataFrame(rows, columns=[*SUMMARY_FIELDS, "n_adaptations"]).infer_objects()
    summary.index.name = "config"
    return AdaptiveComparison(summary, runs)

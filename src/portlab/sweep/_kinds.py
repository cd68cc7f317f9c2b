"""What a sweep runs and how a scenario ended: the two enums of :mod:`portlab.sweep`."""

from __future__ import annotations

import enum

__all__ = ["Status", "SweepKind"]


class SweepKind(enum.StrEnum):
    """What one scenario of a sweep runs.

    COORDINATION coordinates a signal batch against the portfolio with a policy, sizing,
    resolution and allocation setting (:meth:`portlab.Coordinator.coordinate`).
    BACKTEST runs a walk-forward backtest of strategies under a configuration over a date
    split (:meth:`portlab.analytics.backtest.Backtest.run`).
    REPORT renders a report template with a parameter set (:func:`portlab.reports.run`).

    Examples
    --------
    >>> SweepKind("backtest") is SweepKind.BACKTEST
    True
    """

    COORDINATION = "coordination"
    BACKTEST = "backtest"
    REPORT = "report"


class Status(enum.StrEnum):
    """How a scenario ended: the ``status`` column of a sweep's results."""

    OK = "ok"
    FAILED = "failed"

"""The conflict explorer's view-model: how signals competing for the same instruments are
resolved, and how the capital is shared among what remains.

Examples
--------
>>> from portlab.ui import ConflictModel
>>> model = ConflictModel()
>>> model.result.losers[["id", "instrument_id", "reason", "rule", "winner_id"]].to_numpy().tolist()
[['sig-002', 'AAPL', 'CONFLICT_LOST', 'HIGHEST_PRIORITY', 'sig-001'], ['sig-007', 'MSFT', 'OVERRIDDEN', 'HIGHEST_PRIORITY', 'rebal-2022-12-28/MSFT']]
>>> model.resolution = "NET"                  # AAPL's BUY and SELL are netted
>>> model.result.losers[["id", "reason"]].to_numpy().tolist()[0]
['sig-001', 'NETTED_OUT']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
import param

from portlab.engine import AllocationMode, CoordinationResult, Coordinator, RejectReason, Resolution
from portlab.ui.base import ViewModel
from portlab.ui.codegen import coordinator_code, script
from portlab.ui.coordination import configured

__all__ = [
    "ALLOCATION_COLUMNS",
    "CONFLICT_REASONS",
    "LOSER_COLUMNS",
    "WINNER_COLUMNS",
    "ConflictModel",
    "ConflictOutcome",
]

#: rejection reasons of a signal (or adjustment) that lost a conflict
CONFLICT_REASONS = frozenset(
    {RejectReason.CONFLICT_LOST, RejectReason.OVERRIDDEN, RejectReason.NETTED_OUT}
)
#: columns of :attr:`ConflictOutcome.winners` (from the waterfall)
WINNER_COLUMNS = (
    "instrument_id",
    "action",
    "origin",
    "winner_id",
    "priority",
    "rule",
    "final_size",
    "outcome",
)
#: columns of :attr:`ConflictOutcome.losers` (from the rejections)
LOSER_COLUMNS = (
    "source",
    "id",
    "instrument_id",
    "strategy_id",
    "reason",
    "rule",
    "winner_id",
    "detail",
)
#: columns of :attr:`ConflictOutcome.allocation` (from the waterfall)
ALLOCATION_COLUMNS = (
    "instrument_id",
    "action",
    "winner_id",
    "priority",
    "sized",
    "allocated",
    "allocation_binding",
    "allocation_solver",
    "final_size",
    "outcome",
)


@dataclass(frozen=True)
class ConflictOutcome:
    """The batch resolved and allocated under the model's resolution and allocation mode.

    Attributes
    ----------
    coordination : CoordinationResult
    coordinator : Coordinator
    winners : DataFrame
        One row per instrument where inputs competed (:data:`WINNER_COLUMNS`): the candidate
        that came out of resolution (``winner_id``, the resolution ``rule``) and what became
        of it (``final_size``, fraction of NAV; ``outcome``: DECIDED or the reason it was
        dropped later).
    losers : DataFrame
        Every signal or adjustment that lost a conflict (:data:`LOSER_COLUMNS`): the
        ``reason`` (CONFLICT_LOST, OVERRIDDEN, NETTED_OUT), the ``rule`` that beat it and the
        ``winner_id``.
    allocation : DataFrame
        One row per opportunity after resolution (:data:`ALLOCATION_COLUMNS`): the size
        wanted after sizing (``sized``), what allocation gave it (``allocated``) and the
        batch limit that cut it (``allocation_binding``, '' if none), fractions of NAV.
    binding : tuple of str
        The batch limits that cut some allocation, most frequent first ('' excluded).
    """

    coordination: CoordinationResult
    coordinator: Coordinator
    winners: pd.DataFrame
    losers: pd.DataFrame
    allocation: pd.DataFrame
    binding: tuple[str, ...]


class ConflictModel(ViewModel):
    """Conflict explorer: the resolution strategy and the allocation mode.

    Every other setting comes from ``coordinator``. Result (:class:`ConflictOutcome`): the
    winners, the losers with the rule that beat them, the allocation across opportunities
    and the limits that bind.
    """

    resolution = param.Selector(
        default=Resolution.HIGHEST_PRIORITY,
        objects=list(Resolution),
        doc="How several signals (and a rebalance request) on one instrument become one trade.",
    )
    allocation = param.Selector(
        default=AllocationMode.OPTIMAL,
        objects=list(AllocationMode),
        doc="OPTIMAL (a linear or cone program) or GREEDY (priority order).",
    )

    SETTINGS: ClassVar[tuple[str, ...]] = ("resolution", "allocation")

    def _load_settings(self) -> None:
        self.param.update(
            resolution=self.coordinator.resolution, allocation=self.coordinator.sizing.allocation
        )

    def build_coordinator(self) -> Coordinator:
        """The coordinator of the current settings."""
        return configured(
            self.coordinator,
            sizing={"allocation": AllocationMode(self.allocation)},
            resolution=Resolution(self.resolution),
        )

    def _compute(self) -> ConflictOutcome:
        coordinator = self.build_coordinator()
        result = coordinator.coordinate(
            self.signals, self.state, self.market, self.rebalance_requests
        )
        waterfall = result.waterfall
        winners = waterfall.loc[waterfall["conflicted"].astype(bool), list(WINNER_COLUMNS)]
        rejections = result.rejections
        lost = rejections["reason"].isin([str(r) for r in CONFLICT_REASONS])
        losers = rejections.loc[lost, list(LOSER_COLUMNS)]
        allocation = waterfall.loc[:, list(ALLOCATION_COLUMNS)]
        cut = allocation["allocation_binding"].fillna("").astype(str)
        binding = tuple(cut[cut != ""].value_counts(sort=True).index)
        return ConflictOutcome(
            coordination=result,
            coordinator=coordinator,
            winners=winners.reset_index(drop=True),
            losers=losers.reset_index(drop=True),
            allocation=allocation.reset_index(drop=True),
            binding=binding,
        )

    def _code(self) -> str:
        """The script of :meth:`to_code`: coordinates the batch with the current settings.

        It defines ``coordinator`` and ``result``.
        """
        coordinator = self.build_coordinator()
        imports, inputs = self._inputs_code(self.USES)
        body = [
            *coordinator_code(coordinator),
            "result = coordinator.coordinate(signals, state, market, rebalance_requests)",
        ]
        return script(["import portlab", *imports], inputs, body)

"""The result of one coordination: decisions, rejections, the sizing waterfall and statistics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from portlab.engine.adaptation import AdaptiveState
from portlab.engine.columns import DECISIONS, REJECTIONS, WATERFALL
from portlab.engine.decisions import decision_events
from portlab.engine.enums import SizingMethod
from portlab.engine.eventjson import decision_event_json
from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.table import Table, concat, length, take
from portlab.engine.tolerances import SIZE_TOL
from portlab.events import CoordinatedTradingDecisionEvent

__all__ = ["WATERFALL_COLUMNS", "CoordinationResult", "Timings"]

#: columns of :attr:`CoordinationResult.waterfall`, in pipeline order
#: (:data:`portlab.engine.columns.WATERFALL`)
WATERFALL_COLUMNS = WATERFALL.names


# positions of the ledger's tuples (REJECTION_COLUMNS order) that the statistics read
_SOURCE = REJECTIONS.names.index("source")
_REASON = REJECTIONS.names.index("reason")
#: reasons a signal can lose a conflict with: such signals count as conflicted
_LOST_IN_CONFLICT = frozenset(
    r.value for r in (RejectReason.CONFLICT_LOST, RejectReason.OVERRIDDEN, RejectReason.NETTED_OUT)
)


class Timings(Protocol):
    """Per-stage wall times of one coordination."""

    @property
    def ms(self) -> dict[str, float]:
        """Milliseconds per stage, in pipeline order."""

    @property
    def total(self) -> float:
        """Milliseconds of the whole call."""


class CoordinationResult:
    """What :meth:`Coordinator.coordinate` returns.

    Attributes
    ----------
    decisions : DataFrame
        One row per execution-ready decision (columns
        :data:`portlab.engine.decisions.DECISION_COLUMNS`): amounts in currency, sizes as
        fractions of NAV, ``share_quantity`` (positive; the side is ``action``), the sizing
        waterfall, risk metrics, execution strategy, compliance block and ``reasoning``.
        ``signal_ids`` lists every signal that ended in the decision (the winner first),
        ``rebalance_ids`` the rebalance adjustments.
    rejections : DataFrame
        One row per signal or rebalance adjustment that did not end in a decision: ``source``,
        ``id``, ``reason`` (:class:`~portlab.engine.outcome.RejectReason`), ``detail``,
        ``rule``, ``winner_id`` (conflicts) and ``field`` (invalid records).
    waterfall : DataFrame
        One row per candidate trade after conflict resolution, with every sizing step
        (:data:`WATERFALL_COLUMNS`), whether it became a decision or not.
    stats : dict
        Processing statistics (specification §7: ``total_signals``, ``accepted_signals``,
        ``resized_signals``, ``rejected_signals``, ``conflicted_signals``), rejections by
        reason and per-stage timings in milliseconds.
    nav : float
        Portfolio value the sizes refer to (currency).
    as_of : pandas.Timestamp
        Timestamp stamped on the decisions (UTC).
    sizing_method : SizingMethod
        How the signals' target sizes were set (``SizingConfig.method``).
    run_id : str or None
        The run's id in the journal ``coordinate(..., journal=...)`` recorded it in (see
        :class:`portlab.journal.Journal`); None when it was not recorded.
    adaptive_state : AdaptiveState or None
        The adaptation the run applied (:class:`~portlab.engine.adaptation.AdaptiveState`:
        the one given, or what the journal's outcomes taught); None for a static coordinator.
        The journal records it, so that a replay applies the same.
    """

    def __init__(
        self,
        decisions: Table,
        ledger: Rejections,
        candidates: Table,
        counts: tuple[int, int],
        timings: Timings,
        nav: float,
        as_of: pd.Timestamp,
        portfolio_id: str = "main_portfolio",
        sizing_method: SizingMethod = SizingMethod.KELLY,
        adaptive_state: AdaptiveState | None = None,
    ) -> None:
        self._decisions = decisions
        self.adaptive_state = adaptive_state
        self.sizing_method = SizingMethod(sizing_method)
        self.nav = nav
        self.as_of = as_of
        self.portfolio_id = portfolio_id
        self.run_id: str | None = None
        self._ledger = ledger
        self._candidates = candidates
        self._counts = counts
        self._timings = dict(timings.ms)
        self._elapsed = timings.total

    @cached_property
    def decisions(self) -> pd.DataFrame:
        """One row per execution-ready decision (built on first access)."""
        return pd.DataFrame(self._decisions, columns=list(DECISIONS.names), copy=False)

    def decision_arrays(self, columns: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Columns of :attr:`decisions` as arrays, without building the DataFrame (cheap;
        what the journal writes from). Read-only views: the result's own arrays.

        Parameters
        ----------
        columns : iterable of str, optional
            Default: every column (:data:`portlab.engine.columns.DECISIONS`).
        """
        n = length(self._decisions)
        out = {}
        for name in DECISIONS.names if columns is None else columns:
            values = self._decisions[name]
            if np.ndim(values) == 0:  # a column stored once for every row (sector_limit)
                values = np.full(n, values)
            view = values.view()
            view.flags.writeable = False
            out[name] = view
        return out

    @property
    def n_decisions(self) -> int:
        """Number of decisions, without building the DataFrame."""
        return length(self._decisions)

    def rejection_records(self) -> list[tuple]:
        """The rejections as tuples in :data:`~portlab.engine.outcome.REJECTION_COLUMNS` order,
        without building a DataFrame (cheap; for loops such as backtests)."""
        return list(self._ledger.rows)

    @cached_property
    def rejections(self) -> pd.DataFrame:
        """One row per rejected signal or rebalance adjustment."""
        return self._ledger.frame()

    @cached_property
    def waterfall(self) -> pd.DataFrame:
        """Every candidate's sizing steps, decided or not."""
        return pd.DataFrame(dict(self.waterfall_table()), columns=list(WATERFALL_COLUMNS))

    def waterfall_table(self) -> Mapping[str, np.ndarray]:
        """The :attr:`waterfall` as its columns (1-D arrays in :data:`WATERFALL_COLUMNS`
        order, rows sorted by instrument), without building the DataFrame: what the decision
        journal stores. A read-only view of the result's own arrays: copy before changing."""
        return self._waterfall_table

    @cached_property
    def _waterfall_table(self) -> Mapping[str, np.ndarray]:
        kept = dict(self._candidates)
        kept["outcome"] = np.full(length(kept), "DECIDED", dtype=object)
        parts = [*self._ledger.candidates, kept]
        for p in parts:
            if "direction" in p:
                buy = np.asarray(p["direction"], dtype=int) > 0
                p["action"] = np.where(buy, "BUY", "SELL").astype(object)
        table = concat(parts, WATERFALL_COLUMNS)
        table["sizing_method"] = np.full(length(table), self.sizing_method.value, dtype=object)
        # by instrument (stable), sorted before the frame is built: cheaper than sorting it
        order = np.argsort(table["instrument_id"].astype(str), kind="stable")
        out = take(table, order)
        for values in out.values():
            values.flags.writeable = False
        return MappingProxyType(out)

    @cached_property
    def stats(self) -> dict[str, Any]:
        """Processing statistics plus rejections by reason and timings (ms)."""
        n_signals, n_adjust = self._counts
        rows = self._ledger.rows
        sig_rows = [r for r in rows if r[_SOURCE] == Source.SIGNAL.value]
        decisions = self._decisions
        accepted = int(sum(len(x) for x in decisions["signal_ids"]))
        conflicted = int(
            sum(
                len(ids)
                for ids, c in zip(decisions["signal_ids"], decisions["conflicted"], strict=True)
                if c
            )
        )
        conflicted += sum(r[_REASON] in _LOST_IN_CONFLICT for r in sig_rows)
        trade = np.asarray(decisions["signal_trade"], dtype=float)
        final = np.asarray(decisions["final_size"], dtype=float)
        resized = int(np.sum(~np.isnan(trade) & (final < trade - SIZE_TOL)))
        by_reason: dict[str, int] = {}
        for r in rows:
            by_reason[r[_REASON]] = by_reason.get(r[_REASON], 0) + 1
        return {
            "total_signals": n_signals,
            "accepted_signals": accepted,
            "resized_signals": resized,
            "rejected_signals": len(sig_rows),
            "conflicted_signals": conflicted,
            "total_rebalance_adjustments": n_adjust,
            "decisions": length(decisions),
            "rejections_by_reason": by_reason,
            "timings_ms": self._timings,
            "elapsed_ms": self._elapsed,
        }

    def events(self) -> list[CoordinatedTradingDecisionEvent]:
        """The decisions as :class:`~portlab.events.CoordinatedTradingDecisionEvent` objects,
        field for field as the event contract (specification §1).

        Built (and validated) on the first call; the events are immutable, so later calls
        return a new list of the same events.
        """
        return list(self._events)

    @cached_property
    def _events(self) -> tuple[CoordinatedTradingDecisionEvent, ...]:
        return tuple(decision_events(self.decisions))

    def events_json(self) -> list[str]:
        """The decisions' events as JSON text, written straight from the decisions without
        building the event objects (several times faster than :meth:`events`): the same
        fields and values as ``[e.to_json() for e in result.events()]``. What the decision
        journal stores.

        Raises
        ------
        pydantic.ValidationError
            A decision the event contract refuses, as :meth:`events` would (when a value
            cannot be written as JSON, the events are built and validated instead).
        """
        try:
            return decision_event_json(self.decision_arrays())
        except ValueError:  # NaN somewhere: the validated events say which field, or write it
            return [e.to_json() for e in self.events()]

    def trades(self) -> pd.Series:
        """Signed share quantities by instrument (SELL negative)."""
        sign = np.where(self.decisions["action"].to_numpy() == "BUY", 1.0, -1.0)
        return pd.Series(
            sign * self.decisions["share_quantity"].to_numpy(dtype=float),
            index=self.decisions["instrument_id"].to_numpy(),
            name="shares",
        )

    def summary(self) -> str:
        """A few readable lines: counts and the largest decisions."""
        s = self.stats
        lines = [
            f"{s['total_signals']} signals, {s['total_rebalance_adjustments']} rebalance adjustments -> "
            f"{s['decisions']} decisions, {len(self.rejections)} rejections ({s['elapsed_ms']:.1f} ms)"
        ]
        for r in self.decisions.head(10).itertuples(index=False):
            lines.append(
                f"  {r.action:4s} {r.share_quantity:>10,.0f} {r.instrument_id:<8s} "
                f"{r.trade_amount:>14,.2f}  {r.position_size:6.2%} of NAV  [{r.priority}]"
            )
        if len(self.decisions) > 10:
            lines.append(f"  ... {len(self.decisions) - 10} more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CoordinationResult({self.n_decisions} decisions, {len(self._ledger)} rejections, "
            f"NAV {self.nav:,.2f})"
        )

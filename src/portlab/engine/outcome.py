"""Rejection reasons and the ledger that records every input that did not become a decision."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portlab.engine.columns import REJECTIONS
from portlab.engine.table import Table

__all__ = ["REJECTION_COLUMNS", "RejectReason", "Rejections", "Source"]


class Source(enum.StrEnum):
    """What an engine input was."""

    SIGNAL = "SIGNAL"
    REBALANCE = "REBALANCE"


class RejectReason(enum.StrEnum):
    """Why a signal or rebalance adjustment did not become (part of) a decision."""

    INVALID = "INVALID"  # malformed record; ``field`` names the field
    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"  # not in the market
    NO_PRICE = "NO_PRICE"  # market has no current price (delisted or stale)
    NO_RISK_DATA = "NO_RISK_DATA"  # risk model has no volatility for it
    UNKNOWN_STRATEGY = "UNKNOWN_STRATEGY"  # strategies registered, this one is not
    UNMAPPED_STRATEGY = "UNMAPPED_STRATEGY"  # the portfolio's strategy map does not allow it
    HOLD = "HOLD"  # HOLD signal: no trade asked for
    NO_EDGE = "NO_EDGE"  # Kelly fraction <= 0
    AT_TARGET = "AT_TARGET"  # position already at or beyond the wanted size
    CONFLICT_LOST = "CONFLICT_LOST"  # another signal on the instrument won
    OVERRIDDEN = "OVERRIDDEN"  # a rebalance request and a signal disagreed; the other won
    NETTED_OUT = "NETTED_OUT"  # opposing sizes cancelled
    SUPERSEDED = "SUPERSEDED"  # a later rebalance request adjusts the same instrument
    UNSUPPORTED = "UNSUPPORTED"  # not actionable by the engine (strategy-level adjustment)
    POLICY_LIMIT = "POLICY_LIMIT"  # a hard policy limit leaves no room
    BELOW_MIN_SIZE = "BELOW_MIN_SIZE"  # smaller than the minimum position / trade size
    NO_CAPACITY = "NO_CAPACITY"  # batch limits (cash, leverage, sector, budget) used up
    RISK_LIMIT = "RISK_LIMIT"  # dropped by the risk feedback loop
    ROUNDS_TO_ZERO = "ROUNDS_TO_ZERO"  # less than one share / lot


#: columns of ``CoordinationResult.rejections`` (:data:`portlab.engine.columns.REJECTIONS`)
REJECTION_COLUMNS = REJECTIONS.names


class Rejections:
    """Append-only ledger of rejections; becomes a DataFrame at the end of a call."""

    def __init__(self) -> None:
        self._rows: list[tuple] = []
        #: candidate tables (with their sizing steps and ``outcome``) that were dropped, for
        #: the waterfall
        self.candidates: list[Table] = []

    def add(
        self,
        source: Source,
        ids: Iterable[str],
        instruments: Iterable[str | None],
        strategies: Iterable[str | None] | None,
        reason: RejectReason,
        detail: Iterable[str] | str,
        *,
        rule: Iterable[str] | str = "",
        winner: Iterable[str | None] | None = None,
        field: Iterable[str] | str = "",
    ) -> None:
        """Record one rejection per id; scalar arguments apply to all of them.

        Parameters
        ----------
        source : Source
        ids : iterable of str
            The signals' eventIds or the adjustments' ids.
        instruments : iterable of str or None
            Their instruments, one per id (None when unknown).
        strategies : iterable of str or None, or None
            Their strategies (None: none, e.g. for rebalance adjustments).
        reason : RejectReason
        detail : str or iterable of str
            What happened, in words.
        rule : str or iterable of str
            The policy rule or resolution method involved.
        winner : iterable of str or None, optional
            What won the conflict, one per id.
        field : str or iterable of str
            Dotted path of the invalid field (INVALID).
        """
        ids = list(ids)
        n = len(ids)
        if n == 0:
            return

        def col(value: Any) -> Sequence:
            if value is None:
                return [None] * n
            if isinstance(value, str):
                return [value] * n
            out = list(value)
            if len(out) != n:
                raise ValueError("rejection columns differ in length")
            return out

        self._rows.extend(
            zip(
                [source.value] * n,
                ids,
                col(list(instruments)),
                col(strategies),
                [reason.value] * n,
                col(rule),
                col(detail),
                col(winner),
                col(field),
                strict=True,
            )
        )

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> list[tuple]:
        """The rejections as tuples in :data:`REJECTION_COLUMNS` order."""
        return self._rows

    def count(self, source: Source) -> int:
        """Rejections recorded so far from ``source``."""
        return sum(r[0] == source.value for r in self._rows)

    def frame(self) -> pd.DataFrame:
        """One row per rejection, columns :data:`REJECTION_COLUMNS`."""
        df = pd.DataFrame(self._rows, columns=list(REJECTION_COLUMNS))
        return df.astype(object).where(df.notna(), None) if len(df) else df


def fmt_pct(x: float | np.floating) -> str:
    """A fraction as a percent with one decimal: 0.0312 -> '3.1%'."""
    return f"{100 * float(x):.1f}%"

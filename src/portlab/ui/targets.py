"""Target weights as the rebalance request the engine takes.

A person (dragging the allocation editor's bars) or the optimizer (its chosen weights) gives
*target* weights; :class:`portlab.Coordinator` takes *rebalance requests*. These two functions
turn one into the other without any finance math of their own: the current weights are the
state's at the market's last prices (:meth:`PortfolioState.weights`), and the request lists the
move from each current weight to its target; the engine sizes, limits and rounds the trades.
Used by :class:`portlab.widgets.AllocationEditor` and :meth:`PolicyModel.set_targets
<portlab.ui.PolicyModel.set_targets>`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from portlab.events import (
    InstrumentAdjustment,
    RebalanceConstraints,
    RebalanceRequestEvent,
    RebalanceType,
)
from portlab.exceptions import ValidationError
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = ["PORTFOLIO_ID", "UNCHANGED", "current_weights", "target_request"]

#: a target closer than this to the current weight (fraction of NAV) is no adjustment
UNCHANGED = 1e-9

#: ``portfolio_id`` of the requests built from target weights
PORTFOLIO_ID = "allocation-editor"


def current_weights(state: PortfolioState, market: Market) -> pd.Series:
    """Signed weights (fractions of NAV) of every instrument of ``market`` and of ``state``.

    Taken from :meth:`PortfolioState.weights` at the market's last prices; an instrument not
    held weighs 0. Indexed by ``instrument_id``, ordered by sector then instrument.

    Examples
    --------
    >>> from portlab.datasets import example_batch, load_sample
    >>> weights = current_weights(example_batch().state, load_sample())
    >>> len(weights), round(float(weights["MSFT"]), 4), float(weights["LLY"])
    (20, 0.0607, 0.0)
    """
    held = state.weights(market.last_prices)
    sectors = market.sectors
    ids = list(dict.fromkeys([*sectors.index, *held.index]))
    frame = pd.DataFrame(
        {
            "sector": [str(sectors.get(i, "Unknown")) for i in ids],
            "weight": held.reindex(ids).fillna(0.0).to_numpy(),
        },
        index=pd.Index(ids, name="instrument_id"),
    )
    frame = frame.sort_values(["sector", "instrument_id"], kind="stable")
    return frame["weight"].rename("weight")


def target_request(
    targets: Mapping[str, float],
    current: pd.Series,
    *,
    timestamp: pd.Timestamp | str,
    max_turnover: float = 1.0,
    min_trade_size: float = 0.0,
) -> RebalanceRequestEvent | None:
    """A rebalance request moving ``current`` weights to ``targets``.

    Parameters
    ----------
    targets : mapping of str to float
        Target weight per instrument, fractions of NAV; instruments left out keep their
        current weight.
    current : Series
        Current weight per instrument (fractions of NAV), e.g. :func:`current_weights`.
    timestamp : Timestamp or str
        Time of the request (UTC).
    max_turnover : float, default 1.0
        The request's largest one-way turnover, a fraction of NAV (1.0 is 100%).
    min_trade_size : float, default 0
        The request's smallest trade, in currency (0: none).

    Returns
    -------
    RebalanceRequestEvent or None
        One ``InstrumentAdjustment`` per instrument whose target differs from its current
        weight (by more than :data:`UNCHANGED`), in the order of ``current`` (then of
        ``targets``); None when nothing changes.

    Raises
    ------
    ValidationError
        A target that is not a finite number, naming the instrument.

    Examples
    --------
    >>> current = pd.Series({"AAPL": 0.03, "LLY": 0.0})
    >>> request = target_request({"LLY": 0.02}, current, timestamp="2022-12-30")
    >>> [(a.instrument_id, a.target_weight) for a in request.instrument_adjustments]
    [('LLY', 0.02)]
    >>> target_request({"AAPL": 0.03}, current, timestamp="2022-12-30") is None
    True
    """
    ids = list(dict.fromkeys([*current.index, *targets]))
    adjustments = []
    for iid in ids:
        now = float(current.get(iid, 0.0))
        target = float(targets.get(iid, now))
        if not math.isfinite(target):
            raise ValidationError(
                f"target_weights[{str(iid)!r}]: expected a finite weight (fraction of NAV), "
                f"got {target!r}"
            )
        if abs(target - now) > UNCHANGED:
            adjustments.append(
                InstrumentAdjustment(
                    instrument_id=str(iid),
                    current_weight=now,
                    target_weight=target,
                    adjustment_needed=target - now,
                )
            )
    if not adjustments:
        return None
    return RebalanceRequestEvent(
        timestamp=pd.Timestamp(timestamp).isoformat(),
        portfolio_id=PORTFOLIO_ID,
        rebalance_type=RebalanceType.TACTICAL,
        target_adjustments=adjustments,
        constraints=RebalanceConstraints(
            max_turnover=max_turnover,
            min_trade_size=min_trade_size,
            execution_timeframe="1_day",
        ),
    )

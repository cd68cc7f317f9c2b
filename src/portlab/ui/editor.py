"""What the allocation editor's front end shows beside its bars (``widgets/allocation_editor.js``):
the engine's decisions and rejections as short text rows, for the notebook widget
(:class:`portlab.widgets.AllocationEditor`) and the console's component alike.

Examples
--------
>>> import portlab
>>> from portlab.datasets import example_batch, load_sample
>>> batch = example_batch()
>>> result = portlab.Coordinator().coordinate(batch.signals, batch.state, load_sample())
>>> decision_rows(result.decisions)[0]["instrument"], sorted(decision_rows(result.decisions)[0])
('AAPL', ['action', 'amount', 'instrument', 'reasoning', 'shares'])
"""

from __future__ import annotations

import pandas as pd

__all__ = ["decision_rows", "rejection_rows"]


def decision_rows(decisions: pd.DataFrame) -> list[dict[str, str]]:
    """One row per decision (``CoordinationResult.decisions``): instrument, action, shares
    (``"1,389"``), amount (``"$34,027"``) and the engine's reasoning, as text."""
    return [
        {
            "instrument": str(d.instrument_id),
            "action": str(d.action),
            "shares": f"{round(d.share_quantity):,}",
            "amount": f"${d.trade_amount:,.0f}",
            "reasoning": str(d.reasoning),
        }
        for d in decisions.itertuples(index=False)
    ]


def rejection_rows(rejections: pd.DataFrame) -> list[dict[str, str]]:
    """One row per rejection (``CoordinationResult.rejections``): the instrument and the
    reason with its rule and detail (``"NO_CAPACITY (position): ..."``)."""
    rows = []
    for r in rejections.itertuples(index=False):
        reason = str(r.reason) + (f" ({r.rule})" if isinstance(r.rule, str) and r.rule else "")
        if isinstance(r.detail, str) and r.detail:
            reason += f": {r.detail}"
        rows.append({"instrument": str(r.instrument_id), "reason": reason})
    return rows

"""Sizing methods side by side: the same signal and the same batch coordinated under each
:class:`~portlab.SizingMethod`, everything else unchanged (the sizing what-if's comparison).

Examples
--------
>>> from portlab import Coordinator
>>> from portlab.datasets import example_batch, load_sample
>>> b = example_batch()
>>> table = compare_methods(Coordinator(), b.signals[:1], b.signals, b.state, load_sample(),
...                         signal_id="sig-001")
>>> list(table.index)
['KELLY', 'FIXED_FRACTIONAL', 'EQUAL_WEIGHT', 'VOLATILITY_TARGET', 'RISK_PARITY']
>>> list(table.columns)
['target', 'size', 'shares', 'amount', 'outcome', 'batch_decisions', 'batch_traded']
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import param

from portlab.engine import CoordinationResult, Coordinator, SizingConfig, SizingMethod
from portlab.market import Market
from portlab.types import RequestsLike, StateLike
from portlab.ui.coordination import configured

__all__ = ["METHOD_COLUMNS", "compare_methods", "method_label", "method_settings"]

#: columns of :func:`compare_methods`
METHOD_COLUMNS = (
    "target",
    "size",
    "shares",
    "amount",
    "outcome",
    "batch_decisions",
    "batch_traded",
)


def method_settings() -> tuple[param.Selector, param.Number, param.Number]:
    """The sizing-method settings a view-model exposes (``method``, ``fixed_fraction``,
    ``risk_target``; :class:`~portlab.SizingConfig`'s defaults and ranges), new parameters for
    each class that declares them (``method, fixed_fraction, risk_target = method_settings()``).
    """
    default = SizingConfig()
    return (
        param.Selector(
            objects=list(SizingMethod),
            default=default.method,
            doc="How each signal's target exposure is set (SizingConfig.method).",
        ),
        param.Number(
            default.fixed_fraction,
            bounds=(0.0, 1.0),
            inclusive_bounds=(False, True),
            softbounds=(0.0, 0.2),
            step=0.005,
            doc="FIXED_FRACTIONAL: exposure per signal at confidence 1, fraction of NAV.",
        ),
        param.Number(
            default.risk_target,
            bounds=(0.0, 1.0),
            inclusive_bounds=(False, True),
            softbounds=(0.0, 0.1),
            step=0.005,
            doc="VOLATILITY_TARGET: each position's annualised volatility, fraction of NAV.",
        ),
    )


def method_label(method: Any) -> str:
    """A sizing method as it reads on a page (``"EQUAL_WEIGHT"`` -> ``"Equal weight"``).

    >>> method_label("VOLATILITY_TARGET")
    'Volatility target'
    """
    return SizingMethod(str(method)).label


def compare_methods(
    coordinator: Coordinator,
    signals: Any,
    batch: Any,
    state: StateLike,
    market: Market,
    rebalance_requests: RequestsLike = None,
    *,
    signal_id: str,
) -> pd.DataFrame:
    """One signal and one batch coordinated under every sizing method.

    Parameters
    ----------
    coordinator : Coordinator
        Its settings, except the sizing method, are kept (not modified).
    signals : signals
        What the signal is coordinated with (the signal alone, or a batch holding it).
    batch : signals
        The whole batch, for the batch columns.
    state, market, rebalance_requests
        As for :meth:`Coordinator.coordinate`.
    signal_id : str
        The signal whose sizing the row shows.

    Returns
    -------
    DataFrame
        Indexed by method (in :class:`~portlab.SizingMethod` order), columns
        :data:`METHOD_COLUMNS`: ``target`` the method's target exposure for the signal's
        instrument (fraction of NAV; NaN when the signal never reached sizing), ``size`` the
        decision's size (fraction of NAV, 0 without one), its ``shares`` and ``amount``
        (currency), ``outcome`` (DECIDED or the rejection reason), and for the batch its
        number of decisions and the NAV it trades (sum of the decisions' sizes, fraction of
        NAV).
    """
    rows = {}
    for method in SizingMethod:
        run = configured(coordinator, sizing={"method": method})
        one = run.coordinate(signals, state, market, rebalance_requests)
        whole = run.coordinate(batch, state, market, rebalance_requests)
        rows[method.value] = {
            **_signal_row(one, signal_id),
            "batch_decisions": whole.n_decisions,
            "batch_traded": float(whole.decisions["position_size"].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(METHOD_COLUMNS))


def _signal_row(result: CoordinationResult, signal_id: str) -> dict[str, Any]:
    decisions = result.decisions
    mine = decisions[[signal_id in ids for ids in decisions["signal_ids"]]]
    if len(mine):
        d = mine.iloc[0]
        waterfall = result.waterfall
        target = waterfall.loc[waterfall["instrument_id"] == d["instrument_id"], "target_size"]
        return {
            "target": float(target.iloc[0]),
            "size": float(d["position_size"]),
            "shares": float(d["share_quantity"]),
            "amount": float(d["trade_amount"]),
            "outcome": "DECIDED",
        }
    rejected = result.rejections[
        (result.rejections["source"] == "SIGNAL") & (result.rejections["id"] == signal_id)
    ]
    reason = str(rejected["reason"].iloc[0]) if len(rejected) else ""
    target = float("nan")
    if len(rejected) and reason not in ("INVALID", "NO_EDGE", "UNKNOWN_INSTRUMENT"):
        waterfall = result.waterfall
        hit = waterfall.loc[
            waterfall["instrument_id"] == rejected["instrument_id"].iloc[0], "target_size"
        ]
        target = float(hit.iloc[0]) if len(hit) else float("nan")
    return {"target": target, "size": 0.0, "shares": 0.0, "amount": 0.0, "outcome": reason}

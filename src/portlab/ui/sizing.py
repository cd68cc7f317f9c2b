"""The sizing what-if's view-model: one signal, its inputs and the sizing settings, and how
the engine sizes it step by step.

The signal is one of the batch's (``signal_id``; its fields become the starting values of
the inputs) or a signal typed from scratch (``signal_id=None``). The engine coordinates it
alone, with the batch's rebalance requests (so a matching request blends in), or inside the
whole batch in place of the original (:class:`SizingContext`).

Examples
--------
>>> from portlab.ui import SizingModel
>>> model = SizingModel(signal_id="sig-003")            # LLY, BUY, with a 3% rebalance target
>>> model.confidence, model.price_target, model.stop_price
(0.74, 380.53, 344.94)
>>> list(model.result.steps["step"])
['Kelly (raw)', 'Kelly target', 'wanted trade', 'policy limits', 'correlation', 'rebalance blend', 'minimum size', 'allocation', 'risk loop', 'final']
>>> model.set(kelly_multiplier=0.25, correlation_penalty=0.0)
>>> int(model.result.shares) > 0, model.result.decision["instrument_id"]
(True, 'LLY')
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import param

from portlab.engine import CoordinationResult, Coordinator, SizingMethod
from portlab.events import (
    SIGNAL_COLUMNS,
    Action,
    TradingSignalEvent,
    parse_signals,
    signals_to_frame,
)
from portlab.exceptions import ValidationError
from portlab.formatting import format_value
from portlab.ui.base import ViewModel
from portlab.ui.codegen import coordinator_code, literal, script
from portlab.ui.coordination import configured
from portlab.ui.methods import compare_methods, method_label, method_settings

__all__ = [
    "SIGNAL_FIELDS",
    "STEP_COLUMNS",
    "TYPED_SIGNAL_ID",
    "SizingContext",
    "SizingModel",
    "SizingOutcome",
    "sizing_steps",
]

#: the fields of the signal a person can change (columns of ``signals_to_frame``)
SIGNAL_FIELDS = (
    "instrument_id",
    "action",
    "confidence",
    "success_probability",
    "price_target",
    "stop_price",
    "expected_return",
)
#: the sizing settings the model exposes (:class:`~portlab.SizingConfig` fields)
_SIZING_VALUES = (
    "method",
    "fixed_fraction",
    "risk_target",
    "kelly_multiplier",
    "max_kelly_fraction",
    "correlation_penalty",
    "rebalance_blend",
)
#: ``signal_id`` of a signal typed from scratch
TYPED_SIGNAL_ID = "what-if"
#: columns of :func:`sizing_steps`
STEP_COLUMNS = ("step", "size", "rule")

#: the label of the sizing method's step, after the Kelly target under any other method than
#: KELLY: "target: " and the method (``target: Equal weight``)
_METHOD_STEP = "target: {method}"

# (step label, waterfall column of the size after it, waterfall column naming its rule)
_STEPS = (
    ("Kelly (raw)", "kelly_raw", None),
    ("Kelly target", "kelly", None),
    (_METHOD_STEP, "target_size", None),
    ("wanted trade", "signal_trade", None),
    ("policy limits", "policy_constrained", "binding_rule"),
    ("correlation", "correlation_adjusted", None),
    ("rebalance blend", "blended", None),
    ("minimum size", "sized", None),
    ("allocation", "allocated", "allocation_binding"),
    ("risk loop", "risk_adjusted", None),
    ("market impact", "impact_size", None),
    ("final", "final_size", "trimmed_by"),
)


def _moved(row: pd.Series, before: str, after: str) -> bool:
    a, b = row.get(before), row.get(after)
    return a is not None and b is not None and abs(float(a) - float(b)) > 1e-15


class SizingContext(enum.StrEnum):
    """What the signal is coordinated with."""

    SIGNAL_ONLY = "SIGNAL_ONLY"  #: the signal alone
    WITH_REBALANCE = "WITH_REBALANCE"  #: the signal and the batch's rebalance requests
    WITH_BATCH = "WITH_BATCH"  #: the whole batch, the signal in place of the original


def sizing_steps(row: pd.Series) -> pd.DataFrame:
    """The sizing steps of one waterfall row as a table, in pipeline order.

    Parameters
    ----------
    row : Series
        One row of ``CoordinationResult.waterfall``.

    Returns
    -------
    DataFrame
        :data:`STEP_COLUMNS`: the ``step``; the ``size`` after it (fraction of NAV; the raw
        Kelly fraction, the Kelly target and, under another sizing method than KELLY, the
        method's target (``target: Equal weight``) are target exposures, the later steps the
        trade); the ``rule`` that cut the size at that step ('' when the step did not cut it): the
        tightest policy limit, the batch limit that cut the allocation, the final check that trimmed
        it; ``min_position_size`` when the minimum size raised it. A candidate dropped along
        the way (its ``outcome`` says why) has NaN sizes after the step that dropped it.
    """
    rows = []
    before = math.nan
    method = SizingMethod(str(row.get("sizing_method") or SizingMethod.KELLY))
    for label, column, rule_column in _STEPS:
        if column == "impact_size" and not _moved(row, "risk_adjusted", column):
            continue  # the market impact limit shrank nothing: no step
        if label == _METHOD_STEP:
            if method is SizingMethod.KELLY:  # the Kelly target is the method's
                continue
            label = label.format(method=method_label(method))
        size = math.nan if row.get(column) is None else float(row[column])
        rule = str(row[rule_column] or "") if rule_column else ""
        if rule and not size < before:  # the rule names a cap that did not cut this trade
            rule = ""
        if column == "sized" and bool(row["min_size_applied"]):
            rule = "min_position_size"
        rows.append((label, size, rule))
        before = size
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


@dataclass(frozen=True)
class SizingOutcome:
    """How the engine sized the signal.

    Attributes
    ----------
    coordination : CoordinationResult
    coordinator : Coordinator
        The coordinator of the model's settings.
    signal : DataFrame
        The signal as coordinated: one row, columns of :data:`portlab.events.SIGNAL_COLUMNS`.
    signals : DataFrame
        Every signal coordinated (the signal alone, or the batch with it).
    waterfall : DataFrame
        The rows of ``coordination.waterfall`` on the signal's instrument (one candidate per
        instrument; under a conflict it is the winner's).
    steps : DataFrame
        :func:`sizing_steps` of the first of them (empty when the signal never reached
        sizing: invalid, HOLD, no edge).
    decision : Series or None
        The decision the signal ended in, if any.
    rejection : Series or None
        Its rejection otherwise (``reason``, ``rule``, ``detail``, ``winner_id``).
    shares : float
        Shares of the decision (0 without one).
    amount : float
        Its trade amount, currency (0 without one).
    reasoning : str
        The decision's reasoning, or the rejection's reason and detail.
    methods : DataFrame or None
        With ``compare``: :func:`~portlab.ui.methods.compare_methods`, the signal and the
        batch under every sizing method; None otherwise.
    """

    coordination: CoordinationResult
    coordinator: Coordinator
    signal: pd.DataFrame
    signals: pd.DataFrame
    waterfall: pd.DataFrame
    steps: pd.DataFrame
    decision: pd.Series | None
    rejection: pd.Series | None
    shares: float
    amount: float
    reasoning: str
    methods: pd.DataFrame | None = None


def _frame(signals: Any) -> pd.DataFrame:
    """The signals as a DataFrame of :data:`SIGNAL_COLUMNS` (a DataFrame is used as given).

    Raises
    ------
    ValidationError
        A DataFrame without a ``signal_id`` column (a signal is chosen by its id).
    """
    if isinstance(signals, pd.DataFrame):
        if "signal_id" not in signals.columns:
            raise ValidationError(
                "signals: the sizing what-if chooses a signal by its id; give the DataFrame "
                "a signal_id column"
            )
        return signals
    if signals is None:
        return signals_to_frame([])
    items = list(signals)
    if not all(isinstance(s, TradingSignalEvent) for s in items):
        items = parse_signals(items).events
    return signals_to_frame(items)


def _value(x: Any) -> Any:
    """A frame cell as a setting value: NaN and missing as None, numpy scalars as Python."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    return x.item() if isinstance(x, np.generic) else x


class SizingModel(ViewModel):
    """Sizing what-if: one signal's inputs and the sizing settings → its sizing waterfall.

    Parameters
    ----------
    signal_id : str or None
        A signal of the batch (default: the first), or None for a signal typed from scratch
        (instrument, action and the other fields as set; ``signal_id`` ``"what-if"``, stamped
        at the market's last date).
    **kwargs
        As :class:`~portlab.ui.base.ViewModel` (inputs, ``coordinator``) and the settings.

    Result (:class:`SizingOutcome`): the sizing steps, shares, amount and reasoning.
    """

    signal_id = param.Selector(
        default=None, objects=[None], doc="The batch's signal to size (None: a typed signal)."
    )
    instrument_id = param.Selector(default=None, objects=[None], doc="The instrument.")
    action = param.Selector(
        default=Action.BUY, objects=list(Action), doc="BUY, SELL (or HOLD: no trade)."
    )
    confidence = param.Number(0.7, bounds=(0.0, 1.0), step=0.01, doc="Confidence, a probability.")
    success_probability = param.Number(
        0.6,
        bounds=(0.0, 1.0),
        allow_None=True,
        step=0.01,
        doc="Chance of reaching the price target (None: not given).",
    )
    price_target = param.Number(
        None,
        bounds=(0.0, None),
        inclusive_bounds=(False, True),
        allow_None=True,
        doc="Price expected at the horizon, currency (None: not given).",
    )
    stop_price = param.Number(
        None,
        bounds=(0.0, None),
        inclusive_bounds=(False, True),
        allow_None=True,
        doc="Price at which the trade is abandoned, currency (None: no stop).",
    )
    expected_return = param.Number(
        0.03,
        allow_None=True,
        softbounds=(-0.2, 0.2),
        step=0.005,
        doc="Expected return over the horizon, signed fraction (None: not given).",
    )
    method, fixed_fraction, risk_target = method_settings()
    kelly_multiplier = param.Number(
        1.0, bounds=(0.0, 2.0), inclusive_bounds=(False, True), step=0.05, doc="Fractional Kelly."
    )
    max_kelly_fraction = param.Number(
        0.25,
        bounds=(0.0, 1.0),
        inclusive_bounds=(False, True),
        step=0.01,
        doc="Kelly cap, fraction of NAV.",
    )
    correlation_penalty = param.Number(
        0.5, bounds=(0.0, 1.0), step=0.05, doc="Size factor 1 - penalty x max(0, correlation)."
    )
    rebalance_blend = param.Number(
        0.5, bounds=(0.0, 1.0), step=0.05, doc="Weight of a matching rebalance request's size."
    )
    context = param.Selector(
        default=SizingContext.WITH_REBALANCE,
        objects=list(SizingContext),
        doc="Coordinate the signal alone, with the rebalance requests, or in the batch.",
    )
    compare = param.Boolean(
        False,
        doc="Also size the signal and the batch under every sizing method "
        "(SizingOutcome.methods; ten more coordinations per change).",
    )

    SETTINGS: ClassVar[tuple[str, ...]] = (
        "signal_id",
        *SIGNAL_FIELDS,
        *_SIZING_VALUES,
        "context",
        "compare",
    )

    # -- settings -----------------------------------------------------------------------------

    def _load_settings(self) -> None:
        sizing = self.coordinator.sizing
        self.param.update(**{n: getattr(sizing, n) for n in _SIZING_VALUES})

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        self._refresh_choices()
        ids = self.param["signal_id"].objects
        chosen = settings.pop("signal_id", ids[1] if len(ids) > 1 else None)
        self.signal_id = chosen
        self._load_signal(skip=set(settings))
        return settings

    def _sync(self, changed: set[str]) -> None:
        super()._sync(changed)
        if changed & {"signals", "market"}:
            self._refresh_choices()
            ids = self.param["signal_id"].objects
            if self.signal_id not in ids:
                self.signal_id = ids[1] if len(ids) > 1 else None
                changed = changed | {"signal_id"}
        if changed & {"signal_id", "signals"}:
            self._load_signal(skip=changed)

    def _refresh_choices(self) -> None:
        self._signal_frame = _frame(self.signals)
        ids = [str(i) for i in self._signal_frame["signal_id"]]
        self.param["signal_id"].objects = [None, *ids]
        names = [str(i) for i in self.market.instruments]
        self.param["instrument_id"].objects = names
        if self.instrument_id not in names:
            self.instrument_id = names[0]

    def _load_signal(self, skip: set[str]) -> None:
        """The selected signal's fields as the settings (except those in ``skip``)."""
        if self.signal_id is None:
            return
        frame = self._signal_frame
        row = frame.loc[frame["signal_id"] == self.signal_id].iloc[0]
        values = {f: _value(row.get(f)) for f in SIGNAL_FIELDS if f not in skip}
        if values.get("instrument_id") not in (None, *self.param["instrument_id"].objects):
            self.param["instrument_id"].objects = [
                *self.param["instrument_id"].objects,
                values["instrument_id"],
            ]
        with self.batched():
            for name, value in values.items():
                try:
                    setattr(self, name, value)
                except ValueError:
                    raise ValidationError(
                        f"signal {self.signal_id}: {name} {format_value(value)} is outside the "
                        "values the what-if can show; the engine rejects such a signal as INVALID"
                    ) from None

    # -- computation ----------------------------------------------------------------------------

    @property
    def _context(self) -> SizingContext:
        return SizingContext(self.context)

    def build_coordinator(self) -> Coordinator:
        """The coordinator of the current sizing settings (ConfigError if invalid)."""
        return configured(self.coordinator, sizing={n: getattr(self, n) for n in _SIZING_VALUES})

    def _edits(self) -> dict[str, Any]:
        """The signal's fields that differ from the selected signal's (all for a typed one)."""
        current = {f: getattr(self, f) for f in SIGNAL_FIELDS}
        current["action"] = None if current["action"] is None else str(current["action"])
        if self.signal_id is None:
            return current
        frame = self._signal_frame
        row = frame.loc[frame["signal_id"] == self.signal_id].iloc[0]
        return {f: v for f, v in current.items() if not _same(_value(row.get(f)), v)}

    def _typed_signal(self) -> dict[str, Any]:
        fields = dict.fromkeys(SIGNAL_COLUMNS)
        fields.update(
            signal_id=TYPED_SIGNAL_ID,
            timestamp=pd.Timestamp(self.market.dates[-1]).tz_localize("UTC"),
        )
        fields.update(self._edits())
        return fields

    def _coordinated_signals(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(the signal, every signal to coordinate, the whole batch with the signal), built
        exactly as :meth:`to_code` writes."""
        frame = self._signal_frame
        if self.signal_id is None:
            signal = pd.DataFrame([self._typed_signal()])
            batch = pd.concat([frame, signal], ignore_index=True)
        else:
            batch = frame.copy()
            row = batch.index[batch["signal_id"] == self.signal_id]
            for column, value in self._edits().items():
                batch.loc[row, column] = value
            signal = batch.loc[row]
        return signal, (batch if self._context is SizingContext.WITH_BATCH else signal), batch

    def _compute(self) -> SizingOutcome:
        if len(self._signal_frame) == 0 and self.signal_id is not None:
            raise ValidationError("no signals to choose from: give signals or type one")
        coordinator = self.build_coordinator()
        signal, signals, batch = self._coordinated_signals()
        requests = None if self._context is SizingContext.SIGNAL_ONLY else self.rebalance_requests
        result = coordinator.coordinate(signals, self.state, self.market, requests)
        sid = str(signal["signal_id"].iloc[0])
        inst = str(signal["instrument_id"].iloc[0])
        waterfall = result.waterfall[result.waterfall["instrument_id"] == inst]
        steps = (
            sizing_steps(waterfall.iloc[0])
            if len(waterfall)
            else pd.DataFrame(columns=list(STEP_COLUMNS))
        )
        decisions = result.decisions
        mine = decisions[[sid in ids for ids in decisions["signal_ids"]]]
        decision = mine.iloc[0] if len(mine) else None
        rejected = result.rejections[
            (result.rejections["source"] == "SIGNAL") & (result.rejections["id"] == sid)
        ]
        rejection = rejected.iloc[0] if len(rejected) else None
        if decision is not None:
            reasoning = str(decision["reasoning"])
        elif rejection is not None:
            reasoning = f"{rejection['reason']}: {rejection['detail']}"
        else:
            reasoning = ""
        methods = None
        if self.compare:
            methods = compare_methods(
                coordinator, signals, batch, self.state, self.market, requests, signal_id=sid
            )
        return SizingOutcome(
            coordination=result,
            coordinator=coordinator,
            signal=signal,
            signals=signals,
            waterfall=waterfall,
            steps=steps,
            decision=decision,
            rejection=rejection,
            shares=float(decision["share_quantity"]) if decision is not None else 0.0,
            amount=float(decision["trade_amount"]) if decision is not None else 0.0,
            reasoning=reasoning,
            methods=methods,
        )

    # -- code -------------------------------------------------------------------------------------

    def _code(self) -> str:
        """The script of :meth:`to_code`: coordinates the signal with the current settings.

        It defines ``coordinator``, ``signals`` (what was coordinated) and ``result``.
        """
        coordinator = self.build_coordinator()
        uses = ["market", "state", "signals"]
        if self._context is not SizingContext.SIGNAL_ONLY:
            uses.append("rebalance_requests")
        imports, inputs = self._inputs_code(uses)
        body = list(coordinator_code(coordinator))
        body += self._signals_code()
        requests = "None" if self._context is SizingContext.SIGNAL_ONLY else "rebalance_requests"
        body.append(f"result = coordinator.coordinate(signals, state, market, {requests})")
        head = ["import pandas as pd", "", "import portlab", *imports]
        if not isinstance(self.signals, pd.DataFrame):
            names = (
                "signals_to_frame" if self._events_given() else "parse_signals, signals_to_frame"
            )
            head.append(f"from portlab.events import {names}")
        return script(head, inputs, body)

    def _events_given(self) -> bool:
        return self.signals is not None and all(
            isinstance(s, TradingSignalEvent) for s in self.signals
        )

    def _signals_code(self) -> list[str]:
        if isinstance(self.signals, pd.DataFrame):
            lines = ["frame = signals"]
        elif self._events_given():
            lines = ["frame = signals_to_frame(signals)"]
        else:
            lines = ["frame = signals_to_frame(parse_signals(signals or []).events)"]
        if self.signal_id is None:
            lines.append(f"signal = pd.DataFrame([{literal(self._typed_signal(), 0, 23)}])")
            if self._context is SizingContext.WITH_BATCH:
                lines.append("signals = pd.concat([frame, signal], ignore_index=True)")
            else:
                lines.append("signals = signal")
            return lines
        lines += [
            "signals = frame.copy()",
            f"row = signals.index[signals['signal_id'] == {self.signal_id!r}]",
        ]
        edits = self._edits()
        if edits:
            lines += [
                f"for column, value in {literal(edits, 0, 23)}.items():",
                "    signals.loc[row, column] = value",
            ]
        if self._context is not SizingContext.WITH_BATCH:
            lines.append("signals = signals.loc[row]")
        return lines


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float | int) and isinstance(b, float | int):
        return float(a) == float(b)
    return str(a) == str(b)

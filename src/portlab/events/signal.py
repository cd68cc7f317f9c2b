"""``TradingSignalEvent``: a pure trading signal from the Trading Decision Workflow.

Wire format (``docs/specification.md`` §1)::

    {
      "eventId": "uuid",
      "timestamp": "2025-06-21T10:30:00.200Z",
      "signal": {"instrument_id": "AAPL", "action": "BUY", "confidence": 0.81,
                 "strength": "STRONG", "signal_score": 0.78},
      "expected_outcomes": {"price_target": 155.25, "expected_return": 0.025,
                            "success_probability": 0.78}
    }

portlab's engine also reads optional extension fields (``signal.strategy_id``,
``signal.urgency``, ``signal.lot_size``, ``expected_outcomes.stop_price``,
``expected_outcomes.horizon_days``); they are written to JSON only when set.

A signal without ``eventId`` gets ``"sig-"`` + 16 hex digits of the SHA-256 of its canonical
JSON (:func:`~portlab.events.content_event_id`): the same signal always gets the same
id, and the same signal given twice in a batch is a duplicate.
"""

from __future__ import annotations

from typing import ClassVar

from portlab.events._types import (
    Action,
    EventBlock,
    EventModel,
    Finite,
    NonEmptyStr,
    Positive,
    PositiveInt,
    Probability,
    Score,
    Strength,
    Urgency,
)

__all__ = ["DEFAULT_STRATEGY", "ExpectedOutcomes", "Signal", "TradingSignalEvent"]

DEFAULT_STRATEGY = "default"
"""Strategy name of a signal that carries no ``strategy_id``."""


class Signal(EventBlock):
    """The ``signal`` block: what to do with which instrument, and how sure.

    Attributes
    ----------
    instrument_id : str
        Instrument identifier (ticker), e.g. ``"AAPL"``.
    action : Action
        ``BUY``, ``SELL`` or ``HOLD``.
    confidence : float
        Confidence of the signal generator, in ``[0, 1]``.
    strength : Strength
        ``WEAK``, ``MODERATE``, ``STRONG`` or ``VERY_STRONG``.
    signal_score : float
        Signed score in ``[-1, 1]`` (positive is bullish).
    strategy_id : str, optional
        Engine extension: the strategy that produced the signal.
    urgency : Urgency, optional
        Engine extension: how soon the signal should be acted on.
    lot_size : int, optional
        Engine extension: trading lot in shares (``>= 1``); share quantities are rounded
        down to whole lots.
    """

    instrument_id: NonEmptyStr
    action: Action
    confidence: Probability
    strength: Strength
    signal_score: Score
    strategy_id: NonEmptyStr | None = None
    urgency: Urgency | None = None
    lot_size: PositiveInt | None = None


class ExpectedOutcomes(EventBlock):
    """The ``expected_outcomes`` block of a signal.

    Attributes
    ----------
    price_target : float
        Target price (quote currency per share, ``> 0``).
    expected_return : float
        Expected return of the trade as a fraction (``0.025`` is 2.5 %).
    success_probability : float
        Probability that the trade reaches its target, in ``[0, 1]``.
    stop_price : float, optional
        Engine extension: stop-loss price (``> 0``), used for the loss estimate.
    horizon_days : float, optional
        Engine extension: expected holding period in days (``> 0``).
    """

    price_target: Positive
    expected_return: Finite
    success_probability: Probability
    stop_price: Positive | None = None
    horizon_days: Positive | None = None


class TradingSignalEvent(EventModel):
    """A trading signal (consumed by the coordination engine).

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON; also the signal's id (:attr:`signal_id`). When not given:
        ``"sig-"`` + 16 hex digits derived from the signal's content.
    timestamp : datetime
        UTC time of the signal.
    signal : Signal
        The signal itself.
    expected_outcomes : ExpectedOutcomes
        Price target, expected return and success probability.

    Examples
    --------
    >>> ev = TradingSignalEvent(
    ...     signal={"instrument_id": "AAPL", "action": "BUY", "confidence": 0.81,
    ...             "strength": "STRONG", "signal_score": 0.78},
    ...     expected_outcomes={"price_target": 155.25, "expected_return": 0.025,
    ...                        "success_probability": 0.78},
    ... )
    >>> ev.instrument_id, ev.action, ev.strategy
    ('AAPL', <Action.BUY: 'BUY'>, 'default')
    >>> ev.event_id
    'sig-976c75c2f042cceb'
    """

    id_prefix: ClassVar[str] = "sig-"

    signal: Signal
    expected_outcomes: ExpectedOutcomes

    @property
    def signal_id(self) -> str:
        """Identifier of the signal (its ``eventId``)."""
        return self.event_id

    @property
    def instrument_id(self) -> str:
        """Instrument the signal is about."""
        return self.signal.instrument_id

    @property
    def action(self) -> Action:
        """``BUY``, ``SELL`` or ``HOLD``."""
        return self.signal.action

    @property
    def strategy(self) -> str:
        """Strategy that produced the signal: ``signal.strategy_id`` or ``"default"``."""
        return self.signal.strategy_id or DEFAULT_STRATEGY

"""``TradeExecutedEvent``: a fill reported by the trade execution side (specification §1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from portlab.events._types import (
    Action,
    EventBlock,
    EventModel,
    NonEmptyStr,
    NonNegative,
    Positive,
    PositiveInt,
)

__all__ = ["Execution", "TradeExecutedEvent"]


def _buy_or_sell(action: Action) -> Action:
    if action is Action.HOLD:
        raise PydanticCustomError("trade_action", "Input should be 'BUY' or 'SELL'")
    return action


TradeAction = Annotated[Action, AfterValidator(_buy_or_sell)]


class Execution(EventBlock):
    """The ``execution`` block: one fill.

    Attributes
    ----------
    instrument_id : str
        Instrument identifier.
    action : Action
        ``BUY`` or ``SELL`` (``HOLD`` is rejected).
    quantity : int
        Shares filled (``> 0``).
    executed_price : float
        Average fill price per share (``> 0``).
    total_amount : float
        Value of the fill in currency (``>= 0``), normally ``quantity * executed_price``.
    """

    instrument_id: NonEmptyStr
    action: TradeAction
    quantity: PositiveInt
    executed_price: Positive
    total_amount: NonNegative


class TradeExecutedEvent(EventModel):
    """A trade execution.

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON.
    timestamp : datetime
        UTC time of the fill.
    execution : Execution
        The fill.
    """

    execution: Execution

    @property
    def instrument_id(self) -> str:
        """Instrument that was traded."""
        return self.execution.instrument_id

    @property
    def signed_quantity(self) -> int:
        """Shares filled, positive for ``BUY`` and negative for ``SELL``."""
        q = self.execution.quantity
        return q if self.execution.action is Action.BUY else -q

"""The workbench's colours, defined once: every chart, table and widget takes them from here.

One colour has one meaning everywhere (DESIGN.md, "Workbench look and feel"):

==================  ======================================================================
colour              meaning
==================  ======================================================================
``NEUTRAL``         a measure within its limit; a step or bar that carries no warning
``AMBER``           near a limit (at least 90% of it), or over a *soft* limit (a warning)
``RED``             over a *hard* limit
``BUY`` / ``SELL``  the two sides of a trade
``BENCHMARK``       the benchmark, always grey
``PORTFOLIO``       the portfolio (its equity curve, its return, the chosen portfolio)
``CURRENT``         the portfolio as held now, before any trade
``ALLOCATION``,     the three Brinson effects, in every attribution chart
``SELECTION``,
``INTERACTION``
==================  ======================================================================

The colours are from the colour-blind-safe sets of Okabe & Ito and ColorBrewer; red and
amber are kept for warnings, so neither side of a trade is red.

:func:`limit_status` classifies a measure against its limit by the rule the engine uses
for its ``*_near_limit`` warnings (:data:`portlab.engine.decisions.NEAR_LIMIT`) and
:attr:`LimitStatus.color` gives its colour.

Examples
--------
>>> limit_status(0.046, 0.05, hard=True)
<LimitStatus.NEAR: 'near limit'>
>>> limit_status(0.0607, 0.05, hard=True).color == Palette.RED
True
>>> limit_status(0.7, 0.6, hard=False).color == Palette.AMBER
True
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from portlab.engine.decisions import NEAR_LIMIT
from portlab.engine.tolerances import SIZE_TOL

__all__ = ["EDITOR_COLORS", "NEAR_LIMIT", "LimitStatus", "Palette", "limit_status", "side_color"]


class Palette(enum.StrEnum):
    """The workbench's colours (hex strings; a member is usable wherever a colour is)."""

    NEUTRAL = "#5b8db8"
    AMBER = "#e69f00"
    RED = "#d62728"
    BUY = "#1b9e77"
    SELL = "#7570b3"
    BENCHMARK = "#9e9e9e"
    PORTFOLIO = "#1f4e79"
    CURRENT = "#404040"
    ALLOCATION = "#56b4e9"
    SELECTION = "#cc79a7"
    INTERACTION = "#a6761d"


#: the colours the allocation editor's front end draws with (``widgets/allocation_editor.js``
#: reads them by these names), for the notebook widget and the console alike
EDITOR_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "neutral": str(Palette.NEUTRAL),
        "amber": str(Palette.AMBER),
        "red": str(Palette.RED),
        "current": str(Palette.CURRENT),
        "buy": str(Palette.BUY),
        "sell": str(Palette.SELL),
    }
)


class LimitStatus(enum.StrEnum):
    """Where a measure stands against its limit."""

    WITHIN = "within limit"
    NEAR = "near limit"
    OVER_SOFT = "over soft limit"
    OVER_HARD = "over hard limit"

    @property
    def color(self) -> Palette:
        """NEUTRAL within, AMBER near or over a soft limit, RED over a hard limit."""
        return _STATUS_COLOR[self]

    @property
    def icon(self) -> str:
        """A warning sign for a limit exceeded (soft or hard), else ``""``."""
        return "\u26a0" if self in (LimitStatus.OVER_SOFT, LimitStatus.OVER_HARD) else ""


_STATUS_COLOR = {
    LimitStatus.WITHIN: Palette.NEUTRAL,
    LimitStatus.NEAR: Palette.AMBER,
    LimitStatus.OVER_SOFT: Palette.AMBER,
    LimitStatus.OVER_HARD: Palette.RED,
}


def limit_status(value: float, limit: float, *, hard: bool) -> LimitStatus:
    """Where ``value`` stands against ``limit``.

    Parameters
    ----------
    value : float
        The measure (a fraction of NAV, an annualised volatility or a leverage multiple),
        in the limit's unit.
    limit : float
        The limit, > 0.
    hard : bool
        Whether the limit is hard.

    Returns
    -------
    LimitStatus
        ``OVER_HARD`` / ``OVER_SOFT`` above ``limit`` (beyond the engine's size tolerance,
        :data:`portlab.engine.tolerances.SIZE_TOL`), ``NEAR`` at or above
        ``NEAR_LIMIT × limit`` (90%, with the same tolerance: 4.5% of a 5% limit is near it
        although ``0.9 * 0.05`` is ``0.045000000000000005``), ``WITHIN`` otherwise (also for
        NaN).
    """
    if value > limit + SIZE_TOL:
        return LimitStatus.OVER_HARD if hard else LimitStatus.OVER_SOFT
    if value >= NEAR_LIMIT * limit - SIZE_TOL:
        return LimitStatus.NEAR
    return LimitStatus.WITHIN


def side_color(action: str | None) -> Palette:
    """``BUY`` or ``SELL`` colour of a trade's action (``"BUY"``/``"SELL"``); NEUTRAL otherwise."""
    if action == "BUY":
        return Palette.BUY
    if action == "SELL":
        return Palette.SELL
    return Palette.NEUTRAL

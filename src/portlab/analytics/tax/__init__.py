"""Tax lots, cost basis, realized and unrealized gains, loss harvesting and wash sales
(specification §13, "Tax lots").

A :class:`LotLedger` records every purchase as a lot and relieves lots on each sale by FIFO,
LIFO, highest cost or specific lots; :func:`harvest_candidates` lists lots worth selling for
their loss, flagging wash-sale risk; :func:`wash_sales` finds wash sales in a trade history.

Conventions
-----------
* Quantities are share counts (fractional allowed). **Long positions only**: a sale of more
  shares than held raises :class:`~portlab.exceptions.ValidationError` (short sales, whose
  holding period depends on the shares delivered to close them, are not supported).
* Prices, amounts, fees, gains are in currency; fractions (``loss_fraction``) are not percent.
* Dates are calendar days; times are dropped and a timezone-aware time is read in its own zone.
  Trades must come in date order: each update's dates are ``>=`` the ledger's last date (a
  table or list of events is sorted by date first, stably, so same-day trades keep their order).
* **Cost basis** of a lot = ``quantity * price + fees + wash-sale adjustment``: purchase fees
  are capitalised into the lot, sale fees reduce proceeds; both are split pro rata by shares.
  A fee implied by an event's ``total_amount`` may be negative by up to a cent (totals rounded
  to cents) and is kept as is, so cash flows match PortfolioState exactly.
  ``gain = proceeds - cost_basis``; ``recognized_gain = gain + wash_sale_disallowed``.
* **Holding period**: a gain is LONG-term when the sale date is after the one-year anniversary
  of the holding-period start (bought 2020-03-15: sold 2021-03-15 is SHORT, 2021-03-16 LONG;
  bought 2020-02-29: 2021-02-28 is SHORT, 2021-03-01 LONG). ``holding_days`` is calendar days
  from the holding-period start to the sale (or ``as_of``).
* **Wash sale** (:data:`WASH_SALE_WINDOW_DAYS` = 30): a loss sale is washed by purchases of
  the same instrument from 30 days before to 30 days after the sale date, inclusive (so a
  repurchase 30 days later washes, 31 days later does not). Loss shares are matched to
  replacement shares oldest purchase first, each replacement share used once; the loss on the
  matched shares is disallowed (``loss per share * matched shares``) and **added to the cost
  basis of the replacement shares**, which are split off into their own lot whose holding
  period also starts earlier by the sold shares' holding days. Shares of the same purchase as
  the sold shares are not replacements (Rev. Rul. 56-602). Simplification: a purchase in the
  window that was already sold again before the loss sale is not counted as a replacement.

Invariants (property-tested): lot quantities per instrument equal the net traded quantity
(and :class:`portlab.state.PortfolioState` quantities fed the same trades); for any trade
sequence ``sum(recognized_gain) + sum(unrealized_gain) == market value + proceeds -
purchases`` where purchases include fees and proceeds are net of fees (:attr:`cash_flow` =
``proceeds - purchases`` equals PortfolioState's change in cash).

The ledger is in :mod:`._ledger`, the lot engine (relief orders, the wash-sale replay) in
:mod:`._lots`, the reading of trade tables and events in :mod:`._io`, loss harvesting in
:mod:`._harvest`.
"""

from portlab.analytics.tax._harvest import HarvestLevel, harvest_candidates
from portlab.analytics.tax._ledger import LotLedger, wash_sales
from portlab.analytics.tax._lots import WASH_SALE_WINDOW_DAYS, LotMethod, Term

__all__ = [
    "WASH_SALE_WINDOW_DAYS",
    "HarvestLevel",
    "LotLedger",
    "LotMethod",
    "Term",
    "harvest_candidates",
    "wash_sales",
]

"""The adaptation a view-model applies: what a decision journal's realized outcomes teach by the
market's last close (:func:`portlab.engine.learning.current_state`), and the adaptation as a
table a front end shows.

Examples
--------
>>> from portlab import Coordinator
>>> from portlab.datasets import load_sample
>>> from portlab.engine import AdaptiveConfig
>>> state = learned_state(AdaptiveConfig(), None, load_sample(), Coordinator())
>>> state.neutral, adaptation_rows(state).empty   # no journal: nothing learned
(True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from portlab.engine import AdaptiveConfig, AdaptiveState, Coordinator
from portlab.market import Market

__all__ = ["ADAPTATION_COLUMNS", "adaptation_rows", "learned_state"]

#: columns of :func:`adaptation_rows`
ADAPTATION_COLUMNS = (
    "strategy_id",
    "calibration",
    "kelly_scale",
    "tier_shift",
    "n_outcomes",
    "stated_p",
    "hit_rate",
    "significant",
)


def learned_state(
    config: AdaptiveConfig,
    journal: Any,
    market: Market,
    coordinator: Coordinator,
) -> AdaptiveState:
    """What ``journal``'s realized outcomes teach under ``config`` by the market's last close.

    Parameters
    ----------
    config : AdaptiveConfig
    journal : Journal, str, Path or None
        A :class:`portlab.journal.Journal`, or the SQLite file / ``postgresql://`` URL of an
        existing one (opened for the read, then closed); None: nothing has been learned (the
        neutral state).
    market : Market
        Prices the decisions are marked to; its last date is the "now" of the learning.
    coordinator : Coordinator
        Its registered strategies (their stated tiers) and default signal horizon.

    Raises
    ------
    JournalError
        The journal cannot be opened or read.
    """
    from portlab.engine.learning import current_state

    if journal is None:
        return AdaptiveState(config)
    close = market.dates[-1]
    close = close.tz_localize("UTC") if close.tzinfo is None else close
    args = (market, close, coordinator.strategies, coordinator.sizing.default_horizon_days)
    if isinstance(journal, str | Path):
        from portlab.journal import open_existing

        with open_existing(journal) as opened:
            state = current_state(config, opened, *args)
    else:
        state = current_state(config, journal, *args)
    assert state is not None  # a config, not None, was given
    return state


def adaptation_rows(state: AdaptiveState | None) -> pd.DataFrame:
    """One row per strategy with evidence: the adaptation applied and what it rests on
    (:data:`ADAPTATION_COLUMNS`; multiples, a tier count, probabilities as fractions). Empty
    for None or a state without outcomes."""
    if state is None or not state.entries:
        return pd.DataFrame(columns=list(ADAPTATION_COLUMNS))
    table = state.table().reset_index()
    return table.loc[:, list(ADAPTATION_COLUMNS)]

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

import numpy as np
import pandas as pd

from portlab.engine import AdaptiveConfig, AdaptiveState, Coordinator
from portlab.market import Market

__all__ = ["ADAPTATION_COLUMNS", "adaptation_note", "adaptation_rows", "learned_state"]

#: columns of :func:`adaptation_rows`
ADAPTATION_COLUMNS = (
    "strategy_id",
    "calibration",
    "kelly_scale",
    "tier_shift",
    "n_outcomes",
    "stated_p",
    "hit_rate",
    "beyond_noise",
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
    """One row per strategy with outcomes: the adaptation applied and what it rests on
    (:data:`ADAPTATION_COLUMNS`; multiples, a tier count, probabilities as fractions, NaN
    before a strategy's first update; ``beyond_noise``: "yes" or "no" at its last update, ""
    before it). Empty for None or a state without outcomes."""
    if state is None or not state.entries:
        return pd.DataFrame(columns=list(ADAPTATION_COLUMNS))
    table = state.table().reset_index()
    updated = table["stated_p"].notna().to_numpy()
    beyond = np.where(table["significant"].to_numpy(dtype=bool), "yes", "no")
    table["beyond_noise"] = np.where(updated, beyond, "")
    return table.loc[:, list(ADAPTATION_COLUMNS)]


def adaptation_note(state: AdaptiveState | None, has_journal: bool) -> str:
    """The adaptation a coordination applied, in one sentence: off, nothing learned (and
    why), too few outcomes for an update, within the noise band, or what was applied.

    Examples
    --------
    >>> adaptation_note(None, False)
    'Adaptation off: every strategy sized as it states.'
    >>> adaptation_note(AdaptiveState(), False)
    'Adaptation on, nothing learned: no decision journal to learn from.'
    """
    if state is None:
        return "Adaptation off: every strategy sized as it states."
    if not state.entries:
        why = "no realized outcomes yet" if has_journal else "no decision journal to learn from"
        return f"Adaptation on, nothing learned: {why}."
    moved = [a.describe(name) for name, a in state.entries if not a.neutral]
    if moved:
        return "Applied: " + "; ".join(moved) + "."
    if all(a.evidence is None for _, a in state.entries):
        return (
            f"Too few outcomes for an update (one every {state.config.adaptation_period} "
            "realized outcomes of a strategy): nothing applied."
        )
    return "Every hit rate within the noise band of its stated probability: nothing applied."

"""Conflicts: per instrument, the input that won and the inputs that lost (and to what rule).

Read from the result: a candidate's ``winner_id`` and ``rule`` (:attr:`CoordinationResult.waterfall`),
the signals and adjustments that ended in a decision (``signal_ids``, ``rebalance_ids``) and the
rejections of inputs that lost a conflict (``CONFLICT_LOST``, ``OVERRIDDEN``, ``NETTED_OUT``).
"""

from __future__ import annotations

import enum
from typing import Any

import holoviews as hv
import pandas as pd

from portlab.engine import RejectReason
from portlab.plots._style import BACKEND, TEXT_COLOR, hover, rescaling
from portlab.plots.palette import Palette, side_color

__all__ = ["CONFLICT_COLUMNS", "ConflictRole", "conflict_table", "conflicts"]


class ConflictRole(enum.StrEnum):
    """What became of an input that competed for an instrument."""

    WON = "won"  #: the winner: its size (or side) became the candidate trade
    COMBINED = "combined"  #: aggregated or blended into the winner's trade
    LOST = "lost"  #: lost to the winner (CONFLICT_LOST, OVERRIDDEN)
    NETTED_OUT = "netted out"  #: opposing inputs cancelled, no trade


#: reasons of a rejection that lost a conflict, and the role they give
_LOST = {
    RejectReason.CONFLICT_LOST.value: ConflictRole.LOST,
    RejectReason.OVERRIDDEN.value: ConflictRole.LOST,
    RejectReason.NETTED_OUT.value: ConflictRole.NETTED_OUT,
}

#: instruments the conflicts board shows by default (the most contested), and the inputs a
#: cell names before "+N more" (the tooltip names them all)
MAX_INSTRUMENTS = 15
IDS_SHOWN = 3
#: an id longer than this is broken after its "/" (``rebal-2022-12-28/MSFT``) to fit a cell
ID_CHARS = 12

#: columns of :func:`conflict_table`
CONFLICT_COLUMNS = (
    "instrument_id",
    "id",
    "role",
    "action",
    "strategy_id",
    "confidence",
    "rule",
    "reason",
    "detail",
    "winner_id",
    "outcome",
)


def _signal_info(signals: Any) -> pd.DataFrame:
    """Action, strategy and confidence by signal id (empty without signals)."""
    cols = ["action", "strategy_id", "confidence"]
    if signals is None:
        return pd.DataFrame(columns=cols)
    from portlab.events import signals_to_frame

    frame = signals if isinstance(signals, pd.DataFrame) else signals_to_frame(list(signals))
    key = "signal_id" if "signal_id" in frame.columns else "eventId"
    return frame.drop_duplicates(key).set_index(key).reindex(columns=cols)


def conflict_table(result: Any, signals: Any = None) -> pd.DataFrame:
    """Every input that competed for an instrument with another one, and what became of it.

    Parameters
    ----------
    result : CoordinationResult
    signals : list of TradingSignalEvent or DataFrame, optional
        The batch's signals: gives each input's side, strategy and confidence (else only the
        winner's side, from its decision, and the strategies the rejections name).

    Returns
    -------
    DataFrame, columns :data:`CONFLICT_COLUMNS`
        One row per input (signal or rebalance adjustment) of a conflicted instrument, sorted
        by instrument, winner first: ``role`` (:class:`ConflictRole` value), ``action``
        (``BUY``/``SELL``, None if unknown), ``rule`` (the resolution method), ``reason`` and
        ``detail`` (a loser's rejection), ``winner_id``, ``outcome`` (the candidate's:
        ``DECIDED`` or the reason it was dropped afterwards).
    """
    info = _signal_info(signals)
    wf = result.waterfall
    dec = result.decisions.set_index("instrument_id")
    rej = result.rejections
    rows: list[dict[str, Any]] = []

    # lookups built once: a batch of 1,000 signals must not scan the tables per input
    by_id = info.to_dict("index")
    rejected_ids = {
        key: list(part["id"]) for key, part in rej.groupby(["instrument_id", "reason"], sort=False)
    }
    first_outcome = dict(
        zip(
            wf["instrument_id"].drop_duplicates(),
            wf.drop_duplicates("instrument_id")["outcome"],
            strict=True,
        )
    )

    def known(sid: str, field: str, default: Any = None) -> Any:
        value = by_id.get(sid, {}).get(field)
        if value is not None and value == value:
            return value
        return default

    lost = rej[rej["reason"].isin(list(_LOST))]
    conflicted = wf[wf["conflicted"].astype(bool)]
    for row in conflicted.itertuples(index=False):
        iid, winner = row.instrument_id, row.winner_id
        members: list[str] = []
        if iid in dec.index and row.outcome == "DECIDED":
            d = dec.loc[iid]
            members = [*d["signal_ids"], *d["rebalance_ids"]]
        else:  # dropped after resolution: the inputs rejected with the candidate's outcome
            members = rejected_ids.get((iid, row.outcome), [])
        ordered = [winner, *[m for m in members if m != winner]]
        for sid in ordered:
            won = sid == winner
            role = ConflictRole.WON if won else ConflictRole.COMBINED
            strategy = known(sid, "strategy_id")
            if won and strategy is None and iid in dec.index and sid == dec.at[iid, "signal_id"]:
                strategy = dec.at[iid, "strategy_id"]
            rows.append(
                {
                    "instrument_id": iid,
                    "id": sid,
                    "role": role.value,
                    "action": row.action if won else known(sid, "action"),
                    "strategy_id": strategy,
                    "confidence": float(known(sid, "confidence", float("nan"))),
                    "rule": row.rule or "",
                    "reason": "",
                    "detail": "",
                    "winner_id": winner,
                    "outcome": row.outcome,
                }
            )
    for r in lost.itertuples(index=False):
        rows.append(
            {
                "instrument_id": r.instrument_id,
                "id": r.id,
                "role": _LOST[r.reason].value,
                "action": known(r.id, "action"),
                "strategy_id": r.strategy_id if r.strategy_id else known(r.id, "strategy_id"),
                "confidence": float(known(r.id, "confidence", float("nan"))),
                "rule": r.rule or "",
                "reason": r.reason,
                "detail": r.detail,
                "winner_id": r.winner_id,
                "outcome": first_outcome.get(r.instrument_id, "no trade"),
            }
        )
    table = pd.DataFrame(rows, columns=list(CONFLICT_COLUMNS))
    rank = {role.value: k for k, role in enumerate(ConflictRole)}
    table["_rank"] = table["role"].map(rank)
    table = table.sort_values(["instrument_id", "_rank", "id"], kind="stable")
    return table.drop(columns="_rank").reset_index(drop=True)


def _present(values: pd.Series) -> list[str]:
    """The values that are there (not None, NaN or empty), as text, in order."""
    return [str(v) for v in values if pd.notna(v) and v != ""]


def _cell_color(actions: pd.Series) -> str:
    sides = {a for a in actions if a in ("BUY", "SELL")}
    return str(side_color(sides.pop())) if len(sides) == 1 else str(Palette.NEUTRAL)


def _cell_label(ids: list[str]) -> str:
    """The inputs written in a cell: up to :data:`IDS_SHOWN` (a long id broken after its
    ``/``), then ``+N more``."""
    shown = [i.replace("/", "/\n") if len(i) > ID_CHARS else i for i in ids[:IDS_SHOWN]]
    more = len(ids) - IDS_SHOWN
    return "\n".join(shown + ([f"+{more} more"] if more > 0 else []))


def conflicts(
    result: Any, signals: Any = None, *, max_items: int | None = MAX_INSTRUMENTS
) -> hv.Overlay:
    """Who won and who lost, per instrument that more than one input competed for.

    A board with one row per conflicted instrument and one column per role (won, combined,
    lost, netted out): each cell lists the inputs in that role, coloured by their side (buy
    or sell; neutral when unknown or mixed) and pale for the losers. The tooltip gives the
    strategies, the rule that decided the conflict, the rejection's detail (the winner and
    the priorities compared) and what became of the winning trade.

    Parameters
    ----------
    result : CoordinationResult
    signals : list of TradingSignalEvent or DataFrame, optional
        See :func:`conflict_table`.
    max_items : int or None, default 15
        Show at most this many instruments: those with the most competing inputs (ties by
        instrument name); the title's second line then says how many are shown. None
        shows all.

    Returns
    -------
    holoviews.Overlay
        ``Points`` (one per cell: ``role``, ``instrument_id``, ``ids``, ``strategies``,
        ``rule``, ``detail``, ``outcome``, ``color``, ``alpha``) and ``Labels`` (``label``:
        the ids, at most :data:`IDS_SHOWN` and "+N more"). The most contested instrument
        is at the top.
    """
    table = conflict_table(result, signals)
    counts = table.groupby("instrument_id").size()
    ranked = sorted(counts.index, key=lambda i: (-int(counts[i]), str(i)))
    n_all = len(ranked)
    if max_items is not None and n_all > max_items:
        ranked = ranked[: max(int(max_items), 0)]
        table = table[table["instrument_id"].isin(ranked)]
    cells = []
    for (iid, role), part in table.groupby(["instrument_id", "role"], sort=False):
        cells.append(
            {
                "role": role,
                "instrument_id": iid,
                "ids": "\n".join(part["id"]),
                "label": _cell_label(list(part["id"])),
                "strategies": ", ".join(_present(part["strategy_id"])),
                "actions": ", ".join(_present(part["action"])),
                "rule": ", ".join(sorted({r for r in part["rule"] if r})),
                "detail": "; ".join(d for d in part["detail"] if d),
                "outcome": part["outcome"].iloc[0],
                "color": _cell_color(part["action"]),
                "alpha": 1.0 if role in (ConflictRole.WON, ConflictRole.COMBINED) else 0.4,
            }
        )
    columns = ["role", "instrument_id", "ids", "strategies", "actions", "rule", "detail",
               "outcome", "color", "alpha"]  # fmt: skip
    data = pd.DataFrame(cells, columns=[*columns, "label"])
    roles = [r.value for r in ConflictRole if r.value in set(data["role"])] or [
        ConflictRole.WON.value
    ]
    instruments = [i for i in ranked if i in set(data["instrument_id"])][::-1]  # top down
    vdims = columns[2:]
    points = hv.Points(
        data[columns],
        [hv.Dimension("role", values=roles), hv.Dimension("instrument_id", values=instruments)],
        vdims,
    ).opts(
        marker="square",
        size=58,
        color="color",
        alpha="alpha",
        line_color="color",
        tools=["hover"],
        hover_tooltips=hover(
            [
                ("Instrument", "instrument_id", ""),
                ("Role", "role", ""),
                ("Inputs", "ids", ""),
                ("Sides", "actions", ""),
                ("Strategies", "strategies", ""),
                ("Rule", "rule", ""),
                ("Detail", "detail", ""),
                ("Winning trade", "outcome", ""),
            ]
        ),
        backend=BACKEND,
    )
    labels = hv.Labels(data, ["role", "instrument_id"], "label").opts(
        text_font_size="8pt", text_color=TEXT_COLOR, backend=BACKEND
    )
    n = len(instruments)
    title = (
        f"Conflicts on {n_all} instrument{'s' if n_all != 1 else ''}: who won, who lost"
        if n_all
        else "No conflicts in this batch"
    )
    if n < n_all:
        title += f"\nthe {n} with the most competing inputs"
    return rescaling(points * labels).opts(
        hv.opts.Overlay(
            title=title,
            xlabel="Role",
            ylabel="Instrument",
            width=620,
            height=max(200, 110 + 70 * n),
            show_legend=False,
            toolbar="above",
            framewise=True,
            backend=BACKEND,
        )
    )

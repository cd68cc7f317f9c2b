"""The decision journal: :class:`Journal`."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from portlab.engine import AdaptiveState, CoordinationResult, Coordinator
from portlab.journal import queries, writes
from portlab.journal.backends import Database, connect
from portlab.journal.inputs import (
    RunInputs,
    coordinator_from_config,
    decode_records,
    from_json_value,
)
from portlab.journal.markets import MARKET_PARTS, market_from_parquet, market_to_parquet
from portlab.journal.queries import TextFilter
from portlab.journal.records import build_record
from portlab.journal.replay import Replay, compare
from portlab.journal.schema import migrate
from portlab.market import Market
from portlab.state import PortfolioState
from portlab.types import RequestsLike, SignalsLike, StateLike

__all__ = ["Journal"]


class Journal:
    """A record of coordination runs in SQLite (a file, no server) or PostgreSQL (shared).

    Each run of :meth:`Coordinator.coordinate <portlab.Coordinator.coordinate>` that is
    recorded keeps its decisions, its rejections with their reasons, its sizing waterfall,
    its configuration (policy, sizing, risk loop, resolution, strategies; ``policy_version``
    names the first four), fingerprints of its inputs, the package version and its inputs
    themselves, so that :meth:`replay` can coordinate it again from the journal alone. The
    tables are described in :mod:`portlab.journal.schema`.

    Parameters
    ----------
    target : str or path
        A file path or ``sqlite:///path`` (SQLite in WAL mode: readers never wait, writers
        queue), or ``postgresql://user:password@host:port/dbname``. The schema is created,
        or migrated to this portlab's version, when the journal opens.
    timeout : float, default 30
        Seconds a writer waits for another one's lock.

    Raises
    ------
    JournalError
        The database cannot be opened, or its schema is newer than this portlab knows.

    Notes
    -----
    Writes are idempotent and transactional per run: the run's row, decisions, rejections,
    waterfall (and its market, when new) commit together or not at all, and a run's id is a
    digest of its inputs, configuration and the package version, so recording the same run
    again adds nothing. A decision is keyed by its run and its event id (the engine derives
    event ids from the winning input, the instrument and the time: two runs of one batch
    under different policies give the same ids). Markets are stored once per content
    (:func:`~portlab.fingerprints.market_fingerprint`) as Parquet
    (:mod:`portlab.journal.markets`).

    Examples
    --------
    >>> import portlab
    >>> from portlab.datasets import example_batch, load_sample
    >>> from portlab.journal import Journal
    >>> batch, market = example_batch(), load_sample()
    >>> journal = Journal(":memory:")
    >>> result = portlab.Coordinator().coordinate(
    ...     batch.signals, batch.state, market, batch.rebalance_requests, journal=journal)
    >>> result.run_id.startswith("run-"), len(journal.decisions()), len(journal.rejections())
    (True, 11, 5)
    >>> journal.decisions(instrument="AAPL")[["action", "share_quantity"]].values.tolist()
    [['BUY', 102.0]]
    >>> journal.replay(result.run_id).identical
    True
    >>> journal.close()
    """

    def __init__(self, target: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self._db: Database = connect(target, timeout=timeout)
        try:
            self.schema_version: int = migrate(self._db)
        except BaseException:
            self._db.close()
            raise
        self._markets: set[str] = set()
        self._rebuilt: dict[str, Market] = {}
        self._closed = False

    @property
    def url(self) -> str:
        """The database, without its password."""
        return self._db.url

    @property
    def kind(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.kind

    def __repr__(self) -> str:
        return f"Journal({self.url!r})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (a second close does nothing)."""
        if not self._closed:
            self._closed = True
            self._db.close()

    # -- writing --------------------------------------------------------------------------

    def record(
        self,
        result: CoordinationResult,
        *,
        coordinator: Coordinator,
        signals: SignalsLike,
        state: StateLike,
        market: Market,
        rebalance_requests: RequestsLike = None,
        as_of: Any = None,
    ) -> str:
        """Record one run of :meth:`Coordinator.coordinate` and its inputs.

        ``Coordinator.coordinate(..., journal=journal)`` calls this; call it yourself to
        record a result after the fact.

        Parameters
        ----------
        result : CoordinationResult
            What ``coordinator.coordinate(signals, state, market, rebalance_requests,
            as_of=as_of)`` returned.
        coordinator, signals, state, market, rebalance_requests, as_of
            That call's arguments, as given (none is changed).

        Returns
        -------
        str
            The run id (``run-`` and 16 hex digits): the same inputs, configuration and
            package version always give the same id, and recording them again adds nothing.

        Raises
        ------
        JournalError
            The database refused the write (the transaction is rolled back: nothing of the
            run is kept).
        """
        record = build_record(
            result,
            coordinator=coordinator,
            signals=signals,
            state=state,
            market=market,
            rebalance_requests=rebalance_requests,
            as_of=as_of,
        )
        db, fp = self._db, record.market_fingerprint
        parts = None
        if fp not in self._markets and not db.scalar(
            "SELECT 1 FROM markets WHERE fingerprint = ?", [fp]
        ):
            parts = market_to_parquet(market)  # before the transaction: its lock stays short
        with db.transaction():
            if not db.scalar("SELECT 1 FROM runs WHERE run_id = ?", [record.run_id]):
                if parts is not None:
                    writes.write_market(db, fp, parts)
                writes.write_run(db, record)
                writes.write_decisions(db, record)
                writes.write_rejections(db, record)
                writes.write_waterfall(db, record)
        self._markets.add(fp)
        return record.run_id

    # -- reading --------------------------------------------------------------------------

    def decisions(
        self,
        start: Any = None,
        end: Any = None,
        *,
        instrument: TextFilter = None,
        strategy: TextFilter = None,
        policy_version: TextFilter = None,
        run_id: TextFilter = None,
        limit: int | None = None,
        latest: int | None = None,
        events: bool = False,
    ) -> pd.DataFrame:
        """Journaled decisions, oldest first.

        Parameters
        ----------
        start, end : date-like, optional
            Bounds on the decision's time, inclusive (an ``end`` without a time of day covers
            that day).
        instrument, strategy, policy_version, run_id : str or list of str, optional
            Keep decisions with one of these values (``strategy``: the strategy of the
            winning signal, the largest share under aggregation; None for rebalance-only
            decisions).
        limit : int, optional
            At most this many rows (the oldest).
        latest : int, optional
            Only the newest this many rows (still oldest first); not with ``limit``.
        events : bool, default False
            Add the column ``event``: the whole ``CoordinatedTradingDecisionEvent`` as a
            JSON dict.

        Returns
        -------
        DataFrame
            Columns :data:`portlab.journal.queries.DECISION_COLUMNS`: ``run_id``,
            ``event_id`` (the event's ``eventId``, ``decision_id`` in
            ``CoordinationResult.decisions``), ``position`` (its row there), ``timestamp``
            (UTC), ``instrument_id``, ``strategy_id``, ``action``, ``trade_amount``,
            ``share_quantity``, ``position_size``, ``price``, ``origin``, ``priority``,
            ``signal_id``, ``policy_version``. Ordered by time, run and position.
        """
        return queries.decisions(
            self._db,
            start,
            end,
            instrument=instrument,
            strategy=strategy,
            policy_version=policy_version,
            run_id=run_id,
            limit=limit,
            latest=latest,
            events=events,
        )

    def rejections(
        self,
        start: Any = None,
        end: Any = None,
        *,
        instrument: TextFilter = None,
        strategy: TextFilter = None,
        policy_version: TextFilter = None,
        run_id: TextFilter = None,
        rule: TextFilter = None,
        reason: TextFilter = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Journaled rejections (signals and rebalance adjustments), by their run's as-of time.

        Parameters
        ----------
        start, end : date-like, optional
            Bounds on the run's ``as_of``, inclusive.
        instrument, strategy, policy_version, run_id : str or list of str, optional
        rule : str or list of str, optional
            The policy rule or resolution method (``"position"``, ``"HIGHEST_PRIORITY"``).
        reason : str or list of str, optional
            A :class:`~portlab.engine.RejectReason` value (``"NO_EDGE"``).
        limit : int, optional

        Returns
        -------
        DataFrame
            Columns :data:`portlab.journal.queries.REJECTION_COLUMNS`: ``run_id``,
            ``position``, ``as_of`` and the columns of ``CoordinationResult.rejections``
            (``source``, ``id``, ``instrument_id``, ``strategy_id``, ``reason``, ``rule``,
            ``detail``, ``winner_id``, ``field``), then ``policy_version``.
        """
        return queries.rejections(
            self._db,
            start,
            end,
            instrument=instrument,
            strategy=strategy,
            policy_version=policy_version,
            run_id=run_id,
            rule=rule,
            reason=reason,
            limit=limit,
        )

    def runs(
        self,
        start: Any = None,
        end: Any = None,
        *,
        policy_version: TextFilter = None,
        run_id: TextFilter = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Recorded runs by as-of time.

        Returns
        -------
        DataFrame
            One row per run, the columns of :data:`portlab.journal.queries.RUN_COLUMNS`:
            times, package and policy versions, input fingerprints, NAV, counts, the
            configuration (dicts) and the result's statistics. The inputs themselves:
            :meth:`inputs`.
        """
        return queries.runs(
            self._db, start, end, policy_version=policy_version, run_id=run_id, limit=limit
        )

    def waterfall(self, run_id: str) -> pd.DataFrame:
        """The sizing waterfall of one run, as ``CoordinationResult.waterfall`` had it.

        Raises
        ------
        JournalError
            No run has this id.
        """
        return queries.waterfall(self._db, run_id)

    def inputs(self, run_id: str) -> RunInputs:
        """The inputs of a recorded run, rebuilt from the journal alone.

        Raises
        ------
        JournalError
            No run has this id.
        """
        row = queries.run_row(
            self._db,
            run_id,
            [
                "inputs",
                "market_fingerprint",
                "policy",
                "sizing",
                "risk_loop",
                "resolution",
                "strategies",
                "execution",
                "portfolio",
                "adaptive",
            ],
        )
        stored = row["inputs"]
        coordinator = coordinator_from_config(row)
        if row["adaptive"] is not None:  # the adaptation the run applied, not relearned
            state = AdaptiveState.from_dict(from_json_value(row["adaptive"]))
            coordinator = coordinator.replace(adaptive=state)
        return RunInputs(
            signals=decode_records(stored["signals"]),
            rebalance_requests=decode_records(stored["rebalance_requests"]),
            state=PortfolioState.from_dict(from_json_value(stored["state"])),
            market=self._market(row["market_fingerprint"]),
            coordinator=coordinator,
            as_of=from_json_value(stored["as_of"]),
        )

    def replay(self, run_id: str) -> Replay:
        """Coordinate a recorded run again from its stored inputs and compare the decisions
        (and rejections) with the recorded ones.

        Returns
        -------
        Replay
            ``identical``, and ``differences`` listing each field that differs (a difference
            raises nothing).

        Raises
        ------
        JournalError
            No run has this id.
        """
        inputs = self.inputs(run_id)
        version = queries.run_row(self._db, run_id, ["policy_version"])["policy_version"]
        result = inputs.coordinate()
        differences = compare(
            self.decisions(run_id=run_id, events=True),
            self.rejections(run_id=run_id),
            result,
            run_id,
            version,
        )
        return Replay(run_id, differences, result)

    def _market(self, fingerprint: str) -> Market:
        if fingerprint not in self._rebuilt:
            columns = ["settings", *MARKET_PARTS]
            row = self._db.query(
                f"SELECT {', '.join(columns)} FROM markets WHERE fingerprint = ?", [fingerprint]
            )[1][0]
            parts = dict(zip(columns, row, strict=True))
            parts["settings"] = self._db.from_json(parts["settings"])
            parts = {k: bytes(v) if isinstance(v, memoryview) else v for k, v in parts.items()}
            self._rebuilt[fingerprint] = market_from_parquet(parts)
        return self._rebuilt[fingerprint]

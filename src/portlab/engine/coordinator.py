"""The public entry: :class:`Coordinator` runs the seed's coordination workflow end to end.

validate → enrich → resolve conflicts → size → allocate → risk loop → round & enforce → decide
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from portlab.dates import as_utc
from portlab.engine import sizing as _sizing
from portlab.engine._table import Table, length, take
from portlab.engine.allocation import PRIORITY_WEIGHT, Problem, allocate
from portlab.engine.book import Book, as_market, as_state, build_book, warn_unknown_sectors
from portlab.engine.config import (
    MinSizeRule,
    Policy,
    Resolution,
    RiskLoopConfig,
    SizingConfig,
    load_config,
)
from portlab.engine.conflicts import resolve
from portlab.engine.decisions import build_decisions
from portlab.engine.enforce import round_and_enforce
from portlab.engine.outcome import Rejections, RejectReason, Source, fmt_pct
from portlab.engine.rebalance import adjustments
from portlab.engine.result import CoordinationResult
from portlab.engine.riskloop import risk_loop
from portlab.engine.signals import _TS_MAX, _TS_MIN, _TS_RANGE, enrich, signal_table
from portlab.engine.strategies import Strategy, registry
from portlab.exceptions import ConfigError, ValidationError

__all__ = ["Coordinator"]


def _coerce(value: Any, cls: type, name: str) -> Any:
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls.model_validate(dict(value))
    if isinstance(value, str | Path):
        return cls.from_yaml(value)
    raise ConfigError(f"{name} must be a {cls.__name__}, a mapping or a YAML path")


class Coordinator:
    """Coordinate trading signals and rebalance requests into policy-compliant decisions.

    Every argument is optional and defaults to the seed's values.

    Parameters
    ----------
    policy : Policy, mapping or YAML path, optional
        Limits enforced on every decision (5% position, 25% sector, 60% correlated exposure
        (soft), 20% volatility, 2x leverage).
    sizing : SizingConfig, mapping or YAML path, optional
        Kelly and sizing settings (25% Kelly cap, 1% minimum position, OPTIMAL allocation).
    resolution : Resolution or str
        How signals on one instrument are resolved (default HIGHEST_PRIORITY).
    risk_loop : RiskLoopConfig, mapping or YAML path, optional
        Seed 004's risk feedback loop (3 iterations, resize floor 0.5, position risk 5%).
    strategies : list of Strategy, or mapping name -> allocation, optional
        Registered strategies with capital budgets; when given, signals of unregistered
        strategies are rejected.

    Examples
    --------
    >>> import portlab
    >>> from portlab.datasets import load_sample
    >>> market = load_sample()
    >>> state = portlab.PortfolioState(cash=1_000_000)
    >>> coordinator = portlab.Coordinator()
    >>> signals = [{"eventId": "s1", "timestamp": "2022-12-28T15:00:00Z",
    ...             "signal": {"instrument_id": "AAPL", "action": "BUY", "confidence": 0.8,
    ...                        "strength": "STRONG", "signal_score": 0.7},
    ...             "expected_outcomes": {"price_target": 140.0, "expected_return": 0.08,
    ...                                   "success_probability": 0.6}}]
    >>> result = coordinator.coordinate(signals, state, market)
    >>> d = result.decisions.iloc[0]
    >>> d["instrument_id"], d["action"], int(d["share_quantity"])
    ('AAPL', 'BUY', 397)
    """

    def __init__(
        self,
        policy: Policy | Mapping | str | Path | None = None,
        sizing: SizingConfig | Mapping | str | Path | None = None,
        resolution: Resolution | str = Resolution.HIGHEST_PRIORITY,
        *,
        risk_loop: RiskLoopConfig | Mapping | str | Path | None = None,
        strategies: Any = None,
    ) -> None:
        self.policy: Policy = _coerce(policy, Policy, "policy")
        self.sizing: SizingConfig = _coerce(sizing, SizingConfig, "sizing")
        self.risk_loop: RiskLoopConfig = _coerce(risk_loop, RiskLoopConfig, "risk_loop")
        try:
            self.resolution = Resolution(resolution)
        except ValueError:
            raise ConfigError(
                f"unknown resolution {resolution!r}; one of {[r.value for r in Resolution]}"
            ) from None
        self.strategies: dict[str, Strategy] = registry(strategies)

    @classmethod
    def from_yaml(cls, path: str | Path, **kwargs: Any) -> Coordinator:
        """Build from a YAML file with ``policy``, ``sizing`` and ``risk_loop`` sections."""
        policy, sizing, loop = load_config(path)
        return cls(policy, sizing, risk_loop=loop, **kwargs)

    def __repr__(self) -> str:
        return (
            f"Coordinator(resolution={self.resolution.value}, "
            f"allocation={self.sizing.allocation.value}, strategies={list(self.strategies)})"
        )

    def coordinate(
        self,
        signals: Any,
        state: Any,
        market: Any,
        rebalance_requests: Any = None,
        *,
        as_of: Any = None,
    ) -> CoordinationResult:
        """Turn a batch of signals (and rebalance requests) into decisions and rejections.

        Parameters
        ----------
        signals : list of TradingSignalEvent (or their JSON dicts), DataFrame, or None
            The DataFrame form has the columns of :data:`portlab.events.SIGNAL_COLUMNS`
            (``instrument_id``, ``action`` and ``confidence`` required). None or an empty list:
            no signals (rebalance requests only).
        state : PortfolioState or mapping
            Current holdings and cash. A mapping in seed 004's shape
            (``{"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash": 1e5}``)
            is read with :meth:`PortfolioState.from_dict`. Never mutated.
        market : Market
            Prices, sectors, volumes and the risk model. Never mutated. Instruments without a
            sector (``"Unknown"``) each count as a sector of their own: the sector limit does
            not apply to them (an :class:`~portlab.exceptions.InputRepairWarning` says how
            many there are).
        rebalance_requests : RebalanceRequestEvent, dict, or a list of them, optional
            Trades are measured from each adjustment's ``target_weight`` against the actual
            portfolio (the request's ``current_weight`` and ``adjustment_needed`` are not
            used). Under ``allow_short=False`` an adjustment whose target needs a short
            position is rejected (POLICY_LIMIT, rule ``short_selling``) before conflict
            resolution, so it never displaces a signal.
        as_of : str, datetime, Timestamp, date or datetime64, optional
            Time stamped on the decisions (a time without a zone is UTC); default: the latest
            input timestamp (so the same inputs always give the same output), or the market's
            last date when no input has one.

        Returns
        -------
        CoordinationResult
            Every signal ends in exactly one decision (``signal_ids``) or one rejection.

        Raises
        ------
        ValidationError
            ``signals``, ``state``, ``market`` or ``rebalance_requests`` of a type it does not
            accept (None for ``state`` or ``market`` included), a signals DataFrame without
            the required columns, ``as_of`` that is not a date (or lies outside 1677..2262),
            or a ``state`` mapping that :meth:`PortfolioState.from_dict` rejects. Each message
            names the argument.
        DataError
            The portfolio holds instruments the market does not have or cannot price, or its
            value (cash + positions at last prices) is not positive.

        Notes
        -----
        Bad records inside a batch do not raise: each becomes a rejection (reason INVALID,
        naming the field) and the rest of the batch is coordinated. Signals or adjustments on
        instruments the market lacks are rejected as UNKNOWN_INSTRUMENT, those without a
        current price as NO_PRICE, and signals without risk data (e.g. a market with a single
        date) as NO_RISK_DATA.
        """
        clock = _Clock()
        state = as_state(state)
        market = as_market(market)
        given = _given_as_of(as_of)
        rej = Rejections()
        policy, cfg = self.policy, self.sizing
        book = build_book(state, market, policy.correlation_threshold)
        warn_unknown_sectors(book, policy.max_sector_exposure.limit)
        sig = signal_table(signals, rej, _NO_TIME)
        rb, constraints = adjustments(rebalance_requests, book, rej, policy.allow_short)
        when = _as_of(given, sig, rb, market)
        sig["timestamp"] = np.where(sig["timestamp"] == _NO_TIME, when.value, sig["timestamp"])
        n_signals = length(sig) + rej.count(Source.SIGNAL)
        n_adjust = length(rb) + rej.count(Source.REBALANCE)
        clock.tick("validate")

        sig = enrich(
            sig, self.strategies, book.instruments, np.isfinite(book.price), book.risk_ok, rej
        )
        sig = self._kelly(sig, book, rej)
        clock.tick("enrich")

        cand = resolve(sig, rb, book.w, book.vol, self.resolution, cfg, rej)
        clock.tick("resolve")

        cand = self._size(cand, book, constraints, rej)
        clock.tick("size")

        cand = self._allocate(cand, book, rej)
        clock.tick("allocate")

        cand = self._enforce(cand, book, rej)
        clock.tick("enforce")

        decisions = build_decisions(cand, book, policy, cfg, constraints, when)
        clock.tick("decide")

        return CoordinationResult(
            decisions=decisions,
            ledger=rej,
            candidates=cand,
            counts=(n_signals, n_adjust),
            timings=clock,
            nav=book.nav,
            as_of=when,
            portfolio_id=getattr(state, "portfolio_id", "main_portfolio"),
        )

    # -- stages -------------------------------------------------------------------------

    def _kelly(self, sig: Table, book: Book, rej: Rejections) -> Table:
        inst = sig["inst"]
        k = _sizing.kelly(
            sig["direction"],
            book.price[inst],
            book.vol[inst],
            sig["success_probability"],
            sig["confidence"],
            sig["price_target"],
            sig["stop_price"],
            sig["expected_return"],
            sig["horizon_days"],
            self.sizing,
        )
        sig.update(
            kelly=k.fraction,
            kelly_raw=k.raw,
            edge=k.edge,
            reward_risk=k.reward_risk,
            loss=k.loss,
            payoff=k.payoff,
            horizon=k.horizon,
        )
        drop = np.zeros(length(sig), dtype=bool)
        for mask, path, why in (
            (k.bad_stop, "expected_outcomes.stop_price", "on the wrong side of the current price"),
            (
                k.no_input,
                "expected_outcomes.expected_return",
                "required when no stop_price is given",
            ),
        ):
            mask = mask & ~drop
            if mask.any():
                rej.add(
                    Source.SIGNAL,
                    sig["signal_id"][mask],
                    sig["instrument_id"][mask],
                    sig["strategy_id"][mask],
                    RejectReason.INVALID,
                    f"{path}: {why}",
                    field=path,
                )
                drop |= mask
        no_edge = (k.fraction <= 0) & ~drop
        if no_edge.any():
            rej.add(
                Source.SIGNAL,
                sig["signal_id"][no_edge],
                sig["instrument_id"][no_edge],
                sig["strategy_id"][no_edge],
                RejectReason.NO_EDGE,
                [
                    f"Kelly fraction {r:.4f} <= 0: no edge in the {'BUY' if di > 0 else 'SELL'} direction"
                    for r, di in zip(
                        np.nan_to_num(k.raw[no_edge]), sig["direction"][no_edge], strict=True
                    )
                ],
            )
            drop |= no_edge
        return take(sig, ~drop) if drop.any() else sig

    def _size(self, cand: Table, book: Book, constraints: dict, rej: Rejections) -> Table:
        cfg = self.sizing
        m = length(cand)
        inst, d = cand["inst"].astype(int), cand["d"].astype(int)
        w0 = book.w[inst]
        caps, names = _sizing.headroom(book, self.policy, inst, d)
        col = caps.argmin(axis=1) if m else np.zeros(0, dtype=int)
        cap = caps[np.arange(m), col]
        want_sig = cand["signal_trade"].astype(float)
        want_rb = cand["rebalance_trade"].astype(float)
        has_sig, has_rb = ~np.isnan(want_sig), ~np.isnan(want_rb)
        want = np.where(has_sig, want_sig, np.nan_to_num(want_rb))
        constrained = np.minimum(want, cap)
        factor, rho = _sizing.correlation_factor(book, inst, d, cfg.correlation_penalty)
        factor = np.where(has_sig, factor, 1.0)
        adjusted = constrained * factor
        beta = cfg.rebalance_blend
        blended = np.where(
            has_sig & has_rb,
            (1 - beta) * adjusted + beta * np.minimum(np.nan_to_num(want_rb), cap),
            adjusted,
        )
        increasing = d * w0 >= 0
        small = has_sig & increasing & (blended > 0) & (blended < cfg.min_position_size - 1e-12)
        can_round = (
            small & (cap >= cfg.min_position_size) & (cfg.min_size_rule is MinSizeRule.ROUND_UP)
        )
        sized = np.where(can_round, cfg.min_position_size, np.where(small, 0.0, blended))
        cand.update(
            current_weight=w0,
            policy_cap=cap,
            binding_rule=np.asarray(names, dtype=object)[col],
            policy_constrained=constrained,
            book_correlation=rho,
            correlation_factor=factor,
            correlation_adjusted=adjusted,
            blended=blended,
            min_size_applied=can_round,
            sized=sized,
            **{f"headroom_{n}": caps[:, i] for i, n in enumerate(names)},
        )
        reasons = np.full(m, "", dtype=object)
        details = np.full(m, "", dtype=object)
        at_target = want <= 1e-12
        reasons[at_target] = RejectReason.AT_TARGET
        details[at_target] = [
            f"position {fmt_pct(x)} already at or beyond the wanted size" for x in w0[at_target]
        ]
        no_room = ~at_target & (cap <= 1e-12)
        reasons[no_room] = RejectReason.POLICY_LIMIT
        details[no_room] = [
            f"{n} limit leaves no room (position {fmt_pct(x)})"
            for n, x in zip(cand["binding_rule"][no_room], w0[no_room], strict=True)
        ]
        too_small = (reasons == "") & small & ~can_round
        reasons[too_small] = RejectReason.BELOW_MIN_SIZE
        details[too_small] = [
            f"size {fmt_pct(b)} below the {fmt_pct(cfg.min_position_size)} minimum and room {fmt_pct(c)} too small to round up"
            for b, c in zip(blended[too_small], cap[too_small], strict=True)
        ]
        _request_constraints(cand, book, constraints, reasons, details)
        return _reject(cand, reasons, details, rej)

    def _allocate(self, cand: Table, book: Book, rej: Rejections) -> Table:
        cfg = self.sizing
        m = length(cand)
        inst, d = cand["inst"].astype(int), cand["d"].astype(int)
        raw_edge = cand["edge"].astype(float)
        edge = np.where(np.isnan(raw_edge), cfg.rebalance_edge, raw_edge)
        priority = cand["priority"].astype(int)
        reducing = d * book.w[inst] < 0
        order = np.lexsort(
            [
                cand["winner_id"].astype(str),
                cand["timestamp"].astype(np.int64),
                -edge * PRIORITY_WEIGHT[priority],
                -priority,
                ~reducing,
            ]
        )
        budgets = {k: s.budget for k, s in self.strategies.items()}
        prob = Problem(
            inst,
            d,
            cand["sized"].astype(float),
            edge,
            priority,
            order,
            list(cand["strategy_shares"]),
            budgets,
        )
        alloc = allocate(book, self.policy, prob, cfg.allocation)
        x = alloc.x
        loop = risk_loop(book, self.policy, self.risk_loop, inst, d, x, priority)
        cand.update(
            allocated=x,
            allocation_binding=alloc.binding,
            allocation_solver=np.full(m, alloc.solved, dtype=object),
            risk_adjusted=loop.x,
            risk_iterations=np.full(m, loop.iterations),
        )
        reasons = np.full(m, "", dtype=object)
        details = np.full(m, "", dtype=object)
        has_sig = ~np.isnan(cand["signal_trade"].astype(float))
        none = x <= 1e-12
        reasons[none] = RejectReason.NO_CAPACITY
        details[none] = [
            f"no room left under the {b or 'batch'} limit" for b in alloc.binding[none]
        ]
        cut_small = (
            ~none & has_sig & ~reducing & (x < cfg.min_position_size - 1e-12) & (x < prob.s - 1e-12)
        )
        reasons[cut_small] = RejectReason.NO_CAPACITY
        details[cut_small] = [
            f"only {fmt_pct(v)} left under the {b} limit, below the {fmt_pct(cfg.min_position_size)} minimum"
            for v, b in zip(x[cut_small], alloc.binding[cut_small], strict=True)
        ]
        dropped = (reasons == "") & (loop.dropped != "")
        reasons[dropped] = RejectReason.RISK_LIMIT
        details[dropped] = loop.dropped[dropped]
        return _reject(cand, reasons, details, rej)

    def _enforce(self, cand: Table, book: Book, rej: Rejections) -> Table:
        m = length(cand)
        inst, d = cand["inst"].astype(int), cand["d"].astype(int)
        size = cand["risk_adjusted"].astype(float) if m else np.zeros(0)
        prob = Problem(
            inst,
            d,
            size,
            np.zeros(m),
            cand["priority"].astype(int),
            np.arange(m),
            list(cand["strategy_shares"]),
            {k: s.budget for k, s in self.strategies.items()},
        )
        lot = cand["lot_size"].astype(float)
        ex = round_and_enforce(book, self.policy, prob, size, lot, self.sizing.fractional_shares)
        cand.update(
            shares=np.abs(ex.shares),
            final_size=np.where(ex.trimmed != "", ex.x, size),
            executed_size=ex.x,
            trimmed_by=ex.trimmed,
        )
        reasons = np.full(m, "", dtype=object)
        details = np.full(m, "", dtype=object)
        zero = np.abs(ex.shares) == 0
        trimmed = zero & (ex.trimmed != "")
        reasons[trimmed] = RejectReason.POLICY_LIMIT
        details[trimmed] = [f"trimmed to zero by the final {r} check" for r in ex.trimmed[trimmed]]
        lots = zero & ~trimmed
        reasons[lots] = RejectReason.ROUNDS_TO_ZERO
        details[lots] = [
            f"{fmt_pct(s)} of NAV is less than one lot of {n:g} at {p:,.2f}"
            for s, n, p in zip(size[lots], lot[lots], book.price[inst[lots]], strict=True)
        ]
        return _reject(cand, reasons, details, rej)


# -- helpers ----------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.ms: dict[str, float] = {}

    def tick(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = 1000 * (now - self.last)
        self.last = now

    @property
    def total(self) -> float:
        return 1000 * (self.last - self.start)


_NO_TIME = np.iinfo(np.int64).min


def _given_as_of(as_of: Any) -> pd.Timestamp | None:
    if as_of is None:
        return None
    ts = as_utc(as_of, "as_of")
    if not _TS_MIN <= ts <= _TS_MAX:
        raise ValidationError(f"as_of: {ts.isoformat()} is {_TS_RANGE}")
    return ts.as_unit("ns")


def _as_of(given: pd.Timestamp | None, sig: Table, rb: Table, market: Any) -> pd.Timestamp:
    if given is not None:
        return given
    stamps = [t for t in (*sig["timestamp"], *rb["timestamp"]) if t != _NO_TIME]
    if stamps:
        return pd.Timestamp(max(stamps), tz="UTC")
    last = pd.Timestamp(market.dates[-1])
    return last.tz_localize("UTC") if last.tzinfo is None else last


def _reject(cand: Table, reasons: np.ndarray, details: np.ndarray, rej: Rejections) -> Table:
    """Move candidates with a reason to the rejection ledger (their signals and adjustments)."""
    out = reasons != ""
    if not out.any():
        return cand
    for k in np.flatnonzero(out):
        reason = RejectReason(reasons[k])
        rule = str(cand["binding_rule"][k]) if reason is RejectReason.POLICY_LIMIT else ""
        name = cand["instrument_id"][k]
        ids = cand["signal_ids"][k]
        if ids:
            rej.add(
                Source.SIGNAL,
                ids,
                [name] * len(ids),
                cand["signal_strategies"][k],
                reason,
                str(details[k]),
                rule=rule,
            )
        if cand["rebalance_ids"][k]:
            ids = cand["rebalance_ids"][k]
            rej.add(
                Source.REBALANCE, ids, [name] * len(ids), None, reason, str(details[k]), rule=rule
            )
    gone = take(cand, out)
    gone["outcome"] = reasons[out]
    rej.candidates.append(gone)
    return take(cand, ~out)


def _request_constraints(
    cand: Table, book: Book, constraints: dict, reasons: np.ndarray, details: np.ndarray
) -> None:
    """A rebalance request's ``min_trade_size`` (currency) and ``max_turnover`` (fraction of NAV)."""
    if not constraints:
        return
    only_rb = cand["origin"] == "REBALANCE"
    sized = cand["sized"]
    for rid, c in constraints.items():
        mine = only_rb & (cand["request_id"] == rid) & (reasons == "")
        if not mine.any():
            continue
        if c.get("min_trade_size"):
            small = mine & (sized * book.nav < c["min_trade_size"])
            reasons[small] = RejectReason.BELOW_MIN_SIZE
            details[small] = f"below the request's min_trade_size {c['min_trade_size']:,.0f}"
            mine &= ~small
        if c.get("max_turnover"):
            total = sized[mine].sum()
            if total > c["max_turnover"]:
                sized[mine] *= c["max_turnover"] / total

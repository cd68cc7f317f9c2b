"""The public entry: :class:`Coordinator` runs the coordination workflow end to end.

validate → enrich → resolve conflicts → size → allocate → risk loop → round & enforce → decide

Each stage reads and extends column tables whose columns :mod:`portlab.engine.columns`
declares: the signals (:data:`~portlab.engine.columns.SIGNALS` ...), the rebalance
adjustments (:data:`~portlab.engine.columns.ADJUSTMENTS`) and, from conflict resolution on,
the candidates (:data:`~portlab.engine.columns.CANDIDATES` ...).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from portlab.dates import DateLike
from portlab.engine.adaptation import AdaptiveConfig, AdaptiveState, adaptive_setting
from portlab.engine.adapting import adapt_signals
from portlab.engine.allocation import allocate
from portlab.engine.batch import PRIORITY_WEIGHT, AllocationProblem
from portlab.engine.book import Book, as_market, as_state, build_book, warn_unknown_sectors
from portlab.engine.config import (
    ExecutionRulesConfig,
    Policy,
    RiskLoopConfig,
    SizingConfig,
    load_settings,
)
from portlab.engine.conflicts import resolve
from portlab.engine.decisions import build_decisions
from portlab.engine.enforce import round_and_enforce
from portlab.engine.enums import MinSizeRule, Resolution
from portlab.engine.execution import ImpactRule, impact_rule
from portlab.engine.learning import current_state
from portlab.engine.methods import method_targets
from portlab.engine.outcome import Rejections, RejectReason, Source, fmt_pct
from portlab.engine.rebalance import RequestConstraints, adjustments
from portlab.engine.result import CoordinationResult
from portlab.engine.riskloop import risk_loop
from portlab.engine.signals import enrich, signal_table
from portlab.engine.sizing import correlation_factor, headroom, kelly
from portlab.engine.strategies import StrategiesLike, Strategy, registry
from portlab.engine.strategymap import PortfolioStrategies, apply_strategy_map, load_portfolio
from portlab.engine.table import Table, length, take
from portlab.engine.times import NO_TIME, given_as_of, latest_time
from portlab.engine.tolerances import SIZE_TOL
from portlab.exceptions import ConfigError
from portlab.market import Market
from portlab.types import DecisionRecorder, RequestsLike, SignalsLike, StateLike

__all__ = ["Coordinator"]

_Settings = TypeVar("_Settings", Policy, SizingConfig, RiskLoopConfig, ExecutionRulesConfig)


def _coerce(
    value: _Settings | Mapping[str, Any] | str | Path | None, cls: type[_Settings], name: str
) -> _Settings:
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls.model_validate(dict(value))
    if isinstance(value, str | Path):
        return cls.from_yaml(value)
    article = "an" if cls.__name__[0] in "AEIOU" else "a"
    raise ConfigError(f"{name} must be {article} {cls.__name__}, a mapping or a YAML path")


#: the settings of a Coordinator (its constructor's arguments)
_SETTINGS = frozenset(
    {
        "policy",
        "sizing",
        "resolution",
        "risk_loop",
        "strategies",
        "execution",
        "portfolio",
        "adaptive",
    }
)


class Coordinator:
    """Coordinate trading signals and rebalance requests into policy-compliant decisions.

    Every argument is optional and defaults to the default policy (specification §2).

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
        The risk feedback loop, specification §6 (3 iterations, resize floor 0.5, position
        risk 5%).
    strategies : list of Strategy, or mapping name -> allocation, optional
        Registered strategies with capital budgets; when given, signals of unregistered
        strategies are rejected.
    portfolio : PortfolioStrategies, mapping or YAML path, optional
        A per-instrument strategy map (:mod:`portlab.engine.strategymap`): signals from a
        strategy not mapped to their instrument (or on an instrument not listed) are rejected
        (UNMAPPED_STRATEGY); each signal weighs as its strategy's weight on its instrument;
        each instrument's signals are resolved by its own aggregator (default
        ``resolution``); the map's ``allocations`` register the strategies' budgets.
    execution : ExecutionRulesConfig, mapping or YAML path, optional
        The execution rules (order type by urgency, DAY orders, limit prices 1% from the last
        price, no market impact limit): see :mod:`portlab.engine.execution`.
    adaptive : AdaptiveConfig, AdaptiveState, mapping or YAML path, optional
        Adaptation to realized outcomes (:mod:`portlab.engine.adaptation`; e.g.
        ``{"learning_rate": 0.01, "adaptation_period": 20}``): each strategy's calibrated
        success probability, Kelly multiplier scale and tier shift are applied to its signals
        and named in its decisions' reasoning. An :class:`AdaptiveState` is used as it is (a
        backtest keeps one); with settings, each ``coordinate(..., journal=...)`` learns from
        the outcomes the journal's decisions had by ``as_of`` (reading its decisions and each
        run's recorded signals on every call; without a journal nothing has been learned: the
        signals are unchanged). The state a run applied is ``result.adaptive_state``; the
        journal records it with the run, and a replay applies that same state.

    Examples
    --------
    One BUY signal on an empty $1,000,000 portfolio, with the bundled market data:

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
    >>> d["instrument_id"], d["action"], float(d["position_size"])
    ('AAPL', 'BUY', 0.05)

    The Kelly target (capped at 25%) is cut to the 5% position limit; 5% of NAV at the last
    price buys 397 whole shares:

    >>> step = result.waterfall.iloc[0]
    >>> float(step["kelly"]), step["binding_rule"], float(step["policy_cap"])
    (0.25, 'position', 0.05)
    >>> float(d["price"]), 0.05 * 1_000_000 // float(d["price"]), int(d["share_quantity"])
    (125.674, 397.0, 397)
    """

    def __init__(
        self,
        policy: Policy | Mapping | str | Path | None = None,
        sizing: SizingConfig | Mapping | str | Path | None = None,
        resolution: Resolution | str = Resolution.HIGHEST_PRIORITY,
        *,
        risk_loop: RiskLoopConfig | Mapping | str | Path | None = None,
        strategies: StrategiesLike = None,
        execution: ExecutionRulesConfig | Mapping | str | Path | None = None,
        portfolio: PortfolioStrategies | Mapping | str | Path | None = None,
        adaptive: AdaptiveConfig | AdaptiveState | Mapping | str | Path | None = None,
    ) -> None:
        self.policy: Policy = _coerce(policy, Policy, "policy")
        self.sizing: SizingConfig = _coerce(sizing, SizingConfig, "sizing")
        self.risk_loop: RiskLoopConfig = _coerce(risk_loop, RiskLoopConfig, "risk_loop")
        self.execution: ExecutionRulesConfig = _coerce(execution, ExecutionRulesConfig, "execution")
        try:
            self.resolution = Resolution(resolution)
        except ValueError:
            raise ConfigError(
                f"unknown resolution {resolution!r}; one of {[r.value for r in Resolution]}"
            ) from None
        self.portfolio: PortfolioStrategies | None = (
            None if portfolio is None else load_portfolio(portfolio)
        )
        if self.portfolio is not None and self.portfolio.allocations:
            if strategies is not None:
                raise ConfigError(
                    "strategies: give the strategies' allocations once, in strategies= or in "
                    "the portfolio's allocations"
                )
            strategies = self.portfolio.allocations
        self.strategies: dict[str, Strategy] = registry(strategies)
        self.adaptive: AdaptiveConfig | AdaptiveState | None = adaptive_setting(adaptive)

    @classmethod
    def from_yaml(
        cls,
        path: str | Path,
        resolution: Resolution | str = Resolution.HIGHEST_PRIORITY,
        *,
        strategies: StrategiesLike = None,
    ) -> Coordinator:
        """Build from a YAML file with ``policy``, ``sizing``, ``risk_loop`` and ``execution``
        sections (each optional; read as :func:`~portlab.engine.load_config` reads the first
        three).

        ``resolution`` and ``strategies`` are as for the constructor (they are not part of
        the file).
        """
        settings = load_settings(path)
        return cls(
            settings.pop("policy"),
            settings.pop("sizing"),
            resolution,
            strategies=strategies,
            **settings,
        )

    def replace(self, **changes: Any) -> Coordinator:
        """A new Coordinator with this one's settings, ``changes`` (constructor keywords:
        ``policy``, ``sizing``, ``resolution``, ``risk_loop``, ``strategies``, ``execution``,
        ``portfolio``, ``adaptive``) applied; this one is not modified.

        >>> c = Coordinator(sizing={"method": "EQUAL_WEIGHT"})
        >>> c.replace(policy={"max_position_size": 0.03}).sizing.method.value
        'EQUAL_WEIGHT'
        """
        unknown = sorted(set(changes) - _SETTINGS)
        if unknown:
            raise ConfigError(
                f"Coordinator.replace: unknown settings {unknown}; one of {sorted(_SETTINGS)}"
            )
        portfolio = changes.get("portfolio", self.portfolio)
        # a portfolio map with allocations registers the strategies itself
        mapped = portfolio is not None and bool(load_portfolio(portfolio).allocations)
        kept = {
            "policy": self.policy,
            "sizing": self.sizing,
            "resolution": self.resolution,
            "risk_loop": self.risk_loop,
            "strategies": None if mapped else (list(self.strategies.values()) or None),
            "execution": self.execution,
            "portfolio": portfolio,
            "adaptive": self.adaptive,
        }
        kept.update(changes)
        resolution = kept.pop("resolution")
        return Coordinator(kept.pop("policy"), kept.pop("sizing"), resolution, **kept)

    def __repr__(self) -> str:
        return (
            f"Coordinator(resolution={self.resolution.value}, "
            f"allocation={self.sizing.allocation.value}, strategies={list(self.strategies)})"
        )

    def coordinate(
        self,
        signals: SignalsLike,
        state: StateLike,
        market: Market,
        rebalance_requests: RequestsLike = None,
        *,
        as_of: DateLike | None = None,
        journal: DecisionRecorder | None = None,
    ) -> CoordinationResult:
        """Turn a batch of signals (and rebalance requests) into decisions and rejections.

        Parameters
        ----------
        signals : list of TradingSignalEvent (or their JSON dicts), DataFrame, or None
            (:data:`portlab.types.SignalsLike`). The DataFrame form has the columns of
            :data:`portlab.events.SIGNAL_COLUMNS` (``instrument_id``, ``action`` and
            ``confidence`` required). None or an empty list: no signals (rebalance requests
            only).
        state : PortfolioState or mapping (:data:`portlab.types.StateLike`)
            Current holdings and cash. A mapping in the portfolio file's shape
            (``{"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash": 1e5}``)
            is read with :meth:`PortfolioState.from_dict`. Never mutated.
        market : Market
            Prices, sectors, volumes and the risk model. Never mutated. Instruments without a
            sector (``"Unknown"``) each count as a sector of their own: the sector limit does
            not apply to them (an :class:`~portlab.exceptions.InputRepairWarning` says how
            many there are).
        rebalance_requests : RebalanceRequestEvent, dict, or a list of them, optional
            (:data:`portlab.types.RequestsLike`).
            Trades are measured from each adjustment's ``target_weight`` against the actual
            portfolio (the request's ``current_weight`` and ``adjustment_needed`` are not
            used). Under ``allow_short=False`` an adjustment whose target needs a short
            position is rejected (POLICY_LIMIT, rule ``short_selling``) before conflict
            resolution, so it never displaces a signal.
        as_of : str, datetime, Timestamp, date or datetime64, optional
            (:data:`portlab.dates.DateLike`).
            Time stamped on the decisions (a time without a zone is UTC); default: the latest
            input timestamp (so the same inputs always give the same output), or the market's
            last date when no input has one.
        journal : DecisionRecorder, optional
            (:class:`portlab.types.DecisionRecorder`, such as a
            :class:`portlab.journal.Journal`). When given, the run is recorded once
            coordinated: ``journal.record(result, coordinator=self, signals=signals,
            state=..., market=market, rebalance_requests=rebalance_requests, as_of=as_of)``
            with this call's arguments (``state`` as a PortfolioState); the id it returns is
            ``result.run_id``.

        Returns
        -------
        CoordinationResult
            Every signal ends in exactly one decision (``signal_ids``) or one rejection.
            ``run_id`` is the journal's id of the run (None without a journal).

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
        JournalError
            The journal could not record the run (nothing of it is kept).

        Notes
        -----
        Bad records inside a batch do not raise: each becomes a rejection (reason INVALID,
        naming the field) and the rest of the batch is coordinated. Signals or adjustments on
        instruments the market lacks are rejected as UNKNOWN_INSTRUMENT, those without a
        current price as NO_PRICE, and signals without risk data (e.g. a market with a single
        date) as NO_RISK_DATA.
        """
        clock = _Clock()
        given_signals = signals
        state = as_state(state)
        market = as_market(market)
        given = given_as_of(as_of)
        rej = Rejections()
        policy, cfg = self.policy, self.sizing
        book = build_book(state, market, policy.correlation_threshold)
        warn_unknown_sectors(book, policy.max_sector_exposure.limit)
        signals = signal_table(signals, rej, NO_TIME)
        requested, constraints = adjustments(rebalance_requests, book, rej, policy.allow_short)
        when = given if given is not None else latest_time(signals, requested, market)
        signals["timestamp"] = np.where(
            signals["timestamp"] == NO_TIME, when.value, signals["timestamp"]
        )
        n_signals = length(signals) + rej.count(Source.SIGNAL)
        n_adjust = length(requested) + rej.count(Source.REBALANCE)
        clock.tick("validate")

        signals = enrich(
            signals, self.strategies, book.instruments, np.isfinite(book.price), book.risk_ok, rej
        )
        if self.portfolio is not None:
            signals = apply_strategy_map(signals, self.portfolio, self.resolution, rej)
        adaptive_state = current_state(
            self.adaptive,
            journal,
            market,
            when,
            self.strategies,
            self.sizing.default_horizon_days,
        )
        adapted = adapt_signals(signals, adaptive_state, self.sizing.kelly_multiplier)
        signals = self._kelly(adapted.signals, book, rej, adapted.kelly_scale)
        clock.tick("enrich")

        candidates = resolve(signals, requested, book.w, book.vol, self.resolution, cfg, rej)
        clock.tick("resolve")

        candidates = self._size(candidates, book, constraints, rej)
        clock.tick("size")

        candidates = self._allocate(candidates, book, rej)
        clock.tick("allocate")

        candidates = self._enforce(candidates, book, rej)
        clock.tick("enforce")

        decisions = build_decisions(
            candidates, book, policy, cfg, constraints, when, rules=self.execution
        )
        decisions["reasoning"] = adapted.reasoning(decisions)
        clock.tick("decide")

        result = CoordinationResult(
            decisions=decisions,
            ledger=rej,
            candidates=candidates,
            counts=(n_signals, n_adjust),
            timings=clock,
            nav=book.nav,
            as_of=when,
            portfolio_id=getattr(state, "portfolio_id", "main_portfolio"),
            sizing_method=cfg.method,
            adaptive_state=adaptive_state,
        )
        if journal is not None:
            result.run_id = journal.record(
                result,
                coordinator=self,
                signals=given_signals,
                state=state,
                market=market,
                rebalance_requests=rebalance_requests,
                as_of=as_of,
            )
        return result

    # -- stages -------------------------------------------------------------------------

    def _kelly(
        self, signals: Table, book: Book, rej: Rejections, scale: np.ndarray | None = None
    ) -> Table:
        """Kelly sizing of each signal (``scale``: the adaptive multiple of the Kelly
        multiplier, per signal): adds :data:`~portlab.engine.columns.KELLY`; rejects
        signals with a stop on the wrong side, nothing to size from, or no edge."""
        instrument = signals["instrument"]
        k = kelly(
            signals["direction"],
            book.price[instrument],
            book.vol[instrument],
            signals["success_probability"],
            signals["confidence"],
            signals["price_target"],
            signals["stop_price"],
            signals["expected_return"],
            signals["horizon_days"],
            self.sizing,
            scale,
        )
        signals.update(
            kelly=k.fraction,
            kelly_raw=k.raw,
            edge=k.edge,
            reward_risk=k.reward_risk,
            loss_fraction=k.loss_fraction,
            payoff=k.payoff,
            kelly_horizon_days=k.horizon_days,
        )
        drop = np.zeros(length(signals), dtype=bool)
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
                    signals["signal_id"][mask],
                    signals["instrument_id"][mask],
                    signals["strategy_id"][mask],
                    RejectReason.INVALID,
                    f"{path}: {why}",
                    field=path,
                )
                drop |= mask
        no_edge = (k.fraction <= 0) & ~drop
        if no_edge.any():
            rej.add(
                Source.SIGNAL,
                signals["signal_id"][no_edge],
                signals["instrument_id"][no_edge],
                signals["strategy_id"][no_edge],
                RejectReason.NO_EDGE,
                [
                    f"Kelly fraction {r:.4f} <= 0: no edge in the {'BUY' if di > 0 else 'SELL'} direction"
                    for r, di in zip(
                        np.nan_to_num(k.raw[no_edge]), signals["direction"][no_edge], strict=True
                    )
                ],
            )
            drop |= no_edge
        kept = take(signals, ~drop) if drop.any() else signals
        kept["target_size"] = method_targets(kept, book, self.policy, self.sizing)
        return kept

    def _size(
        self,
        candidates: Table,
        book: Book,
        constraints: dict[str, RequestConstraints],
        rej: Rejections,
    ) -> Table:
        """Policy headroom, correlation adjustment, blending and minimum size: adds
        :data:`~portlab.engine.columns.SIZING`."""
        cfg = self.sizing
        m = length(candidates)
        instrument = candidates["instrument"].astype(int)
        direction = candidates["direction"].astype(int)
        w0 = book.w[instrument]
        caps, names = headroom(book, self.policy, instrument, direction)
        col = caps.argmin(axis=1) if m else np.zeros(0, dtype=int)
        cap = caps[np.arange(m), col]
        want_sig = candidates["signal_trade"].astype(float)
        want_rb = candidates["rebalance_trade"].astype(float)
        has_sig, has_rb = ~np.isnan(want_sig), ~np.isnan(want_rb)
        want = np.where(has_sig, want_sig, np.nan_to_num(want_rb))
        constrained = np.minimum(want, cap)
        factor, rho = correlation_factor(book, instrument, direction, cfg.correlation_penalty)
        factor = np.where(has_sig, factor, 1.0)
        adjusted = constrained * factor
        beta = cfg.rebalance_blend
        blended = np.where(
            has_sig & has_rb,
            (1 - beta) * adjusted + beta * np.minimum(np.nan_to_num(want_rb), cap),
            adjusted,
        )
        increasing = direction * w0 >= 0
        small = has_sig & increasing & (blended > 0) & (blended < cfg.min_position_size - SIZE_TOL)
        can_round = (
            small & (cap >= cfg.min_position_size) & (cfg.min_size_rule is MinSizeRule.ROUND_UP)
        )
        sized = np.where(can_round, cfg.min_position_size, np.where(small, 0.0, blended))
        candidates.update(
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
        at_target = want <= SIZE_TOL
        reasons[at_target] = RejectReason.AT_TARGET
        details[at_target] = [
            f"position {fmt_pct(x)} already at or beyond the wanted size" for x in w0[at_target]
        ]
        no_room = ~at_target & (cap <= SIZE_TOL)
        reasons[no_room] = RejectReason.POLICY_LIMIT
        details[no_room] = [
            f"{n} limit leaves no room (position {fmt_pct(x)})"
            for n, x in zip(candidates["binding_rule"][no_room], w0[no_room], strict=True)
        ]
        too_small = (reasons == "") & small & ~can_round
        reasons[too_small] = RejectReason.BELOW_MIN_SIZE
        details[too_small] = [
            f"size {fmt_pct(b)} below the {fmt_pct(cfg.min_position_size)} minimum and room {fmt_pct(c)} too small to round up"
            for b, c in zip(blended[too_small], cap[too_small], strict=True)
        ]
        _request_constraints(candidates, book, constraints, reasons, details)
        return _reject(candidates, reasons, details, rej)

    def _allocate(self, candidates: Table, book: Book, rej: Rejections) -> Table:
        """Capital allocation and the risk feedback loop: adds
        :data:`~portlab.engine.columns.ALLOCATION`."""
        cfg = self.sizing
        m = length(candidates)
        instrument = candidates["instrument"].astype(int)
        direction = candidates["direction"].astype(int)
        raw_edge = candidates["edge"].astype(float)
        edge = np.where(np.isnan(raw_edge), cfg.rebalance_edge, raw_edge)
        priority = candidates["priority"].astype(int)
        reducing = direction * book.w[instrument] < 0
        order = np.lexsort(
            [
                candidates["winner_id"].astype(str),
                candidates["timestamp"].astype(np.int64),
                -edge * PRIORITY_WEIGHT[priority],
                -priority,
                ~reducing,
            ]
        )
        problem = AllocationProblem(
            instrument=instrument,
            direction=direction,
            wanted=candidates["sized"].astype(float),
            edge=edge,
            priority=priority,
            order=order,
            strategy_shares=list(candidates["strategy_shares"]),
            budgets=self._budgets(),
        )
        alloc = allocate(book, self.policy, problem, cfg.allocation)
        x = alloc.sizes
        loop = risk_loop(book, self.policy, self.risk_loop, instrument, direction, x, priority)
        candidates.update(
            allocated=x,
            allocation_binding=alloc.binding,
            allocation_solver=np.full(m, alloc.solver, dtype=object),
            risk_adjusted=loop.sizes,
            risk_iterations=np.full(m, loop.iterations),
        )
        reasons = np.full(m, "", dtype=object)
        details = np.full(m, "", dtype=object)
        has_sig = ~np.isnan(candidates["signal_trade"].astype(float))
        none = x <= SIZE_TOL
        reasons[none] = RejectReason.NO_CAPACITY
        details[none] = [
            f"no room left under the {b or 'batch'} limit" for b in alloc.binding[none]
        ]
        cut_small = (
            ~none
            & has_sig
            & ~reducing
            & (x < cfg.min_position_size - SIZE_TOL)
            & (x < problem.wanted - SIZE_TOL)
        )
        reasons[cut_small] = RejectReason.NO_CAPACITY
        details[cut_small] = [
            f"only {fmt_pct(v)} left under the {b} limit, below the {fmt_pct(cfg.min_position_size)} minimum"
            for v, b in zip(x[cut_small], alloc.binding[cut_small], strict=True)
        ]
        dropped = (reasons == "") & (loop.dropped != "")
        reasons[dropped] = RejectReason.RISK_LIMIT
        details[dropped] = loop.dropped[dropped]
        return _reject(candidates, reasons, details, rej)

    def _enforce(self, candidates: Table, book: Book, rej: Rejections) -> Table:
        """The market impact rule, rounding to shares and the final check of the hard
        limits: adds :data:`~portlab.engine.columns.EXECUTION`."""
        m = length(candidates)
        instrument = candidates["instrument"].astype(int)
        size = candidates["risk_adjusted"].astype(float) if m else np.zeros(0)
        impact = impact_rule(book, instrument, size, self.execution)
        too_small = _cut_below_minimum(candidates, book, impact, self.sizing.min_position_size)
        size = np.where(too_small, 0.0, impact.sizes)
        problem = AllocationProblem(
            instrument=instrument,
            direction=candidates["direction"].astype(int),
            wanted=size,
            edge=np.zeros(m),
            priority=candidates["priority"].astype(int),
            order=np.arange(m),
            strategy_shares=list(candidates["strategy_shares"]),
            budgets=self._budgets(),
        )
        lot = candidates["lot_size"].astype(float)
        ex = round_and_enforce(book, self.policy, problem, size, lot, self.sizing.fractional_shares)
        candidates.update(
            impact_estimate=impact.impact,
            impact_size=impact.sizes,
            shares=np.abs(ex.shares),
            final_size=np.where(ex.trimmed != "", ex.sizes, size),
            executed_size=ex.sizes,
            trimmed_by=ex.trimmed,
        )
        reasons = np.full(m, "", dtype=object)
        details = np.full(m, "", dtype=object)
        reasons[too_small] = RejectReason.BELOW_MIN_SIZE
        details[too_small] = [
            f"cut to {fmt_pct(x)} by the {self.execution.market_impact_limit:.2%} market impact "
            f"limit (impact {i:.2%} before), below the {fmt_pct(self.sizing.min_position_size)} "
            "minimum"
            for x, i in zip(impact.sizes[too_small], impact.impact[too_small], strict=True)
        ]
        zero = (np.abs(ex.shares) == 0) & ~too_small
        trimmed = zero & (ex.trimmed != "")
        reasons[trimmed] = RejectReason.POLICY_LIMIT
        details[trimmed] = [f"trimmed to zero by the final {r} check" for r in ex.trimmed[trimmed]]
        lots = zero & ~trimmed
        reasons[lots] = RejectReason.ROUNDS_TO_ZERO
        details[lots] = [
            f"{fmt_pct(s)} of NAV is less than one lot of {n:g} at {p:,.2f}"
            + (" (cut by the market impact limit)" if cut else "")
            for s, n, p, cut in zip(
                size[lots],
                lot[lots],
                book.price[instrument[lots]],
                impact.shrunk[lots],
                strict=True,
            )
        ]
        return _reject(candidates, reasons, details, rej)

    def _budgets(self) -> dict[str, float]:
        """Each registered strategy's capital budget still free, fraction of NAV."""
        return {k: s.budget for k, s in self.strategies.items()}


# -- helpers ----------------------------------------------------------------------------


class _Clock:
    """Wall time of each stage, in milliseconds (a :class:`~portlab.engine.result.Timings`)."""

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


def _reject(candidates: Table, reasons: np.ndarray, details: np.ndarray, rej: Rejections) -> Table:
    """Move candidates with a reason to the rejection ledger (their signals and adjustments)."""
    out = reasons != ""
    if not out.any():
        return candidates
    for k in np.flatnonzero(out):
        reason = RejectReason(reasons[k])
        rule = str(candidates["binding_rule"][k]) if reason is RejectReason.POLICY_LIMIT else ""
        name = candidates["instrument_id"][k]
        ids = candidates["signal_ids"][k]
        if ids:
            rej.add(
                Source.SIGNAL,
                ids,
                [name] * len(ids),
                candidates["signal_strategies"][k],
                reason,
                str(details[k]),
                rule=rule,
            )
        if candidates["rebalance_ids"][k]:
            ids = candidates["rebalance_ids"][k]
            rej.add(
                Source.REBALANCE, ids, [name] * len(ids), None, reason, str(details[k]), rule=rule
            )
    gone = take(candidates, out)
    gone["outcome"] = reasons[out]
    rej.candidates.append(gone)
    return take(candidates, ~out)


def _cut_below_minimum(
    candidates: Table, book: Book, impact: ImpactRule, min_size: float
) -> np.ndarray:
    """Signals' position-increasing trades that the market impact rule cut below the minimum
    position size ``min_size`` (fraction of NAV): they are dropped (BELOW_MIN_SIZE) before
    the final check, as allocation drops those that the batch limits cut below it."""
    instrument = candidates["instrument"].astype(int)
    increasing = candidates["direction"].astype(int) * book.w[instrument] >= 0
    has_sig = ~np.isnan(candidates["signal_trade"].astype(float))
    return impact.shrunk & has_sig & increasing & (impact.sizes < min_size - SIZE_TOL)


def _request_constraints(
    candidates: Table,
    book: Book,
    constraints: dict[str, RequestConstraints],
    reasons: np.ndarray,
    details: np.ndarray,
) -> None:
    """A rebalance request's ``min_trade_size`` (currency) and ``max_turnover`` (fraction of NAV)."""
    if not constraints:
        return
    only_rb = candidates["origin"] == "REBALANCE"
    sized = candidates["sized"]
    for rid, c in constraints.items():
        mine = only_rb & (candidates["request_id"] == rid) & (reasons == "")
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

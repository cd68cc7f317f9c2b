"""Property-based tests of the coordination engine (``portlab.Coordinator``).

Portfolios, policies, sizing settings, signal batches and rebalance requests are drawn by
hypothesis over a few fixed small synthetic markets; every property is also checked once on
the bundled real sample so that a failure there is easy to read.

Properties:

1. no decision breaches a hard limit (measures recomputed here from their definitions);
2. every signal (and rebalance adjustment) ends exactly once, in a decision or a rejection;
3. inputs are never mutated;
4. determinism: same inputs, same outputs; row order of the signals does not matter;
5. the statistics reconcile with the decisions and rejections;
6. the sizing waterfall is monotone and share quantities round toward zero;
7. decision events are valid and round-trip through JSON;
8. strategy budgets are respected.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from _builders import (
    apply_decisions,
    event_dicts,
    holdings,
    rebalance_request,
    sample_market,
    signals_frame,
    signed_shares,
    state_from_weights,
    state_measures,
    synthetic_market,
    universe,
)
from portlab import (
    AllocationMode,
    Coordinator,
    Policy,
    PortfolioState,
    Resolution,
    SizingConfig,
    SizingMethod,
    Strategy,
)
from portlab.engine import RejectReason

# -- fixed markets ------------------------------------------------------------------------

#: (n_instruments, n_sectors, seed) of the synthetic markets the properties draw from
MARKET_KEYS = ((12, 3, 11), (25, 4, 12), (40, 5, 13))
for _key in MARKET_KEYS:  # build once, at import
    synthetic_market(*_key)

UNKNOWN = ("NOPE", "ZZZ9")
STRATEGY_NAMES = ("alpha", "beta", "gamma")
BASE_TIME = pd.Timestamp("2020-04-20 14:30", tz="UTC")
SELECT = (
    Resolution.HIGHEST_PRIORITY,
    Resolution.BEST_RISK_REWARD,
    Resolution.PERFORMANCE_WEIGHTED,
    Resolution.FIRST_IN_FIRST_OUT,
)
COMBINE = (Resolution.NET, Resolution.WEIGHTED_AVERAGE, Resolution.VOLATILITY_ADJUSTED)

#: multiply every test's example count (e.g. PORTLAB_PROPERTY_SCALE=20 for a long bug hunt)
SCALE = float(os.environ.get("PORTLAB_PROPERTY_SCALE", "1"))

PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


def examples(n: int) -> int:
    return max(1, round(n * SCALE))


def tol(bound: Any) -> Any:
    """Tolerance on a measure bounded by ``bound``: 1e-9 relative, at least 1e-9 absolute."""
    return 1e-9 * np.maximum(1.0, np.abs(bound))


# -- scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """One coordination input, kept in plain Python so that hypothesis prints it fully."""

    market_key: tuple[int, int, int]
    weights: dict[str, float]
    cash: float
    policy: dict[str, Any]
    sizing: dict[str, Any]
    risk_loop: dict[str, Any]
    rows: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    base: float = 1_000_000.0  # currency value the weights are fractions of

    @property
    def market(self):
        return synthetic_market(*self.market_key)

    @property
    def state(self):
        return state_from_weights(self.market, self.weights, self.cash, self.base)

    @property
    def signals(self) -> pd.DataFrame:
        return signals_frame(self.rows)

    def coordinator(
        self, resolution: Resolution, mode: AllocationMode | None = None, strategies: Any = None
    ) -> Coordinator:
        sizing = dict(self.sizing)
        if mode is not None:
            sizing["allocation"] = mode
        return Coordinator(
            policy=self.policy,
            sizing=sizing,
            resolution=resolution,
            risk_loop=self.risk_loop,
            strategies=strategies,
        )

    def run(self, resolution: Resolution, mode: AllocationMode | None = None, strategies=None):
        return self.coordinator(resolution, mode, strategies).coordinate(
            self.signals, self.state, self.market, self.requests or None
        )


def _rule(draw, limit, hard_choices) -> dict[str, Any]:
    return {"limit": draw(limit), "hard": draw(st.sampled_from(hard_choices))}


@st.composite
def policies(draw) -> dict[str, Any]:
    position = draw(st.sampled_from([0.05, 0.02, 0.1]) | st.floats(0.01, 0.15))
    return {
        "max_position_size": {"limit": position, "hard": draw(st.sampled_from([True, False]))},
        "max_sector_exposure": _rule(draw, st.floats(position, 0.6), [True, True, False]),
        "max_correlation_exposure": _rule(draw, st.floats(0.05, 1.0), [True, False]),
        "max_portfolio_volatility": _rule(draw, st.floats(0.04, 0.4), [True, True, False]),
        "max_leverage": _rule(draw, st.floats(0.2, 2.5), [True, True, False]),
        "var_limit": _rule(draw, st.floats(0.003, 0.04), [True, False, False]),
        "var_limit_confidence": draw(st.sampled_from([0.95, 0.99]) | st.floats(0.6, 0.999)),
        "max_position_risk": _rule(draw, st.floats(0.001, 0.06), [True, False, False]),
        "correlation_threshold": draw(st.sampled_from([0.3, 0.4, 0.5]) | st.floats(0.2, 0.9)),
        "allow_short": draw(st.booleans()),
        "cash_floor": draw(st.sampled_from([0.0, 0.05, -0.2, 0.2]) | st.floats(-1.0, 0.5)),
    }


@st.composite
def sizings(draw) -> dict[str, Any]:
    return {
        # every sizing method passes through the same limits: the properties hold for each
        "method": draw(st.sampled_from(list(SizingMethod))),
        "fixed_fraction": draw(st.sampled_from([0.02, 0.3]) | st.floats(0.001, 1.0)),
        "risk_target": draw(st.sampled_from([0.01, 0.2]) | st.floats(0.001, 1.0)),
        "kelly_formula": draw(st.sampled_from(["BINARY_BET", "GROWTH_OPTIMAL"])),
        "kelly_multiplier": draw(st.sampled_from([1.0, 0.5]) | st.floats(0.1, 2.0)),
        "max_kelly_fraction": draw(st.sampled_from([0.25, 0.05]) | st.floats(0.005, 0.6)),
        "min_position_size": draw(st.sampled_from([0.01, 0.0, 0.002, 0.03])),
        "min_size_rule": draw(st.sampled_from(["ROUND_UP", "DROP"])),
        "correlation_penalty": draw(st.sampled_from([0.5, 0.0, 1.0]) | st.floats(0.0, 1.0)),
        "rebalance_blend": draw(st.floats(0.0, 1.0)),
        "fractional_shares": draw(st.sampled_from([False, False, True])),
    }


@st.composite
def risk_loops(draw) -> dict[str, Any]:
    return {
        "max_iterations": draw(st.integers(1, 5)),
        "min_resize": draw(st.sampled_from([0.5, 1.0]) | st.floats(0.05, 1.0)),
        "max_position_risk": draw(st.sampled_from([0.05, 1.0]) | st.floats(0.002, 0.2)),
    }


@functools.cache
def _sampled(values: tuple) -> st.SearchStrategy:
    return st.sampled_from(values)


_WEIGHT = st.sampled_from([0.05, 0.1, -0.05, 0.3]) | st.floats(-0.15, 0.35)
#: cash as a fraction of the base: plenty, none, a little, borrowed
_CASH = st.sampled_from([1.0, 0.0, 1e-4, 0.005, 0.05]) | st.floats(-0.4, 1.5)
#: small portfolios make one lot a large fraction of NAV, so share rounding matters
_BASE = st.sampled_from([1_000_000.0, 200_000.0, 50_000.0])


@st.composite
def holdings_(draw, names: tuple[str, ...]) -> tuple[dict[str, float], float, float]:
    """Weights of a base value (breaches and shorts included), cash and the base."""
    held = draw(st.lists(_sampled(names), max_size=min(12, len(names)), unique=True))
    weights = {name: draw(_WEIGHT) for name in held}
    base = draw(_BASE)
    return weights, draw(_CASH) * base, base


def _fix_cash(market, weights: dict[str, float], cash: float, base: float) -> float:
    """Raise cash so that NAV is at least 5% of the base (the engine needs NAV > 0)."""
    state = state_from_weights(market, weights, 0.0, base)
    mv = float(state.market_values(market.last_prices).sum())
    return max(cash, 0.05 * base - mv)


# strategies used per signal row, built once (building strategies inside a loop is slow)
_KIND = st.integers(0, 19)
_ACTION = st.sampled_from(["BUY", "SELL", "BUY", "SELL", "BUY", "SELL", "HOLD"])
_SIDE = st.sampled_from([1.0, -1.0])
_STOP_KIND = st.sampled_from(["none", "right", "none", "right", "none", "right", "wrong"])
_LOSS = st.floats(0.01, 0.15)
_ONE_IN_TEN = st.integers(0, 9)
_EXPECTED_RETURN = st.floats(-0.02, 0.2)
_SUCCESS = st.floats(0.35, 0.95)
_CONFIDENCE = st.floats(0.0, 1.0)
_MOVE = st.floats(-0.02, 0.4)
_UNKNOWN = st.sampled_from(UNKNOWN)
_URGENCY = st.sampled_from(["NORMAL", "LOW", "HIGH", "CRITICAL"])
# the categorical fields of a row, drawn as one integer (fewer draws: faster generation)
_META_CHOICES = (
    ("strength", ("STRONG", "WEAK", "MODERATE", "VERY_STRONG")),
    ("urgency", ("NORMAL", "LOW", "HIGH", "CRITICAL")),
    ("horizon_days", (np.nan, 21.0, 5.0, 63.0)),
    ("lot_size", (1.0, 1.0, 1.0, 10.0, 100.0)),
    ("minute", (0, 1, 2, 3, 4)),
    ("no_expected_return", (False,) * 9 + (True,)),
    ("no_success_probability", (False,) * 9 + (True,)),
)
_META = st.integers(0, int(np.prod([len(c) for _, c in _META_CHOICES])) - 1)


def _decode_meta(code: int) -> dict[str, Any]:
    out = {}
    for name, choices in _META_CHOICES:
        code, k = divmod(code, len(choices))
        out[name] = choices[k]
    return out


@st.composite
def signal_rows(
    draw,
    market,
    min_size: int = 1,
    max_size: int = 60,
    unique_ids: bool = True,
    strategies: tuple = (*STRATEGY_NAMES, None),
    complete: bool = False,
) -> list[dict[str, Any]]:
    """A batch of signal rows: duplicates per instrument, both sides, HOLDs, stops on either
    side, unknown instruments; ``complete`` rows have every field the event schema needs."""
    names = tuple(market.instruments)
    price = dict(zip(names, market.last_prices.to_numpy(dtype=float), strict=True))
    hot = _sampled(tuple(draw(st.lists(_sampled(names), min_size=1, max_size=4, unique=True))))
    any_name, strategy = _sampled(names), _sampled(strategies)
    n = draw(st.integers(min_size, max_size))
    rows: list[dict[str, Any]] = []
    for i in range(n):
        kind = draw(_KIND)
        if kind < 8:
            inst = draw(hot)
        elif kind < 19 or complete:
            inst = draw(any_name)
        else:
            inst = draw(_UNKNOWN)
        action = draw(_ACTION)
        d = {"BUY": 1.0, "SELL": -1.0}.get(action) or draw(_SIDE)
        p = price.get(inst, 100.0)
        stop_kind = draw(_STOP_KIND)
        loss = draw(_LOSS)
        stop = {"none": np.nan, "right": p * (1 - d * loss), "wrong": p * (1 + d * loss)}[stop_kind]
        meta = _decode_meta(draw(_META))
        er = d * draw(_EXPECTED_RETURN)
        sp = draw(_SUCCESS)
        confidence = draw(_CONFIDENCE)
        signal_id = f"s{i:02d}"
        if not unique_ids and rows and draw(_ONE_IN_TEN) == 0:
            signal_id = draw(_sampled(tuple(r["signal_id"] for r in rows)))
        rows.append(
            {
                "signal_id": signal_id,
                "timestamp": BASE_TIME + pd.Timedelta(minutes=meta["minute"]),
                "instrument_id": inst,
                "action": action,
                "confidence": confidence,
                "strength": meta["strength"],
                "signal_score": d * confidence,
                "price_target": p * (1 + d * draw(_MOVE)),
                "expected_return": np.nan if meta["no_expected_return"] and not complete else er,
                "success_probability": (
                    np.nan if meta["no_success_probability"] and not complete else sp
                ),
                "strategy_id": draw(strategy),
                "stop_price": stop,
                "urgency": meta["urgency"],
                "horizon_days": meta["horizon_days"],
                "lot_size": meta["lot_size"],
            }
        )
    return rows


@st.composite
def rebalance_requests(draw, market, max_requests: int = 2) -> list[dict[str, Any]]:
    names = list(market.instruments)
    sectors = market.sectors
    out = []
    for j in range(draw(st.integers(0, max_requests))):
        adjustments: list[dict[str, Any]] = []
        used: set = set()
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(
                st.sampled_from(["instrument", "instrument", "sector", "strategy", "unknown"])
            )
            if kind in ("instrument", "unknown"):
                name = draw(st.sampled_from(names if kind == "instrument" else list(UNKNOWN)))
                if name in used:
                    continue
                used.add(name)
                adjustments.append(
                    {"instrument_id": name, "target_weight": draw(st.floats(-0.1, 0.2))}
                )
            elif kind == "sector":
                label = draw(st.sampled_from(sorted(sectors.unique())))
                if label in used:
                    continue
                used.add(label)
                members = sorted(sectors.index[sectors == label])
                affected = draw(st.lists(st.sampled_from(members), max_size=3, unique=True))
                adjustments.append(
                    {
                        "sector": label,
                        "target_exposure": draw(st.floats(0.0, 0.4)),
                        "affected_instruments": affected,
                    }
                )
            else:
                name = draw(st.sampled_from(STRATEGY_NAMES))
                if name in used:
                    continue
                used.add(name)
                adjustments.append({"strategy_id": name, "target_weight": draw(st.floats(0, 0.5))})
        if not adjustments:
            continue
        ts = BASE_TIME + pd.Timedelta(minutes=draw(st.integers(0, 4)))
        out.append(
            rebalance_request(
                f"r{j}",
                adjustments,
                timestamp=ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                rebalance_type=draw(st.sampled_from(["TACTICAL", "RISK_DRIVEN"])),
                max_turnover=draw(st.sampled_from([1.0, 0.05]) | st.floats(0.001, 1.0)),
                min_trade_size=draw(st.sampled_from([0.0, 1_000.0, 50_000.0])),
            )
        )
    return out


@st.composite
def scenarios(
    draw,
    with_requests: bool = False,
    unique_ids: bool = True,
    complete: bool = False,
    strategies: tuple = (*STRATEGY_NAMES, None),
    max_signals: int = 60,
) -> Scenario:
    key = draw(st.sampled_from(MARKET_KEYS))
    market = synthetic_market(*key)
    weights, cash, base = draw(holdings_(tuple(market.instruments)))
    return Scenario(
        market_key=key,
        base=base,
        weights=weights,
        cash=_fix_cash(market, weights, cash, base),
        policy=draw(policies()),
        sizing=draw(sizings()),
        risk_loop=draw(st.just({}) | risk_loops()),
        rows=draw(
            signal_rows(
                market,
                max_size=max_signals,
                unique_ids=unique_ids,
                strategies=strategies,
                complete=complete,
            )
        ),
        requests=draw(rebalance_requests(market)) if with_requests else [],
    )


# -- checks shared by the hypothesis and the sample tests --------------------------------


def check_basic_shape(res, policy: Policy, sizing: SizingConfig) -> None:
    """At most one decision per instrument; positive share quantities; BUY/SELL only."""
    dec = res.decisions
    assert not dec["instrument_id"].duplicated().any(), "two decisions on one instrument"
    assert set(dec["action"]) <= {"BUY", "SELL"}
    q = dec["share_quantity"].to_numpy(dtype=float)
    assert (q > 0).all(), f"non-positive share quantities {q[q <= 0]}"
    if not sizing.fractional_shares:
        assert np.array_equal(q, np.round(q)), f"fractional share quantities {q}"
    trades = res.trades()
    sign = np.where(dec["action"].to_numpy() == "BUY", 1.0, -1.0)
    assert np.array_equal(trades.to_numpy(), sign * q)
    assert list(trades.index) == list(dec["instrument_id"])


def check_hard_limits(market, state, res, policy: Policy) -> None:
    """Property 1: every hard measure after <= max(limit, before) (+ tolerance)."""
    u = universe(market)
    before, after = apply_decisions(u, state, res.decisions, policy.correlation_threshold)
    rules = policy.rules()
    problems = []

    def over(name: str, after_v, before_v, limit: float, labels) -> None:
        bound = np.maximum(limit, before_v)
        bad = np.atleast_1d(np.asarray(after_v) > bound + tol(bound))
        for k in np.flatnonzero(bad):
            lab = labels[k] if labels is not None else ""
            a = np.atleast_1d(after_v)[k]
            b = np.atleast_1d(before_v)[k]
            problems.append(f"{name} {lab}: after {a:.12g} > max(limit {limit:g}, before {b:.12g})")

    traded = signed_shares(u, res.decisions) != 0
    if rules["position"].hard:
        idx = np.flatnonzero(traded)
        over(
            "position",
            after.position[idx],
            before.position[idx],
            rules["position"].limit,
            list(u.names[idx]),
        )
    if rules["position_risk"].hard:  # |w| σ of each traded instrument (σ annualised)
        idx = np.flatnonzero(traded)
        sigma = np.sqrt(np.clip(np.nan_to_num(np.diag(u.cov)), 0.0, None))[idx]
        over(
            "position risk",
            after.position[idx] * sigma,
            before.position[idx] * sigma,
            rules["position_risk"].limit,
            list(u.names[idx]),
        )
    if rules["sector"].hard:
        over("sector", after.sector, before.sector, rules["sector"].limit, list(range(u.n_sectors)))
    if rules["leverage"].hard:
        over("leverage", after.leverage, before.leverage, rules["leverage"].limit, None)
    if rules["volatility"].hard:
        over("volatility", after.volatility, before.volatility, rules["volatility"].limit, None)
    if rules["var"].hard:  # the 1-day normal VaR of the ex-ante volatility
        to_var = norm.ppf(policy.var_limit_confidence) / np.sqrt(252)
        over("VaR", to_var * after.volatility, to_var * before.volatility, rules["var"].limit, None)
    if rules["correlation"].hard:
        over(
            "correlated exposure around",
            after.cluster,
            before.cluster,
            rules["correlation"].limit,
            list(u.names),
        )
    floor = min(policy.cash_floor * before.nav, before.cash)
    if after.cash < floor - 1e-9 * before.nav:
        problems.append(f"cash {after.cash:.2f} below min(floor, before) {floor:.2f}")
    if not policy.allow_short:
        q0, q1 = before.qty, after.qty
        bad = (q1 < 0) & ((q0 >= 0) | (q1 < q0))
        for k in np.flatnonzero(bad):
            problems.append(f"long-only: {u.names[k]} goes from {q0[k]:g} to {q1[k]:g} shares")
    assert not problems, "hard limits breached:\n" + "\n".join(problems)


def check_accounting(signal_ids: list[str], res, request_ids: list[str] = ()) -> None:
    """Property 2: each signal id ends exactly once (multisets, so duplicate ids count too)."""
    dec, rej = res.decisions, res.rejections
    decided = Counter(i for ids in dec["signal_ids"] for i in ids)
    rejected = Counter(rej.loc[rej["source"] == "SIGNAL", "id"]) if len(rej) else Counter()
    assert decided + rejected == Counter(signal_ids), (
        f"lost {Counter(signal_ids) - decided - rejected}, "
        f"extra {decided + rejected - Counter(signal_ids)}"
    )
    if len(set(signal_ids)) == len(signal_ids):
        assert not set(decided) & set(rejected), "a signal is both decided and rejected"
    # rebalance adjustments: ids unique over decisions and rejections; each request accounted
    rb_decided = [i for ids in dec["rebalance_ids"] for i in ids]
    rb_rejected = list(rej.loc[rej["source"] == "REBALANCE", "id"]) if len(rej) else []
    every = rb_decided + rb_rejected
    assert len(every) == len(set(every)), f"rebalance adjustment ended twice: {every}"
    assert res.stats["total_rebalance_adjustments"] == len(every)
    for rid in request_ids:
        assert any(str(i).startswith(f"{rid}/") for i in every), f"request {rid} vanished"
    for i in every:
        assert str(i).split("/")[0] in request_ids, f"unknown rebalance adjustment id {i}"


def check_stats(res, n_signals: int) -> None:
    """Property 5."""
    s = res.stats
    assert s["total_signals"] == n_signals
    assert s["accepted_signals"] + s["rejected_signals"] == s["total_signals"]
    assert s["decisions"] == len(res.decisions)
    rej = res.rejections
    assert s["rejected_signals"] == (int((rej["source"] == "SIGNAL").sum()) if len(rej) else 0)
    assert s["accepted_signals"] == sum(len(x) for x in res.decisions["signal_ids"])
    assert 0 <= s["conflicted_signals"] <= s["total_signals"]
    assert 0 <= s["resized_signals"] <= s["decisions"]
    assert sum(s["rejections_by_reason"].values()) == len(rej)


def check_waterfall(state, market, res) -> None:
    """Property 6: monotone sizing, sizes >= 0, shares rounded toward zero."""
    dec = res.decisions
    if not len(dec):
        return
    wf = res.waterfall
    wf = wf[wf["outcome"] == "DECIDED"].set_index("instrument_id")
    for col in (
        "position_size",
        "trade_amount",
        "policy_constrained",
        "correlation_adjusted",
        "final_size",
    ):
        v = dec[col].to_numpy(dtype=float)
        assert (v >= 0).all(), f"negative {col}: {v}"
    k = dec["kelly_fraction"].to_numpy(dtype=float)
    assert (np.isnan(k) | (k >= 0)).all()
    assert np.array_equal(dec["final_size"].to_numpy(), dec["position_size"].to_numpy())
    u = universe(market)
    q0 = holdings(u, state)
    for r in dec.itertuples(index=False):
        rounded_up = bool(wf.loc[r.instrument_id, "min_size_applied"])
        if r.origin == "SIGNAL" and not rounded_up:
            assert r.final_size <= r.correlation_adjusted + 1e-12, r
            assert r.correlation_adjusted <= r.policy_constrained + 2e-12, r
        held = q0[u.names.get_loc(r.instrument_id)]
        d = 1.0 if r.action == "BUY" else -1.0
        closes = d * held < 0 and r.share_quantity == abs(held)
        if not closes:
            assert r.share_quantity * r.price <= r.trade_amount + r.price, r


def check_events(res, sizing: SizingConfig) -> None:
    """Property 7: events round-trip through JSON and match their decision rows."""
    events = res.events()
    dec = res.decisions
    assert len(events) == len(dec)
    for ev, r in zip(events, dec.itertuples(index=False), strict=True):
        text = ev.to_json()
        assert type(ev).from_json(text) == ev
        assert type(ev).from_dict(json.loads(text)) == ev
        assert ev.eventId == r.decision_id
        assert ev.position_sizing.final_size == r.position_size
        assert ev.decision.position_size == r.position_size
        assert ev.decision.instrument_id == r.instrument_id
        assert ev.decision.action.value == r.action
        if not sizing.fractional_shares:
            assert ev.decision.share_quantity == r.share_quantity
        if r.signal_ids:
            assert ev.signal_basis.signal_id == r.signal_id == r.signal_ids[0]
        else:
            assert pd.isna(r.signal_id) and ev.signal_basis is None


def increase_part(state, market, res) -> pd.Series:
    """Per decision: the part of the executed trade that adds to |position| (fraction of NAV)."""
    u = universe(market)
    before = state_measures(u, state, 0.5)
    dec = res.decisions
    out = []
    for r in dec.itertuples(index=False):
        i = u.names.get_loc(r.instrument_id)
        d = 1.0 if r.action == "BUY" else -1.0
        x = r.share_quantity * u.price[i] / before.nav
        free = abs(before.w[i]) if d * before.w[i] < 0 else 0.0
        out.append(max(x - free, 0.0))
    return pd.Series(out, index=dec.index, dtype=float)


def check_budgets(state, market, res, strategies: list[Strategy], resolution) -> None:
    """Property 8: position-increasing trade size per strategy <= its remaining budget."""
    registered = {s.name: s for s in strategies}
    inc = increase_part(state, market, res)
    dec = res.decisions
    budget = {k: max(s.allocation - s.used, 0.0) for k, s in registered.items()}
    for name in dec["strategy_id"]:
        assert name in registered, f"decision for unregistered strategy {name!r}"
    if resolution in SELECT:
        for name, b in budget.items():
            used = float(inc[dec["strategy_id"] == name].sum())
            assert used <= b + tol(b), f"{name} spends {used:.12g} > budget {b:.12g}"
    total = float(inc[dec["signal_ids"].map(len) > 0].sum())
    assert total <= sum(budget.values()) + 1e-9


def snapshot(signals, state, market, policy, requests) -> dict[str, Any]:
    return {
        "signals": copy.deepcopy(signals),
        "state": copy.deepcopy(state.to_dict()),
        "prices": market.prices.copy(deep=True),
        "last": market.last_prices.copy(deep=True),
        "sectors": market.sectors.copy(deep=True),
        "cov": np.array(market.risk_model()[0], copy=True),
        "policy": copy.deepcopy(policy.model_dump()),
        "requests": copy.deepcopy(requests),
    }


def check_unchanged(snap: dict[str, Any], signals, state, market, policy, requests) -> None:
    """Property 3."""
    if isinstance(signals, pd.DataFrame):
        pd.testing.assert_frame_equal(signals, snap["signals"], check_exact=True)
    else:
        assert signals == snap["signals"]
    assert state.to_dict() == snap["state"]
    pd.testing.assert_frame_equal(market.prices, snap["prices"], check_exact=True)
    pd.testing.assert_series_equal(market.last_prices, snap["last"], check_exact=True)
    pd.testing.assert_series_equal(market.sectors, snap["sectors"], check_exact=True)
    assert np.array_equal(market.risk_model()[0], snap["cov"], equal_nan=True)
    assert policy.model_dump() == snap["policy"]
    assert requests == snap["requests"]


def sorted_decisions(dec: pd.DataFrame) -> pd.DataFrame:
    return dec.sort_values("instrument_id", kind="stable").reset_index(drop=True)


def sorted_rejections(rej: pd.DataFrame) -> pd.DataFrame:
    if not len(rej):
        return rej
    return rej.sort_values(["source", "id", "reason"], kind="stable").reset_index(drop=True)


# -- property 1: hard limits --------------------------------------------------------------


@pytest.mark.parametrize("mode", list(AllocationMode))
@pytest.mark.parametrize("resolution", list(Resolution))
@settings(PROPERTY, max_examples=examples(20))
@given(sc=scenarios(with_requests=True))
def test_no_decision_breaches_a_hard_limit(resolution, mode, sc):
    coord = sc.coordinator(resolution, mode)
    res = coord.coordinate(sc.signals, sc.state, sc.market, sc.requests or None)
    check_basic_shape(res, coord.policy, coord.sizing)
    check_hard_limits(sc.market, sc.state, res, coord.policy)


_BINDING = st.sampled_from(["cash", "leverage", "volatility", "sector", "correlation"])


@st.composite
def financed_batches(draw) -> tuple[Scenario, str]:
    """Fully invested portfolios where small sales (rebalance reductions) must finance the
    purchases under one binding limit: share rounding of the sales then matters, and the
    engine's final check has to trim purchases."""
    key = draw(st.sampled_from(MARKET_KEYS))
    market = synthetic_market(*key)
    u = universe(market)
    names = tuple(market.instruments)
    held = draw(st.lists(_sampled(names), min_size=2, max_size=8, unique=True))
    each = draw(st.floats(0.05, 0.2))
    base = draw(_BASE)
    binding = draw(_BINDING)
    # room under the binding limit: each purchase fits alone, all of them need the sales
    slack = draw(st.floats(0.002, 0.03))
    cash = base * (slack if binding == "cash" else 1.0)
    weights = dict.fromkeys(held, each)
    state = state_from_weights(market, weights, cash, base)
    before = state_measures(u, state, 0.3)
    others = tuple(n for n in names if n not in held)
    buys = draw(st.lists(_sampled(others), min_size=1, max_size=6, unique=True))
    cuts = draw(st.lists(st.floats(0.0005, 0.01), min_size=1, max_size=len(held)))
    adjustments = [
        {"instrument_id": n, "target_weight": float(before.w[u.names.get_loc(n)]) - cut}
        for n, cut in zip(held, cuts, strict=False)
    ]
    loose = {"limit": 1.0, "hard": False}  # soft: warnings only
    policy = {
        "max_position_size": {"limit": 0.5, "hard": True},
        "max_sector_exposure": {"limit": 1.0, "hard": False},
        "max_correlation_exposure": loose,
        "max_portfolio_volatility": loose,
        "max_leverage": {"limit": 10.0, "hard": False},
        "correlation_threshold": 0.3,
        "cash_floor": 0.0,
    }
    if binding == "leverage":
        policy["max_leverage"] = {"limit": before.leverage + slack, "hard": True}
    elif binding == "volatility":
        limit = before.volatility * (1 + slack)
        policy["max_portfolio_volatility"] = {"limit": limit, "hard": True}
    elif binding == "sector":
        top = float(before.sector.max()) + slack
        policy["max_sector_exposure"] = {"limit": top, "hard": True}
        policy["max_position_size"]["limit"] = min(0.5, top)
    elif binding == "correlation":
        limit = float(before.cluster.max()) + slack
        policy["max_correlation_exposure"] = {"limit": limit, "hard": True}
    rows = [
        {
            "signal_id": f"b{i}",
            "timestamp": BASE_TIME,
            "instrument_id": n,
            "action": "BUY",
            "confidence": draw(_CONFIDENCE),
            "strength": "STRONG",
            "signal_score": 0.5,
            "price_target": 1.0,
            "expected_return": draw(st.floats(0.01, 0.2)),
            "success_probability": 0.6,
            "strategy_id": None,
            "stop_price": np.nan,
            "urgency": draw(_URGENCY),
            "horizon_days": 21.0,
            "lot_size": draw(st.sampled_from([1.0, 10.0, 100.0])),
        }
        for i, n in enumerate(buys)
    ]
    sc = Scenario(
        market_key=key,
        base=base,
        weights=weights,
        cash=cash,
        policy=policy,
        sizing={
            "min_position_size": draw(st.sampled_from([0.0, 0.001])),
            "fractional_shares": False,
        },
        risk_loop={"max_position_risk": 1.0},
        rows=rows,
        requests=[rebalance_request("r0", adjustments, timestamp="2020-04-20T14:30:00.000Z")],
    )
    return sc, binding


@pytest.mark.parametrize("mode", list(AllocationMode))
@settings(PROPERTY, max_examples=examples(20))
@given(case=financed_batches())
def test_share_rounding_never_breaks_a_limit_in_financed_batches(mode, case):
    sc, _binding = case
    coord = sc.coordinator(Resolution.HIGHEST_PRIORITY, mode)
    res = coord.coordinate(sc.signals, sc.state, sc.market, sc.requests)
    check_basic_shape(res, coord.policy, coord.sizing)
    check_hard_limits(sc.market, sc.state, res, coord.policy)


# -- property 2: every signal ends exactly once -------------------------------------------


@settings(PROPERTY, max_examples=examples(40))
@given(
    sc=scenarios(with_requests=True, unique_ids=False),
    resolution=st.sampled_from(list(Resolution)),
    as_events=st.booleans(),
)
def test_every_signal_ends_exactly_once(sc, resolution, as_events):
    """Also when the batch comes as event dicts, some of them invalid (NaN fields)."""
    signals = event_dicts(sc.rows) if as_events else sc.signals
    res = sc.coordinator(resolution).coordinate(signals, sc.state, sc.market, sc.requests or None)
    check_accounting([r["signal_id"] for r in sc.rows], res, [q["eventId"] for q in sc.requests])


def _aapl_buys() -> list[dict[str, Any]]:
    return [
        {
            "signal_id": "a1",
            "instrument_id": "AAPL",
            "action": "BUY",
            "confidence": 0.8,
            "expected_return": 0.05,
            "strategy_id": "alpha",
        },
        {
            "signal_id": "b1",
            "instrument_id": "AAPL",
            "action": "BUY",
            "confidence": 0.7,
            "expected_return": 0.05,
            "strategy_id": "beta",
        },
    ]


def test_rejections_keep_each_signals_strategy_under_combined_resolution():
    market = sample_market()
    state = state_from_weights(market, {"AAPL": 0.04}, cash=960_000.0)
    coord = Coordinator(sizing={"max_kelly_fraction": 0.02}, resolution="WEIGHTED_AVERAGE")
    res = coord.coordinate(signals_frame(_aapl_buys()), state, market)
    rej = res.rejections.set_index("id")
    assert list(rej["reason"]) == ["AT_TARGET", "AT_TARGET"]
    assert rej.loc["b1", "strategy_id"] == "beta"  # reported as "alpha"


def test_overridden_signal_keeps_its_strategy():
    market = sample_market()
    state = state_from_weights(market, {"AAPL": 0.04}, cash=960_000.0)
    request = rebalance_request(
        "r1", [{"instrument_id": "AAPL", "target_weight": 0.0, "priority": "CRITICAL"}]
    )
    res = Coordinator().coordinate(signals_frame(_aapl_buys()[:1]), state, market, [request])
    rej = res.rejections.set_index("id")
    assert rej.loc["a1", "reason"] == "OVERRIDDEN"
    assert rej.loc["a1", "strategy_id"] == "alpha"  # reported as None


# -- property 3: inputs are never mutated -------------------------------------------------


@settings(PROPERTY, max_examples=examples(20))
@given(
    sc=scenarios(with_requests=True),
    resolution=st.sampled_from(list(Resolution)),
    as_events=st.booleans(),
)
def test_inputs_are_never_mutated(sc, resolution, as_events):
    coord = sc.coordinator(resolution)
    signals = event_dicts(sc.rows) if as_events else sc.signals
    state, market, requests = sc.state, sc.market, copy.deepcopy(sc.requests)
    snap = snapshot(signals, state, market, coord.policy, requests)
    coord.coordinate(signals, state, market, requests or None)
    check_unchanged(snap, signals, state, market, coord.policy, requests)


# -- property 4: determinism --------------------------------------------------------------


@settings(PROPERTY, max_examples=examples(20))
@given(sc=scenarios(with_requests=True), resolution=st.sampled_from(list(Resolution)))
def test_same_inputs_give_identical_results(sc, resolution):
    first = sc.run(resolution)
    second = sc.run(resolution)  # a fresh coordinator and freshly built inputs
    pd.testing.assert_frame_equal(first.decisions, second.decisions, check_exact=True)
    pd.testing.assert_frame_equal(first.rejections, second.rejections, check_exact=True)


def one_side_per_instrument(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with every signal on an instrument turned to the side of its first signal
    (so that no combination of them can cancel out exactly)."""
    side: dict[str, str] = {}
    out = []
    for r in rows:
        first = side.setdefault(r["instrument_id"], r["action"])
        if r["action"] != first:  # mirrored: no stop, so the target price is not used
            r = {
                **r,
                "action": first,
                "expected_return": -r["expected_return"],
                "stop_price": np.nan,
            }
        out.append(r)
    return out


def assert_same_under_shuffle(sc: Scenario, resolution: Resolution, perm: list[int]) -> None:
    frame = sc.signals
    coord = sc.coordinator(resolution)
    res = coord.coordinate(frame, sc.state, sc.market, sc.requests or None)
    # the shuffled frame keeps its permuted index: the engine must not rely on it
    shuffled = coord.coordinate(frame.iloc[perm], sc.state, sc.market, sc.requests or None)
    pd.testing.assert_frame_equal(
        sorted_decisions(res.decisions), sorted_decisions(shuffled.decisions), check_exact=True
    )
    pd.testing.assert_frame_equal(
        sorted_rejections(res.rejections), sorted_rejections(shuffled.rejections)
    )


@settings(PROPERTY, max_examples=examples(30))
@given(sc=scenarios(with_requests=True), resolution=st.sampled_from(SELECT), data=st.data())
def test_row_order_of_signals_does_not_matter(sc, resolution, data):
    """Single-winner resolutions: the winner is chosen by a total order (ties by signal id)."""
    perm = data.draw(st.permutations(range(len(sc.rows))), label="permutation")
    assert_same_under_shuffle(sc, resolution, list(perm))


@settings(PROPERTY, max_examples=examples(20))
@given(sc=scenarios(with_requests=True), resolution=st.sampled_from(COMBINE), data=st.data())
def test_row_order_does_not_matter_for_combined_signals_on_one_side(sc, resolution, data):
    """Combining resolutions, when the signals on an instrument all point the same way.

    The engine sums each instrument's signals in a canonical order (instrument, signal id), so
    the result is identical to the last bit; opposing signals are covered by the NET test
    below, which shows they do not depend on row order either.
    """
    sc = replace(sc, rows=one_side_per_instrument(sc.rows))
    perm = data.draw(st.permutations(range(len(sc.rows))), label="permutation")
    assert_same_under_shuffle(sc, resolution, list(perm))


def test_net_resolution_does_not_depend_on_row_order():
    market = sample_market()
    state = state_from_weights(market, {"AAPL": 0.03}, cash=970_000.0)

    def row(i: int, action: str) -> dict[str, Any]:
        d = 1 if action == "BUY" else -1
        return {
            "signal_id": f"s{i}",
            "instrument_id": "AAPL",
            "action": action,
            "confidence": 0.8,
            "expected_return": 0.05 * d,
        }

    coord = Coordinator(sizing={"max_kelly_fraction": 0.1}, resolution=Resolution.NET)
    grouped = ["SELL", "SELL", "SELL", "BUY", "BUY", "BUY"]
    alternating = ["SELL", "BUY", "SELL", "BUY", "SELL", "BUY"]
    a = coord.coordinate(signals_frame([row(i, x) for i, x in enumerate(grouped)]), state, market)
    b = coord.coordinate(
        signals_frame([row(i, x) for i, x in enumerate(alternating)]), state, market
    )
    assert a.trades().to_dict() == b.trades().to_dict()  # {'AAPL': -239.0} vs {}


@settings(PROPERTY, max_examples=examples(20))
@given(sc=scenarios(complete=True), resolution=st.sampled_from(list(Resolution)))
def test_frame_and_event_inputs_give_the_same_decisions(sc, resolution):
    coord = sc.coordinator(resolution)
    a = coord.coordinate(sc.signals, sc.state, sc.market)
    b = coord.coordinate(event_dicts(sc.rows), sc.state, sc.market)
    pd.testing.assert_frame_equal(a.decisions, b.decisions, check_exact=True)
    pd.testing.assert_frame_equal(sorted_rejections(a.rejections), sorted_rejections(b.rejections))


# -- property 5: stats reconcile ----------------------------------------------------------


@settings(PROPERTY, max_examples=examples(25))
@given(
    sc=scenarios(with_requests=True, unique_ids=False), resolution=st.sampled_from(list(Resolution))
)
def test_stats_reconcile(sc, resolution):
    res = sc.run(resolution)
    check_stats(res, len(sc.rows))


def test_stats_count_every_row_of_a_batch_with_repeated_ids():
    # regression: total_signals once counted the distinct rejected ids (2 here)
    row = {
        "signal_id": "s0",
        "instrument_id": "AAPL",
        "action": "BUY",
        "confidence": 0.8,
        "expected_return": 0.05,
    }
    res = Coordinator().coordinate(
        signals_frame([row, row, row]), PortfolioState(cash=1_000_000.0), sample_market()
    )
    assert res.stats["accepted_signals"] + res.stats["rejected_signals"] == 3
    check_stats(res, 3)


def test_repeated_instrument_adjustments_in_one_request_are_told_apart():
    request = rebalance_request(
        "r1", [{"instrument_id": "JPM", "target_weight": w} for w in (0.01, 0.02, 0.03)]
    )
    res = Coordinator().coordinate([], PortfolioState(cash=1_000_000.0), sample_market(), [request])
    assert res.stats["total_rebalance_adjustments"] == 3
    check_accounting([], res, ["r1"])


# -- property 6: the sizing waterfall -----------------------------------------------------


@settings(PROPERTY, max_examples=examples(35))
@given(
    sc=scenarios(with_requests=True),
    resolution=st.sampled_from(list(Resolution)),
    mode=st.sampled_from(list(AllocationMode)),
)
def test_sizing_waterfall_is_monotone(sc, resolution, mode):
    res = sc.run(resolution, mode)
    check_waterfall(sc.state, sc.market, res)


# -- property 7: events -------------------------------------------------------------------


@settings(PROPERTY, max_examples=examples(20))
@given(sc=scenarios(with_requests=True), resolution=st.sampled_from(list(Resolution)))
def test_decision_events_round_trip(sc, resolution):
    coord = sc.coordinator(resolution)
    res = coord.coordinate(sc.signals, sc.state, sc.market, sc.requests or None)
    check_events(res, coord.sizing)


# -- property 8: strategy budgets ---------------------------------------------------------


@st.composite
def registries(draw) -> list[Strategy]:
    out = []
    for name in STRATEGY_NAMES:
        if draw(st.integers(0, 4)) == 0:
            continue  # not registered: its signals are rejected
        allocation = draw(st.sampled_from([0.01, 0.05, 0.3]) | st.floats(0.001, 0.33))
        used = draw(st.sampled_from([0.0, 0.0, 0.005]) | st.floats(0.0, 0.4))
        out.append(Strategy(name=name, allocation=allocation, used=used))
    return out or [Strategy(name="alpha", allocation=0.02)]


@settings(PROPERTY, max_examples=examples(40))
@given(
    sc=scenarios(strategies=(*STRATEGY_NAMES, None, "rogue")),
    strategies=registries(),
    resolution=st.sampled_from(list(Resolution)),
    mode=st.sampled_from(list(AllocationMode)),
)
def test_strategy_budgets_are_respected(sc, strategies, resolution, mode):
    res = sc.run(resolution, mode, strategies)
    check_budgets(sc.state, sc.market, res, strategies, resolution)
    registered = {s.name for s in strategies}
    strat_of = {r["signal_id"]: r["strategy_id"] or "default" for r in sc.rows}
    for ids in res.decisions["signal_ids"]:
        for i in ids:
            assert strat_of[i] in registered, f"signal {i} of {strat_of[i]!r} was decided"


# -- example-based sanity checks on the real sample ---------------------------------------

SAMPLE_POLICY = Policy(
    max_position_size=0.08,
    max_sector_exposure={"limit": 0.25, "hard": True},
    max_correlation_exposure={"limit": 0.45, "hard": True},
    max_portfolio_volatility=0.25,
    max_leverage=1.0,
    correlation_threshold=0.5,
)


def sample_state():
    """Breaches on purpose: AAPL 12% (> 8% position), IT sector 30% (> 25%), a short in XOM."""
    market = sample_market()
    weights = {"AAPL": 0.12, "MSFT": 0.10, "AMD": 0.08, "JPM": 0.05, "XOM": -0.03, "KO": 0.04}
    return state_from_weights(market, weights, cash=640_000.0)


def sample_rows() -> list[dict[str, Any]]:
    market = sample_market()
    p = market.last_prices
    t = pd.Timestamp("2022-12-28 15:00", tz="UTC")

    def row(i, inst, action, conf, er, strategy="alpha", stop=np.nan, **kw):
        d = 1 if action == "BUY" else -1
        base = {
            "signal_id": f"x{i}",
            "timestamp": t + pd.Timedelta(minutes=i % 3),
            "instrument_id": inst,
            "action": action,
            "confidence": conf,
            "strength": "STRONG",
            "signal_score": 0.5 * d,
            "price_target": float(p.get(inst, 100.0)) * (1 + 0.1 * d),
            "expected_return": er,
            "success_probability": 0.6,
            "strategy_id": strategy,
            "stop_price": stop,
            "urgency": "NORMAL",
            "horizon_days": 21.0,
            "lot_size": 1.0,
        }
        base.update(kw)
        return base

    return [
        row(0, "AAPL", "BUY", 0.9, 0.08),  # already above the position limit
        row(1, "MSFT", "BUY", 0.7, 0.05, strategy="beta"),  # sector already above its limit
        row(2, "MSFT", "SELL", 0.8, -0.04, strategy="gamma"),  # conflicts with x1
        row(3, "JNJ", "BUY", 0.8, 0.06, stop=float(p["JNJ"]) * 0.95),
        row(4, "PFE", "BUY", 0.6, 0.04, strategy="beta"),
        row(5, "XOM", "SELL", 0.7, -0.05),  # would increase a short under long-only
        row(6, "KO", "HOLD", 0.5, 0.01),
        row(7, "TSLA", "BUY", 0.9, 0.1),  # not in the market
        row(8, "CVX", "BUY", 0.8, 0.05, stop=float(p["CVX"]) * 1.05),  # stop on the wrong side
        row(9, "WMT", "BUY", 0.75, -0.02),  # no edge
        row(10, "AMD", "SELL", 0.85, -0.06, urgency="HIGH"),
        row(11, "LLY", "BUY", 0.95, 0.07, urgency="CRITICAL", strategy="gamma"),
        row(12, "UNH", "BUY", 0.7, 0.05),
        row(13, "PG", "BUY", 0.65, 0.03, strategy=None),
    ]


SAMPLE_REQUEST = rebalance_request(
    "rb1",
    [
        {"instrument_id": "JPM", "target_weight": 0.02},
        {"instrument_id": "HD", "target_weight": 0.03},
        {"strategy_id": "alpha", "target_weight": 0.2},
    ],
    timestamp="2022-12-28T15:01:00.000Z",
)


def test_sample_no_hard_limit_breached():
    market, state = sample_market(), sample_state()
    for resolution in Resolution:
        for mode in AllocationMode:
            coord = Coordinator(SAMPLE_POLICY, {"allocation": mode}, resolution)
            res = coord.coordinate(signals_frame(sample_rows()), state, market, [SAMPLE_REQUEST])
            check_basic_shape(res, coord.policy, coord.sizing)
            check_hard_limits(market, state, res, coord.policy)
            assert "AAPL" not in set(res.decisions.query("action == 'BUY'")["instrument_id"])
            assert "XOM" not in set(res.decisions["instrument_id"])  # long-only: no bigger short


def test_sample_every_signal_ends_exactly_once():
    rows = sample_rows()
    res = Coordinator(SAMPLE_POLICY).coordinate(
        signals_frame(rows), sample_state(), sample_market(), [SAMPLE_REQUEST]
    )
    check_accounting([r["signal_id"] for r in rows], res, ["rb1"])
    reasons = res.rejections.set_index("id")["reason"]
    assert reasons["x6"] == RejectReason.HOLD
    assert reasons["x7"] == RejectReason.UNKNOWN_INSTRUMENT
    assert reasons["x8"] == RejectReason.INVALID
    assert reasons["x9"] == RejectReason.NO_EDGE
    assert reasons["rb1/strategy:alpha"] == RejectReason.UNSUPPORTED


def test_sample_duplicate_ids_are_counted():
    rows = sample_rows()[:4]
    rows.append({**rows[0], "instrument_id": "PEP"})  # same id "x0" again
    res = Coordinator(SAMPLE_POLICY).coordinate(
        signals_frame(rows), sample_state(), sample_market()
    )
    check_accounting([r["signal_id"] for r in rows], res)
    dup = res.rejections.query("id == 'x0' and reason == 'INVALID'")
    assert len(dup) == 1 and dup["field"].iloc[0] == "eventId"


def test_sample_inputs_are_never_mutated():
    market, state, coord = sample_market(), sample_state(), Coordinator(SAMPLE_POLICY)
    for signals in (signals_frame(sample_rows()), event_dicts(sample_rows()[:7])):
        requests = [copy.deepcopy(SAMPLE_REQUEST)]
        snap = snapshot(signals, state, market, coord.policy, requests)
        coord.coordinate(signals, state, market, requests)
        check_unchanged(snap, signals, state, market, coord.policy, requests)


def test_sample_determinism_and_row_order():
    market, state = sample_market(), sample_state()
    frame = signals_frame(sample_rows())
    for resolution in Resolution:
        a = Coordinator(SAMPLE_POLICY, resolution=resolution).coordinate(frame, state, market)
        b = Coordinator(SAMPLE_POLICY, resolution=resolution).coordinate(frame, state, market)
        pd.testing.assert_frame_equal(a.decisions, b.decisions, check_exact=True)
        pd.testing.assert_frame_equal(a.rejections, b.rejections, check_exact=True)
        c = Coordinator(SAMPLE_POLICY, resolution=resolution).coordinate(
            frame.iloc[::-1].reset_index(drop=True), state, market
        )
        pd.testing.assert_frame_equal(sorted_decisions(a.decisions), sorted_decisions(c.decisions))
        pd.testing.assert_frame_equal(
            sorted_rejections(a.rejections), sorted_rejections(c.rejections)
        )


def test_sample_frame_and_event_inputs_agree():
    market, state = sample_market(), sample_state()
    rows = [r for r in sample_rows() if r["action"] != "HOLD"]
    coord = Coordinator(SAMPLE_POLICY)
    a = coord.coordinate(signals_frame(rows), state, market)
    b = coord.coordinate(event_dicts(rows), state, market)
    pd.testing.assert_frame_equal(a.decisions, b.decisions)
    pd.testing.assert_frame_equal(sorted_rejections(a.rejections), sorted_rejections(b.rejections))


def test_sample_stats_reconcile():
    rows = sample_rows()
    res = Coordinator(SAMPLE_POLICY).coordinate(
        signals_frame(rows), sample_state(), sample_market(), [SAMPLE_REQUEST]
    )
    check_stats(res, len(rows))
    assert res.stats["total_rebalance_adjustments"] == 3
    assert res.stats["conflicted_signals"] >= 2  # x1 and x2 on MSFT


def test_sample_sizing_waterfall():
    market, state = sample_market(), sample_state()
    for resolution in Resolution:
        res = Coordinator(SAMPLE_POLICY, resolution=resolution).coordinate(
            signals_frame(sample_rows()), state, market, [SAMPLE_REQUEST]
        )
        assert len(res.decisions)
        check_waterfall(state, market, res)


def test_sample_events_round_trip():
    coord = Coordinator(SAMPLE_POLICY)
    res = coord.coordinate(
        signals_frame(sample_rows()), sample_state(), sample_market(), [SAMPLE_REQUEST]
    )
    assert len(res.events()) >= 2
    check_events(res, coord.sizing)


def test_events_of_a_mixed_signal_and_rebalance_batch():
    # regression: with pandas 3 the decisions' signal_id column is str dtype, so the
    # rebalance-only decision's signal_id is NaN, which decision_events() once turned into an
    # invalid signal_basis (ValidationError)
    market = sample_market()
    signal = event_dicts(sample_rows()[3:4])  # one JNJ BUY
    request = rebalance_request("rb1", [{"instrument_id": "JPM", "target_weight": 0.02}])
    coord = Coordinator()
    res = coord.coordinate(signal, PortfolioState(cash=1_000_000.0), market, [request])
    assert sorted(res.decisions["origin"]) == ["REBALANCE", "SIGNAL"]
    check_events(res, coord.sizing)


def test_sample_strategy_budgets():
    market, state = sample_market(), sample_state()
    strategies = [Strategy(name="alpha", allocation=0.015), Strategy(name="beta", allocation=0.03)]
    for resolution in SELECT:
        res = Coordinator(SAMPLE_POLICY, resolution=resolution, strategies=strategies).coordinate(
            signals_frame(sample_rows()), state, market
        )
        check_budgets(state, market, res, strategies, resolution)
        reasons = res.rejections.set_index("id")["reason"]
        assert reasons["x11"] == RejectReason.UNKNOWN_STRATEGY  # gamma is not registered
        assert reasons["x13"] == RejectReason.UNKNOWN_STRATEGY  # no strategy_id: "default"

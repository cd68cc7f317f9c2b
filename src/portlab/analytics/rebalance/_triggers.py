"""Rebalancing triggers: the measurement of each trigger and the reading it gives
(specification §10, "Rebalancing triggers"); the settings and the firing rule are in
:mod:`._settings`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.rebalance._settings import (
    TOL,
    Frequency,
    PerformanceReference,
    RebalanceTriggers,
    TriggerKind,
)
from portlab.analytics.rebalance._trades import PortfolioView
from portlab.exceptions import DataError, ValidationError

if TYPE_CHECKING:
    from portlab.market import Market

__all__ = [
    "Context",
    "Reading",
    "mean_pairwise_correlation",
    "measure",
    "scale_to_budget",
    "severity",
]


_SEVERITY = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
URGENCY_OF = {"LOW": "LOW", "MEDIUM": "NORMAL", "HIGH": "HIGH", "CRITICAL": "CRITICAL"}


def severity(ratio: float, breaks: tuple[float, float, float]) -> str:
    """Severity of ``observed / threshold``: LOW below ``breaks[0]``, then MEDIUM, HIGH, CRITICAL."""
    level = sum(ratio >= b - TOL for b in breaks)
    return _SEVERITY[level]


@dataclass
class Reading:
    """One trigger's measurement.

    ``observed`` and ``threshold`` in the trigger's units (NaN when it could not be measured,
    e.g. an all-cash portfolio has no volatility); ``adjustments`` maps instrument id to
    ``(target weight, urgency)`` and is filled only when the trigger fires.
    """

    kind: TriggerKind
    observed: float
    threshold: float
    fired: bool
    severity: str | None
    description: str
    adjustments: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def urgency(self) -> str | None:
        """Urgency of the request: from severity; NORMAL for a scheduled rebalance."""
        if not self.fired:
            return None
        return "NORMAL" if self.kind is TriggerKind.TIME_BASED else URGENCY_OF[self.severity]


def _fires(observed: float, threshold: float) -> bool:
    return bool(observed - threshold > TOL)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


@dataclass
class Context:
    """Inputs of one evaluation: the view, the market as of ``as_of`` and the config."""

    view: PortfolioView
    market: Market
    config: RebalanceTriggers
    as_of: pd.Timestamp  # naive, UTC date-time
    last_rebalance: pd.Timestamp | None
    risk_budgets: pd.Series | Mapping[str, float] | None
    portfolio_id: str = "main_portfolio"
    _cov: np.ndarray | None = None
    _checked: np.ndarray | None = None

    @property
    def raw_cov(self) -> np.ndarray:
        """Annualised covariance over the view's universe, NaN where the market has none."""
        if self._cov is None:
            full = self.market.covariance(self.config.cov_method, window=self.config.cov_window)
            self._cov = full.to_numpy(dtype=float)[np.ix_(self.view.pos, self.view.pos)]
        return self._cov

    def cov_for(self, used: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The covariance with rows/columns outside ``used`` zeroed, and the ``used``
        instruments it lacks (NaN variance)."""
        cov = self.raw_cov
        bad = used & ~np.isfinite(np.diag(cov))
        drop = ~(used & ~bad)
        out = np.nan_to_num(cov)
        out[drop, :] = 0.0
        out[:, drop] = 0.0
        return out, list(self.view.ids[bad])

    @property
    def cov(self) -> np.ndarray:
        """Covariance for risk shares (instruments held or targeted); DataError where missing."""
        if self._checked is None:
            v = self.view
            cov, missing = self.cov_for((v.w != 0) | (v.t != 0))
            if missing:
                raise DataError(
                    f"market: no covariance for held or targeted instrument(s) {missing[:10]} "
                    f"(too little history in the {self.config.cov_window}-row window)"
                )
            self._checked = cov
        return self._checked

    def returns(self, rows: int, what: str) -> np.ndarray:
        """The last ``rows`` returns of the universe, shape (rows, n); DataError if fewer."""
        r = self.market.returns
        if len(r) < rows:
            raise DataError(
                f"market: the {what} trigger needs {rows} return rows up to {self.as_of.date()}, "
                f"only {len(r)} exist; shorten its window or disable it in RebalanceTriggers.enabled"
            )
        return r.to_numpy(dtype=float)[-rows:, self.view.pos]

    def reading(
        self,
        kind: TriggerKind,
        observed: float,
        threshold: float,
        text: str,
        adjust: Callable[[str], dict[str, tuple[float, str]]] | None = None,
    ) -> Reading:
        """The trigger's reading; when it fires, ``adjust(urgency)`` gives its adjustments."""
        fired = _fires(observed, threshold) if math.isfinite(observed) else False
        sev = severity(observed / threshold, self.config.severity_breaks) if fired else None
        out = Reading(kind, float(observed), float(threshold), fired, sev, text)
        if fired and adjust is not None:
            out.adjustments = adjust(URGENCY_OF[sev])
        return out

    def to_targets(
        self, mask: np.ndarray, urgency: str | np.ndarray
    ) -> dict[str, tuple[float, str]]:
        """Adjustments taking ``mask``-ed instruments that are off target to their targets;
        ``urgency`` is one for all or one per instrument of the view."""
        v = self.view
        off = mask & (np.abs(v.t - v.w) > 1e-12)
        urg = np.broadcast_to(np.asarray(urgency, dtype=object), off.shape)
        return {v.ids[i]: (float(v.t[i]), str(urg[i])) for i in np.flatnonzero(off)}

    def urgencies(self, ratio: np.ndarray) -> np.ndarray:
        """Per-instrument urgency from ``observed / threshold`` ratios (LOW below the breaks)."""
        brk = np.asarray(self.config.severity_breaks) - TOL
        level = (np.asarray(ratio)[:, None] >= brk).sum(axis=1)
        names = np.array([URGENCY_OF[x] for x in _SEVERITY], dtype=object)
        return names[level]


# --------------------------------------------------------------------------- triggers


def _scheduled(cfg: RebalanceTriggers, after: pd.Timestamp, upto: pd.Timestamp) -> int:
    """Number of scheduled dates ``d`` with ``after < d <= upto`` (calendar days)."""
    a, b = after.normalize(), upto.normalize()
    if b <= a:
        return 0
    f = cfg.frequency
    if f is Frequency.DAILY:
        return int((b - a).days)
    if f is Frequency.WEEKLY:
        # weekdays in (a, b]: count of d with d.weekday() == wd
        first = a + pd.Timedelta(days=(cfg.weekday - a.weekday() - 1) % 7 + 1)
        return 0 if first > b else int((b - first).days // 7 + 1)
    months = pd.period_range(a.to_period("M"), b.to_period("M"), freq="M")
    if f is Frequency.QUARTERLY:
        months = months[months.month % 3 == 1]
    elif f is Frequency.ANNUALLY:
        months = months[months.month == 1]
    days = np.minimum(cfg.day_of_month, months.days_in_month)
    dates = months.to_timestamp() + pd.to_timedelta(days - 1, unit="D")
    return int(((dates > a) & (dates <= b)).sum())


def _time_based(ctx: Context) -> Reading:
    cfg, kind = ctx.config, TriggerKind.TIME_BASED
    every = {
        Frequency.DAILY: "daily",
        Frequency.WEEKLY: f"weekly (weekday {cfg.weekday})",
    }.get(cfg.frequency, f"{cfg.frequency.value.lower()} (day {cfg.day_of_month})")
    everything = np.ones(len(ctx.view.ids), dtype=bool)
    if ctx.last_rebalance is None:
        out = Reading(kind, math.nan, 0.0, True, "LOW", f"Scheduled {every} rebalance: none yet")
    else:
        n = _scheduled(cfg, ctx.last_rebalance, ctx.as_of)
        text = (
            f"Scheduled {every} rebalance: {n} scheduled date(s) since the last rebalance on "
            f"{ctx.last_rebalance.date()}"
        )
        out = Reading(kind, float(n), 0.0, n > 0, "LOW" if n > 0 else None, text)
    if out.fired:
        out.adjustments = ctx.to_targets(everything, "NORMAL")
    return out


def _drift(ctx: Context) -> Reading:
    v, thr = ctx.view, ctx.config.weight_deviation
    dev = v.w - v.t
    if len(dev) == 0:
        return ctx.reading(TriggerKind.WEIGHT_DEVIATION, 0.0, thr, "no positions or targets")
    i = int(np.argmax(np.abs(dev)))
    breach = np.abs(dev) - thr > TOL
    text = (
        f"{v.ids[i]} weight {_pct(v.w[i])} is {_pct(abs(dev[i]))} "
        f"{'above' if dev[i] > 0 else 'below'} its target {_pct(v.t[i])} "
        f"(threshold {_pct(thr)}); {int(breach.sum())} instrument(s) beyond the threshold"
    )
    return ctx.reading(
        TriggerKind.WEIGHT_DEVIATION,
        float(abs(dev[i])),
        thr,
        text,
        lambda _: ctx.to_targets(breach, ctx.urgencies(np.abs(dev) / thr)),
    )


def _budgets(ctx: Context) -> list[tuple[str, np.ndarray, float]]:
    """``(label, member positions, budget)`` per risk budget (instrument or sector)."""
    v, m = ctx.view, ctx.market
    raw = ctx.risk_budgets
    if raw is None:  # the target portfolio's own risk shares
        g = ctx.cov @ v.t
        var_t = float(v.t @ g)
        if not var_t > 0:
            return []
        share = v.t * g / var_t
        return [(v.ids[i], np.array([i]), share[i]) for i in np.flatnonzero(share > 0)]
    if isinstance(raw, pd.Series):
        raw = dict(zip(map(str, raw.index), raw.tolist(), strict=True))
    if not isinstance(raw, dict):
        raise ValidationError(
            f"risk_budgets: expected a Series or mapping (got {type(raw).__name__})"
        )
    sectors = m.sectors.reindex(v.names).to_numpy(dtype=object)
    known_sectors = set(m.sectors.tolist())
    out = []
    for key, b in raw.items():
        if isinstance(b, bool) or not isinstance(b, int | float) or not 0 <= b <= 1:
            raise ValidationError(f"risk_budgets.{key}: must be a number in [0, 1] (got {b!r})")
        is_inst, is_sect = key in m.instruments, key in known_sectors
        if is_inst and is_sect:
            raise ValidationError(f"risk_budgets.{key}: both an instrument and a sector")
        if not (is_inst or is_sect):
            raise ValidationError(f"risk_budgets.{key}: neither an instrument nor a sector")
        members = np.flatnonzero((v.ids == key) if is_inst else (sectors == key))
        out.append((str(key), members, float(b)))
    return out


def scale_to_budget(a: float, b: float, d: float, budget: float) -> float | None:
    """Factor ``k`` on a group's weights that makes its risk share equal ``budget``.

    With ``a = w_S' C w_S``, ``b = w_S' C w_R`` and ``d = w_R' C w_R`` (``S`` the group, ``R``
    the rest, ``C`` the covariance) the group's share after scaling is
    ``(k²a + kb) / (k²a + 2kb + d)``, equal to ``budget`` where
    ``(1 - budget) a k² + (1 - 2 budget) b k - budget d = 0``. Returns the largest root in
    ``[0, 1]`` (0 when there is none), or None when the rest carries no risk (``d`` ~ 0:
    scaling cannot change the share).
    """
    if not d > 1e-12 * max(a + 2 * b + d, 1e-300):
        return None
    c2, c1, c0 = (1 - budget) * a, (1 - 2 * budget) * b, -budget * d
    if abs(c2) <= 1e-15 * (abs(c1) + abs(c0)):
        roots = [-c0 / c1] if c1 != 0 else []
    else:
        disc = c1 * c1 - 4 * c2 * c0
        if disc < 0:
            return 0.0
        q = -0.5 * (c1 + math.copysign(math.sqrt(disc), c1))
        roots = [q / c2, c0 / q] if q != 0 else [0.0]
    ok = [r for r in roots if -1e-12 <= r <= 1 + 1e-12]
    return float(min(max(max(ok), 0.0), 1.0)) if ok else 0.0


def _risk_budget(ctx: Context) -> Reading:
    v, thr, kind = ctx.view, ctx.config.risk_budget_breach, TriggerKind.RISK_BUDGET_BREACH
    budgets = _budgets(ctx)
    g = ctx.cov @ v.w if len(v.w) else np.zeros(0)
    var = float(v.w @ g) if len(v.w) else 0.0
    if not budgets or not var > 0:
        return ctx.reading(kind, math.nan, thr, "no risk budgets or no portfolio risk")
    contrib = v.w * g / var
    shares = np.array([contrib[members].sum() for _, members, _ in budgets])
    b = np.array([x for *_, x in budgets])
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(b > 0, shares / b - 1, np.where(shares > TOL, np.inf, -1.0))
    j = int(np.argmax(excess))
    breached = np.flatnonzero(excess - thr > TOL)
    text = (
        f"{budgets[j][0]} carries {_pct(shares[j])} of portfolio risk against a budget of "
        f"{_pct(b[j])} ({_pct(excess[j])} over, threshold {_pct(thr)}); "
        f"{len(breached)} budget(s) breached"
    )

    def adjust(_: str) -> dict[str, tuple[float, str]]:
        out: dict[str, tuple[float, str]] = {}
        for q in breached:
            label, members, budget = budgets[q]
            ws = v.w[members]
            a = float(ws @ ctx.cov[np.ix_(members, members)] @ ws)
            cross = float(ws @ g[members]) - a
            k = scale_to_budget(a, cross, var - a - 2 * cross, budget)
            new = v.t[members] if k is None else k * ws
            urg = URGENCY_OF[severity(excess[q] / thr, ctx.config.severity_breaks)]
            for i, x in zip(members, new, strict=True):
                name = v.ids[i]
                if abs(x - v.w[i]) > 1e-12 and (name not in out or abs(x) < abs(out[name][0])):
                    out[name] = (float(x), urg)
        return out

    return ctx.reading(kind, float(excess[j]), thr, text, adjust)


def _vol_spike(ctx: Context) -> Reading:
    cfg, v, kind = ctx.config, ctx.view, TriggerKind.VOLATILITY_SPIKE
    r = np.nan_to_num(ctx.returns(cfg.long_window, "volatility-spike"))
    rp = r @ v.w
    long_vol, recent_vol = rp.std(ddof=1), rp[-cfg.recent_window :].std(ddof=1)
    if not long_vol > 0:
        return ctx.reading(kind, math.nan, cfg.volatility_spike, "the portfolio has no volatility")
    ratio = recent_vol / long_vol
    ann = math.sqrt(ctx.market.periods_per_year)
    text = (
        f"Portfolio volatility over the last {cfg.recent_window} rows {_pct(recent_vol * ann)} "
        f"(annualised) is {ratio:.2f}x the {cfg.long_window}-row {_pct(long_vol * ann)}; "
        f"threshold {1 + cfg.volatility_spike:.2f}x. Weights scaled by {1 / ratio:.3f} to bring "
        f"recent volatility back to the long-run level"
    )
    held = v.w != 0

    def adjust(urg: str) -> dict[str, tuple[float, str]]:
        return {v.ids[i]: (float(v.w[i] / ratio), urg) for i in np.flatnonzero(held)}

    return ctx.reading(kind, float(ratio - 1), cfg.volatility_spike, text, adjust)


def mean_pairwise_correlation(returns: np.ndarray) -> float:
    """Mean of the off-diagonal sample correlations of the columns of ``returns`` (rows, n).

    Columns with zero variance (and so every pair involving them) are left out; NaN when fewer
    than two columns remain. Computed in O(rows * n) from the sum of the standardised columns:
    the correlations sum to ``||Σ z_i||²``, of which ``n`` is the diagonal.
    """
    x = returns - returns.mean(axis=0)
    norm = np.sqrt((x * x).sum(axis=0))
    keep = norm > 0
    k = int(keep.sum())
    if k < 2:
        return math.nan
    total = (x[:, keep] / norm[keep]).sum(axis=1)
    return float((total @ total - k) / (k * (k - 1)))


def _correlation(ctx: Context) -> Reading:
    cfg, v, kind = ctx.config, ctx.view, TriggerKind.CORRELATION_REGIME_CHANGE
    thr = cfg.correlation_regime_change
    r = ctx.returns(cfg.long_window, "correlation-regime")
    cols = ((v.w != 0) | (v.t != 0)) & np.isfinite(r).all(axis=0)
    if cols.sum() < 2:
        return ctx.reading(kind, math.nan, thr, "fewer than two instruments with full history")
    long_c = mean_pairwise_correlation(r[:, cols])
    recent_c = mean_pairwise_correlation(r[-cfg.recent_window :, cols])
    delta = recent_c - long_c
    text = (
        f"Mean pairwise correlation of {int(cols.sum())} instruments over the last "
        f"{cfg.recent_window} rows {recent_c:.3f} vs {long_c:.3f} over {cfg.long_window} rows "
        f"({'up' if delta > 0 else 'down'} {abs(delta):.3f}, threshold {thr:.2f})"
    )
    everything = np.ones(len(v.ids), dtype=bool)
    return ctx.reading(kind, abs(delta), thr, text, lambda urg: ctx.to_targets(everything, urg))


def _buy_and_hold_return(w: np.ndarray, growth: np.ndarray) -> float:
    """Return over the window of a buy-and-hold book that holds weights ``w`` (and cash
    ``1 - sum(w)``) at its end: ``1 / (1 - sum(w) + sum(w / growth)) - 1``."""
    start = 1.0 - w.sum() + (w / growth).sum()
    return float(1.0 / start - 1.0)


def _performance(ctx: Context) -> Reading:
    cfg, v, kind = ctx.config, ctx.view, TriggerKind.PERFORMANCE_DIVERGENCE
    thr, rows = cfg.performance_divergence, cfg.performance_window
    growth = np.prod(1 + np.nan_to_num(ctx.returns(rows, "performance-divergence")), axis=0)
    ref_kind = cfg.performance_reference
    bench = ctx.market.benchmark_returns
    if ref_kind is None:
        ref_kind = PerformanceReference.TARGET if bench is None else PerformanceReference.BENCHMARK
    if ref_kind is PerformanceReference.BENCHMARK:
        if bench is None:
            raise DataError("market: no benchmark for performance_reference=BENCHMARK")
        ref = float(np.prod(1 + np.nan_to_num(bench.to_numpy(dtype=float)[-rows:])) - 1)
        ref_name = f"the benchmark ({_pct(ref)})"
    else:
        ref = _buy_and_hold_return(v.t, growth)
        ref_name = f"the target portfolio ({_pct(ref)})"
    port = _buy_and_hold_return(v.w, growth)
    dev_p = port - ref
    relevant = (v.w != 0) | (v.t != 0)
    dev_i = np.where(relevant, growth - 1 - ref, 0.0) if cfg.check_instruments else 0 * growth
    i = int(np.argmax(np.abs(dev_i))) if len(dev_i) else 0
    worst_i = float(abs(dev_i[i])) if len(dev_i) else 0.0
    observed = max(abs(dev_p), worst_i)
    n_i = int((np.abs(dev_i) - thr > TOL).sum())
    text = f"Over the last {rows} rows the portfolio returned {_pct(port)} vs {ref_name}"
    if cfg.check_instruments and len(dev_i):
        text += f"; {v.ids[i]} diverges most ({_pct(dev_i[i])}), {n_i} instrument(s) beyond"
    text += f" (threshold {_pct(thr)})"

    def adjust(urg: str) -> dict[str, tuple[float, str]]:
        if _fires(abs(dev_p), thr):
            return ctx.to_targets(np.ones(len(v.ids), dtype=bool), urg)
        return ctx.to_targets(np.abs(dev_i) - thr > TOL, ctx.urgencies(np.abs(dev_i) / thr))

    return ctx.reading(kind, observed, thr, text, adjust)


_MEASURES = {
    TriggerKind.TIME_BASED: _time_based,
    TriggerKind.WEIGHT_DEVIATION: _drift,
    TriggerKind.RISK_BUDGET_BREACH: _risk_budget,
    TriggerKind.VOLATILITY_SPIKE: _vol_spike,
    TriggerKind.CORRELATION_REGIME_CHANGE: _correlation,
    TriggerKind.PERFORMANCE_DIVERGENCE: _performance,
}


def measure(ctx: Context) -> list[Reading]:
    """Readings of the enabled triggers, in :class:`TriggerKind` order."""
    return [_MEASURES[k](ctx) for k in ctx.config.enabled]

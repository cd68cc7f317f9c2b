"""Portfolio constraints for the convex optimizers, and the explanation of infeasible ones.

:class:`Constraints` is a frozen description in labels (assets, sectors, regions);
:func:`resolve` turns it into arrays aligned with a universe of assets; and
:func:`explain_infeasibility` says, in words, why a set of constraints admits no portfolio
("sector caps sum to 0.90 < budget 1.00", "min weight 0.06 × 20 assets = 1.20 > budget 1.00").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import ConfigError, ValidationError

__all__ = ["Constraints", "ResolvedConstraints", "explain_infeasibility", "resolve"]

_TOL = 1e-9  # feasibility tolerance of the closed-form checks (weights are fractions)

BoundLike = float | int | pd.Series | Mapping[str, float] | None


def _finite_or_none(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(f"{what} must be a number or None, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValidationError(f"{what} is NaN")
    return value


def _series(value: Any, what: str) -> pd.Series:
    if isinstance(value, pd.Series):
        s = value.copy()
    elif isinstance(value, Mapping):
        s = pd.Series(dict(value), dtype=float)
    else:
        raise ValidationError(
            f"{what} must be a pandas Series or a mapping, got {type(value).__name__}"
        )
    if not s.index.is_unique:
        dup = s.index[s.index.duplicated()].unique().tolist()
        raise ValidationError(f"{what} has duplicate labels: {dup[:5]}")
    return s


def _numeric_series(value: Any, what: str) -> pd.Series:
    s = _series(value, what)
    try:
        s = s.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{what} must hold numbers: {exc}") from None
    return s


@dataclass(frozen=True, eq=False)
class Constraints:
    """Linear constraints and costs of a mean-variance problem, in weight units (fractions of NAV).

    Parameters
    ----------
    bounds : (lower, upper), optional
        Per-asset weight bounds. Each side is a scalar, a Series/mapping asset → bound (assets
        not listed get the default) or None (default). Defaults: ``(0, +inf)`` when
        ``long_only``, ``(-inf, +inf)`` otherwise; the budget caps long-only weights anyway.
    groups : sequence of (mapping, caps) or (name, mapping, caps)
        Several groupings at once (sector, region, style...). ``mapping`` is a Series or dict
        asset → group label (assets missing from it are not constrained by that grouping;
        entries for assets outside the universe are ignored); ``caps`` maps a label to
        ``(min, max)`` of the group's summed weight (either side may be None) or to a number,
        a cap ``max``. The grouping's name (for messages) is ``name``, the Series' name, or
        ``"group k"``.
    long_only : bool
        No negative weights (lower bounds must then be >= 0).
    max_gross_leverage : float, optional
        Upper bound of ``sum |w_i|`` (long/short portfolios).
    budget : float
        ``sum w_i`` (1 = fully invested; 0 = dollar neutral).
    current_weights : Series, optional
        Current holdings as weights of the same NAV (e.g. ``state.weights(prices)``); assets not
        listed hold 0. Default: all cash. Turnover and costs are measured against them.
    max_turnover : float, optional
        Upper bound of ``sum |w_i - current_i|`` (one-way: buys plus sells, as fractions).
    transaction_costs : float or Series
        Proportional cost per unit of weight traded (0.001 = 10 bp), charged in the objective as
        ``sum c_i |w_i - current_i|`` (a deduction from expected return).
    l2_gamma : float
        L2 regularisation: the optimizer uses ``cov + l2_gamma * I`` in its risk term; reported
        volatilities use ``cov``.
    """

    bounds: tuple[BoundLike, BoundLike] | None = None
    groups: Sequence[tuple] = ()
    long_only: bool = True
    max_gross_leverage: float | None = None
    budget: float = 1.0
    current_weights: pd.Series | Mapping[str, float] | None = None
    max_turnover: float | None = None
    transaction_costs: float | pd.Series | Mapping[str, float] = 0.0
    l2_gamma: float = 0.0
    _group_specs: tuple = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        if not isinstance(self.long_only, bool):
            raise ConfigError(f"long_only must be a bool, got {self.long_only!r}")
        budget = _finite_or_none(self.budget, "budget")
        if budget is None or not math.isfinite(budget):
            raise ConfigError(f"budget must be a finite number, got {self.budget!r}")
        setattr_(self, "budget", budget)
        for name in ("max_gross_leverage", "max_turnover"):
            v = _finite_or_none(getattr(self, name), name)
            if v is not None and v < 0:
                raise ConfigError(f"{name} must be >= 0, got {v}")
            setattr_(self, name, v)
        gamma = _finite_or_none(self.l2_gamma, "l2_gamma")
        if gamma is None or gamma < 0 or not math.isfinite(gamma):
            raise ConfigError(f"l2_gamma must be a finite number >= 0, got {self.l2_gamma!r}")
        setattr_(self, "l2_gamma", gamma)
        # bounds: store copies so that later changes to the caller's objects do not leak in
        if self.bounds is not None:
            if not isinstance(self.bounds, tuple | list) or len(self.bounds) != 2:
                raise ConfigError(f"bounds must be a (lower, upper) pair, got {self.bounds!r}")
            sides = []
            for side, what in zip(self.bounds, ("lower bound", "upper bound"), strict=True):
                if side is None or isinstance(side, int | float | np.integer | np.floating):
                    sides.append(_finite_or_none(side, what))
                else:
                    sides.append(_numeric_series(side, f"bounds ({what}s)"))
            setattr_(self, "bounds", tuple(sides))
        if self.current_weights is not None:
            cw = _numeric_series(self.current_weights, "current_weights")
            bad = cw.index[~np.isfinite(cw.to_numpy())]
            if len(bad):
                raise ValidationError(f"current_weights is not finite for {list(bad[:5])}")
            setattr_(self, "current_weights", cw)
        tc = self.transaction_costs
        if isinstance(tc, pd.Series | Mapping):
            tc = _numeric_series(tc, "transaction_costs")
            bad = tc.index[~(np.isfinite(tc.to_numpy()) & (tc.to_numpy() >= 0))]
            if len(bad):
                raise ConfigError(
                    f"transaction_costs must be finite and >= 0; bad for {list(bad[:5])}"
                )
        else:
            tc = _finite_or_none(tc, "transaction_costs")
            if tc is None or tc < 0 or not math.isfinite(tc):
                raise ConfigError(f"transaction_costs must be a finite number >= 0, got {tc!r}")
        setattr_(self, "transaction_costs", tc)
        setattr_(self, "_group_specs", tuple(_parse_group(g, k) for k, g in enumerate(self.groups)))
        setattr_(self, "groups", tuple(self.groups))

    @property
    def parsed_groups(self) -> tuple[tuple[str, pd.Series, dict[Any, tuple[float, float]]], ...]:
        """The ``groups`` as checked: ``(name, mapping, {label: (min, max)})`` per grouping,
        a missing side of a cap as ``-inf`` / ``+inf``."""
        return self._group_specs

    @property
    def has_costs(self) -> bool:
        """True when some transaction cost is positive."""
        tc = self.transaction_costs
        return bool((tc.to_numpy() > 0).any()) if isinstance(tc, pd.Series) else tc > 0


def _parse_group(spec: Any, k: int) -> tuple[str, pd.Series, dict[Any, tuple[float, float]]]:
    if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
        raise ConfigError(
            f"groups[{k}] must be (mapping, caps) or (name, mapping, caps), got {spec!r}"
        )
    if len(spec) == 3:
        name, mapping, caps = spec
        name = str(name)
    else:
        mapping, caps = spec
        name = (
            str(mapping.name)
            if isinstance(mapping, pd.Series) and mapping.name
            else f"group {k + 1}"
        )
    mapping = _series(mapping, f"groups[{k}] ({name}) mapping")
    if not isinstance(caps, Mapping):
        raise ConfigError(f"groups[{k}] ({name}) caps must be a mapping label -> (min, max)")
    parsed: dict[Any, tuple[float, float]] = {}
    for label, cap in caps.items():
        where = f"groups[{k}] ({name}) cap of {label!r}"
        if isinstance(cap, tuple | list):
            if len(cap) != 2:
                raise ConfigError(f"{where} must be (min, max), got {cap!r}")
            lo, hi = (_finite_or_none(c, where) for c in cap)
        else:
            lo, hi = None, _finite_or_none(cap, where)
        parsed[label] = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
    return name, mapping, parsed


@dataclass(frozen=True, eq=False)
class ResolvedConstraints:
    """:class:`Constraints` as arrays aligned with ``assets`` (internal to the optimizers).

    ``G`` (m × n, 0/1) has one row per capped group with bounds ``gmin``/``gmax`` (±inf when
    open); ``row_names`` names each row ("sector 'Energy'"), ``row_grouping`` its grouping.
    """

    assets: pd.Index
    lb: np.ndarray
    ub: np.ndarray
    G: np.ndarray
    gmin: np.ndarray
    gmax: np.ndarray
    row_names: list[str]
    row_grouping: list[str]
    groupings: list[str]
    empty_groups: list[tuple[str, str, float, float]]
    budget: float
    long_only: bool
    max_gross: float | None
    w0: np.ndarray
    max_turnover: float | None
    costs: np.ndarray
    l2_gamma: float

    @property
    def n(self) -> int:
        return len(self.assets)

    @property
    def has_costs(self) -> bool:
        return bool((self.costs > 0).any())

    @property
    def gross_binding(self) -> bool:
        """True when the gross leverage limit can bind (always False for long-only portfolios
        whose limit is at least the budget)."""
        if self.max_gross is None:
            return False
        return not (self.long_only and self.max_gross >= self.budget - _TOL)

    @property
    def linear_only(self) -> bool:
        """True when only bounds, the budget and group caps constrain (no turnover, costs or
        binding gross leverage): the structure the critical line algorithm handles."""
        return self.max_turnover is None and not self.has_costs and not self.gross_binding


def _per_asset(side: Any, assets: pd.Index, default: float, what: str) -> np.ndarray:
    if side is None:
        return np.full(len(assets), default)
    if isinstance(side, pd.Series):
        vals = side.reindex(assets).to_numpy(dtype=float, na_value=np.nan)
        known = assets.isin(side.index)
        bad = assets[known & np.isnan(vals)]
        if len(bad):
            raise ValidationError(f"bounds: {what} is NaN for {list(bad[:5])}")
        return np.where(known, vals, default)
    return np.full(len(assets), float(side))


def resolve(constraints: Constraints | None, assets: Iterable[Hashable]) -> ResolvedConstraints:
    """Arrays of ``constraints`` aligned with ``assets`` (None → long-only, budget 1).

    Raises
    ------
    ConfigError
        A long-only problem with a negative lower bound, or current weights held in assets
        outside the universe.
    """
    c = Constraints() if constraints is None else constraints
    if not isinstance(c, Constraints):
        raise ValidationError(f"constraints must be a Constraints, got {type(c).__name__}")
    assets = pd.Index(assets)
    n = len(assets)
    lo_side, hi_side = c.bounds if c.bounds is not None else (None, None)
    lb = _per_asset(lo_side, assets, 0.0 if c.long_only else -math.inf, "lower bound")
    ub = _per_asset(hi_side, assets, math.inf, "upper bound")
    if c.long_only:
        neg = assets[lb < 0]
        if len(neg):
            raise ConfigError(
                f"long_only=True but the lower bound is negative for {list(neg[:5])} "
                f"(e.g. {lb[lb < 0][0]:g}); set long_only=False to allow short positions"
            )
    rows, gmin, gmax, names, owners, empty = [], [], [], [], [], []
    groupings = []
    for name, mapping, caps in c.parsed_groups:
        groupings.append(name)
        labels = mapping.reindex(assets)
        for label, (lo, hi) in caps.items():
            member = (labels == label).to_numpy(dtype=bool, na_value=False)
            if not member.any():
                empty.append((name, str(label), lo, hi))
                continue
            rows.append(member.astype(float))
            gmin.append(lo)
            gmax.append(hi)
            names.append(f"{name} {label!r}")
            owners.append(name)
    G = np.vstack(rows) if rows else np.zeros((0, n))
    w0 = np.zeros(n)
    if c.current_weights is not None:
        cw = c.current_weights
        outside = cw[~cw.index.isin(assets) & (cw != 0)]
        if len(outside):
            raise ConfigError(
                f"current_weights hold assets outside the universe: {list(outside.index[:5])}; "
                "include them in mu and cov (they can be given an upper bound of 0 to sell them)"
            )
        w0 = cw.reindex(assets).fillna(0.0).to_numpy(dtype=float)
    tc = c.transaction_costs
    costs = (
        tc.reindex(assets).fillna(0.0).to_numpy(dtype=float)
        if isinstance(tc, pd.Series)
        else np.full(n, float(tc))
    )
    for a in (lb, ub, w0, costs):
        a.flags.writeable = False
    return ResolvedConstraints(
        assets=assets,
        lb=lb,
        ub=ub,
        G=G,
        gmin=np.asarray(gmin, dtype=float),
        gmax=np.asarray(gmax, dtype=float),
        row_names=names,
        row_grouping=owners,
        groupings=groupings,
        empty_groups=empty,
        budget=c.budget,
        long_only=c.long_only,
        max_gross=c.max_gross_leverage,
        w0=w0,
        max_turnover=c.max_turnover,
        costs=costs,
        l2_gamma=c.l2_gamma,
    )


# --------------------------------------------------------------------------- explanations


def _fmt(x: float) -> str:
    return f"{x:.2f}" if abs(x) >= 0.01 or x == 0 else f"{x:.4g}"


def _uniform(a: np.ndarray) -> bool:
    return len(a) > 0 and bool(np.all(a == a[0]))


def quick_reasons(r: ResolvedConstraints) -> list[str]:
    """The closed-form infeasibility checks (O(n·m), no solver): bounds, budget, group caps,
    gross leverage and the turnover needed to reach the budget."""
    out: list[str] = []
    lb, ub, b, assets = r.lb, r.ub, r.budget, r.assets
    crossed = np.flatnonzero(lb > ub + _TOL)
    for i in crossed[:5]:
        out.append(f"{assets[i]}: lower bound {_fmt(lb[i])} > upper bound {_fmt(ub[i])}")
    if len(crossed) > 5:
        out.append(f"... and {len(crossed) - 5} more assets with lower bound > upper bound")
    n = r.n
    slo, shi = lb.sum(), ub.sum()
    if slo > b + _TOL:
        if _uniform(lb):
            out.append(f"min weight {_fmt(lb[0])} × {n} assets = {_fmt(slo)} > budget {_fmt(b)}")
        else:
            out.append(f"the lower bounds sum to {_fmt(slo)} > budget {_fmt(b)}")
    if shi < b - _TOL:
        if _uniform(ub):
            out.append(f"max weight {_fmt(ub[0])} × {n} assets = {_fmt(shi)} < budget {_fmt(b)}")
        else:
            out.append(f"the upper bounds sum to {_fmt(shi)} < budget {_fmt(b)}")
    for name, label, lo, _hi in r.empty_groups:
        if lo > _TOL:
            out.append(
                f"{name} {label!r} has no assets in the universe but a minimum of {_fmt(lo)}"
            )
    G = r.G.astype(bool)
    for k, row in enumerate(G):
        lo, hi, nm = r.gmin[k], r.gmax[k], r.row_names[k]
        if lo > hi + _TOL:
            out.append(f"{nm}: min {_fmt(lo)} > max {_fmt(hi)}")
            continue
        cap_sum, floor_sum = ub[row].sum(), lb[row].sum()
        if lo > cap_sum + _TOL:
            out.append(
                f"{nm}: min {_fmt(lo)} > {_fmt(cap_sum)}, the sum of its {row.sum()} assets' upper bounds"
            )
        if hi < floor_sum - _TOL:
            out.append(
                f"{nm}: max {_fmt(hi)} < {_fmt(floor_sum)}, the sum of its {row.sum()} assets' lower bounds"
            )
    for gname in r.groupings:
        ks = [k for k, g in enumerate(r.row_grouping) if g == gname]
        if not ks:
            continue
        covered = G[ks].any(axis=0)
        most = sum(min(r.gmax[k], ub[G[k]].sum()) for k in ks) + ub[~covered].sum()
        least = sum(max(r.gmin[k], lb[G[k]].sum()) for k in ks) + lb[~covered].sum()
        rest = "" if covered.all() else " plus the upper bounds of the other assets"
        rest_lo = "" if covered.all() else " plus the lower bounds of the other assets"
        if most < b - _TOL and shi >= b - _TOL:
            out.append(f"{gname} caps{rest} sum to {_fmt(most)} < budget {_fmt(b)}")
        if least > b + _TOL and slo <= b + _TOL:
            out.append(f"{gname} minimums{rest_lo} sum to {_fmt(least)} > budget {_fmt(b)}")
    if r.max_gross is not None:
        if r.max_gross < abs(b) - _TOL:
            out.append(f"max gross leverage {_fmt(r.max_gross)} < |budget| {_fmt(abs(b))}")
        forced = np.maximum(lb, 0).sum() + np.maximum(-ub, 0).sum()
        if forced > r.max_gross + _TOL:
            out.append(
                f"the bounds force a gross exposure of at least {_fmt(forced)} > max gross leverage "
                f"{_fmt(r.max_gross)}"
            )
    if r.max_turnover is not None:
        # sells S >= excess above the upper bounds, buys B >= shortfall below the lower ones,
        # B − S = budget − Σ w0: turnover B + S >= max(2·excess + Δ, 2·shortfall − Δ, |Δ|)
        delta = b - r.w0.sum()
        excess = np.maximum(r.w0 - ub, 0).sum()
        short = np.maximum(lb - r.w0, 0).sum()
        need = max(2 * excess + delta, 2 * short - delta, abs(delta))
        if need > r.max_turnover + _TOL:
            out.append(
                f"moving the current weights (sum {_fmt(r.w0.sum())}) within their bounds and to "
                f"budget {_fmt(b)} needs turnover >= {_fmt(need)} > max_turnover "
                f"{_fmt(r.max_turnover)}"
            )
    return out


def _feasibility_lp(r: ResolvedConstraints, families: set[str], minimize_turnover: bool = False):
    """Solve the linear feasibility problem of the chosen constraint families with HiGHS.

    Variables ``[w (n), a (n) >= |w| if gross, t (n) >= |w - w0| if turnover]``.
    Returns the scipy result.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n = r.n
    use_a = "gross" in families
    use_t = "turnover" in families or minimize_turnover
    nv = n * (1 + use_a + use_t)
    eye = sp.identity(n, format="csr")
    blocks_ub, rhs_ub = [], []

    def pad(w_part, a_part=None, t_part=None):
        parts = [w_part]
        if use_a:
            parts.append(a_part if a_part is not None else sp.csr_matrix((w_part.shape[0], n)))
        if use_t:
            parts.append(t_part if t_part is not None else sp.csr_matrix((w_part.shape[0], n)))
        return sp.hstack(parts, format="csr")

    for gname in r.groupings:
        if gname not in families:
            continue
        ks = [k for k, g in enumerate(r.row_grouping) if g == gname]
        Gk = sp.csr_matrix(r.G[ks])
        hi, lo = r.gmax[ks], r.gmin[ks]
        fin_hi, fin_lo = np.isfinite(hi), np.isfinite(lo)
        if fin_hi.any():
            blocks_ub.append(pad(Gk[fin_hi]))
            rhs_ub.append(hi[fin_hi])
        if fin_lo.any():
            blocks_ub.append(pad(-Gk[fin_lo]))
            rhs_ub.append(-lo[fin_lo])
    if use_a:  # w - a <= 0, -w - a <= 0, sum a <= L
        blocks_ub += [
            pad(eye, -eye),
            pad(-eye, -eye),
            pad(sp.csr_matrix((1, n)), sp.csr_matrix(np.ones((1, n)))),
        ]
        rhs_ub += [np.zeros(n), np.zeros(n), [r.max_gross]]
    if use_t:  # w - t <= w0, -w - t <= -w0, (sum t <= T)
        blocks_ub += [pad(eye, t_part=-eye), pad(-eye, t_part=-eye)]
        rhs_ub += [r.w0, -r.w0]
        if "turnover" in families and r.max_turnover is not None:
            blocks_ub.append(pad(sp.csr_matrix((1, n)), t_part=sp.csr_matrix(np.ones((1, n)))))
            rhs_ub.append([r.max_turnover])
    A_ub = sp.vstack(blocks_ub, format="csr") if blocks_ub else None
    b_ub = np.concatenate([np.atleast_1d(np.asarray(x, float)) for x in rhs_ub]) if rhs_ub else None
    A_eq = pad(sp.csr_matrix(np.ones((1, n))))
    if "bounds" in families:
        wb = list(
            zip(
                np.where(np.isfinite(r.lb), r.lb, None),
                np.where(np.isfinite(r.ub), r.ub, None),
                strict=True,
            )
        )
    else:
        wb = [(0.0, None) if r.long_only else (None, None)] * n
    bounds = wb + [(0.0, None)] * (nv - n)
    cost = np.zeros(nv)
    if minimize_turnover:
        cost[nv - n :] = 1.0
    return linprog(
        cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[r.budget], bounds=bounds, method="highs"
    )


def _families(r: ResolvedConstraints) -> list[str]:
    fams = ["bounds", *r.groupings]
    if r.max_gross is not None:
        fams.append("gross")
    if r.max_turnover is not None:
        fams.append("turnover")
    return fams


def _family_label(f: str) -> str:
    return {
        "bounds": "the per-asset bounds",
        "gross": "the gross leverage limit",
        "turnover": "the turnover limit",
    }.get(f, f"the {f} limits")


def lp_reasons(r: ResolvedConstraints) -> list[str]:
    """Reasons found with linear programs (HiGHS): the least turnover that reaches the other
    constraints, and a minimal set of constraint families that cannot hold together."""
    fams = _families(r)
    res = _feasibility_lp(r, set(fams))
    if res.status == 0:
        return []
    out: list[str] = []
    if "turnover" in fams:
        rest = set(fams) - {"turnover"}
        mt = _feasibility_lp(r, rest, minimize_turnover=True)
        if mt.status == 0:
            need = float(mt.fun)
            return [
                f"reaching the other constraints from the current weights needs turnover >= "
                f"{_fmt(need)} > max_turnover {_fmt(r.max_turnover)}"
            ]
    # deletion filter: drop each family whose removal keeps the rest infeasible
    keep = list(fams)
    for f in fams:
        trial = [g for g in keep if g != f]
        if _feasibility_lp(r, set(trial)).status == 2:
            keep = trial
    labels = [_family_label(f) for f in keep]
    if len(labels) == 1:
        out.append(f"{labels[0]} cannot be met with budget {_fmt(r.budget)}")
    else:
        joined = ", ".join(labels[:-1]) + " and " + labels[-1]
        out.append(
            f"{joined} cannot all hold with budget {_fmt(r.budget)} (removing any one of them "
            "makes the rest feasible)"
        )
    return out


def explain_infeasibility(
    constraints: Constraints | None,
    assets: Iterable[Hashable],
    *,
    thorough: bool = True,
) -> list[str]:
    """Why no portfolio satisfies ``constraints`` over ``assets``, in words; ``[]`` if feasible.

    Parameters
    ----------
    constraints : Constraints or None
    assets : iterable of labels
        The universe, e.g. ``mu.index``.
    thorough : bool
        When the closed-form checks find nothing, also solve small linear programs (HiGHS) to
        find the least turnover needed and a minimal conflicting set of constraint families
        (bounds, each grouping, gross leverage, turnover). Costs a few milliseconds.

    Returns
    -------
    list of str
        One sentence per conflict, e.g. ``"sector caps sum to 0.90 < budget 1.00"`` or
        ``"min weight 0.06 × 20 assets = 1.20 > budget 1.00"``.
    """
    r = resolve(constraints, assets)
    reasons = quick_reasons(r)
    if reasons or not thorough:
        return reasons
    return lp_reasons(r)

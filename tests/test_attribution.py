"""Tests of portlab.analytics.attribution: a two-sector Brinson example worked by hand, Cariño /
Menchero / GRAP linking against scalar re-implementations, the sum identities as hypothesis
properties, a per-period pandas groupby loop as a second method, one-sided groups and cash,
factor exposures recovering known betas (and statsmodels' OLS), strategy attribution and the
attribution event of the event contracts (specification §1)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab.analytics import attribution as A
from portlab.analytics.attribution import BrinsonMethod, Linking
from portlab.events import PerformanceAttributionEvent
from portlab.exceptions import DataError, ValidationError

BF, BHB = BrinsonMethod.BRINSON_FACHLER, BrinsonMethod.BHB
GROUPS = pd.Series({"T1": "Tech", "T2": "Tech", "E1": "Energy", "E2": "Energy"})


def _two_sector(periods: int = 1):
    """Tech: T1 12%, T2 4%; Energy: E1 2%, E2 6% (first period).

    Portfolio: T1 45%, T2 15% (Tech 60%, r 10%), E1 40% (Energy 40%, r 2%).
    Benchmark: 25% each (Tech 50%, r 8%; Energy 50%, r 4%).
    """
    idx = pd.date_range("2024-01-31", periods=periods, freq="ME")
    rets = [[0.12, 0.04, 0.02, 0.06], [-0.05, 0.01, 0.03, -0.02], [0.02, 0.03, -0.04, 0.01]]
    returns = pd.DataFrame(rets[:periods], index=idx, columns=["T1", "T2", "E1", "E2"])
    pw = pd.DataFrame([[0.45, 0.15, 0.40, 0.0]] * periods, index=idx, columns=returns.columns)
    bw = pd.Series(0.25, index=returns.columns)
    return pw, returns, bw


# --------------------------------------------------------------------------- by hand
def test_two_sector_example_by_hand_bhb():
    pw, r, bw = _two_sector()
    res = A.brinson(pw, r, bw, None, GROUPS, method=BHB)
    # R_p = 0.6·0.10 + 0.4·0.02 = 0.068; R_b = 0.5·0.08 + 0.5·0.04 = 0.06
    assert res.portfolio_return.iloc[0] == pytest.approx(0.068, abs=1e-15)
    assert res.benchmark_return.iloc[0] == pytest.approx(0.06, abs=1e-15)
    a, s, i = (getattr(res, e).iloc[0] for e in ("allocation", "selection", "interaction"))
    assert a["Tech"] == pytest.approx(0.1 * 0.08)  # (w_p - w_b) r_b
    assert a["Energy"] == pytest.approx(-0.1 * 0.04)
    assert s["Tech"] == pytest.approx(0.5 * 0.02)  # w_b (r_p - r_b)
    assert s["Energy"] == pytest.approx(0.5 * -0.02)
    assert i["Tech"] == pytest.approx(0.1 * 0.02)  # (w_p - w_b)(r_p - r_b)
    assert i["Energy"] == pytest.approx(-0.1 * -0.02)
    assert res.effects.iloc[0].sum() == pytest.approx(0.008, abs=1e-15)
    assert res.portfolio_group_returns.iloc[0]["Tech"] == pytest.approx(0.10)
    assert res.benchmark_group_returns.iloc[0]["Energy"] == pytest.approx(0.04)
    assert res.notes == ()


def test_two_sector_example_by_hand_brinson_fachler():
    pw, r, bw = _two_sector()
    res = A.brinson(pw, r, bw, None, GROUPS, method=BF)
    a = res.allocation.iloc[0]
    assert a["Tech"] == pytest.approx(0.1 * (0.08 - 0.06))  # (w_p - w_b)(r_b - R_b)
    assert a["Energy"] == pytest.approx(-0.1 * (0.04 - 0.06))
    totals = res.effects.iloc[0]
    assert totals["allocation"] == pytest.approx(0.004)
    assert totals["selection"] == pytest.approx(0.0, abs=1e-15)
    assert totals["interaction"] == pytest.approx(0.004)
    # one period: every linking gives the single-period effects
    for link in Linking:
        table = res.relink(link)
        assert table.loc["Tech", "allocation"] == pytest.approx(0.002, rel=1e-12)
        assert table["total"].sum() == pytest.approx(0.008, rel=1e-12)


# --------------------------------------------------------------------------- linking
def _carino_scalar(rp, rb):
    def k(a, b):
        return 1 / (1 + a) if a == b else (math.log(1 + a) - math.log(1 + b)) / (a - b)

    tp = math.prod(1 + x for x in rp) - 1
    tb = math.prod(1 + x for x in rb) - 1
    return [k(a, b) / k(tp, tb) for a, b in zip(rp, rb, strict=True)]


def _menchero_scalar(rp, rb):
    t = len(rp)
    tp = math.prod(1 + x for x in rp) - 1
    tb = math.prod(1 + x for x in rb) - 1
    m = ((tp - tb) / t) / ((1 + tp) ** (1 / t) - (1 + tb) ** (1 / t))
    act = [a - b for a, b in zip(rp, rb, strict=True)]
    alpha = (tp - tb - m * sum(act)) / sum(x * x for x in act)
    return [m + alpha * x for x in act]


def _grap_scalar(rp, rb):
    out = []
    for t in range(len(rp)):
        out.append(math.prod(1 + x for x in rp[:t]) * math.prod(1 + x for x in rb[t + 1 :]))
    return out


def _bf_scalar(wp, rp, wb, rb):
    """Per-group BF effects of one period from group weights and returns (dicts)."""
    total_b = sum(wb[g] * rb[g] for g in wb)
    return {
        g: (
            (wp[g] - wb[g]) * (rb[g] - total_b),
            wb[g] * (rp[g] - rb[g]),
            (wp[g] - wb[g]) * (rp[g] - rb[g]),
        )
        for g in wb
    }


@pytest.mark.parametrize(
    ("linking", "coef"),
    [
        (Linking.CARINO, _carino_scalar),
        (Linking.MENCHERO, _menchero_scalar),
        (Linking.GRAP, _grap_scalar),
    ],
)
def test_multi_period_linking_against_scalar_formulas(linking, coef):
    pw, r, bw = _two_sector(3)
    res = A.brinson(pw, r, bw, None, GROUPS, method=BF, linking=linking)
    # group weights and returns by hand
    wp, wb = {"Tech": 0.6, "Energy": 0.4}, {"Tech": 0.5, "Energy": 0.5}
    rows = r.to_dict("records")
    rp_g = [{"Tech": (0.45 * x["T1"] + 0.15 * x["T2"]) / 0.6, "Energy": x["E1"]} for x in rows]
    rb_g = [{"Tech": (x["T1"] + x["T2"]) / 2, "Energy": (x["E1"] + x["E2"]) / 2} for x in rows]
    rp = [sum(wp[g] * x[g] for g in wp) for x in rp_g]
    rb = [sum(wb[g] * x[g] for g in wb) for x in rb_g]
    np.testing.assert_allclose(res.portfolio_return, rp, rtol=1e-14)
    beta = coef(rp, rb)
    np.testing.assert_allclose(res.coefficients, beta, rtol=1e-12)
    effects = [_bf_scalar(wp, a, wb, b) for a, b in zip(rp_g, rb_g, strict=True)]
    for g in ("Tech", "Energy"):
        for j, name in enumerate(("allocation", "selection", "interaction")):
            expected = sum(beta[t] * effects[t][g][j] for t in range(3))
            assert res.linked.loc[g, name] == pytest.approx(expected, rel=1e-11, abs=1e-16)
    compounded = math.prod(1 + x for x in rp) - math.prod(1 + x for x in rb)
    assert res.linked["total"].sum() == pytest.approx(compounded, rel=1e-12)
    assert res.linked_active == pytest.approx(compounded, rel=1e-12)
    # the linked effects earned up to each period, by hand from the scalar formulas
    over_time = res.linked_over_time
    for j, name in enumerate(("allocation", "selection", "interaction")):
        by_hand = np.cumsum(
            [beta[t] * sum(effects[t][g][j] for g in ("Tech", "Energy")) for t in range(3)]
        )
        np.testing.assert_allclose(over_time[name], by_hand, rtol=1e-11, atol=1e-16)
        assert over_time[name].iloc[-1] == pytest.approx(res.linked[name].sum(), rel=1e-12)


def test_link_function_and_none_is_the_plain_sum():
    rp = pd.Series([0.05, -0.02, 0.03, 0.0])
    rb = pd.Series([0.04, -0.01, 0.02, 0.0])
    effects = pd.DataFrame({"a": (rp - rb) * 0.3, "b": (rp - rb) * 0.7})
    target = np.prod(1 + rp) - np.prod(1 + rb)
    for m in (Linking.CARINO, Linking.MENCHERO, Linking.GRAP):
        assert A.link(effects, rp, rb, m).sum() == pytest.approx(target, rel=1e-12)
    none = A.link(effects, rp, rb, Linking.NONE)
    np.testing.assert_allclose(none, effects.sum(), rtol=1e-15)
    # Series in, float out; a zero benchmark links contributions to the compounded return
    assert A.link(rp, rp, None, "carino") == pytest.approx(np.prod(1 + rp) - 1, rel=1e-12)
    # equal portfolio and benchmark returns (the limits of both formulas)
    same = pd.DataFrame({"x": [0.0, 0.0]})
    eq = pd.Series([0.01, 0.02])
    for m in (Linking.CARINO, Linking.MENCHERO):
        assert A.link(same, eq, eq, m)["x"] == 0.0
        assert np.isfinite(A.linking_coefficients(eq.to_numpy(), eq.to_numpy(), m)).all()
    with pytest.raises(DataError):
        A.link(effects, pd.Series([0.1, -1.0, 0.0, 0.0]), rb)
    with pytest.raises(ValidationError):
        A.link(effects, rp.iloc[:3], rb)


# --------------------------------------------------------------------------- identities
def _random_case(seed, t, n, g, *, cash=False, one_sided=False, short=False):
    rng = np.random.default_rng(seed)
    idx = pd.RangeIndex(t)
    cols = [f"I{i}" for i in range(n)]
    groups = pd.Series([f"G{i % g}" for i in range(n)], index=cols)
    r = pd.DataFrame(rng.normal(0.001, 0.03, (t, n)), index=idx, columns=cols)
    wp = rng.dirichlet(np.ones(n), t)
    wb = rng.dirichlet(np.ones(n), t)
    if one_sided and g > 2:
        wp[:, (groups == "G0").to_numpy()] = 0.0  # G0 only in the benchmark
        wb[:, (groups == "G1").to_numpy()] = 0.0  # G1 only in the portfolio
        wp /= wp.sum(axis=1, keepdims=True)
        wb /= wb.sum(axis=1, keepdims=True)
    if short:
        wp = wp + rng.normal(0, 0.05, wp.shape)
    if cash:
        wp = wp * rng.uniform(0.7, 1.2, (t, 1))
    return (
        pd.DataFrame(wp, index=idx, columns=cols),
        r,
        pd.DataFrame(wb, index=idx, columns=cols),
        groups,
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    t=st.integers(1, 30),
    n=st.integers(2, 25),
    g=st.integers(1, 6),
    cash=st.booleans(),
    one_sided=st.booleans(),
    short=st.booleans(),
    method=st.sampled_from(list(BrinsonMethod)),
    linking=st.sampled_from([Linking.CARINO, Linking.MENCHERO, Linking.GRAP]),
)
def test_sum_identities(seed, t, n, g, cash, one_sided, short, method, linking):
    pw, r, bw, groups = _random_case(seed, t, n, g, cash=cash, one_sided=one_sided, short=short)
    res = A.brinson(pw, r, bw, None, groups, method=method, linking=linking)
    # every period: the effects add up to the active return, itself from the instrument data
    rp = (pw * r).sum(axis=1).to_numpy()
    rb = (bw * r).sum(axis=1).to_numpy()
    np.testing.assert_allclose(res.portfolio_return, rp, atol=1e-14)
    np.testing.assert_allclose(res.effects.sum(axis=1), rp - rb, atol=1e-13)
    np.testing.assert_allclose(res.total.sum(axis=1), rp - rb, atol=1e-13)
    # linked: the effects add up to the compounded active return
    compounded = np.prod(1 + rp) - np.prod(1 + rb)
    assert res.linked["total"].sum() == pytest.approx(compounded, abs=1e-12)
    assert res.linked[["allocation", "selection", "interaction"]].to_numpy().sum() == pytest.approx(
        compounded, abs=1e-12
    )
    # group weights sum to one on each side once cash is counted
    np.testing.assert_allclose(res.portfolio_weights.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(res.benchmark_weights.sum(axis=1), 1.0, atol=1e-12)


def _naive_loop(pw, r, bw, groups, method):
    """Per-period pandas groupby: the straightforward implementation (no one-sided groups)."""
    out = {e: [] for e in ("allocation", "selection", "interaction")}
    for t in r.index:
        frame = pd.DataFrame({"wp": pw.loc[t], "wb": bw.loc[t], "r": r.loc[t], "g": groups})
        frame["cp"], frame["cb"] = frame["wp"] * frame["r"], frame["wb"] * frame["r"]
        agg = frame.groupby("g")[["wp", "wb", "cp", "cb"]].sum()
        rpg, rbg = agg["cp"] / agg["wp"], agg["cb"] / agg["wb"]
        total_b = agg["cb"].sum()
        base = rbg - total_b if method is BF else rbg
        out["allocation"].append((agg["wp"] - agg["wb"]) * base)
        out["selection"].append(agg["wb"] * (rpg - rbg))
        out["interaction"].append((agg["wp"] - agg["wb"]) * (rpg - rbg))
    return {k: pd.DataFrame(v, index=r.index) for k, v in out.items()}


@pytest.mark.parametrize("method", list(BrinsonMethod))
def test_vectorized_equals_a_per_period_groupby_loop(method):
    pw, r, bw, groups = _random_case(11, 40, 30, 5)
    res = A.brinson(pw, r, bw, None, groups, method=method)
    naive = _naive_loop(pw, r, bw, groups, method)
    for name, frame in naive.items():
        np.testing.assert_allclose(getattr(res, name).to_numpy(), frame.to_numpy(), atol=1e-15)


# --------------------------------------------------------------------------- conventions
def test_group_only_in_portfolio_uses_the_benchmark_total_return():
    idx = pd.RangeIndex(1)
    r = pd.DataFrame([[0.10, 0.02, 0.05]], index=idx, columns=["A", "B", "C"])
    groups = {"A": "Tech", "B": "Energy", "C": "Crypto"}
    pw = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    bw = pd.Series({"A": 0.6, "B": 0.4})  # no Crypto in the benchmark
    rb_total = 0.6 * 0.10 + 0.4 * 0.02
    bhb = A.brinson(pw, r, bw, None, groups, method=BHB)
    assert bhb.allocation.loc[0, "Crypto"] == pytest.approx(0.2 * rb_total)
    assert bhb.selection.loc[0, "Crypto"] == 0.0
    assert bhb.interaction.loc[0, "Crypto"] == pytest.approx(0.2 * (0.05 - rb_total))
    assert math.isnan(bhb.benchmark_group_returns.loc[0, "Crypto"])
    bf = A.brinson(pw, r, bw, None, groups, method=BF)
    assert bf.allocation.loc[0, "Crypto"] == pytest.approx(0.0, abs=1e-17)
    assert bf.interaction.loc[0, "Crypto"] == pytest.approx(0.2 * (0.05 - rb_total))
    assert any("'Crypto'" in n and "not the benchmark" in n for n in bf.notes)
    assert "Crypto" in bf.linked.index  # explained, not dropped


def test_group_only_in_benchmark_is_pure_allocation():
    idx = pd.RangeIndex(1)
    r = pd.DataFrame([[0.10, 0.02, 0.05]], index=idx, columns=["A", "B", "C"])
    groups = {"A": "Tech", "B": "Energy", "C": "Utilities"}
    pw = pd.Series({"A": 0.7, "B": 0.3})
    bw = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    rb_total = 0.5 * 0.10 + 0.3 * 0.02 + 0.2 * 0.05
    bf = A.brinson(pw, r, bw, None, groups, method=BF)
    assert bf.allocation.loc[0, "Utilities"] == pytest.approx(-0.2 * (0.05 - rb_total))
    assert bf.selection.loc[0, "Utilities"] == 0.0
    assert bf.interaction.loc[0, "Utilities"] == 0.0
    assert any("'Utilities'" in n and "not the portfolio" in n for n in bf.notes)


def test_weights_not_summing_to_one_get_a_cash_group():
    pw, r, bw = _two_sector()
    pw = pw * 0.9  # 10% cash
    res = A.brinson(pw, r, bw, None, GROUPS, method=BF)
    assert A.CASH_GROUP in res.allocation.columns
    assert res.portfolio_weights.loc[res.portfolio_weights.index[0], A.CASH_GROUP] == pytest.approx(
        0.1
    )
    rb_total = 0.06
    assert res.allocation.iloc[0][A.CASH_GROUP] == pytest.approx(0.1 * (0.0 - rb_total))
    assert res.effects.iloc[0].sum() == pytest.approx(0.9 * 0.068 - 0.06, abs=1e-15)
    (note,) = [n for n in res.notes if "do not sum to 1" in n]
    assert note.startswith("portfolio weights do not sum to 1 in 1 period(s): the remainder (0.1) ")


def test_the_cash_note_gives_the_remainders_range_over_the_periods_it_applies_to():
    pw, r, bw = _two_sector(periods=3)
    pw = pw.mul([0.9, 1.0, 0.75], axis=0)  # 10% cash, fully invested, 25% cash
    (note,) = [n for n in A.brinson(pw, r, bw, None, GROUPS, method=BF).notes if "sum" in n]
    assert "in 2 period(s): the remainder (from 0.1 to 0.25) is the group '(cash)'" in note


def test_long_short_group_netting_to_zero_goes_to_interaction():
    idx = pd.RangeIndex(1)
    r = pd.DataFrame([[0.10, 0.02, 0.05, -0.01]], index=idx, columns=["A", "B", "C", "D"])
    groups = {"A": "X", "B": "X", "C": "Y", "D": "Y"}
    pw = pd.Series({"A": 0.5, "B": 0.5, "C": 0.2, "D": -0.2})
    bw = pd.Series({"A": 0.5, "B": 0.5})
    res = A.brinson(pw, r, bw, None, groups, method=BHB)
    assert res.interaction.loc[0, "Y"] == pytest.approx(0.2 * 0.05 + 0.2 * 0.01)
    assert res.effects.iloc[0].sum() == pytest.approx(
        (pw * r.iloc[0]).sum() - (bw * r.iloc[0].reindex(bw.index)).sum(), abs=1e-15
    )
    assert any("zero net weight" in n for n in res.notes)


def test_market_gives_sector_groups_and_inputs_are_not_mutated():
    from portlab.datasets import load_sample

    market = load_sample().truncate("1990-03-31")
    r = market.returns.iloc[1:]
    pw = pd.DataFrame(1 / 20, index=r.index, columns=r.columns)
    pw[["AAPL", "MSFT"]] = [0.1, 0.0]
    pw = pw.div(pw.sum(axis=1), axis=0)
    bw = pd.Series(1 / 20, index=r.columns)
    snapshots = (pw.copy(), r.copy(), bw.copy())
    res = A.brinson(pw, r, bw, None, market)
    assert set(res.linked.index) == set(market.sectors)
    pd.testing.assert_frame_equal(pw, snapshots[0])
    pd.testing.assert_frame_equal(r, snapshots[1])
    pd.testing.assert_series_equal(bw, snapshots[2])
    again = A.brinson(pw, r, bw, None, market)
    pd.testing.assert_frame_equal(res.linked, again.linked)


def test_brinson_errors():
    pw, r, bw = _two_sector(2)
    with pytest.raises(ValidationError, match="method"):
        A.brinson(pw, r, bw, None, GROUPS, method="nope")
    with pytest.raises(ValidationError, match="linking"):
        A.brinson(pw, r, bw, None, GROUPS, linking="nope")
    with pytest.raises(DataError, match="no group"):
        A.brinson(pw, r, bw, None, GROUPS.drop("E2"))
    bad = r.copy()
    bad.iloc[1, 0] = np.nan
    with pytest.raises(DataError, match="'T1'"):
        A.brinson(pw, bad, bw, None, GROUPS)
    with pytest.raises(ValidationError, match="same periods"):
        A.brinson(pw.iloc[:1], r, bw, None, GROUPS)
    with pytest.raises(ValidationError, match="DataFrame"):
        A.brinson(pw, r.to_numpy(), bw, None, GROUPS)
    # a NaN return where the weight is zero is fine (not held)
    ok = r.copy()
    ok.iloc[0, 3] = np.nan
    pw0 = pw.copy()
    bw0 = pw.copy()
    assert np.isfinite(A.brinson(pw0, ok, bw0, None, GROUPS).linked.to_numpy()).all()


# --------------------------------------------------------------------------- backtests
def test_backtest_weights_are_shifted_onto_next_period_returns():
    from portlab.datasets import load_sample

    market = load_sample().truncate("1990-02-28")
    dates = market.dates
    rng = np.random.default_rng(0)
    w = pd.DataFrame(
        rng.dirichlet(np.ones(20), len(dates)) * 0.95, index=dates, columns=market.instruments
    )
    r = market.returns.reindex(dates)
    equity_ret = (w.shift(1) * r).sum(axis=1, min_count=1).iloc[1:] - 1e-5
    fake = SimpleNamespace(weights=w, returns=equity_ret)
    bw = pd.Series(1 / 20, index=market.instruments)
    res = A.backtest_brinson(fake, market, bw)
    held = w.shift(1).iloc[1:]
    expected = (held * r.iloc[1:]).sum(axis=1)
    np.testing.assert_allclose(res.portfolio_return, expected, atol=1e-15)
    assert A.CASH_GROUP in res.linked.index
    assert any("1e-05" in n for n in res.notes)


# --------------------------------------------------------------------------- factors
def _factor_data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2015-01-01", periods=n)
    f = pd.DataFrame(
        rng.normal(0, [0.01, 0.004, 0.005], (n, 3)), index=idx, columns=["market", "size", "value"]
    )
    true = np.array([1.2, -0.4, 0.3])
    eps = rng.normal(0, 0.003, n)
    y = pd.Series(0.0002 + f.to_numpy() @ true + eps, index=idx, name="portfolio")
    return y, f, true


def test_factor_exposures_recover_known_betas():
    y, f, true = _factor_data()
    fa = A.factor_attribution(y, f)
    se = fa.std_errors[["market", "size", "value"]].to_numpy()
    assert np.all(np.abs(fa.exposures.to_numpy() - true) < 4 * se)
    np.testing.assert_allclose(fa.exposures.to_numpy(), true, atol=0.03)
    assert fa.alpha == pytest.approx(0.0002, abs=4 * fa.std_errors["alpha"])
    # the split of the variance adds up, the contributions add up per period and linked
    assert fa.systematic_variance + fa.idiosyncratic_variance == pytest.approx(fa.total_variance)
    assert fa.systematic_share + fa.idiosyncratic_share == pytest.approx(1.0)
    assert fa.factor_risk.sum() == pytest.approx(fa.systematic_share, rel=1e-10)
    np.testing.assert_allclose(fa.contributions.sum(axis=1), y, atol=1e-15)
    assert fa.total_contributions.sum() == pytest.approx(np.prod(1 + y) - 1, rel=1e-10)
    # the true model's variance split (population): β'Σβ / (β'Σβ + σ²)
    sys_true = float(true**2 @ np.array([0.01, 0.004, 0.005]) ** 2)
    assert fa.systematic_share == pytest.approx(sys_true / (sys_true + 0.003**2), abs=0.02)


def test_factor_attribution_matches_the_normal_equations():
    y, f, _ = _factor_data(500, seed=3)
    f.iloc[[5, 17], 1] = np.nan  # dropped rows
    fa = A.factor_attribution(y, f)
    keep = f.notna().all(axis=1).to_numpy()
    x = np.column_stack([np.ones(keep.sum()), f.to_numpy()[keep]])
    yy = y.to_numpy()[keep]
    xtx = x.T @ x
    coef = np.linalg.solve(xtx, x.T @ yy)
    resid = yy - x @ coef
    s2 = resid @ resid / (len(yy) - 4)
    np.testing.assert_allclose(fa.exposures.to_numpy(), coef[1:], rtol=1e-9)
    np.testing.assert_allclose(
        fa.std_errors.to_numpy(), np.sqrt(s2 * np.diag(np.linalg.inv(xtx))), rtol=1e-8
    )
    r2 = 1 - resid @ resid / np.sum((yy - yy.mean()) ** 2)
    assert fa.r_squared == pytest.approx(r2, rel=1e-10)
    assert fa.n_obs == 498 and fa.notes


def test_benchmark_is_the_market_factor_in_excess_of_the_risk_free_rate():
    y, f, _ = _factor_data(800, seed=5)
    fa = A.factor_attribution(
        y, f[["size", "value"]], benchmark_returns=f["market"], risk_free_rate=0.04
    )
    rf = 1.04 ** (1 / 252) - 1
    full = A.factor_attribution(y - rf, f.assign(market=f["market"] - rf))
    np.testing.assert_allclose(
        fa.exposures[["market", "size", "value"]],
        full.exposures[["market", "size", "value"]],
        rtol=1e-10,
    )
    with pytest.raises(ValidationError, match="market"):
        A.factor_attribution(y, f, benchmark_returns=f["market"])
    with pytest.raises(DataError, match="collinear"):
        A.factor_attribution(y, f.assign(twice=2 * f["size"]))
    with pytest.raises(DataError, match="complete periods"):
        A.factor_attribution(y.iloc[:4], f.iloc[:4])


def test_style_factor_returns_from_the_sample():
    from portlab.datasets import load_sample

    market = load_sample()
    fr = A.style_factor_returns(market)
    assert list(fr.columns) == ["market", "momentum", "quality", "size", "low_vol", "value"]
    bench = market.benchmark_returns
    np.testing.assert_allclose(
        fr["size"].dropna(), (market.factor_returns["SIZE"] - bench).dropna(), rtol=1e-15
    )
    assert fr.loc[:"2013", "value"].isna().all()


# --------------------------------------------------------------------------- strategies
def test_strategy_attribution_contributions_and_risk():
    rng = np.random.default_rng(4)
    idx = pd.bdate_range("2022-01-03", periods=300)
    cov = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.0]]) * 1e-4
    sr = pd.DataFrame(
        rng.multivariate_normal([8e-4, 2e-4, -3e-4], cov, 300),
        index=idx,
        columns=["momentum", "mean_reversion", "defensive"],
    )
    w = pd.Series({"momentum": 0.4, "mean_reversion": 0.35, "defensive": 0.15})  # 10% cash
    table = A.strategy_attribution(sr, w)
    port = sr.to_numpy() @ w.to_numpy()
    assert table["return_contribution"].sum() == pytest.approx(np.prod(1 + port) - 1, rel=1e-12)
    vol = np.std(port, ddof=1) * np.sqrt(252)
    assert table["risk_contribution"].sum() == pytest.approx(vol, rel=1e-12)
    # static weights: Euler contributions w_s (Σ w)_s / σ from the covariance matrix
    sigma = np.cov(sr.to_numpy(), rowvar=False) * 252
    euler = w.to_numpy() * (sigma @ w.to_numpy()) / np.sqrt(w.to_numpy() @ sigma @ w.to_numpy())
    np.testing.assert_allclose(table["risk_contribution"], euler, rtol=1e-10)
    assert table["risk_share"].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(table["weight"], w.to_numpy())
    # labels: annualised return vs the portfolio's, ±2 points
    ann = (1 + sr).prod() ** (252 / 300) - 1
    ref = np.prod(1 + port) ** (252 / 300) - 1
    expected = np.where(
        ann - ref > 0.02, "OUTPERFORMING", np.where(ann - ref < -0.02, "UNDERPERFORMING", "NEUTRAL")
    )
    np.testing.assert_array_equal(table["performance"], expected)
    # time-varying weights: contributions still add up
    wt = pd.DataFrame(rng.dirichlet(np.ones(3), 300), index=idx, columns=sr.columns)
    tv = A.strategy_attribution(sr, wt, linking=Linking.GRAP)
    port_t = (sr * wt).sum(axis=1)
    assert tv["return_contribution"].sum() == pytest.approx(np.prod(1 + port_t) - 1, rel=1e-12)
    with pytest.raises(ValidationError, match="exactly the strategies"):
        A.strategy_attribution(sr, w.drop("defensive"))


# --------------------------------------------------------------------------- the event
def test_attribution_event_shaped_like_the_event_contract():
    from portlab.datasets import load_sample

    market = load_sample().truncate("2022-12-31")
    r = market.returns.loc["2022-06-01":"2022-06-30"]
    bench = market.benchmark_returns.loc[r.index]
    pw = pd.Series(0.0, index=r.columns)
    pw[["AAPL", "MSFT", "XOM", "JNJ", "KO"]] = [0.3, 0.2, 0.2, 0.2, 0.1]
    bw = pd.Series(1 / 20, index=r.columns)
    sectors = A.brinson(pw, r, bw, None, market)
    port = sectors.portfolio_return
    sr = pd.DataFrame(
        {
            "momentum": r[["AAPL", "MSFT"]].mean(axis=1),
            "mean_reversion": r[["XOM", "JNJ", "KO"]].mean(axis=1),
        }
    )
    strategies = A.strategy_attribution(sr, {"momentum": 0.5, "mean_reversion": 0.5})
    factors = A.style_factor_returns(market).loc[r.index]
    event = A.attribution_event(
        port,
        bench,
        sectors=sectors,
        strategies=strategies,
        factors=factors,
        portfolio_id="main_portfolio",
    )
    assert isinstance(event, PerformanceAttributionEvent)
    data = json.loads(event.to_json())
    assert set(data) == {
        "eventId",
        "timestamp",
        "portfolio_id",
        "attribution_period",
        "portfolio_performance",
        "strategy_attribution",
        "sector_attribution",
        "risk_attribution",
    }
    perf = data["portfolio_performance"]
    assert perf["total_return"] == pytest.approx(np.prod(1 + port) - 1, rel=1e-12)
    assert perf["benchmark_return"] == pytest.approx(np.prod(1 + bench) - 1, rel=1e-12)
    assert perf["excess_return"] == pytest.approx(perf["total_return"] - perf["benchmark_return"])
    assert data["attribution_period"] == {
        "start": "2022-06-01T00:00:00.000Z",
        "end": "2022-06-30T00:00:00.000Z",
    }
    sect = data["sector_attribution"]
    assert set(sect) == set(market.sectors)
    for row in sect.values():
        assert row["return_contribution"] == pytest.approx(
            row["weight_effect"] + row["selection_effect"] + row["interaction_effect"]
        )
    # the sector effects explain the active return against the Brinson benchmark
    assert sum(v["return_contribution"] for v in sect.values()) == pytest.approx(
        sectors.linked_active, rel=1e-10
    )
    own = A.attribution_event(port, None, sectors=sectors)
    assert own.portfolio_performance.excess_return == pytest.approx(
        sum(v.return_contribution for v in own.sector_attribution.values()), rel=1e-10
    )
    assert set(data["strategy_attribution"]["momentum"]) == {
        "return_contribution",
        "risk_contribution",
        "weight",
        "performance",
    }
    risk = data["risk_attribution"]
    assert risk["systematic_risk"] + risk["idiosyncratic_risk"] == pytest.approx(1.0)
    assert set(risk["factor_exposures"]) == set(A.EVENT_FACTOR_NAMES.values())
    assert PerformanceAttributionEvent.from_json(event.to_json()).to_dict() == data
    # the default risk model is the market alone
    market_only = A.attribution_event(port, bench)
    assert list(market_only.risk_attribution.factor_exposures) == ["market_beta"]
    assert market_only.sector_attribution == {} and market_only.strategy_attribution == {}

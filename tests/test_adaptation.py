"""Adaptation: the engine learns from its outcomes (issue 14).

Expected values are worked by hand from the update rule of :mod:`portlab.engine.adaptation`:
every ``adaptation_period`` realized outcomes a quantity moves toward its target by at most
``learning_rate``; the calibration target is ``hit rate / stated p``; the Kelly target is
``f(hit rate) / f(stated p)`` with ``f(x) = x - (1 - x) / R`` at the realized payoff ``R``;
both are neutral while ``|hit rate - stated p| <= noise_z × sqrt(Σ p (1 - p)) / n``.
"""

from __future__ import annotations

import copy
import math
import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticValidationError

import portlab
from portlab import Coordinator, Market
from portlab.analytics.backtest import Backtest, SignalStrategy, compare_adaptive
from portlab.datasets import load_sample, synthetic
from portlab.engine import AdaptiveConfig, AdaptiveState, PerformanceTier, TrackRecord
from portlab.engine.adaptation import CHANGE_COLUMNS, AdaptedQuantity, StrategyAdaptation
from portlab.engine.adapting import adapt_signals
from portlab.engine.learning import learn, track_records, update
from portlab.engine.realized import (
    OUTCOME_COLUMNS,
    EntrySource,
    journal_outcomes,
    outcomes,
    realized,
    with_stated,
)
from portlab.events import TradeExecutedEvent
from portlab.exceptions import ConfigError, ValidationError
from portlab.journal import Journal

START = pd.Timestamp("2021-01-04", tz="UTC")


def stream(
    stated: float,
    wins: np.ndarray,
    *,
    gain: float = 0.02,
    loss: float = 0.02,
    name: str = "momentum",
    horizon: float = 5.0,
    start: pd.Timestamp = START,
) -> pd.DataFrame:
    """Realized outcomes of one strategy, one a day, in the order given."""
    wins = np.asarray(wins, dtype=bool)
    n = len(wins)
    known = pd.date_range(start, periods=n, freq="D")
    return pd.DataFrame(
        {
            "decision_id": [f"{name}-{i:05d}" for i in range(n)],
            "strategy_id": name,
            "decided_at": known - pd.Timedelta(days=7),
            "known_at": known,
            "stated_p": stated,
            "horizon_days": horizon,
            "return": np.where(wins, gain, -loss),
            "win": wins,
            "realized": True,
        }
    )


def blocks(wins_per_block: int, block: int, n_blocks: int) -> np.ndarray:
    """Exactly ``wins_per_block`` wins in each block of ``block`` outcomes."""
    one = np.r_[np.ones(wins_per_block), np.zeros(block - wins_per_block)]
    return np.tile(one, n_blocks).astype(bool)


def path(frame: pd.DataFrame, config: dict, period: int, stated=None) -> list[StrategyAdaptation]:
    """The strategy's adaptation after each period, learning as the outcomes come in."""
    state = AdaptiveState(config)
    out = []
    for end in range(period, len(frame) + 1, period):
        state = update(state, frame.iloc[:end], stated=stated)
        out.append(state.get(frame["strategy_id"].iloc[0]))
    return out


# -- the overconfident strategy ---------------------------------------------------------------


def test_overconfident_kelly_multiplier_falls_by_the_learning_rate_per_period():
    """Stated 65%, realized 45% (9 wins in every 20), wins and losses of 2%.

    After 20 outcomes: se = sqrt(20 × 0.65 × 0.35) / 20 = 0.1067, and the gap 0.20 is inside
    2 se = 0.213: nothing moves. From 40 on (se = 0.0754, 2 se = 0.151) the gap shows: the
    calibration target is 0.45 / 0.65 = 0.6923; at R = 1 the stated Kelly is 0.65 - 0.35 =
    0.30 and the realized one 0.45 - 0.55 = -0.10, so the Kelly target is the floor 0.25.
    Each moves 0.01 a period. The realized record (mean return -0.2%: Sharpe < 0) is POOR
    against a stated AVERAGE: the priority shift moves -0.01 from the first period.
    """
    frame = stream(0.65, blocks(9, 20, 5))
    steps = path(frame, {"learning_rate": 0.01, "adaptation_period": 20}, 20)
    assert [a.kelly_scale for a in steps] == pytest.approx([1.0, 0.99, 0.98, 0.97, 0.96], abs=1e-12)
    assert [a.calibration for a in steps] == pytest.approx([1.0, 0.99, 0.98, 0.97, 0.96], abs=1e-12)
    assert [a.priority_shift for a in steps] == pytest.approx(
        [-0.01, -0.02, -0.03, -0.04, -0.05], abs=1e-12
    )
    first, second = steps[0].evidence, steps[1].evidence
    assert not first.significant and second.significant
    assert first.standard_error == pytest.approx(math.sqrt(20 * 0.65 * 0.35) / 20)
    assert second.standard_error == pytest.approx(math.sqrt(40 * 0.65 * 0.35) / 40)
    assert second.calibration_target == pytest.approx(0.45 / 0.65)
    assert second.kelly_target == 0.25
    assert second.track_record.tier() is PerformanceTier.POOR
    # each move is at most the learning rate
    moves = np.diff([1.0] + [a.kelly_scale for a in steps])
    assert np.all(np.abs(moves) <= 0.01 + 1e-12)


def test_overconfident_moves_until_the_calibrated_value_and_stops_there():
    """Wins of 4% and losses of 2% (R = 2), learning rate 0.2: the Kelly target is
    (0.45 - 0.55 / 2) / (0.65 - 0.35 / 2) = 0.175 / 0.475 = 0.3684; the calibration target
    0.6923. Neither overshoots its target."""
    frame = stream(0.65, blocks(9, 20, 7), gain=0.04, loss=0.02)
    steps = path(frame, {"learning_rate": 0.2, "adaptation_period": 20}, 20)
    kelly = 0.175 / 0.475
    cal = 0.45 / 0.65
    assert [a.kelly_scale for a in steps] == pytest.approx(
        [1.0, 0.8, 0.6, 0.4, kelly, kelly, kelly], abs=1e-12
    )
    assert [a.calibration for a in steps] == pytest.approx(
        [1.0, 0.8, cal, cal, cal, cal, cal], abs=1e-12
    )
    assert steps[-1].evidence.kelly_target == pytest.approx(kelly)


def test_learning_does_not_depend_on_when_update_is_called():
    frame = stream(0.65, blocks(9, 20, 5))
    config = {"learning_rate": 0.01, "adaptation_period": 20}
    once = update(AdaptiveState(config), frame)
    state = AdaptiveState(config)
    for end in (7, 33, 34, 59, 81, 100):
        state = update(state, frame.iloc[:end])
    assert state == once
    assert once.get("momentum").n_outcomes == 100
    # the same state from a shuffled frame: outcomes are taken in the order they became known
    assert update(AdaptiveState(config), frame.sample(frac=1.0, random_state=3)) == once


def test_the_state_needs_the_whole_history():
    frame = stream(0.65, blocks(9, 20, 3))
    state = update(AdaptiveState(), frame)
    with pytest.raises(ValidationError, match="give every outcome so far"):
        update(state, frame.iloc[40:])


# -- the well-calibrated strategy -------------------------------------------------------------


def test_well_calibrated_strategy_moves_nothing():
    """Stated 60%, exactly 12 wins in every 20: the hit rate equals the stated probability
    and the realized record (win rate 0.6, Sharpe about 1.4, profit factor 1.5) is GOOD, as
    stated. Nothing changes."""
    frame = stream(0.60, blocks(12, 20, 10))
    stated = {"momentum": TrackRecord(win_rate=0.6, sharpe=1.4, profit_factor=1.5, n_trades=200)}
    state = update(
        AdaptiveState({"learning_rate": 0.05, "adaptation_period": 20}), frame, stated=stated
    )
    a = state.get("momentum")
    assert (a.calibration, a.kelly_scale, a.priority_shift) == (1.0, 1.0, 0.0)
    assert a.evidence.track_record.tier() is PerformanceTier.GOOD
    assert not a.evidence.significant and a.neutral
    assert state.changes.empty


def test_well_calibrated_random_streams_stay_within_the_noise_band():
    """200 calibrated strategies (each outcome wins with the stated 60%), 10 periods of 20.

    The band is 2 standard errors of the hit rate of a calibrated strategy: a look declares a
    miscalibration about 4.6% of the time (the normal approximation's two-sided 2-sigma
    level). Across the 2,000 looks the share declared is at most 8% (its standard error is
    about 0.5 points), so the quantities move only by chance, one learning rate a look, and
    drift back once a look is inside the band again: at the end at least 90% of the
    strategies are within one learning rate of neutral; over the whole run at least 75%
    never moved and 90% never strayed more than three learning rates. The overconfident strategy, by contrast, is declared at every
    look from the second on.
    """
    rng = np.random.default_rng(20240614)
    lr = 0.01
    config = {"learning_rate": lr, "adaptation_period": 20}
    declared = looks = close = 0
    worst = []
    for k in range(200):
        frame = stream(0.60, rng.random(200) < 0.60, name=f"s{k}")
        far = 0.0
        for a in path(frame, config, 20):
            looks += 1
            declared += a.evidence.significant
            far = max(far, abs(a.calibration - 1.0), abs(a.kelly_scale - 1.0))
        worst.append(far)
        final = a
        close += (
            abs(final.calibration - 1.0) <= lr + 1e-12
            and abs(final.kelly_scale - 1.0) <= lr + 1e-12
        )
    assert declared / looks <= 0.08
    assert close >= 180
    assert sum(w <= 3 * lr + 1e-12 for w in worst) >= 180
    assert sum(w == 0.0 for w in worst) >= 150
    overconfident = path(stream(0.65, blocks(9, 20, 10)), config, 20)
    assert all(a.evidence.significant for a in overconfident[1:])


# -- bounds ------------------------------------------------------------------------------------


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 90))
    lo_cal = draw(st.floats(0.05, 1.0))
    lo_kelly = draw(st.floats(0.05, 1.0))
    config = {
        "learning_rate": draw(st.floats(0.001, 1.0)),
        "adaptation_period": draw(st.integers(1, 12)),
        "lookback": draw(st.none() | st.integers(1, 40)),
        "calibration_min": lo_cal,
        "calibration_max": draw(st.floats(1.0, 3.0)),
        "kelly_scale_min": lo_kelly,
        "kelly_scale_max": draw(st.floats(1.0, 2.0)),
        "priority_shift_max": draw(st.floats(0.0, 3.0)),
        "noise_z": draw(st.floats(0.0, 4.0)),
    }
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    p = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    wins = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    size = draw(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    stated = {k: draw(st.sampled_from(list(PerformanceTier))) for k in "abc"}
    frame = pd.DataFrame(
        {
            "decision_id": [f"d{i:03d}" for i in range(n)],
            "strategy_id": names,
            "decided_at": START,
            "known_at": pd.date_range(START, periods=n, freq="D"),
            "stated_p": p,
            "horizon_days": 5.0,
            "return": np.where(wins, np.asarray(size) + 1e-4, -np.asarray(size)),
            "win": wins,
            "realized": True,
        }
    )
    return config, frame, cuts, stated


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_bounds_are_never_exceeded_and_moves_never_exceed_the_learning_rate(scenario):
    config, frame, cuts, stated = scenario
    cfg = AdaptiveConfig(**config)
    state = AdaptiveState(cfg)
    for end in [*cuts, len(frame)]:
        state = update(state, frame.iloc[:end], stated=stated)
        for _, a in state.entries:
            assert cfg.calibration_min <= a.calibration <= cfg.calibration_max
            assert cfg.kelly_scale_min <= a.kelly_scale <= cfg.kelly_scale_max
            assert abs(a.priority_shift) <= cfg.priority_shift_max
    log = state.changes
    assert list(log.columns) == list(CHANGE_COLUMNS)
    assert np.all(np.abs(log["new"] - log["old"]) <= cfg.learning_rate * (1 + 1e-9))
    assert np.all((log["new"] - log["old"]) * (log["target"] - log["old"]) > 0)  # toward it
    # the same outcomes in one call: the same state
    assert update(AdaptiveState(cfg), frame, stated=stated) == state


# -- no look-ahead -------------------------------------------------------------------------------


def test_outcomes_known_after_a_date_do_not_change_the_state_at_that_date():
    frame = stream(0.65, blocks(9, 20, 6))
    cut = frame["known_at"].iloc[69]
    changed = frame.copy()
    later = changed["known_at"] > cut
    changed.loc[later, "win"] = ~changed.loc[later, "win"]
    changed.loc[later, "return"] = -changed.loc[later, "return"]
    config = {"learning_rate": 0.05, "adaptation_period": 20}
    assert learn(frame, config, as_of=cut) == learn(changed, config, as_of=cut)
    assert learn(frame, config) != learn(changed, config)


def test_outcomes_as_of_a_date_read_no_later_price():
    prices = pd.DataFrame(
        {"AAPL": np.linspace(100, 120, 12)}, index=pd.bdate_range("2022-12-01", periods=12)
    )
    decisions = _decisions([("d1", "2022-12-01", "AAPL", "BUY", 100.0, "s1", "m")])
    signals = _signals([("s1", "AAPL", "BUY", 0.6, 0.7, 3)])
    cut = "2022-12-07"
    changed = prices.copy()
    changed.loc[changed.index > cut] *= 0.5
    a = outcomes(decisions, prices, signals=signals, as_of=cut)
    b = outcomes(decisions, changed, signals=signals, as_of=cut)
    pd.testing.assert_frame_equal(a, b)
    assert bool(a.loc[0, "realized"])  # exit 2022-12-06, known at the cut
    late = outcomes(decisions, prices, signals=signals, as_of="2022-12-05")
    assert not late.loc[0, "realized"] and np.isnan(late.loc[0, "return"])


class Overconfident(SignalStrategy):
    """BUY or SELL each instrument by a coin flip of the date, stating a 70% chance."""

    def __init__(self) -> None:
        super().__init__(name="overconfident", horizon_days=5)

    @property
    def warmup(self) -> int:
        return 0

    def scores(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.zeros((len(rows), prices.shape[1]))

    def generate(self, history, as_of=None) -> pd.DataFrame:
        date = pd.Timestamp(as_of)
        ids = list(history.prices.columns)
        up = np.array([zlib.crc32(f"{i}{date.date()}".encode()) % 2 == 1 for i in ids])
        return pd.DataFrame(
            {
                "signal_id": [f"oc:{i}:{date.date()}" for i in ids],
                "timestamp": date.tz_localize("UTC"),
                "instrument_id": ids,
                "action": np.where(up, "BUY", "SELL"),
                "confidence": 0.6,
                "expected_return": np.where(up, 0.0004, -0.0004),
                "success_probability": 0.7,
                "strategy_id": "overconfident",
                "horizon_days": 5.0,
            }
        )


@pytest.fixture(scope="module")
def coin_market() -> Market:
    base = synthetic(n_instruments=6, n_days=140, n_sectors=2, seed=5)
    return Market(base.prices, sectors=base.sectors)


def _coin_run(market: Market) -> dict:
    coordinator = Coordinator(policy={"max_position_size": 0.2, "max_sector_exposure": 0.6})
    return compare_adaptive(
        market,
        [Overconfident()],
        {"learning_rate": 0.05, "adaptation_period": 10},
        coordinator=coordinator,
        frequency="D",
        start=market.dates[40],
    )


def test_backtest_adaptive_vs_static_without_look_ahead(coin_market):
    """Perturb every price after T: the adaptive run's decisions up to T (sizes, reasoning
    naming the adaptation) and its changes up to T are identical; after T they are not."""
    first = _coin_run(coin_market)
    summary = first.summary
    assert list(summary.index) == ["static", "adaptive"]
    assert (
        summary.loc["static", "n_adaptations"] == 0 and summary.loc["adaptive", "n_adaptations"] > 0
    )
    adaptive, static = first.results["adaptive"], first.results["static"]
    assert static.adaptation is None
    # the stated 70% is far above the coin's hit rate: the Kelly multiplier fell
    learned = adaptive.adaptation.get("overconfident")
    assert learned.kelly_scale < 1.0 and learned.evidence.hit_rate < 0.6
    assert adaptive.decisions["reasoning"].str.contains("overconfident Kelly multiplier x").any()
    both = adaptive.decisions.merge(static.decisions, on=["date", "instrument_id"])
    assert (both["kelly_fraction_x"] < both["kelly_fraction_y"] - 1e-12).any()

    cut = coin_market.dates[100]
    prices = coin_market.prices.copy()
    later = prices.index > cut
    rng = np.random.default_rng(1)
    prices.loc[later] *= np.exp(np.cumsum(rng.normal(0, 0.03, prices.loc[later].shape), axis=0))
    second = _coin_run(Market(prices, sectors=coin_market.sectors))
    again = second.results["adaptive"]
    before = adaptive.decisions[adaptive.decisions["date"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        before, again.decisions[again.decisions["date"] <= cut].reset_index(drop=True)
    )
    edge = cut.tz_localize("UTC")
    old, new = adaptive.adaptation.changes, again.adaptation.changes
    assert (old["time"] <= edge).sum() > 0
    pd.testing.assert_frame_equal(
        old[old["time"] <= edge].reset_index(drop=True),
        new[new["time"] <= edge].reset_index(drop=True),
    )
    assert not old.equals(new)  # the test has teeth: the future did change what was learned


def test_a_given_state_is_used_as_is_in_a_backtest(coin_market):
    state = AdaptiveState(
        AdaptiveConfig(), (("overconfident", StrategyAdaptation(kelly_scale=0.5)),)
    )
    coordinator = Coordinator(
        policy={"max_position_size": 0.2, "max_sector_exposure": 0.6}, adaptive=state
    )
    result = Backtest([Overconfident()], coordinator, frequency="W-FRI").run(
        coin_market, coin_market.dates[40]
    )
    assert result.adaptation is None  # nothing learned during the run
    assert result.decisions["reasoning"].str.contains("Kelly multiplier x0.50").all()


# -- the change log and the reasoning ----------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Market:
    return load_sample()


@pytest.fixture(scope="module")
def overconfident_state() -> AdaptiveState:
    """100 outcomes at 45% for a stated 65% (R = 1), learning rate 0.1, period 20: the
    calibration goes 1, 0.9, 0.8, 0.7, 0.6923 (its target); the Kelly scale 1, 0.9, 0.8, 0.7,
    0.6 (toward 0.25); the priority shift -0.1 a period to -0.5 (a tier down, rounded)."""
    return learn(stream(0.65, blocks(9, 20, 5)), {"learning_rate": 0.1, "adaptation_period": 20})


def test_change_log_records_each_change_with_its_evidence(overconfident_state):
    a = overconfident_state.get("momentum")
    assert a.calibration == pytest.approx(0.45 / 0.65)
    assert a.kelly_scale == pytest.approx(0.6)
    assert a.priority_shift == pytest.approx(-0.5) and a.tier_shift == -1
    log = overconfident_state.changes
    assert list(log.columns) == list(CHANGE_COLUMNS)
    cal = log[log["quantity"] == AdaptedQuantity.CALIBRATION.value]
    assert cal["new"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.45 / 0.65])
    assert cal["n_outcomes"].tolist() == [40, 60, 80, 100]
    first = cal.iloc[0]
    assert first["old"] == 1.0 and first["target"] == pytest.approx(0.45 / 0.65)
    assert first["stated_p"] == pytest.approx(0.65) and first["hit_rate"] == pytest.approx(0.45)
    assert first["standard_error"] == pytest.approx(math.sqrt(40 * 0.65 * 0.35) / 40)
    assert first["realized_tier"] == "POOR"
    # when the 40th outcome became known
    assert first["time"] == START + pd.Timedelta(days=39)
    shifts = log[log["quantity"] == "priority_shift"]
    assert shifts["new"].tolist() == pytest.approx([-0.1, -0.2, -0.3, -0.4, -0.5])
    assert log["time"].is_monotonic_increasing
    table = overconfident_state.table()
    assert table.loc["momentum", "tier_shift"] == -1
    assert table.loc["momentum", "win_rate"] == pytest.approx(0.45)


def _aapl_and_msft(stop: bool = True) -> list[dict]:
    binary = {"price_target": 140.0, "success_probability": 0.6}
    if stop:
        binary["stop_price"] = 120.0
    return [
        {
            "eventId": "s-aapl",
            "timestamp": "2022-12-28T15:00:00Z",
            "signal": {
                "instrument_id": "AAPL",
                "action": "BUY",
                "confidence": 0.6,
                "strength": "STRONG",
                "signal_score": 0.7,
                "strategy_id": "momentum",
            },
            "expected_outcomes": {"expected_return": 0.08, **binary},
        },
        {
            "eventId": "s-msft",
            "timestamp": "2022-12-28T15:00:00Z",
            "signal": {
                "instrument_id": "MSFT",
                "action": "BUY",
                "confidence": 0.6,
                "strength": "STRONG",
                "signal_score": 0.7,
                "strategy_id": "momentum",
            },
            "expected_outcomes": {
                "price_target": 250.0,
                "expected_return": 0.001,
                "success_probability": 0.6,
            },
        },
    ]


def test_later_decisions_apply_the_adaptation_and_say_so(sample, overconfident_state):
    """AAPL (stop and target: a binary bet) is sized at the calibrated probability
    0.6 × 0.6923 = 0.4154; MSFT (no stop: Kelly from the expected return) at 0.6 of its
    Kelly fraction; both lose a tier (AVERAGE → POOR): MSFT's priority falls from MEDIUM to
    LOW."""
    policy = {"max_position_size": 0.25, "max_sector_exposure": 0.5}
    state = portlab.PortfolioState(cash=1_000_000)
    static = Coordinator(policy).coordinate(_aapl_and_msft(), state, sample)
    adaptive = Coordinator(policy, adaptive=overconfident_state).coordinate(
        _aapl_and_msft(), state, sample
    )
    s = static.decisions.set_index("instrument_id")
    a = adaptive.decisions.set_index("instrument_id")
    price = float(s.loc["AAPL", "price"])
    p = 0.6 * 0.45 / 0.65
    b = (140.0 - price) / (price - 120.0)
    assert a.loc["AAPL", "kelly_fraction"] == pytest.approx(p - (1 - p) / b)
    assert s.loc["AAPL", "kelly_fraction"] == pytest.approx(0.25)  # 0.6 - 0.4 / b, capped
    raw = static.waterfall.set_index("instrument_id").loc["MSFT", "kelly_raw"]
    assert s.loc["MSFT", "kelly_fraction"] == pytest.approx(raw)
    assert a.loc["MSFT", "kelly_fraction"] == pytest.approx(0.6 * raw)
    assert (s.loc["MSFT", "priority"], a.loc["MSFT", "priority"]) == ("MEDIUM", "LOW")
    why = a.loc["AAPL", "reasoning"]
    assert why.startswith(
        "adaptive: momentum calibrated x0.69 (hit rate 45% vs stated 65% over 100 outcomes): "
        "p 0.60 -> 0.42, priority tier down 1 (realized record POOR); Kelly "
    )
    assert "p=0.42" in why
    assert a.loc["MSFT", "reasoning"].startswith(
        "adaptive: momentum Kelly multiplier x0.60, calibration x0.69 (hit rate 45% vs stated "
        "65% over 100 outcomes), priority tier down 1"
    )
    assert not s["reasoning"].str.contains("adaptive").any()
    # the events carry the reasoning too
    assert adaptive.events()[0].position_sizing.sizing_reasoning.startswith("adaptive: ")


def test_other_strategies_and_neutral_states_are_left_alone(sample, overconfident_state):
    signals = _aapl_and_msft()
    for s in signals:
        s["signal"]["strategy_id"] = "carry"
    state = portlab.PortfolioState(cash=1_000_000)
    plain = Coordinator().coordinate(signals, state, sample)
    for adaptive in (overconfident_state, AdaptiveState(), {"learning_rate": 0.5}):
        got = Coordinator(adaptive=adaptive).coordinate(signals, state, sample)
        pd.testing.assert_frame_equal(got.decisions, plain.decisions)


def test_adapt_signals_does_not_mutate_its_input(sample, overconfident_state):
    from portlab.engine.book import build_book
    from portlab.engine.outcome import Rejections
    from portlab.engine.signals import enrich, signal_table

    rej = Rejections()
    table = signal_table(_aapl_and_msft(), rej, 0)
    book = build_book(portlab.PortfolioState(cash=1e6), sample, 0.7)
    table = enrich(table, {}, book.instruments, np.isfinite(book.price), book.risk_ok, rej)
    before = {k: v.copy() for k, v in table.items()}
    out = adapt_signals(table, overconfident_state)
    assert out.signals is not table
    for k, v in before.items():
        np.testing.assert_array_equal(table[k], v)
    assert out.signals["success_probability"][0] == pytest.approx(0.6 * 0.45 / 0.65)
    assert out.kelly_scale.tolist() == pytest.approx([1.0, 0.6])


# -- track records -----------------------------------------------------------------------------


def test_track_records_from_outcomes_by_hand():
    returns = np.array([0.04, -0.02, 0.01, -0.01, 0.03, 0.0])
    frame = stream(0.6, returns > 0, horizon=21.0)
    frame["return"] = returns
    record = track_records(frame)["momentum"]
    assert record.n_trades == 6
    assert record.win_rate == pytest.approx(3 / 6)
    assert record.avg_win == pytest.approx((0.04 + 0.01 + 0.03) / 3)
    assert record.avg_loss == pytest.approx((0.02 + 0.01 + 0.0) / 3)  # a flat trade is no win
    assert record.profit_factor == pytest.approx(0.08 / 0.03)
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(252 / 21)
    assert record.sharpe == pytest.approx(sharpe, rel=1e-9)
    # unrealized outcomes and later ones do not count
    frame.loc[5, "realized"] = False
    assert track_records(frame)["momentum"].n_trades == 5
    assert track_records(frame, as_of=frame["known_at"].iloc[2])["momentum"].n_trades == 3


def test_track_record_keeps_its_stored_form_without_averages():
    plain = TrackRecord(win_rate=0.55, sharpe=1.1, n_trades=40)
    assert "avg_win" not in plain.model_dump() and "avg_loss" not in plain.model_dump_json()
    full = TrackRecord(win_rate=0.55, n_trades=40, avg_win=0.03, avg_loss=0.02)
    assert TrackRecord.model_validate(full.model_dump()) == full
    assert full.tier() is plain.tier() is PerformanceTier.GOOD  # averages are not tiered
    with pytest.raises(PydanticValidationError, match="avg_loss"):
        TrackRecord(avg_loss=-0.01)


# -- outcomes: fills matched to decisions ------------------------------------------------------


def _decisions(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "decision_id": d,
                "timestamp": pd.Timestamp(t, tz="UTC") if t else None,
                "instrument_id": i,
                "action": a,
                "price": p,
                "signal_id": s,
                "strategy_id": strat,
            }
            for d, t, i, a, p, s, strat in rows
        ]
    )


def _signals(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "signal_id": s,
                "instrument_id": i,
                "action": a,
                "success_probability": p,
                "confidence": c,
                "horizon_days": h,
            }
            for s, i, a, p, c, h in rows
        ]
    )


@pytest.fixture()
def book_of_fills():
    index = pd.bdate_range("2022-12-19", periods=8)  # 19..23, 26..28
    prices = pd.DataFrame(
        {
            "AAPL": [100.0, 101.0, 102.0, 105.0, 103.0, 99.0, 98.0, 97.0],
            "MSFT": [200.0, 198.0, 197.0, 190.0, 195.0, 196.0, 197.0, 198.0],
        },
        index=index,
    )
    decisions = _decisions(
        [
            ("d1", "2022-12-19T15:00", "AAPL", "BUY", 100.0, "s1", "m"),
            ("d2", "2022-12-21T15:00", "AAPL", "SELL", 102.0, "s2", "m"),
            ("d3", "2022-12-19T15:00", "MSFT", "BUY", 200.0, "s3", "r"),
            ("d4", "2022-12-19T15:00", "MSFT", "BUY", 200.0, None, None),  # rebalance only
            ("d5", "2022-12-23T15:00", "MSFT", "SELL", 195.0, "s5", "r"),  # never filled
        ]
    )
    signals = _signals(
        [
            ("s1", "AAPL", "BUY", 0.6, 0.7, 3),
            ("s2", "AAPL", "SELL", np.nan, 0.55, 3),  # no probability: the confidence
            ("s3", "MSFT", "BUY", 0.8, 0.7, 3),
            ("s5", "MSFT", "SELL", 0.7, 0.7, np.nan),  # no horizon: the default
        ]
    )
    fills = [
        TradeExecutedEvent.model_validate(
            {
                "eventId": e,
                "timestamp": t,
                "execution": {
                    "instrument_id": i,
                    "action": a,
                    "quantity": q,
                    "executed_price": p,
                    "total_amount": q * p,
                },
            }
        )
        for e, t, i, a, q, p in [
            ("f1", "2022-12-19T16:00:00Z", "AAPL", "BUY", 10, 101.0),
            ("f2", "2022-12-20T15:00:00Z", "AAPL", "BUY", 30, 103.0),
            ("f3", "2022-12-22T15:00:00Z", "AAPL", "SELL", 40, 104.0),
            ("d3", "2022-12-19T20:00:00Z", "MSFT", "BUY", 5, 199.0),  # the decision's id
            ("f5", "2022-12-20T15:00:00Z", "MSFT", "SELL", 5, 210.0),  # no decision before it
        ]
    ]
    return prices, decisions, signals, fills


def test_fills_are_matched_to_their_decisions_and_give_the_entry_price(book_of_fills):
    prices, decisions, signals, fills = book_of_fills
    got = outcomes(decisions, prices, signals=signals, trades=fills).set_index("decision_id")
    assert list(got.columns) == list(OUTCOME_COLUMNS)[1:]
    assert list(got.index) == ["d1", "d3", "d2", "d5"]  # by decision time; d4 has no strategy
    # d1: two AAPL buys after it, 10 at 101 and 30 at 103
    assert got.loc["d1", "entry_price"] == pytest.approx((10 * 101 + 30 * 103) / 40)
    assert got.loc["d1", "entry_source"] == EntrySource.FILL
    assert got.loc["d1", "filled_at"] == pd.Timestamp("2022-12-20T15:00", tz="UTC")
    assert got.loc["d1", "exit_at"] == pd.Timestamp("2022-12-22", tz="UTC")  # 3 days on
    assert got.loc["d1", "return"] == pytest.approx(105 / 102.5 - 1)
    assert got.loc["d1", "stated_p"] == 0.6 and got.loc["d1", "win"]
    # d2: the SELL at 104; marked at 2022-12-26 (99): won 104 -> 99 short
    assert got.loc["d2", "entry_price"] == 104.0 and got.loc["d2", "stated_p"] == 0.55
    assert got.loc["d2", "return"] == pytest.approx(-(99 / 104 - 1))
    assert got.loc["d2", "known_at"] == pd.Timestamp("2022-12-26", tz="UTC")
    # d3: matched by its id, lost 199 -> 190
    assert got.loc["d3", "entry_price"] == 199.0
    assert got.loc["d3", "return"] == pytest.approx(190 / 199 - 1) and not got.loc["d3", "win"]
    # d5: no fill: no outcome; its horizon is the default 21 days, beyond the prices anyway
    assert not got.loc["d5", "realized"] and pd.isna(got.loc["d5", "entry_source"])
    assert got.loc["d5", "horizon_days"] == 21.0
    # without trades, every decision counts at its price
    plain = outcomes(decisions, prices, signals=signals).set_index("decision_id")
    assert plain.loc["d1", "entry_price"] == 100.0
    assert (plain["entry_source"] == EntrySource.DECISION).all()
    # a backtest's trades table (decision ids given) reads the same
    table = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2022-12-19T16:00", "2022-12-20T15:00", "2022-12-22T15:00", "2022-12-19T20:00"]
            ),
            "decision_id": ["d1", "d1", "d2", "d3"],
            "shares": [10.0, 30.0, -40.0, 5.0],
            "price": [101.0, 103.0, 104.0, 199.0],
            "kind": "DECISION",
        }
    )
    pd.testing.assert_frame_equal(
        outcomes(decisions, prices, signals=signals, trades=table).set_index("decision_id"), got
    )


def test_outcomes_never_mutate_their_inputs(book_of_fills):
    prices, decisions, signals, fills = book_of_fills
    copies = [prices.copy(), decisions.copy(), signals.copy()]
    outcomes(decisions, prices, signals=signals, trades=fills, as_of="2022-12-27")
    with_stated(decisions, signals)
    for before, after in zip(copies, [prices, decisions, signals], strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_outcome_inputs_are_checked(book_of_fills):
    prices, decisions, signals, _ = book_of_fills
    with pytest.raises(ValidationError, match="missing column"):
        outcomes(decisions.drop(columns="action"), prices)
    with pytest.raises(ValidationError, match="prices"):
        outcomes(decisions, prices.to_numpy())
    with pytest.raises(ValidationError, match="decision_id"):
        outcomes(decisions, prices, trades=pd.DataFrame({"shares": [1.0]}))
    with pytest.raises(ValidationError, match="missing column"):
        realized(pd.DataFrame({"realized": [True]}))


# -- the journal -------------------------------------------------------------------------------


def _hot(k: int, when: pd.Timestamp) -> list[dict]:
    return [
        {
            "eventId": f"s{k}-{i}",
            "timestamp": when.isoformat() + "Z",
            "signal": {
                "instrument_id": i,
                "action": "BUY",
                "confidence": 0.7,
                "strength": "STRONG",
                "signal_score": 0.5,
                "strategy_id": "hot",
            },
            "expected_outcomes": {
                "price_target": 1000.0,
                "expected_return": 0.03,
                "success_probability": 0.95,
                "horizon_days": 5,
            },
        }
        for i in ("AAPL", "MSFT", "XOM")
    ]


def test_journal_outcomes_equal_those_from_the_decisions_in_memory(tmp_path, sample):
    dates = sample.dates[-80::8][:8]
    signals, decisions = [], []
    cash = portlab.PortfolioState(cash=1_000_000)
    with Journal(tmp_path / "journal.db") as journal:
        coordinator = Coordinator(strategies={"hot": 0.5})
        for k, when in enumerate(dates):
            batch = _hot(k, when)
            result = coordinator.coordinate(batch, cash, sample.truncate(when), journal=journal)
            signals += batch
            decisions.append(result.decisions)
        from_journal = journal_outcomes(journal, sample)
        in_memory = outcomes(pd.concat(decisions, ignore_index=True), sample, signals=signals)
        pd.testing.assert_frame_equal(from_journal, in_memory)
        assert len(in_memory) == 24 and in_memory["realized"].all()
        assert (in_memory["stated_p"] == 0.95).all() and (in_memory["horizon_days"] == 5).all()
        cut = dates[4]
        pd.testing.assert_frame_equal(
            journal_outcomes(journal, sample, as_of=cut),
            outcomes(
                pd.concat(decisions[:5], ignore_index=True), sample, signals=signals, as_of=cut
            ),
        )

        # a coordinator with adaptive settings learns from the journal's outcomes at as_of
        config = {"learning_rate": 0.1, "adaptation_period": 4}
        now = sample.dates[-1]
        learned = learn(
            journal_outcomes(journal, sample, as_of=now),
            config,
            stated=coordinator.strategies,
            as_of=now,
        )
        assert learned.get("hot").calibration < 1.0  # stated 95%, hit far less often
        given = Coordinator(strategies={"hot": 0.5}, adaptive=learned).coordinate(
            _hot(99, now), cash, sample
        )
        auto = Coordinator(strategies={"hot": 0.5}, adaptive=config).coordinate(
            _hot(99, now), cash, sample, journal=journal
        )
        pd.testing.assert_frame_equal(auto.decisions, given.decisions)
        assert auto.decisions["reasoning"].str.startswith("adaptive: hot Kelly multiplier").all()

        # the journal records the state the run applied; a replay applies it, not relearns
        assert auto.adaptive_state == learned and given.adaptive_state is learned
        stored = journal.inputs(auto.run_id).coordinator.adaptive
        assert stored == learned  # change log, evidence and track records included
        replay = journal.replay(auto.run_id)
        assert replay.identical, replay.differences
        static = Coordinator(strategies={"hot": 0.5}).coordinate(_hot(99, now), cash, sample)
        assert static.adaptive_state is None
        # without the state, the replay would differ (the reasoning names the adaptation)
        assert not static.decisions["reasoning"].str.contains("adaptive").any()


# -- configuration -----------------------------------------------------------------------------


def test_adaptive_settings_are_checked():
    assert AdaptiveConfig().learning_rate == 0.01 and AdaptiveConfig().adaptation_period == 20
    with pytest.raises(ConfigError, match="adaptive.learning_rate"):
        AdaptiveConfig(learning_rate=0)
    with pytest.raises(ConfigError, match="adaptive.adaptation_period: 2.5 is not a whole number"):
        AdaptiveConfig(adaptation_period=2.5)
    with pytest.raises(ConfigError, match="adaptive.lookback"):
        AdaptiveConfig(lookback=0)
    assert AdaptiveConfig(lookback=None).lookback is None
    assert AdaptiveConfig(lookback="50").lookback == 50
    with pytest.raises(ConfigError, match="adaptive.kelly_scale_max"):
        AdaptiveConfig(kelly_scale_max=3)
    with pytest.raises(ConfigError, match="unknown setting; did you mean learning_rate"):
        AdaptiveConfig(learning_rat=0.1)
    with pytest.raises(ConfigError, match="adaptive must be"):
        Coordinator(adaptive=5)
    c = Coordinator(adaptive={"learning_rate": 0.02})
    assert isinstance(c.adaptive, AdaptiveConfig) and c.adaptive.learning_rate == 0.02
    assert (
        AdaptiveConfig.from_yaml("learning_rate: 0.05\nadaptation_period: 10\n").adaptation_period
        == 10
    )


def test_state_is_immutable_and_compares_by_value(overconfident_state):
    with pytest.raises(AttributeError):
        overconfident_state.config = AdaptiveConfig()
    frame = overconfident_state.changes
    frame.loc[0, "new"] = 99.0
    assert overconfident_state.changes.loc[0, "new"] != 99.0
    assert copy.deepcopy(overconfident_state) == overconfident_state
    assert "momentum" in repr(overconfident_state)
    assert overconfident_state.strategies["momentum"].tier_shift == -1
    assert overconfident_state.track_records()["momentum"].win_rate == pytest.approx(0.45)

"""The coordination and backtest report templates, and the portfolio report's dates, benchmark
and seed: each run by papermill with its defaults and with other parameters, the numbers its
page states compared with what the library computes directly for those parameters."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import portlab
from _report_pages import hover_tooltip, open_offline
from portlab import Coordinator, CovMethod
from portlab.analytics import optimize as O
from portlab.analytics import risk
from portlab.analytics.performance import annualized_return
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.engine import load_settings
from portlab.exceptions import ReportError
from portlab.journal import Journal
from portlab.reports import fingerprint, history_window, load_batch, run, templates

COORDINATION_SECTIONS = ("Decisions", "Rejections", "Conflicts", "Sizing", "Allocation",
                         "Compliance", "Execution", "Strategy map and adaptation",
                         "Statistics")  # fmt: skip


def _shown(page: str, css: str) -> str:
    hit = re.search(rf"<b class=['\"]{css}['\"]>([^<]*)</b>", page)
    assert hit, css
    return hit.group(1)


def _header_value(page: str, parameter: str) -> str:
    hit = re.search(rf"<th>{parameter}</th>\s*<td>([^<]*)</td>", page)
    assert hit, parameter
    return hit.group(1)


# -- the portfolio report's dates, benchmark and seed -------------------------------------------


def test_portfolio_report_starts_its_history_at_start_and_measures_against_the_benchmark(
    tmp_path,
):
    parameters = {"start": "2022-03-01", "benchmark": "MSFT", "var_method": "monte_carlo",
                  "seed": 7, "confidence": 0.95}  # fmt: skip
    page = run("portfolio", parameters, out=tmp_path / "p.html", progress=False)
    text = page.read_text(encoding="utf-8")
    market, state = load_sample(), example_batch().state
    window = history_window(market, "2022-03-01")
    assert window == len(market.returns.loc["2022-03-01":])
    var = risk.value_at_risk(
        state.weights(market.last_prices), market.returns.iloc[-window:], confidence=0.95,
        method=risk.VaRMethod.MONTE_CARLO, seed=7,
    )  # fmt: skip
    assert _shown(text, "pl-var").startswith(f"1-day 95.0% VaR {100 * var:.2f}% (")
    assert _header_value(text, "benchmark") == "MSFT"
    assert _header_value(text, "start") == str(market.returns.loc["2022-03-01":].index[0].date())
    # another seed, other Monte Carlo draws: the seed reaches the estimate
    other = risk.value_at_risk(
        state.weights(market.last_prices), market.returns.iloc[-window:], confidence=0.95,
        method=risk.VaRMethod.MONTE_CARLO, seed=8,
    )  # fmt: skip
    assert other != var


def _table_row(page: str, first_cells: tuple[str, ...]) -> list[str]:
    """The cells of the first table row whose first cells are ``first_cells``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        ]
        if tuple(cells[: len(first_cells)]) == first_cells:
            return cells
    raise AssertionError(f"no row {first_cells}")


def _max_sharpe(market, state, mu, cov):
    """The optimizer section's portfolio, written here: long only, 10% per instrument, 30%
    per sector, turnover from the current holdings."""
    current = state.weights(market.last_prices).reindex(cov.index, fill_value=0.0)
    caps = {s: 0.30 for s in market.sectors.unique()}
    constraints = O.Constraints(
        bounds=(0.0, 0.10), groups=[(market.sectors, caps)], current_weights=current
    )
    return O.MeanVarianceProblem(mu, cov, constraints).fit().solve(O.Objective.MAX_SHARPE)


def test_portfolio_report_optimizes_with_the_estimators_it_is_given(tmp_path):
    """EWMA expected returns and the semicovariance, as of mid-2022: the section's portfolio
    and its side-by-side rows are the market's estimates optimized directly."""
    parameters = {"return_method": "ewma", "risk_model": "semicovariance", "as_of": "2022-06-30"}
    page = run("portfolio", parameters, out=tmp_path / "opt.html", progress=False)
    text = page.read_text(encoding="utf-8")
    market, state = load_sample().truncate("2022-06-30"), example_batch().state
    cov = market.covariance(CovMethod.SEMICOVARIANCE, window=504)
    chosen = _max_sharpe(market, state, market.expected_returns("ewma", window=504), cov)
    assert _shown(text, "pl-optimized") == (
        f"Max Sharpe {chosen.sharpe:.2f}: expected return {100 * chosen.expected_return:.2f}%, "
        f"volatility {100 * chosen.volatility:.2f}%"
    )
    assert _header_value(text, "return_method") == "Exponentially weighted"
    assert _header_value(text, "risk_model") == "Semicovariance"
    default = _max_sharpe(
        market, state, annualized_return(market.returns.iloc[-504:]), market.covariance()
    )
    assert default.sharpe != pytest.approx(chosen.sharpe, abs=0.01)  # the estimators matter
    capm = _max_sharpe(market, state, market.expected_returns("capm", window=504), cov)
    row = _table_row(text, ("Returns", "CAPM"))
    assert row[3:7] == [f"{100 * capm.expected_return:.2f}%", f"{100 * capm.volatility:.2f}%",
                        f"{capm.sharpe:.2f}", f"{100 * capm.turnover:.2f}%"]  # fmt: skip
    moved = float((capm.weights - chosen.weights).abs().sum())
    assert row[7] == f"{100 * moved:.2f}%"
    top = chosen.weights.sort_values(ascending=False, kind="stable").index[:5]
    assert row[8:13] == [f"{100 * capm.weights[i]:.2f}%" for i in top]
    lw = _table_row(text, ("Risk", "Ledoit-Wolf"))
    ewma_lw = _max_sharpe(
        market, state, market.expected_returns("ewma", window=504), market.covariance()
    )
    assert lw[5] == f"{ewma_lw.sharpe:.2f}"
    assert _table_row(text, ("Returns", "Exponentially weighted"))[2] == "\u2713"


def test_a_benchmark_file_and_a_start_too_late_are_reported(tmp_path):
    bench = tmp_path / "bench.csv"
    prices = load_sample().prices["KO"]
    bench.write_text(
        "Date,KO\n" + "".join(f"{d.date()},{p}\n" for d, p in prices.items()), encoding="utf-8"
    )
    page = run("portfolio", {"benchmark": str(bench)}, out=tmp_path / "b.html", progress=False)
    assert _header_value(page.read_text(encoding="utf-8"), "benchmark") == "KO"
    with pytest.raises(ReportError, match="start: 6 trading days .* at least 21"):
        run("portfolio", {"start": "2022-12-20"}, out=tmp_path / "late.html", progress=False)
    with pytest.raises(ReportError, match="benchmark: NOPE is neither an instrument"):
        run("portfolio", {"benchmark": "NOPE"}, out=tmp_path / "nope.html", progress=False)


# -- the coordination report ------------------------------------------------------------------


@pytest.fixture(scope="module")
def coordination_page_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("coordination") / "c.html"
    return run("coordination", out=out, progress=False)


@pytest.fixture(scope="module")
def coordination_page(coordination_page_file) -> str:
    return coordination_page_file.read_text(encoding="utf-8")


def test_coordination_report_states_the_engines_numbers(coordination_page):
    page = coordination_page
    batch = example_batch()
    market = load_sample()
    direct = Coordinator().coordinate(batch.signals, batch.state, market, batch.rebalance_requests)
    stats = direct.stats
    assert _shown(page, "pl-decisions") == f"{direct.n_decisions} decisions"
    assert _shown(page, "pl-rejections") == f"{len(direct.rejections)} rejections"
    assert f"from {stats['total_signals']} signals and {stats['total_rebalance_adjustments']}" in (
        page
    )
    prices, returns = market.last_prices, market.returns.iloc[-252:]
    before = risk.value_at_risk(batch.state.weights(prices), returns, confidence=0.99)
    assert _shown(page, "pl-var-before") == f"{100 * before:.2f}%"
    for row in direct.decisions.itertuples():
        assert f">{row.share_quantity:,.0f}<" in page, row.instrument_id
    for row in direct.rejections.itertuples():
        assert f">{row.id}<" in page and f">{row.reason}<" in page
    events = [*batch.signals, *batch.rebalance_requests]
    assert fingerprint(market, batch.state, Coordinator(), events) in page
    for section in COORDINATION_SECTIONS:
        assert f">{section}" in page, section
    assert "load_batch(" not in page  # no input cell shown


def test_coordination_report_on_other_inputs(tmp_path):
    """The example policy, priced at mid-2022, no rebalance request, a signals file with one
    bad line: the bad line is listed and the others are coordinated."""
    paths = example_paths()
    lines = paths["signals"].read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[0])
    bad["signal"]["confidence"] = 7  # above 1
    signals = tmp_path / "signals.jsonl"
    signals.write_text("\n".join([*lines, json.dumps(bad)]) + "\n", encoding="utf-8")
    # a journal with a run before the report's date and one after: only the first is shown
    journal_path = tmp_path / "decisions.db"
    example = example_batch()
    with Journal(journal_path) as journal:
        earlier, later = (
            Coordinator().coordinate(example.signals, example.state,
                                     load_sample().truncate(day), journal=journal, as_of=day)
            for day in ("2022-03-31", "2022-09-30")
        )  # fmt: skip
    parameters = {
        "signals_file": str(signals),
        "rebalance_file": "",
        "policy_file": str(paths["policy"]),
        "as_of": "2022-06-30",
        "confidence": 0.95,
        "journal": str(journal_path),
        "title": "Mid-year batch",
        "sizing_method": "FIXED_FRACTIONAL",
    }
    page = run("coordination", parameters, out=tmp_path / "c.html", progress=False)
    text = page.read_text(encoding="utf-8")
    example = load_settings(paths["policy"])
    policy, sizing, loop = example["policy"], example["sizing"], example["risk_loop"]
    fixed = {**sizing.model_dump(), "method": "FIXED_FRACTIONAL"}
    coordinator = Coordinator(policy, fixed, risk_loop=loop, execution=example["execution"])
    assert (
        coordinator.coordinate(
            list(load_batch(signals).signals), example_batch().state, load_sample()
        ).n_decisions
        != Coordinator(policy, sizing, risk_loop=loop)
        .coordinate(list(load_batch(signals).signals), example_batch().state, load_sample())
        .n_decisions
    )  # the method matters here
    market = load_sample().truncate("2022-06-30")
    batch = load_batch(signals)
    assert len(batch.signals) == len(lines) and len(batch.invalid) == 1
    direct = coordinator.coordinate(list(batch.signals), example_batch().state, market)
    assert _shown(text, "pl-decisions") == f"{direct.n_decisions} decisions"
    assert _shown(text, "pl-rejections") == f"{len(direct.rejections)} rejections"
    assert "and 0 rebalance adjustments" in text
    state = example_batch().state
    before = risk.value_at_risk(
        state.weights(market.last_prices), market.returns.iloc[-252:], confidence=0.95
    )
    assert _shown(text, "pl-var-before") == f"{100 * before:.2f}%"
    assert "<h1>Mid-year batch</h1>" in text
    assert "<td>Fixed fractional</td>" in text  # the parameters table names the method
    assert "signal.confidence" in text  # the bad line's field, in the lines left out
    assert earlier.run_id in text and later.run_id not in text
    assert f"{min(20, earlier.n_decisions)} latest decisions" in text


def test_every_template_is_listed():
    assert {"portfolio", "coordination", "backtest"} <= set(templates())


def test_templates_hold_no_finance_math():
    """A template calls portlab; it computes no statistic itself (no numpy, no arithmetic on
    returns or prices)."""
    import nbformat

    for template in templates().values():
        book = nbformat.read(template.path, as_version=4)
        source = "\n".join(c.source for c in book.cells if c.cell_type == "code")
        assert "import numpy" not in source, template.name
        assert not re.search(r"\.(std|var|cov|mean|pct_change|cumprod)\(", source), template.name


def test_the_template_files_are_regenerated_from_their_script():
    """templates/make_templates.py writes the notebooks: the shipped ones are its output."""
    import nbformat

    root = Path(__file__).resolve().parents[1] / "templates"
    namespace: dict = {"__name__": "make_templates", "__file__": str(root / "make_templates.py")}
    exec(compile((root / "make_templates.py").read_text(), "make_templates.py", "exec"), namespace)
    for name, template in templates().items():
        cells = namespace[name.upper()]
        shipped = nbformat.read(template.path, as_version=4).cells
        assert [c.source for c in shipped] == [c.source for c in cells], name


def test_coordination_report_with_execution_rules_a_strategy_map_and_adaptation(tmp_path):
    """Limit orders (GTC, 2% from the last price) from a policy file's execution section, the
    bundled strategy map, and an adaptation learned from a journal of three earlier runs: the
    page states what the engine, given the same map and the state learned directly, decides."""
    from portlab.engine.learning import learn
    from portlab.engine.realized import journal_outcomes

    paths = example_paths()
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "execution:\n  default_order_type: LIMIT\n  time_in_force: GTC\n  price_threshold: 0.02\n"
    )
    example, market = example_batch(), load_sample()
    journal_path = tmp_path / "decisions.db"
    with Journal(journal_path) as journal:
        for day in ("2022-06-30", "2022-08-31", "2022-10-31"):
            Coordinator().coordinate(example.signals, example.state, market.truncate(day),
                                     journal=journal, as_of=f"{day}T20:00:00Z")  # fmt: skip
        settings = {"learning_rate": 0.05, "adaptation_period": 2, "noise_z": 0.5}
        close = market.dates[-1]
        coordinator = Coordinator(
            execution=load_settings(policy)["execution"], portfolio=paths["strategies"]
        )
        state = learn(
            journal_outcomes(journal, market, as_of=close),
            settings,
            stated=coordinator.strategies,
            as_of=close,
        )
    assert not state.neutral  # the outcomes move something at this noise band
    direct = coordinator.replace(adaptive=state).coordinate(
        example.signals, example.state, market, example.rebalance_requests
    )
    parameters = {
        "policy_file": str(policy),
        "strategy_map_file": str(paths["strategies"]),
        "adaptive": settings,
        "journal": str(journal_path),
    }
    text = run("coordination", parameters, out=tmp_path / "c.html", progress=False).read_text(
        encoding="utf-8"
    )
    assert _shown(text, "pl-decisions") == f"{direct.n_decisions} decisions"
    assert "Order type <b>LIMIT</b>, time in force <b>GTC</b>" in text
    for row in direct.decisions.itertuples():
        assert f">${row.limit_price:,.2f}<" in text, row.instrument_id
    for row in direct.rejections[direct.rejections["reason"] == "UNMAPPED_STRATEGY"].itertuples():
        assert row.detail in text
    adapted = re.search(r"<p class=['\"]pl-adaptation['\"]>(.*?)</p>", text, re.S).group(1)
    n = int(state.table()["n_outcomes"].sum())
    assert adapted.startswith(f"<b>{n} realized outcomes</b>")
    for name, a in state.entries:
        assert html.escape(a.describe(name)) in adapted, name
    assert _header_value(text, "strategy_map_file") == str(paths["strategies"])


# -- the backtest report ----------------------------------------------------------------------


def _direct_backtest(configurations, start, end, **settings):
    from portlab.analytics.backtest import Backtest, StrategyRegistry

    registry = StrategyRegistry()
    strategies = {n: registry.create(n) for n in ("momentum", "mean_reversion", "ma_crossover")}
    runner = Backtest(strategies, **settings)
    return runner.run_many(load_sample(), configurations, start, end)


def test_backtest_report_states_each_runs_figures(backtest_page):
    page = backtest_page.read_text(encoding="utf-8")
    results = _direct_backtest({"default policy": Coordinator()}, "2019-01-01", None)
    summary = results["default policy"].summary()
    hit = re.findall(r"<b class=['\"]pl-total-return['\"]>([^<]*)</b>", page)
    assert hit == [f"default policy: total return {100 * summary['total_return']:.2f}%"]
    for section in ("Equity curves and drawdowns", "Metrics", "Splits", "Turnover and costs",
                    "Attribution by strategy"):  # fmt: skip
        assert f">{section}" in page, section
    assert f">{summary['n_trades']}<" in page
    assert ">train<" in page and ">validation<" in page and ">test<" in page


def test_backtest_report_compares_policies_over_other_dates(tmp_path):
    tight = tmp_path / "tight.yaml"
    tight.write_text(
        "policy:\n  max_position_size: {limit: 0.02, hard: true}\n"
        "sizing:\n  kelly_multiplier: 0.5\n",
        encoding="utf-8",
    )
    parameters = {"policy_files": [str(tight)], "start": "2021-01-01", "end": "2022-06-30",
                  "splits": [], "frequency": "ME", "cost": 0.002, "benchmark": "KO",
                  "return_method": "capm", "risk_model": "oracle_approximating"}  # fmt: skip
    page = run("backtest", parameters, out=tmp_path / "bt.html", progress=False)
    text = page.read_text(encoding="utf-8")
    from portlab.reports import load_coordinator

    results = _direct_backtest(
        {"default policy": Coordinator(), "tight": load_coordinator(tight)},
        "2021-01-01", "2022-06-30", frequency="ME", cost=0.002,
    )  # fmt: skip
    shown = re.findall(r"<b class=['\"]pl-total-return['\"]>([^<]*)</b>", text)
    assert shown == [
        f"{name}: total return {100 * r.summary()['total_return']:.2f}%"
        for name, r in results.items()
    ]
    assert (
        results["tight"].summary()["total_return"]
        != results["default policy"].summary()["total_return"]
    )
    assert _header_value(text, "benchmark") == "KO"
    assert "No split asked for" in text
    # the optimizer's portfolio on the first day: CAPM (beta to KO) and OAS, held to the end
    equity = results["default policy"].equity
    market = load_sample().with_benchmark("KO")
    known = market.truncate(equity.index[0])
    chosen = _max_sharpe(
        known,
        portlab.PortfolioState(cash=1_000_000.0),
        known.expected_returns("capm", window=504),
        known.covariance(CovMethod.ORACLE_APPROXIMATING, window=504),
    )
    held = market.returns.loc[equity.index[0] : equity.index[-1]].iloc[1:]
    realized = annualized_return(risk.portfolio_returns(chosen.weights, held))
    assert _shown(text, "pl-optimized") == (
        "Max Sharpe with the CAPM expected returns and the Oracle approximating risk model: "
        f"realized return {100 * realized:.2f}% a year"
    )
    assert f"(expected {100 * chosen.expected_return:.2f}% on {equity.index[0].date()})" in text
    with pytest.raises(Exception, match="policy_files: .*nope.yaml: no such file"):
        run("backtest", {"policy_files": ["nope.yaml"]}, out=tmp_path / "x.html", progress=False)


@pytest.fixture(scope="module")
def backtest_page(tmp_path_factory) -> Path:
    return run("backtest", out=tmp_path_factory.mktemp("backtest") / "bt.html", progress=False)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("name", "figures", "tips"),
    [
        # the conflicts board, 11 sizing waterfalls, the allocation, the 4 exposure charts
        ("coordination", 17, ("Step", "Instrument")),
        # the equity curves, one drawdown chart per configuration, the optimizer's curve
        ("backtest", 3, ("Value of $1", "Date")),
    ],
)
def test_the_pages_draw_offline_in_chromium(
    name, figures, tips, coordination_page_file, backtest_page, browser
):
    page_file = coordination_page_file if name == "coordination" else backtest_page
    context, page, refused, errors = open_offline(browser, page_file, figures)
    drawn = page.locator(".bk-Figure")
    assert drawn.count() == figures
    assert page.locator(".bk-Figure canvas").count() >= figures
    assert refused == [] and errors == []
    page.screenshot(
        path=str(Path(__file__).parent / "artifacts" / f"report_{name}.png"), full_page=True
    )
    shown = [hover_tooltip(page, drawn.nth(i)) for i in range(figures)]
    assert sum(bool(t) for t in shown) >= figures - 1, shown
    for field in tips:
        assert any(field in t for t in shown), (field, shown)
    context.close()

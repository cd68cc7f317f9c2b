"""Write the report templates (``python templates/make_templates.py``): the notebooks are
generated from this script so that their cells stay reviewable as code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def formatted(source: str) -> str:
    """``source`` as ``ruff format`` writes it (the project's settings): the shipped notebooks
    pass the repository's format check as they are generated."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", "cell.py", "-"],
        input=source.strip() + "\n",
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        check=True,
    )
    return done.stdout.strip()


def code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(formatted(source))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def md(source: str) -> nbformat.NotebookNode:
    return new_markdown_cell(source.strip())


PORTFOLIO = [
    code(
        """
portfolio_file = None  # a portfolio in seed 004's JSON; None: the bundled example portfolio
market = "sample"  # "sample" (the bundled 20 stocks) or a prices CSV (dates x instruments)
sectors_file = None  # instrument,sector CSV for a prices CSV
policy_file = None  # a policy YAML (portlab policy --example); None: the default policy
benchmark = None  # None: the market's own (S&P 500 for the sample); an instrument or a CSV
start = None  # "YYYY-MM-DD": first day of the history; None: `window` days before as_of
as_of = None  # "YYYY-MM-DD"; None: the market's last date
window = 252  # trading days of history behind risk and performance (when start is None)
confidence = 0.99  # VaR and CVaR confidence
var_method = "historical"  # historical, parametric, cornish_fisher or monte_carlo
seed = 0  # random seed of Monte Carlo VaR: the same seed, the same figures
return_method = "compounded"  # the optimizer's expected returns: mean, compounded, ewma, capm, market_implied or black_litterman
risk_model = "ledoit_wolf"  # the optimizer's risk model: sample, ledoit_wolf, ewma, semicovariance, ledoit_wolf_single_factor, ledoit_wolf_constant_correlation or oracle_approximating
signals_file = None  # TradingSignalEvent JSON Lines, the views of black_litterman returns; None: the bundled example's
title = "Portfolio report"
""",
        "parameters",
    ),
    code(
        """
import html

import pandas as pd
from IPython.display import HTML, Markdown, display

import portlab
from portlab import plots
from portlab.formatting import money
from portlab.reports import MONEY, chart, history_window, load_batch, load_inputs, setup, show
from portlab.ui import BookModel, OptimizerModel, estimator_label

setup()  # BokehJS inlined (the page has its own copy, once: it works offline)
inputs = load_inputs(portfolio_file, market, sectors_file, policy_file, benchmark)
end = inputs.market.dates[-1] if as_of is None else pd.Timestamp(as_of)
if start is not None:
    window = history_window(inputs.market, start, end)
model = BookModel(
    market=inputs.market,
    state=inputs.state,
    coordinator=inputs.coordinator,
    as_of=end,
    window=window,
    confidence=confidence,
    var_method=var_method,
    seed=seed,
)
r = model.result
if model.error:
    raise RuntimeError(model.error)
""",
        "remove-output",
    ),
    code(
        """
s = r.summary
bench = r.market.benchmark
parameters = {
    "portfolio_file": portfolio_file or "bundled example",
    "market": market,
    "policy_file": policy_file or "default policy",
    "benchmark": "none" if bench is None else bench.name,
    "start": str(r.returns.index[0].date()) if r.returns is not None else start,
    "as_of": str(r.as_of.date()),
    "window": window,
    "confidence": confidence,
    "var_method": var_method,
    "seed": seed,
    "return_method": estimator_label(return_method),
    "risk_model": estimator_label(portlab.CovMethod(risk_model)),
}
var = r.risk
display(HTML(
    f"<h1>{html.escape(title)}</h1>"
    f"<p>As of the close of <b>{r.as_of.date()}</b>; portlab {portlab.__version__}; input "
    f"data fingerprint <code>{inputs.fingerprint}</code>.</p>"
    + pd.Series(parameters, name="value").rename_axis("parameter").to_frame().to_html()
    + f"<p><b class='pl-book-value'>Book value {money(s.value)}</b> (cash {money(s.cash)}, "
    f"{s.n_positions} positions); P&amp;L day {money(s.pnl_day)}, month to date "
    f"{money(s.pnl_mtd)}, year to date {money(s.pnl_ytd)}; gross / net exposure "
    f"{s.gross_exposure:.1%} / {s.net_exposure:.1%}, leverage {s.leverage:.2f}x; largest "
    f"position {s.largest_position} ({s.largest_weight:.1%} of NAV).</p>"
    f"<p><b class='pl-var'>1-day {confidence:.1%} VaR {var['var']:.2%} "
    f"({money(var['var_amount'])})</b>, CVaR {var['cvar']:.2%} ({money(var['cvar_amount'])}), "
    f"{html.escape(var_method)} over the last {window} trading days.</p>"
))
""",
    ),
    md(
        """
## Holdings and exposures against the policy limits

Each position at the last close with its weight and status against the position limit; then
each policy measure against its limit (volatility annualised, ex ante from the risk model;
leverage a multiple).
"""
    ),
    code(
        """
show(r.positions, quantity="{:,.0f}", avg_price="${:,.2f}", price="${:,.2f}",
     market_value=MONEY, weight="{:.2%}", unrealized_pnl=MONEY)
show(r.limits, value="{:.4f}", limit="{:.4f}", usage="{:.1%}")
display(chart(plots.exposures(model.state, r.market, model.coordinator.policy)))
""",
    ),
    md(
        """
## Risk

Contributions of each holding to the portfolio's volatility (ex ante, the market's risk
model), correlations of the holdings in the leaf order of HRP's clustering tree, and the risk
by sector.
"""
    ),
    code(
        """
display(chart(plots.risk_contributions(r.risk_contributions, top=10)))
display(chart(plots.correlation_heatmap(r.correlation)))
show(r.sector_risk, **{c: "{:.2%}" for c in r.sector_risk.columns})
""",
    ),
    md(
        """
## Stress tests

Historical episodes replayed on today's holdings and hypothetical shocks: the loss and the
policy limits each would breach.
"""
    ),
    code(
        """
show(r.stress_summary, pnl=MONEY, loss=MONEY, loss_fraction="{:.2%}",
     volatility_before="{:.2%}", volatility_after="{:.2%}")
""",
    ),
    md(
        """
## Rebalancing

The triggers measured now (against the targets: the weights at the start of the quarter
unless given) and the least-cost trades back into the bands.
"""
    ),
    code(
        """
show(r.triggers)
show(r.trades, **{c: "{:.2%}" for c in r.trades.columns if "weight" in c or "band" in c},
     notional=MONEY, cost="${:,.2f}", price="${:,.2f}")
""",
    ),
    md(
        """
## Performance

The current holdings held over the window (rebalanced daily): a what-if, not a track record.
Growth against the benchmark, the drawdown from the running peak, the worst drawdowns, the
rolling metrics, the monthly returns and the metrics.
"""
    ),
    code(
        """
display(Markdown(f"*{r.performance_label}*"))
display(chart(plots.equity_curve(r.returns, r.benchmark_returns)))
display(chart(plots.underwater(r.returns)))
day = "{:%Y-%m-%d}"
show(r.worst_drawdowns, peak=day, trough=day, recovery=day, depth="{:.2%}")
display(chart(plots.rolling_metrics(r.rolling, model.rolling_window)))
display(chart(plots.monthly_returns_heatmap(r.monthly_returns)))
show(r.metrics, **{c: "{:,.4f}" for c in r.metrics.columns})
""",
    ),
    md(
        """
## Attribution

Brinson attribution by sector over the period against the equal-weighted universe: from the
benchmark's return to the portfolio's through allocation, selection and interaction, and the
effects linked over time.
"""
    ),
    code(
        """
a = r.attribution
display(chart(plots.attribution_waterfall(a.brinson)))
display(chart(plots.brinson_effects(a.brinson)))
display(chart(plots.linked_effects(a.brinson)))
show(a.by_group, **{c: "{:.2%}" for c in a.by_group.columns})
""",
    ),
    md(
        """
## Optimization: the estimators' effect

The maximum-Sharpe portfolio of the market's instruments (long only, at most 10% in one
instrument and 30% in one sector), estimated over the last 504 trading days with the expected
returns and the risk model of the parameters `return_method` and `risk_model`; its turnover is
measured from the current holdings. Then the same optimization under each other estimator, one
changed at a time: each portfolio's figures under its own estimates, how far it moves from the
chosen one (the sum of the weight changes), and the weights.
"""
    ),
    code(
        """
optimizer = OptimizerModel(
    market=r.market,
    state=model.state,
    signals=list(load_batch(signals_file, "").signals),
    return_method=return_method,
    risk_model=risk_model,
    compare_estimators=True,
)
if optimizer.error:
    raise RuntimeError(optimizer.error)
o = optimizer.result
effect = o.estimators
display(HTML(
    f"<p><b class='pl-optimized'>Max Sharpe {o.figures['sharpe']:.2f}: expected return "
    f"{o.figures['expected_return']:.2%}, volatility {o.figures['volatility']:.2%}</b> with "
    f"the {html.escape(estimator_label(return_method))} expected returns and the "
    f"{html.escape(estimator_label(portlab.CovMethod(risk_model)))} risk model; turnover from "
    f"the current holdings {o.figures['turnover']:.1%}.</p>"
))
table = effect.table(holdings=5)
fractions = [c for c in table.columns if c not in ("Estimator", "Method", "Chosen", "Sharpe", "Note")]
show(table, Sharpe="{:.2f}", **{c: "{:.2%}" for c in fractions})
for note in effect.notes:
    display(Markdown(f"*{note}.*"))
display(chart(plots.estimator_weights(effect.labelled_weights(), chosen=effect.chosen_label(),
                                      objective="max Sharpe")))
""",
    ),
    md(
        """
## Tax lots

Unrealized gains by term, the loss-harvesting candidates with their wash-sale status, and the
open lots.
"""
    ),
    code(
        """
show(r.gains_by_term, **{c: MONEY for c in r.gains_by_term.columns})
show(r.harvest)
show(r.lots)
""",
    ),
]


COORDINATION = [
    code(
        """
signals_file = None  # TradingSignalEvent JSON Lines; None: the bundled example's 14 signals
rebalance_file = None  # rebalance request JSON Lines; None: the example's; "": none
portfolio_file = None  # a portfolio in seed 004's JSON; None: the bundled example portfolio
market = "sample"  # "sample" (the bundled 20 stocks) or a prices CSV (dates x instruments)
sectors_file = None  # instrument,sector CSV for a prices CSV
policy_file = None  # a policy YAML (portlab policy --example); None: the default policy
sizing_method = None  # KELLY, FIXED_FRACTIONAL, EQUAL_WEIGHT, VOLATILITY_TARGET or RISK_PARITY; None: the policy's
strategy_map_file = None  # a per-instrument strategy map YAML (portlab.datasets.example_paths()["strategies"]); None: none
adaptive = None  # adaptation settings, e.g. {"learning_rate": 0.05, "adaptation_period": 20}: learned from the journal's outcomes; None: static
as_of = None  # "YYYY-MM-DD": the close the batch is priced at; None: the market's last date
window = 252  # trading days of history behind the book's VaR before and after
confidence = 0.99  # VaR confidence
var_method = "historical"  # historical, parametric, cornish_fisher or monte_carlo
seed = 0  # random seed of Monte Carlo VaR
waterfalls = 12  # sizing waterfalls shown: the largest decisions first
journal = None  # a decision journal (a SQLite file or postgresql://...): its recent runs and decisions
title = "Coordination report"
""",
        "parameters",
    ),
    code(
        """
import html

import pandas as pd
from IPython.display import HTML, Markdown, display

import portlab
from portlab import plots
from portlab.analytics import risk
from portlab.formatting import money
from portlab.reports import MONEY, chart, fingerprint, load_batch, load_inputs, setup, show
from portlab.ui import ConflictModel, PolicyModel, configured

setup()  # BokehJS inlined (the page has its own copy, once: it works offline)
inputs = load_inputs(portfolio_file, market, sectors_file, policy_file)
batch = load_batch(signals_file, rebalance_file)
priced = inputs.market if as_of is None else inputs.market.truncate(as_of)
coordinator = inputs.coordinator
if sizing_method is not None:
    coordinator = configured(coordinator, sizing={"method": sizing_method})
if strategy_map_file is not None:
    coordinator = coordinator.replace(portfolio=strategy_map_file)
if adaptive is not None:  # what the journal's outcomes teach by the report's close
    from portlab.ui import learned_state

    settings = coordinator.replace(adaptive=dict(adaptive)).adaptive
    state = learned_state(settings, journal or None, priced, coordinator)
    coordinator = coordinator.replace(adaptive=state)
given = {
    "market": priced,
    "state": inputs.state,
    "coordinator": coordinator,
    "signals": list(batch.signals),
    "rebalance_requests": list(batch.rebalance_requests),
}
policy_model, conflict_model = PolicyModel(**given), ConflictModel(**given)
for m in (policy_model, conflict_model):
    if m.error:
        raise RuntimeError(m.error)
r, c = policy_model.result, conflict_model.result
result = r.coordination
stats = result.stats
""",
        "remove-output",
    ),
    code(
        """
prices, returns = priced.last_prices, priced.returns.iloc[-int(window):]
after = r.state_after
book = {}
for label, state in (("before", inputs.state), ("after", after)):
    w = state.weights(prices)
    var = risk.value_at_risk(w, returns, confidence=confidence, method=var_method, seed=seed)
    book[label] = {"value": state.total_value(prices), "var": var, "n_positions": len(w)}
parameters = {
    "signals_file": signals_file or "bundled example",
    "rebalance_file": "bundled example" if rebalance_file is None else rebalance_file or "none",
    "portfolio_file": portfolio_file or "bundled example",
    "market": market,
    "policy_file": policy_file or "default policy",
    "sizing_method": coordinator.sizing.method.label,
    "strategy_map_file": strategy_map_file or "none",
    "adaptive": "static" if adaptive is None else str(dict(adaptive)),
    "as_of": str(priced.dates[-1].date()),
    "window": window,
    "confidence": confidence,
    "var_method": var_method,
    "seed": seed,
}
digest = fingerprint(
    priced, inputs.state, coordinator, [*batch.signals, *batch.rebalance_requests]
)
rate = stats["accepted_signals"] / stats["total_signals"] if stats["total_signals"] else 0.0
display(HTML(
    f"<h1>{html.escape(title)}</h1>"
    f"<p>Priced at the close of <b>{priced.dates[-1].date()}</b>; portlab {portlab.__version__}; "
    f"input data fingerprint <code>{digest}</code>.</p>"
    + pd.Series(parameters, name="value").rename_axis("parameter").to_frame().to_html()
    + f"<p><b class='pl-decisions'>{stats['decisions']} decisions</b> from "
    f"{stats['total_signals']} signals and {stats['total_rebalance_adjustments']} rebalance "
    f"adjustments; <b class='pl-rejections'>{len(r.rejections)} rejections</b>; "
    f"{stats['conflicted_signals']} signals in conflicts; acceptance rate {rate:.1%}.</p>"
    f"<p><b class='pl-nav'>Book value {money(book['before']['value'])}</b> before, "
    f"{money(book['after']['value'])} after; 1-day {confidence:.1%} VaR "
    f"<b class='pl-var-before'>{book['before']['var']:.2%}</b> before, "
    f"<b class='pl-var-after'>{book['after']['var']:.2%}</b> after the decisions "
    f"({html.escape(var_method)}, last {window} trading days).</p>"
))
""",
    ),
    md(
        """
## Decisions

The execution-ready decisions: side, shares and amount, the size as a fraction of NAV, the
priority and the strategy, and the engine's reasoning.
"""
    ),
    code(
        """
columns = ["instrument_id", "action", "share_quantity", "trade_amount", "position_size",
           "priority", "origin", "strategy_id", "reasoning"]
show(r.decisions[columns], share_quantity="{:,.0f}", trade_amount=MONEY,
     position_size="{:.2%}")
""",
    ),
    md(
        """
## Rejections

Every signal or rebalance adjustment that did not become a decision: the reason, the rule
that rejected it and the detail; then the input lines that could not be read (left out, the
rest of the batch still coordinated).
"""
    ),
    code(
        """
show(r.rejections[["source", "id", "instrument_id", "strategy_id", "reason", "rule", "detail"]])
display(Markdown("**Input lines left out**"))
show(batch.invalid)
""",
    ),
    md(
        """
## Conflicts

Instruments that more than one input competed for: who won, by which rule, and who lost.
"""
    ),
    code(
        """
if len(c.winners):
    display(chart(plots.conflicts(result, list(batch.signals))))
show(c.winners, final_size="{:.2%}")
show(c.losers)
""",
    ),
    md(
        """
## Sizing

How each decision's size came about, from the Kelly target through the policy cap, the
correlation adjustment, allocation and rounding to whole shares (largest decisions first).
"""
    ),
    code(
        """
largest = r.decisions.sort_values("trade_amount", ascending=False, key=abs)
for instrument in largest["instrument_id"].head(int(waterfalls)):
    display(chart(plots.sizing_waterfall(result, instrument)))
if len(largest) > int(waterfalls):
    display(Markdown(f"*{len(largest) - int(waterfalls)} more decisions not drawn.*"))
""",
    ),
    md(
        """
## Allocation

The capital each opportunity asked for after sizing and what allocation gave it; the batch
limits that bound it.
"""
    ),
    code(
        """
display(chart(plots.allocation(result)))
binding = ", ".join(c.binding) if c.binding else "none"
display(Markdown(f"Limits that bound the allocation: **{binding}**."))
show(c.allocation, sized="{:.2%}", allocated="{:.2%}", final_size="{:.2%}")
""",
    ),
    md(
        """
## Compliance

Each policy measure before and after the batch against its limit, the exposures drawn, and
the checks every decision passed.
"""
    ),
    code(
        """
show(r.limits, **{c: "{:.4f}" for c in ("limit", "before", "after")})
display(chart(plots.exposures(inputs.state, priced, coordinator.policy, result)))
checks = [col for col in r.decisions.columns if col.endswith("_limit_check")]
show(r.decisions[checks].apply(pd.Series.value_counts).fillna(0).astype(int).T)
""",
    ),
    md(
        """
## Execution

How each decision goes to market under the execution rules (the policy file's `execution`
section): order type and time in force, the LIMIT order's limit price, the estimated market
impact (square-root model: `k × daily volatility × sqrt(shares / average daily volume)`, as a
fraction of the price; not estimated without volumes) and the child orders of a trade split
under the impact limit.
"""
    ),
    code(
        """
rules = coordinator.execution
impact_limit = rules.market_impact_limit
display(HTML(
    f"<p class='pl-execution-rules'>Order type <b>{rules.default_order_type.value}</b>, time in "
    f"force <b>{rules.time_in_force.value}</b>, limit price {rules.price_threshold:.2%} from the "
    f"last price, market impact limit <b>"
    + ("none" if impact_limit is None else f"{impact_limit:.2%} ({rules.impact_action.value})")
    + "</b>.</p>"
))
show(r.decisions[["instrument_id", "action", "share_quantity", "price", "order_type",
                  "time_in_force", "limit_price", "market_impact", "child_orders"]],
     share_quantity="{:,.0f}", price="${:,.2f}", limit_price="${:,.2f}",
     market_impact="{:.3%}", child_orders="{:,.0f}")
""",
    ),
    md(
        """
## Strategy map and adaptation

The per-instrument strategy map given (parameter `strategy_map_file`): which strategies speak
for each instrument, with what weight, how its signals are combined, and the signals rejected
because their strategy does not speak for their instrument. Then the adaptation applied
(parameter `adaptive`): each strategy's calibration, Kelly multiplier scale and priority tier
shift, learned from the outcomes of the journal's decisions by the report's close, and the
evidence behind them.
"""
    ),
    code(
        """
mapped = coordinator.portfolio
if mapped is None:
    display(Markdown("*No strategy map (parameter `strategy_map_file`): every strategy may "
                     "speak for every instrument.*"))
else:
    rows = [
        {"instrument_id": iid, "strategy": name, "weight": entry.weight,
         "aggregator": mapped.aggregator(iid, coordinator.resolution).value}
        for iid, by_strategy in mapped.strategies.items()
        for name, entry in by_strategy.items()
    ]
    display(Markdown(f"**Strategy map `{html.escape(mapped.name)}`**: "
                     f"{len(mapped.instruments)} instruments"))
    show(pd.DataFrame(rows), weight="{:.2f}")
    unmapped = r.rejections[r.rejections["reason"] == "UNMAPPED_STRATEGY"]
    display(Markdown(f"**{len(unmapped)} signals from unmapped strategies**"))
    show(unmapped[["id", "instrument_id", "strategy_id", "detail"]])
state = result.adaptive_state
if state is None:
    display(Markdown("*Static coordinator: no adaptation (parameter `adaptive`).*"))
elif not state.entries:
    display(Markdown("*Adaptive, but nothing learned yet: no realized outcomes in the journal "
                     "by the report's close (parameter `journal`); every strategy as stated.*"))
else:
    learned = state.table()
    display(HTML(
        f"<p class='pl-adaptation'><b>{int(learned['n_outcomes'].sum())} realized outcomes</b> "
        f"of {len(learned)} strategies by the report's close; "
        + ("every strategy's hit rate within the noise band of its stated probability: "
           "nothing applied" if state.neutral else "adapted: "
           + html.escape("; ".join(filter(None, (a.describe(n) for n, a in state.entries)))))
        + ".</p>"
    ))
    percent = {c: "{:.1%}" for c in ("stated_p", "hit_rate", "standard_error")}
    show(learned, **percent, **{c: "{:.3f}" for c in ("calibration", "kelly_scale",
                                                      "priority_shift")},
         win_rate="{:.1%}", avg_win="{:.2%}", avg_loss="{:.2%}", sharpe="{:.2f}",
         profit_factor="{:.2f}")
    display(Markdown("**Changes** (the latest 20)"))
    show(state.changes.tail(20), **percent, **{c: "{:.3f}" for c in ("old", "new", "target")})
""",
    ),
    md(
        """
## Statistics

The engine's processing statistics (seed 003's `get_processing_stats`): the counts and the
rejections by reason.
"""
    ),
    code(
        """
counts = {k: v for k, v in stats.items() if isinstance(v, int)}
show(pd.Series(counts, name="count").rename_axis("statistic").to_frame())
show(pd.Series(stats["rejections_by_reason"], name="count").rename_axis("reason").to_frame())
""",
    ),
    md(
        """
## Decision journal

The runs and decisions recorded in the decision journal given (parameter `journal`): the latest
ones, or those up to the report's date when `as_of` is given; what was decided before this
batch, under which policy version.
"""
    ),
    code(
        """
if journal:
    from portlab.journal import open_existing

    with open_existing(journal) as recorded:
        until = None if as_of is None else priced.dates[-1]  # None: the latest, whenever
        runs = recorded.runs(end=until).tail(10)
        recent = recorded.decisions(end=until, latest=20)
    display(Markdown(f"**{len(runs)} latest runs** in `{html.escape(str(journal))}`"))
    show(runs[["run_id", "as_of", "recorded_at", "policy_version", "n_decisions", "n_rejections"]])
    display(Markdown(f"**{len(recent)} latest decisions**"))
    show(recent[["timestamp", "instrument_id", "action", "share_quantity", "trade_amount",
                 "strategy_id", "policy_version"]], share_quantity="{:,.0f}", trade_amount=MONEY)
else:
    display(Markdown("*No journal given (parameter `journal`).*"))
""",
    ),
]


BACKTEST = [
    code(
        """
market = "sample"  # "sample" (the bundled 20 stocks) or a prices CSV (dates x instruments)
sectors_file = None  # instrument,sector CSV for a prices CSV
strategies = ["momentum", "mean_reversion", "ma_crossover"]  # strategy types, default settings
strategies_file = None  # a strategy YAML (specification 14) instead of `strategies`
policy_files = []  # policy YAMLs, each a configuration compared with the default policy
start = "2019-01-01"  # first day of the run ("YYYY-MM-DD")
end = None  # last day of the run; None: the market's last date
splits = [0.6, 0.2, 0.2]  # train / validation / test fractions of the run; []: no split
frequency = "W-FRI"  # rebalance schedule (a pandas offset: W-FRI weekly, ME monthly)
cost = 0.001  # proportional transaction cost (0.001 is 10 bp of the traded notional)
initial_cash = 1000000.0  # starting cash of each configuration
benchmark = None  # None: the market's own (S&P 500 for the sample); an instrument or a CSV
confidence = 0.99  # confidence of the daily historical VaR and CVaR of each configuration
return_method = "compounded"  # the optimizer's expected returns: mean, compounded, ewma, capm, market_implied or black_litterman
risk_model = "ledoit_wolf"  # the optimizer's risk model: sample, ledoit_wolf, ewma, semicovariance, ledoit_wolf_single_factor, ledoit_wolf_constant_correlation or oracle_approximating
title = "Backtest report"
""",
        "parameters",
    ),
    code(
        """
import html
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

import portlab
from portlab import plots
from portlab.analytics import performance, risk
from portlab.analytics.backtest import Backtest, StrategyRegistry, split, strategy_contributions
from portlab.formatting import money
from portlab.reports import MONEY, chart, fingerprint, load_coordinator, load_inputs, setup, show
from portlab.ui import OptimizerModel, estimator_label

setup()  # BokehJS inlined (the page has its own copy, once: it works offline)
inputs = load_inputs(market=market, sectors_file=sectors_file, benchmark=benchmark)
registry = StrategyRegistry()
if strategies_file is not None:
    chosen = registry.from_yaml(strategies_file)
else:
    chosen = {name: registry.create(name) for name in strategies}
configurations = {"default policy": load_coordinator(None)}
configurations |= {Path(f).stem: load_coordinator(f) for f in policy_files}
runner = Backtest(chosen, frequency=frequency, cost=cost, initial_cash=initial_cash)
results = runner.run_many(inputs.market, configurations, start, end)
returns = pd.DataFrame({name: r.returns for name, r in results.items()})
bench = inputs.market.benchmark_returns
""",
        "remove-output",
    ),
    code(
        """
first = next(iter(results.values()))
summary = pd.DataFrame({name: r.summary() for name, r in results.items()}).T
summary.index.name = "configuration"
parameters = {
    "market": market,
    "strategies": ", ".join(chosen),
    "configurations": ", ".join(configurations),
    "start": str(first.equity.index[0].date()),
    "end": str(first.equity.index[-1].date()),
    "splits": ", ".join(map(str, splits)) or "none",
    "frequency": frequency,
    "cost": cost,
    "initial_cash": initial_cash,
    "benchmark": "none" if bench is None else inputs.market.benchmark.name,
    "confidence": confidence,
    "return_method": estimator_label(return_method),
    "risk_model": estimator_label(portlab.CovMethod(risk_model)),
}
digest = fingerprint(inputs.market, None, list(configurations.values()))
lines = "".join(
    f"<li><b class='pl-total-return'>{html.escape(name)}: total return "
    f"{row.total_return:.2%}</b>, Sharpe {row.sharpe:.2f}, max drawdown "
    f"{row.max_drawdown:.2%}, {row.n_trades} trades, costs {money(row.costs)}</li>"
    for name, row in summary.iterrows()
)
display(HTML(
    f"<h1>{html.escape(title)}</h1>"
    f"<p>portlab {portlab.__version__}; input data fingerprint <code>{digest}</code>.</p>"
    + pd.Series(parameters, name="value").rename_axis("parameter").to_frame().to_html()
    + f"<ul>{lines}</ul>"
))
""",
    ),
    md(
        """
## Equity curves and drawdowns

The growth of $1 in each configuration (each starts with the same cash and no holdings, and
trades on the same signals) against the benchmark, and each one's fall from its running peak.
"""
    ),
    code(
        """
display(chart(plots.equity_curve(dict(results), bench)))
for name, r in results.items():
    display(Markdown(f"**{name}**"))
    display(chart(plots.underwater(r)))
""",
    ),
    md(
        """
## Metrics

Each configuration over the whole run: returns are fractions, annualised where named;
Sharpe with a zero risk-free rate; turnover annualised one-way; costs in dollars. Then the
portfolio metrics against the benchmark and the daily VaR and CVaR (historical, losses as
positive fractions).
"""
    ),
    code(
        """
fractions = ["total_return", "annual_return", "annual_volatility", "max_drawdown", "turnover"]
show(summary.drop(columns=["start", "end"]), sharpe="{:.2f}", costs=MONEY,
     initial_equity=MONEY, final_equity=MONEY, **{c: "{:.2%}" for c in fractions})
against = pd.DataFrame({
    name: performance.summary(r.returns, None if bench is None else bench.reindex(r.returns.index))
    for name, r in results.items()
}).T
show(against, **{c: "{:.4f}" for c in against.columns})
tail = risk.historical_var_cvar(returns, confidence=confidence)
show(tail.rename(columns={"var": f"var_{confidence:g}", "cvar": f"cvar_{confidence:g}"}),
     **{f"var_{confidence:g}": "{:.2%}", f"cvar_{confidence:g}": "{:.2%}"})
""",
    ),
    md(
        """
## Splits

The run cut into train, validation and test periods, each configuration run again on each
period from the same cash (the history before a period serves as the strategies' warm-up).
A configuration that only does well in the period it was tuned on shows it here.
"""
    ),
    code(
        """
if splits:
    span = inputs.market.dates[inputs.market.dates.slice_indexer(first.equity.index[0],
                                                                first.equity.index[-1])]
    periods = split(span, *splits)
    rows = []
    for period_name, period in zip(periods._fields, periods, strict=True):
        for name, r in runner.run_many(inputs.market, configurations, *period).items():
            rows.append(r.summary().rename((period_name, name)))
    by_period = pd.DataFrame(rows).drop(columns=["initial_equity"])
    by_period.index.names = ["period", "configuration"]
    day = "{:%Y-%m-%d}"
    show(by_period.reset_index(), start=day, end=day, sharpe="{:.2f}", costs=MONEY,
         final_equity=MONEY, **{c: "{:.2%}" for c in fractions})
else:
    display(Markdown("*No split asked for.*"))
""",
    ),
    md(
        """
## Turnover and costs

What trading cost each configuration: the turnover (annualised, one-way, a fraction of
equity), the costs paid, the trades, decisions and rejections (the costs by strategy are in
the attribution below).
"""
    ),
    code(
        """
activity = ["turnover", "costs", "n_trades", "n_decisions", "n_rejections", "n_signals"]
show(summary[activity], turnover="{:.2%}", costs=MONEY)
""",
    ),
    md(
        """
## Attribution by strategy

Each strategy's share of each configuration's P&L: a fill's shares belong to the strategy
whose signal made the decision, and so do their gains and costs; the daily contributions are
linked over the run, so they add up to the configuration's total return.
"""
    ),
    code(
        """
for name, r in results.items():
    display(Markdown(f"**{name}**"))
    show(strategy_contributions(r, inputs.market), pnl=MONEY, costs=MONEY,
         return_contribution="{:.2%}", share_of_pnl="{:.1%}")
""",
    ),
    md(
        """
## The optimizer's portfolio by estimator

What the optimizer would have chosen on the run's first day and held: the maximum-Sharpe
portfolio (long only, at most 10% in one instrument and 30% in one sector) estimated on the
504 trading days up to that day with the expected returns and the risk model of the
parameters `return_method` and `risk_model`, then under each other estimator, one changed at a
time (Black-Litterman's views are the strategies' signals of that day). Each is held at its
weights over the run (rebalanced daily, no costs): a what-if beside the strategies, not a track
record. Its figures expected on the first day (under its own estimates) stand next to those
realized.
"""
    ),
    code(
        """
first_day, last_day = first.equity.index[0], first.equity.index[-1]
known = inputs.market.truncate(first_day)
views = pd.concat([s.generate(known, first_day) for s in chosen.values()], ignore_index=True)
optimizer = OptimizerModel(
    market=known,
    state=portlab.PortfolioState(cash=initial_cash),  # each configuration starts in cash
    signals=views,
    return_method=return_method,
    risk_model=risk_model,
    compare_estimators=True,
)
if optimizer.error:
    raise RuntimeError(optimizer.error)
effect = optimizer.result.estimators
held = inputs.market.returns.loc[first_day:last_day].iloc[1:]  # from the day after
labels = effect.labels()
paths = {
    label: risk.portfolio_returns(w, held)
    for label, (_, w) in zip(labels, effect.weights.iterrows(), strict=True)
    if w.notna().all()
}
realized = performance.summary(pd.DataFrame(paths)).T.reindex(labels)
table = effect.table(holdings=0)
notes = table.pop("Note") if "Note" in table else None
table = table.drop(columns=["Turnover"]).assign(**{
    "Realized return": realized["annualized_return"].to_numpy(),
    "Realized volatility": realized["volatility"].to_numpy(),
    "Realized Sharpe": realized["sharpe_ratio"].to_numpy(),
    "Max drawdown": realized["max_drawdown"].to_numpy(),
})
if notes is not None:
    table["Note"] = notes
table = table.rename(columns={"Expected return": "Expected return (ex ante)",
                              "Volatility": "Volatility (ex ante)", "Sharpe": "Sharpe (ex ante)"})
chosen, expected = effect.chosen_label(), optimizer.result.figures
display(HTML(
    f"<p><b class='pl-optimized'>Max Sharpe with the {html.escape(parameters['return_method'])} "
    f"expected returns and the {html.escape(parameters['risk_model'])} risk model: realized "
    f"return {realized.loc[chosen, 'annualized_return']:.2%} a year</b> (expected "
    f"{expected['expected_return']:.2%} on {first_day.date()}), realized Sharpe "
    f"{realized.loc[chosen, 'sharpe_ratio']:.2f} (expected {expected['sharpe']:.2f}).</p>"
))
ratios = ["Sharpe (ex ante)", "Realized Sharpe"]
show(table, **{c: "{:.2f}" for c in ratios},
     **{c: "{:.2%}" for c in table.columns if c not in ("Estimator", "Method", "Chosen", "Note", *ratios)})
for note in effect.notes:
    display(Markdown(f"*{note}.*"))
display(chart(plots.equity_curve({**results, "optimizer (max Sharpe)": paths[chosen]}, bench)))
""",
    ),
]


def write(name: str, cells: list) -> None:
    book = new_notebook(cells=cells, metadata={"kernelspec": KERNEL})
    for i, cell in enumerate(book.cells):
        cell.id = f"{name}-{i:02d}"  # stable ids: regenerating changes nothing
    nbformat.write(book, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("portfolio", PORTFOLIO)
    write("coordination", COORDINATION)
    write("backtest", BACKTEST)

"""Write the report templates (``python templates/make_templates.py``): the notebooks are
generated from this script so that their cells stay reviewable as code."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source.strip())
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
as_of = None  # "YYYY-MM-DD"; None: the market's last date
window = 252  # trading days of history behind risk and performance
confidence = 0.99  # VaR and CVaR confidence
var_method = "historical"  # historical, parametric, cornish_fisher or monte_carlo
title = "Portfolio report"
""",
        "parameters",
    ),
    code(
        '''
import html

import pandas as pd
from IPython.display import HTML, Markdown, display

import portlab
from portlab import plots
from portlab.reports import chart, load_inputs, setup
from portlab.ui import BookModel

setup()  # BokehJS inlined (the page has its own copy, once: it works offline)
inputs = load_inputs(portfolio_file, market, sectors_file, policy_file)
settings = {"window": window, "confidence": confidence, "var_method": var_method}
if as_of is not None:
    settings["as_of"] = pd.Timestamp(as_of)
model = BookModel(
    market=inputs.market, state=inputs.state, coordinator=inputs.coordinator, **settings
)
r = model.result
if model.error:
    raise RuntimeError(model.error)


def money(x):
    return ("-" if x < 0 else "") + f"${abs(x):,.0f}"


def title_of(name):
    text = str(name).replace("_id", "").replace("_", " ").replace("pnl", "P&L")
    return text[:1].upper() + text[1:]


def show(frame, **formats):
    """A table, its columns formatted (fractions as percent, amounts in dollars) and titled."""
    if frame is None or len(frame) == 0:
        display(Markdown("*None.*"))
        return
    spec = {c: (money if f == "$" else f) for c, f in formats.items() if c in frame.columns}
    styled = frame.style.format(spec, na_rep="").format_index(title_of, axis=1)
    display(styled)
''',
        "remove-output",
    ),
    code(
        """
s = r.summary
parameters = {
    "portfolio_file": portfolio_file or "bundled example",
    "market": market,
    "policy_file": policy_file or "default policy",
    "as_of": str(r.as_of.date()),
    "window": window,
    "confidence": confidence,
    "var_method": var_method,
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
     market_value="$", weight="{:.2%}", unrealized_pnl="$")
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
show(r.stress_summary, pnl="$", loss="$", loss_fraction="{:.2%}",
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
     notional="$", cost="${:,.2f}", price="${:,.2f}")
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
## Tax lots

Unrealized gains by term, the loss-harvesting candidates with their wash-sale status, and the
open lots.
"""
    ),
    code(
        """
show(r.gains_by_term, **{c: "$" for c in r.gains_by_term.columns})
show(r.harvest)
show(r.lots)
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

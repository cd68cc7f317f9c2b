"""Reports (portlab.reports, ``portlab report``): templates run by papermill into offline HTML.

The portfolio report is executed with its defaults and with other parameters; the book value
and the VaR its page states are compared with values computed here (by hand from prices and
quantities; VaR by a direct ``portlab.analytics`` call). The page is opened from disk in
Chromium with every network request refused: no console error, every chart drawn. The
failure paths (unknown parameter, wrong type, missing file, bad YAML, a failing cell) end with
one line and a non-zero exit, the partial notebook kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from _report_pages import hover_tooltip, open_offline
from portlab import Coordinator
from portlab.analytics import risk
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.exceptions import DataError, ReportError, ValidationError
from portlab.reports import check_parameters, find_template, fingerprint, run, run_batch, templates

#: the charts of the portfolio report, as Bokeh figures (the exposures are a grid of four,
#: the rolling metrics three)
FIGURES = 16
SECTIONS = ("Holdings and exposures", "Risk", "Stress tests", "Rebalancing", "Performance",
            "Attribution", "Optimization", "Tax lots")  # fmt: skip


def _portlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portlab.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _shown(page: str, css: str) -> str:
    hit = re.search(rf"<b class=['\"]{css}['\"]>([^<]*)</b>", page)
    assert hit, css
    return hit.group(1)


@pytest.fixture(scope="module")
def default_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "pack.html"
    return run("portfolio", out=out, progress=False)


def test_the_templates_are_found_with_their_parameters():
    assert "portfolio" in templates()
    names = find_template("portfolio").parameters()
    assert {"portfolio_file", "market", "policy_file", "as_of", "confidence", "title"} <= set(names)


def test_default_report_states_the_books_numbers(default_page):
    page = default_page.read_text(encoding="utf-8")
    market, state = load_sample(), example_batch().state
    prices = market.prices.iloc[-1]
    value = state.cash + sum(p.quantity * prices[i] for i, p in state.positions.items())
    assert _shown(page, "pl-book-value") == f"Book value ${value:,.0f}"
    var = risk.value_at_risk(state.weights(market.last_prices), market.returns.iloc[-252:],
                             confidence=0.99)  # fmt: skip
    assert _shown(page, "pl-var").startswith(f"1-day 99.0% VaR {100 * var:.2f}% (")
    assert fingerprint(market, state, Coordinator()) in page  # the header's data fingerprint
    for section in SECTIONS:
        assert f">{section}" in page, section
    # the parameters in the header's table; no input cell shown
    assert "portfolio_file" in page
    assert "load_inputs(" not in page and "def show(" not in page


def test_default_report_is_one_offline_file(default_page):
    page = default_page.read_text(encoding="utf-8")
    assert default_page.stat().st_size <= 10 * 1024 * 1024
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?:", page)
    assert page.count("Bokeh.safely") >= 1
    assert len(re.findall(r'data-root-id="', page)) == 11  # one per chart cell output


def test_the_page_is_the_same_whatever_ran_before():
    import nbformat

    from portlab.apps.charts import ChartItem  # registers Panel's models (and their bundles)
    from portlab.reports import to_html

    assert ChartItem is not None
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A")])
    page = to_html(book)
    assert not re.search(r"(src|href)=[\"'](?!data:)[^\"']*static/extensions", page)
    assert page.count("<script") >= 5  # BokehJS and its widgets, tables, GL, MathJax parts


def test_other_parameters_give_that_dates_numbers(tmp_path):
    paths = example_paths()
    out = run(
        "portfolio",
        {"as_of": "2022-06-30", "confidence": 0.95, "portfolio_file": str(paths["portfolio"]),
         "policy_file": str(paths["policy"]), "title": "June pack"},
        out=tmp_path / "june.html",
        keep_notebook=tmp_path / "june.ipynb",
        progress=False,
    )  # fmt: skip
    page = out.read_text(encoding="utf-8")
    market = load_sample().truncate("2022-06-30")
    state = example_batch().state
    assert (
        _shown(page, "pl-book-value") == f"Book value ${state.total_value(market.last_prices):,.0f}"
    )
    var = risk.value_at_risk(state.weights(market.last_prices), market.returns.iloc[-252:],
                             confidence=0.95)  # fmt: skip
    assert _shown(page, "pl-var").startswith(f"1-day 95.0% VaR {100 * var:.2f}% (")
    assert "<h1>June pack</h1>" in page
    assert (tmp_path / "june.ipynb").is_file()


def test_parameters_are_checked_before_any_cell_runs(tmp_path):
    with pytest.raises(ValidationError, match="unknown parameter 'confidenc'.*confidence"):
        check_parameters("portfolio", {"confidenc": 0.9})
    with pytest.raises(ValidationError, match="parameter confidence: expected float"):
        check_parameters("portfolio", {"confidence": "high"})
    assert check_parameters("portfolio", {"confidence": 1, "window": 126}) == {
        "confidence": 1.0, "window": 126
    }  # fmt: skip
    with pytest.raises(DataError, match="policy_file: .*missing.yaml: no such file"):
        check_parameters("portfolio", {"policy_file": str(tmp_path / "missing.yaml")})
    for name in ("portfolio", "backtest"):  # an estimator's name is one of its choices
        with pytest.raises(ValidationError, match="return_method: 'median' is not one of mean, "):
            check_parameters(name, {"return_method": "median"})
        with pytest.raises(ValidationError, match="risk_model: 'lw' is not one of sample, "):
            check_parameters(name, {"risk_model": "lw"})
        assert check_parameters(name, {"return_method": "capm", "risk_model": "ewma"})
    with pytest.raises(ValidationError, match="no report template 'portfolo'.*portfolio"):
        find_template("portfolo")
    template = find_template("portfolio").path
    with pytest.raises(ValidationError, match="a report is written as .html or .pdf"):
        run("portfolio", out=template)  # never over the template


@pytest.mark.browser
def test_pdf_has_the_sections_numbers_and_charts(tmp_path):
    from pypdf import PdfReader

    out = run("portfolio", out=tmp_path / "pack.pdf", progress=False)
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    market, state = load_sample(), example_batch().state
    assert f"Book value ${state.total_value(market.last_prices):,.0f}" in text
    # every section starts a page: the title page, then one or more a section
    assert len(reader.pages) >= 1 + len(SECTIONS)
    for section in SECTIONS:
        assert section in text, section
    # the charts were drawn before printing: each figure's canvas is an image with ink on it
    charts = [im.image for page in reader.pages for im in page.images if im.image.size[0] > 200]
    inked = [im for im in charts if im.convert("L").getextrema()[0] < 200]
    assert len(inked) >= FIGURES


def test_a_failing_cell_names_itself_and_keeps_the_partial_notebook(tmp_path):
    with pytest.raises(ReportError, match=r"cell \d+ failed: .*") as caught:
        run("portfolio", {"var_method": "nonsense"}, out=tmp_path / "bad.html", progress=False)
    partial = caught.value.partial
    assert partial == tmp_path / "bad.partial.ipynb" and partial.is_file()
    assert not (tmp_path / "bad.html").exists()


def test_a_failing_cell_at_the_command_line_is_one_line(tmp_path):
    done = _portlab("report", "portfolio", "-p", "var_method", "nonsense", cwd=tmp_path)
    assert done.returncode == 2
    # what is left once the progress bar (redrawn with carriage returns) is taken out: the
    # error alone, nothing from the kernel's own log
    lines = [line.rsplit("\r", 1)[-1] for line in done.stderr.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith("Executing:")]
    assert len(lines) == 1, done.stderr
    assert re.fullmatch(
        r"portlab: error: report portfolio: cell \d+ failed: ValueError: .*", lines[0]
    )
    assert "var_method" in lines[0] and "nonsense" in lines[0]
    assert (tmp_path / "portfolio.partial.ipynb").is_file()


def test_command_line_errors_are_one_line(tmp_path):
    bad_yaml = tmp_path / "params.yaml"
    bad_yaml.write_text("confidence: [0.9\n", encoding="utf-8")
    cases = {
        ("-p", "bogus", "1"): "unknown parameter 'bogus'",
        ("-p", "confidence", "high"): "parameter confidence: expected float",
        ("-p", "policy_file", "nope.yaml"): "policy_file: nope.yaml: no such file",
        ("-f", str(bad_yaml)): "params.yaml:2: not valid YAML",
    }
    for args, message in cases.items():
        done = _portlab("report", "portfolio", *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)


def test_command_line_lists_templates(tmp_path):
    done = _portlab("report", "--list", cwd=tmp_path)
    assert done.returncode == 0
    listed = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert listed == sorted(templates()) and {"backtest", "coordination", "portfolio"} <= set(
        listed
    )
    assert "\nportfolio\n  portfolio_file = None" in done.stdout
    assert "  confidence = 0.99" in done.stdout


@pytest.mark.browser
def test_the_page_draws_offline_in_chromium(default_page, browser):
    context, page, refused, errors = open_offline(browser, default_page, FIGURES)
    figures = page.locator(".bk-Figure")
    assert figures.count() == FIGURES
    assert page.locator(".bk-Figure canvas").count() >= FIGURES
    assert refused == [] and errors == []
    page.screenshot(path=str(Path(__file__).parent / "artifacts" / "report_portfolio.png"))
    # interactive: hovering a chart shows its tooltip (the equity curve's: a date and the
    # value of $1; the correlation heatmap's: two instruments and their correlation)
    shown = {}
    for i in range(FIGURES):
        text = hover_tooltip(page, figures.nth(i))
        if text:
            shown[i] = text
    assert len(shown) >= FIGURES - 2, shown  # a chart may have no glyph under the points tried
    assert any("Value of $1" in t and "Date" in t for t in shown.values()), shown
    assert any("Correlation" in t for t in shown.values()), shown
    context.close()


def test_a_batch_runs_every_valid_set_and_reports_the_others(tmp_path):
    table = run_batch(
        "portfolio",
        [{"title": "one"}, {"as_of": "2022-06-30", "out": "june.html"}, {"confidenc": 0.9}],
        tmp_path,
        workers=2,
    )
    assert table["status"].tolist() == ["ok", "ok", "failed"]
    assert "unknown parameter 'confidenc'" in table.loc[3, "error"]
    june = (tmp_path / "june.html").read_text(encoding="utf-8")
    state, market = example_batch().state, load_sample().truncate("2022-06-30")
    assert (
        _shown(june, "pl-book-value") == f"Book value ${state.total_value(market.last_prices):,.0f}"
    )
    assert "<h1>one</h1>" in (tmp_path / "portfolio-1.html").read_text(encoding="utf-8")
    assert not (tmp_path / "portfolio-3.html").exists()


def test_a_batch_file_must_be_a_list_of_mappings(tmp_path):
    sets = tmp_path / "sets.yaml"
    sets.write_text("confidence: 0.9\n", encoding="utf-8")
    done = _portlab("report", "portfolio", "--batch", str(sets), cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"portlab: error: {sets}: expected a list of mappings of parameters"
    )


def test_the_airflow_dag_passes_the_templates_parameters():
    """docs/scheduling/portfolio_report_dag.py (Airflow is not installed here): its
    PapermillOperator's parameters must be the portfolio template's, of the right types."""
    import ast

    dag = Path(__file__).resolve().parents[1] / "docs" / "scheduling" / "portfolio_report_dag.py"
    tree = ast.parse(dag.read_text(encoding="utf-8"))
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PapermillOperator"
    ]  # fmt: skip
    assert len(calls) == 1
    keywords = {k.arg: k.value for k in calls[0].keywords}
    parameters = ast.literal_eval(keywords["parameters"])
    known = find_template("portfolio").parameters()
    assert set(parameters) <= set(known)
    file_free = {k: v for k, v in parameters.items() if not k.endswith("_file") and k != "market"}
    assert check_parameters("portfolio", file_free) == file_free  # types the template's

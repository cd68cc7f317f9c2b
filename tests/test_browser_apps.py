"""The Panel apps served by ``portlab.apps.serve`` (in this process, as Panel's own UI tests
serve theirs) and used in Chromium as a PM would: what the page shows must equal what
``portlab.analytics`` and ``portlab.Coordinator`` compute directly on the same inputs.

Screenshots go to ``tests/artifacts/`` (the README shows copies from ``docs/images/``).
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl, urlparse

import pandas as pd
import pytest

pytest.importorskip("playwright")

from _jupyterlab import ARTIFACTS, CHROMIUM
from _panel_server import DEEP_TEXT_SETTLED, in_process

if not CHROMIUM.exists():
    pytest.skip("no Chromium at /usr/bin/chromium", allow_module_level=True)

from portlab.analytics import risk
from portlab.apps import App
from portlab.ui import sample_inputs

pytestmark = pytest.mark.browser

#: console messages that are not errors of the apps
IGNORED_CONSOLE = ("[bokeh", "Websocket connection")


@pytest.fixture(scope="module")
def inputs():
    return sample_inputs()


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    """A decision journal of two runs (the example batch at two dates): the dashboard shows
    its latest decisions up to the as-of date."""
    from portlab import Coordinator
    from portlab.datasets import example_batch, load_sample
    from portlab.journal import Journal

    path = tmp_path_factory.mktemp("journal") / "decisions.db"
    batch = example_batch()
    with Journal(path) as j:
        runs = [
            Coordinator().coordinate(batch.signals, batch.state, load_sample().truncate(day),
                                     journal=j, as_of=day)
            for day in ("2022-03-31", "2022-09-30")
        ]  # fmt: skip
    return path, runs


@pytest.fixture(scope="module")
def served(inputs, journal):
    with in_process(market=inputs.market, state=inputs.state, journal=journal[0]) as s:
        yield s


@pytest.fixture
def new_page(browser):
    """``new_page()``: a page in a fresh browser context (its own server session); console
    errors and failed requests are collected in ``page.problems``."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.problems = []
        page.on(
            "console",
            lambda m: (
                page.problems.append(m.text)
                if m.type == "error" and not m.text.startswith(IGNORED_CONSOLE)
                else None
            ),
        )
        page.on("requestfailed", lambda r: page.problems.append(f"request failed: {r.url}"))
        return page

    yield make
    for context in contexts:
        context.close()


def _money(x: float) -> str:
    return f"${x:,.0f}" if x >= 0 else f"\u2212${-x:,.0f}"


def _open_dashboard(page, served, query: str = "") -> None:
    page.goto(served.urls[App.DASHBOARD] + query)
    _wait_dashboard(page)


def _wait_dashboard(page) -> None:
    """Until the dashboard's page is up and its documents idle."""
    page.locator(".pl-book-value").wait_for()
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length && Bokeh.documents.every((d) => d.is_idle)"
    )


def _wait_text(page, selector: str, text: str, timeout: float = 30.0) -> None:
    """Until the element ``selector`` (found through shadow roots) shows ``text``."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).inner_text().strip() != text:
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector}: {page.locator(selector).inner_text()!r} != {text!r}")
        page.wait_for_timeout(50)


def _book_value(page) -> str:
    return page.locator(".pl-book-value").inner_text().strip()


def _pick_date(page, day: pd.Timestamp) -> None:
    """Pick ``day`` in the as-of date picker's calendar, as a person does."""
    page.locator(".pl-asof input:visible").first.click()
    calendar = page.locator(".flatpickr-calendar.open")
    calendar.locator("select.flatpickr-monthDropdown-months").select_option(index=day.month - 1)
    year = calendar.locator("input.cur-year")
    year.fill(str(day.year))
    year.press("Enter")
    label = f"{day:%B} {day.day}, {day.year}"
    calendar.locator(f'.flatpickr-day[aria-label="{label}"]').click()


def test_dashboard_shows_the_books_value_largest_position_and_var(
    served, inputs, journal, new_page
):
    page = new_page()
    _open_dashboard(page, served)
    market, state = inputs.market, inputs.state
    prices = market.last_prices
    weights = state.weights(prices)
    assert _book_value(page) == _money(state.total_value(prices))
    assert page.locator(".pl-largest-position").inner_text().strip() == weights.abs().idxmax()
    var = risk.value_at_risk(weights, market.returns.iloc[-252:], confidence=0.99)
    shown = page.locator(".pl-var").inner_text().strip()
    assert shown.startswith(f"{100 * var:.2f}%"), shown
    nav = state.total_value(prices)
    assert shown.endswith(f"({_money(var * nav)})"), shown
    # the journal's latest decisions under the positions: the later run's, up to its 20 rows
    recent = page.locator(".pl-journal table").first  # (in the section's shadow roots)
    recent.scroll_into_view_if_needed()
    text = recent.inner_text()
    later = journal[1][-1]
    assert later.run_id in text and later.decisions["instrument_id"].iloc[-1] in text
    page.screenshot(path=str(ARTIFACTS / "dashboard_book.png"))
    assert page.problems == []


def test_moving_the_as_of_date_revalues_the_book(served, inputs, new_page):
    page = new_page()
    _open_dashboard(page, served)
    day = pd.Timestamp("2022-06-15")
    _pick_date(page, day)
    expected = _money(inputs.state.total_value(inputs.market.truncate(day).last_prices))
    _wait_text(page, ".pl-book-value", expected)
    assert _book_value(page) == expected
    # the view is bookmarkable: the page puts the date in its URL (just after the values)
    page.wait_for_function("() => window.location.search.includes('as_of=2022-06-15')")
    page.goto(page.url)  # ... and the bookmark restores it
    page.locator(".pl-book-value").wait_for()
    _wait_text(page, ".pl-book-value", expected)
    assert page.problems == []


#: Bokeh figures each section draws (the exposures chart is a grid of four; the rolling
#: metrics, three)
FIGURES = {"Limits": 4, "Risk": 2, "Stress": 0, "Performance": 6, "Attribution": 3,
           "Rebalancing": 0, "Tax": 0}  # fmt: skip


@pytest.mark.parametrize("tab", FIGURES)
def test_every_dashboard_section_draws(served, new_page, tab):
    page = new_page()
    _open_dashboard(page, served)
    page.locator(".bk-tab", has_text=tab).click()
    # a section arrives from the server when its tab is first opened: wait until its text
    # (shadow roots included) is there and settled, and every figure is drawn
    page.wait_for_function(DEEP_TEXT_SETTLED, arg=f"pl-section-{tab.lower()}", polling=100)
    text = page.locator("body").inner_text()
    assert not re.search(r"Traceback|could not be computed|Error:", text), text[:2000]
    # the charts arrive as Bokeh JSON and are drawn by the page: each figure on its canvas
    section = page.locator(f".pl-section-{tab.lower()}")
    assert section.locator(".bk-Figure").count() == FIGURES[tab]
    assert section.locator(".bk-Figure canvas").count() >= FIGURES[tab]
    page.screenshot(path=str(ARTIFACTS / f"dashboard_{tab.lower()}.png"))
    assert page.problems == []


def _luminance(css_rgb: str) -> float:
    """Relative luminance in [0, 1] of a CSS ``rgb(r, g, b)`` or ``#rrggbb`` colour."""
    if css_rgb.startswith("#"):
        r, g, b = (int(css_rgb[i : i + 2], 16) for i in (1, 3, 5))
    else:
        r, g, b = (int(x) for x in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


#: the background colours of the page's Bokeh figures (plots with a toolbar)
FIGURE_GROUNDS = """() => [...Bokeh.documents].flatMap((d) => [...d._all_models.values()])
    .filter((m) => m.background_fill_color !== undefined && m.toolbar !== undefined)
    .map((m) => m.background_fill_color)"""


def test_the_theme_toggle_darkens_the_page_and_its_charts_and_keeps_the_view(
    served, inputs, new_page
):
    page = new_page()
    _open_dashboard(page, served, "?as_of=2022-06-15")
    expected = _money(inputs.state.total_value(inputs.market.truncate("2022-06-15").last_prices))
    _wait_text(page, ".pl-book-value", expected)
    assert _luminance(page.evaluate("() => getComputedStyle(document.body).backgroundColor")) > 0.9
    page.locator("#theme-switch").click()  # the template's light/dark switch reloads the page
    page.wait_for_function("() => location.search.includes('theme=dark')")
    _wait_dashboard(page)
    assert "as_of=2022-06-15" in page.url
    _wait_text(page, ".pl-book-value", expected)
    assert _luminance(page.evaluate("() => getComputedStyle(document.body).backgroundColor")) < 0.2
    page.locator(".bk-tab", has_text="Limits").click()
    page.wait_for_function(DEEP_TEXT_SETTLED, arg="pl-section-limits", polling=100)
    page.wait_for_function(f"() => ({FIGURE_GROUNDS})().length >= {FIGURES['Limits']}")
    grounds = page.evaluate(FIGURE_GROUNDS)
    assert all(_luminance(g) < 0.2 for g in grounds), grounds  # the charts are dark too
    page.screenshot(path=str(ARTIFACTS / "dashboard_dark.png"))
    assert page.problems == []


# -- the coordination console ------------------------------------------------------------------


def _open_console(page, served) -> None:
    page.goto(served.urls[App.CONSOLE])
    page.locator(".pl-decisions .tabulator-row").first.wait_for()


def _upload_signals(page, path) -> None:
    page.locator(".pl-signals-upload input[type=file]").set_input_files(str(path))


def _move_max_position(page, steps: int) -> float:
    """Move the max-position slider ``steps`` steps with the keyboard (negative: left), as a
    person does after clicking its handle; returns the value the page put in its URL."""
    before = page.url
    page.locator(".pl-max-position .noUi-handle").focus()
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowLeft" if steps < 0 else "ArrowRight")
    page.wait_for_function("(u) => window.location.href !== u", arg=before)
    query = dict(parse_qsl(urlparse(page.url).query))
    return float(query["max_position_size"])


def _decisions_shown(page) -> list[tuple[str, str, int]]:
    """(instrument, action, shares) of each decision in the page's table."""
    rows = page.locator(".pl-decisions .tabulator-row")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)

        def cell(field: str, row=row) -> str:
            return row.locator(f".tabulator-cell[tabulator-field={field}]").inner_text().strip()

        out.append(
            (cell("instrument_id"), cell("action"), int(cell("share_quantity").replace(",", "")))
        )
    return sorted(out)


def _engine_decisions(inputs, signals_path, max_position: float) -> list[tuple[str, str, int]]:
    from portlab import Coordinator, Policy
    from portlab.events import TradingSignalEvent, read_jsonl

    signals = read_jsonl(signals_path, TradingSignalEvent).events
    result = Coordinator(policy=Policy(max_position_size=max_position)).coordinate(
        signals, inputs.state, inputs.market
    )
    d = result.decisions
    return sorted(
        zip(d["instrument_id"], d["action"], (int(q) for q in d["share_quantity"]), strict=True)
    )


#: the state of each Tabulator view of the page (Panel drops data that arrives while a
#: table is building: if a table stays stale, this says whether that is why)
TABULATOR_STATES = """() => {
    const found = [];
    const walk = (view) => {
        if (view.tabulator !== undefined) {
            found.push({css: view.model.css_classes, building: view._building,
                        initializing: view._initializing,
                        initialized: view.tabulator?.initialized ?? null,
                        rows: view.model.source.get_length()});
        }
        for (const child of view.child_views ?? []) walk(child);
    };
    for (const root of Object.values(Bokeh.index)) walk(root);
    return found;
}"""


def _wait_decisions(page, expected, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _decisions_shown(page) != expected:
        if time.monotonic() > deadline:
            shown = _decisions_shown(page)
            if shown != expected:  # what the page holds, for the failure's report
                print("tabulators:", page.evaluate(TABULATOR_STATES))
                print("headline:", page.locator(".pl-headline").inner_text())
                print("status:", page.locator(".pl-run-status").inner_text())
            assert shown == expected
        page.wait_for_timeout(100)


def test_console_uploads_tunes_runs_and_downloads_the_engines_decisions(
    served, inputs, new_page, tmp_path
):
    from portlab.datasets import example_paths
    from portlab.events import CoordinatedTradingDecisionEvent, read_jsonl

    page = new_page()
    _open_console(page, served)
    signals = example_paths()["signals"]
    _upload_signals(page, signals)
    page.locator(".pl-upload-errors .pl-upload-status", has_text="14 signals loaded").wait_for()
    value = _move_max_position(page, -2)
    assert value < 0.05  # the default is 5%
    page.locator(".pl-run button").click()
    page.locator(".pl-run-status", has_text="Coordination ran").wait_for()
    expected = _engine_decisions(inputs, signals, value)
    assert expected != _engine_decisions(inputs, signals, 0.05)  # the slider matters here
    _wait_decisions(page, expected)
    with page.expect_download() as download:
        page.locator(".pl-download-decisions button").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    batch = read_jsonl(saved, CoordinatedTradingDecisionEvent)
    assert batch.errors == []
    got = sorted(
        (e.decision.instrument_id, str(e.decision.action), e.decision.share_quantity)
        for e in batch.events
    )
    assert got == expected
    page.screenshot(path=str(ARTIFACTS / "console.png"))
    assert page.problems == []


def test_console_sizing_method_picked_gives_the_engines_decisions(served, inputs, new_page):
    """The sizing-method list of the console's sidebar: "Fixed fractional" picked as a person
    does, the decisions table becomes the engine's under that method."""
    from portlab import Coordinator

    def engine(method: str) -> list[tuple[str, str, int]]:
        d = (
            Coordinator(sizing={"method": method})
            .coordinate(inputs.signals, inputs.state, inputs.market, inputs.rebalance_requests)
            .decisions
        )
        shares = (int(q) for q in d["share_quantity"])
        return sorted(zip(d["instrument_id"], d["action"], shares, strict=True))

    page = new_page()
    _open_console(page, served)
    _wait_decisions(page, engine("KELLY"))
    expected = engine("FIXED_FRACTIONAL")
    assert expected != engine("KELLY")  # the method matters on the example batch
    page.locator(".pl-sizing-method select").select_option(label="Fixed fractional")
    # the table redraws with fewer rows: read it once it has as many as the engine's
    rows = page.locator(".pl-decisions .tabulator-row")  # (through Panel's shadow roots)
    deadline = time.monotonic() + 30
    while rows.count() != len(expected) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    _wait_decisions(page, expected)
    page.locator(".pl-sizing-method").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "console_sizing_method.png"))
    assert page.problems == []


def _table_cells(page, css: str, fields: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The text of ``fields`` in each row of the Tabulator table with class ``css``, sorted."""
    rows = page.locator(f".{css} .tabulator-row")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        out.append(tuple(
            row.locator(f".tabulator-cell[tabulator-field={f}]").inner_text().strip()
            for f in fields
        ))  # fmt: skip
    return sorted(out)


def _wait_cells(page, css: str, fields: tuple[str, ...], expected, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _table_cells(page, css, fields) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _table_cells(page, css, fields) == expected


def test_console_order_type_picked_gives_the_engines_limit_orders(served, inputs, new_page):
    """The execution rules in the console's sidebar: "LIMIT" picked as a person does, every
    decision in the table becomes a LIMIT order at the engine's limit price."""
    from portlab import Coordinator

    page = new_page()
    _open_console(page, served)
    d = (
        Coordinator(execution={"default_order_type": "LIMIT"})
        .coordinate(inputs.signals, inputs.state, inputs.market, inputs.rebalance_requests)
        .decisions
    )
    expected = sorted(
        (iid, "LIMIT", f"${p:,.2f}")
        for iid, p in zip(d["instrument_id"], d["limit_price"], strict=True)
    )
    page.locator(".pl-order-type select").select_option(label="LIMIT")
    _wait_cells(page, "pl-decisions", ("instrument_id", "order_type", "limit_price"), expected)
    page.locator(".pl-order-type").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "console_order_type.png"))
    assert page.problems == []


def test_console_adaptation_learns_from_the_served_journal(served, inputs, journal, new_page):
    """The console served with a journal: "learn from outcomes" ticked as a person does, the
    adaptation table lists each strategy's realized outcomes and calibration as the engine's
    learning gives them from that journal."""
    from portlab import Coordinator
    from portlab.engine import AdaptiveConfig
    from portlab.engine.learning import learn
    from portlab.engine.realized import journal_outcomes
    from portlab.journal import Journal

    close = inputs.market.dates[-1].tz_localize("UTC")
    with Journal(journal[0]) as j:
        found = journal_outcomes(j, inputs.market, as_of=close)
    state = learn(found, AdaptiveConfig(), stated=Coordinator().strategies, as_of=close)
    expected = sorted(
        (name, f"{int(row.n_outcomes)}", f"{row.calibration:.3f}")
        for name, row in state.table().iterrows()
    )
    assert expected  # the journal's decisions have realized outcomes by the close

    page = new_page()
    _open_console(page, served)
    page.locator(".pl-adaptive input[type=checkbox]").check()
    _wait_cells(page, "pl-adaptation", ("strategy_id", "n_outcomes", "calibration"), expected)
    page.locator(".pl-adaptation").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "console_adaptation.png"))
    assert page.problems == []


def test_console_upload_with_a_malformed_line_reports_it_and_coordinates_the_rest(
    served, inputs, new_page, tmp_path
):
    from portlab.datasets import example_paths

    lines = example_paths()["signals"].read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[2])
    bad["signal"]["confidence"] = 7  # not a probability
    lines[2] = json.dumps(bad)
    upload = tmp_path / "bad_signals.jsonl"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good = tmp_path / "good_signals.jsonl"
    good.write_text("\n".join(lines[:2] + lines[3:]) + "\n", encoding="utf-8")

    page = new_page()
    _open_console(page, served)
    _upload_signals(page, upload)
    error = page.locator(".pl-upload-errors li").first
    error.wait_for()
    assert error.inner_text().startswith("bad_signals.jsonl:3: ")
    assert "confidence" in error.inner_text()
    assert page.locator(".pl-upload-errors li").count() == 1
    _wait_decisions(page, _engine_decisions(inputs, good, 0.05))
    # the rejections download ends with the invalid line
    with page.expect_download() as download:
        page.locator(".pl-download-rejections button").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    rows = pd.read_csv(saved, keep_default_na=False)
    last = rows.iloc[-1]
    assert (last["source"], last["id"], last["reason"]) == (
        "UPLOAD",
        "bad_signals.jsonl:3",
        "INVALID",
    )
    assert last["field"] == "signal.confidence"
    assert page.problems == []


def test_two_sessions_keep_their_own_policy(served, inputs, new_page):
    from portlab.datasets import example_paths

    signals = example_paths()["signals"]
    first, second = new_page(), new_page()
    for page in (first, second):
        _open_console(page, served)
        _upload_signals(page, signals)
        page.locator(".pl-upload-errors .pl-upload-status", has_text="14 signals loaded").wait_for()
    low = _move_max_position(first, -3)
    high = _move_max_position(second, +2)
    assert low < 0.05 < high
    _wait_decisions(first, _engine_decisions(inputs, signals, low))
    _wait_decisions(second, _engine_decisions(inputs, signals, high))
    first.reload()  # the first session's policy is in its own URL, not in the second's
    first.locator(".pl-decisions .tabulator-row").first.wait_for()
    assert f"max_position_size={low}" in first.url and str(low) not in second.url
    assert first.problems == [] and second.problems == []

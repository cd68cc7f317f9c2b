"""The allocation editor's ES module in a real browser (Chromium through Playwright).

The module is rendered in a static page with a small fake ``model`` implementing the part of
anywidget's model API the module uses (``get``/``set``/``on``/``off``/``save_changes``),
filled with the traits of a real :class:`AllocationEditor` on the bundled sample: no Jupyter
server is needed. A bar is dragged past the position cap with the mouse; it must turn red
while the button is still down, and the release must hand the new weight to the model with
``save_changes``. Those weights are then given to the Python widget, whose decisions must
equal a direct ``Coordinator`` call, and shown in the page for the screenshot
``tests/artifacts/allocation_editor.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("playwright")
pytest.importorskip("anywidget")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no Chromium at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

import portlab  # noqa: E402
from portlab.plots.palette import Palette  # noqa: E402
from portlab.widgets.allocation_editor import (  # noqa: E402
    ASSET_NAMES,
    AllocationEditor,
    asset_path,
    target_request,
)

try:  # deselect with -m "not browser"
    pytestmark = pytest.mark.browser
except pytest.fail.Exception:  # marker not yet registered in pyproject.toml (--strict-markers)
    pytestmark = []

ARTIFACTS = Path(__file__).parent / "artifacts"
SYNCED = (
    "instruments",
    "target_weights",
    "limits",
    "colors",
    "decisions",
    "rejections",
    "summary",
    "error",
    "busy",
)

# A fake anywidget model: the page's state, listeners per "change:<name>", and a record of
# what each save_changes() sent (a copy of target_weights).
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>%(css)s</style>
<style>body { margin: 16px; background: #fff; }</style></head>
<body><div id="root"></div></body></html>"""

MOUNT = """async ([source, state]) => {
  const listeners = {};
  const model = {
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); },
    on: (name, f) => { (listeners[name] = listeners[name] || []).push(f); },
    off: (name, f) => { listeners[name] = (listeners[name] || []).filter((g) => g !== f); },
    save_changes: () => { window.saved.push(JSON.parse(JSON.stringify(state.target_weights))); },
  };
  window.saved = [];
  window.model = model;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const widget = (await import(url)).default;
  widget.render({ model, el: document.getElementById("root") });
}"""


def bar_state(page, iid: str) -> dict[str, str]:
    return page.evaluate(
        """(iid) => { const b = document.querySelector(`rect.pa-bar[data-id="${iid}"]`);
        return { status: b.dataset.status, fill: b.getAttribute("fill") }; }""",
        iid,
    )


def test_drag_past_the_cap_turns_red_and_release_saves_the_weight():
    editor = AllocationEditor()
    iid = "LLY"  # not held: its bar starts at 0
    assert editor.current[iid] == 0.0
    cap = editor.coordinator.policy.max_position_size.limit
    state = {name: getattr(editor, name) for name in SYNCED}
    source = asset_path(ASSET_NAMES[0]).read_text(encoding="utf-8")
    css = asset_path(ASSET_NAMES[1]).read_text(encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.set_content(PAGE % {"css": css})
            page.evaluate(MOUNT, [source, json.loads(json.dumps(state))])

            row = page.locator(f'g.pa-row[data-id="{iid}"] rect.pa-hit').bounding_box()
            cap_x = page.locator("line.pa-cap").first.bounding_box()["x"]
            y = row["y"] + row["height"] / 2
            zero_x = page.locator("line.pa-zero").bounding_box()["x"]

            # press inside the cap: the bar is not red
            page.mouse.move(zero_x + 0.4 * (cap_x - zero_x), y)
            page.mouse.down()
            page.wait_for_timeout(50)
            inside = bar_state(page, iid)
            assert inside["status"] == "within"
            assert inside["fill"] == Palette.NEUTRAL
            # drag past the cap, button still down: red, and nothing sent yet
            page.mouse.move(cap_x + 60, y, steps=12)
            page.wait_for_timeout(50)
            dragging = bar_state(page, iid)
            assert dragging["status"] == "over-hard"
            assert dragging["fill"] == Palette.RED
            assert page.evaluate("window.saved.length") == 0
            page.mouse.up()

            saved = page.evaluate("window.saved")
            assert len(saved) == 1
            weight = saved[0][iid]
            assert weight > cap
            # only the dragged bar moved
            others = {k: v for k, v in saved[0].items() if k != iid}
            assert others == {k: v for k, v in editor.target_weights.items() if k != iid}

            # Python receives the weights (as anywidget's comm would deliver them)
            editor.target_weights = saved[0]
            request = target_request(saved[0], editor.current, timestamp=editor.market.dates[-1])
            direct = portlab.Coordinator().coordinate(None, editor.state, editor.market, [request])
            assert editor.result.decisions["instrument_id"].tolist() == [iid]
            assert editor.result.decisions["share_quantity"].tolist() == (
                direct.decisions["share_quantity"].tolist()
            )
            assert any(b.rule == "position" and b.where == iid for b in editor.breaches)

            # the engine's answer shown beside the bars
            for name in ("decisions", "rejections", "summary"):
                page.evaluate("([k, v]) => window.model.set(k, v)", [name, getattr(editor, name)])
            shown = page.locator("table.pa-decisions tbody tr").first.inner_text()
            assert iid in shown and "BUY" in shown
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280
            page.screenshot(path=str(ARTIFACTS / "allocation_editor.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()

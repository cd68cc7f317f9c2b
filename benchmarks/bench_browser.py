"""The workbench in Chromium: what a person waits for (issue 10's browser budgets).

1. Policy tuner in a real JupyterLab (``portlab lab``, as the browser tests start it): the
   max-position slider is dragged with the mouse to 4.0%, then 5.0%, then 4.0%...; measured
   from releasing the button to the decisions table in the page showing the new decisions
   (the kernel recomputes, the widget's HTML reaches the page). Budget: median ≤ 500 ms.
2. Allocation editor with 500 bars (a synthetic 500-instrument market), its ES module in a
   page with a stand-in for anywidget's model: a bar is dragged back and forth for about two
   seconds; frames drawn per second while dragging (``requestAnimationFrame`` callbacks, the
   module redraws in them) and the longest gap between two frames. Budget: ≥ 30 fps.

Needs Debian's Chromium at /usr/bin/chromium and the test extras.

Run:  python benchmarks/bench_browser.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from playwright.sync_api import sync_playwright

import portlab
from _jupyterlab import CHROMIUM, CHROMIUM_ARGS, LabPage, LabServer
from bench_engine import portfolio
from portlab.datasets import synthetic
from portlab.widgets.allocation_editor import ASSET_NAMES, AllocationEditor, asset_path

TABLE_BUDGET_MS = 500.0
FPS_BUDGET = 30.0

READ_DECISIONS = """() => {
  const head = Array.from(document.querySelectorAll('.jp-OutputArea-output div'))
    .find((d) => d.textContent.trim() === 'Decisions' && d.children.length === 0);
  let node = head && head.nextElementSibling;
  while (node && node.tagName !== 'TABLE') node = node.nextElementSibling;
  return node ? node.querySelector('tbody').textContent : '';
}"""

# the editor in a plain page: anywidget's model API over a plain object
EDITOR_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>%(css)s</style>
</head><body style="margin:16px"><div id="root"></div></body></html>"""
MOUNT = """async ([source, state]) => {
  const listeners = {};
  const model = {
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); },
    on: (n, f) => { (listeners[n] = listeners[n] || []).push(f); },
    off: (n, f) => { listeners[n] = (listeners[n] || []).filter((g) => g !== f); },
    save_changes: () => {},
  };
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  (await import(url)).default.render({ model, el: document.getElementById("root") });
}"""
COUNT_FRAMES = """() => { window.frames_at = [];
  const tick = (t) => { window.frames_at.push(t); if (!window.stop_frames) requestAnimationFrame(tick); };
  window.stop_frames = false; requestAnimationFrame(tick); }"""


def slider_latency(browser, repeat: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        server = LabServer(Path(tmp))
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            lab = LabPage(page, server, "02_policy_tuning.ipynb")
            lab.open()
            lab.run_all()
            slider = page.locator(".widget-slider", has_text="Max position").first
            slider.scroll_into_view_if_needed()
            for k in range(repeat + 1):
                goal = 0.04 if k % 2 == 0 else 0.05
                track = slider.locator(".noUi-target").bounding_box()
                handle = slider.locator(".noUi-handle").bounding_box()
                y = handle["y"] + handle["height"] / 2
                before = page.evaluate(READ_DECISIONS)
                page.mouse.move(handle["x"] + handle["width"] / 2, y)
                page.mouse.down()
                page.mouse.move(track["x"] + track["width"] * goal / 0.25, y, steps=5)
                t = time.perf_counter()
                page.mouse.up()
                page.wait_for_function(
                    f"(before) => ({READ_DECISIONS})() !== before", arg=before, timeout=30_000
                )
                if k > 0:  # the first release also warms the kernel's caches
                    times.append(1e3 * (time.perf_counter() - t))
                lab.wait_kernel_idle()
            lab.command("kernelmenu:shutdown")
        finally:
            server.stop()
    return times


def editor_fps(browser, n: int, seconds: float = 2.0) -> tuple[float, float, int]:
    market = synthetic(n_instruments=n, n_days=300, n_sectors=11, seed=1)
    state = portfolio(market, 60, seed=2)  # as bench_engine's and bench_ui's
    editor = AllocationEditor(market=market, state=state)
    # the widget's synced traits, as anywidget's model holds them in the page
    synced = {k: v for k, v in editor.get_state().items() if not k.startswith("_")}
    model_state = json.loads(json.dumps(synced, default=str))
    source = asset_path(ASSET_NAMES[0]).read_text(encoding="utf-8")
    css = asset_path(ASSET_NAMES[1]).read_text(encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_content(EDITOR_PAGE % {"css": css})
    page.evaluate(MOUNT, [source, model_state])
    bars = page.locator("rect.pa-bar").count()
    row = page.locator("g.pa-row rect.pa-hit").first.bounding_box()
    zero_x = page.locator("line.pa-zero").bounding_box()["x"]
    cap_x = page.locator("line.pa-cap").first.bounding_box()["x"]
    y = row["y"] + row["height"] / 2
    page.mouse.move(zero_x + 5, y)
    page.mouse.down()
    page.evaluate(COUNT_FRAMES)
    t = time.perf_counter()
    k = 0
    while time.perf_counter() - t < seconds:
        frac = (k % 40) / 40
        page.mouse.move(zero_x + 5 + frac * (cap_x + 80 - zero_x), y)
        k += 1
    page.evaluate("window.stop_frames = true")
    page.mouse.up()
    stamps = np.array(page.evaluate("window.frames_at"))
    page.close()
    elapsed = (stamps[-1] - stamps[0]) / 1e3
    return (len(stamps) - 1) / elapsed, float(np.diff(stamps).max()), bars


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--bars", type=int, default=500)
    args = ap.parse_args()
    if not CHROMIUM.exists():
        sys.exit("bench_browser: no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            fps, gap, bars = editor_fps(browser, args.bars)
            times = slider_latency(browser, args.repeat)
        finally:
            browser.close()
    med, p90 = float(np.median(times)), float(np.percentile(times, 90))
    print(f"portlab {portlab.__version__}, Chromium headless, JupyterLab (portlab lab)\n")
    print(
        f"policy tuner: slider release -> decisions table in the page: median {med:.0f} ms, "
        f"p90 {p90:.0f} ms over {len(times)} releases (budget {TABLE_BUDGET_MS:.0f} ms): "
        f"{'ok' if med <= TABLE_BUDGET_MS else 'OVER'}"
    )
    print(
        f"allocation editor, {bars} bars: {fps:.0f} frames/s while dragging, longest frame "
        f"gap {gap:.0f} ms (budget {FPS_BUDGET:.0f} fps): {'ok' if fps >= FPS_BUDGET else 'OVER'}"
    )


if __name__ == "__main__":
    main()

"""A report's page opened from disk in Chromium with every network request refused, and the
tooltip a chart shows under the mouse (shared by the report test modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_offline(browser: Any, page_file: Path, figures: int) -> tuple[Any, Any, list, list]:
    """``(context, page, refused, errors)`` once ``figures`` Bokeh figures are drawn: the
    requests refused (any not to a ``file:`` URL) and the console errors so far."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    refused: list[str] = []

    def only_local(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.locator(".bk-Figure").nth(figures - 1).wait_for(timeout=30_000)
    return context, page, refused, errors


def hover_tooltip(page: Any, figure: Any) -> str:
    """The text of the tooltip the mouse shows over ``figure``'s plot (tried at points of a
    grid, centre first), or ''."""
    figure.scroll_into_view_if_needed()
    box = figure.locator("canvas").first.bounding_box()
    for fy in (0.5, 0.3, 0.7, 0.4, 0.6):
        for fx in (0.5, 0.3, 0.7, 0.4, 0.6, 0.2, 0.8, 0.07, 0.93):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(80)
            tip = page.locator(".bk-Tooltip").filter(visible=True)
            if tip.count():  # its rows are in its shadow root, after a <style>
                return tip.first.evaluate(
                    "e => [...(e.shadowRoot || e).children]"
                    ".filter(c => c.tagName !== 'STYLE').map(c => c.innerText).join(' ')"
                )
    return ""


def point_with_tooltip(
    page: Any, figure: Any, text: str, steps: tuple[int, int] = (16, 9)
) -> tuple[float, float]:
    """Where on ``figure`` the mouse shows a tooltip containing ``text`` (found as a person
    finds a heatmap's cell: by pointing at it), on a grid of ``steps`` points across and down.

    Raises
    ------
    AssertionError
        No point shows it.
    """
    figure.scroll_into_view_if_needed()
    box = figure.locator("canvas").first.bounding_box()
    across, down = steps
    for j in range(down):
        for i in range(across):
            x = box["x"] + box["width"] * (0.05 + 0.75 * i / (across - 1))
            y = box["y"] + box["height"] * (0.1 + 0.8 * j / (down - 1))
            page.mouse.move(x, y)
            page.wait_for_timeout(40)
            tip = page.locator(".bk-Tooltip").filter(visible=True)
            if tip.count() and text in tip.first.evaluate("e => (e.shadowRoot || e).textContent"):
                return x, y
    raise AssertionError(f"no point of the chart shows a tooltip with {text!r}")

"""Fixtures shared by the browser test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (one per test module; no browser download)."""
    from playwright.sync_api import sync_playwright

    from _jupyterlab import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

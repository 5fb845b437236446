"""Debian's Chromium driven by Playwright, for the browser tests (tests/browser) and the end-to-end
flow in a real browser (tests/e2e). Playwright never downloads a browser here."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "results" / "screenshots"


@contextmanager
def chromium():
    """One headless Chromium; fails the test run with the install command when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests use Debian's Chromium. Install it with "
                    "`apt-get install -y chromium fonts-wqy-microhei` (.ci/run does); never `playwright install`.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()

"""Whether this machine has the Chromium and chromedriver the browser tests drive (Debian's packages)."""

from __future__ import annotations

import shutil

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
SKIP_REASON = "no Chromium here: browser tests skipped (apt-get install chromium chromium-driver runs them)"


def report_header() -> str:
    """The line at the top of a test run saying whether the browser tests will run."""
    if CHROMIUM and CHROMEDRIVER:
        return f"browser tests: {CHROMIUM} with {CHROMEDRIVER}; screenshots in .data/test/browser/"
    return f"browser tests: SKIPPED, {SKIP_REASON}"

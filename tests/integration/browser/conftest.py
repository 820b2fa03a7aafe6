"""A real headless Chromium to drive the console (the `console` fixture is in tests/integration/conftest.py).

The browser tests need Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Where either is
missing they are skipped, and the session's header and summary say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser.chromium import CHROMEDRIVER, CHROMIUM, SKIP_REASON
from tests.integration.conftest import DATA

SHOTS = DATA / "browser"
# The visible form fields of the page that no <label> names (nor aria-label): every field must have one.
UNLABELLED = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML.slice(0, 120));
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip every browser test, with the reason, when there is no Chromium."""
    if CHROMIUM and CHROMEDRIVER:
        return
    for item in items:
        if "/browser/" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


class Shots:
    """Numbered screenshots of one test, under `.data/test/browser/<test>/`."""

    def __init__(self, driver: object, folder: Path) -> None:
        self.driver, self.folder, self.count = driver, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, name: str) -> Path:
        """Save the page as it is now, after checking that each of its form fields has a label."""
        unlabelled = self.driver.execute_script(UNLABELLED)  # type: ignore[attr-defined]
        assert not unlabelled, f"{name}: form fields without a label: {unlabelled}"
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))  # type: ignore[attr-defined]
        return path

    def whole_page(self, name: str) -> Path:
        """Save the whole page, below the fold too (the window grows to the page's height, then goes back)."""
        driver: Any = self.driver
        width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
        driver.set_window_size(
            width, max(height, driver.execute_script("return document.documentElement.scrollHeight") + 140)
        )
        try:
            return self(name)
        finally:
            driver.set_window_size(width, height)


def new_driver(width: int = 1366, height: int = 768) -> object:
    """A headless Chromium at the given window size, driven through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    return driver


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[tuple[object, Shots]]:
    """A fresh browser (no cookies) for one test, and its screenshot taker."""
    driver = new_driver()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        yield driver, Shots(driver, SHOTS / name)
    finally:
        driver.quit()  # type: ignore[attr-defined]

"""The console as a real process in front of the four real services, and a real headless Chromium to drive it.

The browser tests need Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Where either is
missing they are skipped, and the session's header and summary say so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import CONSOLE, SERVICES

from tests.integration.browser.chromium import CHROMEDRIVER, CHROMIUM, SKIP_REASON
from tests.integration.conftest import DATA, Stack

SHOTS = DATA / "browser"
PASSWORD = "正确的马电池订书钉-2026"  # every test user's password: long enough, and not ASCII-only


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip every browser test, with the reason, when there is no Chromium."""
    if CHROMIUM and CHROMEDRIVER:
        return
    for item in items:
        if "/browser/" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
async def console(stack: Stack, services: dict[str, ServiceProcess]) -> AsyncIterator[ServiceProcess]:
    """The console process, calling the four services where the test session runs them."""
    await migrate_async(CONSOLE, stack.database_url)
    env = dict(stack.env)
    for spec in SERVICES:
        env[f"BAOXUE_CONSOLE_{spec.package.upper()}_URL"] = services[spec.name].url
    proc = ServiceProcess(CONSOLE.name, free_port(), env, DATA / "logs" / "console.log").start()
    try:
        await proc.wait_healthy()
        yield proc
    finally:
        proc.stop()


def add_user(stack: Stack, username: str, name: str, role: str, scope: str, password: str = PASSWORD) -> str:
    """Create a console account with the operator's command (`baoxue user add --password-stdin`)."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "user", "add", username, "--name", name, "--role", role]
    done = subprocess.run(
        [*command, "--scope", scope, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return username


class Shots:
    """Numbered screenshots of one test, under `.data/test/browser/<test>/`."""

    def __init__(self, driver: object, folder: Path) -> None:
        self.driver, self.folder, self.count = driver, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, name: str) -> Path:
        """Save the page as it is now."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))  # type: ignore[attr-defined]
        return path


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

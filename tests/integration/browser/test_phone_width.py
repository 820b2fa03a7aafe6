"""At a phone's width (390×844) the console signs a caseworker in and their home page fits: no sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from baoxue_common.devstack import ServiceProcess

from tests.integration.browser.conftest import SHOTS, Shots, new_driver
from tests.integration.browser.pages import find, sign_in, text_of
from tests.integration.conftest import Stack
from tests.integration.console_support import add_user_by_command

COUNTY = "140226"  # 左云县: the accounts tests' county
WIDTH, HEIGHT = 390, 844

OVERFLOW = """
const width = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.table-wrap') && (e.getBoundingClientRect().right > width + 1 || e.scrollWidth > width))
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
return [document.documentElement.scrollWidth, document.body.scrollWidth, width, wide.slice(0, 10)];
"""


@pytest.fixture
def phone(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Shots]]:
    """A headless Chromium emulating a phone's screen (the page's viewport meta applies)."""
    driver: Any = new_driver(WIDTH, HEIGHT)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        yield driver, Shots(driver, SHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    finally:
        driver.quit()


def assert_fits(driver: Any) -> None:
    """Nothing outside a scrolling table is wider than the screen."""
    document, body, width, wide = driver.execute_script(OVERFLOW)
    assert width == WIDTH
    assert document <= width and body <= width, f"the page scrolls sideways: {document}/{body} > {width}: {wide}"


async def test_a_caseworker_on_a_phone_signs_in_and_the_home_page_fits(
    stack: Stack, console: ServiceProcess, phone: tuple[Any, Shots]
) -> None:
    driver, shots = phone
    add_user_by_command(stack, "zy-phone", "左云 陈静", "county_caseworker", f"region:{COUNTY}")
    driver.get(f"{console.url}/login")
    find(driver, "#sign-in")
    assert_fits(driver)
    shots("phone-login")
    sign_in(driver, console.url, "zy-phone")
    assert driver.current_url.endswith(f"/counties/{COUNTY}")
    assert "左云 陈静" in text_of(driver, "#who")
    assert_fits(driver)
    shots("phone-county-home")

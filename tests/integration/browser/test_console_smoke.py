"""The console answers, signs a user in through a real Chromium, and lands them on their county."""

from __future__ import annotations

from typing import Any

from baoxue_common.devstack import ServiceProcess

from tests.integration.browser.conftest import Shots
from tests.integration.browser.pages import sign_in, text_of
from tests.integration.conftest import Stack
from tests.integration.console_support import add_user_by_command

COUNTY = "140212"  # 大同市新荣区: no other test's county


async def test_a_caseworker_signs_in_and_lands_on_the_county(
    stack: Stack, console: ServiceProcess, browser: tuple[Any, Shots]
) -> None:
    driver, shots = browser
    add_user_by_command(stack, "smoke-caseworker", "赵敏", "county_caseworker", f"region:{COUNTY}")
    sign_in(driver, console.url, "smoke-caseworker")
    assert driver.current_url.endswith(f"/counties/{COUNTY}")
    assert "赵敏" in text_of(driver, "#who")
    shots("county-home")

"""A county caseworker's home page with its charts drawn, the suspected ledger filtered, and a download's progress."""

from __future__ import annotations

from typing import Any

from baoxue_common.devstack import ServiceProcess

from tests.integration.browser.conftest import Shots
from tests.integration.browser.pages import fill, find, sign_in, wait, wait_text
from tests.integration.conftest import Stack
from tests.integration.console_support import add_user_by_command
from tests.integration.county_data import COUNTY, seed_county


async def test_the_county_home_draws_its_charts_and_the_ledger_filters_and_downloads(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess, browser: tuple[Any, Shots]
) -> None:
    driver, shots = browser
    await seed_county(stack, services)
    add_user_by_command(stack, "county-h1-browser", "钱芳", "county_caseworker", f"region:{COUNTY}")
    sign_in(driver, console.url, "county-h1-browser")
    assert driver.current_url.endswith(f"/counties/{COUNTY}")
    for chart in ("chart-trend", "chart-schools", "chart-groups"):
        find(driver, f'#{chart}[data-rendered="true"] canvas')
    wait_text(driver, '.figure[data-key="suspected"] .name', "疑似辍学人数")
    shots.whole_page("county-home")  # charts included

    find(driver, f'a[href="/counties/{COUNTY}/ledgers/suspected"]').click()
    wait_text(driver, "#ledger-total", "共")
    fill(driver, {"status": "verifying"})
    find(driver, "#apply-filters").click()
    wait(driver).until(lambda d: "status=verifying" in d.current_url)
    wait_text(driver, "#ledger-total", "共 1 条")
    assert find(driver, "a.verify-link").get_attribute("href").endswith("/verification")
    find(driver, "#download-csv").click()
    wait_text(driver, "#download-status", "已生成")
    shots("suspected-ledger")

    driver.set_window_size(390, 844)  # a phone: the filters stack, the table scrolls inside its frame
    driver.refresh()
    wait_text(driver, "#ledger-total", "共 1 条")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    shots("suspected-ledger-phone")

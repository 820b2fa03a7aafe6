"""Another county's caseworker who opens this county's case (or its verification) gets a 403 page in words."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.browser.conftest import Shots
from tests.integration.browser.pages import find, sign_in, text_of
from tests.integration.conftest import Stack
from tests.integration.console_support import PASSWORD, add_user_by_command
from tests.integration.roll_support import auth
from tests.integration.support import eventually
from tests.integration.test_source_outcomes import shanghai_today
from tests.integration.test_verifications import outcome_url

COUNTY, OTHER = "140221", "140222"  # 阳高县 and its neighbour 天镇县


async def field_case(stack: Stack, services: dict[str, ServiceProcess]) -> tuple[str, str]:
    """A child found out of school in COUNTY, confirmed a dropout: its suspicion id and case id."""
    today = shanghai_today().isoformat()
    county = auth(stack.token(f"region:{COUNTY}", user="孙丽"))
    born = date(2015, 9, 1)
    child = {
        "national_id": national_id(COUNTY, born, 7),
        "name": "越界测试儿童",
        "birth_date": born.isoformat(),
        "finding": "not_attending",
        "address": "某村1组",
        "found_on": today,
        "found_by": "村干部",
    }
    async with (
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
        httpx.AsyncClient(base_url=services["ledger"].url, timeout=30) as ledger,
    ):
        r = await verification.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=child)
        assert r.status_code == 201, r.text
        suspicion_id = r.json()["suspicion_id"]
        params = {"suspicion_id": suspicion_id}
        r = await verification.get(f"/v1/counties/{COUNTY}/verifications", headers=county, params=params)
        [found] = r.json()["items"]
        verdict = {"outcome": "confirmed_dropout", "verified_by": "孙丽", "verified_on": today}
        r = await verification.post(outcome_url(found["verification_id"]), headers=county, json=verdict)
        assert r.status_code == 200, r.text

        async def case_id() -> str | None:
            r = await ledger.get(f"/v1/counties/{COUNTY}/ledgers/dropouts", headers=county, params=params)
            items = r.json()["items"]
            return str(items[0]["case_id"]) if items else None

        return suspicion_id, await eventually(case_id)


async def test_another_countys_user_is_refused_the_case_in_words(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess, browser: tuple[Any, Shots]
) -> None:
    driver, shots = browser
    suspicion_id, case_id = await field_case(stack, services)
    add_user_by_command(stack, "tz-caseworker", "周强", "county_caseworker", f"region:{OTHER}")

    # In the browser: the case page says who may not see it, and why.
    sign_in(driver, console.url, "tz-caseworker")
    driver.get(f"{console.url}/cases/{case_id}")
    assert find(driver, ".error").get_attribute("data-status") == "403"
    assert "无权访问" in text_of(driver, "h1")
    assert "超出您账户的管辖范围" in text_of(driver, ".error .message")
    assert not driver.find_elements("css selector", "#case-status"), "nothing of the case is shown"
    assert "Traceback" not in driver.page_source
    shots("case-refused")

    # Over HTTP: the same refusals carry the 403 status, for the case, its verification and its county's list.
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as http:
        login = await http.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]*)"', login.text)
        form = {"username": "tz-caseworker", "password": PASSWORD} | ({"csrf": csrf.group(1)} if csrf else {})
        r = await http.post("/login", data=form)
        assert r.status_code in (200, 303), r.text
        for path in (
            f"/cases/{case_id}",
            f"/suspicions/{suspicion_id}/verification?county={COUNTY}",
            f"/suspicions/{suspicion_id}/case?county={COUNTY}",
            f"/counties/{COUNTY}/verifications",
        ):
            r = await http.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "无权访问" in r.text and "Traceback" not in r.text, path
        r = await http.get(f"/suspicions/{suspicion_id}/verification")
        assert r.status_code == 404, "in its own county the suspect is not found"

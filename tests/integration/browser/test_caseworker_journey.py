"""A caseworker works one child's case in a real Chromium, and a second person approves the close-out.

The child is enrolled and stays away 15 school days through the APIs (as a school's system would); then, on the
console: the suspected ledger → the verification's outcome form (confirmed, with a cause) → the case the ledger
opened → a persuasion attempt, criticism and an order to correct whose deadline has passed (overdue) → the return.
The child comes back to school (attendance through the API, the operator's `baoxue ledger sweep`) and the county's
approver approves the proposed close-out; the caseworker, who recorded the return, is not offered approval.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from selenium.webdriver.remote.webdriver import WebDriver

from tests.integration.browser.conftest import Shots
from tests.integration.browser.pages import fill, find, sign_in, text_of, wait_text
from tests.integration.conftest import Stack
from tests.integration.console_support import add_user_by_command
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import eventually, scalar
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_source_outcomes import shanghai_today
from tests.integration.test_verifications import absent_for, push

COUNTY, SCHOOL = "140221", "1402210001"  # 阳高县, Datong: this journey's county


def sweep(stack: Stack, day: date) -> str:
    """Run `baoxue ledger sweep --date --county` as an operator would."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "ledger", "sweep", "--date", day.isoformat()]
    done = subprocess.run(
        [*command, "--county", COUNTY], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def set_date(driver: WebDriver, css: str, day: date) -> None:
    """Put a date into a date input (typing into one depends on the browser's locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", find(driver, css), day.isoformat())


def submit(driver: WebDriver, form_css: str) -> None:
    """Press the form's submit button."""
    find(driver, f"{form_css} button[type=submit]").click()


async def child_suspected(stack: Stack, services: dict[str, ServiceProcess], days: list[date]) -> tuple[str, str]:
    """Enrol a pupil and a classmate, keep the pupil away 15 school days; the pupil's number and suspicion id."""
    admin = stack.token("admin")
    pupil, classmate = kid(COUNTY, 1, groups=["left_behind"]), kid(COUNTY, 2)
    sid = pupil["student_id"]
    async with (
        httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest,
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
    ):
        r = await verification.put(
            f"/v1/regions/{COUNTY}/rules", headers=auth(admin), json={"return_consolidation_school_days": 3}
        )
        assert r.status_code == 200, r.text
        rule = "SELECT return_consolidation_school_days FROM ledger.rules WHERE region_code = $1"
        await eventually(lambda: _equals(scalar(stack.database_url, rule, COUNTY), 3))
        await register(ingest, admin, SCHOOL, COUNTY)
        await put_roll(ingest, stack, SCHOOL, days[0] - timedelta(days=3), [pupil, classmate])
        known = "SELECT count(*) FROM verification.pupils WHERE student_id = $1 AND national_id_hash IS NOT NULL"
        await eventually(lambda: _equals(scalar(stack.database_url, known, sid), 1))
        await absent_for(ingest, stack, [sid], days[:15], SCHOOL)
    lookup = "SELECT suspicion_id::text FROM verification.verifications WHERE student_id = $1"
    suspicion_id = await eventually(lambda: scalar(stack.database_url, lookup, sid))
    on_ledger = "SELECT count(*) FROM ledger.suspected WHERE suspicion_id = $1::uuid AND status = 'verifying'"
    await eventually(lambda: _equals(scalar(stack.database_url, on_ledger, suspicion_id), 1))
    return sid, str(suspicion_id)


def open_verification(driver: WebDriver, base: str, suspicion_id: str, shots: Shots) -> None:
    """From the suspected ledger to the suspect's verification page."""
    driver.get(f"{base}/counties/{COUNTY}/ledgers/suspected")
    link = find(driver, f'a.verify-link[href="/suspicions/{suspicion_id}/verification"]')
    shots("suspected-ledger")
    link.click()
    find(driver, "form.outcome-form")


async def test_a_caseworker_takes_a_child_from_suspect_to_return_and_an_approver_closes_the_case(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess, browser: tuple[Any, Shots]
) -> None:
    driver, shots = browser
    today = shanghai_today()
    days = past_school_days(30, today)
    sid, suspicion_id = await child_suspected(stack, services, days)
    add_user_by_command(stack, "yg-caseworker", "孙丽", "county_caseworker", f"region:{COUNTY}")
    add_user_by_command(stack, "yg-approver", "钱进", "county_approver", f"region:{COUNTY}")
    base = console.url

    # The caseworker confirms the dropout, with a cause.
    sign_in(driver, base, "yg-caseworker")
    assert driver.current_url.endswith(f"/counties/{COUNTY}")
    shots("county-home")
    open_verification(driver, base, suspicion_id, shots)
    assert "待核查" in text_of(driver, ".v-status")
    fill(driver, {"outcome": "confirmed_dropout", "cause": "family_poverty", "note": "家访核实，已外出"})
    set_date(driver, '[name="verified_on"]', days[15])
    shots("verification")
    submit(driver, "form.outcome-form")
    wait_text(driver, "#recorded", "确认辍学")
    shots("outcome-recorded")

    # The case the ledger opened (the page waits for it).
    find(driver, "#case-link").click()
    wait_text(driver, "#case-status", "劝返中")
    case_id = driver.current_url.rstrip("/").rsplit("/", 1)[-1]
    assert "家庭贫困" in text_of(driver, "#cause")
    shots("case-opened")

    # An attempt, criticism, then an order to correct whose deadline has passed.
    fill(driver, {"method": "home_visit", "outcome": "refused", "note": "家长不同意"}, within="#step-attempt")
    set_date(driver, "#attempt-date", days[16])
    submit(driver, "#step-attempt form")
    wait_text(driver, "#done", "已记录劝返情况")
    fill(driver, {"level": "criticism_education", "issued_by": "镇政府"}, within="#step-escalation")
    set_date(driver, "#escalation-date", days[19])
    submit(driver, "#step-escalation form")
    wait_text(driver, "#done", "已记录升级措施")
    fill(driver, {"level": "order_to_correct", "issued_by": "县教育局"}, within="#step-escalation")
    set_date(driver, "#escalation-date", days[20])
    set_date(driver, "#escalation-deadline", days[22])
    submit(driver, "#step-escalation form")
    wait_text(driver, "#done", "已记录升级措施")
    assert "已逾期未改正" in text_of(driver, "#order-overdue")
    assert "责令限期改正" in text_of(driver, "#ladder li.current")
    assert "拒绝返校" in text_of(driver, "#attempts")
    shots.whole_page("case")

    # A judicial document without a date is refused in words, on the same page.
    fill(driver, {"level": "judicial_document", "issued_by": "县法院"}, within="#step-escalation")
    driver.execute_script("const d = document.querySelector('#escalation-date'); d.required = false; d.value = ''")
    submit(driver, "#step-escalation form")
    find(driver, "#form-error")
    shots("step-refused")

    # The child is back.
    fill(driver, {"placement": "regular"}, within="#step-return")
    set_date(driver, "#return-date", days[25])
    submit(driver, "#step-return form")
    wait_text(driver, "#case-status", "已复学待巩固")
    shots("returned")

    # Back at school three days; the operator's sweep proposes the close-out.
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest:
        for day in days[26:]:
            await push(ingest, stack, day, {sid: "present"}, SCHOOL)
    assert sweep(stack, today).endswith(": 1")
    driver.get(f"{base}/cases/{case_id}")
    wait_text(driver, "#case-status", "待销号")
    assert not driver.find_elements("css selector", "#step-approve"), "a caseworker is not offered approval"

    # A second person, the county's approver, approves.
    find(driver, "#sign-out").click()
    sign_in(driver, base, "yg-approver")
    driver.get(f"{base}/cases/{case_id}")
    wait_text(driver, "#case-status", "待销号")
    fill(driver, {"note": "返校稳定，同意销号"}, within="#step-approve")
    shots("closure-proposed")
    find(driver, "#approve-button").click()
    wait_text(driver, "#case-status", "已销号")
    assert "钱进" in text_of(driver, "#closed")
    shots("closed")

    # The child's timeline, from the case.
    find(driver, "#timeline-link").click()
    find(driver, "#timeline")
    events = text_of(driver, "#timeline")
    for words in ("列为疑似辍学", "确认辍学并立案", "劝返记录", "确认返校", "销号"):
        assert words in events, words
    shots("timeline")


async def _equals(value: Any, expected: Any) -> bool:
    return (await value) == expected

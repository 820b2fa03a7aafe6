"""The console's verification, case and timeline pages over HTTP: forms, refusals in words, viewers who only read."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.console_support import PASSWORD, add_user
from tests.integration.roll_support import auth
from tests.integration.support import eventually
from tests.integration.test_source_outcomes import shanghai_today

COUNTY, CITY = "140221", "140200"  # 阳高县 in 大同市
BORN = date(2016, 2, 1)


async def signed_in(console_url: str, username: str) -> tuple[httpx.AsyncClient, str]:
    """A client holding the user's session cookie, and the CSRF token their forms carry."""
    http = httpx.AsyncClient(base_url=console_url, timeout=30)
    r = await http.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 303, r.text
    page = await http.get(f"/counties/{COUNTY}/verifications")
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[:500]
    return http, found.group(1)


async def field_suspect(stack: Stack, services: dict[str, ServiceProcess], seq: int) -> dict[str, Any]:
    """A child found out of school in COUNTY (with an ID number): its verification."""
    county = auth(stack.token(f"region:{COUNTY}", user="孙丽"))
    child = {
        "national_id": national_id(COUNTY, BORN, seq),
        "name": f"页面测试儿童{seq}",
        "birth_date": BORN.isoformat(),
        "finding": "no_student_record",
        "address": "某村2组",
        "found_on": shanghai_today().isoformat(),
        "found_by": "村干部",
    }
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification:
        r = await verification.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=child)
        assert r.status_code == 201, r.text
        params = {"suspicion_id": r.json()["suspicion_id"]}
        r = await verification.get(f"/v1/counties/{COUNTY}/verifications", headers=county, params=params)
        [found] = r.json()["items"]
    return dict(found) | {"national_id": child["national_id"]}


async def test_verification_and_case_pages_take_forms_and_refuse_in_words(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
) -> None:
    today = shanghai_today().isoformat()
    cleared, confirmed = await field_suspect(stack, services, 11), await field_suspect(stack, services, 12)
    await add_user(stack, "yg-http-caseworker", "孙丽", "county_caseworker", f"region:{COUNTY}")
    await add_user(stack, "dt-viewer", "吴昊", "region_viewer", f"region:{CITY}")
    http, csrf = await signed_in(console.url, "yg-http-caseworker")
    try:
        r = await http.get(f"/counties/{COUNTY}/verifications", params={"status": "open"})
        assert r.status_code == 200, r.text
        assert f'id="outcome-{cleared["verification_id"]}"' in r.text and "待核查" in r.text
        r = await http.get(f"/counties/{COUNTY}/verifications", params={"status": "late"})
        assert (r.status_code, "填写的内容有误" in r.text) == (422, True)

        # Cleared without a reason: refused in words, the form shown again; without the CSRF token: refused.
        url = f"/verifications/{cleared['verification_id']}/outcome"
        form = {"outcome": "cleared", "verified_by": "孙丽", "verified_on": today, "county": COUNTY}
        r = await http.post(url, data=form | {"csrf": csrf})
        assert r.status_code == 422 and "排除疑似须选择排除理由" in r.text, r.text
        assert 'class="stack outcome-form"' in r.text
        r = await http.post(url, data=form | {"reason": "data_error"})
        assert r.status_code == 403 and "CSRF" in r.text, r.text
        r = await http.post(url, data=form | {"reason": "data_error", "csrf": csrf})
        assert r.status_code == 200 and "已登记：排除疑似（数据错误）" in r.text, r.text
        r = await http.post(url, data=form | {"reason": "transferred", "csrf": csrf})
        assert r.status_code == 409 and "与当前状态冲突" in r.text, "a second, different outcome"

        async def cleared_page() -> bool:
            r = await http.get(f"/suspicions/{cleared['suspicion_id']}/case")
            return r.status_code == 200 and "已排除疑似" in r.text

        await eventually(cleared_page)

        # Confirmed: the case page, a step the ledger refuses, a step a caseworker may not take, an unknown step.
        r = await http.post(
            f"/verifications/{confirmed['verification_id']}/outcome",
            data={"outcome": "confirmed_dropout", "verified_by": "孙丽", "verified_on": today, "csrf": csrf},
        )
        assert r.status_code == 200 and 'id="case-link"' in r.text, r.text

        async def case_url() -> str | None:
            r = await http.get(f"/suspicions/{confirmed['suspicion_id']}/case")
            return r.headers["location"] if r.status_code == 303 else None

        case = await eventually(case_url)
        r = await http.get(case)
        assert r.status_code == 200 and "劝返中" in r.text and 'id="step-attempt"' in r.text, r.text
        body = {"level": "order_to_correct", "date": today, "issued_by": "县教育局", "csrf": csrf}
        r = await http.post(f"{case}/steps/escalation", data=body)
        assert r.status_code in (409, 422) and 'id="form-error"' in r.text, r.text
        assert "Traceback" not in r.text
        r = await http.post(f"{case}/steps/approve", data={"note": "同意", "csrf": csrf})
        assert r.status_code == 403 and "无权" in r.text, r.text
        r = await http.post(f"{case}/steps/teleport", data={"csrf": csrf})
        assert r.status_code == 404 and "没有这一项操作" in r.text, r.text
        cause = {"main": "work", "others": ["family_poverty", "lack_of_guardianship"], "csrf": csrf}
        r = await http.post(f"{case}/steps/cause", data=cause)
        assert r.status_code == 303, r.text
        r = await http.get(r.headers["location"])
        assert "已登记辍学原因" in r.text and "外出务工" in r.text and "缺乏监护" in r.text, r.text

        r = await http.get(f"/students/{confirmed['national_id']}/timeline")
        assert r.status_code == 200 and "确认辍学并立案" in r.text and "列为疑似辍学" in r.text, r.text
    finally:
        await http.aclose()

    # A city viewer reads the county's pages but is offered no form and may not record an outcome.
    viewer, viewer_csrf = await signed_in(console.url, "dt-viewer")
    try:
        r = await viewer.get(f"/counties/{COUNTY}/verifications")
        assert r.status_code == 200 and "outcome-form" not in r.text, r.text
        r = await viewer.get(case)
        assert r.status_code == 200 and 'id="step-attempt"' not in r.text, r.text
        r = await viewer.post(
            f"/verifications/{confirmed['verification_id']}/outcome",
            data={"outcome": "cleared", "reason": "data_error", "csrf": viewer_csrf},
        )
        assert r.status_code == 403 and "只能查看" in r.text, r.text
    finally:
        await viewer.aclose()

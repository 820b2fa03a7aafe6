"""Detection end to end: runs judged whole whatever order days arrive in, and corrections that end a suspicion."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id, student_id
from baoxue_contracts.topics import DETECTION, VERIFICATION

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.support import events_on, eventually, scalar, school_year_of

COUNTY, SCHOOL = "120103", "1201030041"  # 河西区, Tianjin: no other test's county or city


def pupil(seq: int) -> dict[str, Any]:
    """A valid roll entry of this test's county."""
    return {
        "student_id": student_id(COUNTY, BIRTH, seq),
        "national_id": national_id(COUNTY, BIRTH, seq),
        "name": f"学生{seq}",
        "gender": "F",
        "birth_date": BIRTH.isoformat(),
        "grade": 5,
        "class": "5-2",
        "hukou_county_code": COUNTY,
        "residence_county_code": COUNTY,
        "groups": [],
    }


async def verification_published(database_url: str) -> bool:
    """Whether verification's relay has published its whole outbox."""
    query = "SELECT count(*) = 0 FROM verification.outbox WHERE published_at IS NULL AND parked_at IS NULL"
    return bool(await scalar(database_url, query))


async def push(http: httpx.AsyncClient, base: str, token: str, day: date, marks: dict[str, str]) -> dict[str, Any]:
    """Push one day's attendance of the school."""
    records = [{"student_id": sid, "status": status} for sid, status in marks.items()]
    r = await http.post(
        f"{base}/v1/schools/{SCHOOL}/attendance",
        headers={"Authorization": f"Bearer {token}"},
        json={"date": day.isoformat(), "records": records},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def enrol(http: httpx.AsyncClient, stack: Stack, base: str, pupils: list[dict[str, Any]]) -> str:
    """Register the school and its roll, wait until verification knows the pupils; return the school's token."""
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    token = stack.token(f"school:{SCHOOL}")
    r = await http.put(
        f"{base}/v1/schools/{SCHOOL}",
        headers=admin,
        json={"name": "河西实验小学", "county_code": COUNTY, "kind": "primary"},
    )
    assert r.status_code == 200, r.text
    roster = {"as_of": "2026-09-01", "students": pupils}
    r = await http.put(f"{base}/v1/schools/{SCHOOL}/roster", headers={"Authorization": f"Bearer {token}"}, json=roster)
    assert r.status_code == 200, r.text
    query = "SELECT count(*) FROM verification.pupils WHERE school_code = $1"

    async def known() -> bool:
        return int(await scalar(stack.database_url, query, SCHOOL)) >= len(pupils)

    await eventually(known)
    return token


async def test_days_arriving_out_of_order_make_one_run_and_one_warning(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    base = services["attendance-ingest"].url
    late_monday, gap_filled, present = (pupil(s)["student_id"] for s in (41, 42, 43))
    today = date.today()
    monday = today - timedelta(days=today.weekday() + 7)  # last week: Monday to Friday all lie in the past
    mon, tue, wed, thu, fri = (monday + timedelta(days=i) for i in range(5))
    u = "absent_unexcused"
    async with httpx.AsyncClient(timeout=10) as http:
        token = await enrol(http, stack, base, [pupil(41), pupil(42), pupil(43)])
        # late_monday: Tuesday to Friday, then Monday late. gap_filled: all but Wednesday, then Wednesday late.
        await push(http, base, token, tue, {late_monday: u, gap_filled: u, present: "present"})
        await push(http, base, token, wed, {late_monday: u, present: "present"})
        await push(http, base, token, thu, {late_monday: u, gap_filled: u, present: "present"})
        await push(http, base, token, fri, {late_monday: u, gap_filled: u, present: "present"})
        await push(http, base, token, mon, {late_monday: u, gap_filled: u, present: "present"})
        assert (await push(http, base, token, wed, {gap_filled: u}))["absences"] == 1

    query = "SELECT count(*) FROM verification.absences WHERE student_id = $1 AND day = $2"

    async def all_applied() -> bool:
        return bool(await scalar(stack.database_url, query, gap_filled, wed)) and await verification_published(
            stack.database_url
        )

    await eventually(all_applied)
    found = await events_on(stack.bootstrap, DETECTION, "EarlyWarningRaised", {late_monday, gap_filled, present})
    by_pupil = {w.student_id: w for w in found}
    assert len(found) == len(by_pupil) == 2, f"one warning per run, none for the pupil present: {found}"
    assert (by_pupil[late_monday].consecutive_unexcused_days, by_pupil[late_monday].raised_on) == (3, thu)
    assert (by_pupil[gap_filled].consecutive_unexcused_days, by_pupil[gap_filled].raised_on) == (5, fri)
    for sid in (late_monday, gap_filled):
        span = await scalar(
            stack.database_url,
            "SELECT array[streak_start, run_end] FROM verification.warnings WHERE student_id = $1",
            sid,
        )
        assert span == [mon, fri], "the warning covers the whole run, Monday included"


async def test_a_correction_that_leaves_too_few_days_clears_the_suspicion(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    base = services["attendance-ingest"].url
    corrected, excused, kept = (pupil(s)["student_id"] for s in (44, 47, 45))
    days = past_school_days(16)
    async with httpx.AsyncClient(timeout=10) as http:
        token = await enrol(http, stack, base, [pupil(44), pupil(45), pupil(47)])
        # corrected, excused: 15 days in a row. kept: 16, so correcting its first day still leaves 15.
        for i, day in enumerate(days):
            marks = {kept: "absent_unexcused"} | (
                {corrected: "absent_unexcused", excused: "absent_unexcused"} if i else {}
            )
            await push(http, base, token, day, marks)

        async def all_flagged() -> list[Any]:
            flags = await events_on(stack.bootstrap, DETECTION, "SuspectedDropoutFlagged", {corrected, excused, kept})
            return flags if len(flags) == 3 else []

        flags = {f.student_id: f for f in await eventually(all_flagged)}
        assert flags[corrected].consecutive_unexcused_days == 15 and flags[corrected].source == "attendance"

        middle = days[8]
        assert (await push(http, base, token, middle, {corrected: "present"}))["corrections"] == 1
        assert (await push(http, base, token, days[9], {excused: "absent_excused"}))["corrections"] == 1
        assert (await push(http, base, token, days[0], {kept: "present"}))["corrections"] == 1

    stored = "SELECT status FROM verification.absences WHERE student_id = $1 AND day = $2"
    expected = ((corrected, middle, None), (kept, days[0], None), (excused, days[9], "absent_excused"))

    async def cleared() -> list[Any]:
        for sid, day, status in expected:
            if await scalar(stack.database_url, stored, sid, day) != status:
                return []
        if not await verification_published(stack.database_url):
            return []
        return await events_on(stack.bootstrap, VERIFICATION, "SuspicionCleared", {corrected, excused, kept})

    found = await eventually(cleared)
    assert sorted((c.student_id, c.reason, c.source, c.suspicion_id) for c in found) == sorted(
        (sid, "attendance_corrected", "attendance", flags[sid].suspicion_id) for sid in (corrected, excused)
    )
    status = "SELECT status FROM verification.suspicions WHERE suspicion_id = $1"
    for sid in (corrected, excused):
        assert await scalar(stack.database_url, status, flags[sid].suspicion_id) == "cleared"
    assert await scalar(stack.database_url, status, flags[kept].suspicion_id) == "open", "15 days still ground it"


async def test_thirty_scattered_days_in_a_term_flag_a_suspect_by_the_cumulative_rule(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    base = services["attendance-ingest"].url
    scattered = pupil(46)["student_id"]
    yesterday = date.today() - timedelta(days=1)
    term_start = max(date(school_year_of(yesterday), 8, 1), date(2026, 9, 1))  # the test calendar's one term, roll
    weekdays = [d for d in past_school_days(120) if d >= term_start]
    days = weekdays[-59::2]  # every other weekday: no two absences are consecutive school days
    if len(days) < 30:
        pytest.skip(f"fewer than 30 alternate weekdays in this term before {date.today()}")
    counted = "SELECT count(*) FROM verification.absences WHERE student_id = $1"
    async with httpx.AsyncClient(timeout=10) as http:
        token = await enrol(http, stack, base, [pupil(46)])
        for day in days[:29]:
            await push(http, base, token, day, {scattered: "absent_unexcused"})

        async def applied(n: int) -> bool:
            return int(await scalar(stack.database_url, counted, scattered)) == n and await verification_published(
                stack.database_url
            )

        await eventually(lambda: applied(29))
        assert await events_on(stack.bootstrap, DETECTION, "SuspectedDropoutFlagged", {scattered}) == [], "29 is short"
        await push(http, base, token, days[29], {scattered: "absent_unexcused"})
        await eventually(lambda: applied(30))

    flags = await events_on(stack.bootstrap, DETECTION, "SuspectedDropoutFlagged", {scattered})
    assert [(f.source, f.cumulative_unexcused_days, f.consecutive_unexcused_days) for f in flags] == [
        ("attendance", 30, 1)
    ]
    assert flags[0].reason.startswith("cumulative: 30 school days")
    assert await events_on(stack.bootstrap, DETECTION, "EarlyWarningRaised", {scattered}) == [], "no run of 3"

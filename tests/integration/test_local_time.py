"""A school's "today" is the Beijing date: at 07:00 (23:00 UTC the day before) today's attendance is accepted."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import httpx
import pytest
from attendance_ingest.bootstrap import bootstrap
from attendance_ingest.entrypoints.app import create_app
from baoxue_common.clock import Clock, fixed
from baoxue_common.devstack import ensure_database
from baoxue_common.migrations import migrate_async
from baoxue_common.services import service
from baoxue_common.settings import get_settings
from baoxue_common.testing import national_id, student_id
from baoxue_contracts import decode

from tests.integration.conftest import Stack
from tests.integration.support import publish_test_calendars

COUNTY = "110105"
SCHOOL = "1101050001"
BIRTH = date(2015, 3, 7)
PUPIL = {
    "student_id": student_id(COUNTY, BIRTH, 1),
    "national_id": national_id(COUNTY, BIRTH, 1),
    "name": "学生",
    "gender": "F",
    "birth_date": BIRTH.isoformat(),
    "grade": 5,
    "class": "5-1",
    "hukou_county_code": COUNTY,
    "residence_county_code": COUNTY,
}


def a_weekday_ahead() -> date:
    """A school day at least a week after the real date, so the test cannot pass on the wall clock."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
async def fresh_database(stack: Stack) -> str:
    """A database of its own, so this process's outbox and rolls touch nothing else."""
    url = await ensure_database(stack.database_url, f"baoxue_clock_{os.getpid()}", fresh=True)
    await migrate_async(service("attendance-ingest"), url)
    return url


@pytest.fixture
async def ingest(
    stack: Stack, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """attendance-ingest in this process, its clock fixed at 07:00 Beijing time on a school day."""
    for name, value in {**stack.env, "DATABASE_URL": fresh_database}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    runtime = await bootstrap(settings)
    seven_in_beijing = datetime.combine(a_weekday_ahead() - timedelta(days=1), time(23, 0), tzinfo=UTC)
    runtime.clock = Clock(settings.zone, fixed(seven_in_beijing))
    app = create_app()
    app.state.runtime = runtime
    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as http:
            await publish_test_calendars(http, "", stack.token("admin"))
            yield http
    finally:
        await runtime.stop()
        get_settings.cache_clear()


async def test_before_eight_in_beijing_today_is_already_today(
    stack: Stack, ingest: httpx.AsyncClient, fresh_database: str
) -> None:
    today = a_weekday_ahead()
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    school = {"name": "朝阳一小", "county_code": COUNTY, "kind": "primary"}
    assert (await ingest.put(f"/v1/schools/{SCHOOL}", headers=admin, json=school)).status_code == 200
    roster = {"as_of": today.isoformat(), "students": [PUPIL]}
    assert (await ingest.put(f"/v1/schools/{SCHOOL}/roster", headers=own, json=roster)).status_code == 200
    url = f"/v1/schools/{SCHOOL}/attendance"
    marks = [{"student_id": PUPIL["student_id"], "status": "absent_unexcused"}]

    accepted = await ingest.post(url, headers=own, json={"date": today.isoformat(), "records": marks})
    assert accepted.status_code == 200, accepted.text
    tomorrow = today + timedelta(days=1)
    refused = await ingest.post(url, headers=own, json={"date": tomorrow.isoformat(), "records": marks})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"loc": ["body", "date"], "msg": f"{tomorrow} is in the future"}]

    conn = await asyncpg.connect(fresh_database)
    try:
        values = await conn.fetch("SELECT value FROM attendance_ingest.outbox WHERE topic = 'attendance.v1'")
    finally:
        await conn.close()
    envelopes = [decode(bytes(row["value"]))[0] for row in values]
    [absence] = [e for e in envelopes if e.event_type == "AbsenceRecorded"]
    assert absence.occurred_at == datetime.combine(today, time(0, 0), tzinfo=UTC), "08:00 Beijing time that day"

"""Rejected requests against the running services: problem details, the right status, and nothing changed."""

from __future__ import annotations

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.slice_data import COUNTY, OTHER_SCHOOL, SCHOOL, past_school_days, pupil

PROBLEM = "application/problem+json"


async def snapshot(database_url: str) -> tuple[int, int]:
    """(attendance rows, outbox rows) of attendance-ingest: a rejected request must change neither."""
    conn = await asyncpg.connect(database_url)
    try:
        attendance = await conn.fetchval("SELECT count(*) FROM attendance_ingest.attendance")
        outbox = await conn.fetchval("SELECT count(*) FROM attendance_ingest.outbox")
    finally:
        await conn.close()
    return int(attendance), int(outbox)


def assert_problem(response: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body  # type: ignore[no-any-return]


async def test_rejections_are_problem_details_and_change_nothing(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{OTHER_SCHOOL}')}"}
    other = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    day = past_school_days(1)[0].isoformat()
    async with httpx.AsyncClient(base_url=ingest, timeout=10) as http:
        school = {"name": "东城二小", "county_code": COUNTY, "kind": "primary"}
        assert (await http.put(f"/v1/schools/{OTHER_SCHOOL}", headers=admin, json=school)).status_code == 200
        roster = {"as_of": "2026-09-01", "students": [pupil(11)]}
        assert (await http.put(f"/v1/schools/{OTHER_SCHOOL}/roster", headers=own, json=roster)).status_code == 200
        before = await snapshot(stack.database_url)
        good = {"date": day, "records": [{"student_id": pupil(11)["student_id"], "status": "absent_unexcused"}]}
        url = f"/v1/schools/{OTHER_SCHOOL}/attendance"

        assert_problem(await http.post(url, json=good), 401)
        assert_problem(await http.post(url, json=good, headers={"Authorization": "Bearer not-a-token"}), 401)
        assert_problem(await http.post(url, json=good, headers=other), 403)
        bad_json = {**own, "content-type": "application/json"}
        assert_problem(await http.post(url, content=b'{"date": "2026-', headers=bad_json), 400)
        body = assert_problem(
            await http.post(
                url,
                headers=own,
                json={
                    "date": day,
                    "records": [
                        {"student_id": pupil(11)["student_id"], "status": "sleeping"},
                        {"student_id": pupil(12)["student_id"], "status": "present"},
                    ],
                },
            ),
            422,
        )
        assert body["errors"] == [  # every bad record, the unknown status along with the pupil not on the roll
            {"loc": ["body", "records", 0, "status"], "msg": "unknown status 'sleeping'"},
            {"loc": ["body", "records", 1, "student_id"], "msg": "not on this school's roll"},
        ]
        not_on_roll = {
            "date": day,
            "records": [*good["records"], {"student_id": pupil(12)["student_id"], "status": "present"}],
        }
        body = assert_problem(await http.post(url, headers=own, json=not_on_roll), 422)
        assert body["errors"] == [{"loc": ["body", "records", 1, "student_id"], "msg": "not on this school's roll"}]
        assert_problem(await http.post("/v1/schools/9999999999/attendance", headers=admin, json=good), 404)
        assert await snapshot(stack.database_url) == before, "a rejected request changed something"

        accepted = await http.post(url, headers=own, json=good)
        assert accepted.status_code == 200, accepted.text
        repeat = await http.post(url, headers=own, json=good)
        assert (repeat.status_code, repeat.json()["absences"]) == (200, 0), "an identical repeat is a no-op"
        attendance, outbox = await snapshot(stack.database_url)
        assert attendance == before[0] + 1
        assert outbox == before[1] + 2, "one AbsenceRecorded and one AttendanceSubmitted, and nothing for the repeat"


async def test_health_and_readiness_need_no_token(services: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for proc in services.values():
            assert (await http.get(f"{proc.url}/healthz")).json() == {"status": "ok"}
            ready = await http.get(f"{proc.url}/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "revocations": "ok"}

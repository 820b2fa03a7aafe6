"""Two pushes of one (school, day) at once are serialised; the previous-mark lookup stays an index probe per pupil."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from attendance_ingest.adapters import attendance_repository
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import student_id

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.test_attendance_api import Pushes, enrol, mark, rows

pytestmark = pytest.mark.integration

COUNTY = "110108"


async def test_the_same_push_twice_at_once_emits_its_events_once(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=60) as http:
        school, own = await enrol(http, stack, COUNTY, 40)
        push = Pushes(http, stack, school, own)
        days = past_school_days(3)
        for day in days:
            records = [mark(COUNTY, i, "absent_unexcused" if i % 10 == 0 else "present") for i in range(1, 41)]
            answers = await asyncio.gather(push.post(day, records), push.post(day, records))
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
            assert sorted(a.json()["absences"] for a in answers) == [0, 4], "one of them found the other's marks"
        events = await push.events()
        for day in days:
            kinds = sorted(type(e).__name__ for e in events if e.date == day)
            assert kinds == ["AbsenceRecorded"] * 4 + ["AttendanceSubmitted"], (day, kinds)


async def test_an_absence_racing_its_correction_ends_the_same_in_the_table_and_on_the_topic(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=60) as http:
        school, own = await enrol(http, stack, COUNTY, 40)
        push = Pushes(http, stack, school, own)
        day = past_school_days(4)[0]
        pupils = range(21, 31)
        for i in pupils:
            absent, present = [mark(COUNTY, i, "absent_unexcused")], [mark(COUNTY, i, "present")]
            answers = await asyncio.gather(push.post(day, absent), push.post(day, present))
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        stored = {r[1]: r[2] for r in await rows(stack.database_url, school) if r[0] == day}
        last: dict[str, str] = {}
        for event in await push.events():
            if event.date == day and type(event).__name__ in ("AbsenceRecorded", "PresenceRecorded"):
                last[event.student_id] = event.status
        for i in pupils:
            sid = student_id(COUNTY, BIRTH, i)
            assert sid in last, f"an absence was pushed for {sid}: at least one event"
            assert last[sid] == stored[sid], f"{sid}: stored {stored[sid]}, last event {last[sid]}"


async def test_the_previous_mark_is_one_backward_index_probe_per_pupil(stack: Stack) -> None:
    """EXPLAIN ANALYZE of the lookup on a school with a year of history: no scan of that history."""
    school, pupils = "1101080099", 200
    ids = [student_id(COUNTY, BIRTH, 100 + i) for i in range(pupils)]
    day = date.today()
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(
            "INSERT INTO attendance_ingest.attendance (day, school_code, student_id, status, batch_id)"
            " SELECT d::date, $1, s, 'present', gen_random_uuid()"
            " FROM unnest($2::text[]) AS s, generate_series($3::date - 365, $3::date - 1, interval '1 day') AS d"
            " ON CONFLICT DO NOTHING",
            school,
            ids,
            day,
        )
        await conn.execute("ANALYZE attendance_ingest.attendance")
        since = day - timedelta(days=14)
        args = (day, school, uuid.uuid4(), ids, ["present"] * pupils, [None] * pupils, [None] * pupils, since)
        sql = attendance_repository._WRITE_DAY
        for explain in (True, False):  # each in a transaction rolled back: EXPLAIN ANALYZE really inserts
            tx = conn.transaction()
            await tx.start()
            if explain:
                plan: Any = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))
            else:
                found = await conn.fetch(sql, *args)
            await tx.rollback()
    finally:
        await conn.close()
    assert len(found) == pupils and {r["previous_status"] for r in found} == {"present"}
    nodes = list(walk(plan[0]["Plan"]))
    assert not [n for n in nodes if n.get("Relation Name") == "attendance" and n["Node Type"] == "Seq Scan"], nodes
    limits = [n for n in nodes if n["Node Type"] == "Limit"]
    lookups = [n for limit in limits for n in walk(limit) if n.get("Relation Name") == "attendance"]
    assert lookups, nodes
    for node in lookups:  # the previous-mark lookup under LIMIT 1
        assert node["Index Name"] == "attendance_by_student" and node["Scan Direction"] == "Backward", node
        assert node["Actual Rows"] <= 1 and node["Actual Loops"] == pupils, "one row per pupil, not its history"


def walk(node: dict[str, Any]) -> Any:
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)

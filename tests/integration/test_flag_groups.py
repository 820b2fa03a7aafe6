"""Flags carry the pupil's priority groups and poverty household, whichever of roll and attendance arrives first."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import national_id, student_id
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import AbsenceRecorded, StudentEnrolled, StudentUpdated
from baoxue_contracts.topics import ATTENDANCE, DETECTION, ROSTER

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.support import events_on, eventually, produce, scalar
from tests.integration.test_detection import verification_published

COUNTY, SCHOOL = "140105", "1401050001"  # 小店区, Taiyuan: no other test's county or city
FLAGGED = "SuspectedDropoutFlagged"


def roll_entry(seq: int) -> dict[str, Any]:
    """A left-behind child of a poverty household on this test's roll."""
    return {
        "student_id": student_id(COUNTY, BIRTH, seq),
        "national_id": national_id(COUNTY, BIRTH, seq),
        "name": f"学生{seq}",
        "gender": "M",
        "birth_date": BIRTH.isoformat(),
        "grade": 4,
        "class": "4-1",
        "hukou_county_code": COUNTY,
        "residence_county_code": COUNTY,
        "groups": ["left_behind"],
        "poverty_household": True,
    }


async def applied(database_url: str, envelope: Envelope) -> bool:
    """Whether verification applied an envelope and published all it emitted."""
    query = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"
    return bool(await scalar(database_url, query, envelope.event_id)) and await verification_published(database_url)


async def test_a_flag_on_a_left_behind_child_of_a_poverty_household_carries_both(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    base = services["attendance-ingest"].url
    sid = roll_entry(1)["student_id"]
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    school = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    async with httpx.AsyncClient(timeout=10) as http:
        body = {"name": "小店实验小学", "county_code": COUNTY, "kind": "primary"}
        r = await http.put(f"{base}/v1/schools/{SCHOOL}", headers=admin, json=body)
        assert r.status_code == 200, r.text
        roster = {"as_of": "2026-09-01", "students": [roll_entry(1)]}
        r = await http.put(f"{base}/v1/schools/{SCHOOL}/roster", headers=school, json=roster)
        assert r.status_code == 200, r.text
        known = "SELECT poverty_household FROM verification.pupils WHERE student_id = $1"

        async def remembered() -> bool:
            return bool(await scalar(stack.database_url, known, sid))

        await eventually(remembered)
        for day in past_school_days(15):
            marks = {"date": day.isoformat(), "records": [{"student_id": sid, "status": "absent_unexcused"}]}
            r = await http.post(f"{base}/v1/schools/{SCHOOL}/attendance", headers=school, json=marks)
            assert r.status_code == 200, r.text

    async def flagged() -> list[Any]:
        return await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})

    flags = await eventually(flagged)
    assert [(f.consecutive_unexcused_days, f.groups, f.poverty_household) for f in flags] == [
        (15, ("left_behind",), True)
    ]
    warnings = await events_on(stack.bootstrap, DETECTION, "EarlyWarningRaised", {sid})
    assert [w.groups for w in warnings] == [("left_behind",)]


def envelope(event: Any, day: date) -> Envelope:
    """An envelope as attendance-ingest would send it for this test's county."""
    at = datetime.combine(day, time(9, 0), tzinfo=UTC)
    return Envelope.wrap(event, producer="attendance-ingest", region=COUNTY, occurred_at=at)


def record(seq: int, kind: type[StudentEnrolled] | type[StudentUpdated], **extra: Any) -> Any:
    """The roll's event about pupil `seq`: a left-behind child of a poverty household."""
    return kind(
        student_id=student_id(COUNTY, BIRTH, seq),
        school_code=SCHOOL,
        name=f"学生{seq}",
        gender="F",
        birth_date=BIRTH,
        grade=4,
        class_name="4-1",
        hukou_county_code=COUNTY,
        residence_county_code=COUNTY,
        groups=("left_behind",),
        poverty_household=True,
        national_id_hash=uuid.uuid4().hex * 2,
        **extra,
    )


async def test_a_flag_raised_before_the_roll_is_reissued_with_the_same_id_once_the_groups_arrive(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    assert services  # the services consume what this test produces
    sid = student_id(COUNTY, BIRTH, 2)
    days = past_school_days(15)
    absences = [
        envelope(
            AbsenceRecorded(
                student_id=sid, school_code=SCHOOL, date=day, status="absent_unexcused", batch_id=uuid.uuid4()
            ),
            day,
        )
        for day in days
    ]
    enrolled = envelope(record(2, StudentEnrolled, enrolled_on=days[0]), days[-1])
    repeated = envelope(record(2, StudentUpdated, changed=("class_name",), updated_on=days[-1]), days[-1])
    producer = make_producer(stack.settings(), client_id="flag-groups-test")
    await producer.start()
    try:
        await produce(producer, ATTENDANCE, absences)

        async def first_flag() -> list[Any]:
            return await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})

        [first] = await eventually(first_flag)
        assert (first.groups, first.poverty_household, first.consecutive_unexcused_days) == ((), False, 15)

        await produce(producer, ROSTER, [enrolled])
        await eventually(lambda: applied(stack.database_url, enrolled))
        flags = await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})
        assert len(flags) == 2, flags
        again = flags[1]
        assert again.suspicion_id == first.suspicion_id
        assert (again.groups, again.poverty_household) == (("left_behind",), True)
        same = ("source", "reason", "flagged_on", "county_code", "school_code", "consecutive_unexcused_days")
        assert [getattr(again, f) for f in same] == [getattr(first, f) for f in same]

        await produce(producer, ROSTER, [repeated])
        await eventually(lambda: applied(stack.database_url, repeated))
        assert len(await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})) == 2, "same groups: nothing new"
    finally:
        await producer.stop()
    stored = "SELECT array[groups::text, poverty_household::text] FROM verification.suspicions WHERE suspicion_id = $1"
    assert await scalar(stack.database_url, stored, first.suspicion_id) == ["{left_behind}", "true"]

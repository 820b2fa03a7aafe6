"""Reviews end to end: a long excused absence past the county's rule raises one ReviewRaised per run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import national_id, student_id
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import AbsenceRecorded, CalendarPublished
from baoxue_contracts.events.attendance import Term as TermPayload
from baoxue_contracts.topics import ATTENDANCE, DETECTION, REFERENCE

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.support import events_on, eventually, produce, scalar
from tests.integration.test_detection import verification_published

COUNTY, SCHOOL = "150105", "1501050041"  # 赛罕区: no other test's county
REVIEW = "review_after_consecutive_excused"
ABSENCES = "SELECT count(*) FROM verification.absences WHERE student_id = ANY($1::text[])"


def pupil(seq: int) -> dict[str, Any]:
    """A valid roll entry of this test's county."""
    return {
        "student_id": student_id(COUNTY, BIRTH, seq),
        "national_id": national_id(COUNTY, BIRTH, seq),
        "name": f"学生{seq}",
        "gender": "F",
        "birth_date": BIRTH.isoformat(),
        "grade": 3,
        "class": "3-1",
        "hukou_county_code": COUNTY,
        "residence_county_code": COUNTY,
        "groups": ["left_behind"] if seq == 1 else [],
    }


async def push(http: httpx.AsyncClient, base: str, token: str, day: date, marks: dict[str, str]) -> None:
    """Push one day's attendance of the school, every absence with the same sick-note reason."""
    records = [
        {"student_id": sid, "status": status, **({"reason": "病假"} if status.startswith("absent") else {})}
        for sid, status in marks.items()
    ]
    r = await http.post(
        f"{base}/v1/schools/{SCHOOL}/attendance",
        headers={"Authorization": f"Bearer {token}"},
        json={"date": day.isoformat(), "records": records},
    )
    assert r.status_code == 200, r.text


async def test_a_long_excused_absence_raises_one_review_per_run(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    ingest, verification = services["attendance-ingest"].url, services["verification"].url
    long, short = (p["student_id"] for p in (pupil(1), pupil(2)))
    token = stack.token(f"school:{SCHOOL}")
    first, second, third, fourth = past_school_days(4)
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.put(f"{verification}/v1/regions/{COUNTY}/rules", headers=admin, json={REVIEW: 3})
        assert r.status_code == 200, r.text
        assert (r.json()["rules"][REVIEW], r.json()["sources"][REVIEW]) == (3, COUNTY)
        school = {"name": "赛罕区实验小学", "county_code": COUNTY, "kind": "primary"}
        assert (await http.put(f"{ingest}/v1/schools/{SCHOOL}", headers=admin, json=school)).status_code == 200
        roster = {"as_of": "2026-09-01", "students": [pupil(1), pupil(2)]}
        r = await http.put(
            f"{ingest}/v1/schools/{SCHOOL}/roster", headers={"Authorization": f"Bearer {token}"}, json=roster
        )
        assert r.status_code == 200, r.text
        known = "SELECT count(*) FROM verification.pupils WHERE school_code = $1"
        await eventually(lambda: _at_least(stack.database_url, known, SCHOOL, 2))
        # Days arrive out of order: the third first; the short absence is two excused days, below the rule.
        for day, marks in (
            (third, {long: "absent_excused", short: "absent_excused"}),
            (first, {long: "absent_excused", short: "absent_unexcused"}),
            (second, {long: "absent_excused", short: "absent_excused"}),
        ):
            await push(http, ingest, token, day, marks)

        (reviews,) = await eventually(lambda: _reviews(stack, {long, short}, absences=6))
        assert [
            (e.student_id, e.run_start, e.raised_on, e.consecutive_excused_days, e.threshold, e.reasons, e.groups)
            for e in reviews
        ] == [(long, first, third, 3, 3, ("病假",), ("left_behind",))], (
            "three excused days reach the county's review; two excused after an unexcused one do not"
        )

        await push(http, ingest, token, fourth, {long: "absent_excused", short: "present"})
        (again,) = await eventually(lambda: _reviews(stack, {long, short}, absences=7))
        assert [e.review_id for e in again] == [reviews[0].review_id], "a run that grows raises no second review"
    span = "SELECT run_end FROM verification.reviews WHERE student_id = $1"
    assert await scalar(stack.database_url, span, long) == fourth, "the review spans the grown run"


async def test_excused_days_before_their_calendar_are_reviewed_when_it_arrives(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county, school = "150121", "1501210001"  # 土默特左旗: no other test's county, no calendar for 2034
    student = f"L{uuid.uuid4().int % 10**15:015d}"
    # Thursday, Friday and the Monday after, in a school year no test calendar spans.
    absent = [date(2034, 9, 7), date(2034, 9, 8), date(2034, 9, 11)]
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.put(f"{services['verification'].url}/v1/regions/{county}/rules", headers=admin, json={REVIEW: 3})
        assert r.status_code == 200, r.text
    absences = [
        Envelope.wrap(
            AbsenceRecorded(
                student_id=student, school_code=school, date=day, status="absent_excused", batch_id=uuid.uuid4()
            ),
            producer="attendance-ingest",
            region=county,
            occurred_at=datetime.combine(day, datetime.min.time(), UTC),
        )
        for day in absent
    ]
    waiting = "SELECT count(*) FROM verification.pending_absences WHERE student_id = $1"
    reviewed = "SELECT count(*) FROM verification.reviews WHERE student_id = $1"
    producer = make_producer(stack.settings(), client_id="review-test")
    await producer.start()
    try:
        await produce(producer, ATTENDANCE, absences)
        await eventually(lambda: _at_least(stack.database_url, waiting, student, 3))
        assert await scalar(stack.database_url, reviewed, student) == 0, "no calendar yet: nothing judged"
        term = TermPayload(name="秋季学期", start=date(2034, 9, 4), end=date(2035, 1, 19))
        calendar = CalendarPublished(region_code=county, school_year="2034-2035", terms=(term,))
        now = datetime.now(UTC)
        wrapped = Envelope.wrap(calendar, producer="attendance-ingest", region=county, occurred_at=now, recorded_at=now)
        await produce(producer, REFERENCE, [wrapped])
    finally:
        await producer.stop()

    async def judged() -> bool:
        return int(await scalar(stack.database_url, waiting, student)) == 0 and await verification_published(
            stack.database_url
        )

    await eventually(judged)
    found = await events_on(stack.bootstrap, DETECTION, "ReviewRaised", {student})
    assert [(e.run_start, e.raised_on, e.consecutive_excused_days) for e in found] == [(absent[0], absent[-1], 3)]


async def _reviews(stack: Stack, students: set[str], *, absences: int) -> tuple[list[Any]] | None:
    """The ReviewRaised events of the pupils, once verification stored the absences and published its outbox."""
    if not await _at_least(stack.database_url, ABSENCES, sorted(students), absences):
        return None
    if not await verification_published(stack.database_url):
        return None
    return (await events_on(stack.bootstrap, DETECTION, "ReviewRaised", students),)


async def _at_least(database_url: str, query: str, arg: object, n: int) -> bool:
    return int(await scalar(database_url, query, arg)) >= n

"""Daily attendance as API.md says, against the running service: rejections, corrections, repeats, calendars."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id, student_id

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.support import school_events, school_year_of

pytestmark = pytest.mark.integration


def pupil(county: str, seq: int) -> dict[str, Any]:
    """A valid roll entry of a county."""
    return {
        "student_id": student_id(county, BIRTH, seq),
        "national_id": national_id(county, BIRTH, seq),
        "name": f"学生{seq}",
        "gender": "F" if seq % 2 else "M",
        "birth_date": BIRTH.isoformat(),
        "grade": 5,
        "class": "5-1",
        "hukou_county_code": county,
        "residence_county_code": county,
    }


async def enrol(http: httpx.AsyncClient, stack: Stack, county: str, pupils: int) -> tuple[str, dict[str, str]]:
    """Register the county's school 0001 with a roll of `pupils`; its URL prefix and its own token header."""
    school = f"{county}0001"
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{school}')}"}
    body = {"name": "测试小学", "county_code": county, "kind": "primary"}
    assert (await http.put(f"/v1/schools/{school}", headers=admin, json=body)).status_code == 200
    roster = {"as_of": "2026-09-01", "students": [pupil(county, i) for i in range(1, pupils + 1)]}
    answer = await http.put(f"/v1/schools/{school}/roster", headers=own, json=roster)
    assert answer.status_code == 200, answer.text
    return school, own


async def rows(database_url: str, school: str) -> list[tuple[Any, ...]]:
    """The school's stored marks."""
    conn = await asyncpg.connect(database_url)
    try:
        found = await conn.fetch(
            "SELECT day, student_id, status, reason, note FROM attendance_ingest.attendance"
            " WHERE school_code = $1 ORDER BY day, student_id",
            school,
        )
    finally:
        await conn.close()
    return [tuple(r) for r in found]


class Pushes:
    """One school's attendance pushes and what they leave behind (stored marks, events on the topic)."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack, school: str, headers: dict[str, str]) -> None:
        self.http, self.stack, self.school, self.headers = http, stack, school, headers

    async def post(self, day: date | str, records: list[dict[str, Any]]) -> httpx.Response:
        body = {"date": str(day), "records": records}
        return await self.http.post(f"/v1/schools/{self.school}/attendance", headers=self.headers, json=body)

    async def state(self) -> tuple[list[tuple[Any, ...]], list[Any]]:
        return await rows(self.stack.database_url, self.school), await self.events()

    async def events(self) -> list[Any]:
        return await school_events(self.stack.bootstrap, self.stack.database_url, self.school)

    async def refused(self, day: date | str, records: list[dict[str, Any]], status: int = 422) -> list[Any]:
        """Post, expect a problem with `status`, check nothing changed; the problem's errors."""
        before = await self.state()
        answer = await self.post(day, records)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert await self.state() == before, "a refused push changed something"
        return answer.json().get("errors", [])  # type: ignore[no-any-return]


def mark(county: str, seq: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"student_id": student_id(county, BIRTH, seq), "status": status, **extra}


async def test_a_bad_push_lists_every_bad_record_and_changes_nothing(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county = "110106"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        school, own = await enrol(http, stack, county, 3)
        push = Pushes(http, stack, school, own)
        day = past_school_days(1)[0]
        assert (await push.post(day, [mark(county, 1, "absent_unexcused")])).status_code == 200
        errors = await push.refused(
            day,
            [
                mark(county, 1, "present"),
                mark(county, 9, "present"),  # not on the roll
                mark(county, 1, "late"),  # duplicate
                mark(county, 2, "sleeping"),  # unknown status
                mark(county, 8, "gone"),  # both
                mark(county, 3, "absent_excused", reason="sick"),
            ],
        )
        assert errors == [
            {"loc": ["body", "records", 1, "student_id"], "msg": "not on this school's roll"},
            {"loc": ["body", "records", 2, "student_id"], "msg": "duplicate pupil in this request"},
            {"loc": ["body", "records", 3, "status"], "msg": "unknown status 'sleeping'"},
            {"loc": ["body", "records", 4, "student_id"], "msg": "not on this school's roll"},
            {"loc": ["body", "records", 4, "status"], "msg": "unknown status 'gone'"},
        ]
        tomorrow = date.today() + timedelta(days=2)  # in the future in Beijing too, whatever the hour
        assert await push.refused(tomorrow, [mark(county, 1, "present")]) == [
            {"loc": ["body", "date"], "msg": f"{tomorrow} is in the future"}
        ]
        saturday = day - timedelta(days=(day.weekday() - 5) % 7)
        [weekend] = await push.refused(saturday, [mark(county, 1, "present")])
        assert weekend["loc"] == ["body", "date"] and "weekend" in weekend["msg"], weekend
        unpublished = date(school_year_of(date.today()) - 2, 10, 13)
        [none] = await push.refused(unpublished, [mark(county, 1, "present")])
        assert none["loc"] == ["body", "date"] and "no school calendar" in none["msg"], none


async def test_more_than_10000_records_is_413_before_any_record_is_read(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county = "110106"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=60) as http:
        school, own = await enrol(http, stack, county, 3)
        push = Pushes(http, stack, school, own)
        day = past_school_days(1)[0]
        garbage = [{"student_id": "?", "status": "?"}] * 10_001
        await push.refused(day, garbage, status=413)
        at_the_limit = [mark(county, 1, "present")] * 10_000
        errors = await push.refused(day, at_the_limit, status=422)
        assert len(errors) == 9_999, "10,000 records are read (and here all but one are duplicates)"


async def test_corrections_replace_and_say_so_repeats_and_notes(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county = "110109"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        school, own = await enrol(http, stack, county, 3)
        push = Pushes(http, stack, school, own)
        day1, day2 = past_school_days(2)
        day_one = [mark(county, 1, "absent_unexcused", reason="unknown"), mark(county, 2, "present")]
        answer = await push.post(day1, day_one)
        assert answer.status_code == 200, answer.text
        assert {k: v for k, v in answer.json().items() if k != "batch_id"} == {
            "accepted": 2,
            "absences": 1,
            "corrections": 0,
        }
        stored, events = await push.state()
        assert [type(e).__name__ for e in events] == ["AbsenceRecorded", "AttendanceSubmitted"]

        repeat = await push.post(day1, day_one)
        assert repeat.status_code == 200 and set(repeat.json()) == set(answer.json())
        assert {k: v for k, v in repeat.json().items() if k != "batch_id"} == {
            "accepted": 2,
            "absences": 0,
            "corrections": 0,
        }
        assert await push.state() == (stored, events), "an identical repeat changes nothing, not even a summary"

        fixed = await push.post(day1, [mark(county, 1, "present"), mark(county, 2, "present")])
        assert fixed.json()["corrections"] == 1 and fixed.json()["absences"] == 0
        [presence, summary] = (await push.events())[len(events) :]
        assert type(presence).__name__ == "PresenceRecorded"
        assert (presence.correction, presence.previous_status, presence.status) == (True, "absent_unexcused", "present")
        assert summary.counts == {"present": 2}

        assert (await push.post(day2, [mark(county, 3, "absent_unexcused")])).json()["absences"] == 1
        before = await push.events()
        excused = await push.post(day2, [mark(county, 3, "absent_excused", reason="sick")])
        assert (excused.json()["absences"], excused.json()["corrections"]) == (1, 1)
        [absence, _] = (await push.events())[len(before) :]
        assert type(absence).__name__ == "AbsenceRecorded"
        assert (absence.status, absence.reason, absence.correction, absence.previous_status) == (
            "absent_excused",
            "sick",
            True,
            "absent_unexcused",
        )

        before = await push.events()
        noted = await push.post(day2, [mark(county, 3, "absent_excused", reason="sick", note="发烧, 家长来电")])
        assert (noted.json()["absences"], noted.json()["corrections"]) == (0, 1), "a note-only change is counted"
        kinds = [type(e).__name__ for e in (await push.events())[len(before) :]]
        assert kinds == ["AttendanceSubmitted"], "no absence or presence event for a note"
        assert (day2, student_id(county, BIRTH, 3), "absent_excused", "sick", "发烧, 家长来电") in await rows(
            stack.database_url, school
        )


def calendar(year: int, **overrides: Any) -> dict[str, Any]:
    """A school year `year`-`year+1` with two terms, and the given holidays and make-up days."""
    terms = [
        {"name": "秋季学期", "start": f"{year}-09-01", "end": f"{year + 1}-01-15"},
        {"name": "春季学期", "start": f"{year + 1}-02-20", "end": f"{year + 1}-07-10"},
    ]
    return {"school_year": f"{year}-{year + 1}", "terms": terms, **overrides}


def first(weekday: int, start: date) -> date:
    """The first day on or after `start` falling on `weekday` (Monday = 0)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


async def test_a_county_calendar_overrides_the_national_one_for_holidays_weekends_and_terms(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county = "110107"
    year = school_year_of(date.today()) - 1  # a whole school year in the past
    holiday = first(0, date(year, 10, 5))
    makeup = first(5, date(year, 9, 20))
    sunday = makeup + timedelta(days=1)
    summer = first(0, date(year, 8, 10))  # a school day nationally, before the county's first term
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    body = calendar(year, holidays=[str(holiday)], makeup_days=[str(makeup)])
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        school, own = await enrol(http, stack, county, 2)
        neighbour, neighbour_token = await enrol(http, stack, "110106", 3)
        push = Pushes(http, stack, school, own)
        assert (await push.post(summer, [mark(county, 1, "present")])).status_code == 200, "national: every weekday"
        published = await http.put(f"/v1/regions/{county}/calendar", headers=admin, json=body)
        assert published.status_code == 200, published.text

        for day, words in [(holiday, "holiday"), (sunday, "weekend"), (summer + timedelta(days=1), "outside")]:
            [error] = await push.refused(day, [mark(county, 2, "present")])
            assert error["loc"] == ["body", "date"] and words in error["msg"], (day, error)
        for day in (makeup, holiday + timedelta(days=1), first(2, date(year, 9, 1))):
            answer = await push.post(day, [mark(county, 2, "present")])
            assert answer.status_code == 200, (day, answer.text)
        other = await Pushes(http, stack, neighbour, neighbour_token).post(holiday, [mark("110106", 1, "present")])
        assert other.status_code == 200, "the next county keeps the national calendar"

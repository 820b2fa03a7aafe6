"""Roster sweeps: a transfer never completed and a pupil the attendance never names become roster suspects.

The sweeps run here in a unit of work of verification's own (its tables, its outbox: the running verification
process relays what they emit); `today` is passed in, so moving the date is passing a later one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.uow import UnitOfWorkFactory
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import AttendanceSubmitted, StudentEnrolled
from baoxue_contracts.topics import ATTENDANCE, DETECTION, ROSTER, VERIFICATION
from verification.adapters import orm
from verification.roster_sweeps import flag_not_attending, flag_stalled_transfers

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, fetch, kid, publish_calendar, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import (
    events_on,
    eventually,
    produce,
    scalar,
    school_events,
    school_year_of,
    topic_events,
)
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll

COUNTY = "620103"  # 七里河区, Lanzhou: no other test's county or city
SCHOOL, RECEIVER = "6201030001", "6201030002"
FLAGGED, CLEARED = "SuspectedDropoutFlagged", "SuspicionCleared"
INBOX = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"


@pytest.fixture
async def uows(stack: Stack) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on verification's schema and outbox."""
    engine = make_engine(stack.database_url, pool_size=2)
    try:
        yield UnitOfWorkFactory(make_sessionmaker(engine), orm.common, producer="verification")
    finally:
        await engine.dispose()


async def sweep(stack: Stack, uows: UnitOfWorkFactory, which: Any, today: date) -> int:
    """Run one sweep over this test's county, commit, and wait until verification's relay published its events."""
    async with uows() as uow:
        opened: int = await which(uow, today, counties={COUNTY})
        await uow.commit()
    await eventually(lambda: verification_published(stack.database_url))
    return opened


async def push(http: httpx.AsyncClient, token: str, day: date, marks: dict[str, str]) -> None:
    """Push (part of) one day's attendance of the school."""
    records = [{"student_id": sid, "status": status} for sid, status in marks.items()]
    r = await http.post(
        f"/v1/schools/{SCHOOL}/attendance", headers=auth(token), json={"date": day.isoformat(), "records": records}
    )
    assert r.status_code == 200, r.text


async def test_a_stalled_transfer_and_a_pupil_never_named_are_flagged_and_cleared_by_the_schools_data(
    stack: Stack, services: dict[str, ServiceProcess], uows: UnitOfWorkFactory
) -> None:
    named = [kid(COUNTY, 1), kid(COUNTY, 2)]
    ghost, mover = kid(COUNTY, 3), kid(COUNTY, 4)
    ids = {p["student_id"]: p for p in (*named, ghost, mover)}
    a, b, g, m = (p["student_id"] for p in (*named, ghost, mover))
    today = date.today()
    days = past_school_days(3)
    admin, token = stack.token("admin"), stack.token(f"school:{SCHOOL}")
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, admin, SCHOOL, COUNTY)
        await register(http, admin, RECEIVER, COUNTY)
        year = school_year_of(today)
        for first in (year - 1, year):  # every weekday teaches
            await publish_calendar(
                http, admin, COUNTY, f"{first}-{first + 1}", [(f"{first}-08-01", f"{first + 1}-08-31")]
            )
        await put_roll(http, stack, SCHOOL, today - timedelta(days=40), [*named, ghost, mover])
        # The first day comes in two pushes: the first names only one pupil.
        await push(http, token, days[0], {a: "present"})
        await push(http, token, days[0], {b: "absent_excused", m: "present"})
        for day in days[1:]:
            await push(http, token, day, {a: "present", b: "present", m: "late"})
        r = await http.post(
            f"/v1/schools/{SCHOOL}/transfers",
            headers=auth(token),
            json={"student_id": m, "to_school_code": RECEIVER, "date": days[-1].isoformat()},
        )
        assert r.status_code == 201, r.text

    # Attendance-ingest names who each day's records left out: the ghost, once the day is complete.
    events = await school_events(stack.bootstrap, stack.database_url, SCHOOL)
    submitted = [e for e in events if type(e).__name__ == "AttendanceSubmitted"]
    assert [(s.date, s.unrecorded) for s in submitted] == [
        (days[0], tuple(sorted([b, g, m]))),
        (days[0], (g,)),
        *((day, (g,)) for day in days[1:]),
    ]

    async def verification_caught_up() -> bool:
        transfers = "SELECT count(*) FROM verification.transfers WHERE student_id = $1"
        last = "SELECT last_recorded_on FROM verification.pupils WHERE student_id = $1"
        calendars = "SELECT count(*) FROM verification.calendars WHERE region_code = $1"
        return (
            await scalar(stack.database_url, transfers, m) == 1
            and await scalar(stack.database_url, last, m) == days[-1]
            and await scalar(stack.database_url, calendars, COUNTY) == 2
        )

    await eventually(verification_caught_up)
    roll = "SELECT enrolled_on, left_on, last_recorded_on FROM verification.pupils WHERE student_id = $1"
    rolls = {sid: await fetch_row(stack.database_url, roll, sid) for sid in ids}
    assert rolls[g] == (today - timedelta(days=40), None, None), "the ghost is on the roll, never named"
    assert rolls[b] == (today - timedelta(days=40), None, days[-1]), "an excused absence names the pupil too"

    # Not attending: only the pupil no day has named for 10 school days; a second run opens nothing new.
    assert await sweep(stack, uows, flag_not_attending, today) == 1
    assert await sweep(stack, uows, flag_not_attending, today) == 0
    [flag] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, set(ids)))
    assert (flag.student_id, flag.source, flag.reason) == (g, "roster", "not_attending")
    assert (flag.county_code, flag.school_code, flag.flagged_on) == (COUNTY, SCHOOL, today)

    # The transfer is not late today; 40 days on, 20 school days have passed: the sending school's suspect.
    assert await sweep(stack, uows, flag_stalled_transfers, today) == 0
    later = today + timedelta(days=40)
    assert await sweep(stack, uows, flag_stalled_transfers, later) == 1
    assert await sweep(stack, uows, flag_stalled_transfers, later) == 0
    [late] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, {m}))
    assert (late.source, late.reason, late.county_code, late.school_code) == (
        "roster",
        "transfer_not_completed",
        COUNTY,
        SCHOOL,
    )
    assert late.flagged_on == later

    # The receiving school's roll completes the transfer; the school's attendance names the ghost after all.
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        # First a new roll of the school that changes a pupil's class: a StudentUpdated keeps the roll dates.
        moved_class = {**named[0], "class": "5-3"}
        await put_roll(http, stack, SCHOOL, today - timedelta(days=2), [moved_class, named[1], ghost, mover])
        await eventually(lambda: _updated(stack, a))
        assert await fetch_row(stack.database_url, roll, a) == (today - timedelta(days=40), None, days[-1])
        await put_roll(http, stack, RECEIVER, today - timedelta(days=1), [mover])
        await push(http, token, days[-1], {g: "present"})

    cleared = await eventually(lambda: _two(events_on(stack.bootstrap, VERIFICATION, CLEARED, {g, m})))
    reasons = {c.student_id: (c.suspicion_id, c.source, c.reason) for c in cleared}
    assert reasons == {
        m: (late.suspicion_id, "roster", "transferred"),
        g: (flag.suspicion_id, "roster", "attendance_corrected"),
    }
    assert len(await events_on(stack.bootstrap, DETECTION, FLAGGED, set(ids))) == 2, "nothing else flagged"
    # The ghost's gap is closed and the mover is on a new roll: sweeping again flags nobody.
    assert await sweep(stack, uows, flag_not_attending, today) == 0
    assert await sweep(stack, uows, flag_stalled_transfers, later) == 0


async def _two(found: Any) -> list[Any] | None:
    events = await found
    return events if len(events) >= 2 else None


async def fetch_row(database_url: str, query: str, *args: object) -> tuple[Any, ...]:
    """One row of one query, as a tuple."""
    [row] = await fetch(database_url, query, *args)
    return tuple(row)


async def _updated(stack: Stack, student_id: str) -> bool:
    """Whether verification has applied the pupil's StudentUpdated."""
    keep = lambda e: e.event_type == "StudentUpdated" and e.subject_id == student_id  # noqa: E731
    found = await topic_events(stack.bootstrap, ROSTER, keep)
    query = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"
    return bool(found) and bool(await scalar(stack.database_url, query, found[0][0].event_id))


async def test_a_pupil_whose_enrolment_arrives_after_the_days_attendance_is_credited_with_it(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """roster.v1 and attendance.v1 have no order: a day's attendance that reached verification before the pupil's
    enrolment still counts as naming the pupil; one the day did not name (unrecorded) is not credited."""
    school, county = "6201020001", "620102"  # 城关区, Lanzhou: no other test's county
    named_day = date.today() - timedelta(days=7)
    enrolled_on = named_day - timedelta(days=14)
    producer = make_producer(stack.settings(), client_id="roster-order-test")
    await producer.start()
    try:
        submitted = AttendanceSubmitted(
            school_code=school,
            date=named_day,
            batch_id=uuid.uuid4(),
            counts={"present": 1, "absent_unexcused": 0},
            total=2,
            unrecorded=("L6201020000002",),
        )
        day_at = datetime.combine(named_day, time(9), tzinfo=UTC)
        first = Envelope.wrap(submitted, producer="attendance-ingest", region=county, occurred_at=day_at)
        await produce(producer, ATTENDANCE, [first])
        await eventually(lambda: scalar(stack.database_url, INBOX, first.event_id))

        def enrolled(student_id: str) -> Envelope:
            record = StudentEnrolled(
                student_id=student_id,
                school_code=school,
                name="迟到的学籍",
                gender="F",
                birth_date=date(2015, 3, 1),
                grade=5,
                class_name="1",
                hukou_county_code=county,
                residence_county_code=county,
                national_id_hash="0" * 64,
                enrolled_on=enrolled_on,
            )
            at = datetime.combine(enrolled_on, time(9), tzinfo=UTC)
            return Envelope.wrap(record, producer="attendance-ingest", region=county, occurred_at=at)

        later = [enrolled("L6201020000001"), enrolled("L6201020000002")]
        await produce(producer, ROSTER, later)
        await eventually(lambda: scalar(stack.database_url, INBOX, later[-1].event_id))
    finally:
        await producer.stop()
    seen = "SELECT last_recorded_on FROM verification.pupils WHERE student_id = $1"
    assert await scalar(stack.database_url, seen, "L6201020000001") == named_day, "credited with the earlier day"
    assert await scalar(stack.database_url, seen, "L6201020000002") is None, "the day did not name this pupil"

"""Verification reacts to attendance: early warnings at the home-visit threshold, suspects at the next.

Streaks count school days of the pupil's county, from the calendars verification learns through
CalendarPublished. That event and the absences travel on different topics in no order, so an unexcused
absence whose day no known calendar spans is kept and judged when a covering calendar arrives (never
by holding up the attendance partition, which the same consumer must get past to read the calendar).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from baoxue_common.calendar import Calendar, SchoolDays, Term
from baoxue_common.calendar_store import save_calendar, school_days
from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    CalendarPublished,
    PresenceRecorded,
    StudentEnrolled,
    StudentUpdated,
)
from baoxue_contracts.events.verification import EarlyWarningRaised, SuspectedDropoutFlagged

from verification.adapters import repository as repo
from verification.adapters.orm import calendars
from verification.domain.rules import effective_rules
from verification.domain.streaks import can_judge, streak_ending


async def remember_pupil(event: StudentEnrolled | StudentUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the pupil's school, county and priority groups for the flags raised later."""
    await repo.remember_pupil(uow.session, event.student_id, event.school_code, envelope.region, list(event.groups))


async def absence_recorded(event: AbsenceRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """Store the absence and check the pupil's streak, or keep it for later if no calendar spans its day yet."""
    await repo.set_absence(uow.session, event.student_id, event.date, event.status)
    if event.status != "absent_unexcused":
        return
    days = await school_days(uow.session, calendars, envelope.region)
    if not can_judge(days, event.date):
        await repo.hold_absence(uow.session, event.student_id, event.date, envelope.region, event.school_code)
        return
    await judge(uow, event.student_id, event.school_code, envelope.region, event.date, days)


async def presence_recorded(event: PresenceRecorded, _: Envelope, uow: UnitOfWork) -> None:
    """A present day ends the pupil's streak."""
    await repo.set_absence(uow.session, event.student_id, event.date, None)


async def calendar_published(event: CalendarPublished, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the calendar (never replacing a newer one) and judge the absences that waited for it."""
    terms = tuple(Term(t.name, t.start, t.end) for t in event.terms)
    calendar = Calendar(
        event.region_code, event.school_year, terms, frozenset(event.holidays), frozenset(event.makeup_days)
    )
    if not await save_calendar(uow.session, calendars, calendar, published_at=envelope.recorded_at):
        return
    known: dict[str, SchoolDays] = {}
    for student_id, day, county, school_code in await repo.pending_under(uow.session, event.region_code):
        if county not in known:
            known[county] = await school_days(uow.session, calendars, county)
        if can_judge(known[county], day):
            await repo.release_absence(uow.session, student_id, day)
            await judge(uow, student_id, school_code, county, day, known[county])


async def judge(uow: UnitOfWork, student_id: str, school_code: str, county: str, day: date, days: SchoolDays) -> None:
    """Check the streak of unexcused school days ending on `day` against the county's thresholds."""
    rules, _ = effective_rules(county, {})
    streak = streak_ending(await repo.unexcused_days(uow.session, student_id, day), day, days)
    if len(streak) < rules.home_visit_after_consecutive_unexcused:
        return
    groups = await repo.pupil_groups(uow.session, student_id)
    at = datetime.combine(day, time(12, 0), tzinfo=UTC)
    where: dict[str, Any] = {"region": county, "occurred_at": at, "school_code": school_code, "subject_id": student_id}
    warning_id = await repo.add_warning(uow.session, student_id, streak[0], day)
    if warning_id is not None:
        warning = EarlyWarningRaised(
            warning_id=warning_id,
            student_id=student_id,
            school_code=school_code,
            county_code=county,
            raised_on=day,
            consecutive_unexcused_days=len(streak),
            threshold=rules.home_visit_after_consecutive_unexcused,
            groups=groups,
        )
        uow.emit(warning, **where)
    if len(streak) < rules.suspect_after_consecutive_unexcused:
        return
    suspicion = {
        "suspicion_id": uuid.uuid4(),
        "source": "attendance",
        "county_code": county,
        "school_code": school_code,
        "student_id": student_id,
        "flagged_on": day,
        "reason": f"{len(streak)} consecutive school days of unexcused absence since {streak[0]}",
    }
    if await repo.open_suspicion(uow.session, suspicion):
        flagged = SuspectedDropoutFlagged(**suspicion, consecutive_unexcused_days=len(streak), groups=groups)
        uow.emit(flagged, **where)


EVENT_HANDLERS: EventHandlers = {
    StudentEnrolled: [remember_pupil],
    StudentUpdated: [remember_pupil],
    AbsenceRecorded: [absence_recorded],
    PresenceRecorded: [presence_recorded],
    CalendarPublished: [calendar_published],
}

"""Verification reacts to attendance: early warnings at the home-visit threshold, suspects at the next.

Each absence is judged by the whole run of unexcused school days containing it (see domain.streaks), so days
may arrive in any order; a warning covers its run however it grows. A correction that leaves an open
attendance suspicion without grounds ends it (SuspicionCleared, attendance_corrected).

Streaks count school days of the pupil's county, from the calendars verification learns through
CalendarPublished. That event and the absences travel on different topics in no order, so an
absence whose day no known calendar spans is kept and judged when a covering calendar arrives (never
by holding up the attendance partition, which the same consumer must get past to read the calendar).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from baoxue_common.calendar import Calendar, SchoolDays, Term
from baoxue_common.calendar_store import save_calendar, school_days
from baoxue_common.consumer import EventHandlers, batched
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    AttendanceSubmitted,
    CalendarPublished,
    PresenceRecorded,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
    TransferCompleted,
    TransferRequested,
)
from baoxue_contracts.events.ledger import CaseClosed, CaseReopened, ReturnConfirmed
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    EarlyWarningRaised,
    SuspectedDropoutFlagged,
    SuspicionCleared,
    VerificationAssigned,
)

from verification import national
from verification.absence_batch import write_absences
from verification.adapters import repository as repo
from verification.adapters.orm import calendars
from verification.adapters.rules_repository import rules_of
from verification.domain.standing import Standing, reissued
from verification.domain.streaks import assess, can_judge, still_grounded
from verification.field_findings import pupil_hash_seen
from verification.reviews import review_excused_run
from verification.roster_gaps import student_enrolled, student_left
from verification.roster_records import (
    arrived_by_transfer,
    attendance_submitted,
    pupil_left,
    pupil_on_roll,
    transfer_completed,
    transfer_requested,
)
from verification.suspects import Flag, end, flag, holding


async def remember_pupil(event: StudentEnrolled | StudentUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the pupil's school, county, groups and poverty household; re-issue open flags that carried others.

    roster.v1 and attendance.v1 arrive in no order, so a flag raised before the pupil's StudentEnrolled carries no
    groups. When the roll's event arrives, or a StudentUpdated changes them, every open suspicion of the pupil
    whose stored groups or poverty household differ is updated and its SuspectedDropoutFlagged emitted again with
    the same suspicion_id, source, reason, flagged_on, county and school (the ledger takes a known suspicion_id
    as an update). A repeat that changes neither emits nothing.
    """
    known = Standing.of(event.groups, event.poverty_household)
    enrolled_on = (event.enrolled_on or envelope.occurred_at.date()) if isinstance(event, StudentEnrolled) else None
    await repo.remember_pupil(uow.session, event.student_id, event.school_code, envelope.region, known, enrolled_on)
    reissued_for: set[uuid.UUID] = set()
    for row in await repo.open_suspicions_of(uow.session, event.student_id):
        fields = reissued(flag_of(row), Standing.of(row.groups, row.poverty_household), known)
        if fields is None:
            continue
        await repo.set_suspicion_standing(uow.session, row.suspicion_id, known)
        if fields["suspicion_id"] in reissued_for:
            continue  # one re-issue per suspect, whichever of its sources' rows changed
        reissued_for.add(fields["suspicion_id"])
        fields["sources"] = await holding(uow, fields["suspicion_id"])
        # Never dated before the flag it updates, though the roll's event may have happened earlier.
        at = max(datetime.combine(row.flagged_on, time(12, 0), tzinfo=UTC), envelope.occurred_at)
        where = {"region": row.county_code, "school_code": row.school_code, "subject_id": event.student_id}
        uow.emit(SuspectedDropoutFlagged(**fields), occurred_at=at, **where)


def flag_of(row: Any) -> dict[str, Any]:
    """The fields of the SuspectedDropoutFlagged a stored suspicion was raised with, its standing aside."""
    names = ("source", "county_code", "school_code", "student_id", "flagged_on", "reason")
    counts = ("consecutive_unexcused_days", "cumulative_unexcused_days")
    # The bus knows the suspect's id only: the flag of a source's row is re-issued under it.
    return {"suspicion_id": row.suspect_id or row.suspicion_id} | {name: getattr(row, name) for name in names + counts}


async def absence_recorded(event: AbsenceRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """Store the absence and judge the run around it, or keep it for later if no calendar spans its day yet.

    An excused absence is judged too: it may bridge two runs. One that corrects an unexcused day may end the
    suspicion that day grounded.
    """
    await repo.set_absence(uow.session, event.student_id, event.date, event.status, event.reason)
    if event.status not in ("absent_unexcused", "absent_excused"):
        return
    days = await school_days(uow.session, calendars, envelope.region)
    if not can_judge(days, event.date):
        # Excused days wait too: they may bridge a run, or make a long excused run that needs a review.
        await repo.hold_absence(uow.session, event.student_id, event.date, envelope.region, event.school_code)
        return
    if event.correction:
        await retract(uow, event.student_id, envelope, event.date, days)
    await judge(uow, event.student_id, event.school_code, envelope.region, event.date, days)


async def presence_recorded(event: PresenceRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """A present day breaks the pupil's run; a correction may end the suspicion it grounded."""
    await repo.set_absence(uow.session, event.student_id, event.date, None)
    if event.correction:
        await repo.release_absence(uow.session, event.student_id, event.date)
        days = await school_days(uow.session, calendars, envelope.region)
        await retract(uow, event.student_id, envelope, event.date, days)


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
    """Judge the whole run of unexcused school days containing `day`, and the term's total, against the thresholds."""
    rules = await rules_of(uow.session, county)
    unexcused, excused = await repo.absence_days(uow.session, student_id)
    await review_excused_run(uow, student_id, school_code, county, day, days, rules, excused)
    found = assess(day, unexcused, excused, days, rules)
    if not found.warn and found.suspect_by is None:
        return
    standing = await repo.pupil_standing(uow.session, student_id)
    last = found.run[-1] if found.run else day
    at = datetime.combine(last, time(12, 0), tzinfo=UTC)
    where: dict[str, Any] = {"region": county, "occurred_at": at, "school_code": school_code, "subject_id": student_id}
    if found.warn and (warning_id := await repo.add_warning(uow.session, student_id, (found.run[0], last), last)):
        warning = EarlyWarningRaised(
            warning_id=warning_id,
            student_id=student_id,
            school_code=school_code,
            county_code=county,
            raised_on=last,
            consecutive_unexcused_days=len(found.run),
            threshold=rules.home_visit_after_consecutive_unexcused,
            groups=standing.groups,
        )
        uow.emit(warning, **where)
    if found.suspect_reason is None or found.grounds is None:
        return
    if await repo.episode_verified(uow.session, student_id, found.grounds):
        return  # a verification already confirmed or cleared this episode: it is not flagged again
    suspect = Flag(
        source="attendance",
        county_code=county,
        flagged_on=last,
        reason=found.suspect_reason,
        school_code=school_code,
        student_id=student_id,
        groups=standing.groups,
        poverty_household=standing.poverty_household,
        consecutive_unexcused_days=len(found.run) or None,
        cumulative_unexcused_days=len(found.in_term) or None,
        grounds=found.grounds,
    )
    await flag(uow, suspect, at)


async def retract(uow: UnitOfWork, student_id: str, envelope: Envelope, day: date, days: SchoolDays) -> None:
    """End the pupil's open attendance suspicion if a corrected day leaves its grounds short of both thresholds."""
    open_one = await repo.open_attendance_suspicion(uow.session, student_id)
    if open_one is None or not open_one.grounds_start <= day <= open_one.grounds_end or not can_judge(days, day):
        return
    rules = await rules_of(uow.session, envelope.region)
    unexcused, excused = await repo.absence_days(uow.session, student_id)
    if still_grounded((open_one.grounds_start, open_one.grounds_end), unexcused, excused, days, rules):
        return
    note = f"the school corrected {day}: the unexcused absences left no longer meet a threshold"
    await end(uow, open_one, "attendance_corrected", envelope.recorded_at.date(), note, envelope.recorded_at)


EVENT_HANDLERS: EventHandlers = {
    # The roster suspicion ends before remember_pupil, which would otherwise re-issue it with the new standing.
    # An enrolment at a transfer's receiving school ends a stalled-transfer suspicion as `transferred` first.
    StudentEnrolled: [
        arrived_by_transfer,
        student_enrolled,
        remember_pupil,
        pupil_on_roll,
        pupil_hash_seen,
        national.pupil_enrolled,
    ],
    StudentLeft: [student_left, pupil_left],
    StudentUpdated: [remember_pupil, pupil_hash_seen],
    # write_absences first: a run's rows in two statements, each event then judged on the days it left.
    # Who a day's attendance named comes with its AttendanceSubmitted (same push, same partition, after these).
    AbsenceRecorded: [batched(write_absences), absence_recorded],
    PresenceRecorded: [batched(write_absences), presence_recorded],
    CalendarPublished: [calendar_published],
    VerificationAssigned: [national.verification_assigned],
    DropoutConfirmed: [national.dropout_confirmed],
    SuspicionCleared: [national.suspicion_cleared],
    ReturnConfirmed: [national.return_confirmed],
    CaseClosed: [national.case_closed],
    CaseReopened: [national.case_reopened],
    TransferRequested: [transfer_requested],
    TransferCompleted: [transfer_completed],
    AttendanceSubmitted: [attendance_submitted],
}

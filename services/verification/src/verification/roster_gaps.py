"""Verification reacts to the roll: an unexplained leave flags a suspect (source roster); a new enrolment ends it."""

from __future__ import annotations

from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import StudentEnrolled, StudentLeft

from verification.adapters import repository as repo
from verification.adapters import roster_repository as roster_repo
from verification.domain.roster_gaps import back_on_a_roll, leave_suspicion_id, unexplained_leave
from verification.domain.standing import Standing
from verification.suspects import Flag, end, flag


async def student_left(event: StudentLeft, envelope: Envelope, uow: UnitOfWork) -> None:
    """Flag a pupil who left a roll unexplained, once per leave, with the groups and poverty the roll last showed."""
    current = await roster_repo.pupil_school(uow.session, event.student_id)
    reason = unexplained_leave(event.reason, event.school_code, event.left_on, current)
    if reason is None:
        return
    # The leave carries the pupil's standing as the roll last showed it; verification's copy may be older.
    standing = Standing.of(event.groups, event.poverty_household)
    if not standing.groups and not standing.poverty_household:
        standing = await repo.pupil_standing(uow.session, event.student_id)
    found = Flag(
        source="roster",
        county_code=envelope.region,
        flagged_on=event.left_on,
        reason=reason,
        school_code=event.school_code,
        student_id=event.student_id,
        groups=standing.groups,
        poverty_household=standing.poverty_household,
        suspicion_id=leave_suspicion_id(event.student_id, event.school_code, event.left_on),
    )
    await flag(uow, found, envelope.occurred_at)


async def student_enrolled(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """End the pupil's open roster suspicion: a roll shows the child again, here or at another school."""
    open_one = await roster_repo.open_roster_suspicion_of(uow.session, event.student_id)
    if open_one is None:
        return
    reason = back_on_a_roll(open_one.school_code, event.school_code, open_one.flagged_on, event.enrolled_on)
    if reason is None:
        return
    on = event.enrolled_on or envelope.occurred_at.date()
    note = f"on the roll of school {event.school_code} as of {on}"
    await end(uow, open_one, reason, max(on, open_one.flagged_on), note, envelope.occurred_at)

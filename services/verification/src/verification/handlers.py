"""Verification reacts to attendance: early warnings at the home-visit threshold, suspects at the next."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import AbsenceRecorded, PresenceRecorded, StudentEnrolled, StudentUpdated
from baoxue_contracts.events.verification import EarlyWarningRaised, SuspectedDropoutFlagged

from verification.adapters import repository as repo
from verification.domain.rules import effective_rules
from verification.domain.streaks import streak_ending, weekdays


async def remember_pupil(event: StudentEnrolled | StudentUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the pupil's school, county and priority groups for the flags raised later."""
    await repo.remember_pupil(uow.session, event.student_id, event.school_code, envelope.region, list(event.groups))


async def absence_recorded(event: AbsenceRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """Store the absence and check the pupil's streak against the region's thresholds."""
    await repo.set_absence(uow.session, event.student_id, event.date, event.status)
    if event.status != "absent_unexcused":
        return
    rules, _ = effective_rules(envelope.region, {})
    streak = streak_ending(await repo.unexcused_days(uow.session, event.student_id, event.date), event.date, weekdays)
    if len(streak) < rules.home_visit_after_consecutive_unexcused:
        return
    groups = await repo.pupil_groups(uow.session, event.student_id)
    at = datetime.combine(event.date, time(12, 0), tzinfo=UTC)
    where: dict[str, Any] = {
        "region": envelope.region,
        "occurred_at": at,
        "school_code": event.school_code,
        "subject_id": event.student_id,
    }
    warning_id = await repo.add_warning(uow.session, event.student_id, streak[0], event.date)
    if warning_id is not None:
        warning = EarlyWarningRaised(
            warning_id=warning_id,
            student_id=event.student_id,
            school_code=event.school_code,
            county_code=envelope.region,
            raised_on=event.date,
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
        "county_code": envelope.region,
        "school_code": event.school_code,
        "student_id": event.student_id,
        "flagged_on": event.date,
        "reason": f"{len(streak)} consecutive school days of unexcused absence since {streak[0]}",
    }
    if await repo.open_suspicion(uow.session, suspicion):
        flagged = SuspectedDropoutFlagged(**suspicion, consecutive_unexcused_days=len(streak), groups=groups)
        uow.emit(flagged, **where)


async def presence_recorded(event: PresenceRecorded, _: Envelope, uow: UnitOfWork) -> None:
    """A present day ends the pupil's streak."""
    await repo.set_absence(uow.session, event.student_id, event.date, None)


EVENT_HANDLERS: EventHandlers = {
    StudentEnrolled: [remember_pupil],
    StudentUpdated: [remember_pupil],
    AbsenceRecorded: [absence_recorded],
    PresenceRecorded: [presence_recorded],
}

"""Every event about a child, from every service, goes onto its timeline (one line per event id)."""

from __future__ import annotations

from collections.abc import Sequence

from baoxue_common.consumer import EventHandlers, batched
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    PresenceRecorded,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
    TransferCompleted,
    TransferRequested,
)
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    EarlyWarningRaised,
    HouseholdRegisterChanged,
    ReviewRaised,
    SuspectedDropoutFlagged,
    SuspicionCleared,
    VerificationAssigned,
    VerificationOverdue,
)

from ledger.adapters import history
from ledger.adapters import timeline_repository as repo
from ledger.domain.timeline import household_lines, line_of


async def add_line(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    """Note the event on its child's timeline; a suspicion's event without a pupil takes its suspect's keys."""
    student_id = national_id_hash = None
    suspicion_id = getattr(event, "suspicion_id", None)
    if suspicion_id is not None and not getattr(event, "student_id", None):
        student_id, national_id_hash = await repo.suspect_keys(uow.session, suspicion_id)
    line = line_of(event, envelope, student_id, national_id_hash)
    if line is not None:  # a child no key names (a suspect not seen yet, with neither) has no timeline
        await history.note(uow.session, **line.values())


async def add_attendance_lines(batch: Sequence[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
    """A poll's absences or presences in one statement: attendance comes by the thousand per second."""
    lines = [line.values() for event, envelope in batch if (line := line_of(event, envelope)) is not None]
    await repo.add_lines(uow.session, lines)


async def add_household_lines(batch: Sequence[tuple[HouseholdRegisterChanged, Envelope]], uow: UnitOfWork) -> None:
    """A line per child a household-register change names, a poll's worth in one statement."""
    await repo.add_lines(
        uow.session, [line.values() for event, envelope in batch for line in household_lines(event, envelope)]
    )


HANDLERS: EventHandlers = {
    StudentEnrolled: [add_line],
    StudentUpdated: [add_line],
    StudentLeft: [add_line],
    TransferRequested: [add_line],
    TransferCompleted: [add_line],
    AbsenceRecorded: [batched(add_attendance_lines)],
    PresenceRecorded: [batched(add_attendance_lines)],
    EarlyWarningRaised: [add_line],
    SuspectedDropoutFlagged: [add_line],
    ReviewRaised: [add_line],
    VerificationAssigned: [add_line],
    VerificationOverdue: [add_line],
    DropoutConfirmed: [add_line],
    SuspicionCleared: [add_line],
    HouseholdRegisterChanged: [batched(add_household_lines)],
}

"""Every event about a child, from every service, goes onto its timeline (one line per event id)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

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

from ledger.adapters import timeline_repository as repo
from ledger.domain.timeline import household_lines, line_of


def _unnamed_suspicion(event: Event) -> UUID | None:
    """The suspicion of an event that names no pupil (its child is known by its suspect), else None."""
    suspicion_id: UUID | None = getattr(event, "suspicion_id", None)
    return suspicion_id if suspicion_id is not None and not getattr(event, "student_id", None) else None


async def add_lines(batch: Sequence[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
    """A poll's events of one type on their children's timelines, in one statement (attendance comes by the
    thousand per second); a suspicion's event without a pupil takes its suspect's keys."""
    unnamed = {s for event, _ in batch if (s := _unnamed_suspicion(event)) is not None}
    keys = await repo.suspect_keys(uow.session, unnamed)
    lines = []
    for event, envelope in batch:
        suspicion_id = _unnamed_suspicion(event)
        student_id, national_id_hash = keys.get(suspicion_id, (None, None)) if suspicion_id else (None, None)
        # A child no key names (a suspect not seen yet, with neither) has no timeline.
        if (line := line_of(event, envelope, student_id, national_id_hash)) is not None:
            lines.append(line.values())
    await repo.add_lines(uow.session, lines)


async def add_household_lines(batch: Sequence[tuple[HouseholdRegisterChanged, Envelope]], uow: UnitOfWork) -> None:
    """A line per child a household-register change names, a poll's worth in one statement."""
    await repo.add_lines(
        uow.session, [line.values() for event, envelope in batch for line in household_lines(event, envelope)]
    )


LINES = batched(add_lines)
HANDLERS: EventHandlers = {
    StudentEnrolled: [LINES],
    StudentUpdated: [LINES],
    StudentLeft: [LINES],
    TransferRequested: [LINES],
    TransferCompleted: [LINES],
    AbsenceRecorded: [LINES],
    PresenceRecorded: [LINES],
    EarlyWarningRaised: [LINES],
    SuspectedDropoutFlagged: [LINES],
    ReviewRaised: [LINES],
    VerificationAssigned: [LINES],
    VerificationOverdue: [LINES],
    DropoutConfirmed: [LINES],
    SuspicionCleared: [LINES],
    HouseholdRegisterChanged: [batched(add_household_lines)],
}

"""A poll's absences and presences written together before each event is judged (see repository.write_absences)."""

from __future__ import annotations

from collections.abc import Sequence

from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import AbsenceRecorded, PresenceRecorded

from verification.adapters import repository as repo


async def write_absences(batch: Sequence[tuple[AbsenceRecorded | PresenceRecorded, Envelope]], uow: UnitOfWork) -> None:
    """One statement for the run's absence rows and one read of its pupils' days, for the handlers after it."""
    changes: list[repo.AbsenceChange] = [
        (event.student_id, event.date, event.status, event.reason)
        if isinstance(event, AbsenceRecorded)
        else (event.student_id, event.date, None, None)
        for event, _ in batch
    ]
    await repo.write_absences(uow.session, changes)

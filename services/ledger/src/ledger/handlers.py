"""Ledger reacts to suspects: each enters the county's suspected ledger (疑似辍学学生台账) once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.ledger import LedgerEntryChanged
from baoxue_contracts.events.verification import SuspectedDropoutFlagged

from ledger.adapters import repository as repo
from ledger.domain.ledgers import PENDING


async def suspect_flagged(event: SuspectedDropoutFlagged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Enter the suspect in the county's suspected ledger and tell reporting."""
    entry_id = uuid.uuid4()
    row = {
        "entry_id": entry_id,
        "suspicion_id": event.suspicion_id,
        "county_code": event.county_code,
        "school_code": event.school_code,
        "student_id": event.student_id,
        "source": event.source,
        "status": PENDING,
        "reason": event.reason,
        "groups": list(event.groups),
        "flagged_on": event.flagged_on,
    }
    if not await repo.add_suspect(uow.session, row):
        return
    changed = LedgerEntryChanged(
        ledger="suspected",
        entry_id=entry_id,
        change="added",
        county_code=event.county_code,
        school_code=event.school_code,
        student_id=event.student_id,
        status=PENDING,
        source=event.source,
        groups=event.groups,
        changed_on=event.flagged_on,
    )
    uow.emit(
        changed,
        region=event.county_code,
        occurred_at=datetime.combine(event.flagged_on, time(12, 0), tzinfo=UTC),
        school_code=event.school_code,
        subject_id=event.student_id,
    )


EVENT_HANDLERS: EventHandlers = {SuspectedDropoutFlagged: [suspect_flagged]}

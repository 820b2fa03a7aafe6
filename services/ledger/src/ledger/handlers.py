"""Ledger follows verification: each suspect enters the county's suspected ledger (疑似辍学学生台账) once,
a repeated flag updates its groups and poverty, and a cleared suspicion leaves the open suspects."""

from __future__ import annotations

import uuid
from typing import Any

from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events.verification import SuspectedDropoutFlagged, SuspicionCleared

from ledger import case_lifecycle, school_age, timeline_feed
from ledger.adapters import repository as repo
from ledger.changes import record_change
from ledger.domain.ledgers import (
    CLEARED,
    PENDING,
    STAND_IN_REASON,
    VERIFYING,
    can_clear,
    group_list,
    profile_changes,
)


async def suspect_flagged(event: SuspectedDropoutFlagged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Enter a new suspect; for a known suspicion, take its new groups or poverty flag if they differ."""
    row = {
        "entry_id": uuid.uuid4(),
        "suspicion_id": event.suspicion_id,
        "county_code": event.county_code,
        "school_code": event.school_code,
        "student_id": event.student_id,
        "source": event.source,
        "status": PENDING,
        "reason": event.reason,
        "groups": group_list(event.groups),
        "poverty_household": event.poverty_household,
        "flagged_on": event.flagged_on,
        "national_id_hash": event.national_id_hash,
        "sources": list(event.sources),
    }
    await repo.lock_suspicion(uow.session, event.suspicion_id)
    if early := await repo.take_early_clearing(uow.session, event.suspicion_id):
        row |= {"status": CLEARED, **early}  # its clearing came first: it enters already cleared
    elif assigned := await repo.take_early_assignment(uow.session, event.suspicion_id):
        row |= {"status": VERIFYING, **assigned}  # its assignment came first: it enters being verified
    if await repo.add_suspect(uow.session, row):
        await record_change(uow, "suspected", row, "added", event.flagged_on, None)
        return
    stored = await repo.suspect_of(uow.session, event.suspicion_id)
    if stored is None:
        return
    changes = profile_changes(stored, event.groups, event.poverty_household, event.sources)
    if stored["reason"] == STAND_IN_REASON:  # entered by a confirmation that overtook this flag
        changes |= {"reason": event.reason, "source": event.source, "flagged_on": event.flagged_on}
    if not changes:
        return  # a redelivery, or a re-flag that brings nothing new
    await repo.update_suspect(uow.session, stored["entry_id"], changes)
    # The status stays as it is: a re-flag never reopens a cleared suspect. A re-flag keeps its flag's date.
    await record_change(uow, "suspected", stored | changes, "updated", event.flagged_on, stored)


async def suspicion_cleared(event: SuspicionCleared, envelope: Envelope, uow: UnitOfWork) -> None:
    """An open suspect whose suspicion was cleared leaves the open suspects, keeping the reason."""
    await repo.lock_suspicion(uow.session, event.suspicion_id)
    stored = await repo.suspect_of(uow.session, event.suspicion_id)
    if stored is None:
        await repo.keep_early_clearing(uow.session, event.suspicion_id, event.reason, event.cleared_on)
        return  # it overtook its flag: applied when the flag arrives
    if not can_clear(stored["status"]):
        return  # already cleared or confirmed, or a redelivery
    changes = {"status": CLEARED, "clear_reason": event.reason, "cleared_on": event.cleared_on}
    await repo.update_suspect(uow.session, stored["entry_id"], changes)
    await record_change(uow, "suspected", stored | changes, "updated", event.cleared_on, stored)


SUSPECT_HANDLERS: EventHandlers = {SuspectedDropoutFlagged: [suspect_flagged], SuspicionCleared: [suspicion_cleared]}


def _combine(*registries: EventHandlers) -> EventHandlers:
    """One registry from several: each event's handlers in the order the registries are given."""
    combined: dict[type[Event], list[Any]] = {}
    for registry in registries:
        for event_type, handlers in registry.items():
            combined.setdefault(event_type, []).extend(handlers)
    return combined


# The suspected ledger first, then the cases (which read it), the school-age ledger, and the timeline.
EVENT_HANDLERS: EventHandlers = _combine(
    SUSPECT_HANDLERS, case_lifecycle.HANDLERS, school_age.HANDLERS, timeline_feed.HANDLERS
)

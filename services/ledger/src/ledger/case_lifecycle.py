"""Cases follow events: a confirmed dropout opens one, presence marks it seen, leaving again reopens it (复辍).

The suspected ledger follows the verification: an assignment moves a pending suspect to verifying, a confirmation
to confirmed_dropout (it leaves the open suspects). An assignment that overtakes its flag waits for it (the flag
enters the suspect as verifying). A confirmation that overtakes its flag enters the suspect itself, already
confirmed, with a stand-in reason; the flag then finds it and gives it its reason, source and date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from baoxue_common.consumer import EventHandlers, batched
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import PresenceRecorded, StudentLeft
from baoxue_contracts.events.ledger import CaseReopened
from baoxue_contracts.events.verification import DropoutConfirmed, EarlyWarningRaised, VerificationAssigned

from ledger import consolidation, school_age
from ledger.adapters import history
from ledger.adapters import lifecycle_repository as cases
from ledger.adapters import repository as suspects
from ledger.changes import record_change
from ledger.domain.consolidation import REOPENABLE, can_assign, can_confirm, reopened, restarted_from, seen_later
from ledger.domain.ledgers import STAND_IN_REASON, child_key, group_list, noon

CONFIRMED = "confirmed_dropout"
LEFT_AGAIN = "left school again"


async def verification_assigned(event: VerificationAssigned, envelope: Envelope, uow: UnitOfWork) -> None:
    """A pending suspect is being verified: it takes the verification and its due date."""
    await suspects.lock_suspicion(uow.session, event.suspicion_id)
    stored = await suspects.suspect_of(uow.session, event.suspicion_id)
    if stored is None:
        await suspects.keep_early_assignment(uow.session, event.suspicion_id, event.verification_id, event.due_on)
        return  # it overtook its flag: applied when the flag arrives
    if not can_assign(stored["status"]):
        return  # already further on, or a redelivery
    changes = {"status": "verifying", "verification_id": event.verification_id, "due_on": event.due_on}
    await suspects.update_suspect(uow.session, stored["entry_id"], changes)
    await record_change(uow, "suspected", stored | changes, "updated", event.assigned_on, stored)


async def dropout_confirmed(event: DropoutConfirmed, envelope: Envelope, uow: UnitOfWork) -> None:
    """The suspect is confirmed; the child's case opens, or its returned or closed case reopens."""
    await suspects.lock_suspicion(uow.session, event.suspicion_id)
    await _confirm_suspect(event, uow)
    key = child_key(event.student_id, event.national_id_hash)
    await cases.lock_child(uow.session, key)
    if await cases.case_of_suspicion(uow.session, event.suspicion_id) is not None:
        return  # a redelivery or a second confirmation of the same suspicion
    latest = await cases.latest_case_of_child(uow.session, key)
    if latest is not None and latest["status"] in REOPENABLE:
        await _reopen(uow, latest, event.confirmed_on, "dropout confirmed again")
        return
    if latest is not None:
        return  # the child's case is still open: the new suspicion belongs to it
    if row := await cases.add_case(uow.session, _case_row(event, key)):
        await record_change(uow, "dropouts", row, "added", event.confirmed_on, None)
        await school_age.set_status(uow, key, "dropout", event.confirmed_on)


async def _confirm_suspect(event: DropoutConfirmed, uow: UnitOfWork) -> None:
    """Move the suspect to confirmed_dropout, or enter it confirmed when the confirmation overtook its flag."""
    changes = {"status": CONFIRMED, "confirmed_on": event.confirmed_on, "verification_id": event.verification_id}
    stored = await suspects.suspect_of(uow.session, event.suspicion_id)
    if stored is None:
        row = {
            "entry_id": uuid.uuid4(),
            "suspicion_id": event.suspicion_id,
            "county_code": event.county_code,
            "school_code": event.school_code,
            "student_id": event.student_id,
            "source": event.source,
            "reason": STAND_IN_REASON,
            "groups": group_list(event.groups),
            "poverty_household": event.poverty_household,
            "flagged_on": event.flagged_on or event.confirmed_on,
            "national_id_hash": event.national_id_hash,
            "sources": list(event.sources),
        } | changes
        if await suspects.add_suspect(uow.session, row):
            await record_change(uow, "suspected", row, "added", event.confirmed_on, None)
        return
    if can_confirm(stored["status"]):
        await suspects.update_suspect(uow.session, stored["entry_id"], changes)
        await record_change(uow, "suspected", stored | changes, "updated", event.confirmed_on, stored)


def _case_row(event: DropoutConfirmed, key: str) -> dict[str, Any]:
    """A new open case from a confirmation."""
    return {
        "case_id": uuid.uuid4(),
        "suspicion_id": event.suspicion_id,
        "verification_id": event.verification_id,
        "county_code": event.county_code,
        "school_code": event.school_code,
        "student_id": event.student_id,
        "national_id_hash": event.national_id_hash,
        "child_key": key,
        "status": "open",
        "source": event.source,
        "sources": list(event.sources),
        "groups": group_list(event.groups),
        "poverty_household": event.poverty_household,
        "flagged_on": event.flagged_on,
        "confirmed_on": event.confirmed_on,
        "verified_by": event.verified_by,
        "cause_main": event.cause,
        "cause_others": [],
        "relapses": 0,
        "version": 1,
    }


async def _reopen(uow: UnitOfWork, case: dict[str, Any], day: date, reason: str) -> None:
    """Reopen a case whose child left again: a relapse, told to the bus, the ledgers and the timeline."""
    row = await cases.update_case(uow.session, case["case_id"], reopened(case))
    await record_change(uow, "dropouts", row, "updated", day, case)
    event = CaseReopened(
        case_id=row["case_id"],
        county_code=row["county_code"],
        school_code=row["school_code"],
        student_id=row["student_id"],
        reopened_on=day,
        reason=reason,
        relapses=row["relapses"],
        suspicion_id=row["suspicion_id"],
    )
    sent = uow.emit(
        event,
        region=row["county_code"],
        occurred_at=noon(day),
        school_code=row["school_code"],
        subject_id=row["student_id"],
    )
    await history.note(
        uow.session,
        child_key=row["child_key"],
        event_type=sent.event_type,
        producer="ledger",
        occurred_at=noon(day),
        actor="system",
        summary={"reopened_on": day.isoformat(), "reason": reason, "relapses": row["relapses"]},
        student_id=row["student_id"],
        national_id_hash=row["national_id_hash"],
        county_code=row["county_code"],
        case_id=row["case_id"],
        event_id=sent.event_id,
    )
    await school_age.set_status(uow, row["child_key"], "dropout", day)


async def student_left(event: StudentLeft, envelope: Envelope, uow: UnitOfWork) -> None:
    """A pupil whose case was returned or closed left without explanation: the case reopens."""
    if event.reason != "unexplained":
        return
    await cases.lock_child(uow.session, event.student_id)
    latest = await cases.latest_case_of_child(uow.session, event.student_id)
    if latest is not None and latest["status"] in REOPENABLE:
        await _reopen(uow, latest, event.left_on, LEFT_AGAIN)


async def presences_recorded(batch: Sequence[tuple[PresenceRecorded, Envelope]], uow: UnitOfWork) -> None:
    """Pupils with an open case were at school: the caseworker sees it and confirms the return.

    Batched: presences come by the thousand, cases are few; one query finds the cases of a poll's pupils.
    """
    found = await cases.cases_of_students(uow.session, {e.student_id for e, _ in batch}, {"open"})
    for event, _ in batch:
        for case in found.get(event.student_id, []):
            if seen_later(case, event.date):
                row = await cases.update_case(uow.session, case["case_id"], {"seen_at_school_on": event.date})
                await record_change(uow, "dropouts", row, "updated", event.date, case)
                case.update(row)


async def early_warnings_raised(batch: Sequence[tuple[EarlyWarningRaised, Envelope]], uow: UnitOfWork) -> None:
    """A new unexcused streak after a return: consolidation starts again (a proposal goes back to returned)."""
    found = await cases.cases_of_students(
        uow.session, {e.student_id for e, _ in batch}, {"returned", "closure_proposed"}
    )
    for event, _ in batch:
        for case in found.get(event.student_id, []):
            start = restarted_from(case, event.raised_on)
            if start is None:
                continue
            values = {"status": "returned", "consolidation_from": start, "proposed_on": None}
            row = await cases.update_case(uow.session, case["case_id"], values)
            await record_change(uow, "dropouts", row, "updated", event.raised_on, case)
            case.update(row)


HANDLERS: EventHandlers = {
    VerificationAssigned: [verification_assigned],
    DropoutConfirmed: [dropout_confirmed],
    StudentLeft: [student_left],
    PresenceRecorded: [batched(presences_recorded)],
    EarlyWarningRaised: [batched(early_warnings_raised)],
    **consolidation.HANDLERS,
}

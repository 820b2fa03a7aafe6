"""The school-age children ledger (适龄儿童台账), kept from rolls, the household register and outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from baoxue_common.compulsory_age import of_compulsory_age
from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import StudentEnrolled, StudentLeft, StudentUpdated
from baoxue_contracts.events.verification import HouseholdRegisterChanged, SuspicionCleared

from ledger.adapters import repository as suspects
from ledger.adapters import school_age_repository as store
from ledger.changes import entry_event, jsonable, record_change
from ledger.domain import school_age as rules
from ledger.domain.ledgers import SchoolAgeStatus, child_key, group_list

Row = dict[str, Any]


async def _reconcile(uow: UnitOfWork, stored: Sequence[Row], wanted: Sequence[Row], day: date) -> None:
    """Make a child's stored rows the wanted ones, recording each entry added, changed or removed."""
    left = {(r["county_code"], r["child_key"]): r for r in stored}
    for row in wanted:
        old = left.pop((row["county_code"], row["child_key"]), None)
        if old is not None and not rules.differs(old, row):
            continue  # a redelivery or a record that brings nothing new
        await store.save(uow.session, row)
        if old is None:
            await record_change(uow, "school_age", row, "added", day, None)
        else:
            await record_change(uow, "school_age", row, "updated", day, old)
    for old in left.values():
        await store.delete(uow.session, old["county_code"], old["child_key"])
        await record_change(uow, "school_age", old, "removed", day, old)


async def _on_roll(event: StudentEnrolled | StudentUpdated, envelope: Envelope, uow: UnitOfWork, day: date) -> None:
    key = event.student_id
    await store.lock_child(uow.session, event.national_id_hash)
    stored = await store.rows_of(uow.session, [key, f"h:{event.national_id_hash}"], event.national_id_hash)
    mine = {(r["county_code"], r["child_key"]): r for r in stored if r["child_key"] == key}
    register = [r for r in stored if r["child_key"].startswith("h:")]  # merged into the pupil's key
    current = next(iter(mine.values()), None) or (register[0] if register else None)
    new_record = isinstance(event, StudentEnrolled) or current is None
    status = rules.roll_status(current["status"] if current else None, new_record=new_record)
    counties = rules.relations(
        [
            (envelope.region, rules.SCHOOL),
            (event.residence_county_code, rules.RESIDENCE),
            (event.hukou_county_code, rules.HUKOU),
        ]
    )
    fields = {
        "student_id": key,
        "national_id_hash": event.national_id_hash,
        "masked_id": rules.student_masked_id(key) or (current or {}).get("masked_id"),
        "school_code": event.school_code,
        "grade": event.grade,
        "class_name": event.class_name,
        "gender": event.gender,
        "birth_date": event.birth_date,
        "hukou_county_code": event.hukou_county_code,
        "residence_county_code": event.residence_county_code,
        "on_roll": True,
        "on_register": any(r["on_register"] for r in stored),
        "groups": group_list(event.groups),
        "poverty_household": event.poverty_household,
    }
    wanted = rules.entries(key, counties, fields, status, day, mine)
    await _reconcile(uow, stored, wanted, day)


async def student_enrolled(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """A pupil on a roll: enrolled at its school, listed by its school's, residence and hukou counties."""
    await _on_roll(event, envelope, uow, event.enrolled_on or envelope.occurred_at.date())


async def student_updated(event: StudentUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """A pupil's record changed: its entries follow (school, grade, groups, poverty, counties)."""
    await _on_roll(event, envelope, uow, event.updated_on or envelope.occurred_at.date())


async def student_left(event: StudentLeft, envelope: Envelope, uow: UnitOfWork) -> None:
    """A pupil left its roll: a transfer waits for its enrolment, graduation removes, unexplained is out of school."""
    outcome = rules.LEAVE_STATUS[event.reason]
    if outcome is None:
        return
    stored = await store.rows_of(uow.session, [event.student_id])
    if any(r["school_code"] not in (None, event.school_code) for r in stored):
        return  # already on another school's roll: that enrolment is the newer fact
    if outcome == rules.REMOVE:
        await _reconcile(uow, stored, [], event.left_on)
        return
    if any(r["status"] in rules.CASE_STATUSES for r in stored):
        outcome = "dropout"  # a child with a case who leaves again is a dropout again (its case reopens)
    if not stored:  # not known yet: an entry from what the event says, in the county of its school
        fields: Row = {"student_id": event.student_id, "school_code": event.school_code, "grade": event.grade}
        stored_rows: Mapping[tuple[str, str], Row] = {}
        counties = {envelope.region: [rules.SCHOOL]}
    else:
        fields, stored_rows, counties = {}, {(r["county_code"], r["child_key"]): r for r in stored}, {}
    fields |= {"on_roll": False, "groups": group_list(event.groups), "poverty_household": event.poverty_household}
    await _move(uow, stored, fields, str(outcome), event.left_on, counties, event.student_id, stored_rows)


async def _move(
    uow: UnitOfWork,
    stored: Sequence[Row],
    fields: Row,
    status: str,
    day: date,
    counties: Mapping[str, list[str]],
    key: str,
    stored_rows: Mapping[tuple[str, str], Row],
) -> None:
    """Give a child's rows (or, unknown, new rows in `counties`) a status and some fields."""
    if stored:
        wanted = [
            r | fields | {"status": status, "status_since": day if r["status"] != status else r["status_since"]}
            for r in stored
        ]
    else:
        wanted = rules.entries(key, counties, fields, status, day, stored_rows)
    await _reconcile(uow, stored, wanted, day)


async def suspicion_cleared(event: SuspicionCleared, envelope: Envelope, uow: UnitOfWork) -> None:
    """A suspicion cleared for a reason that is a status (studying elsewhere, home education, ...): that status."""
    status = rules.CLEAR_STATUS.get(event.reason)
    if status is None:
        return
    suspect = await suspects.suspect_of(uow.session, event.suspicion_id)
    hash_ = suspect["national_id_hash"] if suspect else None
    if not event.student_id and not hash_:
        return
    await set_status(
        uow, child_key(event.student_id, hash_), status, event.cleared_on,
        county_code=event.county_code, school_code=event.school_code, national_id_hash=hash_,
    )  # fmt: skip


async def set_status(
    uow: UnitOfWork,
    child_key: str,
    status: SchoolAgeStatus,
    day: date,
    *,
    school_code: str | None = None,
    county_code: str | None = None,
    national_id_hash: str | None = None,
) -> None:
    """Move a child's entries (in every county that lists it) to a new status from `day`, telling reporting.

    A child the ledger does not know yet gets an entry in `county_code` (when given) from what the caller says.
    """
    if national_id_hash is None and child_key.startswith("h:"):
        national_id_hash = child_key[2:]  # a household child's key is its blind index
    await store.lock_child(uow.session, national_id_hash or child_key)
    stored = await store.rows_of(uow.session, [child_key], national_id_hash)
    pupil = [r for r in stored if r["student_id"]]
    stored = pupil or stored  # a household row merged into a pupil's is the pupil's
    fields: Row = {"school_code": school_code} if school_code and status == "returned" else {}
    if not stored:
        if county_code is None:
            return
        student = None if child_key.startswith("h:") else child_key
        fields |= {"student_id": student, "national_id_hash": national_id_hash, "school_code": school_code}
        fields["masked_id"] = rules.student_masked_id(student)
    relation = rules.SCHOOL if school_code else rules.RESIDENCE
    counties = {county_code: [relation]} if county_code else {}
    await _move(uow, stored, fields, status, day, counties, child_key, {})


async def household_changed(event: HouseholdRegisterChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """A part of a household register change, set-based: children of compulsory age on no roll are listed
    out of school in their hukou and residence counties; a pupil's entries note it is on the register."""
    day = event.as_of
    children = [c.model_dump() | {"in_age": of_compulsory_age(c.birth_date, day)} for c in event.children]
    changes = await store.apply_household_part(uow.session, children, event.removed, day)
    await record_changes(uow, changes, day)


async def record_changes(uow: UnitOfWork, changes: Sequence[store.Change], day: date) -> None:
    """record_change for many entries: their states kept in one statement, each LedgerEntryChanged emitted."""
    states = []
    for row, change, previous in changes:
        event = entry_event("school_age", row, change, day, previous)  # type: ignore[arg-type]
        states.append(
            {
                "ledger": "school_age",
                "county_code": row["county_code"],
                "entry_id": event.entry_id,
                "changed_on": day,
                "row": jsonable(row),
            }
        )
        uow.emit(
            event,
            region=row["county_code"],
            occurred_at=datetime.combine(day, time(12, 0), tzinfo=UTC),
            school_code=row.get("school_code"),
            subject_id=row.get("student_id"),
        )
    await store.keep_states(uow.session, states)


HANDLERS: EventHandlers = {
    StudentEnrolled: [student_enrolled],
    StudentUpdated: [student_updated],
    StudentLeft: [student_left],
    SuspicionCleared: [suspicion_cleared],
    HouseholdRegisterChanged: [household_changed],
}

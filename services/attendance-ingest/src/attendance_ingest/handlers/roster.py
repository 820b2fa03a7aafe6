"""Replace a school's whole roll (学籍): the diff becomes StudentEnrolled, StudentUpdated and StudentLeft.

A roll that shows a pupil whose transfer to this school is pending completes the transfer (TransferCompleted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from baoxue_common.calendar_store import school_days
from baoxue_common.clock import Clock
from baoxue_common.errors import Conflict, NotFound
from baoxue_common.pii import SealedNationalId
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import (
    LeaveReason,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
    TransferCompleted,
)

from attendance_ingest.adapters import repository as repo
from attendance_ingest.adapters import transfers as transfer_repo
from attendance_ingest.adapters.orm import calendars
from attendance_ingest.adapters.transfers import Transfer
from attendance_ingest.domain.roll import FINAL_GRADES, Pupil, diff_roster, leave_reason

Seal = Callable[[str, str], SealedNationalId]
"""(ID number, student id) → what is stored of the number."""


async def replace_roster(
    uow: UnitOfWork,
    *,
    school_code: str,
    as_of: date,
    pupils: Sequence[Pupil],
    numbers: Mapping[str, str],
    seal: Seal,
    clock: Clock,
) -> dict[str, int]:
    """Apply a whole roll: emit StudentEnrolled, StudentUpdated and StudentLeft for the differences."""
    async with uow:
        session = uow.session
        school = (await repo.schools_of(session, [school_code])).get(school_code)
        if school is None:
            raise NotFound(f"unknown school {school_code}")
        await repo.lock_roll(session, school_code)
        latest = await repo.latest_roll_as_of(session, school_code)
        if latest is not None and as_of < latest:
            raise Conflict(
                f"a newer roll (as of {latest}) is on record; a roll as of {as_of} cannot replace it",
                errors=[{"loc": ["body", "as_of"], "msg": f"older than the roll on record ({latest})"}],
            )
        incoming = {p.student_id: p for p in pupils}
        ids = list(incoming)
        arriving = await transfer_repo.pending_between(session, ids, to_school=school_code)
        moving = await _check_not_elsewhere(uow, school_code, pupils, arriving)
        current, unsealed = await repo.roll_and_unsealed(session, school_code)
        diff = diff_roster(current, incoming)
        at = clock.at(as_of)  # 08:00 local time on the day the roll is as of

        senders = await repo.schools_of(session, sorted({t.from_school_code for t in moving.values()}))
        for transfer in moving.values():
            await repo.deactivate(session, transfer.from_school_code, [transfer.student_id], as_of)
            sender_county = senders[transfer.from_school_code].county_code
            moved = incoming[transfer.student_id]
            _emit_left(uow, transfer.from_school_code, sender_county, moved, as_of, at, transfer, "transfer")

        written = [*diff.joined, *(p for p, _ in diff.changed)]
        resealed = [incoming[sid] for sid in unsealed if sid in incoming and current[sid] == incoming[sid]]
        rows = [_row(p, seal(numbers[p.student_id], p.student_id)) for p in [*written, *resealed]]
        if await repo.save_pupils(session, school_code, rows, as_of) != len(rows):
            raise Conflict("pupils of this roll were just enrolled at another school; send the roll again")
        await repo.touch_roll(session, school_code, as_of)
        await repo.deactivate(session, school_code, [p.student_id for p in diff.left], as_of)

        county = school.county_code
        for pupil in diff.joined:
            event = StudentEnrolled(**_fields(pupil), school_code=school_code, enrolled_on=as_of)
            uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        for pupil, changed in diff.changed:
            updated = StudentUpdated(**_fields(pupil), school_code=school_code, changed=changed, updated_on=as_of)
            uow.emit(updated, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        if diff.left:
            left_ids = [p.student_id for p in diff.left]
            leaving = await transfer_repo.pending_between(session, left_ids, from_school=school_code)
            year_ended = False
            if any(p.grade in FINAL_GRADES.get(school.kind, ()) for p in diff.left):
                year_ended = (await school_days(session, calendars, school.county_code)).year_ended(as_of)
            for pupil in diff.left:
                out = leaving.get(pupil.student_id)
                reason = leave_reason(
                    pupil, transfer_pending=out is not None, school_kind=school.kind, year_ended=year_ended
                )
                _emit_left(uow, school_code, county, pupil, as_of, at, out, reason)

        completed = [t for sid, t in arriving.items() if sid in incoming]
        await transfer_repo.complete(session, [t.transfer_id for t in completed], as_of)
        for t in completed:
            done = TransferCompleted(
                transfer_id=t.transfer_id,
                student_id=t.student_id,
                school_code=school_code,
                from_school_code=t.from_school_code,
                completed_on=as_of,
            )
            uow.emit(done, region=county, occurred_at=at, school_code=school_code, subject_id=t.student_id)
        await uow.commit()
        return {"joined": len(diff.joined), "changed": len(diff.changed), "left": len(diff.left)}


async def _check_not_elsewhere(
    uow: UnitOfWork, school_code: str, pupils: Sequence[Pupil], arriving: Mapping[str, Transfer]
) -> dict[str, Transfer]:
    """409 for pupils active on another roll with no transfer to here; return the transfers whose pupil moves now."""
    index_of = {p.student_id: i for i, p in enumerate(pupils)}
    by_hash = {p.national_id_hash: p.student_id for p in pupils}
    found = await repo.active_elsewhere(uow.session, school_code, list(index_of), list(by_hash))
    moving: dict[str, Transfer] = {}
    errors: list[dict[str, Any]] = []
    for row in found:
        transfer = arriving.get(row.student_id)
        if transfer is not None and transfer.from_school_code == row.school_code:
            moving[row.student_id] = transfer
            continue
        same_id = row.student_id in index_of
        i = index_of[row.student_id if same_id else by_hash[row.national_id_hash]]
        what = "this pupil" if same_id else "a pupil with the same ID number"
        errors.append(
            {
                "loc": ["body", "students", i, "student_id" if same_id else "national_id"],
                "msg": f"{what} is active on the roll of school {row.school_code} "
                "and no transfer to this school is under way",
            }
        )
    if errors:
        errors.sort(key=lambda e: e["loc"][2])
        raise Conflict(f"{len(errors)} pupil(s) of this roll are active on another school's roll", errors=errors)
    return moving


def _emit_left(
    uow: UnitOfWork,
    school_code: str,
    county: str,
    pupil: Pupil,
    on: date,
    at: datetime,
    transfer: Transfer | None,
    reason: LeaveReason,
) -> None:
    left = StudentLeft(
        student_id=pupil.student_id,
        school_code=school_code,
        reason=reason,
        left_on=on,
        grade=pupil.grade,
        groups=pupil.groups,
        poverty_household=pupil.poverty_household,
        to_school_code=transfer.to_school_code if transfer else None,
        transfer_id=transfer.transfer_id if transfer else None,
    )
    uow.emit(left, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)


def _fields(pupil: Pupil) -> dict[str, Any]:
    return {name: getattr(pupil, name) for name in Pupil.__slots__}


def _row(pupil: Pupil, sealed: SealedNationalId) -> dict[str, Any]:
    return {
        **_fields(pupil),
        "national_id_hash": sealed.index,
        "national_id_enc": sealed.sealed,
        "national_id_key": sealed.key_id,
        "national_id_masked": sealed.masked,
    }

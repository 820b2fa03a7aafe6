"""Replace a school's whole roll (学籍): the diff becomes StudentEnrolled, StudentUpdated and StudentLeft."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from baoxue_common.clock import Clock
from baoxue_common.errors import Conflict
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import StudentEnrolled, StudentLeft, StudentUpdated

from attendance_ingest.adapters import repository as repo
from attendance_ingest.domain.model import Pupil, diff_roster, leave_reason
from attendance_ingest.handlers.common import county_of


async def replace_roster(
    uow: UnitOfWork, *, school_code: str, as_of: date, pupils: Sequence[Pupil], clock: Clock
) -> dict[str, int]:
    """Apply a whole roll: emit StudentEnrolled, StudentUpdated and StudentLeft for the differences."""
    async with uow:
        county = await county_of(uow, school_code)
        elsewhere = await repo.active_elsewhere(uow.session, school_code, [p.student_id for p in pupils])
        if elsewhere:
            raise Conflict(
                "pupils are active on another school's roll and no transfer is under way",
                errors=[
                    {"loc": ["students", sid], "msg": f"active at school {other}"} for sid, other in elsewhere.items()
                ],
            )
        diff = diff_roster(await repo.roll(uow.session, school_code), {p.student_id: p for p in pupils})
        await repo.save_pupils(uow.session, school_code, [*diff.joined, *(p for p, _ in diff.changed)])
        await repo.deactivate(uow.session, school_code, [p.student_id for p in diff.left])
        at = clock.at(as_of)  # 08:00 local time on the day the roll is as of
        for pupil in diff.joined:
            event = StudentEnrolled(**_pupil_fields(pupil), school_code=school_code, enrolled_on=as_of)
            uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        for pupil, changed in diff.changed:
            updated = StudentUpdated(**_pupil_fields(pupil), school_code=school_code, changed=changed)
            uow.emit(updated, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        for pupil in diff.left:
            left = StudentLeft(
                student_id=pupil.student_id,
                school_code=school_code,
                reason=leave_reason(pupil, transfer_pending=False),
                left_on=as_of,
                grade=pupil.grade,
            )
            uow.emit(left, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        await uow.commit()
        return {"joined": len(diff.joined), "changed": len(diff.changed), "left": len(diff.left)}


def _pupil_fields(pupil: Pupil) -> dict[str, Any]:
    return {name: getattr(pupil, name) for name in Pupil.__slots__}

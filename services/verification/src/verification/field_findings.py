"""Field findings (摸排): a child found out of school becomes a suspect (source field), matched to a pupil if known.

The ID number, when given, is kept only as its blind index and masked form; a pupil is matched by the index,
which verification learns from StudentEnrolled and StudentUpdated. A repeat of the same finding changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from baoxue_common.clock import Clock, utc_now
from baoxue_common.errors import Unprocessable
from baoxue_common.pii import mask_national_id, national_id_hash
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import StudentEnrolled, StudentUpdated

from verification.adapters import field_repository as store
from verification.domain.field_findings import (
    REASONS,
    Finding,
    dedup_key,
    finding_id_of,
    finding_problems,
    suspicion_id_of,
)
from verification.suspects import Flag, flag


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a finding became: its id, its suspicion's, the pupil matched and the masked ID number."""

    finding_id: uuid.UUID
    suspicion_id: uuid.UUID
    matched_student_id: str | None
    national_id: str | None
    created: bool


def _recorded(row: Any, created: bool) -> Recorded:
    return Recorded(row.finding_id, row.suspicion_id, row.student_id, row.national_id_masked, created)


async def record_finding(uow: UnitOfWork, finding: Finding, pii_key: str, clock: Clock) -> Recorded:
    """Store a finding and open its suspicion, emitting SuspectedDropoutFlagged; a repeat returns the first.

    Raises 422 (nothing stored) when the finding is wrong.
    """
    if problems := finding_problems(finding, clock.today()):
        errors = [{"loc": ["body", name], "msg": msg} for name, msg in problems]
        raise Unprocessable("the field finding cannot be recorded", errors=errors)
    number = finding.national_id.upper() if finding.national_id else None
    hashed = national_id_hash(pii_key, number) if number else None
    masked = mask_national_id(number) if number else None
    key = dedup_key(finding, hashed)
    finding_id = finding_id_of(key)
    async with uow:
        pupil = await store.pupil_by_hash(uow.session, hashed) if hashed else None
        student_id: str | None = pupil.student_id if pupil else None
        suspicion_id = suspicion_id_of(finding_id)
        row = {
            "finding_id": finding_id,
            "dedup_key": key,
            "county_code": finding.county_code,
            "national_id_hash": hashed,
            "national_id_masked": masked,
            "name": finding.name,
            "birth_date": finding.birth_date,
            "finding": finding.finding,
            "address": finding.address,
            "found_on": finding.found_on,
            "found_by": finding.found_by,
            "student_id": student_id,
            "suspicion_id": suspicion_id,
        }
        # The unique key serialises two concurrent posts of one finding: the second sees the first's row.
        if not await store.add_finding(uow.session, row):
            stored = await store.finding_by_key(uow.session, key)
            assert stored is not None
            return _recorded(stored, created=False)
        found = Flag(
            source="field",
            county_code=finding.county_code,
            flagged_on=finding.found_on,
            reason=REASONS[finding.finding],
            school_code=pupil.school_code if pupil else None,
            student_id=student_id,
            groups=tuple(pupil.groups) if pupil else (),
            poverty_household=bool(pupil.poverty_household) if pupil else False,
            national_id_hash=hashed,
            name=finding.name,
            birth_date=finding.birth_date,
            source_ref=str(finding_id),
            suspicion_id=suspicion_id,
        )
        flagged = await flag(uow, found, min(clock.at(finding.found_on, 12), utc_now()))
        if flagged.suspicion_id != suspicion_id:
            # The child is a suspect already (another finding, or another source): this finding joins it.
            await store.set_finding_suspicion(uow.session, finding_id, flagged.suspicion_id)
            suspicion_id = flagged.suspicion_id
        await uow.commit()
    return Recorded(finding_id, suspicion_id, student_id, masked, created=True)


async def pupil_hash_seen(event: StudentEnrolled | StudentUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the blind index of the pupil's ID number, to match field findings by it."""
    await store.keep_pupil_hash(uow.session, event.student_id, event.national_id_hash)

"""The one audited path to a pupil's clear ID number, the masked roll, and re-sealing under a new key.

Nothing else opens `students.national_id_enc`: every read writes a `pii_reads` row in the same
transaction, so a clear value never leaves without its audit row (PIPL art. 28/31, GB/T 39786).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from baoxue_common.errors import Conflict, NotFound, ProblemError
from baoxue_common.pii import PiiCipher, PiiKeyError
from baoxue_common.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from attendance_ingest.adapters.orm import pii_reads, students

log = logging.getLogger(__name__)
MASKED_COLUMNS = (
    "student_id",
    "name",
    "gender",
    "birth_date",
    "grade",
    "class_name",
    "hukou_county_code",
    "residence_county_code",
    "groups",
    "poverty_household",
    "national_id_masked",
)


async def reveal_national_id(
    uow: UnitOfWork, cipher: PiiCipher, *, school_code: str, student_id: str, actor: str, purpose: str
) -> str:
    """The clear ID number of a pupil of this school, with its `pii_reads` row committed first."""
    async with uow:
        row = (
            await uow.session.execute(
                sa.select(students.c.national_id_enc, students.c.national_id_key).where(
                    students.c.student_id == student_id, students.c.school_code == school_code
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"no pupil {student_id} at school {school_code}")
        if row.national_id_enc is None or row.national_id_key is None:
            raise Conflict(f"pupil {student_id} has no sealed ID number yet: the school must push its roll again")
        try:
            clear = cipher.decrypt(row.national_id_key, row.national_id_enc, student_id)
        except PiiKeyError as exc:  # a key missing from the configuration, or an altered row: the operator's problem
            log.error("cannot open the sealed ID number of pupil %s: %s", student_id, exc)
            raise ProblemError("the pupil's sealed ID number cannot be opened; the operators have been told") from None
        await uow.session.execute(sa.insert(pii_reads).values(student_id=student_id, actor=actor, purpose=purpose))
        await uow.commit()
    return clear


async def reads_of(conn: AsyncConnection, student_id: str) -> list[dict[str, Any]]:
    """The audit rows of one pupil, oldest first."""
    rows = await conn.execute(
        sa.select(pii_reads.c.actor, pii_reads.c.purpose, pii_reads.c.read_at)
        .where(pii_reads.c.student_id == student_id)
        .order_by(pii_reads.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def masked_roll(
    uow: UnitOfWork, school_code: str, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(number of active pupils, one page of them by student id) with the masked ID number only."""
    active = sa.and_(students.c.school_code == school_code, students.c.active)
    async with uow:
        total = await uow.session.scalar(sa.select(sa.func.count()).select_from(students).where(active))
        rows = await uow.session.execute(
            sa.select(*(students.c[c] for c in MASKED_COLUMNS))
            .where(active)
            .order_by(students.c.student_id)
            .limit(limit)
            .offset(offset)
        )
        return int(total or 0), [dict(r._mapping) for r in rows]


async def keys_in_use(conn: AsyncConnection) -> dict[str, int]:
    """How many sealed ID numbers each key id holds."""
    rows = await conn.execute(
        sa.select(students.c.national_id_key, sa.func.count())
        .where(students.c.national_id_enc.is_not(None))
        .group_by(students.c.national_id_key)
    )
    return {str(key): int(n) for key, n in rows.tuples()}


@dataclass(frozen=True, slots=True)
class ResealBatch:
    """What one batch did: rows re-sealed, rows that do not open (left as they are), where the next batch starts."""

    resealed: int
    unopenable: int
    last: str | None


async def reseal_batch(conn: AsyncConnection, cipher: PiiCipher, *, limit: int, after: str = "") -> ResealBatch:
    """Re-seal up to `limit` ID numbers not under the active key, by student id after `after`.

    Only the seal and its key id change: the blind index and the masked form stay as they are. A value
    that does not open (altered, or sealed under a secret no longer configured) is counted and left,
    so one bad row cannot stop a rotation. A row a roll push holds is waited for, then re-read (FOR UPDATE):
    one run leaves nothing behind, and a second run at once skips what the first re-sealed.
    """
    rows: Sequence[Any] = (
        await conn.execute(
            sa.select(students.c.student_id, students.c.national_id_enc, students.c.national_id_key)
            .where(
                students.c.national_id_enc.is_not(None),
                students.c.national_id_key.is_distinct_from(cipher.active_key_id),
                students.c.student_id > after,
            )
            .order_by(students.c.student_id)
            .limit(limit)
            .with_for_update()
        )
    ).all()
    updates = []
    for student_id, sealed, key_id in rows:
        try:
            clear = cipher.decrypt(key_id, sealed, student_id)
        except PiiKeyError:
            continue
        new_key, new_sealed = cipher.encrypt(clear, student_id)
        updates.append({"sid": student_id, "enc": new_sealed, "kid": new_key})
    if updates:
        await conn.execute(
            sa.update(students)
            .where(students.c.student_id == sa.bindparam("sid"))
            .values(national_id_enc=sa.bindparam("enc"), national_id_key=sa.bindparam("kid")),
            updates,
        )
    return ResealBatch(len(updates), len(rows) - len(updates), rows[-1].student_id if rows else None)

"""Reads and writes of attendance marks: one set-based statement each, on the transaction's asyncpg connection.

A push of 1,000 records is one statement with four array parameters, not 1,000 rows of parameters: building
SQLAlchemy statements and executemany was a fifth of the service's CPU per record in `make bench`. The
statements run inside the unit of work's transaction; `write_day` reads the earlier marks in the same
statement, so its answer is consistent only under `lock_school_day`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_ingest.adapters.orm import attendance, students
from attendance_ingest.domain.attendance import ABSENT, AttendanceRecord, StoredMark

_ABSENT = ", ".join(f"'{status}'" for status in sorted(ABSENT))

_OFF_ROLL = f"""
SELECT DISTINCT t.student_id FROM unnest($2::text[]) AS t(student_id)
WHERE NOT EXISTS (
    SELECT 1 FROM {students.fullname} s WHERE s.student_id = t.student_id AND s.school_code = $1 AND s.active
)
"""

# In one statement every sub-query sees the table as it was before the INSERT: `before` is the same day's
# earlier mark, `last` the pupil's last mark in [since, day), read only for a first mark that is not an
# absence (is it a return?) with one backward probe of the (student_id, day) index.
_WRITE_DAY = f"""
WITH incoming AS (
    SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
        AS t(student_id, status, reason, note, n)
), before AS (
    SELECT a.student_id, a.status, a.reason, a.note FROM {attendance.fullname} a
    WHERE a.day = $1 AND a.school_code = $2 AND a.student_id = ANY($4::text[])
), written AS (
    INSERT INTO {attendance.fullname} AS a (day, school_code, student_id, status, reason, note, batch_id)
    SELECT $1, $2, i.student_id, i.status, i.reason, i.note, $3 FROM incoming i
    ON CONFLICT (day, school_code, student_id) DO UPDATE
    SET status = excluded.status, reason = excluded.reason, note = excluded.note, batch_id = excluded.batch_id
    WHERE (a.status, a.reason, a.note) IS DISTINCT FROM (excluded.status, excluded.reason, excluded.note)
    RETURNING a.student_id, a.status, a.reason, a.note
)
SELECT w.student_id, w.status, w.reason, w.note,
       b.status AS before_status, b.reason AS before_reason, b.note AS before_note, last.status AS previous_status
FROM written w
JOIN incoming i ON i.student_id = w.student_id
LEFT JOIN before b ON b.student_id = w.student_id
LEFT JOIN LATERAL (
    SELECT x.status FROM {attendance.fullname} x
    WHERE b.student_id IS NULL AND w.status NOT IN ({_ABSENT})
      AND x.student_id = w.student_id AND x.school_code = $2 AND x.day < $1 AND x.day >= $8
    ORDER BY x.day DESC LIMIT 1
) last ON true
ORDER BY i.n
"""

_DAY_COUNTS = f"SELECT status, count(*) FROM {attendance.fullname} WHERE school_code = $1 AND day = $2 GROUP BY status"

# The roll as it stood that day, as far as the roll tells: active now, or left after the day.
_UNRECORDED = f"""
SELECT s.student_id FROM {students.fullname} s
WHERE s.school_code = $1 AND (s.active OR s.left_on > $2)
  AND NOT EXISTS (
    SELECT 1 FROM {attendance.fullname} a WHERE a.day = $2 AND a.school_code = $1 AND a.student_id = s.student_id
  )
ORDER BY s.student_id
"""


@dataclass(frozen=True, slots=True)
class WrittenMark:
    """A mark a push inserted or changed, with the same day's earlier mark and the last status before the day."""

    record: AttendanceRecord
    before: StoredMark | None
    previous_status: str | None


def school_day_key(school_code: str, day: date) -> int:
    """A stable signed 64-bit advisory-lock key for one (school, day)."""
    digest = hashlib.blake2b(f"attendance:{school_code}:{day.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_school_day(session: AsyncSession, school_code: str, day: date) -> None:
    """Wait for any other push of this (school, day) to end; held until this transaction ends."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(school_day_key(school_code, day))))


async def off_roll(session: AsyncSession, school_code: str, student_ids: Sequence[str]) -> set[str]:
    """The ids of this list that are not active on the school's roll (without loading the roll)."""
    rows = await (await _driver(session)).fetch(_OFF_ROLL, school_code, list(student_ids))
    return {r["student_id"] for r in rows}


async def write_day(
    session: AsyncSession,
    *,
    school_code: str,
    day: date,
    since: date,
    batch_id: uuid.UUID,
    records: Sequence[AttendanceRecord],
) -> list[WrittenMark]:
    """Upsert one day's records (distinct pupils) in one statement; return those that changed, in request order."""
    if not records:
        return []
    columns = ([r.student_id for r in records], [r.status for r in records], [r.reason for r in records])
    notes = [r.note for r in records]
    rows = await (await _driver(session)).fetch(_WRITE_DAY, day, school_code, batch_id, *columns, notes, since)
    return [
        WrittenMark(
            AttendanceRecord(r["student_id"], r["status"], r["reason"], r["note"]),
            StoredMark(r["before_status"], r["before_reason"], r["before_note"]) if r["before_status"] else None,
            r["previous_status"],
        )
        for r in rows
    ]


async def day_counts(session: AsyncSession, school_code: str, day: date) -> dict[str, int]:
    """How many pupils had each status on a day."""
    rows = await (await _driver(session)).fetch(_DAY_COUNTS, school_code, day)
    return {status: int(n) for status, n in rows}


async def unrecorded(session: AsyncSession, school_code: str, day: date) -> tuple[str, ...]:
    """Pupils on the school's roll that day whom no mark of the day names, in id order (one statement)."""
    rows = await (await _driver(session)).fetch(_UNRECORDED, school_code, day)
    return tuple(r["student_id"] for r in rows)


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection of the session's transaction (begun first: SQLAlchemy begins it lazily)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    if raw.driver_connection is None or not raw.driver_connection.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")
    return raw.driver_connection

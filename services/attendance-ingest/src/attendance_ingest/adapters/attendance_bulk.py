"""Set-based reads and writes of a day's attendance marks: one statement per push, on the asyncpg connection.

The handler's transaction is the unit of work's; these functions run inside it on the driver connection
(no SQLAlchemy statement building, arrays bound as four parameters instead of one row of parameters per
record). A caller that can race another push of the same (school, day) must serialise the two first
(e.g. `pg_advisory_xact_lock`), as the per-row reads of the old marks are only consistent then.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_TABLE = "attendance_ingest.attendance"
_ABSENT = "('absent_excused', 'absent_unexcused')"

_NOT_ON_ROLL = """
SELECT t.i - 1 AS index, t.student_id
FROM unnest($2::text[]) WITH ORDINALITY AS t(student_id, i)
WHERE NOT EXISTS (
    SELECT 1 FROM attendance_ingest.students s
    WHERE s.student_id = t.student_id AND s.school_code = $1 AND s.active
)
ORDER BY t.i
"""

# Snapshot semantics: `before` and `previous` see the table as it was when the statement started,
# `written` returns the rows this statement inserted or changed (an identical status and reason is left as is).
_WRITE_DAY = f"""
WITH incoming AS (
    SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS t(student_id, status, reason, note)
), before AS (
    SELECT a.student_id, a.status, a.reason FROM {_TABLE} a
    WHERE a.day = $1 AND a.school_code = $2 AND a.student_id = ANY($4::text[])
), written AS (
    INSERT INTO {_TABLE} AS a (day, school_code, student_id, status, reason, note, batch_id)
    SELECT $1, $2, i.student_id, i.status, i.reason, i.note, $3 FROM incoming i
    ON CONFLICT (day, school_code, student_id) DO UPDATE
    SET status = EXCLUDED.status, reason = EXCLUDED.reason, note = EXCLUDED.note, batch_id = EXCLUDED.batch_id
    WHERE (a.status, a.reason) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.reason)
    RETURNING a.student_id, a.status, a.reason
)
SELECT w.student_id, w.status, w.reason, b.status AS before_status, p.status AS previous_status
FROM written w
LEFT JOIN before b ON b.student_id = w.student_id
LEFT JOIN LATERAL (
    SELECT x.status FROM {_TABLE} x
    WHERE b.student_id IS NULL AND w.status NOT IN {_ABSENT}
      AND x.student_id = w.student_id AND x.school_code = $2 AND x.day < $1
    ORDER BY x.day DESC LIMIT 1
) p ON true
"""

_DAY_COUNTS = f"SELECT status, count(*) FROM {_TABLE} WHERE school_code = $1 AND day = $2 GROUP BY status"


@dataclass(frozen=True, slots=True)
class WrittenMark:
    """A mark this push inserted or changed, with what classify() needs to turn it into events."""

    student_id: str
    status: str
    reason: str | None
    before_status: str | None
    """The same day's earlier status (a correction), None if the pupil had no mark that day."""
    previous_status: str | None
    """The last status before this day; read only for a first mark that is not an absence."""


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection of the session's transaction (opened first if the session has not yet)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not driver.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")  # SQLAlchemy's asyncpg adapter opens its transaction lazily
        driver = raw.driver_connection
    return driver


async def not_on_roll(session: AsyncSession, school_code: str, student_ids: Sequence[str]) -> list[tuple[int, str]]:
    """(index, student id) of each id not active on the school's roll, without loading the roll."""
    driver = await driver_connection(session)
    rows = await driver.fetch(_NOT_ON_ROLL, school_code, list(student_ids))
    return [(r["index"], r["student_id"]) for r in rows]


async def write_day(
    session: AsyncSession,
    *,
    school_code: str,
    day: date,
    batch_id: uuid.UUID,
    records: Sequence[tuple[str, str, str | None, str | None]],
) -> list[WrittenMark]:
    """Upsert (student_id, status, reason, note) records of one day in one statement; return what changed."""
    if not records:
        return []
    ids, statuses, reasons, notes = (list(column) for column in zip(*records, strict=True))
    driver = await driver_connection(session)
    rows = await driver.fetch(_WRITE_DAY, day, school_code, batch_id, ids, statuses, reasons, notes)
    return [WrittenMark(*row) for row in rows]


async def day_counts(session: AsyncSession, school_code: str, day: date) -> dict[str, int]:
    """How many pupils had each status on a day."""
    driver = await driver_connection(session)
    return {status: count for status, count in await driver.fetch(_DAY_COUNTS, school_code, day)}

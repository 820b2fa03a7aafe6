"""attendance_bulk writes and reads exactly what the current attendance repository does, on the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from attendance_ingest.adapters import attendance_bulk as bulk
from attendance_ingest.adapters import attendance_repository as marks
from attendance_ingest.adapters import repository as repo
from attendance_ingest.adapters.orm import attendance, students
from baoxue_common.db import make_engine, make_sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.conftest import Stack

CURRENT, BULK = "1101019801", "1101019802"  # the same pushes through each path, one school code each
PUPILS = [f"L{9800 + i}" for i in range(6)]
MONDAY, TUESDAY = date(2026, 11, 16), date(2026, 11, 17)
Record = tuple[str, str, str | None, str | None]


@pytest.fixture
async def sessions(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(stack.database_url)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        for school in (CURRENT, BULK):
            await session.execute(sa.delete(attendance).where(attendance.c.school_code == school))
            await session.execute(sa.delete(students).where(students.c.school_code == school))
            await session.execute(
                sa.insert(students),
                [_student(sid, school, active=sid != PUPILS[-1]) for sid in PUPILS],
            )
        await session.commit()
    yield maker
    await engine.dispose()


def _student(student_id: str, school: str, *, active: bool) -> dict[str, Any]:
    return {
        "student_id": f"{student_id}{school[-1]}",
        "school_code": school,
        "active": active,
        "national_id_hash": "0" * 64,
        "name": "测试",
        "gender": "F",
        "birth_date": date(2016, 5, 1),
        "grade": 4,
        "class_name": "4班",
        "hukou_county_code": "110101",
        "residence_county_code": "110101",
    }


def _ids(school: str, records: list[Record]) -> list[Record]:
    return [(f"{sid}{school[-1]}", status, reason, note) for sid, status, reason, note in records]


async def _current(session: AsyncSession, school: str, day: date, batch: uuid.UUID, records: list[Record]) -> Any:
    """What handlers/attendance.py does today: read the day, keep the changed records, upsert them."""
    before = await marks.day_statuses(session, school, day)
    previous = await marks.previous_statuses(session, school, day, [r[0] for r in records])
    changed = [r for r in records if before.get(r[0]) != (r[1], r[2])]
    rows = [
        {"day": day, "school_code": school, "student_id": s, "status": st, "reason": re, "note": no, "batch_id": batch}
        for s, st, re, no in changed
    ]
    await marks.upsert_marks(session, rows)
    return {
        s: (st, re, before.get(s, (None,))[0], previous.get(s) if s not in before and st not in bulk_absent() else None)
        for s, st, re, _ in changed
    }


def bulk_absent() -> tuple[str, ...]:
    return ("absent_excused", "absent_unexcused")


async def _table(session: AsyncSession, school: str) -> set[tuple[Any, ...]]:
    rows = await session.execute(
        sa.select(
            attendance.c.day,
            sa.func.left(attendance.c.student_id, sa.func.length(attendance.c.student_id) - 1),
            attendance.c.status,
            attendance.c.reason,
            attendance.c.note,
            attendance.c.batch_id,
        ).where(attendance.c.school_code == school)
    )
    return {tuple(row) for row in rows}


PUSHES: list[tuple[date, list[Record]]] = [
    (
        MONDAY,
        [
            (PUPILS[0], "present", None, None),
            (PUPILS[1], "absent_unexcused", "unknown", None),
            (PUPILS[2], "absent_excused", "sick", "发烧"),
            (PUPILS[3], "late", None, None),
        ],
    ),
    (  # a correction of the same day: one identical, one changed, one note-only change, one new pupil
        MONDAY,
        [
            (PUPILS[0], "present", None, None),
            (PUPILS[1], "present", None, "到校"),
            (PUPILS[2], "absent_excused", "sick", "新的备注"),
            (PUPILS[4], "absent_unexcused", "unknown", None),
        ],
    ),
    (  # the next day: returns after an absence, a new absence
        TUESDAY,
        [
            (PUPILS[0], "absent_excused", "family", None),
            (PUPILS[1], "present", None, None),
            (PUPILS[2], "present", None, None),
            (PUPILS[4], "late", None, None),
        ],
    ),
]


async def test_write_day_stores_the_same_rows_and_old_marks_as_the_current_upsert(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for day, records in PUSHES:
        batch = uuid.uuid4()
        async with sessions() as session:
            expected = await _current(session, CURRENT, day, batch, _ids(CURRENT, records))
            await session.commit()
        async with sessions() as session:
            written = await bulk.write_day(
                session, school_code=BULK, day=day, batch_id=batch, records=_ids(BULK, records)
            )
            await session.commit()
        got = {w.student_id: (w.status, w.reason, w.before_status, w.previous_status) for w in written}
        assert {k[:-1]: v for k, v in got.items()} == {k[:-1]: v for k, v in expected.items()}, day
        async with sessions() as session:
            assert await _table(session, BULK) == await _table(session, CURRENT)
            assert await bulk.day_counts(session, BULK, day) == await marks.day_counts(session, CURRENT, day)
    async with sessions() as session:
        assert len(await _table(session, BULK)) == 9, "4 + 1 new on Monday, 4 on Tuesday"


async def test_an_identical_repeat_writes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    records = _ids(BULK, PUSHES[0][1])
    async with sessions() as session:
        first = await bulk.write_day(session, school_code=BULK, day=MONDAY, batch_id=uuid.uuid4(), records=records)
        again = await bulk.write_day(session, school_code=BULK, day=MONDAY, batch_id=uuid.uuid4(), records=records)
        await session.commit()
    assert len(first) == 4
    assert again == []


async def test_not_on_roll_names_the_same_records_as_the_loaded_roll(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = [f"{PUPILS[0]}2", "L1", f"{PUPILS[-1]}2", f"{PUPILS[0]}1", f"{PUPILS[3]}2"]
    async with sessions() as session:
        roll = await repo.roll(session, BULK)
        found = await bulk.not_on_roll(session, BULK, ids)
    assert found == [(i, sid) for i, sid in enumerate(ids) if sid not in roll]
    assert [i for i, _ in found] == [1, 2, 3], "unknown, inactive and another school's pupil"


async def test_a_failed_transaction_leaves_no_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The driver connection is the session's transaction: a rollback undoes write_day."""
    async with sessions() as session:
        await bulk.write_day(
            session, school_code=BULK, day=MONDAY, batch_id=uuid.uuid4(), records=_ids(BULK, PUSHES[0][1])
        )
        await session.rollback()
    async with sessions() as session:
        assert await _table(session, BULK) == set()

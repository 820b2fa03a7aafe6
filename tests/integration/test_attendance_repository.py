"""The set-based attendance statements on the real database: what a push writes, and what it reports back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from attendance_ingest.adapters import attendance_repository as marks
from attendance_ingest.adapters.orm import attendance, students
from attendance_ingest.domain.attendance import AttendanceRecord, StoredMark
from baoxue_common.db import make_engine, make_sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.conftest import Stack

SCHOOL, OTHER = "1101019802", "1101019803"
P = [f"L98{i:02d}" for i in range(6)]  # P[5] has left the roll
FRIDAY, MONDAY, TUESDAY = date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17)
Seen = tuple[str, str | None, StoredMark | None, str | None]
"""(status, reason, the same day's earlier mark, the last status before the day) of a written mark."""


@pytest.fixture
async def sessions(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(stack.database_url)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await session.execute(sa.delete(attendance).where(attendance.c.school_code.in_([SCHOOL, OTHER])))
        await session.execute(sa.delete(students).where(students.c.school_code.in_([SCHOOL, OTHER])))
        await session.execute(sa.insert(students), [_student(sid, SCHOOL, active=sid != P[5]) for sid in P])
        await session.execute(sa.insert(students), [_student("L9899", OTHER, active=True)])
        await session.commit()
    yield maker
    await engine.dispose()


def _student(student_id: str, school: str, *, active: bool) -> dict[str, Any]:
    return {
        "student_id": student_id,
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


async def _push(
    sessions: async_sessionmaker[AsyncSession], day: date, records: list[AttendanceRecord], since: date = FRIDAY
) -> dict[str, Seen]:
    async with sessions() as session:
        written = await marks.write_day(
            session, school_code=SCHOOL, day=day, since=since, batch_id=uuid.uuid4(), records=records
        )
        await session.commit()
    order, ids = [r.student_id for r in records], [w.record.student_id for w in written]
    assert ids == sorted(ids, key=order.index), "in request order"
    return {w.record.student_id: (w.record.status, w.record.reason, w.before, w.previous_status) for w in written}


async def _table(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[date, str], tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(
                attendance.c.day, attendance.c.student_id, attendance.c.status, attendance.c.reason, attendance.c.note
            ).where(attendance.c.school_code == SCHOOL)
        )
    return {(r.day, r.student_id): (r.status, r.reason, r.note) for r in rows}


def rec(student_id: str, status: str, reason: str | None = None, note: str | None = None) -> AttendanceRecord:
    return AttendanceRecord(student_id, status, reason, note)


async def test_a_push_returns_what_it_changed_with_the_earlier_and_the_previous_mark(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await _push(
        sessions,
        MONDAY,
        [rec(P[0], "present"), rec(P[1], "absent_unexcused", "unknown"), rec(P[2], "absent_excused", "sick", "发烧")],
    )
    assert first == {
        P[0]: ("present", None, None, None),
        P[1]: ("absent_unexcused", "unknown", None, None),
        P[2]: ("absent_excused", "sick", None, None),
    }
    # The same day again: identical (not written), a correction, a note-only change, a new pupil.
    second = await _push(
        sessions,
        MONDAY,
        [
            rec(P[0], "present"),
            rec(P[1], "present", None, "到校"),
            rec(P[2], "absent_excused", "sick", "新的备注"),
            rec(P[4], "absent_unexcused"),
        ],
    )
    assert second == {
        P[1]: ("present", None, StoredMark("absent_unexcused", "unknown", None), None),
        P[2]: ("absent_excused", "sick", StoredMark("absent_excused", "sick", "发烧"), None),
        P[4]: ("absent_unexcused", None, None, None),
    }
    # The next day: the last status before it is read for first marks that are not absences only.
    third = await _push(
        sessions,
        TUESDAY,
        [rec(P[0], "absent_excused", "family"), rec(P[1], "present"), rec(P[2], "present"), rec(P[4], "late")],
    )
    assert third == {
        P[0]: ("absent_excused", "family", None, None),
        P[1]: ("present", None, None, "present"),
        P[2]: ("present", None, None, "absent_excused"),
        P[4]: ("late", None, None, "absent_unexcused"),
    }
    table = await _table(sessions)
    assert len(table) == 8
    assert table[(MONDAY, P[1])] == ("present", None, "到校")
    assert table[(MONDAY, P[2])] == ("absent_excused", "sick", "新的备注")
    async with sessions() as session:
        assert await marks.day_counts(session, SCHOOL, MONDAY) == {
            "present": 2,
            "absent_excused": 1,
            "absent_unexcused": 1,
        }


async def test_the_previous_mark_is_not_looked_for_before_since(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _push(sessions, MONDAY, [rec(P[0], "absent_unexcused")])
    assert (await _push(sessions, TUESDAY, [rec(P[0], "present")], since=TUESDAY))[P[0]][3] is None


async def test_an_identical_repeat_writes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    records = [rec(P[0], "present"), rec(P[1], "absent_excused", "sick", "x")]
    assert len(await _push(sessions, MONDAY, records)) == 2
    assert await _push(sessions, MONDAY, records) == {}


async def test_off_roll_names_unknown_departed_and_other_schools_pupils(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        found = await marks.off_roll(session, SCHOOL, [P[0], "L1", P[5], "L9899", P[3], "L1"])
    assert found == {"L1", P[5], "L9899"}


async def test_a_rolled_back_push_leaves_no_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The statements run on the session's own transaction: a rollback undoes them."""
    async with sessions() as session:
        await marks.write_day(
            session, school_code=SCHOOL, day=MONDAY, since=FRIDAY, batch_id=uuid.uuid4(), records=[rec(P[0], "late")]
        )
        await session.rollback()
    assert await _table(sessions) == {}


async def test_unrecorded_is_the_roll_of_that_day_minus_the_days_marks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        # P[4] left the roll on Monday: on Friday still on it, from Monday on not.
        await session.execute(
            sa.update(students).where(students.c.student_id == P[4]).values(active=False, left_on=MONDAY)
        )
        await session.commit()
    await _push(sessions, FRIDAY, [rec(P[0], "present"), rec(P[1], "absent_unexcused")])
    await _push(sessions, MONDAY, [rec(P[0], "present"), rec(P[2], "late"), rec(P[3], "absent_excused")])

    async def unrecorded(day: date) -> tuple[str, ...]:
        async with sessions() as session:
            return await marks.unrecorded(session, SCHOOL, day)

    # Never P[5] (gone before), never another school's pupil; absences name their pupil as much as presence.
    assert await unrecorded(FRIDAY) == (P[2], P[3], P[4])
    assert await unrecorded(MONDAY) == (P[1],)
    assert await unrecorded(TUESDAY) == (P[0], P[1], P[2], P[3])
    await _push(sessions, MONDAY, [rec(P[1], "present")])  # a second push of the day completes it
    assert await unrecorded(MONDAY) == ()

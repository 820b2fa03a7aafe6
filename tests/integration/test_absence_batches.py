"""A poll's absences written at once, each event still seeing the days as it left them; rules cached per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import sqlalchemy as sa
from baoxue_common.db import make_engine, make_sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from verification.adapters import repository as repo
from verification.adapters import rules_repository as rules_repo
from verification.adapters.orm import absences

from tests.integration.conftest import Stack

A, B = "LATB0001", "LATB0002"  # no other test's students
MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
UNEXCUSED, EXCUSED = "absent_unexcused", "absent_excused"


@pytest.fixture
async def sessions(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(stack.database_url)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await session.execute(sa.delete(absences).where(absences.c.student_id.in_([A, B])))
        await session.execute(sa.insert(absences), [{"student_id": A, "day": MON, "status": UNEXCUSED}])
        await session.commit()
    yield maker
    await engine.dispose()


async def stored(maker: async_sessionmaker[AsyncSession]) -> dict[tuple[str, date], tuple[str, str | None]]:
    async with maker() as session:
        rows = await session.execute(
            sa.select(absences.c.student_id, absences.c.day, absences.c.status, absences.c.reason).where(
                absences.c.student_id.in_([A, B])
            )
        )
        return {(r.student_id, r.day): (r.status, r.reason) for r in rows}


async def test_each_event_sees_the_days_as_the_events_before_it_left_them(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    run: list[repo.AbsenceChange] = [
        (A, TUE, UNEXCUSED, "unknown"),
        (B, MON, EXCUSED, "sick"),
        (A, WED, UNEXCUSED, "unknown"),
        (A, TUE, EXCUSED, "sick"),  # the school corrects Tuesday within the same poll
    ]
    seen = []
    async with sessions() as session:
        await repo.write_absences(session, run)
        for student, day, status, reason in run:
            await repo.set_absence(session, student, day, status, reason)
            seen.append(await repo.absence_days(session, A))
        await session.commit()
    assert seen == [
        ({MON, TUE}, set()),
        ({MON, TUE}, set()),
        ({MON, TUE, WED}, set()),
        ({MON, WED}, {TUE}),
    ]
    assert await stored(sessions) == {
        (A, MON): (UNEXCUSED, None),
        (A, TUE): (EXCUSED, "sick"),
        (A, WED): (UNEXCUSED, "unknown"),
        (B, MON): (EXCUSED, "sick"),
    }


async def test_a_run_of_presences_deletes_and_a_later_run_writes_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        presences: list[repo.AbsenceChange] = [(A, MON, None, None)]
        await repo.write_absences(session, presences)
        await repo.set_absence(session, A, MON, None)
        assert await repo.absence_days(session, A) == (set(), set())
        absent: list[repo.AbsenceChange] = [(A, MON, EXCUSED, "sick")]
        await repo.write_absences(session, absent)
        await repo.set_absence(session, A, MON, EXCUSED, "sick")
        assert await repo.absence_days(session, A) == (set(), {MON})
        # Outside a written run (another handler), set_absence writes the row itself.
        await repo.set_absence(session, A, TUE, UNEXCUSED, "unknown")
        await session.commit()
    assert await stored(sessions) == {(A, MON): (EXCUSED, "sick"), (A, TUE): (UNEXCUSED, "unknown")}
    async with sessions() as session:  # a new session reads the days afresh
        assert await repo.absence_days(session, A) == ({TUE}, {MON})


async def test_a_run_that_rolls_back_writes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await repo.write_absences(session, [(A, TUE, UNEXCUSED, "unknown"), (A, MON, None, None)])
        await session.rollback()
    assert await stored(sessions) == {(A, MON): (UNEXCUSED, None)}


RULES_COUNTY = "650102"  # 天山区, Xinjiang: no other test's county or province


async def test_rules_cached_per_process_follow_a_change_from_the_next_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await rules_repo.save_rules(session, RULES_COUNTY, {})
        await session.commit()
    async with sessions() as session:
        assert (await rules_repo.rules_of(session, RULES_COUNTY)).suspect_after_consecutive_unexcused == 15
    async with sessions() as other:  # another connection (an HTTP PUT) changes them
        await rules_repo.save_rules(other, RULES_COUNTY, {"suspect_after_consecutive_unexcused": 4})
        await other.commit()
    async with sessions() as session:
        assert (await rules_repo.rules_of(session, RULES_COUNTY)).suspect_after_consecutive_unexcused == 4
        await rules_repo.save_rules(session, RULES_COUNTY, {"suspect_after_consecutive_unexcused": 5})
        assert (await rules_repo.rules_of(session, RULES_COUNTY)).suspect_after_consecutive_unexcused == 5
        await session.rollback()
    async with sessions() as session:
        assert (await rules_repo.rules_of(session, RULES_COUNTY)).suspect_after_consecutive_unexcused == 4
        await rules_repo.save_rules(session, RULES_COUNTY, {})
        await session.commit()

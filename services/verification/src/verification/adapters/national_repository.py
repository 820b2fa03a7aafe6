"""Queries and writes of the national platform's suspected lists, inside a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import national_batches, national_items, pupils, verifications
from verification.domain.national import State


async def add_batch(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a batch unless one with its batch_id is stored; return whether it was added.

    A concurrent insert of the same batch_id waits on the key and then adds nothing.
    """
    stmt = insert(national_batches).values(**row).on_conflict_do_nothing(index_elements=[national_batches.c.batch_id])
    return (await session.scalar(stmt.returning(national_batches.c.batch_id))) is not None


async def batch(session: AsyncSession, batch_id: str) -> sa.Row[Any] | None:
    """The stored batch with this id."""
    return (await session.execute(sa.select(national_batches).where(national_batches.c.batch_id == batch_id))).first()


async def add_items(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store a batch's items (one multi-row INSERT per thousand or so)."""
    if rows:
        await session.execute(sa.insert(national_items), rows)


async def match_pupils(session: AsyncSession, batch_id: str) -> None:
    """Name on each item of the batch its pupil: by student number (if the pupil's ID hash does not contradict the
    item's), else the first pupil in student id order with the item's ID hash; in one statement."""
    i, p = national_items, pupils
    by_number = (
        sa.select(i.c.item_id, p.c.student_id, sa.literal(0).label("rank"))
        .join(p, p.c.student_id == i.c.listed_student_id)
        .where(
            i.c.batch_id == batch_id,
            sa.or_(p.c.national_id_hash.is_(None), p.c.national_id_hash == i.c.national_id_hash),
        )
    )
    by_hash = (
        sa.select(i.c.item_id, p.c.student_id, sa.literal(1).label("rank"))
        .join(p, p.c.national_id_hash == i.c.national_id_hash)
        .where(i.c.batch_id == batch_id)
    )
    found = sa.union_all(by_number, by_hash).subquery("found")
    best = (
        sa.select(found.c.item_id, found.c.student_id)
        .distinct(found.c.item_id)
        .order_by(found.c.item_id, found.c.rank, found.c.student_id)
        .subquery("best")
    )
    await session.execute(
        sa.update(i).where(i.c.batch_id == batch_id, i.c.item_id == best.c.item_id).values(student_id=best.c.student_id)
    )


async def unflagged(session: AsyncSession, limit: int, skip: Collection[tuple[str, str]] = ()) -> list[Any]:
    """Up to `limit` items not flagged yet, with their pupil (if matched) and when to flag them; locked, skipping
    items another worker holds."""
    i, p, b = national_items, pupils, national_batches
    query = (
        sa.select(
            i.c.batch_id,
            i.c.item_id,
            i.c.county_code,
            i.c.student_id,
            i.c.national_id_hash,
            i.c.name,
            i.c.reason,
            i.c.birth_date,
            sa.func.coalesce(b.c.flag_at, b.c.received_at).label("flag_at"),
            p.c.county_code.label("pupil_county_code"),
            p.c.school_code.label("pupil_school_code"),
            p.c.groups,
            p.c.poverty_household,
        )
        .join_from(i, b, b.c.batch_id == i.c.batch_id)
        .outerjoin(p, p.c.student_id == i.c.student_id)
        .where(i.c.suspicion_id.is_(None), *([sa.tuple_(i.c.batch_id, i.c.item_id).not_in(list(skip))] if skip else []))
        .order_by(i.c.batch_id, i.c.position)
        .limit(limit)
        .with_for_update(of=i, skip_locked=True)
    )
    return list((await session.execute(query)).all())


async def set_flagged(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store each flagged item's suspicion and the state it starts in."""
    if not rows:
        return
    i = national_items
    stmt = (
        sa.update(i)
        .where(i.c.batch_id == sa.bindparam("b_batch_id"), i.c.item_id == sa.bindparam("b_item_id"))
        .values(
            suspicion_id=sa.bindparam("b_suspicion_id"),
            state=sa.bindparam("b_state"),
            clear_reason=sa.bindparam("b_clear_reason"),
            history=sa.bindparam("b_history", type_=JSONB),
            updated_at=sa.func.now(),
        )
    )
    await session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])


async def assigned_on(session: AsyncSession, suspect_id: uuid.UUID) -> Any:
    """The day the suspect's verification was assigned, if it is still being verified."""
    query = sa.select(verifications.c.assigned_on).where(
        verifications.c.suspicion_id == suspect_id, verifications.c.status != "done"
    )
    return await session.scalar(query)


def _of(batch_id: str, county_prefix: str) -> sa.ColumnElement[bool]:
    """The batch's items, those of the counties starting with the prefix ('' for all)."""
    where = national_items.c.batch_id == batch_id
    return sa.and_(where, national_items.c.county_code.startswith(county_prefix)) if county_prefix else where


async def progress(session: AsyncSession, batch_id: str, county_prefix: str = "") -> tuple[int, int]:
    """How many of the batch's items (of the counties under a prefix) are stored, and how many of them flagged."""
    query = sa.select(sa.func.count(), sa.func.count(national_items.c.suspicion_id)).where(_of(batch_id, county_prefix))
    row = (await session.execute(query)).one()
    return int(row[0]), int(row[1])


async def follows(session: AsyncSession, suspicion_id: uuid.UUID) -> sa.Row[Any, Any, Any] | None:
    """The state, clear reason and history of the furthest item already following a suspicion, if any."""
    query = (
        sa.select(national_items.c.state, national_items.c.clear_reason, national_items.c.history)
        .where(national_items.c.suspicion_id == suspicion_id)
        .order_by(sa.func.jsonb_array_length(national_items.c.history).desc())
        .limit(1)
    )
    return (await session.execute(query)).first()


async def items_of_suspicion(session: AsyncSession, suspicion_id: uuid.UUID) -> list[sa.Row[Any, Any, Any]]:
    """Keys and states of the items following a suspicion, locked."""
    return await _locked(session, national_items.c.suspicion_id == suspicion_id)


async def items_of_student(
    session: AsyncSession, student_id: str, states: Iterable[State]
) -> list[sa.Row[Any, Any, Any]]:
    """Keys and states of a pupil's items in one of these states, locked."""
    return await _locked(session, national_items.c.student_id == student_id, national_items.c.state.in_(list(states)))


async def _locked(session: AsyncSession, *where: sa.ColumnElement[bool]) -> list[sa.Row[Any, Any, Any]]:
    cols = (national_items.c.batch_id, national_items.c.item_id, national_items.c.state)
    return list((await session.execute(sa.select(*cols).where(*where).with_for_update())).all())


async def move(
    session: AsyncSession, keys: list[tuple[str, str]], state: State, clear_reason: str | None, step: dict[str, str]
) -> None:
    """Set items' state (and clear reason, if given) and append the step to their history."""
    values: dict[str, Any] = {
        "state": state,
        "history": national_items.c.history.op("||")(sa.cast([step], JSONB)),
        "updated_at": sa.func.now(),
    }
    if clear_reason is not None:
        values["clear_reason"] = clear_reason
    key = sa.tuple_(national_items.c.batch_id, national_items.c.item_id)
    await session.execute(sa.update(national_items).where(key.in_(keys)).values(**values))


async def items_page(
    session: AsyncSession, batch_id: str, *, limit: int, offset: int, county_prefix: str = ""
) -> list[sa.Row[Any]]:
    """A page of a batch's items (of the counties under a prefix), in the order the batch listed them."""
    query = (
        sa.select(national_items)
        .where(_of(batch_id, county_prefix))
        .order_by(national_items.c.position)
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(query)).all())


async def match_unmatched(session: AsyncSession, national_id_hash: str, student_id: str) -> None:
    """Name the pupil on the items of a child who was on no roll when listed."""
    await session.execute(
        sa.update(national_items)
        .where(national_items.c.national_id_hash == national_id_hash, national_items.c.student_id.is_(None))
        .values(student_id=student_id, updated_at=sa.func.now())
    )

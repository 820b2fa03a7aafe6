"""Queries and writes of the national platform's suspected lists, inside a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import national_batches, national_items, pupils
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


async def pupils_matching(
    session: AsyncSession, student_ids: Iterable[str], hashes: Iterable[str]
) -> list[sa.Row[Any]]:
    """The pupils with one of these student ids or ID hashes, in student id order."""
    query = (
        sa.select(pupils)
        .where(sa.or_(pupils.c.student_id.in_(list(student_ids)), pupils.c.national_id_hash.in_(list(hashes))))
        .order_by(pupils.c.student_id)
    )
    return list((await session.execute(query)).all())


async def add_items(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store a batch's items."""
    if rows:
        await session.execute(sa.insert(national_items), rows)


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


async def items_page(session: AsyncSession, batch_id: str, *, limit: int, offset: int) -> list[sa.Row[Any]]:
    """A page of a batch's items, in the order the batch listed them."""
    query = (
        sa.select(national_items)
        .where(national_items.c.batch_id == batch_id)
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

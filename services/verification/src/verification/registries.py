"""Registries a county keeps for the cross-checks: household register (户籍), poverty households (脱贫户), groups.

Each PUT replaces the county's whole registry as of a date; an older as_of than the one on record is refused.
Every record is checked first (all problems in one 422, nothing stored). ID numbers are kept only as their
blind index and masked form.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from baoxue_common.clock import Clock
from baoxue_common.errors import Conflict, Unprocessable
from baoxue_common.pii import mask_national_id, national_id_hash
from baoxue_common.uow import UnitOfWork

from verification.adapters import household_feed
from verification.adapters import registries_repository as store
from verification.adapters.registries_repository import Counts
from verification.domain.registries import (
    HouseholdChild,
    Problem,
    as_of_problems,
    cut,
    household_problems,
    number_problems,
)


def _refuse(problems: list[Problem], what: str) -> None:
    if problems:
        errors, more = cut(problems)
        extra = f" ({more} more not listed)" if more else ""
        detail = f"the {what} registry has {len(problems)} problems{extra}; nothing was stored"
        raise Unprocessable(detail, errors=errors)


def _born(number: str) -> date:
    """The birth date an ID number (already checked) carries."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _household_rows(county: str, children: Sequence[HouseholdChild], key: str, today: date) -> list[tuple[Any, ...]]:
    _refuse(household_problems(children, today), "household")
    rows = []
    for c in children:
        number = c.national_id.upper()
        rows.append(
            (
                county,
                national_id_hash(key, number),
                mask_national_id(number),
                c.name,
                c.gender,
                c.birth_date,
                c.hukou_county_code,
                c.residence_county_code,
            )
        )
    return rows


def _poverty_rows(county: str, numbers: Sequence[str], key: str) -> list[tuple[Any, ...]]:
    _refuse(number_problems(numbers, ("body", "national_ids")), "poverty")
    return [(county, national_id_hash(key, n.upper()), mask_national_id(n.upper()), _born(n.upper())) for n in numbers]


def _group_rows(county: str, children: Sequence[tuple[str, Sequence[str]]], key: str) -> list[tuple[Any, ...]]:
    _refuse(number_problems((n for n, _ in children), ("body", "children"), ("national_id",)), "groups")
    return [(county, national_id_hash(key, n.upper()), sorted(set(groups))) for n, groups in children]


async def _replace(
    uow: UnitOfWork, kind: str, county: str, as_of: date, rows: list[tuple[Any, ...]], clock: Clock | None = None
) -> Counts:
    async with uow:
        await store.lock(uow.session, county, kind)
        stored = await store.stored_as_of(uow.session, county, kind)
        if stored is not None and as_of < stored:
            raise Conflict(f"the {kind} registry on record is as of {stored}, later than {as_of}")
        before = None
        if clock is not None:  # the household register tells the ledgers what changed, in the same transaction
            feed, now = household_feed.emit_changes, clock.now()
            before = functools.partial(feed, uow.session, county=county, as_of=as_of, occurred_at=now)
        counts = await store.replace(uow.session, kind, county, rows, before)
        await store.set_as_of(uow.session, county, kind, as_of, len(rows))
        await uow.commit()
    return counts


async def replace_household(
    uow: UnitOfWork, county: str, as_of: date, children: Sequence[HouseholdChild], pii_key: str, clock: Clock
) -> Counts:
    """Replace the county's household register; 422 (nothing stored) if any record is wrong, 409 if older."""
    today = clock.today()
    _refuse(as_of_problems(as_of, today), "household")
    # Checking and hashing a million numbers takes seconds: off the event loop.
    rows = await asyncio.to_thread(_household_rows, county, children, pii_key, today)
    return await _replace(uow, "household", county, as_of, rows, clock)


async def replace_poverty(
    uow: UnitOfWork, county: str, as_of: date, numbers: Sequence[str], pii_key: str, clock: Clock
) -> Counts:
    """Replace the county's list of children of poverty-alleviated households."""
    _refuse(as_of_problems(as_of, clock.today()), "poverty")
    rows = await asyncio.to_thread(_poverty_rows, county, numbers, pii_key)
    return await _replace(uow, "poverty", county, as_of, rows)


async def replace_groups(
    uow: UnitOfWork, county: str, as_of: date, children: Sequence[tuple[str, Sequence[str]]], pii_key: str, clock: Clock
) -> Counts:
    """Replace the county's record of children's priority groups."""
    _refuse(as_of_problems(as_of, clock.today()), "groups")
    rows = await asyncio.to_thread(_group_rows, county, children, pii_key)
    return await _replace(uow, "groups", county, as_of, rows)

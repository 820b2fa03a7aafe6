"""Storage of the school-age ledger: a child's rows one at a time, a household register part set-based."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import ledger_history, school_age

T = "ledger.school_age"
Row = dict[str, Any]
# A child's events are serialised on one of a few advisory locks: a household part of 1,000 children takes at
# most LOCK_BUCKETS of them, not one per child (PostgreSQL's lock table holds ~64 per connection by default).
LOCK_BUCKETS = 64
_BUCKET = f"(hashtext('school_age:' || {{key}}) & {LOCK_BUCKETS - 1}) + 3735552000"  # numbers no other lock uses


def _row(record: Any) -> Row:
    row = dict(record._mapping)
    row.pop("updated_at", None)
    row.pop("added", None)
    return row


async def rows_of(session: AsyncSession, keys: Sequence[str], national_id_hash: str | None = None) -> list[Row]:
    """Every county's row of a child, by its keys or its blind index, locked for the transaction."""
    where: sa.ColumnElement[bool] = school_age.c.child_key.in_(list(keys))
    if national_id_hash:
        where = where | (school_age.c.national_id_hash == national_id_hash)
    result = await session.execute(sa.select(school_age).where(where).with_for_update())
    return [_row(r) for r in result]


async def lock_child(session: AsyncSession, key: str) -> None:
    """Serialise the events of one child (by blind index, else key) until the transaction ends."""
    lock = sa.text(f"SELECT pg_advisory_xact_lock({_BUCKET.format(key=':key')})")
    await session.execute(lock, {"key": key})


async def save(session: AsyncSession, row: Row) -> None:
    """Insert or overwrite one entry."""
    stmt = insert(school_age).values(**row)
    keys = ("county_code", "child_key")
    update = {k: stmt.excluded[k] for k in row if k not in keys} | {"updated_at": sa.func.now()}
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))


async def delete(session: AsyncSession, county: str, child_key: str) -> None:
    """Remove one entry."""
    await session.execute(
        sa.delete(school_age).where(school_age.c.county_code == county, school_age.c.child_key == child_key)
    )


_PART_INPUT = (
    "WITH i AS (SELECT * FROM unnest(CAST(:h AS text[]), CAST(:masked AS text[]), CAST(:gender AS text[]), "
    "CAST(:birth AS date[]), CAST(:hukou AS text[]), CAST(:residence AS text[]), CAST(:in_age AS boolean[])) "
    "AS i(h, masked, gender, birth, hukou, residence, in_age)), "
    f"pupil AS (SELECT DISTINCT p.national_id_hash AS h FROM {T} p JOIN i ON p.national_id_hash = i.h "
    "WHERE p.student_id IS NOT NULL) "
)
_PUPILS_ON_REGISTER = sa.text(
    _PART_INPUT + f"UPDATE {T} s SET on_register = true, masked_id = coalesce(s.masked_id, i.masked), "
    "updated_at = now() FROM i WHERE s.national_id_hash = i.h AND s.student_id IS NOT NULL "
    "AND (NOT s.on_register OR s.masked_id IS NULL) RETURNING s.*"
)
_HOUSEHOLD_GONE = sa.text(
    _PART_INPUT + f"DELETE FROM {T} s USING i WHERE s.child_key = 'h:' || i.h AND (NOT i.in_age "
    "OR s.county_code NOT IN (i.hukou, i.residence) OR i.h IN (SELECT h FROM pupil)) RETURNING s.*"
)
_HOUSEHOLD_UPSERT = sa.text(
    _PART_INPUT + ", want AS (SELECT c.county, i.h, i.masked, i.gender, i.birth, i.hukou, i.residence, "
    "array_agg(DISTINCT c.rel ORDER BY c.rel) AS relations FROM i "
    "CROSS JOIN LATERAL (VALUES (i.hukou, 'hukou'), (i.residence, 'residence')) AS c(county, rel) "
    "WHERE i.in_age AND i.h NOT IN (SELECT h FROM pupil) "
    "GROUP BY c.county, i.h, i.masked, i.gender, i.birth, i.hukou, i.residence) "
    f"INSERT INTO {T} AS s (county_code, child_key, entry_id, relations, national_id_hash, masked_id, gender, "
    "birth_date, hukou_county_code, residence_county_code, on_register, status, status_since) "
    "SELECT county, 'h:' || h, gen_random_uuid(), relations, h, masked, gender, birth, hukou, residence, true, "
    "'out_of_school', :day FROM want ON CONFLICT (county_code, child_key) DO UPDATE SET "
    "relations = excluded.relations, masked_id = excluded.masked_id, gender = excluded.gender, "
    "birth_date = excluded.birth_date, hukou_county_code = excluded.hukou_county_code, "
    "residence_county_code = excluded.residence_county_code, on_register = true, updated_at = now() "
    "WHERE (s.relations, s.masked_id, s.gender, s.birth_date, s.hukou_county_code, s.residence_county_code, "
    "s.on_register) IS DISTINCT FROM (excluded.relations, excluded.masked_id, excluded.gender, "
    "excluded.birth_date, excluded.hukou_county_code, excluded.residence_county_code, excluded.on_register) "
    "RETURNING s.*, (s.xmax = 0) AS added"
)
_REMOVED_HOUSEHOLD = sa.text(
    f"DELETE FROM {T} WHERE child_key = ANY(SELECT 'h:' || h FROM unnest(CAST(:removed AS text[])) AS r(h)) RETURNING *"
)
_REMOVED_PUPILS = sa.text(
    f"UPDATE {T} SET on_register = false, updated_at = now() WHERE national_id_hash = ANY(CAST(:removed AS text[])) "
    "AND student_id IS NOT NULL AND on_register RETURNING *"
)

_LOCK_CHILDREN = sa.text(
    f"SELECT count(pg_advisory_xact_lock(b)) FROM (SELECT DISTINCT {_BUCKET.format(key='k')} AS b "
    "FROM unnest(CAST(:keys AS text[])) AS t(k) ORDER BY b) AS sorted_buckets"
)
Change = tuple[Row, str, Row | None]
"""An entry's new state (or last, when removed), the change, and the entry before (None when added)."""
_HOUSEHOLD_BEFORE = sa.text(f"SELECT * FROM {T} WHERE child_key = ANY(CAST(:keys AS text[]))")


async def apply_household_part(
    session: AsyncSession, children: Sequence[dict[str, Any]], removed: Sequence[str], day: date
) -> list[Change]:
    """Apply one part of a household register change in six statements; the entries it changed."""
    params = {
        "h": [c["national_id_hash"] for c in children],
        "masked": [c["masked_id"] for c in children],
        "gender": [c["gender"] for c in children],
        "birth": [c["birth_date"] for c in children],
        "hukou": [c["hukou_county_code"] for c in children],
        "residence": [c["residence_county_code"] for c in children],
        "in_age": [c["in_age"] for c in children],
    }
    changes: list[Change] = []
    # The same per-child locks a pupil's events take (sorted: two parts never wait on each other in a cycle).
    await session.execute(_LOCK_CHILDREN, {"keys": sorted({*params["h"], *removed})})
    if children:
        # What the register's entries were: an update changes their relations, which reporting counts by.
        keys = [f"h:{h}" for h in params["h"]]
        before = {
            (r.county_code, r.child_key): _row(r) for r in await session.execute(_HOUSEHOLD_BEFORE, {"keys": keys})
        }
        for r in await session.execute(_PUPILS_ON_REGISTER, params):
            changes.append((_row(r), "updated", _row(r)))  # on the register: nothing counted changes
        for r in await session.execute(_HOUSEHOLD_GONE, params):
            changes.append((_row(r), "removed", _row(r)))
        for r in await session.execute(_HOUSEHOLD_UPSERT, params | {"day": day}):
            row = _row(r)
            was = None if r.added else before.get((row["county_code"], row["child_key"]), row)
            changes.append((row, "added" if r.added else "updated", was))
    if removed:
        for r in await session.execute(_REMOVED_HOUSEHOLD, {"removed": list(removed)}):
            changes.append((_row(r), "removed", _row(r)))
        for r in await session.execute(_REMOVED_PUPILS, {"removed": list(removed)}):
            changes.append((_row(r), "updated", _row(r)))
    return changes


async def keep_states(session: AsyncSession, states: Sequence[dict[str, Any]]) -> None:
    """Keep many entries' states in the history in one statement (rows of ledger_history's columns)."""
    if states:
        await session.execute(insert(ledger_history), list(states))

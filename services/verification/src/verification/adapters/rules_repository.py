"""Storage of the thresholds each region sets (NULL: inherited), inside a unit of work or on a connection."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common import rules_store
from baoxue_common.rules import RULE_NAMES, Rules, effective_rules
from baoxue_common.rules_store import Overrides, overrides_of
from baoxue_common.stamped import StampedCache, table_stamp
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from verification.adapters.orm import rules

# Rules PUTs take this transaction lock: a region's consistency check reads the regions above and below it.
RULES_LOCK = 0x7275_6C65
# Per process and county, checked once per session (a consumer's poll) against a digest of the rules table;
# a PUT on another connection applies from the next session, one on this session at once.
_CACHE: StampedCache[Rules] = StampedCache("verification.rules", table_stamp(rules))


async def chain_overrides(db: AsyncSession | AsyncConnection, region: str) -> Overrides:
    """The settings of the region and of every region above it."""
    return await rules_store.chain_overrides(db, rules, region, RULE_NAMES)


async def all_overrides(session: AsyncSession) -> Overrides:
    """Every region's own settings (a few thousand rows at most: one per region that set any)."""
    return overrides_of(await session.execute(sa.select(rules)), RULE_NAMES)


async def rules_of(db: AsyncSession | AsyncConnection, county: str) -> Rules:
    """The rules in force in a county (on a session, from the cache `_CACHE`)."""
    if not isinstance(db, AsyncSession):
        return effective_rules(county, await chain_overrides(db, county))[0]

    async def read() -> Rules:
        return effective_rules(county, await chain_overrides(db, county))[0]

    return await _CACHE.get(db, county, read)


async def lock_rules(session: AsyncSession) -> None:
    """Serialise changes of rules until the transaction ends."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(RULES_LOCK)))


async def save_rules(session: AsyncSession, region: str, values: dict[str, int]) -> bool:
    """Replace a region's own settings; whether they differ from those on record."""
    _CACHE.forget(session)
    if not values:  # no row means nothing set: a row never holds only NULLs
        deleted = await session.execute(
            sa.delete(rules).where(rules.c.region_code == region).returning(rules.c.region_code)
        )
        return deleted.first() is not None
    row = {name: values.get(name) for name in RULE_NAMES}
    stmt = insert(rules).values(region_code=region, **row)
    differs = sa.or_(*(rules.c[name].is_distinct_from(stmt.excluded[name]) for name in RULE_NAMES))
    upsert = stmt.on_conflict_do_update(
        index_elements=[rules.c.region_code], set_={**row, "updated_at": sa.func.now()}, where=differs
    )
    return (await session.execute(upsert.returning(rules.c.region_code))).first() is not None

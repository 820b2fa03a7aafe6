"""Each service's migrations reach head from an empty database and from the previous head, in its own schema
with its own version table, and head is exactly the tables the code uses."""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from baoxue_common.db import make_engine
from baoxue_common.devstack import ensure_database
from baoxue_common.migrations import alembic_config, migrate_async
from baoxue_common.services import SERVICES, ServiceSpec
from baoxue_common.tables import CommonTables

from tests.integration.conftest import Stack


def revisions(spec: ServiceSpec) -> tuple[str, str]:
    """(head, the revision before it) from the service's script directory."""
    script = ScriptDirectory.from_config(alembic_config(spec, ""))
    head = script.get_current_head()
    assert head is not None, spec.name
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str), f"{spec.name}: head {head} has no single previous revision"
    return head, previous


async def differences(database_url: str, spec: ServiceSpec) -> list[object]:
    """What autogenerate would change to make the schema match the service's ORM metadata."""
    metadata: sa.MetaData = importlib.import_module(f"{spec.package}.adapters.orm").metadata
    assert metadata.schema == spec.schema

    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _: type_ != "schema" or name == spec.schema,
                "version_table_schema": spec.schema,
            },
        )
        return list(compare_metadata(context, metadata))

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


async def versions(database_url: str) -> dict[str, str]:
    """Each service's recorded revision."""
    conn = await asyncpg.connect(database_url)
    try:
        return {s.name: await conn.fetchval(f'SELECT version_num FROM "{s.schema}".alembic_version') for s in SERVICES}
    finally:
        await conn.close()


@pytest.fixture
async def empty_database(stack: Stack) -> AsyncIterator[str]:
    """A new, empty database on the test server."""
    name = f"baoxue_migrations_{os.getpid()}"
    yield await ensure_database(stack.database_url, name, fresh=True)
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.mark.parametrize("spec", SERVICES, ids=[s.name for s in SERVICES])
async def test_migrations_match_the_tables_the_code_uses(stack: Stack, spec: ServiceSpec) -> None:
    assert await differences(stack.database_url, spec) == [], f"{spec.name}: migrations and ORM differ"


async def test_every_service_keeps_its_own_version_table_at_head(stack: Stack) -> None:
    assert await versions(stack.database_url) == {s.name: revisions(s)[0] for s in SERVICES}
    conn = await asyncpg.connect(stack.database_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.alembic_version')") is None
    finally:
        await conn.close()


async def test_an_empty_database_upgrades_to_head_matching_the_code(empty_database: str) -> None:
    for spec in SERVICES:
        await migrate_async(spec, empty_database)
    assert await versions(empty_database) == {s.name: revisions(s)[0] for s in SERVICES}
    for spec in SERVICES:
        assert await differences(empty_database, spec) == [], spec.name


async def test_a_database_at_the_previous_head_upgrades_to_head_keeping_its_rows_and_back(
    empty_database: str,
) -> None:
    pending, published = uuid.uuid4(), uuid.uuid4()
    for spec in SERVICES:
        await migrate_async(spec, empty_database, revisions(spec)[1])
    assert await versions(empty_database) == {s.name: revisions(s)[1] for s in SERVICES}
    conn = await asyncpg.connect(empty_database)
    try:
        for spec in SERVICES:
            await conn.execute(
                f'INSERT INTO "{spec.schema}".outbox (event_id, topic, key, value, published_at) '
                "VALUES ($1, 'attendance.v1', '110101', 'x', NULL), ($2, 'attendance.v1', '110101', 'y', now())",
                pending,
                published,
            )
            await conn.execute(
                f'INSERT INTO "{spec.schema}".inbox (event_id, event_type, topic, partition, "offset") '
                "VALUES ($1, 'AbsenceRecorded', 'attendance.v1', 0, 7)",
                pending,
            )
    finally:
        await conn.close()
    for spec in SERVICES:
        await migrate_async(spec, empty_database)
    assert await versions(empty_database) == {s.name: revisions(s)[0] for s in SERVICES}
    for spec in SERVICES:
        assert await differences(empty_database, spec) == [], spec.name
        assert await pending_outbox_rows(empty_database, spec) == [pending], "the unsent row is still to be sent"
    for spec in SERVICES:
        await asyncio.to_thread(command.downgrade, alembic_config(spec, empty_database), revisions(spec)[1])
    assert await versions(empty_database) == {s.name: revisions(s)[1] for s in SERVICES}
    for spec in SERVICES:
        await migrate_async(spec, empty_database)
        assert await differences(empty_database, spec) == [], f"{spec.name}: down and up again"


async def pending_outbox_rows(database_url: str, spec: ServiceSpec) -> list[uuid.UUID]:
    """Event ids of the rows the relay would send next, read with today's table definitions."""
    outbox = CommonTables(sa.MetaData(schema=spec.schema)).outbox
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = sa.select(outbox.c.event_id).where(outbox.c.published_at.is_(None), outbox.c.parked_at.is_(None))
            return list((await conn.scalars(query.order_by(outbox.c.id))).all())
    finally:
        await engine.dispose()

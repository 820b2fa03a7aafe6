"""Each service's migrations produce exactly its ORM tables, in its own schema with its own version table."""

from __future__ import annotations

import importlib

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from baoxue_common.db import make_engine
from baoxue_common.services import SERVICES, ServiceSpec

from tests.integration.conftest import Stack


@pytest.mark.parametrize("spec", SERVICES, ids=[s.name for s in SERVICES])
async def test_migrations_match_the_tables_the_code_uses(stack: Stack, spec: ServiceSpec) -> None:
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

    engine = make_engine(stack.database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == [], f"{spec.name}: migrations and ORM differ: {differences}"


async def test_every_service_keeps_its_own_version_table(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        for spec in SERVICES:
            version = await conn.fetchval(f'SELECT version_num FROM "{spec.schema}".alembic_version')
            assert version == "0001", spec.name
        assert await conn.fetchval("SELECT to_regclass('public.alembic_version')") is None
    finally:
        await conn.close()

"""Alembic per service: each service migrates its own schema and keeps its own version table there."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from baoxue_common.db import async_url
from baoxue_common.services import ServiceSpec


def alembic_config(spec: ServiceSpec, database_url: str) -> Config:
    """The Alembic configuration of one service (its scripts live in `<package>.adapters:migrations`)."""
    cfg = Config()
    cfg.set_main_option("script_location", f"{spec.package}.adapters:migrations")
    cfg.attributes["database_url"] = database_url
    return cfg


def migrate(spec: ServiceSpec, database_url: str, revision: str = "head") -> None:
    """Upgrade a service's schema (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(spec, database_url), revision)


async def migrate_async(spec: ServiceSpec, database_url: str, revision: str = "head") -> None:
    """Upgrade a service's schema from async code."""
    await asyncio.to_thread(migrate, spec, database_url, revision)


def run_env(metadata: sa.MetaData) -> None:
    """The body of every service's `env.py`: create the schema, then migrate inside it, online only."""
    schema = metadata.schema
    if not schema:
        raise RuntimeError("a service's metadata must name its schema")
    url = context.config.attributes["database_url"]

    def include_name(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "schema" or name == schema

    def run(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await conn.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(main())

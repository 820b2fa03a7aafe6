"""Retention on the real database: old published outbox rows, old inbox rows and expired revocations go, in
bounded batches; unpublished and parked rows and anything recent stay; a service runtime runs it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import sqlalchemy as sa
from baoxue_common.db import make_engine
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.retention import Retention
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import ServiceSpec
from baoxue_common.tables import CommonTables

from tests.integration.conftest import Stack
from tests.integration.support import create_schema
from tests.integration.test_delivery import wait_until


class RecordingMetrics(PlumbingMetrics):
    """The real instruments, and every count the retention task handed them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def pruned(self, table: str, count: int) -> None:
        self.calls.append((table, count))
        super().pruned(table, count)


async def backdate(database_url: str, schema: str) -> None:
    """Rows of every kind, some past the 7-day retention age and some not."""
    conn = await asyncpg.connect(database_url)
    outbox = f'INSERT INTO "{schema}".outbox (event_id, topic, key, value, created_at, published_at, parked_at)'
    try:
        for label, created, published, parked, count in (
            ("old-published", "30 days", "8 days", None, 5),
            ("recent-published", "2 hours", "1 hour", None, 1),
            ("old-unpublished", "30 days", None, None, 1),
            ("old-parked", "30 days", None, "29 days", 1),
        ):
            for _ in range(count):
                await conn.execute(
                    outbox + " VALUES ($1, 't', $2, 'v', now() - $3::text::interval,"
                    " now() - $4::text::interval, now() - $5::text::interval)",
                    uuid.uuid4(),
                    label,
                    created,
                    published,
                    parked,
                )
        for applied, count in (("8 days", 5), ("1 minute", 1)):
            for _ in range(count):
                await conn.execute(
                    f'INSERT INTO "{schema}".inbox (event_id, event_type, topic, partition, "offset", applied_at)'
                    " VALUES ($1, $2, 't', 0, 0, now() - $3::text::interval)",
                    uuid.uuid4(),
                    applied,
                    applied,
                )
        for jti, expires in (
            ("expired-1", "-25 hours"),
            ("expired-2", "-2 days"),
            ("expired-3", "-90 days"),
            ("expired-an-hour-ago", "-1 hour"),
            ("still-valid", "1 day"),
        ):
            await conn.execute(
                f'INSERT INTO "{schema}".revoked_tokens (jti, expires_at) VALUES ($1, now() + $2::text::interval)',
                jti,
                expires,
            )
    finally:
        await conn.close()


async def remaining(database_url: str, schema: str) -> dict[str, list[str]]:
    """What is left in each table (outbox by label, inbox by age, tokens by id)."""
    conn = await asyncpg.connect(database_url)
    try:
        return {
            "outbox": sorted(r[0] for r in await conn.fetch(f'SELECT key FROM "{schema}".outbox')),
            "inbox": sorted(r[0] for r in await conn.fetch(f'SELECT event_type FROM "{schema}".inbox')),
            "revoked_tokens": sorted(r[0] for r in await conn.fetch(f'SELECT jti FROM "{schema}".revoked_tokens')),
        }
    finally:
        await conn.close()


KEPT = {
    "outbox": ["old-parked", "old-unpublished", "recent-published"],
    "inbox": ["1 minute"],
    "revoked_tokens": ["expired-an-hour-ago", "still-valid"],
}


async def test_prune_deletes_only_what_is_past_retention_in_bounded_batches(stack: Stack) -> None:
    schema = "retention_test"
    await create_schema(stack.database_url, schema)
    await backdate(stack.database_url, schema)
    metrics = RecordingMetrics()
    engine = make_engine(stack.database_url)
    retention = Retention(
        engine, CommonTables(sa.MetaData(schema=schema)), max_age=timedelta(days=7), batch_size=2, metrics=metrics
    )
    try:
        pruned = await retention.prune()
        again = await retention.prune()
    finally:
        await engine.dispose()
    assert pruned == {"outbox": 5, "inbox": 5, "revoked_tokens": 3}
    assert again == {"outbox": 0, "inbox": 0, "revoked_tokens": 0}
    assert await remaining(stack.database_url, schema) == KEPT
    assert max(count for _, count in metrics.calls) == 2, "no batch deletes more than batch_size rows"
    assert [c for t, c in metrics.calls if t == "outbox"][:3] == [2, 2, 1]


async def test_a_service_runtime_prunes_on_start_and_stops_with_the_relay(stack: Stack) -> None:
    schema = "runtime_retention_test"
    await create_schema(stack.database_url, schema)
    await backdate(stack.database_url, schema)
    settings = stack.settings(retention_interval_s=3600)
    spec = ServiceSpec("retention-test", schema, 0)
    runtime = ServiceRuntime(
        spec, settings, CommonTables(sa.MetaData(schema=schema)), {}, database_url=stack.database_url
    )
    await runtime.start()
    task = next((t for t in runtime._tasks if t.get_name() == "retention-test-retention"), None)
    try:
        await wait_until(lambda: _pruned(stack.database_url, schema), timeout_s=60)
    finally:
        await runtime.stop()
    assert task is not None and task.done() and not task.cancelled(), "the retention loop ended on stop by itself"
    assert await remaining(stack.database_url, schema) == KEPT


async def _pruned(database_url: str, schema: str) -> bool:
    return await remaining(database_url, schema) == KEPT

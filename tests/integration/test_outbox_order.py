"""Events of one key reach the topic in the order their transactions committed, on the real database and broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from baoxue_common.kafka import make_producer
from baoxue_common.outbox import OutboxRelay
from baoxue_common.uow import MAX_KEY_LOCKS
from baoxue_contracts import ContractViolation, decode
from baoxue_contracts.topics import ATTENDANCE

from tests.integration.conftest import Stack
from tests.integration.support import Counting, create_schema, sample_payload

SCHEMA = "order_test"
REGION = "110108"
SLOW_COMMIT_S = 3

# Test-only: a deferred constraint trigger runs at COMMIT, after the outbox INSERT, and sleeps when the
# transaction asked for it with SET LOCAL, so "inserted first, committed last" happens for real.
SLOW_COMMIT = f"""
CREATE FUNCTION "{SCHEMA}".slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('baoxue_test.commit_delay', true), '') <> '' THEN
    PERFORM pg_sleep(current_setting('baoxue_test.commit_delay')::float);
    PERFORM set_config('baoxue_test.commit_delay', '', true);  -- once per transaction, not per row
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "{SCHEMA}".outbox
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "{SCHEMA}".slow_commit();
"""


async def emit_one(counting: Counting, seq: int, *, commit_delay_s: float = 0, other_keys: int = 0) -> uuid.UUID:
    """One transaction that emits an event for REGION (and for other regions if asked), its commit slowed if asked."""
    async with counting.uow() as uow:
        if commit_delay_s:
            await uow.session.execute(sa.text(f"SET LOCAL baoxue_test.commit_delay = '{commit_delay_s}'"))
        for i in range(other_keys):
            region = f"1102{i:02d}"
            uow.emit(sample_payload(seq, region), region=region, occurred_at=datetime.now(UTC))
        envelope = uow.emit(sample_payload(seq, REGION), region=REGION, occurred_at=datetime.now(UTC))
        await uow.commit()
    return envelope.event_id


async def wait_for_sleeping_commit(conn: asyncpg.Connection, timeout_s: float = 30) -> None:
    """Until a session of this database sleeps inside its COMMIT (the slow transaction's row is inserted)."""
    deadline = time.monotonic() + timeout_s
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"
    while not await conn.fetchval(query):
        assert time.monotonic() < deadline, "the slow transaction never reached its commit"
        await asyncio.sleep(0.02)


async def topic_order(
    bootstrap: str, wanted: set[uuid.UUID], *, expect: int | None = None, timeout_s: float = 60
) -> list[uuid.UUID]:
    """The wanted event ids found on the topic, in the order they sit there (one key: one partition)."""
    consumer = AIOKafkaConsumer(
        ATTENDANCE,
        bootstrap_servers=bootstrap,
        group_id=f"order-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    found: list[tuple[int, int, uuid.UUID]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < (len(wanted) if expect is None else expect) and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    try:
                        event_id = decode(r.value)[0].event_id
                    except ContractViolation:  # the session's topics also carry other tests' records
                        continue
                    if event_id in wanted:
                        found.append((r.partition, r.offset, event_id))
    finally:
        await consumer.stop()
    assert len({p for p, _, _ in found}) <= 1, "one key, one partition"
    return [event_id for _, _, event_id in sorted(found)]


@pytest.mark.parametrize("other_keys", [0, MAX_KEY_LOCKS], ids=["one-key", "many-keys"])
async def test_a_transaction_that_inserts_first_but_commits_last_is_published_after_the_one_that_committed_first(
    stack: Stack, other_keys: int
) -> None:
    await create_schema(stack.database_url, SCHEMA)
    watcher = await asyncpg.connect(stack.database_url)
    await watcher.execute(SLOW_COMMIT)
    settings = stack.settings()
    counting = Counting(settings, stack.database_url, SCHEMA)
    producer = make_producer(settings, client_id="order-test")
    try:
        slow = asyncio.create_task(emit_one(counting, 1, commit_delay_s=SLOW_COMMIT_S, other_keys=other_keys))
        await wait_for_sleeping_commit(watcher)
        fast_id = await emit_one(counting, 2)
        # Commit order as another session sees it: is the slow one committed once the fast one is?
        rows = await watcher.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox WHERE key = $1', REGION)
        slow_committed_first = rows == 2
        slow_id = await slow
        committed = [slow_id, fast_id] if slow_committed_first else [fast_id, slow_id]

        await producer.start()  # the relay catches up only now, as after a backlog or an outage
        relay = OutboxRelay(counting.engine, counting.tables, producer, schema=SCHEMA)
        while await relay.publish_batch():
            pass
        assert relay.published == 2 + other_keys
        published = await topic_order(stack.bootstrap, {slow_id, fast_id})
    finally:
        await producer.stop()
        await watcher.close()
        await counting.engine.dispose()
    assert published == committed, "one key's events must reach the topic in commit order"

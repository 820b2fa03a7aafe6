"""The relay on a real broker: a row the broker can never take is parked while the rest flow; an outage
parks nothing; the backlog (rows, age of the oldest, parked) is measured, also while the broker is down."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from baoxue_common.devstack import Broker, free_port
from baoxue_common.kafka import ensure_topics, make_producer
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.outbox import OutboxRelay
from baoxue_common.settings import Settings
from baoxue_contracts.events.attendance import AttendanceSubmitted

from tests.integration.conftest import DATA, Stack
from tests.integration.support import Counting, create_schema
from tests.integration.test_delivery import wait_until
from tests.integration.test_outbox_order import topic_order

REGION = "110109"


class RecordingMetrics(PlumbingMetrics):
    """The real instruments, and every backlog figure the relay handed them."""

    def __init__(self) -> None:
        super().__init__()
        self.backlogs: list[tuple[int, float, int]] = []

    def set_backlog(self, rows: int, oldest_age_s: float, parked: int) -> None:
        self.backlogs.append((rows, oldest_age_s, parked))
        super().set_backlog(rows, oldest_age_s, parked)


def attendance(seq: int, statuses: int = 1) -> AttendanceSubmitted:
    """An event whose size grows with `statuses` (about 20 bytes each)."""
    counts = {f"status_{i:06d}": seq for i in range(statuses)}
    return AttendanceSubmitted(
        school_code=REGION + "0001", date=date(2026, 11, 2), batch_id=uuid.uuid4(), counts=counts, total=seq
    )


async def emit(counting: Counting, event: AttendanceSubmitted) -> uuid.UUID:
    """Commit one event through a unit of work."""
    async with counting.uow() as uow:
        envelope = uow.emit(event, region=REGION, occurred_at=datetime.now(UTC))
        await uow.commit()
    return envelope.event_id


async def outbox_rows(database_url: str, schema: str) -> dict[uuid.UUID, asyncpg.Record]:
    """Every outbox row by event id."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(f'SELECT event_id, published_at, parked_at, park_reason FROM "{schema}".outbox')
    finally:
        await conn.close()
    return {r["event_id"]: r for r in rows}


async def relay_for(
    counting: Counting, settings: Settings, schema: str, metrics: PlumbingMetrics
) -> tuple[OutboxRelay, AIOKafkaProducer]:
    """A relay of the schema with its own started producer, measuring the backlog every 0.1 s."""
    producer = make_producer(settings, client_id=f"{schema}-relay")
    await producer.start()
    relay = OutboxRelay(
        counting.engine,
        counting.tables,
        producer,
        schema=schema,
        idle_poll_s=0.05,
        prepare=lambda: ensure_topics(settings),
        metrics=metrics,
        backlog_interval_s=0.1,
    )
    return relay, producer


async def test_a_row_larger_than_max_request_size_is_parked_with_its_reason_and_the_rest_flow_in_order(
    stack: Stack,
) -> None:
    schema = "parking_test"
    settings = stack.settings(kafka_max_request_size=64 * 1024)
    await create_schema(stack.database_url, schema)
    counting = Counting(settings, stack.database_url, schema)
    first = await emit(counting, attendance(1))
    too_big = await emit(counting, attendance(2, statuses=10_000))  # ~250 KB
    third = await emit(counting, attendance(3))
    metrics = RecordingMetrics()
    relay, producer = await relay_for(counting, settings, schema, metrics)
    task = asyncio.create_task(relay.run())
    try:
        await wait_until(lambda: _counted(relay, published=2, parked=1), timeout_s=60)
        later = await emit(counting, attendance(4))  # the outbox is not stuck behind the parked row
        await wait_until(lambda: _counted(relay, published=3, parked=1), timeout_s=60)
        await wait_until(lambda: _last_backlog(metrics, (0, 1)), timeout_s=30)
        on_topic = await topic_order(stack.bootstrap, {first, too_big, third, later}, expect=3)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
        await producer.stop()
        await counting.engine.dispose()
    assert on_topic == [first, third, later], "the others in order, the parked row not at all"
    rows = await outbox_rows(stack.database_url, schema)
    assert rows[too_big]["published_at"] is None and rows[too_big]["parked_at"] is not None
    reason = rows[too_big]["park_reason"]
    assert "MessageSizeTooLargeError" in reason and "max_request_size" in reason, reason
    assert all(rows[i]["parked_at"] is None and rows[i]["published_at"] is not None for i in (first, third, later))


async def test_a_broker_outage_parks_nothing_and_the_backlog_shows_while_it_lasts(stack: Stack) -> None:
    schema = "backlog_test"
    broker = await Broker(free_port(), DATA / "logs" / "backlog-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap, kafka_request_timeout_ms=2000)
    await ensure_topics(settings)
    await create_schema(stack.database_url, schema)
    counting = Counting(settings, stack.database_url, schema)
    metrics = RecordingMetrics()
    relay, producer = await relay_for(counting, settings, schema, metrics)
    task = asyncio.create_task(relay.run())
    try:
        broker.kill()
        emitted = [await emit(counting, attendance(seq)) for seq in range(30)]
        await asyncio.sleep(1.0)
        await wait_until(lambda: _oldest_at_least(metrics, rows=30, age_s=1.0), timeout_s=60)
        assert relay.published == relay.parked == 0, "timeouts while the broker is down are retried, not parked"
        await broker.start()  # memory storage: it comes back empty and the relay re-creates the topics
        await wait_until(lambda: _counted(relay, published=30, parked=0), timeout_s=90)
        await wait_until(lambda: _last_backlog(metrics, (0, 0)), timeout_s=30)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
        await producer.stop()
        await counting.engine.dispose()
        broker.kill()
    rows = await outbox_rows(stack.database_url, schema)
    assert all(rows[i]["published_at"] is not None and rows[i]["parked_at"] is None for i in emitted)


async def _counted(relay: OutboxRelay, *, published: int, parked: int) -> bool:
    return relay.published >= published and relay.parked >= parked


async def _last_backlog(metrics: RecordingMetrics, rows_parked: tuple[int, int]) -> bool:
    return bool(metrics.backlogs) and (metrics.backlogs[-1][0], metrics.backlogs[-1][2]) == rows_parked


async def _oldest_at_least(metrics: RecordingMetrics, *, rows: int, age_s: float) -> bool:
    return any(r == rows and age >= age_s for r, age, _ in metrics.backlogs)

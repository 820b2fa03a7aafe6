"""A counting consumer on the shared plumbing: every applied event adds a row, so duplicates would show."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from baoxue_common.consumer import EventConsumer
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.kafka import make_consumer, make_producer
from baoxue_common.settings import Settings
from baoxue_common.tables import CommonTables
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory
from baoxue_contracts import Envelope, encode
from baoxue_contracts.events.attendance import AttendanceSubmitted
from sqlalchemy.ext.asyncio import AsyncEngine

COUNTY = "110101"
NATIONAL = "000000"


def whole_year(first: int) -> dict[str, Any]:
    """A calendar body for school year `first`-`first+1`: one term Aug 1 – Aug 31 next year, no holidays."""
    term = {"name": "全年", "start": date(first, 8, 1).isoformat(), "end": date(first + 1, 8, 31).isoformat()}
    return {"school_year": f"{first}-{first + 1}", "terms": [term], "holidays": [], "makeup_days": []}


def school_year_of(day: date) -> int:
    """The first calendar year of the school year a day falls in (school years open on Aug 1)."""
    return day.year if day.month >= 8 else day.year - 1


async def publish_test_calendars(http: httpx.AsyncClient, base_url: str, token: str) -> None:
    """Publish national whole-year calendars for this school year and the one before: every past weekday teaches."""
    first = school_year_of(date.today())
    for year in (first - 1, first):
        response = await http.put(
            f"{base_url}/v1/regions/{NATIONAL}/calendar",
            headers={"Authorization": f"Bearer {token}"},
            json=whole_year(year),
        )
        assert response.status_code == 200, response.text


def applied_table(metadata: sa.MetaData) -> sa.Table:
    """One row per application of an event (no unique key: a second application would add a second row)."""
    return sa.Table(
        "applied",
        metadata,
        sa.Column("n", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
    )


async def create_schema(database_url: str, schema: str) -> None:
    """A fresh schema with the common tables and `applied`."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    engine = make_engine(database_url)
    metadata = sa.MetaData(schema=schema)
    CommonTables(metadata)
    applied_table(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()


def sample_payload(seq: int, region: str = COUNTY) -> AttendanceSubmitted:
    """A valid event whose `total` carries a sequence number."""
    return AttendanceSubmitted(
        school_code=region + "0001", date=date(2026, 11, 2), batch_id=uuid.uuid4(), counts={"present": seq}, total=seq
    )


def sample_event(seq: int, region: str = COUNTY) -> Envelope:
    """A valid envelope around `sample_payload`."""
    return Envelope.wrap(sample_payload(seq, region), producer="test", region=region, occurred_at=datetime.now(UTC))


async def produce(producer: AIOKafkaProducer, topic: str, envelopes: list[Envelope]) -> None:
    """Send envelopes keyed by region and wait for every ack."""
    futures = [await producer.send(topic, encode(e), key=e.region.encode()) for e in envelopes]
    await asyncio.gather(*futures)


class Counting:
    """The plumbing of one schema with a handler that counts what it applies."""

    def __init__(self, settings: Settings, database_url: str, schema: str, *, delay_s: float = 0.0) -> None:
        self.metadata = sa.MetaData(schema=schema)
        self.tables = CommonTables(self.metadata)
        self.applied = applied_table(self.metadata)
        self.engine: AsyncEngine = make_engine(database_url)
        self.uow = UnitOfWorkFactory(make_sessionmaker(self.engine), self.tables, producer="test")
        self.settings = settings
        self.delay_s = delay_s
        self.fail_totals: set[int] = set()

    async def handle(self, event: AttendanceSubmitted, envelope: Envelope, uow: UnitOfWork) -> None:
        """Add a row; sleep to make batches slow; fail on purpose for chosen sequence numbers."""
        if event.total in self.fail_totals:
            raise RuntimeError(f"refusing event {event.total} on purpose")
        await uow.session.execute(sa.insert(self.applied).values(event_id=envelope.event_id, total=event.total))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)

    def consumer(self, topic: str, group: str, producer: AIOKafkaProducer) -> tuple[Any, EventConsumer]:
        """A Kafka consumer and the EventConsumer applying its batches."""
        kafka = make_consumer(self.settings, [topic], group_id=group, client_id=group)
        handlers = {AttendanceSubmitted: [self.handle]}
        return kafka, EventConsumer(kafka, producer, self.uow, handlers, group_id=group, max_attempts=2)

    async def counts(self) -> tuple[int, int]:
        """(rows applied, distinct events applied)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(self.applied.c.event_id))))
            ).one()
        return int(row[0]), int(row[1])


async def run_counting_consumer(settings: Settings, database_url: str, schema: str, topic: str, group: str) -> None:
    """Entry point of the consumer process the SIGKILL test starts and kills."""
    counting = Counting(settings, database_url, schema, delay_s=0.004)
    producer = make_producer(settings, client_id=group)
    await producer.start()
    kafka, consumer = counting.consumer(topic, group, producer)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.stop)
    await kafka.start()
    print("consuming", flush=True)
    await consumer.run()
    await kafka.stop()
    await producer.stop()
    await counting.engine.dispose()
    print("stopped cleanly", flush=True)


async def relay_caught_up(database_url: str, timeout_s: float = 30) -> None:
    """Wait until attendance-ingest's relay has published every row of its outbox."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        query = "SELECT count(*) FROM attendance_ingest.outbox WHERE published_at IS NULL AND parked_at IS NULL"
        while await conn.fetchval(query):
            assert asyncio.get_running_loop().time() < deadline, "the relay did not publish the outbox"
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def eventually(check: Any, timeout_s: float = 60) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def scalar(database_url: str, query: str, *args: object) -> Any:
    """One value from the database."""
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def topic_events(bootstrap: str, topic: str, keep: Callable[[Envelope], bool]) -> list[tuple[Envelope, Any]]:
    """The kept events of a topic read to its end, in partition and offset order (other records skipped)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from baoxue_contracts import ContractViolation, decode

    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    found: list[tuple[int, int, Envelope, Any]] = []
    try:
        await reader.topics()  # loads the metadata partitions_for_topic reads
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        deadline = asyncio.get_running_loop().time() + 30
        while [tp for tp, end in ends.items() if await reader.position(tp) < end]:
            assert asyncio.get_running_loop().time() < deadline, f"{topic} was not read to its end"
            for tp, records in (await reader.getmany(*partitions, timeout_ms=300)).items():
                for r in records:
                    try:
                        envelope, event = decode(r.value)
                    except ContractViolation:  # the session's topics also carry other tests' records
                        continue
                    if keep(envelope):
                        found.append((tp.partition, r.offset, envelope, event))
    finally:
        await reader.stop()
    return [(envelope, event) for _, _, envelope, event in sorted(found, key=lambda f: (f[0], f[1]))]


async def events_on(bootstrap: str, topic: str, event_type: str, students: set[str]) -> list[Any]:
    """Every event of a type about the given pupils on a topic."""
    kept = await topic_events(bootstrap, topic, lambda e: e.event_type == event_type and e.subject_id in students)
    return [event for _, event in kept]


async def school_events(bootstrap: str, database_url: str, school_code: str) -> list[Any]:
    """Every event of one school on attendance.v1, in topic order, once the relay has caught up."""
    from baoxue_contracts.topics import ATTENDANCE

    await relay_caught_up(database_url)
    return [event for _, event in await topic_events(bootstrap, ATTENDANCE, lambda e: e.school_code == school_code)]

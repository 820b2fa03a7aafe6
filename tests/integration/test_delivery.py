"""Delivery guarantees on the real broker and database: exactly-once effects, outbox through an outage, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from baoxue_common.devstack import Broker, free_port
from baoxue_common.kafka import ensure_topics, headers_dict, make_producer
from baoxue_common.outbox import OutboxRelay
from baoxue_contracts import decode, encode
from baoxue_contracts.topics import ATTENDANCE, DEADLETTER

from tests.integration.conftest import DATA, ROOT, Stack
from tests.integration.slice_data import COUNTY
from tests.integration.support import Counting, create_schema, produce, sample_event, sample_payload


async def create_topic(bootstrap: str, name: str, partitions: int = 4) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def read_all(bootstrap: str, topic: str, *, expect: int, timeout_s: float = 30) -> list:  # type: ignore[type-arg]
    """Every record of a topic from the beginning (a fresh group), waiting until `expect` arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    records = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            records.extend(r for rs in batch.values() for r in rs)
            if len(records) >= expect and not batch:
                break
    finally:
        await consumer.stop()
    return records


async def wait_until(check, timeout_s: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout_s}s")
        await asyncio.sleep(0.1)
    return result


class ConsumerProcess:
    """A stream of events on a fresh topic, and the counting consumer that applies it in its own process."""

    def __init__(self, stack: Stack, name: str, total: int) -> None:
        self.stack, self.name, self.total = stack, name, total
        self.schema, self.topic = f"{name}_test", f"{name}.{uuid.uuid4().hex[:6]}.v1"
        self.counting = Counting(stack.settings(), stack.database_url, self.schema)

    async def prepare(self) -> ConsumerProcess:
        """Create the schema and the topic and publish the events."""
        await create_schema(self.stack.database_url, self.schema)
        await create_topic(self.stack.bootstrap, self.topic)
        producer = make_producer(self.stack.settings(), client_id=f"{self.name}-producer")
        await producer.start()
        await produce(producer, self.topic, [sample_event(i, region=f"1101{i % 8:02d}") for i in range(self.total)])
        await producer.stop()
        return self

    def start(self) -> subprocess.Popen[bytes]:
        """Start the consumer process (group `kill-test`), logging to .data/test/logs."""
        env = {**os.environ, **self.stack.env, "TEST_SCHEMA": self.schema, "TEST_TOPIC": self.topic}
        with (DATA / "logs" / f"{self.name}-consumer.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.integration.counting_consumer_main"],
                cwd=ROOT,
                env={**env, "PYTHONPATH": str(ROOT)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )


async def test_a_consumer_killed_mid_batch_applies_every_event_exactly_once(stack: Stack) -> None:
    stream = await ConsumerProcess(stack, "kill", 1500).prepare()
    counting, total, start = stream.counting, stream.total, stream.start
    first = start()
    try:
        await wait_until(lambda: _at_least(counting, 300))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        applied_before_restart, _ = await counting.counts()
        assert 300 <= applied_before_restart < total, "the kill must land before the end of the stream"
        second = start()
        try:
            await wait_until(lambda: _at_least(counting, total), timeout_s=90)
            await asyncio.sleep(1.0)  # anything applied twice would show up now
            rows, distinct = await counting.counts()
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            first.kill()
        await counting.engine.dispose()
    assert (rows, distinct) == (total, total), f"{rows} applications of {distinct} distinct events (want {total})"


async def test_sigterm_finishes_the_batch_commits_its_offsets_and_exits(stack: Stack) -> None:
    stream = await ConsumerProcess(stack, "term", 1500).prepare()
    counting, total, topic = stream.counting, stream.total, stream.topic
    proc = stream.start()
    try:
        await wait_until(lambda: _at_least(counting, 300))
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    rows, distinct = await counting.counts()
    committed = await committed_total(stack.bootstrap, topic, "kill-test")
    await counting.engine.dispose()
    assert code == 0, "a clean exit on SIGTERM"
    assert rows == distinct < total, "stopped mid-stream, nothing applied twice"
    assert committed == rows, f"offsets of every applied record committed ({committed} committed, {rows} applied)"


async def committed_total(bootstrap: str, topic: str, group: str) -> int:
    """Sum over the partitions of the group's committed offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        offsets = [await consumer.committed(TopicPartition(topic, p)) for p in sorted(partitions)]
    finally:
        await consumer.stop()
    return sum(o or 0 for o in offsets)


async def _at_least(counting: Counting, n: int) -> bool:
    rows, _ = await counting.counts()
    return rows >= n


async def emit_events(counting: Counting, count: int, *, regions: int = 1) -> list[uuid.UUID]:
    """Commit `count` events through units of work (one per transaction); return their ids in order."""
    ids: list[uuid.UUID] = []
    for seq in range(count):
        region = f"1101{seq % regions + 1:02d}"
        async with counting.uow() as uow:
            ids.append(uow.emit(sample_payload(seq, region), region=region, occurred_at=datetime.now(UTC)).event_id)
            await uow.commit()
    return ids


async def _published(relay: OutboxRelay, n: int) -> bool:
    return relay.published >= n


async def test_outbox_holds_events_while_the_broker_is_down_and_delivers_each_once(stack: Stack) -> None:
    broker = await Broker(free_port(), DATA / "logs" / "outage-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap, kafka_request_timeout_ms=2000)
    await ensure_topics(settings)
    schema = "outage_test"
    await create_schema(stack.database_url, schema)
    counting = Counting(settings, stack.database_url, schema)
    producer = make_producer(settings, client_id="outage-relay")
    await producer.start()
    relay = OutboxRelay(
        counting.engine,
        counting.tables,
        producer,
        schema=schema,
        idle_poll_s=0.05,
        prepare=lambda: ensure_topics(settings),
    )
    counting.uow.on_commit = relay.wake
    task = asyncio.create_task(relay.run())
    try:
        broker.kill()
        emitted = await emit_events(counting, 200)
        await asyncio.sleep(2.0)
        assert relay.published == 0, "nothing can be published while the broker is down"
        await broker.start()  # Tansu keeps topics in memory: it comes back empty, the relay re-creates them
        await wait_until(lambda: _published(relay, 200), timeout_s=60)
        records = await read_all(broker.bootstrap, ATTENDANCE, expect=200)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
        await producer.stop()
        await counting.engine.dispose()
        broker.kill()
    ids = [decode(r.value)[0].event_id for r in records]
    assert len(ids) == 200, f"{len(ids)} records delivered (want 200, each once)"
    assert set(ids) == set(emitted)


async def test_two_relays_never_publish_a_row_twice_and_keep_each_region_in_order(stack: Stack) -> None:
    broker = await Broker(free_port(), DATA / "logs" / "relays-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap)
    await ensure_topics(settings)
    schema = "relays_test"
    await create_schema(stack.database_url, schema)
    counting = Counting(settings, stack.database_url, schema)
    emitted = await emit_events(counting, 600, regions=3)
    producers = [make_producer(settings, client_id=f"relay-{i}") for i in range(2)]
    relays = [
        OutboxRelay(counting.engine, counting.tables, p, schema=schema, batch_size=50, idle_poll_s=0.01)
        for p in producers
    ]
    try:
        for p in producers:
            await p.start()
        tasks = [asyncio.create_task(r.run()) for r in relays]
        await wait_until(lambda: _published_total(relays, 600), timeout_s=60)
        records = await read_all(broker.bootstrap, ATTENDANCE, expect=600)
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)
        for p in producers:
            await p.stop()
        await counting.engine.dispose()
        broker.kill()
    envelopes = [decode(r.value) for r in records]
    assert sorted(e.event_id for e, _ in envelopes) == sorted(emitted), "each row published exactly once"
    by_region: dict[str, list[int]] = defaultdict(list)
    for envelope, event in envelopes:
        by_region[envelope.region].append(event.total)  # type: ignore[attr-defined]
    for region, seqs in by_region.items():
        assert seqs == sorted(seqs), f"region {region} out of order"
    assert sum(r.published for r in relays) == 600


async def _published_total(relays: list[OutboxRelay], n: int) -> bool:
    return sum(r.published for r in relays) >= n


async def test_malformed_and_unknown_version_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    stack: Stack,
) -> None:
    schema, topic = "dlq_test", f"dlq.{uuid.uuid4().hex[:6]}.v1"
    await create_schema(stack.database_url, schema)
    await create_topic(stack.bootstrap, topic, partitions=1)
    settings = stack.settings()
    counting = Counting(settings, stack.database_url, schema)
    counting.fail_totals = {3}
    producer = make_producer(settings, client_id="dlq-test")
    await producer.start()
    good, failing = sample_event(1), sample_event(3)
    unknown_version = encode(sample_event(2)).replace(b'"schema_version":1', b'"schema_version":99')
    malformed = b'{"event_id": "not-a-uuid", oops'
    for value in (malformed, unknown_version, encode(failing), encode(good)):
        await producer.send_and_wait(topic, value, key=COUNTY.encode())
    kafka, consumer = counting.consumer(topic, "dlq-test", producer)
    await kafka.start()
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: _at_least(counting, 1), timeout_s=60)
        dead = [r for r in await read_all(stack.bootstrap, DEADLETTER, expect=3) if _source(r) == topic]
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await kafka.stop()
        await producer.stop()
        await counting.engine.dispose()
    reasons = {r.value: headers_dict(r.headers)["dlq-reason"] for r in dead}
    assert set(reasons) == {malformed, unknown_version, encode(failing)}, "the original bytes, each once"
    assert "invalid json" in reasons[malformed].lower()
    assert "schema_version 99" in reasons[unknown_version]
    assert "refusing event 3" in reasons[encode(failing)]
    assert await counting.counts() == (1, 1), "the good message after the bad ones was applied, once"


def _source(record) -> str:  # type: ignore[no-untyped-def]
    return headers_dict(record.headers).get("dlq-source-topic", "")

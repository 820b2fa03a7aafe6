"""The consumer on the real broker and database: batch handlers, rebalances, shutdown, lag."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from baoxue_common.consumer import EventConsumer, EventHandlers, batched
from baoxue_common.devstack import Broker, free_port
from baoxue_common.kafka import ensure_topics, make_consumer, make_producer
from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.settings import Settings
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import AttendanceSubmitted, Envelope
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from tests.integration.conftest import DATA, Stack
from tests.integration.support import Counting, create_schema, produce, sample_event
from tests.integration.test_delivery import committed_total, create_topic, wait_until


class RecordingMetrics(PlumbingMetrics):
    """The real instruments, and a note of every lag reported and every set of partitions kept."""

    def __init__(self) -> None:
        super().__init__()
        self.lags: list[tuple[int, int]] = []
        self.kept: list[set[tuple[str, int]]] = []

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        self.lags.append((partition, lag))
        super().set_lag(topic, partition, lag)

    def forget_partitions(self, keep: set[tuple[str, int]]) -> None:
        self.kept.append(set(keep))
        super().forget_partitions(keep)


class Stream:
    """A fresh schema and topic holding `total` events spread over the partitions by region."""

    def __init__(self, stack: Stack, name: str, settings: Settings, *, partitions: int = 4) -> None:
        self.stack, self.settings, self.partitions = stack, settings, partitions
        self.schema, self.topic = f"{name}_test", f"{name}.{uuid.uuid4().hex[:6]}.v1"
        self.counting = Counting(settings, stack.database_url, f"{name}_test")
        self.producer: AIOKafkaProducer = make_producer(settings, client_id=f"{name}-producer")
        self.tasks: list[asyncio.Task[None]] = []
        self.kafkas: list[AIOKafkaConsumer] = []

    async def prepare(self, envelopes: list[Envelope]) -> Stream:
        await create_schema(self.stack.database_url, self.schema)
        await create_topic(self.settings.kafka_bootstrap_servers, self.topic, partitions=self.partitions)
        await self.producer.start()
        await produce(self.producer, self.topic, envelopes)
        return self

    def consumer(self, group: str, handlers: EventHandlers, metrics: PlumbingMetrics | None = None) -> EventConsumer:
        kafka = make_consumer(self.settings, [self.topic], group_id=group, client_id=f"{group}-{len(self.kafkas)}")
        self.kafkas.append(kafka)
        return EventConsumer(
            kafka, self.producer, self.counting.uow, handlers, group_id=group, max_attempts=2, metrics=metrics
        )

    async def start(self, consumer: EventConsumer) -> asyncio.Task[None]:
        await consumer._consumer.start()
        self.tasks.append(asyncio.create_task(consumer.run()))
        return self.tasks[-1]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for kafka in self.kafkas:
            # with the broker gone, aiokafka's stop() lets a pending fetch's CancelledError out
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(kafka.stop(), 15)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.producer.stop(), 15)
        await self.counting.engine.dispose()


def spread(count: int) -> list[Envelope]:
    """Events over 8 regions, so every partition gets some."""
    return [sample_event(i, region=f"1101{i % 8 + 1:02d}") for i in range(count)]


def set_based_insert(counting: Counting, sizes: list[int]) -> Any:
    """A batch handler adding one `applied` row per event with one INSERT; notes each call's size."""
    ids, totals = sa.bindparam("ids"), sa.bindparam("totals")
    rows = sa.func.unnest(sa.cast(ids, ARRAY(PG_UUID(as_uuid=True))), sa.cast(totals, ARRAY(sa.Integer)))
    batch = rows.table_valued("event_id", "total").render_derived(name="batch")
    stmt = sa.insert(counting.applied).from_select(["event_id", "total"], sa.select(batch.c.event_id, batch.c.total))

    async def handle(batch: Sequence[tuple[AttendanceSubmitted, Envelope]], uow: UnitOfWork) -> None:
        sizes.append(len(batch))
        await uow.session.execute(stmt, {"ids": [e.event_id for _, e in batch], "totals": [p.total for p, _ in batch]})

    return batched(handle)


def statements_per_transaction(counting: Counting) -> list[list[str]]:
    """The INSERT statements sent to the database, grouped by transaction (listening on the real engine)."""
    transactions: list[list[str]] = [[]]

    def on_execute(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("INSERT"):
            transactions[-1].append(statement.split("(")[0].split()[-1])

    sync = counting.engine.sync_engine
    sa.event.listen(sync, "before_cursor_execute", on_execute)
    sa.event.listen(sync, "commit", lambda _: transactions.append([]))
    return transactions


async def test_a_batch_handler_gets_a_whole_poll_of_fresh_records_with_one_statement_per_table(stack: Stack) -> None:
    settings = stack.settings(consumer_max_records=500)
    events = spread(600)
    stream = await Stream(stack, "batches", settings).prepare(events + events[:50])  # 50 published twice
    sizes: list[int] = []
    handlers: EventHandlers = {AttendanceSubmitted: [set_based_insert(stream.counting, sizes)]}
    transactions = statements_per_transaction(stream.counting)
    first = stream.consumer("batches-a", handlers)
    again = stream.consumer("batches-b", handlers)  # another group: everything it reads was applied already
    try:
        await stream.start(first)
        await wait_until(lambda: _applied(first, 650), timeout_s=60)
        applied_by_first = sum(sizes)
        await stream.start(again)
        await wait_until(lambda: _applied(again, 650), timeout_s=60)
        rows, distinct = await stream.counting.counts()
    finally:
        await stream.close()
    assert (rows, distinct) == (600, 600), "each event applied once, duplicates and redeliveries skipped"
    assert applied_by_first == sum(sizes) == 600, "only fresh records reach the handler"
    assert max(sizes) > 1, "a call takes many records"
    inbox, applied = f"{stream.schema}.inbox", f"{stream.schema}.applied"
    written = [t for t in transactions if t]
    assert written and all(t.count(inbox) == 1 and t.count(applied) <= 1 and len(t) <= 2 for t in written), written
    assert sum(t.count(applied) for t in written) == len(sizes)


async def _applied(consumer: EventConsumer, n: int) -> bool:
    return consumer.applied >= n


async def test_a_rebalance_mid_batch_commits_the_partitions_still_owned_and_loses_or_doubles_nothing(
    stack: Stack,
) -> None:
    settings = stack.settings(consumer_max_records=400)
    stream = await Stream(stack, "rebalance", settings).prepare(spread(400))
    counting, group = stream.counting, f"rebalance-{uuid.uuid4().hex[:6]}"
    started, rebalanced = asyncio.Event(), asyncio.Event()

    async def held_until_rebalanced(event: AttendanceSubmitted, envelope: Envelope, uow: UnitOfWork) -> None:
        started.set()
        await asyncio.wait_for(rebalanced.wait(), 60)  # the first batch is still open when the group rebalances
        await counting.handle(event, envelope, uow)

    metrics = RecordingMetrics()
    first = stream.consumer(group, {AttendanceSubmitted: [held_until_rebalanced]}, metrics)
    second = stream.consumer(group, {AttendanceSubmitted: [counting.handle]})
    commits = spy_commits(first)
    try:
        first_task = await stream.start(first)
        await asyncio.wait_for(started.wait(), 30)
        await stream.start(second)
        await wait_until(lambda: _rebalanced(stream.kafkas), timeout_s=30)
        kept_by_first = stream.kafkas[0].assignment()
        rebalanced.set()
        await wait_until(lambda: _rows(counting, 400), timeout_s=90)
        await wait_until(lambda: _committed_or_dead(stack, stream.topic, group, first_task), timeout_s=30)
        assert not first_task.done(), f"the first consumer died: {first_task.exception()!r}"
        first.stop()
        second.stop()
        await asyncio.wait_for(asyncio.gather(*stream.tasks), 30)
        rows, distinct = await counting.counts()
    finally:
        await stream.close()
    assert (rows, distinct) == (400, 400), f"{rows} applications of {distinct} distinct events"
    assert commits and set(commits[0]) == kept_by_first, "the first batch committed exactly the partitions kept"
    assert {(tp.topic, tp.partition) for tp in kept_by_first} in metrics.kept, "lag of revoked partitions forgotten"


def spy_commits(consumer: EventConsumer) -> list[dict[TopicPartition, int]]:
    """Note the offsets of each commit the consumer makes (the real commit still happens)."""
    kafka, seen = consumer._consumer, []
    real = kafka.commit

    async def commit(offsets: dict[TopicPartition, int] | None = None) -> None:
        seen.append(dict(offsets or {}))
        await real(offsets)

    kafka.commit = commit  # type: ignore[method-assign]
    return seen


async def _rebalanced(kafkas: list[AIOKafkaConsumer]) -> bool:
    return all(k.assignment() for k in kafkas)


async def _rows(counting: Counting, n: int) -> bool:
    rows, _ = await counting.counts()
    return rows >= n


async def _committed_or_dead(stack: Stack, topic: str, group: str, task: asyncio.Task[None]) -> bool:
    return task.done() or await committed_total(stack.bootstrap, topic, group) >= 400


async def test_stop_ends_a_dead_letter_stuck_on_a_dead_broker_and_leaves_its_record_uncommitted(stack: Stack) -> None:
    broker = await Broker(free_port(), DATA / "logs" / "deadletter-stop-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap, kafka_request_timeout_ms=2000)
    await ensure_topics(settings)
    good, poison = sample_event(1), sample_event(2)
    stream = await Stream(stack, "dlqstop", settings, partitions=1).prepare([good, poison])
    attempts = 0

    async def kill_the_broker_then_fail(event: AttendanceSubmitted, envelope: Envelope, uow: UnitOfWork) -> None:
        nonlocal attempts
        if envelope.event_id == poison.event_id:
            attempts += 1
            broker.kill()  # a real fault: the dead letter has nowhere to go
            raise RuntimeError("refusing the poison event")
        await stream.counting.handle(event, envelope, uow)

    consumer = stream.consumer("dlqstop", {AttendanceSubmitted: [kill_the_broker_then_fail]})
    commits = spy_commits(consumer)
    try:
        task = await stream.start(consumer)
        await wait_until(lambda: _at_least(lambda: attempts, 3), timeout_s=60)  # together once, alone twice
        await asyncio.sleep(1.0)  # the dead letter is being retried against the dead broker
        assert not task.done()
        consumer.stop()
        await asyncio.wait_for(task, 20)  # the bound: the dead letter gets a 3 s grace, then it is given up
    finally:
        broker.kill()
        await stream.close()
    assert consumer.dead_lettered == 0
    poison_offset = 1
    assert all(offset <= poison_offset for c in commits for offset in c.values()), f"poison record committed: {commits}"


async def _at_least(value: Callable[[], int], n: int) -> bool:
    return value() >= n


async def test_lag_per_partition_is_reported_after_each_poll_and_reaches_zero(stack: Stack) -> None:
    settings = stack.settings(consumer_max_records=40)
    stream = await Stream(stack, "lag", settings, partitions=3).prepare(spread(300))
    metrics = RecordingMetrics()
    consumer = stream.consumer("lag", {AttendanceSubmitted: [stream.counting.handle]}, metrics)
    try:
        await stream.start(consumer)
        await wait_until(lambda: _rows(stream.counting, 300), timeout_s=60)
        await wait_until(lambda: _caught_up(metrics, 3), timeout_s=30)
    finally:
        await stream.close()
    by_partition: dict[int, list[int]] = {}
    for partition, lag in metrics.lags:
        by_partition.setdefault(partition, []).append(lag)
    assert set(by_partition) == {0, 1, 2}
    assert all(max(lags) > 0 for lags in by_partition.values()), "a backlog shows as lag"
    assert sum(max(lags) for lags in by_partition.values()) <= 300


async def _caught_up(metrics: RecordingMetrics, partitions: int) -> bool:
    last: dict[int, int] = {}
    for partition, lag in metrics.lags:
        last[partition] = lag
    return len(last) == partitions and not any(last.values())

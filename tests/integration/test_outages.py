"""Outages are outages: real database faults are recognised, answered 503, waited out by the consumer and the relay.

The faults are real: a PostgreSQL of this module's own (never the shared one) stopped and started, a session
terminated, a TCP proxy cut, a pool exhausted, a role out of connections, a host that does not resolve.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from baoxue_common import db
from baoxue_common.consumer import EventConsumer
from baoxue_common.devstack import Broker, ServiceProcess, ensure_database, free_port
from baoxue_common.kafka import ensure_topics, headers_dict, make_producer
from baoxue_common.migrations import migrate_async
from baoxue_common.outbox import OutboxRelay
from baoxue_common.services import service
from baoxue_contracts import decode
from baoxue_contracts.events.attendance import AttendanceSubmitted
from baoxue_contracts.topics import ATTENDANCE, DEADLETTER

from tests.integration.conftest import DATA, Stack
from tests.integration.faults import FaultyPostgres, TcpProxy, stopped
from tests.integration.outage_scenarios import SCENARIOS, Env, Scenario, chain_of, sqlstate_of
from tests.integration.slice_data import COUNTY, SCHOOL
from tests.integration.support import Counting, create_schema, produce, sample_event
from tests.integration.test_delivery import committed_total, create_topic, emit_events, read_all, wait_until


@pytest.fixture(scope="module")
async def faulty() -> AsyncIterator[FaultyPostgres]:
    """A PostgreSQL these tests may stop and start, in its own short data directory."""
    pg = FaultyPostgres(DATA / "pgfault")
    await asyncio.to_thread(pg.start)
    try:
        yield pg
    finally:
        if pg.is_running():
            await asyncio.to_thread(pg.stop)


@pytest.fixture(scope="module")
async def fault_url(faulty: FaultyPostgres) -> str:
    """A fresh database on the faulty server (through its Unix socket)."""
    return await ensure_database(faulty.uri, "fault", fresh=True)


# --- one classification, checked against errors captured from real faults ---------------------------------------


@pytest.mark.parametrize(("scenario", "kind", "is_that_fault"), SCENARIOS, ids=[s[0].__name__ for s in SCENARIOS])
async def test_real_database_failures_are_classified(
    faulty: FaultyPostgres,
    fault_url: str,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Scenario,
    kind: str,
    is_that_fault: Callable[[BaseException], bool],
) -> None:
    error = await scenario(Env(faulty, fault_url, monkeypatch))
    chain = [f"{type(c).__name__}({sqlstate_of(c)}): {c}"[:160] for c in chain_of(error)]
    assert is_that_fault(error), f"the scenario did not produce its fault: {chain}"
    assert db.is_unavailable(error) is (kind == "outage"), chain
    assert db.is_retryable_conflict(error) is (kind == "conflict"), chain


# --- the API: 503 + Retry-After while the database is out of reach, 200 when it is back ----------------------------


async def test_a_service_answers_503_with_retry_after_while_its_database_is_down_and_200_once_back(
    stack: Stack, faulty: FaultyPostgres, fault_url: str
) -> None:
    await migrate_async(service("attendance-ingest"), fault_url)
    proxy = await TcpProxy(faulty.socket_path).start()
    env = {**stack.env, "DATABASE_URL": proxy.url("fault")}
    proc = ServiceProcess("attendance-ingest", free_port(), env, DATA / "logs" / "outage-ingest.log").start()
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    region = {"Authorization": f"Bearer {stack.token(f'region:{COUNTY}')}"}
    school = {"name": "停电小学", "county_code": COUNTY, "kind": "primary"}
    day = {"date": "2026-11-02", "records": [{"student_id": "G110101201503070018", "status": "present"}]}
    try:
        await proc.wait_healthy()
        async with httpx.AsyncClient(base_url=proc.url, timeout=30) as http:

            async def register() -> httpx.Response:
                return await http.put(f"/v1/schools/{SCHOOL}", headers=admin, json=school)

            async def attend() -> httpx.Response:  # a region token: the revocation check, then the school's county
                return await http.post(f"/v1/schools/{SCHOOL}/attendance", headers=region, json=day)

            assert (await register()).status_code == 200
            faults: list[tuple[str, Callable[[], Awaitable[None]], Callable[[], Awaitable[object]]]] = [
                ("proxy cut", proxy.cut, proxy.start),
                ("server stopped", lambda: asyncio.to_thread(faulty.stop), lambda: asyncio.to_thread(faulty.start)),
            ]
            for name, fail, repair in faults:
                await fail()
                try:
                    for call in (register, attend, register):
                        response = await call()
                        assert response.status_code == 503, f"{name}: {response.status_code} {response.text}"
                        assert response.headers["content-type"] == "application/problem+json"
                        assert int(response.headers["retry-after"]) > 0, name
                        assert response.json()["status"] == 503
                finally:
                    await repair()
                await wait_until(_answers_200(register), timeout_s=60)
    finally:
        await asyncio.to_thread(proc.stop)
        await proxy.close()


def _answers_200(call: Callable[[], Awaitable[httpx.Response]]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await call()).status_code == 200

    return check


# --- the consumer waits the outage out: nothing dead-lettered, lost, doubled or committed early -------------------


class Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Counts the partition assignments a consumer receives (one, unless it lost its place in the group)."""

    def __init__(self) -> None:
        self.assigned = 0

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.assigned += 1


async def dead_letters_from(bootstrap: str, topic: str, timeout_s: float = 60) -> list[object]:
    """The dead letters of `topic`: a marker sent last to every dead-letter partition bounds the read."""
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(DEADLETTER))
        for p in partitions:
            await producer.send_and_wait(DEADLETTER, b"", partition=p, headers=[("outage-test-marker", marker)])
    finally:
        await producer.stop()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    found: list[object] = []
    marked: set[int] = set()
    try:
        reader.assign([TopicPartition(DEADLETTER, p) for p in partitions])
        await reader.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while marked != set(partitions) and time.monotonic() < deadline:
            for tp, records in (await reader.getmany(timeout_ms=500)).items():
                for record in records:
                    headers = headers_dict(record.headers)
                    if headers.get("outage-test-marker") == marker.decode():
                        marked.add(tp.partition)
                    elif headers.get("dlq-source-topic") == topic:
                        found.append(record)
    finally:
        await reader.stop()
    assert marked == set(partitions), "the dead-letter topic was not read to its end"
    return found


async def _at_least(counting: Counting, n: int) -> bool:
    rows, _ = await counting.counts()
    return rows >= n


async def test_a_database_restart_under_load_loses_nothing_doubles_nothing_and_dead_letters_nothing(
    stack: Stack, faulty: FaultyPostgres, fault_url: str
) -> None:
    total, max_poll_ms, outage_s = 3000, 3000, 7.0  # the outage outlasts max_poll_interval_ms twice
    schema, topic, group = "restart_test", f"restart.{uuid.uuid4().hex[:6]}.v1", f"restart-{uuid.uuid4().hex[:6]}"
    await create_schema(fault_url, schema)
    await create_topic(stack.bootstrap, topic)
    settings = stack.settings()
    producer = make_producer(settings, client_id=group)
    await producer.start()
    await produce(producer, topic, [sample_event(i, region=f"1101{i % 8:02d}") for i in range(total)])
    counting = Counting(settings, fault_url, schema, delay_s=0.002)
    assignments = Assignments()
    kafka = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
        max_poll_records=100,
        max_poll_interval_ms=max_poll_ms,
    )
    kafka.subscribe([topic], listener=assignments)
    consumer = EventConsumer(kafka, producer, counting.uow, {AttendanceSubmitted: [counting.handle]}, group_id=group)
    await kafka.start()
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: _at_least(counting, total // 5), timeout_s=90)
        await asyncio.to_thread(faulty.stop)
        applied_at_stop = consumer.applied
        await asyncio.sleep(outage_s)
        assert consumer.applied == applied_at_stop, "nothing can be applied while the database is down"
        assert not task.done(), "the consumer waits the outage out"
        await asyncio.to_thread(faulty.start)
        await wait_until(lambda: _at_least(counting, total), timeout_s=120)
        await asyncio.sleep(1.0)  # anything applied twice would show up now
        rows, distinct = await counting.counts()
    finally:
        if not faulty.is_running():
            await asyncio.to_thread(faulty.start)
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await kafka.stop()
        await producer.stop()
        await counting.engine.dispose()
    committed = await committed_total(stack.bootstrap, topic, group)
    dead = await dead_letters_from(stack.bootstrap, topic)
    assert applied_at_stop < total, "the restart landed mid-stream"
    assert (rows, distinct) == (total, total), f"{rows} applications of {distinct} distinct events (want {total})"
    assert (len(dead), consumer.dead_lettered) == (0, 0), "an outage dead-letters nothing"
    assert committed == total, f"{committed} offsets committed (want {total})"
    assert assignments.assigned == 1, "the consumer kept its place in the group through the outage"


async def test_stop_during_an_outage_commits_nothing_and_the_next_consumer_resumes_where_it_stopped(
    stack: Stack, faulty: FaultyPostgres, fault_url: str
) -> None:
    total = 200
    schema, topic, group = "stopdown_test", f"stopdown.{uuid.uuid4().hex[:6]}.v1", f"stopdown-{uuid.uuid4().hex[:6]}"
    await create_schema(fault_url, schema)
    await create_topic(stack.bootstrap, topic, partitions=2)
    settings = stack.settings()
    producer = make_producer(settings, client_id=group)
    await producer.start()
    await produce(producer, topic, [sample_event(i, region=f"1101{i % 4:02d}") for i in range(total)])
    counting = Counting(settings, fault_url, schema)
    try:
        async with stopped(faulty):
            kafka, consumer = counting.consumer(topic, group, producer)
            await kafka.start()
            task = asyncio.create_task(consumer.run())
            try:
                await wait_until(lambda: _paused(kafka), timeout_s=60)  # waiting the outage out, partitions paused
                consumer.stop()
                await asyncio.wait_for(task, 30)
            finally:
                await kafka.stop()
            assert (consumer.applied, consumer.dead_lettered) == (0, 0)
        assert await committed_total(stack.bootstrap, topic, group) == 0, "nothing committed during the outage"
        kafka, consumer = counting.consumer(topic, group, producer)
        await kafka.start()
        task = asyncio.create_task(consumer.run())
        try:
            await wait_until(lambda: _at_least(counting, total), timeout_s=60)
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 30)
            await kafka.stop()
        assert await counting.counts() == (total, total)
        assert await committed_total(stack.bootstrap, topic, group) == total
        assert await dead_letters_from(stack.bootstrap, topic) == []
    finally:
        await producer.stop()
        await counting.engine.dispose()


async def _paused(kafka: AIOKafkaConsumer) -> bool:
    return bool(kafka.paused())


# --- the outbox relay rides the outage out too ------------------------------------------------------------------


async def test_the_relay_publishes_rows_committed_before_a_database_outage_once_after_it(
    stack: Stack, faulty: FaultyPostgres, fault_url: str
) -> None:
    broker = await Broker(free_port(), DATA / "logs" / "outage-relay-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap)
    await ensure_topics(settings)
    schema = "relaydown_test"
    await create_schema(fault_url, schema)
    counting = Counting(settings, fault_url, schema)
    emitted = await emit_events(counting, 300, regions=3)
    producer = make_producer(settings, client_id="outage-relay")
    await producer.start()
    relay = OutboxRelay(counting.engine, counting.tables, producer, schema=schema, idle_poll_s=0.05)
    task: asyncio.Task[None] | None = None
    try:
        async with stopped(faulty):
            task = asyncio.create_task(relay.run())
            await asyncio.sleep(3.0)
            assert relay.published == 0 and not task.done(), "the relay backs off while the database is down"
        await wait_until(lambda: _published(relay, 300), timeout_s=60)
        records = await read_all(broker.bootstrap, ATTENDANCE, expect=300)
    finally:
        relay.stop()
        if task is not None:
            await asyncio.wait_for(task, 30)
        await producer.stop()
        await counting.engine.dispose()
        broker.kill()
    ids = [decode(r.value)[0].event_id for r in records]
    assert sorted(ids) == sorted(emitted), f"{len(ids)} records for {len(emitted)} rows: each published once"


async def _published(relay: OutboxRelay, n: int) -> bool:
    return relay.published >= n

"""`python -m bench`: the foundation's throughput on the real broker and database, medians of several runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from baoxue_common.consumer import Batched, EventConsumer, EventHandlers, Handler, batched
from baoxue_common.devstack import Broker, ensure_database, free_port, start_postgres
from baoxue_common.kafka import ensure_topics, make_consumer, make_producer
from baoxue_common.outbox import OutboxRelay
from baoxue_common.settings import Settings
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import AttendanceSubmitted, Envelope
from baoxue_contracts.topics import TopicSpec
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from tests.integration.support import Counting, create_schema, produce, sample_event, sample_payload

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def say(message: str) -> None:
    """Progress on stderr-like stdout, flushed."""
    print(f"[bench] {message}", flush=True)


async def relay_throughput(settings: Settings, database_url: str, events: int) -> float:
    """Events per second the outbox relay publishes (rows committed first, then timed until all are acked)."""
    schema = f"bench_relay_{uuid.uuid4().hex[:6]}"
    await create_schema(database_url, schema)
    counting = Counting(settings, database_url, schema)
    for start in range(0, events, 1000):
        async with counting.uow() as uow:
            for seq in range(start, min(start + 1000, events)):
                region = f"1101{seq % 16 + 1:02d}"
                uow.emit(sample_payload(seq, region), region=region, occurred_at=datetime.now(UTC))
            await uow.commit()
    producer = make_producer(settings, client_id="bench-relay")
    await producer.start()
    relay = OutboxRelay(counting.engine, counting.tables, producer, schema=schema, batch_size=1000, idle_poll_s=0.01)
    began = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.published < events:  # noqa: ASYNC110 - polling a counter is the measurement
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - began
    relay.stop()
    await task
    await producer.stop()
    await counting.engine.dispose()
    return events / elapsed


async def consumer_throughput(settings: Settings, database_url: str, events: int, *, mode: str) -> float:
    """Events per second the consumer applies: inbox marks, the handler (see CONSUMER_MODES), offsets."""
    schema, topic = f"bench_cons_{uuid.uuid4().hex[:6]}", f"bench.{uuid.uuid4().hex[:6]}.v1"
    await create_schema(database_url, schema)
    await ensure_topics(settings, [TopicSpec(topic, 8)])
    producer = make_producer(settings, client_id="bench-producer")
    await producer.start()
    for start in range(0, events, 5000):
        batch = [sample_event(i, region=f"1101{i % 16 + 1:02d}") for i in range(start, min(start + 5000, events))]
        await produce(producer, topic, batch)
    counting = Counting(settings, database_url, schema)
    group = f"bench-{uuid.uuid4().hex[:6]}"
    kafka = make_consumer(settings, [topic], group_id=group, client_id=group)
    handlers: EventHandlers = {AttendanceSubmitted: [CONSUMER_MODES[mode][1](counting)]}
    consumer = EventConsumer(kafka, producer, counting.uow, handlers, group_id=group)
    await kafka.start()
    while not kafka.assignment():
        await kafka.getmany(timeout_ms=100)  # join the group before the clock starts; nothing is committed
        kafka.seek_to_beginning()
    began = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    while consumer.applied < events:  # noqa: ASYNC110 - polling a counter is the measurement
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - began
    consumer.stop()
    await task
    await kafka.stop()
    await producer.stop()
    rows, distinct = await counting.counts()
    async with counting.engine.connect() as conn:
        marked = await conn.scalar(sa.select(sa.func.count()).select_from(counting.tables.inbox))
    await counting.engine.dispose()
    if marked != events or rows != (0 if mode == "inbox" else events) or rows != distinct:
        raise AssertionError(f"{mode}: {marked} inbox marks, {rows} rows of {distinct} events (want {events}, once)")
    return events / elapsed


def insert_rows(counting: Counting) -> Batched:
    """A batch handler: one set-based INSERT for every event of the poll."""
    applied = counting.applied
    rows = (
        sa.func.unnest(
            sa.cast(sa.bindparam("ids"), ARRAY(PG_UUID(as_uuid=True))),
            sa.cast(sa.bindparam("totals"), ARRAY(sa.Integer)),
        )
        .table_valued("event_id", "total")
        .render_derived(name="batch")
    )
    stmt = sa.insert(applied).from_select(["event_id", "total"], sa.select(rows.c.event_id, rows.c.total))

    async def handle(batch: Sequence[tuple[AttendanceSubmitted, Envelope]], uow: UnitOfWork) -> None:
        ids, totals = [env.event_id for _, env in batch], [event.total for event, _ in batch]
        await uow.session.execute(stmt, {"ids": ids, "totals": totals})

    return batched(handle)


def insert_row_each(counting: Counting) -> Handler:
    """A per-event handler: one INSERT (one round trip) per event."""
    return counting.handle


def inbox_only(_: Counting) -> Batched:
    """A batch handler that does nothing: what is left is decoding, the inbox claim and the commits."""

    async def handle(_batch: Sequence[tuple[AttendanceSubmitted, Envelope]], _uow: UnitOfWork) -> None:
        return None

    return batched(handle)


CONSUMER_MODES: dict[str, tuple[str, Callable[[Counting], Handler | Batched]]] = {
    "batch": ("batch handler writes a row per event", insert_rows),
    "inbox": ("no-op batch handler (inbox only)", inbox_only),
    "per_event": ("per-event handler writes a row per event", insert_row_each),
}


def summary(runs: list[float]) -> dict[str, Any]:
    """Runs and their median, rounded."""
    return {"runs": [round(r) for r in runs], "median": round(statistics.median(runs))}


async def main(args: argparse.Namespace) -> None:
    data = ROOT / ".data" / "bench"
    server = os.environ.get("DATABASE_URL") or await asyncio.to_thread(start_postgres, data / "pg")
    database_url = await ensure_database(server, "baoxue_bench", fresh=True)
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        broker = await Broker(free_port(), data / "broker.log").start()
        bootstrap = broker.bootstrap
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=200,
        consumer_max_records=1000,
    )
    await ensure_topics(settings)
    relay_runs: list[float] = []
    consumer_runs: dict[str, list[float]] = {mode: [] for mode in CONSUMER_MODES}
    try:
        for run in range(1, args.runs + 1):
            relay_runs.append(await relay_throughput(settings, database_url, args.events))
            say(f"run {run}/{args.runs}: outbox relay {relay_runs[-1]:,.0f} events/s")
            for mode, (label, _) in CONSUMER_MODES.items():
                consumer_runs[mode].append(await consumer_throughput(settings, database_url, args.events, mode=mode))
                say(f"run {run}/{args.runs}: consumer, {label} {consumer_runs[mode][-1]:,.0f} events/s")
    finally:
        if broker is not None:
            broker.kill()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["foundation"] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "broker": "tansu" if broker else bootstrap,
        },
        "events_per_run": args.events,
        "outbox_relay_events_per_s": summary(relay_runs),
        "consumer_max_records": settings.consumer_max_records,
        "consumer_apply_events_per_s": summary(consumer_runs["batch"]),
        "consumer_inbox_only_events_per_s": summary(consumer_runs["inbox"]),
        "consumer_per_event_apply_events_per_s": summary(consumer_runs["per_event"]),
        "note": (
            "apply: a batch handler writes one row per event with one set-based INSERT per poll; "
            "inbox only: a batch handler that does nothing; per event: a per-event handler, one INSERT per event"
        ),
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    medians = {k: v["median"] for k, v in results["foundation"].items() if isinstance(v, dict) and "median" in v}
    say(f"wrote {RESULTS.relative_to(ROOT)}: medians {medians}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000)
    asyncio.run(main(parser.parse_args()))

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baoxue_common.devstack import Broker, ensure_database, free_port, start_postgres
from baoxue_common.kafka import ensure_topics, make_producer
from baoxue_common.outbox import OutboxRelay
from baoxue_common.settings import Settings
from baoxue_contracts.topics import TopicSpec

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


async def consumer_throughput(
    settings: Settings, database_url: str, bootstrap: str, events: int, *, handler_writes: bool
) -> float:
    """Events per second the consumer applies: inbox marks, the handler (one INSERT each, or nothing), offsets."""
    schema, topic = f"bench_cons_{uuid.uuid4().hex[:6]}", f"bench.{uuid.uuid4().hex[:6]}.v1"
    await create_schema(database_url, schema)
    await ensure_topics(settings, [TopicSpec(topic, 8)])
    producer = make_producer(settings, client_id="bench-producer")
    await producer.start()
    for start in range(0, events, 5000):
        batch = [sample_event(i, region=f"1101{i % 16 + 1:02d}") for i in range(start, min(start + 5000, events))]
        await produce(producer, topic, batch)
    counting = Counting(settings, database_url, schema)
    if not handler_writes:
        counting.handle = _noop  # type: ignore[method-assign]
    kafka, consumer = counting.consumer(topic, f"bench-{uuid.uuid4().hex[:6]}", producer)
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
    await counting.engine.dispose()
    return events / elapsed


async def _noop(*_: object) -> None:
    return None


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
    consumer_runs: list[float] = []
    inbox_runs: list[float] = []
    try:
        for run in range(1, args.runs + 1):
            relay_runs.append(await relay_throughput(settings, database_url, args.events))
            say(f"run {run}/{args.runs}: outbox relay {relay_runs[-1]:,.0f} events/s")
            consumer_runs.append(
                await consumer_throughput(settings, database_url, bootstrap, args.events, handler_writes=True)
            )
            say(f"run {run}/{args.runs}: consumer, handler writes a row {consumer_runs[-1]:,.0f} events/s")
            inbox_runs.append(
                await consumer_throughput(settings, database_url, bootstrap, args.events, handler_writes=False)
            )
            say(f"run {run}/{args.runs}: consumer, no-op handler (inbox only) {inbox_runs[-1]:,.0f} events/s")
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
        "consumer_apply_events_per_s": summary(consumer_runs),
        "consumer_inbox_only_events_per_s": summary(inbox_runs),
        "note": "handlers run one event at a time; the row-writing handler pays one SQL round trip per event",
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    medians = {k: v["median"] for k, v in results["foundation"].items() if isinstance(v, dict) and "median" in v}
    say(f"wrote {RESULTS.relative_to(ROOT)}: medians {medians}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000)
    asyncio.run(main(parser.parse_args()))

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

from bench import console, detection, detection_measure, ledger, reporting
from bench.attendance import Size, report, run_attendance
from bench.crosscheck import CrossCheckSize, run_crosscheck
from bench.national import run_national
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


def machine(tansu: bool, bootstrap: str) -> dict[str, Any]:
    """Where the figures were measured."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "broker": "tansu" if tansu else bootstrap}


async def foundation(
    args: argparse.Namespace, settings: Settings, database_url: str, tansu: bool, bootstrap: str
) -> dict[str, Any]:
    """The relay and consumer figures of the foundation."""
    relay_runs: list[float] = []
    consumer_runs: dict[str, list[float]] = {mode: [] for mode in CONSUMER_MODES}
    for run in range(1, args.runs + 1):
        relay_runs.append(await relay_throughput(settings, database_url, args.events))
        say(f"run {run}/{args.runs}: outbox relay {relay_runs[-1]:,.0f} events/s")
        for mode, (label, _) in CONSUMER_MODES.items():
            consumer_runs[mode].append(await consumer_throughput(settings, database_url, args.events, mode=mode))
            say(f"run {run}/{args.runs}: consumer, {label} {consumer_runs[mode][-1]:,.0f} events/s")
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(tansu, bootstrap),
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


def attendance_size(args: argparse.Namespace) -> Size:
    """The attendance bench's size: the default, `--quick`, or as given."""
    default = Size(schools=40, pupils=1000, days=1, runs=2, clients=4) if args.quick else Size(200, 1000, 1, 3, 8)
    for name in ("schools", "pupils", "days", "clients"):
        if getattr(args, name) is not None:
            setattr(default, name, getattr(args, name))
    if args.attendance_runs is not None:
        default.runs = args.attendance_runs
    return default


def detection_size(args: argparse.Namespace) -> detection.DetectionSize:
    """The detection bench's size: the default or `--quick` (schools and clients as given)."""
    if args.quick:
        size = detection.DetectionSize(20, 1000, probes=60, probe_interval_s=0.25, rate=13_000, clients=4)
    else:
        size = detection.DetectionSize(60, 1000, probes=200, probe_interval_s=0.2, rate=13_000, clients=8)
    for name in ("schools", "pupils", "clients"):
        if getattr(args, name) is not None:
            setattr(size, name, getattr(args, name))
    if args.rate is not None:
        size.rate = args.rate
    return size


def reporting_size(args: argparse.Namespace) -> reporting.ReportingSize:
    """The reporting bench's size: 20,000 schools of 500 pupils (10 M), `--quick` 1,000, or as given."""
    schools = args.reporting_schools or (1_000 if args.quick else 20_000)
    backlog = args.reporting_backlog or (50_000 if args.quick else 300_000)
    province = reporting.ProvinceSize(schools=schools)
    return reporting.ReportingSize(province, backlog=backlog, workers=args.reporting_workers)


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
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    try:
        if args.only in (None, "foundation"):
            results["foundation"] = await foundation(args, settings, database_url, broker is not None, bootstrap)
        if args.only in (None, "detection"):
            # Its own database (it registers schools the attendance section registers too), and run before the
            # sections that leave events on the bus, so its consumers start with no backlog.
            detection_db = await ensure_database(server, "baoxue_bench_detection", fresh=True)
            section = await detection.run_detection(
                detection_db, bootstrap, data, detection_size(args), say, args.profile_seconds
            )
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, bootstrap)
            results["detection_latency"] = section
            detection_measure.report(section, say)
        if args.only in (None, "attendance"):
            size = attendance_size(args)
            section = await run_attendance(
                database_url, bootstrap, data, size, args.variants.split(","), say, args.profile_seconds
            )
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, bootstrap)
            results["attendance_ingest"] = section
            report(section, say)
        if args.only in (None, "crosscheck"):
            size_cc = CrossCheckSize(children=args.children or (50_000 if args.quick else 1_000_000))
            section = await run_crosscheck(database_url, bootstrap, data, size_cc, say)
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, bootstrap)
            results["crosscheck"] = section
        if args.only in (None, "ledger"):
            ledger_db = await ensure_database(server, "baoxue_bench_ledger", fresh=True)
            entries = args.ledger_entries or (20_000 if args.quick else 100_000)
            # A broker of its own: the other sections' events (a million-child household register) would
            # otherwise reach this ledger service, which reads every topic from the start.
            own = await Broker(free_port(), data / "broker-ledger.log").start() if broker is not None else None
            ledger_bootstrap = own.bootstrap if own is not None else bootstrap
            try:
                await ensure_topics(settings.model_copy(update={"kafka_bootstrap_servers": ledger_bootstrap}))
                section = await ledger.run_ledger(ledger_db, ledger_bootstrap, data, entries, 200, say)
            finally:
                if own is not None:
                    own.kill()
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, ledger_bootstrap)
            results["ledger"] = section
        if args.only in (None, "console"):
            console_db = await ensure_database(server, "baoxue_bench_console", fresh=True)
            entries = args.ledger_entries or (20_000 if args.quick else 100_000)
            own = await Broker(free_port(), data / "broker-console.log").start() if broker is not None else None
            console_bootstrap = own.bootstrap if own is not None else bootstrap
            try:  # a broker of its own, as for the ledger section: no other section's events reach this ledger
                await ensure_topics(settings.model_copy(update={"kafka_bootstrap_servers": console_bootstrap}))
                section = await console.run_console(console_db, console_bootstrap, data, entries, 200, say)
            finally:
                if own is not None:
                    own.kill()
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, console_bootstrap)
            results["console"] = section
        if args.only in (None, "reporting"):
            reporting_db = await ensure_database(server, "baoxue_bench_reporting", fresh=True)
            section = await reporting.run_reporting(reporting_db, data, reporting_size(args), say)
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, bootstrap)
            results["reporting"] = section
            reporting.report(section, say)
        if args.only in (None, "national"):
            section = await run_national(database_url, bootstrap, data, 1_000 if args.quick else 10_000, say)
            section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            section["machine"] = machine(broker is not None, bootstrap)
            results["national"] = section
    finally:
        if broker is not None:
            broker.kill()
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    say(f"wrote {RESULTS.relative_to(ROOT)} ({', '.join(results)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument(
        "--only",
        choices=["foundation", "attendance", "detection", "crosscheck", "national", "ledger", "console", "reporting"],
        help="run one section (the others are kept)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="attendance: a small size (40 schools x 1,000 pupils, 2 runs); crosscheck: 50,000 children; "
        "national: 1,000 items; detection: a shorter load; reporting: 1,000 schools (500,000 pupils), a 50,000 backlog",
    )
    parser.add_argument(
        "--children", type=int, help="crosscheck: children on the register and pupils (default 1,000,000; quick 50,000)"
    )
    parser.add_argument(
        "--ledger-entries", type=int, help="ledger, console: entries in each of the county's ledgers (default 100,000)"
    )
    parser.add_argument(
        "--reporting-schools", type=int, help="reporting: schools of 500 pupils in the province (default 20,000)"
    )
    parser.add_argument(
        "--reporting-backlog", type=int, help="reporting: LedgerEntryChanged the consumer applies (default 300,000)"
    )
    parser.add_argument("--reporting-workers", type=int, default=2, help="reporting: processes building the model")
    parser.add_argument("--schools", type=int, help="attendance: schools (default 200)")
    parser.add_argument("--pupils", type=int, help="attendance: pupils per school (default 1,000)")
    parser.add_argument("--days", type=int, help="attendance: school days pushed per run (default 1)")
    parser.add_argument("--clients", type=int, help="attendance: concurrent HTTP clients and raw writers (default 8)")
    parser.add_argument("--attendance-runs", type=int, help="attendance: runs per variant (default 3)")
    parser.add_argument(
        "--variants",
        default="service,service_relay5k,service@2",
        help="attendance, comma-separated: service (`baoxue serve` as is), service_relay5k (and "
        "BAOXUE_RELAY_BATCH_SIZE=5000); name@2: two service processes, the clients taking turns",
    )
    parser.add_argument("--rate", type=int, help="detection: background push load in records/s (default 13,000)")
    parser.add_argument(
        "--profile-seconds", type=float, default=10, help="attendance: py-spy the last run of each variant (0: off)"
    )
    asyncio.run(main(parser.parse_args()))

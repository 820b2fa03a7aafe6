"""What the attendance bench measures besides HTTP: runs' figures, events on the bus, CPU, the raw upsert."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.attendance_data import Push

RAW_TABLE = "bench_raw.attendance"
_RAW_UPSERT = f"""
INSERT INTO {RAW_TABLE} (day, school_code, student_id, status, reason, note, batch_id)
SELECT $1, $2, t.student_id, t.status, t.reason, t.note, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS t(student_id, status, reason, note)
ON CONFLICT (day, school_code, student_id) DO UPDATE
SET status = EXCLUDED.status, reason = EXCLUDED.reason, note = EXCLUDED.note, batch_id = EXCLUDED.batch_id
"""


@dataclass
class Run:
    """One measured run: the e2e figures and the raw upsert of the same rows."""

    records: int
    e2e_s: float
    http_s: float
    latencies_s: list[float]
    events: dict[str, int]
    absences: int
    raw_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def e2e_rate(self) -> float:
        return self.records / self.e2e_s

    @property
    def raw_rate(self) -> float:
        return self.records / self.raw_s

    def summary(self) -> dict[str, Any]:
        """The run's figures for results.json."""
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return {
            "records": self.records,
            "e2e_records_per_s": round(self.e2e_rate),
            "http_only_records_per_s": round(self.records / self.http_s),
            "relay_lag_after_last_200_s": round(self.e2e_s - self.http_s, 3),
            "push_latency_p50_s": round(statistics.median(self.latencies_s), 4),
            "push_latency_p99_s": round(cuts[98], 4),
            "raw_upsert_rows_per_s": round(self.raw_rate),
            "ratio_e2e_to_raw": round(self.e2e_rate / self.raw_rate, 3),
            "events_on_bus": self.events,
            "service_cpu_us_per_record": round(1e6 * self.extra.get("service_cpu_s", 0) / self.records, 1),
            "postgres_cpu_us_per_record": round(1e6 * self.extra.get("postgres_cpu_s", 0) / self.records, 1),
            "load_generator_cpu_us_per_record": round(1e6 * self.extra.get("bench_cpu_s", 0) / self.records, 1),
            "machine_busy_pct": self.extra.get("machine_busy_pct", 0),
            "absences_reported": self.absences,
        }


class BusCounter:
    """Counts the messages on a topic by consuming it from the beginning (Tansu's end offsets are wrong)."""

    def __init__(self, bootstrap: str, topic: str = "attendance.v1") -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
        self.topic = topic
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusCounter:
        await self.consumer.start()
        await self.consumer.topics()
        parts = self.consumer.partitions_for_topic(self.topic)
        if not parts:
            raise RuntimeError(f"topic {self.topic} has no partitions on the broker")
        self.consumer.assign([TopicPartition(self.topic, p) for p in sorted(parts)])
        await self.consumer.seek_to_beginning()
        self._task = asyncio.create_task(self._count())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()

    async def _count(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=50, max_records=10_000)
            self.count += sum(len(messages) for messages in batches.values())


async def outbox_since(pool: asyncpg.Pool, after_id: int) -> dict[str, int]:
    """Outbox rows written after `after_id`, per topic."""
    rows = await pool.fetch(
        "SELECT topic, count(*) AS n FROM attendance_ingest.outbox WHERE id > $1 GROUP BY topic", after_id
    )
    return {r["topic"]: r["n"] for r in rows}


def process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process (the load generator and the bus counter)."""
    times = os.times()
    return times.user + times.system


def postgres_cpu_s(pg_dir: Path | None) -> float:
    """CPU seconds of the embedded PostgreSQL's backends so far (0 for an external server)."""
    try:
        postmaster = int((pg_dir / "postmaster.pid").read_text().split()[0]) if pg_dir else 0
    except (OSError, ValueError, IndexError):
        return 0.0
    if not postmaster:
        return 0.0
    total = process_cpu_s(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(postmaster):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return (0, 1)
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle, sum(values))


async def raw(pool: asyncpg.Pool, work: Sequence[Push], clients: int) -> float:
    """The same rows straight into a copy of the attendance table, one unnest upsert per push; seconds taken."""
    chunks = [
        (
            p.day,
            p.school,
            uuid.uuid4(),
            [r["student_id"] for r in p.records],
            [r["status"] for r in p.records],
            [r.get("reason") for r in p.records],
            [r.get("note") for r in p.records],
        )
        for p in work
    ]
    index = 0

    async def writer() -> None:
        nonlocal index
        async with pool.acquire() as conn:
            while index < len(chunks):
                chunk = chunks[index]
                index += 1
                await conn.execute(_RAW_UPSERT, *chunk)

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(clients)))
    return time.perf_counter() - began

"""Attendance ingest at scale: pushes over HTTP to the real service, end to end to the bus, against a raw upsert."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from baoxue_common.auth import issue_token
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import service
from baoxue_common.settings import DEV_TOKEN_SECRET

from bench.attendance_data import (
    Push,
    counties_in_use,
    make_schools,
    pushes,
    school_days,
)
from bench.attendance_measure import (
    RAW_TABLE,
    BusCounter,
    Run,
    machine_ticks,
    outbox_since,
    own_cpu_s,
    postgres_cpu_s,
    process_cpu_s,
    raw,
)
from bench.attendance_rolls import register, roll_5000
from bench.profile import Profiler

TARGET_RECORDS_PER_S = 50_000
TARGET_RATIO = 0.65
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "service": ("baoxue_common.cli", {}),
    "service_relay5k": ("baoxue_common.cli", {"BAOXUE_RELAY_BATCH_SIZE": "5000"}),
}
"""How the service is run: `baoxue serve` as is, or with a bigger outbox relay batch (a deployment setting)."""


@dataclass
class Size:
    """How much data one bench uses."""

    schools: int
    pupils: int
    days: int
    runs: int
    clients: int
    push_size: int = 1000
    absent: float = 0.05


class Bench:
    """The service process, its tokens and the clients of one attendance bench."""

    def __init__(self, database_url: str, bootstrap: str, logs: Path, say: Callable[[str], None]) -> None:
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.logs = logs
        self.say = say
        self.procs: list[ServiceProcess] = []
        self.pg_dir: Path | None = None
        self._tokens: dict[str, str] = {}

    def token(self, scope: str) -> str:
        if scope not in self._tokens:
            self._tokens[scope] = issue_token(scope, DEV_TOKEN_SECRET, ttl=timedelta(hours=2))
        return self._tokens[scope]

    def headers(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scope)}", "Content-Type": "application/json"}

    async def start(self, variant: str) -> None:
        """Run attendance-ingest as `baoxue serve` does; `name@2` runs two processes (clients take turns)."""
        env = {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "BAOXUE_ENV": "test",
        }
        name, _, count = variant.partition("@")
        module, extra = VARIANTS[name]
        for i in range(int(count or 1)):
            log = self.logs / f"ingest-{name}-{i}.log"
            self.procs.append(_Served(module, "attendance-ingest", free_port(), env | extra, log).start())
        await asyncio.gather(*(proc.wait_healthy() for proc in self.procs))

    async def stop(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(proc.stop) for proc in self.procs))
        self.procs = []

    @property
    def url(self) -> str:
        return self.procs[0].url

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs if proc.pid is not None]


class _Served(ServiceProcess):
    """ServiceProcess with the module to run named (`baoxue_common.cli` or the bench's experiment)."""

    def __init__(self, module: str, name: str, port: int, env: dict[str, str], log_path: Path) -> None:
        super().__init__(name, port, env, log_path)
        self.module = module

    def start(self) -> _Served:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, "serve", self.name, "--port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self


async def push_all(bench: Bench, work: Sequence[Push], clients: int) -> tuple[list[float], int]:
    """Send every push with `clients` concurrent HTTP clients; return each push's latency and the absences."""
    latencies: list[float] = []
    absences = 0
    index = 0

    async def client(url: str) -> None:
        nonlocal index, absences
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            while index < len(work):
                push = work[index]
                index += 1
                began = time.perf_counter()
                r = await http.post(
                    f"/v1/schools/{push.school}/attendance",
                    content=push.body,
                    headers=bench.headers(f"school:{push.school}"),
                )
                latencies.append(time.perf_counter() - began)
                if r.status_code != 200:
                    raise RuntimeError(f"push {push.school} {push.day}: {r.status_code} {r.text[:500]}")
                answer = r.json()
                if answer["accepted"] != len(push.records):
                    raise RuntimeError(f"push {push.school} {push.day}: accepted {answer['accepted']}")
                absences += answer["absences"]

    urls = [proc.url for proc in bench.procs]
    await asyncio.gather(*(client(urls[i % len(urls)]) for i in range(clients)))
    return latencies, absences


async def e2e(bench: Bench, pool: asyncpg.Pool, bus: BusCounter, work: Sequence[Push], clients: int) -> Run:
    """Push everything; the clock stops when every 200 is in and every event it caused is on the bus."""
    after_id = await pool.fetchval("SELECT coalesce(max(id), 0) FROM attendance_ingest.outbox")
    cpu_before, machine_before = sum(map(process_cpu_s, bench.pids)), machine_ticks()
    own_before, pg_before = own_cpu_s(), postgres_cpu_s(bench.pg_dir)
    began = time.perf_counter()
    latencies, absences = await push_all(bench, work, clients)
    http_s = time.perf_counter() - began
    expected = await pool.fetchval("SELECT count(*) FROM attendance_ingest.outbox WHERE topic = $1", bus.topic)
    deadline = time.monotonic() + 300
    while bus.count < expected:  # every row of the topic ever written (a fresh broker and database)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{bus.count} events on {bus.topic}, {expected} in the outbox")
        await asyncio.sleep(0.005)
    e2e_s = time.perf_counter() - began
    records = sum(len(p.records) for p in work)
    run = Run(records, e2e_s, http_s, latencies, await outbox_since(pool, after_id), absences)
    busy, total = (after - before for after, before in zip(machine_ticks(), machine_before, strict=True))
    run.extra = {
        "service_cpu_s": sum(map(process_cpu_s, bench.pids)) - cpu_before,
        "bench_cpu_s": own_cpu_s() - own_before,
        "postgres_cpu_s": postgres_cpu_s(bench.pg_dir) - pg_before,
        "machine_busy_pct": round(100 * busy / total, 1),
    }
    return run


async def run_attendance(
    database_url: str,
    bootstrap: str,
    data: Path,
    size: Size,
    variants: Sequence[str],
    say: Callable[[str], None],
    profile_seconds: float = 0,
) -> dict[str, Any]:
    """The whole attendance bench; returns the section of results.json."""
    started = time.perf_counter()
    await migrate_async(service("attendance-ingest"), database_url)
    say(f"attendance: building {size.schools} schools x {size.pupils} pupils (valid resident ID numbers)")
    schools, rosters = make_schools(size.schools, size.pupils)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = school_days(today, size.days * size.runs * len(variants))
    pool = await asyncpg.create_pool(database_url.replace("+asyncpg", ""), min_size=size.clients, max_size=size.clients)
    await pool.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
    await pool.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    await pool.execute(f"CREATE TABLE {RAW_TABLE} (LIKE attendance_ingest.attendance INCLUDING ALL)")
    bench = Bench(database_url, bootstrap, data / "logs", say)
    bench.pg_dir = data / "pg"
    section: dict[str, Any] = {"variants": {}}
    try:
        async with BusCounter(bootstrap) as bus:
            for v, variant in enumerate(variants):
                await bench.start(variant)
                say(f"attendance[{variant}]: service up at {bench.url} (pids {bench.pids})")
                if v == 0:
                    section["roll_registration"] = await register(bench, schools, rosters, size.clients)
                    say(f"attendance: rolls registered over HTTP: {section['roll_registration']}")
                    section["roll_5000"] = await roll_5000(bench, counties_in_use(size.schools + 1)[-1])
                    say(f"attendance: a 5,000-pupil roll over HTTP (s): {section['roll_5000']}")
                    await _drained(pool)
                runs: list[Run] = []
                for r in range(size.runs):
                    first = (v * size.runs + r) * size.days
                    work = pushes(
                        schools, days[first : first + size.days], size=size.push_size, absent=size.absent, seed=r
                    )
                    profiler = None
                    if profile_seconds and r == size.runs - 1 and bench.pids:
                        profiler = Profiler(bench.pids[0], data / f"profile-{variant}", profile_seconds).start()
                    run = await e2e(bench, pool, bus, work, size.clients)
                    if profiler is not None:
                        run.extra["profile"] = await profiler.finish()
                    run.raw_s = await raw(pool, work, size.clients)
                    runs.append(run)
                    s = run.summary()
                    say(
                        f"attendance[{variant}] run {r + 1}/{size.runs}: e2e {s['e2e_records_per_s']:,} rec/s "
                        f"(http {s['http_only_records_per_s']:,}, relay lag {s['relay_lag_after_last_200_s']} s), "
                        f"push p50 {s['push_latency_p50_s']} s p99 {s['push_latency_p99_s']} s; "
                        f"raw {s['raw_upsert_rows_per_s']:,} rows/s; ratio {s['ratio_e2e_to_raw']}; "
                        f"events {s['events_on_bus']}; CPU us/record: service {s['service_cpu_us_per_record']}, "
                        f"postgres {s['postgres_cpu_us_per_record']}, bench {s['load_generator_cpu_us_per_record']}, "
                        f"machine busy {s['machine_busy_pct']} %"
                    )
                section["variants"][variant] = _medians(runs)
                await bench.stop()
    finally:
        await bench.stop()
        await pool.close()
    section["size"] = vars(size) | {"pushes_per_run": size.schools * size.days * -(-size.pupils // size.push_size)}
    section["targets"] = {"e2e_records_per_s": TARGET_RECORDS_PER_S, "ratio_e2e_to_raw": TARGET_RATIO}
    section["seconds_taken"] = round(time.perf_counter() - started)
    return section


async def _drained(pool: asyncpg.Pool, timeout_s: float = 300) -> None:
    """Wait until the relay has published every outbox row (the rolls' events) before measuring."""
    deadline = time.monotonic() + timeout_s
    while await pool.fetchval(
        "SELECT count(*) FROM attendance_ingest.outbox WHERE published_at IS NULL AND parked_at IS NULL"
    ):
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not drain")
        await asyncio.sleep(0.2)


def _medians(runs: list[Run]) -> dict[str, Any]:
    summaries = [r.summary() for r in runs]
    keys = [k for k, v in summaries[0].items() if isinstance(v, int | float)]
    medians = {k: statistics.median(s[k] for s in summaries) for k in keys}
    met = {
        "e2e_records_per_s": medians["e2e_records_per_s"] >= TARGET_RECORDS_PER_S,
        "ratio_e2e_to_raw": medians["ratio_e2e_to_raw"] >= TARGET_RATIO,
    }
    profiles = [r.extra["profile"] for r in runs if "profile" in r.extra]
    return {"median": medians, "target_met": met, "runs": summaries} | ({"profile": profiles[0]} if profiles else {})


def report(section: dict[str, Any], say: Callable[[str], None]) -> None:
    """Print the medians beside the issue's targets, marked met or not met."""
    for variant, figures in section["variants"].items():
        m, met = figures["median"], figures["target_met"]
        say(
            f"attendance[{variant}] medians: e2e {m['e2e_records_per_s']:,.0f} rec/s "
            f"(target >= {TARGET_RECORDS_PER_S:,}: {'met' if met['e2e_records_per_s'] else 'NOT met'}); "
            f"raw {m['raw_upsert_rows_per_s']:,.0f} rows/s; ratio {m['ratio_e2e_to_raw']:.3f} "
            f"(target >= {TARGET_RATIO}: {'met' if met['ratio_e2e_to_raw'] else 'NOT met'}); "
            f"1,000-record push p50 {m['push_latency_p50_s']:.3f} s, p99 {m['push_latency_p99_s']:.3f} s"
        )

"""Detection keeps up with ingest: the time from the 200 of the push that crosses a threshold to the ledger entry.

The four services run as `baoxue serve` runs them. Background clients push many schools' attendance, day after
day, at a target rate; meanwhile probe pupils of one county (its rules lowered to suspect after 3 consecutive
unexcused school days, 2 of them pushed beforehand) get their third day pushed, one probe at a time, and the
clock runs from that push's 200 until the probe's row is visible in the ledger's `suspected` table.

The ledger's table is polled (one indexed query for the county every few milliseconds) rather than its HTTP
endpoint or the `ledger.v1` topic: a visible row is what the endpoint serves, the poll costs the services under
test nothing, and a topic consumer would add the relay's and the broker's delay to the ledger's own. At the end
every probe is checked on `GET /v1/counties/{code}/ledgers/suspected` too.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import SERVICES
from ledger.domain.exports import mask_student_id

from bench.attendance import Bench
from bench.attendance_data import School, counties_in_use, make_schools, pupil_record, pushes, school_days
from bench.attendance_measure import machine_ticks, postgres_cpu_s, process_cpu_s
from bench.attendance_rolls import register
from bench.detection_measure import SUSPICION_ROWS, LedgerWatch, ledger_listed, summarise
from bench.profile import Profiler

PROBE_RULES = {"home_visit_after_consecutive_unexcused": 2, "suspect_after_consecutive_unexcused": 3}


@dataclass
class DetectionSize:
    """How much one detection bench uses."""

    schools: int
    pupils: int
    probes: int
    probe_interval_s: float
    rate: int
    clients: int


class Services(Bench):
    """The four services, each in its own process; `url_of` names each one's base URL."""

    def __init__(self, database_url: str, bootstrap: str, logs: Path, say: Callable[[str], None]) -> None:
        super().__init__(database_url, bootstrap, logs, say)
        self.by_name: dict[str, ServiceProcess] = {}

    async def start(self, variant: str = "") -> None:
        env = {"DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "BAOXUE_ENV": "test"}
        for spec in SERVICES:
            log = self.logs / f"detection-{spec.name}.log"
            self.by_name[spec.name] = ServiceProcess(spec.name, free_port(), env, log).start()
        self.procs = list(self.by_name.values())  # the attendance-ingest process first: `url` is its URL
        await asyncio.gather(*(proc.wait_healthy() for proc in self.procs))

    def url_of(self, name: str) -> str:
        return self.by_name[name].url


def probe_schools(county: str, probes: int, per_school: int = 50) -> tuple[list[School], dict[str, Any]]:
    """Schools of the probe county, `per_school` pupils each, enough for `probes` probe pupils."""
    schools: list[School] = []
    rosters: dict[str, Any] = {}
    for slot in range(-(-probes // per_school)):
        students = [pupil_record(county, slot, j) for j in range(per_school)]
        code = f"{county}{slot + 1:04d}"
        schools.append(School(code, county, tuple(s["student_id"] for s in students)))
        rosters[code] = {"as_of": "2026-09-01", "students": students}
    return schools, rosters


async def push_one(
    http: httpx.AsyncClient, bench: Bench, school: str, day: date, records: list[dict[str, Any]]
) -> None:
    r = await http.post(
        f"/v1/schools/{school}/attendance",
        content=json.dumps({"date": day.isoformat(), "records": records}).encode(),
        headers=bench.headers(f"school:{school}"),
    )
    if r.status_code != 200:
        raise RuntimeError(f"push {school} {day}: {r.status_code} {r.text[:300]}")


async def background(
    bench: Bench, schools: list[School], days: Sequence[date], size: DetectionSize, stop: asyncio.Event
) -> tuple[int, float]:
    """Push the schools' days in 1,000-record pushes at about `size.rate` records/s until `stop`; (records, s)."""
    work = (push for day in days for push in pushes(schools, [day], size=1000, absent=0.05, seed=7))
    sent = 0
    began = time.perf_counter()

    async def client() -> None:
        nonlocal sent
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=bench.url, timeout=120, limits=limits) as http:
            while not stop.is_set():
                push = next(work, None)
                if push is None:
                    return
                ahead = sent / size.rate - (time.perf_counter() - began)
                if ahead > 0:
                    await asyncio.sleep(ahead)
                r = await http.post(
                    f"/v1/schools/{push.school}/attendance",
                    content=push.body,
                    headers=bench.headers(f"school:{push.school}"),
                )
                if r.status_code != 200:
                    raise RuntimeError(f"push {push.school} {push.day}: {r.status_code} {r.text[:300]}")
                sent += len(push.records)

    await asyncio.gather(*(client() for _ in range(size.clients)))
    return sent, time.perf_counter() - began


async def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


async def run_detection(
    database_url: str,
    bootstrap: str,
    data: Path,
    size: DetectionSize,
    say: Callable[[str], None],
    profile_seconds: float = 0,
) -> dict[str, Any]:
    """The whole detection bench; returns the section of results.json."""
    started = time.perf_counter()
    for spec in SERVICES:
        await migrate_async(spec, database_url)
    counties = counties_in_use(min(size.schools, 200) + 1)
    probe_county = counties[-1]
    schools, rosters = make_schools(size.schools, size.pupils)
    p_schools, p_rosters = probe_schools(probe_county, size.probes)
    probes = [(s.code, pid) for s in p_schools for pid in s.pupils][: size.probes]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = school_days(today, 120)  # the probes' three days first, then the background's days
    probe_days, load_days = days[:3], days[3:]
    pool = await asyncpg.create_pool(database_url.replace("+asyncpg", ""), min_size=3, max_size=4)
    bench = Services(database_url, bootstrap, data / "logs", say)
    section: dict[str, Any] = {}
    try:
        await bench.start()
        say(f"detection: four services up ({', '.join(f'{n} {p.pid}' for n, p in bench.by_name.items())})")
        async with httpx.AsyncClient(base_url=bench.url_of("verification"), timeout=60) as http:
            r = await http.put(f"/v1/regions/{probe_county}/rules", json=PROBE_RULES, headers=bench.headers("admin"))
            if r.status_code != 200:
                raise RuntimeError(f"rules: {r.status_code} {r.text[:300]}")
        await register(bench, schools + p_schools, rosters | p_rosters, size.clients)
        pupils = sum(len(s.pupils) for s in schools + p_schools)
        say(f"detection: {pupils:,} pupils on rolls; probe county {probe_county}, {len(probes)} probes")
        async with httpx.AsyncClient(base_url=bench.url, timeout=60) as http:
            for day in probe_days[:2]:
                for school in p_schools:
                    mine = [pid for code, pid in probes if code == school.code]
                    marks = [{"student_id": pid, "status": "absent_unexcused", "reason": "unknown"} for pid in mine]
                    await push_one(http, bench, school.code, day, marks)

        async def ready() -> bool:
            known = await pool.fetchval("SELECT count(*) FROM verification.pupils")
            absent = await pool.fetchval(
                "SELECT count(*) FROM verification.absences WHERE day = ANY($1::date[])", probe_days[:2]
            )
            # The ledger's school-age ledger takes the rolls too: the load starts once it has them all.
            listed = await pool.fetchval("SELECT count(DISTINCT child_key) FROM ledger.school_age WHERE on_roll")
            return bool(known >= pupils and absent >= 2 * len(probes) and listed >= pupils)

        await wait_for("verification or the ledger did not catch up with the rolls and the probes' first days", ready)
        say("detection: rolls (in verification and the ledger) and the probes' first two days applied; load starts")
        watch = LedgerWatch(pool, probe_county).start()
        flagged = LedgerWatch(pool, probe_county, SUSPICION_ROWS).start()
        stop = asyncio.Event()
        cpu_before = {name: process_cpu_s(proc.pid) for name, proc in bench.by_name.items()}
        cpu_before["postgres"] = postgres_cpu_s(data / "pg")
        ticks_before = machine_ticks()
        load_began = await pool.fetchval("SELECT now()")
        load = asyncio.create_task(background(bench, schools, load_days, size, stop))
        await asyncio.sleep(3)  # the load reaches its pace before the first probe
        profiler = None
        if profile_seconds:
            pid = bench.by_name["verification"].pid
            profiler = Profiler(pid or 0, data / "profile-detection-verification", profile_seconds).start()
        sent_at: dict[str, float] = {}
        async with httpx.AsyncClient(base_url=bench.url, timeout=60) as http:
            for code, pid in probes:
                if load.done():
                    break
                mark = [{"student_id": pid, "status": "absent_unexcused", "reason": "unknown"}]
                await push_one(http, bench, code, probe_days[2], mark)
                sent_at[pid] = time.perf_counter()
                await asyncio.sleep(size.probe_interval_s)
        deadline = time.monotonic() + 120
        while len(watch.seen.keys() & sent_at.keys()) < len(sent_at) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        stop.set()
        records, load_s = await load
        cpu = {name: process_cpu_s(proc.pid) for name, proc in bench.by_name.items()}
        cpu["postgres"] = postgres_cpu_s(data / "pg")
        section["cpu_share_of_one_core_during_load"] = {
            name: round((cpu[name] - cpu_before[name]) / load_s, 2) for name in cpu
        }
        busy, total = (after - before for after, before in zip(machine_ticks(), ticks_before, strict=True))
        # The machine is shared: what the rest of it was doing says how much the figures can be trusted.
        section["machine_busy_pct_during_load"] = round(100 * busy / max(total, 1), 1)
        section["load_average_1min_after"] = round(os.getloadavg()[0], 2)
        await watch.stop()
        await flagged.stop()
        if profiler is not None:
            section["profile_verification"] = await profiler.finish()
        latencies = [watch.seen[p] - t for p, t in sent_at.items() if p in watch.seen]
        missing = len(sent_at) - len(latencies)
        listed = await ledger_listed(bench, probe_county)
        section |= summarise(latencies, missing, records, load_s, size, listed, {mask_student_id(p) for _, p in probes})
        to_flag = [flagged.seen[p] - t for p, t in sent_at.items() if p in flagged.seen]
        if to_flag:
            cuts = statistics.quantiles(to_flag, n=100, method="inclusive")
            section["to_verification_suspicion_p50_s"] = round(statistics.median(to_flag), 3)
            section["to_verification_suspicion_p99_s"] = round(cuts[98], 3)
        for schema in ("attendance_ingest", "verification"):
            lags = await pool.fetch(
                f"SELECT extract(epoch FROM published_at - created_at)::float8 AS lag FROM {schema}.outbox "
                "WHERE key = $1 AND created_at > $2 AND published_at IS NOT NULL",
                probe_county,
                load_began,
            )
            if len(lags) > 1:
                cuts = statistics.quantiles([r["lag"] for r in lags], n=100, method="inclusive")
                section[f"{schema}_relay_lag_p50_p99_s_probe_county_during_load"] = [
                    round(cuts[49], 3),
                    round(cuts[98], 3),
                ]
        section["latencies_in_probe_order_s"] = [round(x, 2) for x in latencies]
    finally:
        await bench.stop()
        await pool.close()
    section["size"] = vars(size)
    section["seconds_taken"] = round(time.perf_counter() - started)
    return section

"""Reading a county's ledgers of 100,000 entries through the ledger service's HTTP API.

The three ledger tables of one county are filled set-based (INSERT ... SELECT generate_series), each entry with
its kept history (two states for a quarter of them), then the ledger service runs as `baoxue serve` runs it and
one client measures: a filtered, sorted page (p50/p99), a filtered page as of a past day, and the XLSX and CSV
exports of the whole 100,000-entry school-age ledger (time, size, and the service's peak RSS growth while it
builds and streams the file: the workbook goes to a temporary file, rows are read in batches).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from baoxue_common.auth import issue_token
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import SERVICES
from baoxue_common.settings import DEV_TOKEN_SECRET

COUNTY = "140105"  # 小店区's neighbour in Taiyuan; the bench's own database
SCHOOLS = 40

FILL = [
    """
    INSERT INTO ledger.school_age (county_code, child_key, entry_id, relations, student_id, masked_id, school_code,
        grade, class_name, gender, birth_date, on_roll, status, status_since, groups, poverty_household)
    SELECT $1, 'G' || n, gen_random_uuid(), '{school}', 'G' || n, left(n, 4) || repeat('*', 10) || right(n, 4),
        $1 || lpad((1 + i % $3)::text, 4, '0'), 1 + i % 9, (1 + i % 9) || '年级' || (1 + i % 6) || '班',
        CASE WHEN i % 2 = 0 THEN 'M' ELSE 'F' END, date '2011-01-01' + i % 3000, true,
        (ARRAY['enrolled', 'enrolled', 'enrolled', 'studying_elsewhere', 'home_education', 'medical_leave',
               'suspended', 'out_of_school', 'dropout', 'returned'])[1 + i % 10],
        date '2026-03-01' + i % 200,
        CASE WHEN i % 5 = 0 THEN ARRAY['left_behind'] WHEN i % 13 = 0 THEN ARRAY['orphan', 'disabled']
             ELSE '{}'::text[] END,
        i % 7 = 0
    FROM generate_series(1, $2) AS i, LATERAL (SELECT $1 || '2013' || lpad(i::text, 8, '0') AS n) AS num
    """,
    """
    INSERT INTO ledger.suspected (entry_id, suspicion_id, county_code, school_code, student_id, source, status,
        reason, groups, flagged_on, poverty_household, sources)
    SELECT gen_random_uuid(), gen_random_uuid(), $1, $1 || lpad((1 + i % $3)::text, 4, '0'),
        'G' || $1 || '2013' || lpad(i::text, 8, '0'), 'attendance',
        (ARRAY['pending', 'verifying', 'confirmed_dropout', 'cleared'])[1 + i % 4], '连续旷课',
        CASE WHEN i % 5 = 0 THEN ARRAY['left_behind'] ELSE '{}'::text[] END, date '2026-03-01' + i % 200,
        i % 7 = 0, '{attendance}'
    FROM generate_series(1, $2) AS i
    """,
    """
    INSERT INTO ledger.cases (case_id, suspicion_id, county_code, school_code, student_id, child_key, status, source,
        groups, poverty_household, flagged_on, confirmed_on, cause_main)
    SELECT gen_random_uuid(), gen_random_uuid(), $1, $1 || lpad((1 + i % $3)::text, 4, '0'),
        'G' || $1 || '2013' || lpad(i::text, 8, '0'), 'G' || $1 || '2013' || lpad(i::text, 8, '0'),
        (ARRAY['open', 'returned', 'closure_proposed', 'closed'])[1 + i % 4], 'attendance',
        CASE WHEN i % 5 = 0 THEN ARRAY['left_behind'] ELSE '{}'::text[] END, i % 7 = 0,
        date '2026-03-01' + i % 200, date '2026-03-05' + i % 200, 'work'
    FROM generate_series(1, $2) AS i
    """,
]
# Each entry's state from its main date on, and for a quarter an earlier state 20 days before.
HISTORY = [
    ("school_age", "school_age", "entry_id", "status_since"),
    ("suspected", "suspected", "entry_id", "flagged_on"),
    ("dropouts", "cases", "case_id", "confirmed_on"),
]


def rss_kb(pid: int) -> int:
    """The resident set of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def fill(database_url: str, entries: int) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        for sql in FILL:
            await conn.execute(sql.replace("$1", "$1::text"), COUNTY, entries, SCHOOLS)
        for ledger, table, key, day in HISTORY:
            await conn.execute(
                f"INSERT INTO ledger.ledger_history (ledger, county_code, entry_id, changed_on, row)"
                f" SELECT '{ledger}', county_code, {key}, {day} - 20, to_jsonb(t) || '{{\"status\": \"pending\"}}'"
                f" FROM ledger.{table} t WHERE county_code = $1 AND abs(hashtext({key}::text)) % 4 = 0"
                f" UNION ALL SELECT '{ledger}', county_code, {key}, {day}, to_jsonb(t)"
                f" FROM ledger.{table} t WHERE county_code = $1",
                COUNTY,
            )
        # What autovacuum does after a bulk load: statistics and the visibility map (index-only counts).
        await conn.execute("VACUUM ANALYZE ledger.school_age, ledger.suspected, ledger.cases, ledger.ledger_history")
    finally:
        await conn.close()


async def timed(http: httpx.AsyncClient, url: str, params: dict[str, Any], runs: int) -> dict[str, Any]:
    """p50/p99 in ms of `runs` GETs (after 10 unmeasured), each checked for a 200."""
    times = []
    for run in range(runs + 10):
        began = time.perf_counter()
        r = await http.get(url, params=params)
        elapsed = time.perf_counter() - began
        if r.status_code != 200:
            raise RuntimeError(f"{url} {params}: {r.status_code} {r.text[:300]}")
        if run >= 10:
            times.append(elapsed * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "params": params,
        "requests": runs,
        "total": r.json()["total"],
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(cuts[98], 1),
    }


async def export(http: httpx.AsyncClient, url: str, fmt: str, pid: int) -> dict[str, Any]:
    """Download the whole ledger as `fmt`, sampling the service's RSS every 20 ms."""
    base, peak, done = rss_kb(pid), 0, asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kb(pid))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    began, size = time.perf_counter(), 0
    async with http.stream("GET", url, params={"format": fmt}) as r:
        if r.status_code != 200:
            raise RuntimeError(f"export {fmt}: {r.status_code}")
        async for chunk in r.aiter_bytes():
            size += len(chunk)
    elapsed = time.perf_counter() - began
    done.set()
    await sampler
    return {
        "seconds": round(elapsed, 2),
        "bytes": size,
        "service_rss_before_mb": round(base / 1024, 1),
        "service_rss_peak_growth_mb": round(max(0, peak - base) / 1024, 1),
    }


async def run_ledger(
    database_url: str, bootstrap: str, data: Path, entries: int, runs: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """The ledger reads bench; returns the section of results.json."""
    spec = next(s for s in SERVICES if s.name == "ledger")
    await migrate_async(spec, database_url)
    began = time.perf_counter()
    await fill(database_url, entries)
    say(f"ledger: {entries:,} entries in each of the three ledgers of {COUNTY} ({time.perf_counter() - began:.1f} s)")
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "BAOXUE_ENV": "test"}
    proc = ServiceProcess("ledger", free_port(), env, data / "logs" / "ledger-bench.log").start()
    token = issue_token(f"region:{COUNTY}", DEV_TOKEN_SECRET, ttl=timedelta(hours=2), user="bench")
    section: dict[str, Any] = {"entries_per_ledger": entries, "county": COUNTY}
    try:
        await proc.wait_healthy()
        pid = proc.pid or 0
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=proc.url, headers=headers, timeout=120) as http:
            root = f"/v1/counties/{COUNTY}/ledgers"
            filtered = {"status": "enrolled", "group": "left_behind", "sort": "-status_since", "limit": 50}
            section["school_age_filtered_page"] = await timed(http, f"{root}/school-age", filtered, runs)
            deep = filtered | {"offset": 5000}
            section["school_age_filtered_page_offset_5000"] = await timed(http, f"{root}/school-age", deep, runs)
            by_school = {"school_code": f"{COUNTY}0007", "poverty_household": "true", "sort": "student_id"}
            section["school_age_school_page"] = await timed(http, f"{root}/school-age", by_school, runs)
            suspects = {"status": "pending", "group": "left_behind", "sort": "-flagged_on"}
            section["suspected_filtered_page"] = await timed(http, f"{root}/suspected", suspects, runs)
            cases = {"status": "open", "from": "2026-05-01", "to": "2026-07-31", "sort": "-confirmed_on"}
            section["dropouts_filtered_page"] = await timed(http, f"{root}/dropouts", cases, runs)
            as_of = {"as_of": "2026-06-30", "status": "pending", "sort": "-flagged_on"}
            section["suspected_as_of_page"] = await timed(http, f"{root}/suspected", as_of, max(20, runs // 10))
            for name, result in section.items():
                if isinstance(result, dict):
                    say(f"ledger: {name} p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms ({result['total']:,})")
            for fmt in ("xlsx", "csv"):
                section[f"school_age_export_{fmt}"] = got = await export(http, f"{root}/school-age", fmt, pid)
                say(
                    f"ledger: {fmt} export of {entries:,} entries {got['seconds']} s, {got['bytes']:,} bytes, "
                    f"service RSS +{got['service_rss_peak_growth_mb']} MB"
                )
    finally:
        await asyncio.to_thread(proc.stop)
    section["targets"] = {"filtered_page_p99_ms": 50, "xlsx_export_s": 10}
    section["seconds"] = round(time.perf_counter() - began, 1)
    return section

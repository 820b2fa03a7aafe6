"""A page of a 100,000-entry ledger through the console: a real console process in front of a real ledger process.

The county's three ledgers are filled as the ledger bench fills them (`bench.ledger.fill`), the ledger service and
the console run as `baoxue serve` runs them, a county caseworker is added with `baoxue user add` and signs in
through the form; then one client asks the console for ledger pages (≥ 200 each, after 10 unmeasured) and, for
comparison, the ledger service for the same page directly with a token of the same scope.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from baoxue_common.auth import issue_token
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import CONSOLE, SERVICES
from baoxue_common.settings import DEV_TOKEN_SECRET

from bench import ledger

COUNTY = ledger.COUNTY
USER, PASSWORD = "bench-caseworker", "基准测试-口令-2026-console"
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "suspected_first_page": ("suspected", {}),
    "suspected_filtered_page": ("suspected", {"status": "pending", "group": "left_behind"}),
    "school_age_school_page": ("school-age", {"school_code": f"{COUNTY}0007", "poverty_household": "true"}),
    "dropouts_page_offset_5000": ("dropouts", {"status": "open", "offset": "5000"}),
}


def add_user(env: dict[str, str]) -> None:
    """A county caseworker of the bench's county, added with the operator's command."""
    command = [sys.executable, "-m", "baoxue_common.cli", "user", "add", USER, "--name", "基准", "--role"]
    command += ["county_caseworker", "--scope", f"region:{COUNTY}", "--password-stdin"]
    done = subprocess.run(
        command, input=PASSWORD + "\n", env=os.environ | env, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"baoxue user add: {done.stderr}")


async def timed(http: httpx.AsyncClient, url: str, params: dict[str, str], runs: int, marker: str) -> dict[str, Any]:
    """p50/p99 in ms of `runs` GETs (after 10 unmeasured), each a 200 whose body holds `marker`."""
    times = []
    for run in range(runs + 10):
        began = time.perf_counter()
        r = await http.get(url, params=params)
        elapsed = time.perf_counter() - began
        if r.status_code != 200 or marker not in r.text:
            raise RuntimeError(f"{url} {params}: {r.status_code} {r.text[:300]}")
        if run >= 10:
            times.append(elapsed * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"requests": runs, "p50_ms": round(statistics.median(times), 1), "p99_ms": round(cuts[98], 1)}


async def run_console(
    database_url: str, bootstrap: str, data: Path, entries: int, runs: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """The console ledger-page bench; returns the section of results.json."""
    spec = next(s for s in SERVICES if s.name == "ledger")
    await migrate_async(spec, database_url)
    await migrate_async(CONSOLE, database_url)
    began = time.perf_counter()
    await ledger.fill(database_url, entries)
    say(f"console: {entries:,} entries in each of the three ledgers of {COUNTY} ({time.perf_counter() - began:.1f} s)")
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "BAOXUE_ENV": "test"}
    add_user(env)
    ledger_proc = ServiceProcess("ledger", free_port(), env, data / "logs" / "ledger-console-bench.log").start()
    console_env = env | {"BAOXUE_CONSOLE_LEDGER_URL": ledger_proc.url}
    console_proc = ServiceProcess(CONSOLE.name, free_port(), console_env, data / "logs" / "console-bench.log").start()
    token = issue_token(f"region:{COUNTY}", DEV_TOKEN_SECRET, ttl=timedelta(hours=2), user="bench")
    bearer = {"Authorization": f"Bearer {token}"}
    section: dict[str, Any] = {"entries_per_ledger": entries, "county": COUNTY, "pages": {}}
    try:
        await asyncio.gather(ledger_proc.wait_healthy(), console_proc.wait_healthy())
        async with (
            httpx.AsyncClient(base_url=console_proc.url, timeout=60) as page,
            httpx.AsyncClient(base_url=ledger_proc.url, timeout=60, headers=bearer) as api,
        ):
            r = await page.post("/login", data={"username": USER, "password": PASSWORD})
            if r.status_code != 303:
                raise RuntimeError(f"sign-in: {r.status_code} {r.text[:300]}")
            for name, (which, params) in PAGES.items():
                query = params | {"limit": "50"}
                shown = await timed(page, f"/counties/{COUNTY}/ledgers/{which}", query, runs, "ledger-total")
                direct = await timed(api, f"/v1/counties/{COUNTY}/ledgers/{which}", query, runs, '"total"')
                total = (await api.get(f"/v1/counties/{COUNTY}/ledgers/{which}", params=query)).json()["total"]
                section["pages"][name] = {
                    "ledger": which,
                    "params": query,
                    "total": total,
                    "console_page": shown,
                    "ledger_api": direct,
                }
                say(
                    f"console: {name} ({total:,} matching) page p50 {shown['p50_ms']} ms, p99 {shown['p99_ms']} ms; "
                    f"ledger API alone p50 {direct['p50_ms']} ms, p99 {direct['p99_ms']} ms"
                )
    finally:
        await asyncio.to_thread(console_proc.stop)
        await asyncio.to_thread(ledger_proc.stop)
    worst = max(p["console_page"]["p99_ms"] for p in section["pages"].values())
    section["worst_page_p99_ms"] = worst
    section["targets"] = {"page_p99_ms": 300}
    section["meets_target"] = worst <= 300
    section["note"] = (
        "each page: 50 rows rendered to HTML by the console (signed-in session, minted token, one ledger call); "
        "ledger_api: the same query sent to the ledger service directly"
    )
    section["load_average_1m_at_end"] = round(os.getloadavg()[0], 1)  # a shared machine: how busy it was
    section["seconds"] = round(time.perf_counter() - began, 1)
    return section

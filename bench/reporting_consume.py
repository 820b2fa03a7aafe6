"""The reporting service's own consumer applying a backlog of LedgerEntryChanged from the real broker.

The backlog (more schools of the same province, the same mix of events) is produced to `ledger.v1` before
the service starts; the service then runs as `baoxue serve` runs it and its inbox is counted twice a second:
the pace is the median of 5-second windows while it catches up (decode, inbox claim, handler, commit).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import asyncpg
from baoxue_common.kafka import make_producer
from baoxue_common.settings import Settings
from baoxue_contracts import Envelope, encode
from baoxue_contracts.topics import LEDGER

from bench.reporting_data import ProvinceSize, province_events

WINDOW_S = 5.0
SAMPLE_S = 0.5
LOCK_WAITS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
PACE = re.compile(r"(\d+) records in (\d+) polls over (\d+) s")


async def inbox_count(database_url: str) -> int:
    """Events the service's inbox holds."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM reporting.inbox"))
    finally:
        await conn.close()


async def dirty_count(database_url: str) -> int:
    """Figures marked changed and not yet published by the stats publisher."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(DISTINCT (region_code, period)) FROM reporting.stats_marks"))
    finally:
        await conn.close()


async def drain(database_url: str, timeout_s: float, say: Callable[[str], None]) -> dict[str, Any]:
    """Wait (at most `timeout_s`) for the running service's publisher to publish every changed figure."""
    began = time.monotonic()
    first = last = await dirty_count(database_url)
    last_say = began
    while last and time.monotonic() - began < timeout_s:
        await asyncio.sleep(1)
        last = await dirty_count(database_url)
        if time.monotonic() - last_say >= WINDOW_S:
            last_say = time.monotonic()
            say(f"reporting: publisher has {last:,} changed figures left to publish")
    elapsed = time.monotonic() - began
    return {
        "dirty_at_start": first,
        "dirty_left": last,
        "seconds": round(elapsed, 1),
        "published_per_s": round((first - last) / elapsed) if elapsed else 0,
    }


async def produce_backlog(settings: Settings, size: ProvinceSize, first_school: int, events: int) -> float:
    """Produce `events` envelopes of the schools from `first_school` on to ledger.v1; seconds it took."""
    producer = make_producer(settings, client_id="bench-reporting")
    await producer.start()
    began, sent = time.perf_counter(), 0
    try:
        stream = province_events(size, range(first_school, first_school + size.schools))
        pending = []
        for event in stream:
            occurred = datetime.combine(event.changed_on, clock(9), UTC)
            envelope = Envelope.wrap(event, producer="ledger", region=event.county_code, occurred_at=occurred)
            pending.append(await producer.send(LEDGER, encode(envelope), key=event.county_code.encode()))
            sent += 1
            if len(pending) >= 5000 or sent == events:
                await asyncio.gather(*pending)
                pending = []
            if sent == events:
                break
    finally:
        await producer.stop()
    if sent < events:
        raise RuntimeError(f"the backlog ran out of schools at {sent:,} events")
    return time.perf_counter() - began


async def watch_inbox(
    database_url: str, base: int, events: int, timeout_s: float, say: Callable[[str], None]
) -> dict[str, Any]:
    """Count the service's inbox until it holds `events` more than `base`; the applied pace."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    samples: list[tuple[float, int]] = []
    lock_waits: list[int] = []
    deadline, last_say = time.monotonic() + timeout_s, time.monotonic()
    try:
        while True:
            count = await conn.fetchval("SELECT count(*) FROM reporting.inbox") - base
            lock_waits.append(await conn.fetchval(LOCK_WAITS))
            now = time.monotonic()
            if count:
                samples.append((now, count))
            if count >= events:
                break
            if now > deadline:
                raise TimeoutError(f"reporting applied {count:,} of {events:,} events in {timeout_s:.0f} s")
            if now - last_say >= WINDOW_S and samples:
                last_say = now
                say(f"reporting: consumer applied {count:,} of {events:,}")
            await asyncio.sleep(SAMPLE_S)
    finally:
        await conn.close()
    waiting = sum(1 for n in lock_waits if n)
    return pace(samples, events) | {"samples_with_a_lock_wait": f"{waiting} of {len(lock_waits)}"}


def pace(samples: list[tuple[float, int]], events: int) -> dict[str, Any]:
    """Events/s over consecutive 5-s windows (from the first applied) and over the whole catch-up."""
    windows: list[float] = []
    start_t, start_n = samples[0]
    for t, n in samples[1:]:
        if t - start_t >= WINDOW_S:
            windows.append((n - start_n) / (t - start_t))
            start_t, start_n = t, n
    first_t, first_n = samples[0]
    last_t, _ = samples[-1]
    overall = (events - first_n) / (last_t - first_t) if last_t > first_t else 0.0
    return {
        "windows_events_per_s": [round(w) for w in windows],
        "median_events_per_s": round(statistics.median(windows)) if windows else round(overall),
        "overall_events_per_s": round(overall),
        "catch_up_s": round(last_t - first_t, 1),
    }


def pace_log(log_path: Path) -> list[int]:
    """Records/s of the consumer's own pace lines in the service log (one every 10 s while it works)."""
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        if "polls over" in line and (m := PACE.search(line)):
            out.append(round(int(m.group(1)) / max(1, int(m.group(3)))))
    return out

"""Building the reporting read model of a synthetic province from its ledger events, in-process.

The events go through the service's own batch handler (`reporting.handlers.ledger_entries_changed`) in units
of work on the service's engine, a few thousand a transaction, as the consumer hands a poll over (without the
consumer's decoding and inbox: the consumer's own pace is measured apart, see `reporting_consume`). Worker
processes take every n-th school, as replicas would take partitions: they write the same province, city and
national counters concurrently (rows taken in key order, only ever incremented).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import asyncpg
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.uow import UnitOfWorkFactory
from baoxue_contracts import Envelope
from reporting.adapters import orm
from reporting.handlers import ledger_entries_changed

from bench.reporting_data import ProvinceSize, check_sample, province_events

BATCH = 5000
PROGRESS_S = 5.0


async def _fold(database_url: str, size: ProvinceSize, schools: range, done: Synchronized[int]) -> dict[str, float]:
    """Fold the events of some schools into the counters; seconds spent generating and handling."""
    engine = make_engine(database_url, application_name="reporting")
    uow_factory = UnitOfWorkFactory(make_sessionmaker(engine), orm.common, producer="reporting")
    sample = next(province_events(size))  # the handler reads only the events: one envelope stands for all
    envelope = Envelope.wrap(sample, producer="ledger", region=sample.county_code, occurred_at=datetime.now(UTC))
    seen: set[tuple[str, str, str]] = set()
    out = {"events": 0.0, "checked": 0.0, "generate_s": 0.0, "handle_s": 0.0}
    try:
        stream = province_events(size, schools)
        while True:
            t0 = time.perf_counter()
            batch = list(islice(stream, BATCH))
            if not batch:
                break
            out["checked"] += check_sample(batch, seen)
            t1 = time.perf_counter()
            async with uow_factory() as uow:
                await ledger_entries_changed([(event, envelope) for event in batch], uow)
                await uow.commit()
            out["generate_s"] += t1 - t0
            out["handle_s"] += time.perf_counter() - t1
            out["events"] += len(batch)
            with done.get_lock():
                done.value += len(batch)
    finally:
        await engine.dispose()
    return out


def _worker(database_url: str, size: ProvinceSize, schools: range, done: Synchronized[int], results: Any) -> None:
    results.put(asyncio.run(_fold(database_url, size, schools, done)))


async def build(database_url: str, size: ProvinceSize, workers: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Fold every event of the province into the counters with `workers` processes; the build's figures."""
    ctx = mp.get_context("spawn")
    done = ctx.Value("q", 0)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(database_url, size, range(w, size.schools, workers), done, results))
        for w in range(workers)
    ]
    began = time.perf_counter()
    for proc in procs:
        proc.start()
    parts: list[dict[str, float]] = []
    expected = size.pupils * 1.04  # the pupils' additions and about 4 % of flag, case and status changes
    last = began
    while len(parts) < workers:
        await asyncio.sleep(0.2)
        while not results.empty():
            parts.append(results.get())
        if any(p.exitcode not in (None, 0) for p in procs):
            raise RuntimeError(f"a build worker failed: {[p.exitcode for p in procs]}")
        elapsed, n = time.perf_counter() - began, done.value
        if time.perf_counter() - last < PROGRESS_S or len(parts) == workers:
            continue
        last = time.perf_counter()
        say(
            f"reporting: build {n:,} events, {n / elapsed:,.0f}/s, "
            f"~{max(0.0, expected - n) / (n / elapsed or 1):.0f} s left"
        )
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - began
    events = int(sum(p["events"] for p in parts))
    handle_s = sum(p["handle_s"] for p in parts)
    generate_s = sum(p["generate_s"] for p in parts)
    say(
        f"reporting: built from {events:,} events in {elapsed:.0f} s "
        f"({events / elapsed:,.0f}/s with {workers} processes)"
    )
    return {
        "events": events,
        "seconds": round(elapsed, 1),
        "events_per_s": round(events / elapsed),
        "processes": workers,
        "batch": BATCH,
        "handler_events_per_s_per_process": round(events / handle_s),
        "generating_events_share": round(generate_s / (generate_s + handle_s), 2),
        "kinds_validated": int(max(p["checked"] for p in parts)),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


async def table_sizes(database_url: str) -> dict[str, Any]:
    """Rows and size of the read model after the build (VACUUM ANALYZE first, as autovacuum would)."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await conn.execute("VACUUM ANALYZE reporting.counters, reporting.region_stats")
        rows = await conn.fetchval("SELECT count(*) FROM reporting.counters")
        regions = await conn.fetchval("SELECT count(DISTINCT region_code) FROM reporting.counters")
        size = await conn.fetchval("SELECT pg_total_relation_size('reporting.counters')")
        marked = await conn.fetchval("SELECT count(*) FROM reporting.region_stats")
    finally:
        await conn.close()
    return {
        "counter_rows": rows,
        "regions": regions,
        "counters_mb": round(size / 2**20, 1),
        "region_stats_rows": marked,
    }

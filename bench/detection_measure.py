"""What the detection bench measures: when rows appear (polled), the ledger's endpoint, the figures."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

if TYPE_CHECKING:
    from bench.detection import DetectionSize, Services

TARGET_P99_S = 1.0


LEDGER_ROWS = "SELECT student_id FROM ledger.suspected WHERE county_code = $1"
SUSPICION_ROWS = "SELECT student_id FROM verification.suspicions WHERE county_code = $1"


class LedgerWatch:
    """Polls a table's rows of one county (the ledger's suspects); notes when each student is first seen."""

    def __init__(self, pool: asyncpg.Pool, county: str, query: str = LEDGER_ROWS, interval_s: float = 0.005) -> None:
        self.pool, self.county, self.query, self.interval_s = pool, county, query, interval_s
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LedgerWatch:
        self._task = asyncio.create_task(self._poll())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _poll(self) -> None:
        async with self.pool.acquire() as conn:
            query = await conn.prepare(self.query)
            while True:
                rows = await query.fetch(self.county)
                now = time.perf_counter()
                for row in rows:
                    self.seen.setdefault(row["student_id"], now)
                await asyncio.sleep(self.interval_s)


async def ledger_listed(bench: Services, county: str) -> set[str]:
    """Every student of the county's suspected ledger, through its HTTP endpoint."""
    found: set[str] = set()
    async with httpx.AsyncClient(base_url=bench.url_of("ledger"), timeout=60) as http:
        for offset in itertools.count(0, 500):
            r = await http.get(
                f"/v1/counties/{county}/ledgers/suspected",
                params={"limit": 500, "offset": offset},
                headers=bench.headers(f"region:{county}"),
            )
            r.raise_for_status()
            page = r.json()
            found |= {item["student_id"] for item in page["items"]}
            if page["next_offset"] is None:
                return found
    return found


def summarise(
    latencies: list[float],
    missing: int,
    records: int,
    load_s: float,
    size: DetectionSize,
    listed: set[str],
    probes: set[str],
) -> dict[str, Any]:
    """The section's figures: latency quantiles, the load pushed, and whether the target is met."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    p99 = cuts[98] if latencies else float("inf")
    return {
        "probes": len(latencies) + missing,
        "probes_missing_after_120_s": missing,
        "probes_on_ledger_endpoint": len(listed & probes),
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "latency_p90_s": round(cuts[89], 3) if latencies else None,
        "latency_p99_s": round(p99, 3) if latencies else None,
        "latency_max_s": round(max(latencies), 3) if latencies else None,
        "load_records_per_s": round(records / load_s) if load_s else 0,
        "load_target_records_per_s": size.rate,
        "target": {"latency_p99_s": TARGET_P99_S},
        "target_met": bool(latencies) and not missing and p99 <= TARGET_P99_S,
        "measured_from": "HTTP 200 of the probe's crossing push",
        "measured_to": "the probe's row first seen in ledger.suspected (polled every 5 ms)",
    }


def report(section: dict[str, Any], say: Callable[[str], None]) -> None:
    """Print the figures beside the target."""
    say(
        f"detection: p50 {section['latency_p50_s']} s, p99 {section['latency_p99_s']} s, "
        f"max {section['latency_max_s']} s over {section['probes']} probes "
        f"({section['probes_missing_after_120_s']} missing; to verification's suspicion p50 "
        f"{section.get('to_verification_suspicion_p50_s')} s, p99 {section.get('to_verification_suspicion_p99_s')} s) "
        f"under {section['load_records_per_s']:,} records/s "
        f"(target p99 <= {TARGET_P99_S} s: {'met' if section['target_met'] else 'NOT met'})"
    )

"""National platform list: a 10,000-item suspected list, half pupils on rolls, half children on none.

The pupils are COPYed straight into `verification.pupils`. Timed: the POST to its 202 (validation, blind
index, the set-based store and match), and from the POST until the worker has flagged every item (a suspect and
a verification each), read from the GET's progress as the platform would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from baoxue_common.auth import issue_token
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.pii import national_id_hash
from baoxue_common.services import service
from baoxue_common.settings import DEV_PII_KEY, DEV_TOKEN_SECRET
from baoxue_common.testing import national_id

from bench.crosscheck import _publish_calendar

COUNTY = "520102"  # 南明区: no other bench's county
FIRST_BIRTH = date(2014, 1, 1)


def _number(i: int) -> str:
    """The i-th distinct valid ID number (1,000 a birth day)."""
    return national_id(COUNTY, FIRST_BIRTH + timedelta(days=i // 1000), i % 1000)


async def _load_pupils(pool: asyncpg.Pool, n: int, today: date) -> None:
    records = [
        (f"G{_number(i)}", f"{COUNTY}{i // 500:04d}", COUNTY, [], False, national_id_hash(DEV_PII_KEY, _number(i)))
        for i in range(n)
    ]
    columns = ["student_id", "school_code", "county_code", "groups", "poverty_household", "national_id_hash"]
    async with pool.acquire() as conn:
        await conn.copy_records_to_table("pupils", schema_name="verification", records=records, columns=columns)
        await conn.execute("ANALYZE verification.pupils")


def _items(n: int) -> list[dict[str, Any]]:
    """Half the items pupils (half of them by student number, half by ID number only), half children on no roll."""
    out = []
    for i in range(n):
        item = {"item_id": f"I{i}", "national_id": _number(i), "name": f"儿童{i}", "county_code": COUNTY}
        if i < n // 4:
            item["student_id"] = f"G{_number(i)}"
        out.append(item | {"reason": "学籍系统比对未在校"})
    return out


async def run_national(
    database_url: str, bootstrap: str, data: Path, items: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """The national list bench; returns the section of results.json."""
    await migrate_async(service("verification"), database_url)
    today = datetime.now(UTC).date()
    pool = await asyncpg.create_pool(database_url.replace("+asyncpg", ""), min_size=1, max_size=2)
    await _load_pupils(pool, items // 2, today)
    await _publish_calendar(database_url, today)
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "BAOXUE_ENV": "test"}
    proc = ServiceProcess("verification", free_port(), env, data / "verification-national.log").start()
    token = issue_token("national", DEV_TOKEN_SECRET, ttl=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    batch_id = f"BENCH-{int(time.time())}"
    body = {"batch_id": batch_id, "issued_at": datetime.now(UTC).isoformat(), "items": _items(items)}
    try:
        await proc.wait_healthy()
        async with httpx.AsyncClient(base_url=proc.url, timeout=300) as http:
            began = time.perf_counter()
            r = await http.post("/v1/national/suspected-lists", json=body, headers=headers)
            accepted_s = time.perf_counter() - began
            if r.status_code != 202 or r.json()["accepted"] != items:
                raise RuntimeError(f"national POST: {r.status_code} {r.text[:500]}")
            say(f"national: {items:,} items answered 202 in {accepted_s:.2f} s")
            deadline = time.monotonic() + 300
            while True:
                got = await http.get(f"/v1/national/suspected-lists/{batch_id}", headers=headers, params={"limit": 1})
                progress = got.json()["progress"]
                if progress["pending"] == 0:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"national: not flagged in 300 s ({progress})")
                await asyncio.sleep(0.1)
            flagged_s = time.perf_counter() - began
            say(f"national: every item flagged {flagged_s:.1f} s after the POST ({items / flagged_s:,.0f} items/s)")
        suspects = await pool.fetchval(
            "SELECT count(DISTINCT suspicion_id) FROM verification.national_items WHERE batch_id = $1", batch_id
        )
    finally:
        await asyncio.to_thread(proc.stop)
        await pool.close()
    return {
        "items": items,
        "matched_pupils": items // 2,
        "accepted_s": round(accepted_s, 2),
        "all_flagged_s": round(flagged_s, 1),
        "items_flagged_per_s": round(items / flagged_s),
        "suspects": suspects,
        "note": (
            "accepted_s: POST to its 202 (validation, blind index, multi-row INSERT and one matching UPDATE); "
            "all_flagged_s: from the POST until the GET shows no item pending (one worker, 500 items a transaction, "
            "through suspects.flag_many: the suspects, verifications and their events in the outbox)."
        ),
    }

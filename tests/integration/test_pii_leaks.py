"""A roll pushed through the real service: the clear ID numbers appear in no log, span, event, response or column.

The pupils carry `L` student numbers, so the ID number is not part of their student id and any occurrence
of it anywhere is a leak (a `G` student number *is* `G` + the ID number: DOMAIN.md).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id
from baoxue_contracts.topics import TOPICS

from tests.integration.conftest import DATA, Stack
from tests.integration.otlp import OtlpReceiver
from tests.integration.test_api_problems import assert_problem

SCHOOL, COUNTY = "5226010088", "522601"
BIRTH = date(2013, 10, 2)


def roll_entry(n: int) -> dict[str, Any]:
    return {
        "student_id": f"L88000{n:02d}",
        "national_id": national_id(COUNTY, BIRTH, 880 + n),
        "name": f"隐私{n}",
        "gender": "M" if n % 2 else "F",
        "birth_date": BIRTH.isoformat(),
        "grade": 4,
        "class": "4-2",
        "hukou_county_code": COUNTY,
        "residence_county_code": COUNTY,
        "groups": ["migrant"],
        "poverty_household": n == 0,
    }


PUPILS = [roll_entry(n) for n in range(6)]
NUMBERS = [p["national_id"] for p in PUPILS]


def leaks(text: str | bytes) -> list[str]:
    """The numbers that occur in the text (case-insensitive: `x` or `X` as the last character)."""
    haystack = (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).upper()
    return [n for n in NUMBERS if n in haystack]


async def events_of_school(bootstrap: str, expect: int, timeout_s: float = 60) -> list[bytes]:
    """Every record of every topic, read from the start, once `expect` of them mention the school."""
    consumer = AIOKafkaConsumer(
        *(t.name for t in TOPICS),
        bootstrap_servers=bootstrap,
        group_id=f"leak-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    records: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            records += [(r.key or b"") + b"|" + (r.value or b"") for rs in batch.values() for r in rs]
            records += [b"".join(v for _, v in r.headers) for rs in batch.values() for r in rs]
            if sum(SCHOOL.encode() in r for r in records) >= expect and not batch:
                break
    finally:
        await consumer.stop()
    return records


async def columns_holding_a_number(database_url: str) -> list[str]:
    """`table.column (number)` for every text, JSON, array or bytea column of the schema holding a clear number."""
    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'attendance_ingest'"
            " AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea')"
        )
        found = []
        for c in columns:
            # bytea: search the raw bytes (outbox values, sealed numbers); anything else: its text form.
            probe = (
                "position(convert_to($1, 'UTF8') in {col}) > 0"
                if c["data_type"] == "bytea"
                else "upper({col}::text) LIKE '%' || $1 || '%'"
            )
            sql = f'SELECT count(*) FROM attendance_ingest."{c["table_name"]}" WHERE ' + probe.format(
                col=f'"{c["column_name"]}"'
            )
            for number in NUMBERS:
                if await conn.fetchval(sql, number):
                    found.append(f"{c['table_name']}.{c['column_name']} ({number[:4]}…)")
        assert len(columns) > 10, "the scan sees the schema's columns"
        return found
    finally:
        await conn.close()


async def test_clear_id_numbers_appear_nowhere_they_must_not(
    stack: Stack, services: dict[str, ServiceProcess], otlp: OtlpReceiver
) -> None:
    ingest = services["attendance-ingest"].url
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    responses: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        school = {"name": "隐私测试小学", "county_code": COUNTY, "kind": "primary"}
        responses.append(await http.put(f"/v1/schools/{SCHOOL}", headers=admin, json=school))
        assert responses[-1].status_code == 200, responses[-1].text
        url = f"/v1/schools/{SCHOOL}/roster"
        # Refused first: a birth date that does not match, and a duplicate; the answer names records, not numbers.
        odd = [PUPILS[0] | {"birth_date": "2013-10-03"}, PUPILS[1], PUPILS[1]]
        responses.append(await http.put(url, headers=own, json={"as_of": "2026-09-01", "students": odd}))
        assert_problem(responses[-1], 422)
        responses.append(await http.put(url, headers=own, json={"as_of": "2026-09-01", "students": PUPILS}))
        assert responses[-1].status_code == 200, responses[-1].text
        changed = [PUPILS[0] | {"class": "4-3"}, *PUPILS[1:4]]  # one change, two leavers
        responses.append(await http.put(url, headers=own, json={"as_of": "2026-09-02", "students": changed}))
        assert responses[-1].status_code == 200, responses[-1].text
        responses.append(await http.get(url, headers=own))
        responses.append(await http.get(url, headers={"Authorization": f"Bearer {stack.token('region:522601')}"}))
        assert all(r.status_code == 200 for r in responses[-2:])
        assert responses[-1].json()["total"] == 4

    records = await events_of_school(stack.bootstrap, expect=len(PUPILS) + 3)
    assert sum(SCHOOL.encode() in r for r in records) >= len(PUPILS) + 3, "the roll's events reached the bus"
    await asyncio.sleep(1.5)  # let the span exporters flush (OTEL_BSP_SCHEDULE_DELAY is 200 ms)

    for r in responses:
        assert not leaks(r.text), f"{r.request.method} {r.request.url.path} answered a clear number"
        assert not leaks(str(r.headers))
    assert not [n for r in records for n in leaks(r)], "an event on the bus carries a clear number"
    logs = sorted((DATA / "logs").glob("*.log"))
    assert any(p.name == "attendance-ingest.log" for p in logs)
    assert not {p.name: leaks(p.read_bytes()) for p in logs if leaks(p.read_bytes())}, "a log holds a clear number"
    spans = [f"{s.name} {s.attributes}" for s in otlp.all_spans()]
    assert spans, "the services export spans"
    assert not [n for s in spans for n in leaks(s)], "a span carries a clear number"
    assert await columns_holding_a_number(stack.database_url) == []

"""What the roll and transfer tests share: pupils, calendars, the database state, the events on roster.v1."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from baoxue_common.regions import region_name
from baoxue_common.testing import national_id
from baoxue_contracts import Envelope, Event, decode
from baoxue_contracts.topics import ROSTER

BIRTH = date(2014, 5, 9)


def kid(county: str, seq: int, *, birth: date = BIRTH, **changes: Any) -> dict[str, Any]:
    """A valid roll entry of a pupil born in `county`, with a G-number made of their ID number."""
    number = national_id(county, birth, seq)
    entry = {
        "student_id": "G" + number,
        "national_id": number,
        "name": f"学生{county}-{seq}",
        "gender": "F" if seq % 2 else "M",
        "birth_date": birth.isoformat(),
        "grade": 5,
        "class": "5-1",
        "hukou_county_code": county,
        "residence_county_code": county,
        "groups": [],
        "poverty_household": False,
    }
    return entry | changes


def auth(token: str) -> dict[str, str]:
    """A bearer header."""
    return {"Authorization": f"Bearer {token}"}


async def register(http: httpx.AsyncClient, admin: str, school_code: str, county: str, kind: str = "primary") -> None:
    """Register a school with an admin token."""
    body = {"name": f"学校{school_code}", "county_code": county, "kind": kind}
    response = await http.put(f"/v1/schools/{school_code}", headers=auth(admin), json=body)
    assert response.status_code == 200, response.text
    assert response.json()["county_name"] == region_name(county), "the county's Chinese name comes back"


async def publish_calendar(
    http: httpx.AsyncClient, admin: str, region: str, school_year: str, terms: list[tuple[str, str]]
) -> None:
    """Publish a region's calendar: terms as (start, end) ISO dates, no holidays."""
    body = {
        "school_year": school_year,
        "terms": [{"name": f"第{i + 1}学期", "start": s, "end": e} for i, (s, e) in enumerate(terms)],
        "holidays": [],
        "makeup_days": [],
    }
    response = await http.put(f"/v1/regions/{region}/calendar", headers=auth(admin), json=body)
    assert response.status_code == 200, response.text


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query."""
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def state(database_url: str, schools: Iterable[str]) -> tuple[Any, ...]:
    """Everything a rejected request must leave as it was: the schools' pupils and transfers, and the outbox."""
    codes = list(schools)
    pupils = await fetch(
        database_url,
        "SELECT student_id, school_code, active, national_id_hash, name, grade, class_name, groups, left_on, roll_as_of"
        " FROM attendance_ingest.students WHERE school_code = ANY($1) ORDER BY student_id",
        codes,
    )
    transfers = await fetch(
        database_url,
        "SELECT transfer_id, status FROM attendance_ingest.transfers"
        " WHERE from_school_code = ANY($1) OR to_school_code = ANY($1) ORDER BY transfer_id",
        codes,
    )
    schools_rows = await fetch(
        database_url, "SELECT * FROM attendance_ingest.schools WHERE school_code = ANY($1) ORDER BY 1", codes
    )
    outbox = await fetch(database_url, "SELECT count(*) AS n FROM attendance_ingest.outbox")
    return tuple(map(tuple, pupils)), tuple(map(tuple, transfers)), tuple(map(tuple, schools_rows)), outbox[0]["n"]


async def roster_events(
    bootstrap: str, schools: Iterable[str], *, expect: int, timeout_s: float = 30, settle_s: float = 1.5
) -> list[tuple[Envelope, Event]]:
    """Every event on roster.v1 about these schools, waiting for `expect` of them and then a little longer."""
    wanted = set(schools)
    consumer = AIOKafkaConsumer(
        ROSTER,
        bootstrap_servers=bootstrap,
        group_id=f"roll-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    found: list[tuple[Envelope, Event]] = []
    deadline = time.monotonic() + timeout_s
    settled_at: float | None = None
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for record in (r for rs in batch.values() for r in rs):
                envelope, event = decode(record.value)
                if envelope.school_code in wanted:
                    found.append((envelope, event))
            if len(found) >= expect:
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at > settle_s:
                    break
            elif not batch:
                await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
    return found


def of_type(events: list[tuple[Envelope, Event]], name: str) -> list[tuple[Envelope, Any]]:
    """The events of one type, in order."""
    return [(e, p) for e, p in events if e.event_type == name]

"""The thin slice end to end: school → roll → absences → suspect → suspected ledger → county stats, one whole trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.regions import county_name
from ledger.domain.exports import mask_student_id

from tests.integration.conftest import Stack
from tests.integration.otlp import CONSUMER, PRODUCER, SERVER, OtlpReceiver, SpanSeen
from tests.integration.slice_data import COUNTY, SCHOOL, past_school_days, pupil

ALL = {"attendance-ingest", "verification", "ledger", "reporting"}


async def wait_for(check, timeout_s: float = 60.0, interval_s: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s; last result: {result!r}")
        await asyncio.sleep(interval_s)


async def test_absences_make_a_suspect_counted_in_county_stats_in_one_trace(
    stack: Stack, services: dict[str, ServiceProcess], otlp: OtlpReceiver
) -> None:
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    school = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    county = {"Authorization": f"Bearer {stack.token(f'region:{COUNTY}')}"}
    ingest, ledger, reporting = (services[n].url for n in ("attendance-ingest", "ledger", "reporting"))
    pupils = [pupil(1), pupil(2)]
    absent = pupils[0]["student_id"]
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.put(
            f"{ingest}/v1/schools/{SCHOOL}",
            headers=admin,
            json={"name": "东城一小", "county_code": COUNTY, "kind": "primary"},
        )
        assert r.status_code == 200, r.text
        r = await http.put(
            f"{ingest}/v1/schools/{SCHOOL}/roster", headers=school, json={"as_of": "2026-09-01", "students": pupils}
        )
        assert r.status_code == 200, r.text
        assert r.json()["joined"] == 2
        # verification copies the groups when it flags. A roll and 15 days pushed within a second race
        # (roster.v1 against attendance.v1), which three weeks of real school days never do: wait for the copy.
        await wait_for(lambda: pupil_known(stack.database_url, absent))

        days = past_school_days(15)
        for day in days:
            records = [
                {"student_id": absent, "status": "absent_unexcused"},
                {"student_id": pupils[1]["student_id"], "status": "present"},
            ]
            r = await http.post(
                f"{ingest}/v1/schools/{SCHOOL}/attendance",
                headers=school,
                json={"date": day.isoformat(), "records": records},
            )
            assert r.status_code == 200, r.text
            assert r.json()["absences"] == 1

        async def county_suspects() -> int:
            stats = await http.get(f"{reporting}/v1/stats/{COUNTY}", headers=county)
            assert stats.status_code == 200, stats.text
            return int(stats.json()["figures"]["suspected"])

        assert await wait_for(county_suspects) == 1
        r = await http.get(f"{ledger}/v1/counties/{COUNTY}/ledgers/suspected", headers=county)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 1
        entry = page["items"][0]
        assert (entry["student_id"], entry["school_code"], entry["source"]) == (
            mask_student_id(absent),
            SCHOOL,
            "attendance",
        )
        assert entry["groups"] == ["left_behind"]

        # Other tests leave suspects in other Beijing counties (roster gaps among them): the city counts
        # exactly what its counties count, this one's suspect included.
        beijing = [f"1101{n:02d}" for n in range(1, 100) if county_name(f"1101{n:02d}")]

        async def suspected(region: str) -> int:
            stats = await http.get(f"{reporting}/v1/stats/{region}", headers=admin)
            assert stats.status_code == 200, stats.text
            return int(stats.json()["figures"]["suspected"])

        async def city_is_its_counties() -> bool:
            city = await suspected("110100")
            return city >= 1 and city == sum([await suspected(c) for c in beijing])

        assert await wait_for(city_is_its_counties), "the city above the county counts the suspect too"

    async def whole_trace() -> str | None:
        for trace_id in list(otlp.traces):
            if not missing_from_trace(otlp.spans(trace_id)):
                return trace_id
        return None

    try:
        await wait_for(whole_trace, timeout_s=30)
    except AssertionError:
        closest = min((missing_from_trace(otlp.spans(t)) for t in list(otlp.traces)), key=len, default=["any span"])
        raise AssertionError(f"no trace holds every span; the closest lacks {closest}") from None
    roots = {s.name for s in otlp.all_spans() if s.is_sql and not s.parent_id}
    assert not roots, f"SQL outside any request or event (relay polls, pings) must not start traces: {roots}"


async def pupil_known(database_url: str, student_id: str) -> bool:
    """Whether verification has applied the pupil's enrolment."""
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM verification.pupils WHERE student_id = $1", student_id))
    finally:
        await conn.close()


def missing_from_trace(spans: list[SpanSeen]) -> list[str]:
    """What a trace lacks of HTTP → SQL → Kafka → handler → SQL through all four services (empty = whole)."""
    by_id = {span.span_id: span for span in spans}

    def under(span: SpanSeen, ancestor: Callable[[SpanSeen], bool]) -> bool:
        parent = by_id.get(span.parent_id)
        while parent is not None:
            if ancestor(parent):
                return True
            parent = by_id.get(parent.parent_id)
        return False

    def has(service: str, what: str, test: Callable[[SpanSeen], bool]) -> list[str]:
        return [] if any(s.service == service and test(s) for s in spans) else [f"{service}: {what}"]

    def http(span: SpanSeen) -> bool:
        return span.kind == SERVER and span.name.startswith("POST ")

    def handler(span: SpanSeen) -> bool:
        return span.kind == CONSUMER and span.name.endswith(" process")

    missing = has("attendance-ingest", "HTTP server span", http)
    missing += has("attendance-ingest", "SQL span under the HTTP span", lambda s: s.is_sql and under(s, http))
    for service in ALL:
        missing += has(service, "Kafka producer span", lambda s: s.kind == PRODUCER)
    for service in ALL - {"attendance-ingest"}:
        missing += has(service, "consumer span", handler)
        missing += has(service, "SQL span under the handler", lambda s: s.is_sql and under(s, handler))
    return missing

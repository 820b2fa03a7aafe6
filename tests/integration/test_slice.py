"""The thin slice end to end: school → roll → absences → suspect → suspected ledger → county stats, one trace."""

from __future__ import annotations

import asyncio
import time

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.otlp import OtlpReceiver
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
        assert (entry["student_id"], entry["school_code"], entry["source"]) == (absent, SCHOOL, "attendance")
        assert entry["groups"] == ["left_behind"]

        city = await http.get(f"{reporting}/v1/stats/110100", headers=admin)
        assert city.json()["figures"]["suspected"] == 1, "the city above the county counts the suspect too"

    async def trace_through_all() -> str | None:
        for trace_id in list(otlp.traces):
            if otlp.services_in(trace_id) >= ALL:
                return trace_id
        return None

    trace_id = await wait_for(trace_through_all, timeout_s=30)
    spans = otlp.traces[trace_id]
    assert any(s == "attendance-ingest" and "POST" in name for s, name in spans), spans
    assert any(s == "reporting" and name == "ledger.v1 process" for s, name in spans), spans

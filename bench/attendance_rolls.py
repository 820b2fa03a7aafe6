"""The rolls of the attendance bench: every school registered over HTTP, and a 5,000-pupil roll timed."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

import httpx

from bench.attendance_data import School, pupil_record, whole_year_calendar

if TYPE_CHECKING:
    from bench.attendance import Bench


async def roll_5000(bench: Bench, unused_county: str, runs: int = 3) -> dict[str, Any]:
    """A 5,000-pupil roll over HTTP: first push, identical re-push, re-push with 100 pupils changed (seconds)."""
    timings: dict[str, list[float]] = {"first": [], "identical": [], "changed_100": []}
    async with httpx.AsyncClient(base_url=bench.url, timeout=120) as http:
        for run in range(runs):
            code = f"{unused_county}{97 + run:04d}"
            body = {"name": f"第{97 + run}中学", "county_code": unused_county, "kind": "nine_year"}
            r = await http.put(f"/v1/schools/{code}", json=body, headers=bench.headers("admin"))
            if r.status_code != 200:
                raise RuntimeError(f"school {code}: {r.status_code} {r.text[:300]}")
            students = [pupil_record(unused_county, 97 + run, j) for j in range(5000)]
            changed = [{**s, "class": "转入班"} if j < 100 else s for j, s in enumerate(students)]
            for kind, roll in (("first", students), ("identical", students), ("changed_100", changed)):
                began = time.perf_counter()
                r = await http.put(
                    f"/v1/schools/{code}/roster",
                    json={"as_of": "2026-09-01", "students": roll},
                    headers=bench.headers(f"school:{code}"),
                )
                timings[kind].append(round(time.perf_counter() - began, 3))
                if r.status_code != 200:
                    raise RuntimeError(f"roster {code}: {r.status_code} {r.text[:300]}")
    return {kind: {"runs_s": t, "median_s": statistics.median(t)} for kind, t in timings.items()}


async def register(bench: Bench, schools: list[School], rosters: dict[str, Any], clients: int) -> dict[str, Any]:
    """Publish the national calendars, register every school and push its whole roll over HTTP."""
    async with httpx.AsyncClient(base_url=bench.url, timeout=120) as http:
        for year in (2025, 2026):
            r = await http.put(
                "/v1/regions/000000/calendar", json=whole_year_calendar(year), headers=bench.headers("admin")
            )
            if r.status_code != 200:
                raise RuntimeError(f"calendar {year}: {r.status_code} {r.text[:300]}")
        began = time.perf_counter()
        queue = list(schools)

        async def worker() -> None:
            while queue:
                school = queue.pop()
                body = {"name": f"第{school.code[-4:]}小学", "county_code": school.county, "kind": "nine_year"}
                r = await http.put(f"/v1/schools/{school.code}", json=body, headers=bench.headers("admin"))
                if r.status_code != 200:
                    raise RuntimeError(f"school {school.code}: {r.status_code} {r.text[:300]}")
                r = await http.put(
                    f"/v1/schools/{school.code}/roster",
                    json=rosters[school.code],
                    headers=bench.headers(f"school:{school.code}"),
                )
                if r.status_code != 200 or r.json()["joined"] != len(school.pupils):
                    raise RuntimeError(f"roster {school.code}: {r.status_code} {r.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    pupils = sum(len(s.pupils) for s in schools)
    return {"pupils": pupils, "seconds": round(elapsed, 1), "pupils_per_s": round(pupils / elapsed)}

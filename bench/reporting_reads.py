"""Reads of the province's read model over HTTP: the five reports (json, csv, xlsx) and the live stats."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
from baoxue_common.db import make_engine, make_sessionmaker
from reporting.adapters import counters
from reporting.domain.periods import parse_period

from bench.reporting_data import PROVINCE, SCHOOL_YEAR

SCHOOL, COUNTY, CITY = "3301060001", "330106", "330100"
REPORTS = {
    "school_monthly": f"/v1/reports/school-monthly/{SCHOOL}/2026-03",
    "county_quarterly": f"/v1/reports/county-quarterly/{COUNTY}/2026-Q1",
    "city_semester": f"/v1/reports/city-semester/{CITY}/2025-S1",
    "province_annual": f"/v1/reports/province-annual/{PROVINCE}/{SCHOOL_YEAR}",
    "national_bimonthly": "/v1/reports/national-bimonthly/2026-B2",
}
STATS = {"province": PROVINCE, "city": CITY, "county": COUNTY, "school": SCHOOL}
FORMATS = ("json", "xlsx", "csv")


def quantiles(times_ms: list[float]) -> dict[str, float]:
    """Median and p99 in ms."""
    cuts = statistics.quantiles(times_ms, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(times_ms), 1), "p99_ms": round(cuts[98], 1)}


async def timed(http: httpx.AsyncClient, url: str, params: dict[str, str], runs: int, warm: int) -> dict[str, Any]:
    """Time `runs` GETs after `warm` unmeasured ones; a first answer other than 200 is recorded, not timed."""
    times: list[float] = []
    size = 0
    for run in range(runs + warm):
        began = time.perf_counter()
        r = await http.get(url, params=params)
        elapsed = (time.perf_counter() - began) * 1000
        if r.status_code != 200:
            route_missing = r.status_code == 404 and run == 0
            return {"available": False, "status": r.status_code, "detail": r.text[:200], "route_missing": route_missing}
        size = len(r.content)
        if run >= warm:
            times.append(elapsed)
    return {"requests": runs, "bytes": size, **quantiles(times)}


async def reads(
    base_url: str, token: str, stats_runs: int, report_runs: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """The stats of four tiers and the five reports in each format."""
    out: dict[str, Any] = {"stats": {}, "reports": {}}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        for tier, code in STATS.items():
            got = out["stats"][tier] = await timed(http, f"/v1/stats/{code}", {}, stats_runs, 10)
            say(f"reporting: GET /v1/stats/{code} ({tier}) {_line(got)}")
        for name, path in REPORTS.items():
            out["reports"][name] = {}
            for fmt in FORMATS:
                runs = report_runs if fmt != "csv" else max(5, report_runs // 4)
                got = out["reports"][name][fmt] = await timed(http, path, {"format": fmt}, runs, 2)
                say(f"reporting: {name} {fmt} {_line(got)}")
                if got.get("route_missing"):
                    break  # the report is not served by this build: no other format either
    return out


def _line(got: dict[str, Any]) -> str:
    if "p50_ms" in got:
        return f"p50 {got['p50_ms']} ms, p99 {got['p99_ms']} ms ({got['bytes']:,} bytes)"
    return f"not available ({got['status']})"


async def province_counters_read(
    database_url: str, cities: list[str], counties: list[str], runs: int
) -> dict[str, Any]:
    """The counters a province annual evaluation reads (province, cities, counties over the school year), in-process."""
    engine = make_engine(database_url, application_name="bench-reporting")
    sessions = make_sessionmaker(engine)
    period = parse_period("school_year", SCHOOL_YEAR)
    regions = [PROVINCE, *cities, *counties]
    times: list[float] = []
    try:
        for run in range(runs + 2):
            async with sessions() as session:
                began = time.perf_counter()
                got = await counters.read(session, regions, period)
                elapsed = (time.perf_counter() - began) * 1000
            if run >= 2:
                times.append(elapsed)
    finally:
        await engine.dispose()
    return {"regions": len(regions), "requests": runs, "keys": sum(len(v) for v in got.values()), **quantiles(times)}

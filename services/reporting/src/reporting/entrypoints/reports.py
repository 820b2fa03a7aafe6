"""Thin routes of the five periodic reports: parse, check the scope, build, render (`?format=json|csv|xlsx`).

422 for a period label of the wrong kind or a format other than json/csv/xlsx; 404 for a code that is not a
GB/T 2260 region of the report's tier in use, or a school reporting has no figures of (an unknown school);
403 unless the token covers the region (a school token: its own school's monthly report only; the national
report: national or admin tokens only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, NotFound, Unprocessable
from baoxue_common.regions import county_name, region_name, tier_of
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.sheets import MEDIA, attachment
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.periods import Period, PeriodKind, parse_period
from reporting.reports import assemble
from reporting.reports._figures import school_county
from reporting.reports.model import Report
from reporting.reports.render import Format, to_csv, to_json, to_xlsx

router = APIRouter(prefix="/v1/reports", tags=["reports"])
SchoolPath = Annotated[str, Path(pattern=r"^\d{10}$", description="10-digit school code (学校标识码)")]
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit region code (GB/T 2260)")]
PeriodPath = Annotated[str, Path(description="The period's label, e.g. 2026-03, 2026-Q1, 2026-S1, 2026-2027, 2026-B1")]
FormatQuery = Annotated[Format, Query(description="json (default), csv (UTF-8 with BOM) or xlsx")]
Build = Callable[[AsyncSession, date, datetime], Awaitable[Report]]


def _period(kind: PeriodKind, text: str) -> Period:
    try:
        return parse_period(kind, text)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors=[{"loc": ["path", "period"], "msg": str(exc)}]) from None


def _region(code: str, tier: str) -> str:
    """The region code if it is a GB/T 2260 region of that tier in use; 404 otherwise."""
    known = county_name(code) if tier == "county" else region_name(code) if tier_of(code) == tier else None
    if known is None:
        raise NotFound(f"no {tier} {code} in GB/T 2260")
    return code


def _scope(principal: Principal, region: str) -> None:
    if not principal.covers_region(region):
        raise Forbidden(f"scope {principal.scope} does not cover region {region}")


async def _answer(request: Request, fmt: Format, build: Build) -> Response:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        report = await build(uow.session, runtime.clock.today(), runtime.clock.local_now())
    if fmt == "json":
        return JSONResponse(to_json(report))
    body = to_csv(report) if fmt == "csv" else await asyncio.to_thread(to_xlsx, report)
    disposition = attachment(f"{report.filename}.{fmt}", f"{report.ascii_filename}.{fmt}")
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


REPORT: dict[str | int, dict[str, Any]] = {200: {"content": {m: {} for m in MEDIA.values()}}}


@router.get("/school-monthly/{school_code}/{period}", summary="学校月报告", responses=REPORT)
async def school_monthly(
    request: Request,
    school_code: SchoolPath,
    period: PeriodPath,
    principal: Authenticated,
    format: FormatQuery = "json",
) -> Response:
    p = _period("month", period)
    if principal.kind == "school" and principal.value != school_code:
        raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        county = await school_county(uow.session, school_code)
    if county is None:
        raise NotFound(f"unknown school {school_code}: reporting has no figures of it")
    if principal.kind == "region":
        _scope(principal, county)
    return await _answer(request, format, lambda s, t, n: assemble.school_report(s, school_code, p, t, n))


@router.get("/county-quarterly/{county_code}/{period}", summary="县级季度复核", responses=REPORT)
async def county_quarterly(
    request: Request,
    county_code: RegionPath,
    period: PeriodPath,
    principal: Authenticated,
    format: FormatQuery = "json",
) -> Response:
    p = _period("quarter", period)
    _scope(principal, _region(county_code, "county"))
    return await _answer(request, format, lambda s, t, n: assemble.county_report(s, county_code, p, t, n))


@router.get("/city-semester/{city_code}/{period}", summary="地市学期调研", responses=REPORT)
async def city_semester(
    request: Request,
    city_code: RegionPath,
    period: PeriodPath,
    principal: Authenticated,
    format: FormatQuery = "json",
) -> Response:
    p = _period("semester", period)
    _scope(principal, _region(city_code, "city"))
    return await _answer(request, format, lambda s, t, n: assemble.city_report(s, city_code, p, t, n))


@router.get("/province-annual/{province_code}/{period}", summary="省级学年评估", responses=REPORT)
async def province_annual(
    request: Request,
    province_code: RegionPath,
    period: PeriodPath,
    principal: Authenticated,
    format: FormatQuery = "json",
) -> Response:
    p = _period("school_year", period)
    _scope(principal, _region(province_code, "province"))
    return await _answer(request, format, lambda s, t, n: assemble.province_report(s, province_code, p, t, n))


@router.get("/national-bimonthly/{period}", summary="全国双月调度", responses=REPORT)
async def national_bimonthly(
    request: Request, period: PeriodPath, principal: Authenticated, format: FormatQuery = "json"
) -> Response:
    p = _period("bimonth", period)
    if principal.kind not in ("national", "admin"):
        raise Forbidden(f"the national report is for a national or admin token, not {principal.scope}")
    return await _answer(request, format, lambda s, t, n: assemble.national_report(s, p, t, n))

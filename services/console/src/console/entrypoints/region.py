"""Region pages (city, province, national): figures by sub-region, and the tier's reports with downloads."""

from __future__ import annotations

import asyncio
from typing import Any

from baoxue_common.regions import NATIONAL, sub_regions, tier_of
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from console.adapters.services_api import ServiceError, UserApi
from console.domain.report_periods import REPORTS, recent_periods
from console.entrypoints.deps import Api, CurrentSession, PageError, Runtime, Session, ensure_region, render
from console.entrypoints.downloads import pass_through

router = APIRouter(tags=["region"])
FIGURES = ("population", "in_school", "enrolment_rate", "suspected", "confirmed", "cases_active", "returned")
PARALLEL = 8  # stats reads of the sub-regions at a time


def _ensure(session: Session, region: str) -> str:
    """The tier of a region the user may see (national needs a national or admin scope)."""
    if not region.isdigit() or len(region) != 6:
        raise PageError(404, "没有这个地区代码")
    if region == NATIONAL:
        if session.user.scope_kind not in ("national", "admin"):
            raise PageError(403, f"无权访问：您的账户管辖范围是 {session.user.scope}，不含全国")
    else:
        ensure_region(session, region)
    return tier_of(region)


async def _stats(api: UserApi, codes: list[str]) -> list[tuple[str, Any, str | None]]:
    """Each region's live figures, or the words of why they could not be read."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(code: str) -> tuple[str, Any, str | None]:
        async with gate:
            try:
                return code, await api.get("reporting", f"/v1/stats/{code}"), None
            except ServiceError as exc:
                return code, None, exc.message

    return list(await asyncio.gather(*(one(c) for c in codes)))


@router.get("/regions/{region_code}", response_class=HTMLResponse)
async def region_home(request: Request, region_code: str, session: CurrentSession, api: Api) -> HTMLResponse:
    """The region's figures, and the same figures for each region one tier below."""
    tier = _ensure(session, region_code)
    (own, *subs) = await _stats(api, [region_code, *sub_regions(region_code)])
    labels = own[1]["labels"] if own[1] else next((s[1]["labels"] for s in subs if s[1]), {})
    return render(
        request,
        session,
        "region/home.html",
        region=region_code,
        tier=tier,
        own=own,
        subs=subs,
        figures=FIGURES,
        labels=labels,
    )


def _report_path(region: str, tier: str, period: str) -> str:
    kind = REPORTS[tier][0]
    return f"/v1/reports/{kind}/{period}" if tier == "national" else f"/v1/reports/{kind}/{region}/{period}"


@router.get("/regions/{region_code}/reports", response_class=HTMLResponse)
async def region_reports(
    request: Request,
    region_code: str,
    session: CurrentSession,
    api: Api,
    runtime: Runtime,
    period: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    """The tier's report for a chosen period (the current one by default), with its downloads."""
    tier = _ensure(session, region_code)
    periods = recent_periods(tier, runtime.clock.today())
    chosen = period or periods[0]
    report, error = None, None
    try:
        report = await api.get("reporting", _report_path(region_code, tier, chosen))
    except ServiceError as exc:
        if exc.status not in (404, 422):
            raise
        error = exc.message
    return render(
        request,
        session,
        "region/reports.html",
        region=region_code,
        tier=tier,
        title=REPORTS[tier][1],
        periods=periods,
        period=chosen,
        report=report,
        error=error,
    )


@router.get("/regions/{region_code}/reports/download")
async def region_report_download(
    region_code: str,
    session: CurrentSession,
    api: Api,
    period: str = Query(max_length=20),
    format: str = Query(default="xlsx", pattern="^(json|csv|xlsx)$"),
) -> StreamingResponse:
    """The report as the reporting service renders it (json, csv or xlsx), passed through."""
    tier = _ensure(session, region_code)
    path = _report_path(region_code, tier, period)
    filename = f"{REPORTS[tier][0]}-{region_code}-{period}.json" if format == "json" else None
    return await pass_through(api, "reporting", path, {"format": format}, filename=filename)

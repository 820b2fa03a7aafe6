"""County pages: the home page with live figures and charts, consistency, access log, national list feedback."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from baoxue_common.labels import CLEAR_LABELS
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from console.adapters.services_api import ServiceError, UserApi
from console.domain.county import (
    LEDGER_TITLES,
    NATIONAL_STATES,
    STATUSES,
    group_chart,
    headline,
    school_chart,
    school_year_quarters,
    trend_chart,
)
from console.entrypoints import county_ledgers
from console.entrypoints.deps import Api, CurrentSession, Runtime, ensure_region, render

router = APIRouter(tags=["county"])
router.include_router(county_ledgers.router)
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$")]
Offset = Annotated[int, Query(ge=0)]
BatchQuery = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$|^$")]


async def _schools(api: UserApi, county: str, period: str) -> list[dict[str, Any]]:
    """The per-school rows of the county's quarterly review (empty when the report cannot be had)."""
    try:
        report = await api.get("reporting", f"/v1/reports/county-quarterly/{county}/{period}")
    except ServiceError:
        return []
    rows: list[dict[str, Any]] = report.get("sections", {}).get("schools", {}).get("rows", [])
    return rows


@router.get("/counties/{county_code}", response_class=HTMLResponse)
async def county_home(
    request: Request, county_code: CountyPath, session: CurrentSession, api: Api, runtime: Runtime
) -> HTMLResponse:
    """The county's live figures and the charts: over the school year, by school, by priority group."""
    ensure_region(session, county_code)
    stats = await api.get("reporting", f"/v1/stats/{county_code}")
    periods = school_year_quarters(runtime.clock.today())
    earlier = [api.get("reporting", f"/v1/stats/{county_code}", params={"period": p}) for p in periods[:-1]]
    past, schools = await asyncio.gather(asyncio.gather(*earlier), _schools(api, county_code, stats["period"]))
    charts = {
        "trend": trend_chart(periods, [s["figures"] for s in past] + [stats["figures"]]),
        "schools": school_chart(schools),
        "groups": group_chart(stats["figures"]),
    }
    return render(
        request,
        session,
        "county/home.html",
        county=county_code,
        stats=stats,
        figures=headline(stats),
        charts=charts,
        titles=LEDGER_TITLES,
    )


@router.get("/counties/{county_code}/figures", response_class=HTMLResponse)
async def county_figures(request: Request, county_code: CountyPath, session: CurrentSession, api: Api) -> HTMLResponse:
    """The figures part of the home page, which the page asks for again every half minute (htmx)."""
    ensure_region(session, county_code)
    stats = await api.get("reporting", f"/v1/stats/{county_code}")
    return render(request, session, "county/figures.html", county=county_code, stats=stats, figures=headline(stats))


@router.get("/counties/{county_code}/consistency", response_class=HTMLResponse)
async def consistency(request: Request, county_code: CountyPath, session: CurrentSession, api: Api) -> HTMLResponse:
    """Whether the three ledgers agree, their counts per status, and each discrepancy."""
    ensure_region(session, county_code)
    report = await api.get("ledger", f"/v1/counties/{county_code}/ledgers/consistency")
    statuses = {key.replace("-", "_"): labels for key, labels in STATUSES.items()}
    return render(request, session, "county/consistency.html", county=county_code, report=report, statuses=statuses)


@router.get("/counties/{county_code}/access-log", response_class=HTMLResponse)
async def access_log(
    request: Request,
    county_code: CountyPath,
    session: CurrentSession,
    api: Api,
    offset: Offset = 0,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    """Who read which child's records, newest first, 50 a page."""
    ensure_region(session, county_code)
    filters = {k: v for k, v in {"actor": actor, "action": action}.items() if v}
    page = await api.get(
        "ledger", f"/v1/counties/{county_code}/access-log", params=filters | {"offset": offset, "limit": 50}
    )
    base = f"/counties/{county_code}/access-log?"
    pager = {
        "prev": base + urlencode(filters | {"offset": max(0, offset - 50)}) if offset > 0 else None,
        "next": base + urlencode(filters | {"offset": page["next_offset"]}) if page.get("next_offset") else None,
    }
    return render(
        request, session, "county/access_log.html", county=county_code, page=page, pager=pager, filters=filters
    )


@router.get("/national/lists", response_class=HTMLResponse)
async def national_lists(
    request: Request, session: CurrentSession, api: Api, batch_id: BatchQuery = None, offset: Offset = 0
) -> HTMLResponse:
    """The feedback on one of the national platform's suspected lists: each child's state and its dates."""
    feedback = None
    if batch_id:
        feedback = await api.get(
            "verification", f"/v1/national/suspected-lists/{batch_id}", params={"offset": offset, "limit": 100}
        )
    pager = {}
    if feedback is not None:
        base = "/national/lists?"
        if offset > 0:
            pager["prev"] = base + urlencode({"batch_id": batch_id, "offset": max(0, offset - 100)})
        if feedback.get("next_offset") is not None:
            pager["next"] = base + urlencode({"batch_id": batch_id, "offset": feedback["next_offset"]})
    return render(
        request,
        session,
        "county/national_lists.html",
        batch_id=batch_id or "",
        feedback=feedback,
        pager=pager,
        states=NATIONAL_STATES,
        reasons=CLEAR_LABELS,
    )

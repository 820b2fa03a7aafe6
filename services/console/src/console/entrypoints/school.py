"""School pages: today's attendance, the school's warnings, open suspects and cases, and the upload templates."""

from __future__ import annotations

import asyncio
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from console.adapters.services_api import ServiceError, UserApi
from console.adapters.sheets_in import template
from console.domain.uploads import COLUMNS, STATUS_LABELS
from console.entrypoints import uploads
from console.entrypoints.deps import Api, CurrentSession, PageError, Runtime, ensure_school, render

router = APIRouter(tags=["school"])
router.include_router(uploads.router)
OPEN_SUSPECTS = ("pending", "verifying")
ACTIVE_CASES = ("open", "returned", "closure_proposed")
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TEMPLATE_NAMES = {"roll": "花名册模板", "attendance": "考勤模板"}


async def _entries(
    api: UserApi, county_code: str, school_code: str, ledger: str, statuses: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The school's ledger entries with any of these statuses (a school token reads only its own)."""
    path = f"/v1/counties/{county_code}/ledgers/{ledger}"
    pages = await asyncio.gather(
        *(api.get("ledger", path, {"school_code": school_code, "status": s, "limit": 100}) for s in statuses)
    )
    return [item for page in pages for item in page["items"]]


async def _optional(call: Any) -> tuple[Any, str | None]:
    """A service answer, or None and the words of its error (one failing panel does not blank the page)."""
    try:
        return await call, None
    except ServiceError as exc:
        return None, exc.message


@router.get("/schools/{school_code}", response_class=HTMLResponse)
async def school_home(
    request: Request, school_code: str, session: CurrentSession, api: Api, runtime: Runtime
) -> HTMLResponse:
    """Today's attendance (submitted or not), open warnings, this month's figures, open suspects and active cases."""
    ensure_school(session, school_code)
    today = runtime.clock.today()
    # The day's answer names the county the school is registered in: the ledgers are read there.
    day = await _optional(api.get("attendance-ingest", f"/v1/schools/{school_code}/attendance/{today.isoformat()}"))
    county = day[0]["county_code"] if day[0] else None  # the county the school is registered in

    async def ledger(name: str, statuses: tuple[str, ...]) -> tuple[Any, str | None]:
        if county is None:  # an unregistered school (or attendance-ingest down): the day's words say which
            return None, day[1]
        return await _optional(_entries(api, county, school_code, name, statuses))

    warnings, stats, suspects, cases = await asyncio.gather(
        _optional(api.get("verification", f"/v1/schools/{school_code}/warnings")),
        _optional(api.get("reporting", f"/v1/stats/{school_code}")),
        ledger("suspected", OPEN_SUSPECTS),
        ledger("dropouts", ACTIVE_CASES),
    )
    return render(
        request,
        session,
        "school/home.html",
        school=school_code,
        today=today,
        day=day[0],
        day_error=day[1],
        warnings=warnings[0],
        warnings_error=warnings[1],
        stats=stats[0],
        stats_error=stats[1],
        suspects=suspects[0],
        suspects_error=suspects[1],
        cases=cases[0],
        cases_error=cases[1],
        status_labels=STATUS_LABELS,
    )


@router.get("/schools/{school_code}/templates/{name}")
async def school_template(school_code: str, name: str, session: CurrentSession) -> Response:
    """A blank roll or attendance template (CSV or XLSX) with its header and one example row."""
    ensure_school(session, school_code)
    kind, _, fmt = name.partition(".")
    if kind not in COLUMNS or fmt not in MEDIA:
        raise PageError(404, "没有这个模板：可下载 roll.csv、roll.xlsx、attendance.csv、attendance.xlsx")
    checked: Literal["roll", "attendance"] = "roll" if kind == "roll" else "attendance"
    filename = f"{TEMPLATE_NAMES[kind]}.{fmt}"
    disposition = f"attachment; filename=\"{kind}-template.{fmt}\"; filename*=UTF-8''" + quote(filename)
    return Response(template(checked, fmt), media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})

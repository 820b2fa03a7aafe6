"""County pages: the home page with live figures, the three ledgers, verifications, consistency, national lists."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.entrypoints.deps import Api, CurrentSession, ensure_region, render

router = APIRouter(tags=["county"])


@router.get("/counties/{county_code}", response_class=HTMLResponse)
async def county_home(request: Request, county_code: str, session: CurrentSession, api: Api) -> HTMLResponse:
    """The county's live figures."""
    ensure_region(session, county_code)
    stats = await api.get("reporting", f"/v1/stats/{county_code}")
    return render(request, session, "county/home.html", county=county_code, stats=stats)

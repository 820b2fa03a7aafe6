"""The county's three ledgers: filtered, paged pages (today's or as of a day) and the CSV/XLSX downloads."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from baoxue_common.labels import GROUP_LABELS
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from console.domain.county import (
    LEDGER_TITLES,
    OPEN_SUSPECT,
    PAGE_SIZES,
    STATUSES,
    FilterError,
    LedgerName,
    LedgerQuery,
    clear_student,
    parse_query,
    reason_zh,
)
from console.entrypoints.deps import Api, CurrentSession, PageError, ensure_region, render
from console.entrypoints.downloads import pass_through

router = APIRouter(tags=["county"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$")]


def query_of(ledger: str, request: Request) -> LedgerQuery:
    """The page's filters, or a 422 page saying which one cannot be used."""
    try:
        return parse_query(ledger, dict(request.query_params))
    except FilterError as exc:
        raise PageError(422, str(exc)) from None


@router.get("/counties/{county_code}/ledgers/{ledger}", response_class=HTMLResponse)
async def ledger_page(
    request: Request, county_code: CountyPath, ledger: LedgerName, session: CurrentSession, api: Api
) -> HTMLResponse:
    """One page of a ledger with its filters; an htmx request gets the results part only."""
    ensure_region(session, county_code)
    query = query_of(ledger, request)
    page = await api.get("ledger", f"/v1/counties/{county_code}/ledgers/{ledger}", params=query.params())
    base = f"/counties/{county_code}/ledgers/{ledger}"
    total, offset, limit = page["total"], page["offset"], page["limit"]
    pager = {
        "first": offset + 1 if page["items"] else 0,
        "last": offset + len(page["items"]),
        "prev": f"{base}?{urlencode(query.at(offset - limit))}" if offset > 0 else None,
        "next": f"{base}?{urlencode(query.at(page['next_offset']))}" if page.get("next_offset") is not None else None,
    }
    downloads = {fmt: f"{base}/download?{urlencode(query.filters() | {'format': fmt})}" for fmt in ("csv", "xlsx")}
    template = "county/ledger_results.html" if request.headers.get("HX-Request") == "true" else "county/ledger.html"
    return render(
        request,
        session,
        template,
        county=county_code,
        ledger=ledger,
        title=LEDGER_TITLES[ledger],
        titles=LEDGER_TITLES,
        page=page,
        total=total,
        query=query,
        pager=pager,
        downloads=downloads,
        statuses=STATUSES[ledger],
        groups=GROUP_LABELS,
        page_sizes=PAGE_SIZES,
        open_suspect=OPEN_SUSPECT,
        clear_student=clear_student,
        reason_zh=reason_zh,
        base=base,
    )


@router.get("/counties/{county_code}/ledgers/{ledger}/download")
async def ledger_download(
    request: Request,
    county_code: CountyPath,
    ledger: LedgerName,
    session: CurrentSession,
    api: Api,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> StreamingResponse:
    """The whole filtered ledger as CSV or XLSX, streamed through from the ledger service as it sends it."""
    ensure_region(session, county_code)
    params = query_of(ledger, request).filters() | {"format": format}
    return await pass_through(api, "ledger", f"/v1/counties/{county_code}/ledgers/{ledger}", params)

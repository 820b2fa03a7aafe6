"""Verification pages: a county's list with an outcome form per item, one suspect's verification, the outcome."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from baoxue_common.labels import CAUSE_LABELS, CLEAR_LABELS
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.adapters.services_api import ServiceError, UserApi
from console.entrypoints.case_forms import outcome_body, problem_words
from console.entrypoints.deps import ActingSession, Api, CurrentSession, PageError, Session, ensure_region, render

router = APIRouter(tags=["verifications"])
PAGE = 20
VERIFIER_REASONS = {k: v for k, v in CLEAR_LABELS.items() if k != "attendance_corrected"}


def county_of(session: Session, county: str | None) -> str:
    """The county a suspect is looked up in: the one asked for, else the user's own county."""
    code = county or session.user.scope_code
    if len(code) != 6 or not code.isdigit():
        raise PageError(422, "请指明县（区）代码：?county=六位行政区划代码")
    ensure_region(session, code)
    return code


def form_context(session: Session, today: str) -> dict[str, Any]:
    """What every outcome form offers."""
    return {
        "causes": CAUSE_LABELS,
        "reasons": VERIFIER_REASONS,
        "today": today,
        "verifier": session.user.display_name,
    }


@router.get("/counties/{county_code}/verifications", response_class=HTMLResponse)
async def verification_list(
    request: Request,
    county_code: str,
    session: CurrentSession,
    api: Api,
    status: Literal["open", "overdue", "done", ""] = "",
    offset: int = 0,
) -> HTMLResponse:
    """The county's verifications, the earliest due first, each open one with its outcome form."""
    ensure_region(session, county_code)
    params: dict[str, Any] = {"limit": PAGE, "offset": max(offset, 0)} | ({"status": status} if status else {})
    page = await api.get("verification", f"/v1/counties/{county_code}/verifications", params)
    today = request.app.state.runtime.clock.today().isoformat()
    return render(
        request,
        session,
        "verifications/list.html",
        county=county_code,
        chosen=status,
        page=page,
        prev_offset=max(offset - PAGE, 0) if offset > 0 else None,
        **form_context(session, today),
    )


async def verification_of(api: UserApi, county: str, suspicion_id: UUID) -> dict[str, Any] | None:
    """The verification of a suspect, if the county has one."""
    params = {"suspicion_id": str(suspicion_id), "limit": 1}
    page = await api.get("verification", f"/v1/counties/{county}/verifications", params)
    items: list[dict[str, Any]] = page["items"]
    return items[0] if items else None


@router.get("/suspicions/{suspicion_id}/verification", response_class=HTMLResponse)
async def suspect_verification(
    request: Request, suspicion_id: UUID, session: CurrentSession, api: Api, county: str | None = None
) -> HTMLResponse:
    """One suspect's verification, with the outcome form while it is open."""
    code = county_of(session, county)
    found = await verification_of(api, code, suspicion_id)
    if found is None:
        raise PageError(404, f"未找到该疑似辍学对象的核查任务（{suspicion_id}）")
    today = request.app.state.runtime.clock.today().isoformat()
    return render(request, session, "verifications/one.html", county=code, v=found, **form_context(session, today))


@router.post("/verifications/{verification_id}/outcome", response_class=HTMLResponse)
async def record_outcome(request: Request, verification_id: UUID, session: ActingSession, api: Api) -> HTMLResponse:
    """Send the outcome; answer with what was recorded and, once confirmed, the way to the case."""
    if not session.user.can_act:
        raise PageError(403, "您的账户只能查看，不能登记核查结果")
    form = await request.form()
    county = str(form.get("county") or session.user.scope_code)
    today = request.app.state.runtime.clock.today().isoformat()
    try:
        done = await api.post("verification", f"/v1/verifications/{verification_id}/outcome", outcome_body(form))
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        shown = {
            "verification_id": str(verification_id),
            "suspicion_id": str(form.get("suspicion_id") or ""),
            "status": "open",
            **{k: form.get(k) for k in ("student_id", "school_code", "due_on")},
        }
        return render(
            request,
            session,
            "verifications/one.html",
            status=exc.status,
            county=county,
            v=shown,
            error=exc.message,
            problems=problem_words(exc.problems),
            **form_context(session, today),
        )
    return render(request, session, "verifications/recorded.html", county=county, v=done)


@router.get("/suspicions/{suspicion_id}/case", response_model=None)
async def suspect_case(
    request: Request, suspicion_id: UUID, session: CurrentSession, api: Api, county: str | None = None
) -> Response:
    """Go to the case the ledger opened for this suspect; say so while it is being opened."""
    code = county_of(session, county)
    ledgers = f"/v1/counties/{code}/ledgers"
    params = {"suspicion_id": str(suspicion_id), "limit": 1}
    cases = (await api.get("ledger", f"{ledgers}/dropouts", params))["items"]
    if cases:
        return RedirectResponse(f"/cases/{cases[0]['case_id']}", status_code=303)
    suspects = (await api.get("ledger", f"{ledgers}/suspected", params))["items"]
    if not suspects:  # a cleared suspect is left out of the ledger unless asked for
        suspects = (await api.get("ledger", f"{ledgers}/suspected", params | {"status": "cleared"}))["items"]
    if not suspects:
        raise PageError(404, f"未找到该疑似辍学对象的个案（{suspicion_id}）")
    return render(request, session, "verifications/pending_case.html", county=code, entry=suspects[0])

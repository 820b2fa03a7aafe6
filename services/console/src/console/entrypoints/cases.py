"""The case page (劝返个案): the escalation ladder, attempts, deadlines, people, and a form for each next step."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from baoxue_common.labels import (
    ASSIGNEE_ROLE_LABELS,
    ATTEMPT_OUTCOME_LABELS,
    CAUSE_LABELS,
    CLOSE_LABELS,
    ESCALATION_LABELS,
    METHOD_LABELS,
    PLACEMENT_LABELS,
)
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.adapters.services_api import ServiceError, UserApi
from console.entrypoints.case_forms import STEP_DONE, body_of, case_step, problem_words
from console.entrypoints.deps import ActingSession, Api, CurrentSession, PageError, Session, render

router = APIRouter(tags=["cases"])
LADDER = tuple(ESCALATION_LABELS)
CANCEL_REASONS = {k: v for k, v in CLOSE_LABELS.items() if k != "consolidated"}


def next_levels(current: str | None) -> list[str]:
    """The escalation levels still ahead of the current one (levels only go up)."""
    return list(LADDER[LADDER.index(current) + 1 :] if current in LADDER else LADDER)


def ladder(current: str | None) -> list[tuple[str, str]]:
    """Each rung with its state: done, current or ahead."""
    reached = LADDER.index(current) if current in LADDER else -1
    states = ["done" if i < reached else "current" if i == reached else "ahead" for i in range(len(LADDER))]
    return list(zip(LADDER, states, strict=True))


def case_context(request: Request, session: Session, case: dict[str, Any]) -> dict[str, Any]:
    """What the case page shows and offers."""
    user, status = session.user, case["status"]
    acting = user.can_act and status != "closed" and case.get("transfer_to") is None
    pending = next((t for t in case["transfers"] if t["status"] == "pending"), None)
    return {
        "case": case,
        "ladder": ladder(case["escalation_level"]),
        "next_levels": next_levels(case["escalation_level"]),
        "acting": acting,
        "approving": user.can_approve and status == "closure_proposed",
        "receiving": pending is not None and user.scope_code == pending["to_county_code"],
        "pending_transfer": pending,
        "today": request.app.state.runtime.clock.today().isoformat(),
        "me": user.display_name,
        "escalations": ESCALATION_LABELS,
        "methods": METHOD_LABELS,
        "attempt_outcomes": ATTEMPT_OUTCOME_LABELS,
        "roles": ASSIGNEE_ROLE_LABELS,
        "placements": PLACEMENT_LABELS,
        "causes": CAUSE_LABELS,
        "cancel_reasons": CANCEL_REASONS,
    }


async def load_case(api: UserApi, case_id: UUID) -> dict[str, Any]:
    """The case as the ledger shows it to this user (403/404 pages in words come from the ServiceError)."""
    case: dict[str, Any] = await api.get("ledger", f"/v1/cases/{case_id}")
    return case


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, case_id: UUID, session: CurrentSession, api: Api, done: str | None = None
) -> HTMLResponse:
    """The case with everything done on it and the forms of its next steps."""
    case = await load_case(api, case_id)
    message = STEP_DONE.get(done or "")
    return render(request, session, "cases/case.html", done=message, **case_context(request, session, case))


@router.post("/cases/{case_id}/steps/{step}", response_model=None)
async def case_step_post(request: Request, case_id: UUID, step: str, session: ActingSession, api: Api) -> Response:
    """Send one step to the ledger; back to the case page, saying what was done or what was wrong."""
    method, path, fields = case_step(step)
    user = session.user
    if not user.can_act or (step in ("approve", "reject") and not user.can_approve):
        raise PageError(403, "您的账户无权进行这项操作")
    form = await request.form()
    body = body_of(form, fields, form.getlist)
    try:
        await api.request(method, "ledger", f"/v1/cases/{case_id}/{path}", json=body)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        case = await load_case(api, case_id)
        context = case_context(request, session, case)
        return render(
            request,
            session,
            "cases/case.html",
            status=exc.status,
            error=exc.message,
            problems=problem_words(exc.problems),
            failed_step=step,
            **context,
        )
    return RedirectResponse(f"/cases/{case_id}?done={step}", status_code=303)

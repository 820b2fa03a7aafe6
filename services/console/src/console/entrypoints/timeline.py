"""A child's timeline page: every event about the child, oldest first, as the ledger keeps it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from console.entrypoints.deps import Api, CurrentSession, render

router = APIRouter(tags=["timeline"])
PAGE = 100


@router.get("/students/{student_id}/timeline", response_class=HTMLResponse)
async def timeline_page(
    request: Request,
    student_id: Annotated[str, Path(max_length=40)],
    session: CurrentSession,
    api: Api,
    offset: int = 0,
) -> HTMLResponse:
    """The child's timeline (the read is logged by the ledger)."""
    page = await api.get("ledger", f"/v1/students/{student_id}/timeline", {"limit": PAGE, "offset": max(offset, 0)})
    return render(
        request,
        session,
        "cases/timeline.html",
        student_id=student_id,
        page=page,
        prev_offset=max(offset - PAGE, 0) if offset > 0 else None,
    )

"""Routes of the ledger: a child's timeline, every event about the child oldest first, each read logged.

Scope, object-level: admin and national see every line; a region token sees the lines of the child's
counties it covers; a school token sees a child only while its latest roll line (StudentEnrolled or
StudentUpdated: a pupil who left keeps it, so the school follows its dropout) is at that school, and then the
lines naming its school and those of its school's cases. A child the caller may not see is a 403, not a
404: the caller already holds the child's number, and a clear refusal is easier to audit than a silence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, NotFound, Unprocessable
from baoxue_common.paging import next_offset
from baoxue_common.pii import national_id_hash
from baoxue_common.runtime import ServiceRuntime
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters import history
from ledger.adapters import timeline_repository as repo
from ledger.domain.timeline import masked_key, parse_child_id

router = APIRouter(prefix="/v1/students", tags=["timeline"])
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint


class TimelineLine(BaseModel):
    """One event about the child: what, when, where, from which service, and who did it."""

    occurred_at: datetime
    event_type: str
    producer: str
    actor: str | None
    county_code: str | None
    student: str | None
    case_id: UUID | None
    event_id: UUID | None
    summary: dict[str, Any]


class Timeline(BaseModel):
    """A page of a child's timeline, oldest first."""

    child: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[TimelineLine]


@router.get(
    "/{child_id}/timeline",
    response_model=Timeline,
    summary="Every event about a child, oldest first, with who did it",
    description="`child_id` is a student number (G…/L…) or an 18-character resident ID number. Each read is logged.",
    responses={
        403: {"description": "The child is outside the caller's scope: problem details"},
        404: {"description": "No event about this child: problem details"},
        422: {"description": "Neither a valid student number nor a valid ID number: problem details"},
    },
)
async def get_timeline(
    request: Request,
    principal: Authenticated,
    child_id: Annotated[str, Path(max_length=40)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Timeline:
    try:
        named = parse_child_id(child_id)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors=[{"loc": ["path", "child_id"], "msg": str(exc)}]) from exc
    runtime: ServiceRuntime = request.app.state.runtime
    if named.kind == "student":
        student_id, hashed = named.value, None
    else:
        student_id, hashed = None, national_id_hash(runtime.settings.pii_key, named.value)
    async with runtime.uow() as uow:
        child = await repo.resolve(uow.session, student_id, hashed)
        counties, where, county = await _scope(uow.session, principal, child)
        total, rows = await repo.lines_page(uow.session, child, where, limit=limit, offset=offset)
        subject = masked_key(student_id or _shown_key(child))
        await history.log_read(
            uow.session,
            actor=principal.actor,
            scope=principal.scope,
            action="timeline",
            county_code=county,
            subject=subject,
            detail={"counties": sorted(counties), "limit": limit, "offset": offset},
        )
        await uow.commit()
    return Timeline(
        child=subject,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[_line(r) for r in rows],
    )


async def _scope(session: AsyncSession, principal: Principal, child: repo.Child) -> tuple[set[str], Any, str]:
    """The child's counties, the lines the caller may see, and the county its read is logged under."""
    counties = await repo.counties_of(session, child)
    if not counties:
        raise NotFound("no event about this child")
    if principal.kind == "school":
        school, county = await repo.latest_roll(session, child)
        if school != principal.value or county is None:
            raise Forbidden(f"scope {principal.scope} does not cover this child: not on its roll")
        return counties, repo.visible(None, school), county
    covered = sorted(c for c in counties if principal.covers_region(c))
    if not covered:
        raise Forbidden(f"scope {principal.scope} covers none of this child's counties")
    if principal.kind in ("admin", "national"):
        return counties, repo.visible(None, None), covered[0]
    return counties, repo.visible(covered, None), covered[0]


def _shown_key(child: repo.Child) -> str:
    """The key a child named by ID number is shown by: a student number if it has one, else its blind index."""
    return min(child.student_ids) if child.student_ids else f"h:{min(child.hashes)}"


def _line(row: dict[str, Any]) -> TimelineLine:
    """A stored line as answered: the student number masked, no blind index."""
    student = row["student_id"]
    return TimelineLine(
        occurred_at=row["occurred_at"],
        event_type=row["event_type"],
        producer=row["producer"],
        actor=row["actor"],
        county_code=row["county_code"],
        student=masked_key(student) if student else None,
        case_id=row["case_id"],
        event_id=row["event_id"],
        summary=row["summary"],
    )

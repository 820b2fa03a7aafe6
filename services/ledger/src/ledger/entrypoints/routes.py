"""Thin HTTP routes of the three ledgers: pages, as-of pages and CSV/XLSX exports."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.paging import next_offset
from baoxue_common.runtime import ServiceRuntime
from baoxue_contracts.base import PriorityGroup
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from ledger import exports
from ledger.adapters import ledger_queries as q
from ledger.domain.exports import SPECS, LedgerSpec, mask_student_id, parse_sort
from ledger.domain.ledgers import LEDGER_LABELS, LedgerName

router = APIRouter(prefix="/v1/counties", tags=["ledgers"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code")]
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint


class SuspectEntry(BaseModel):
    """One line of the suspected-dropout ledger (疑似辍学学生台账)."""

    entry_id: UUID
    suspicion_id: UUID
    county_code: str
    school_code: str | None
    student_id: str | None
    source: str
    status: str
    status_label: str
    reason: str
    groups: list[str]
    poverty_household: bool
    flagged_on: date
    due_on: date | None = None
    confirmed_on: date | None = None
    clear_reason: str | None = None
    cleared_on: date | None = None
    updated_at: datetime | None = None


class SchoolAgeEntry(BaseModel):
    """One line of the school-age children ledger (适龄儿童台账); the ID number only masked."""

    entry_id: UUID
    county_code: str
    student_id: str | None
    masked_id: str | None
    school_code: str | None
    grade: int | None
    class_name: str | None
    gender: str | None
    birth_date: date | None
    hukou_county_code: str | None
    residence_county_code: str | None
    relations: list[str]
    on_roll: bool
    on_register: bool
    status: str
    status_label: str
    status_since: date
    groups: list[str]
    poverty_household: bool
    updated_at: datetime | None = None


class DropoutEntry(BaseModel):
    """One line of the dropout ledger (辍学学生台账): a case."""

    case_id: UUID
    suspicion_id: UUID
    county_code: str
    school_code: str | None
    student_id: str | None
    status: str
    status_label: str
    source: str
    groups: list[str]
    poverty_household: bool
    flagged_on: date | None
    confirmed_on: date
    cause_main: str | None
    escalation_level: str | None
    order_deadline: date | None
    returned_on: date | None
    closed_on: date | None
    relapses: int
    transfer_to: str | None
    updated_at: datetime | None = None


ENTRY_MODELS: dict[str, type[BaseModel]] = {
    "school-age": SchoolAgeEntry,
    "suspected": SuspectEntry,
    "dropouts": DropoutEntry,
}


class LedgerPage(BaseModel):
    """A page of a ledger, today's or as of a past day."""

    ledger: str
    label: str
    county_code: str
    as_of: date | None = None
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[SuspectEntry | SchoolAgeEntry | DropoutEntry]


def entry(ledger: str, spec: LedgerSpec, row: dict[str, Any]) -> BaseModel:
    """A row as the ledger's item: status in Chinese, student number masked, relations/arrays as lists."""
    values = {k: v for k, v in row.items() if k not in ("national_id_hash", "child_key")}
    values["student_id"] = mask_student_id(row.get("student_id"))
    values["status_label"] = spec.statuses.get(row["status"], row["status"])
    for name in ("groups", "relations"):
        if name in values:
            values[name] = list(values[name] or [])
    return ENTRY_MODELS[ledger].model_validate(values)


async def scoped_filters(request: Request, principal: Principal, county_code: str, filters: q.Filters) -> q.Filters:
    """The caller's filters within its scope: a region its counties; a school only its own entries."""
    if principal.kind != "school":
        principal.ensure_region(county_code)
        return filters
    if filters.school_code not in (None, principal.value):
        raise Forbidden(f"scope {principal.scope} does not cover school {filters.school_code}")
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        known = await q.school_in_county(uow.session, county_code, principal.value)
    if not known:
        raise Forbidden(f"scope {principal.scope} does not cover county {county_code}")
    return replace(filters, school_code=principal.value)


def checked(ledger: str, request: Request, status: str | None, sort: str | None, f: q.Filters) -> None:
    """422 (with the failing parameters) for a status or sort the ledger lacks, a reversed range, a future as_of."""
    spec, errors = SPECS[ledger], []
    if status is not None and status not in spec.statuses:
        errors.append({"loc": ["query", "status"], "msg": f"one of {', '.join(spec.statuses)}"})
    try:
        parse_sort(spec, sort)
    except ValueError as exc:
        errors.append({"loc": ["query", "sort"], "msg": str(exc)})
    if f.suspicion_id and ledger == "school-age":
        errors.append({"loc": ["query", "suspicion_id"], "msg": "the suspected and dropouts ledgers only"})
    if f.from_day and f.to_day and f.from_day > f.to_day:
        errors.append({"loc": ["query", "to"], "msg": "to is before from"})
    runtime: ServiceRuntime = request.app.state.runtime
    if f.as_of and f.as_of > runtime.clock.today():
        errors.append({"loc": ["query", "as_of"], "msg": "as_of is a past day or today, not a future one"})
    if errors:
        raise Unprocessable("the ledger query is not valid", errors=errors)


@router.get(
    "/{county_code}/ledgers/{ledger}",
    response_model=LedgerPage,
    summary="A page of one of the three ledgers, or the whole filtered ledger as CSV/XLSX",
    description=(
        "Region tokens covering the county; a school token sees its own school's entries only. Without a status "
        "filter the suspected ledger leaves cleared entries out. `as_of` answers the ledger as it stood at the end "
        "of that day. `format=csv|xlsx` streams every matching entry (no paging), student numbers masked unless "
        "`clear=true` (region token of that county, or admin); every export is recorded in the access log."
    ),
    responses={
        200: {"content": {"text/csv": {}, exports.MEDIA["xlsx"]: {}}},
        403: {"description": "Out of scope, or a clear export the token may not have: problem details"},
    },
)
async def get_ledger(
    request: Request,
    county_code: CountyPath,
    ledger: LedgerName,
    principal: Authenticated,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    school_code: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    group: PriorityGroup | None = None,
    poverty_household: bool | None = None,
    from_day: Annotated[date | None, Query(alias="from")] = None,
    to_day: Annotated[date | None, Query(alias="to")] = None,
    sort: Annotated[
        str | None, Query(max_length=40, description="a column of the ledger's whitelist; - descends")
    ] = None,
    as_of: date | None = None,
    suspicion_id: Annotated[
        UUID | None, Query(description="Only the entry of this suspect (suspected and dropouts ledgers)")
    ] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
    clear: bool = False,
) -> Any:
    spec = SPECS[ledger]
    filters = q.Filters(school_code, status, group, poverty_household, from_day, to_day, as_of, suspicion_id)
    checked(ledger, request, status, sort, filters)
    if clear and format == "json":
        raise Unprocessable(
            "clear is for exports", errors=[{"loc": ["query", "clear"], "msg": "needs format=csv|xlsx"}]
        )
    filters = await scoped_filters(request, principal, county_code, filters)
    runtime: ServiceRuntime = request.app.state.runtime
    if format != "json":
        return await export(runtime, principal, ledger, spec, county_code, filters, sort, format, clear)
    async with runtime.uow() as uow:
        total, rows = await q.page(uow.session, spec, county_code, filters, sort, limit, offset)
    return LedgerPage(
        ledger=ledger,
        label=LEDGER_LABELS[ledger],
        county_code=county_code,
        as_of=as_of,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[entry(ledger, spec, r) for r in rows],
    )


async def export(
    runtime: ServiceRuntime,
    principal: Principal,
    ledger: str,
    spec: LedgerSpec,
    county_code: str,
    f: q.Filters,
    sort: str | None,
    fmt: str,
    clear: bool,
) -> StreamingResponse:
    """Log the export, then stream it."""
    if clear:
        exports.ensure_clear_allowed(principal, county_code)
    shown = {k: _shown(v) for k, v in f.__dict__.items() if v is not None}
    detail = {"format": fmt, "clear": clear, "filters": shown | ({"sort": sort} if sort else {})}
    await exports.log_export(runtime.uow, principal, ledger, spec, county_code, f, detail)
    headers = {"Content-Disposition": exports.disposition(ledger, county_code, fmt, f.as_of)}
    if fmt == "csv":
        body = exports.csv_chunks(runtime.uow, spec, county_code, f, sort, clear)
    else:
        path = await exports.build_xlsx(runtime.uow, spec, county_code, f, sort, clear)
        body = exports.file_chunks(exports.opened_and_unlinked(path))
    return StreamingResponse(body, media_type=exports.MEDIA[fmt], headers=headers)


def _shown(value: Any) -> Any:
    """A filter's value as the access log keeps it (JSON)."""
    return value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, UUID) else value

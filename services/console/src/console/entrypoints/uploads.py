"""Uploads of a school's roll and of a day's attendance: every row checked first, nothing stored until all are good."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from console.adapters.services_api import ServiceError, UserApi
from console.adapters.sheets_in import SheetError, read_sheet
from console.domain.uploads import (
    COLUMNS,
    HINTS,
    REQUIRED,
    Checked,
    Kind,
    Row,
    RowProblem,
    check_attendance,
    check_roll,
)
from console.domain.uploads import header_label as column_label
from console.entrypoints.deps import ActingSession, Api, CurrentSession, PageError, Runtime, ensure_school, render

router = APIRouter(tags=["uploads"])
TITLES = {"roll": "上传花名册", "attendance": "上传考勤"}
ROLL_PAGE = 1000
_LINE = re.compile(r"^(?:records|students)\.(\d+)(?:\.(\w+))?: (.*)$")


def _kind(kind: str) -> Kind:
    if kind == "roll":
        return "roll"
    if kind == "attendance":
        return "attendance"
    raise PageError(404, "页面不存在")


def _page(request: Request, session: Any, school: str, kind: Kind, status: int = 200, **context: Any) -> HTMLResponse:
    """The upload page: the form, the template links, and the outcome of the last upload if any."""
    return render(
        request,
        session,
        "school/upload.html",
        status=status,
        school=school,
        kind=kind,
        title=TITLES[kind],
        columns=COLUMNS[kind],
        required=REQUIRED[kind],
        column_hints=HINTS,
        column_label=lambda key: column_label(kind, key),
        **context,
    )


@router.get("/schools/{school_code}/uploads/{kind}", response_class=HTMLResponse)
async def upload_form(
    request: Request, school_code: str, kind: str, session: CurrentSession, runtime: Runtime
) -> HTMLResponse:
    """The upload form with the templates to download."""
    ensure_school(session, school_code)
    return _page(request, session, school_code, _kind(kind), day=runtime.clock.today())


async def on_roll(api: UserApi, school_code: str) -> set[str]:
    """The student ids on the school's roll now (read page by page)."""
    found: set[str] = set()
    offset = 0
    while True:
        page = await api.get(
            "attendance-ingest", f"/v1/schools/{school_code}/roster", {"limit": ROLL_PAGE, "offset": offset}
        )
        found.update(p["student_id"] for p in page["pupils"])
        offset += ROLL_PAGE
        if offset >= page["total"] or not page["pupils"]:
            return found


def _day(text: str, today: date, field: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise SheetError(f"{field}不是有效日期（应为 YYYY-MM-DD）") from None
    if day > today:
        raise SheetError(f"{field} {day} 还没有到，不能上传将来的日期")
    return day


@router.post("/schools/{school_code}/uploads/{kind}", response_class=HTMLResponse)
async def upload(
    request: Request, school_code: str, kind: str, session: ActingSession, api: Api, runtime: Runtime
) -> HTMLResponse:
    """Check every row; show the bad ones with their reasons (nothing stored), or store the clean file."""
    ensure_school(session, school_code)
    which = _kind(kind)
    form = await request.form()
    upload = form.get("file")
    day_text = str(form.get("date") or "")
    today = runtime.clock.today()
    shown_day: Any = day_text or today
    try:
        day = _day(day_text, today, "日期" if which == "attendance" else "名册日期")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise SheetError("请选择要上传的文件")
        rows = read_sheet(which, upload.filename, await upload.read())
    except SheetError as exc:
        return _page(request, session, school_code, which, 422, day=shown_day, failure=str(exc))
    checked = check_roll(rows) if which == "roll" else check_attendance(rows, await on_roll(api, school_code))
    context: dict[str, Any] = {"day": day, "filename": upload.filename, "rows": len(rows), "cells": dict(rows)}
    if checked.problems:
        return _page(request, session, school_code, which, 422, problems=checked.problems, **context)
    try:
        stored = await _store(api, school_code, which, day, checked)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        problems = service_problems(rows, exc.problems)
        return _page(request, session, school_code, which, 422, problems=problems, failure=exc.message, **context)
    return _page(request, session, school_code, which, stored=stored, **context)


async def _store(api: UserApi, school_code: str, kind: Literal["roll", "attendance"], day: date, c: Checked) -> Any:
    """PUT the whole roll or POST the day's attendance; the service's answer (what it stored)."""
    if kind == "roll":
        body = {"as_of": day.isoformat(), "students": c.items}
        return await api.put("attendance-ingest", f"/v1/schools/{school_code}/roster", body)
    body = {"date": day.isoformat(), "records": c.items}
    return await api.post("attendance-ingest", f"/v1/schools/{school_code}/attendance", body)


def service_problems(rows: list[Row], lines: list[str]) -> list[RowProblem]:
    """The service's 422 lines ("records.3.student_id: why") put back on the sheet's rows; others on row 0."""
    out = []
    for line in lines:
        found = _LINE.match(line)
        if found and int(found[1]) < len(rows):
            out.append(RowProblem(rows[int(found[1])][0], found[2] or "", found[3]))
        else:
            out.append(RowProblem(0, "", line))
    return out

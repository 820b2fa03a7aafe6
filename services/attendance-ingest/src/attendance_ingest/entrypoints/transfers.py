"""Routes of transfers between schools (转学): request one, list a school's transfers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from baoxue_common.paging import next_offset
from fastapi import APIRouter, Query, Response

from attendance_ingest.adapters.transfers import Direction, Status, Transfer
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.entrypoints.schemas import TransferIn, TransferOut, TransferPage
from attendance_ingest.handlers.transfers import list_transfers, request_transfer

router = APIRouter(prefix="/v1/schools", tags=["transfers"])


@router.post(
    "/{school_code}/transfers",
    response_model=TransferOut,
    status_code=201,
    summary="Transfer a pupil out to another school",
    responses={200: {"description": "The same transfer was already pending: returned unchanged"}},
)
async def post_transfer(
    school_code: SchoolCodePath, body: TransferIn, _: SchoolScoped, rt: Runtime, response: Response
) -> TransferOut:
    transfer, due, created = await request_transfer(
        rt.uow(),
        school_code=school_code,
        student_id=body.student_id,
        to_school_code=body.to_school_code,
        day=body.date,
        clock=rt.clock,
    )
    if not created:
        response.status_code = 200
    return _out(transfer, due)


@router.get("/{school_code}/transfers", response_model=TransferPage, summary="A page of the school's transfers")
async def get_transfers(
    school_code: SchoolCodePath,
    _: SchoolScoped,
    rt: Runtime,
    status: Status | None = None,
    direction: Direction | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TransferPage:
    total, rows = await list_transfers(
        rt.uow(), school_code=school_code, direction=direction, status=status, limit=limit, offset=offset
    )
    return TransferPage(
        school_code=school_code,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, len(rows), total),
        items=[_out(t, due) for t, due in rows],
    )


def _out(transfer: Transfer, due: date | None) -> TransferOut:
    return TransferOut(**transfer._asdict(), due_on=due)

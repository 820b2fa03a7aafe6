"""Transfers between schools (转学): a school asks to transfer a pupil out; the receiving roll completes it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from baoxue_common.calendar_store import school_days
from baoxue_common.clock import Clock
from baoxue_common.errors import Conflict, Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import TransferRequested

from attendance_ingest.adapters import repository as repo
from attendance_ingest.adapters import transfers as transfer_repo
from attendance_ingest.adapters.orm import calendars
from attendance_ingest.adapters.transfers import Direction, Status, Transfer
from attendance_ingest.handlers.common import county_of

COMPLETION_SCHOOL_DAYS = 20
"""The national default of `transfer_completion_school_days` (API.md)."""


async def request_transfer(
    uow: UnitOfWork, *, school_code: str, student_id: str, to_school_code: str, day: date, clock: Clock
) -> tuple[Transfer, date | None, bool]:
    """Store a pending transfer and emit TransferRequested; the same request again returns it unchanged.

    Returns (transfer, due date, whether it was created now).
    """
    async with uow:
        session = uow.session
        county = await county_of(uow, school_code)
        receiver = (await repo.schools_of(session, [to_school_code])).get(to_school_code)
        errors: list[dict[str, Any]] = []
        if day > clock.today():
            errors.append({"loc": ["body", "date"], "msg": f"{day} is in the future"})
        if to_school_code == school_code:
            errors.append({"loc": ["body", "to_school_code"], "msg": "a school cannot transfer a pupil to itself"})
        elif receiver is None:
            errors.append({"loc": ["body", "to_school_code"], "msg": f"unknown school {to_school_code}"})
        existing = await transfer_repo.pending_of(session, student_id)
        if _same(existing, school_code, to_school_code, day):
            assert existing is not None
            return existing, await _due(uow, receiver and receiver.county_code, day), False
        if not await repo.on_roll(session, school_code, student_id):
            errors.append({"loc": ["body", "student_id"], "msg": "not on this school's roll"})
        if errors:
            raise Unprocessable(f"{len(errors)} problem(s) in the transfer", errors=errors)
        assert receiver is not None
        transfer = Transfer(uuid.uuid4(), student_id, school_code, to_school_code, day, "pending", None)
        added = existing is None and await transfer_repo.add_pending(session, transfer)
        if not added:
            existing = existing or await transfer_repo.pending_of(session, student_id)  # a racing request won
            if _same(existing, school_code, to_school_code, day):
                assert existing is not None
                return existing, await _due(uow, receiver.county_code, day), False
            raise Conflict(
                "a transfer of this pupil is already pending",
                errors=[{"loc": ["body", "student_id"], "msg": "a transfer of this pupil is already pending"}],
            )
        due = await _due(uow, receiver.county_code, day)
        event = TransferRequested(
            transfer_id=transfer.transfer_id,
            student_id=student_id,
            school_code=school_code,
            to_school_code=to_school_code,
            requested_on=day,
            due_on=due,
        )
        uow.emit(event, region=county, occurred_at=clock.at(day), school_code=school_code, subject_id=student_id)
        await uow.commit()
        return transfer, due, True


async def list_transfers(
    uow: UnitOfWork,
    *,
    school_code: str,
    direction: Direction | None,
    status: Status | None,
    limit: int,
    offset: int,
) -> tuple[int, list[tuple[Transfer, date | None]]]:
    """(total, a page of a school's transfers with their due dates)."""
    async with uow:
        await county_of(uow, school_code)
        total, rows = await transfer_repo.page(
            uow.session, school_code, direction=direction, status=status, limit=limit, offset=offset
        )
        counties = await repo.schools_of(uow.session, sorted({t.to_school_code for t in rows}))
        return total, [(t, await _due(uow, _county(counties, t.to_school_code), t.requested_on)) for t in rows]


def _same(existing: Transfer | None, school_code: str, to_school_code: str, day: date) -> bool:
    return existing is not None and (existing.from_school_code, existing.to_school_code, existing.requested_on) == (
        school_code,
        to_school_code,
        day,
    )


def _county(schools: dict[str, repo.School], code: str) -> str | None:
    school = schools.get(code)
    return school.county_code if school else None


async def _due(uow: UnitOfWork, county: str | None, day: date) -> date | None:
    """The 20th school day after the request in the receiving school's calendar; None without a calendar."""
    if county is None:
        return None
    return (await school_days(uow.session, calendars, county)).after(day, COMPLETION_SCHOOL_DAYS)

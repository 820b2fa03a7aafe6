"""Verification (核实): each suspect is checked by its school (or county) before a deadline, then confirmed or cleared.

A suspect's verification is assigned in the transaction that opens the suspect (`assign`, called by
`suspects.flag`); a verifier records the outcome (`record_outcome`), the system clears it when the last source
lets go (`close_by_system`), and the daily sweep raises the overdue ones once (`raise_overdue`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from baoxue_common.clock import utc_now
from baoxue_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    SuspicionCleared,
    VerificationAssigned,
    VerificationOverdue,
)

from verification.adapters import repository as repo
from verification.adapters import verifications_repository as vrepo
from verification.adapters.rules_repository import rules_of
from verification.domain.standing import Standing
from verification.domain.verifications import SYSTEM, Verdict, assigned_to, due_on, same_verdict, verdict_problems

if TYPE_CHECKING:
    from baoxue_common.auth import Principal

    from verification.suspects import Flag


async def assign(uow: UnitOfWork, found: Flag, suspect_id: uuid.UUID, occurred_at: datetime) -> None:
    """Assign a new suspect's verification, due `verification_deadline_days` after the flag; emit it."""
    row = _verification_row(
        found, suspect_id, (await rules_of(uow.session, found.county_code)).verification_deadline_days
    )
    if await vrepo.add_verification(uow.session, row):
        _emit_assigned(uow, found, row, occurred_at)


async def assign_many(uow: UnitOfWork, new: list[tuple[Flag, uuid.UUID, datetime]]) -> None:
    """assign for many new suspects (flag, suspect id, when), in a few statements."""
    deadlines = {
        c: (await rules_of(uow.session, c)).verification_deadline_days for c in {f.county_code for f, *_ in new}
    }
    rows = [_verification_row(found, suspect_id, deadlines[found.county_code]) for found, suspect_id, _ in new]
    added = await vrepo.add_verifications(uow.session, rows)
    for (found, _, occurred_at), row in zip(new, rows, strict=True):
        if row["suspicion_id"] in added:
            _emit_assigned(uow, found, row, occurred_at)


def _verification_row(found: Flag, suspect_id: uuid.UUID, deadline_days: int) -> dict[str, Any]:
    return {
        "verification_id": uuid.uuid4(),
        "suspicion_id": suspect_id,
        "county_code": found.county_code,
        "school_code": found.school_code,
        "student_id": found.student_id,
        "national_id_hash": found.national_id_hash,
        "groups": list(found.groups),
        "assigned_to": assigned_to(found.school_code),
        "assigned_on": found.flagged_on,
        "due_on": due_on(found.flagged_on, deadline_days),
    }


def _emit_assigned(uow: UnitOfWork, found: Flag, row: dict[str, Any], occurred_at: datetime) -> None:
    event = VerificationAssigned(**{k: v for k, v in row.items() if k != "national_id_hash"} | {"groups": found.groups})
    where: dict[str, Any] = {
        "region": found.county_code,
        "school_code": found.school_code,
        "subject_id": found.student_id,
    }
    uow.emit(event, occurred_at=occurred_at, **where)


async def close_by_system(uow: UnitOfWork, verification: Any, reason: str, on: date, note: str) -> None:
    """The last source let go of the suspect: its verification is done, cleared by the system."""
    if verification.status == "done":
        return
    values = {"outcome": "cleared", "reason": reason, "note": note, "verified_by": SYSTEM, "verified_on": on}
    await vrepo.close(uow.session, verification.verification_id, values)


def _stored(row: Any) -> Verdict:
    return Verdict(row.outcome, row.verified_by, row.verified_on, row.reason, row.cause, row.note)


async def record_outcome(
    uow: UnitOfWork, verification_id: uuid.UUID, verdict: Verdict, principal: Principal, today: date
) -> tuple[dict[str, Any], bool]:
    """Record a verifier's outcome and emit DropoutConfirmed or SuspicionCleared; return the view and if it was new.

    404 unknown, 403 outside the caller's scope, 422 a wrong outcome, 409 another outcome already recorded;
    the same outcome again changes nothing.
    """
    async with uow:
        found = await vrepo.verification_for_update(uow.session, verification_id)
        if found is None:
            raise NotFound(f"no verification {verification_id}")
        if not (principal.covers_region(found.county_code) or _covers_school(principal, found)):
            raise Forbidden(f"scope {principal.scope} may not verify this child")
        if problems := verdict_problems(verdict, found.assigned_on, today):
            errors = [{"loc": ["body", name], "msg": msg} for name, msg in problems]
            raise Unprocessable("the outcome cannot be recorded", errors=errors)
        if found.status == "done":
            if found.verified_by != SYSTEM and same_verdict(_stored(found), verdict):
                return await view(uow, found), False
            raise Conflict(f"verification {verification_id} already has an outcome ({found.outcome})")
        rows = await repo.suspect_rows(uow.session, found.suspicion_id, open_only=False)
        held = [r for r in rows if r.status == "open"]
        status = "confirmed" if verdict.outcome == "confirmed_dropout" else "cleared"
        await repo.end_suspicions(uow.session, [r.suspicion_id for r in held], status, verdict.reason)
        values = {k: getattr(verdict, k) for k in ("outcome", "reason", "cause", "note", "verified_by", "verified_on")}
        await vrepo.close(uow.session, verification_id, values)
        _emit_outcome(uow, found, verdict, held or rows)
        done = await vrepo.verification_for_update(uow.session, verification_id)
        out = await view(uow, done)
        await uow.commit()
    return out, True


def _covers_school(principal: Principal, row: Any) -> bool:
    return principal.kind == "school" and row.school_code is not None and principal.value == row.school_code


def _emit_outcome(uow: UnitOfWork, found: Any, verdict: Verdict, rows: list[Any]) -> None:
    first = rows[0]
    standing = Standing.of([g for r in rows for g in r.groups], any(r.poverty_household for r in rows))
    sources = tuple(sorted({r.source for r in rows}))
    common: dict[str, Any] = {
        "verification_id": found.verification_id,
        "suspicion_id": found.suspicion_id,
        "source": first.source,
        "county_code": found.county_code,
        "school_code": found.school_code,
        "student_id": found.student_id,
        "verified_by": verdict.verified_by,
        "note": verdict.note,
        "groups": standing.groups,
        "sources": sources,
    }
    event: DropoutConfirmed | SuspicionCleared
    if verdict.outcome == "confirmed_dropout":
        hashed = found.national_id_hash or next((r.national_id_hash for r in rows if r.national_id_hash), None)
        event = DropoutConfirmed(
            **common,
            national_id_hash=hashed,
            confirmed_on=verdict.verified_on,
            flagged_on=found.assigned_on,
            poverty_household=standing.poverty_household,
            cause=verdict.cause,  # checked by verdict_problems
        )
    else:
        event = SuspicionCleared(**common, reason=verdict.reason, cleared_on=verdict.verified_on)
    where: dict[str, Any] = {
        "region": found.county_code,
        "school_code": found.school_code,
        "subject_id": found.student_id,
    }
    uow.emit(event, occurred_at=utc_now(), **where)


async def view(uow: UnitOfWork, row: Any) -> dict[str, Any]:
    """A verification as the API shows it: no ID number, the sources of its suspect."""
    shown = {k: v for k, v in row._mapping.items() if k != "national_id_hash"}
    sources = row.sources if "sources" in row._mapping else await vrepo.sources_of(uow.session, row.suspicion_id)
    return shown | {"sources": sorted(sources or ())}


async def list_verifications(
    uow: UnitOfWork,
    county: str,
    status: str | None,
    *,
    limit: int,
    offset: int,
    suspicion_id: uuid.UUID | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the county's verifications (of one suspect if asked), due first."""
    async with uow:
        total, rows = await vrepo.page(
            uow.session, county, status, limit=limit, offset=offset, suspicion_id=suspicion_id
        )
        return total, [await view(uow, r) for r in rows]


async def raise_overdue(uow: UnitOfWork, today: date, *, counties: Collection[str] | None = None) -> int:
    """Mark every open verification due before `today` overdue and emit VerificationOverdue once for each."""
    async with uow:
        rows = await vrepo.due_before(uow.session, today, counties)
        for row in rows:
            await vrepo.mark_overdue(uow.session, row.verification_id, today)
            event = VerificationOverdue(
                verification_id=row.verification_id,
                suspicion_id=row.suspicion_id,
                county_code=row.county_code,
                school_code=row.school_code,
                student_id=row.student_id,
                assigned_to=row.assigned_to,
                due_on=row.due_on,
                groups=tuple(row.groups),
            )
            where = {"region": row.county_code, "school_code": row.school_code, "subject_id": row.student_id}
            uow.emit(event, occurred_at=utc_now(), **where)
        await uow.commit()
    return len(rows)

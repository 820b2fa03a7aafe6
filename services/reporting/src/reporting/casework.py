"""Reporting's feeds of verification and case events: verification timeliness, orders to correct, caseload."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.ledger import CaseEscalated, LedgerEntryChanged
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    SuspicionCleared,
    VerificationAssigned,
    VerificationOverdue,
)
from sqlalchemy.dialects.postgresql import insert

from reporting.adapters.bulk import any_of, upsert
from reporting.adapters.orm import cases, orders, verifications
from reporting.domain.metrics import Delta, group_dims
from reporting.feeds import Today, apply, spread

ORDER = "order_to_correct"
BEYOND_ORDER = frozenset({"judicial_document", "legal_action"})
RESOLVED = frozenset({"returned", "closure_proposed", "closed"})
"""Case statuses that end an order to correct: the child is back, or the case is closed."""

Row = dict[str, Any]


def verification_counts(row: Row | None) -> Counter[Delta]:
    """What a verification in this state adds to the counters; a change moves the difference.

    Assigned (month assigned), on time or late (month done: done on or before `due_on` is on time),
    overdue (the day after `due_on`), and the open overdue stock: +1 when it fell overdue, -1 when done.
    """
    out: Counter[Delta] = Counter()
    if row is None:
        return out
    county, school, dims = row["county_code"], row["school_code"], group_dims(row["groups"])
    assigned, due, done, overdue = row["assigned_on"], row["due_on"], row["completed_on"], row["overdue_on"]
    for dim in dims:
        if assigned is not None:
            spread(out, county, school, assigned, ("verifications_assigned", dim))
        if due is not None and done is not None:
            spread(out, county, school, done, ("verified_on_time" if done <= due else "verified_late", dim))
        if overdue is not None:
            spread(out, county, school, overdue, ("verifications_overdue", dim))
            if done is None or done >= overdue:
                spread(out, county, school, overdue, ("verifications_overdue_open", dim))
                if done is not None:
                    spread(out, county, school, done, ("verifications_overdue_open", dim), -1)
    return out


Change = tuple[UUID, str, str | None, dict[str, Any]]
"""(verification id, county, school, the values an event sets)."""


def _blank(verification_id: UUID, county: str, school: str | None) -> Row:
    return dict.fromkeys(("assigned_on", "due_on", "completed_on", "overdue_on")) | {
        "verification_id": verification_id,
        "county_code": county,
        "school_code": school,
        "groups": [],
    }


async def _merge(uow: UnitOfWork, changes: Sequence[Change], today: Today) -> None:
    """Merge a poll's events into their verifications' rows (one read, one upsert) and move their counts."""
    if not changes:
        return
    c = verifications.c
    ids = sorted({vid for vid, *_ in changes})
    query = sa.select(verifications).where(any_of(c.verification_id, ids, sa.Uuid)).order_by(c.verification_id)
    query = query.with_for_update()
    old: dict[UUID, Row] = {r["verification_id"]: dict(r) for r in (await uow.session.execute(query)).mappings()}
    new = {vid: row.copy() for vid, row in old.items()}
    for vid, county, school, values in changes:
        row = new.setdefault(vid, _blank(vid, county, school))
        for name, value in values.items():
            if name in ("completed_on", "overdue_on") and row[name] is not None:
                continue  # the first outcome, the first overdue notice
            row[name] = value
    rows = [new[vid] for vid in ids]
    await upsert(uow.session, verifications, rows, ["verification_id"])
    moved: Counter[Delta] = Counter()
    for vid in ids:
        moved.update(verification_counts(new[vid]))
        moved.subtract(verification_counts(old.get(vid)))
    await apply(uow, moved, today)


async def verifications_assigned(
    items: Sequence[tuple[VerificationAssigned, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """A verification and its deadline."""
    await _merge(
        uow,
        [
            (
                e.verification_id,
                e.county_code,
                e.school_code,
                {
                    "county_code": e.county_code,
                    "school_code": e.school_code,
                    "groups": list(e.groups),
                    "assigned_on": e.assigned_on,
                    "due_on": e.due_on,
                },
            )
            for e, _ in items
        ],
        today,
    )


async def verifications_done(
    items: Sequence[tuple[DropoutConfirmed | SuspicionCleared, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """A verification's outcome (confirmed or cleared), on time or late against its deadline."""
    changes: list[Change] = []
    for e, _ in items:
        if e.verification_id is not None:  # a suspicion cleared without a check (a corrected attendance) has none
            day = e.confirmed_on if isinstance(e, DropoutConfirmed) else e.cleared_on
            changes.append((e.verification_id, e.county_code, e.school_code, {"completed_on": day}))
    await _merge(uow, changes, today)


async def verifications_overdue(
    items: Sequence[tuple[VerificationOverdue, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """A verification fell overdue the day after its deadline."""
    changes: list[Change] = []
    for e, _ in items:
        values = {"due_on": e.due_on, "overdue_on": e.due_on + timedelta(days=1)}
        changes.append((e.verification_id, e.county_code, e.school_code, values))
    await _merge(uow, changes, today)


async def cases_escalated(items: Sequence[tuple[CaseEscalated, Envelope]], uow: UnitOfWork) -> None:
    """An order to correct (with its deadline) starts an order; a higher level resolves it."""
    c = orders.c
    for e, _ in items:
        if e.level == ORDER and e.deadline is not None:
            case = (await uow.session.execute(sa.select(cases).where(cases.c.case_id == e.case_id))).mappings().first()
            resolved_on = None
            if case is not None and resolution(case["status"], case["escalation_level"], False):
                resolved_on = case["changed_on"] if case["changed_on"] >= e.escalated_on else None
            row = {
                "case_id": e.case_id,
                "county_code": e.county_code,
                "school_code": e.school_code,
                "level": e.level,
                "issued_on": e.escalated_on,
                "deadline": e.deadline,
                "resolved_on": resolved_on,
            }
            stmt = insert(orders).values(**row)
            await uow.session.execute(
                stmt.on_conflict_do_update(index_elements=[c.case_id], set_={k: stmt.excluded[k] for k in row})
            )
        elif e.level in BEYOND_ORDER:
            await _resolve(uow, e.case_id, e.escalated_on)


def resolution(status: str, level: str | None, removed: bool) -> bool:
    """Whether a case in this state has answered its order: back, closed, removed or taken further."""
    return removed or status in RESOLVED or level in BEYOND_ORDER


async def _resolve(uow: UnitOfWork, case_id: UUID, day: date) -> None:
    c = orders.c
    await uow.session.execute(
        sa.update(orders)
        .where(c.case_id == case_id, c.resolved_on.is_(None), c.issued_on <= day)
        .values(resolved_on=day)
    )


async def cases_followed(
    items: Sequence[tuple[LedgerEntryChanged, Envelope]], uow: UnitOfWork, *, today: Today = date.today
) -> None:
    """Keep the dropouts ledger's cases (status, assignees) and resolve their orders; mark their figures."""
    from reporting.adapters import counters
    from reporting.handlers import dirty_keys

    latest: dict[UUID, LedgerEntryChanged] = {}
    for e, _ in items:
        if e.ledger == "dropouts":
            latest[e.case_id or e.entry_id] = e
            if resolution(e.status, e.escalation_level, e.change == "removed"):
                await _resolve(uow, e.case_id or e.entry_id, e.changed_on)
    if not latest:
        return
    gone = sorted(k for k, e in latest.items() if e.change == "removed")
    if gone:
        await uow.session.execute(sa.delete(cases).where(any_of(cases.c.case_id, gone, sa.Uuid)))
    rows = [
        {
            "case_id": k,
            "county_code": e.county_code,
            "school_code": e.school_code,
            "status": e.status,
            "escalation_level": e.escalation_level,
            "changed_on": e.changed_on,
            "assignees": list(e.assignees),
        }
        for k, e in sorted(latest.items())
        if e.change != "removed"
    ]
    await upsert(uow.session, cases, rows, ["case_id"])
    touched: Counter[Delta] = Counter()
    for e in latest.values():
        spread(touched, e.county_code, e.school_code, e.changed_on, ("", ""))
    await counters.mark_dirty(uow.session, dirty_keys(touched, today()))

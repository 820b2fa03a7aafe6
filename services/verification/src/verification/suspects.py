"""One way in for every source: a suspect (疑似辍学) is opened through `flag`, whatever found the child.

Attendance, the national platform's lists, cross-checks, field findings and roster gaps all call `flag`, so the
rules about one suspect per child (sources merging, one verification) live in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.verification import SuspectedDropoutFlagged, SuspicionSource

from verification.adapters import repository as repo
from verification.adapters.orm import suspicions


@dataclass(frozen=True, slots=True)
class Flag:
    """What a source found about one child: a pupil (student_id) or a child known by ID hash or name."""

    source: SuspicionSource
    county_code: str
    flagged_on: date
    reason: str
    school_code: str | None = None
    student_id: str | None = None
    groups: tuple[str, ...] = ()
    poverty_household: bool = False
    national_id_hash: str | None = None
    name: str | None = None
    birth_date: date | None = None
    source_ref: str | None = None
    consecutive_unexcused_days: int | None = None
    cumulative_unexcused_days: int | None = None
    grounds: tuple[date, date] | None = None
    suspicion_id: uuid.UUID | None = None  # a source with its own stable id (a leave, a finding) passes it


@dataclass(frozen=True, slots=True)
class Flagged:
    """The suspicion the child now has, and whether this call opened it."""

    suspicion_id: uuid.UUID
    created: bool


async def flag(uow: UnitOfWork, found: Flag, occurred_at: datetime) -> Flagged:
    """Open the source's suspicion of the child and emit SuspectedDropoutFlagged; if one is open already, return it."""
    suspicion_id = found.suspicion_id or uuid.uuid4()
    event_fields: dict[str, Any] = {
        "suspicion_id": suspicion_id,
        "source": found.source,
        "county_code": found.county_code,
        "school_code": found.school_code,
        "student_id": found.student_id,
        "flagged_on": found.flagged_on,
        "reason": found.reason,
        "consecutive_unexcused_days": found.consecutive_unexcused_days,
        "cumulative_unexcused_days": found.cumulative_unexcused_days,
        "groups": found.groups,
        "poverty_household": found.poverty_household,
    }
    start, end = found.grounds or (None, None)
    row = {**event_fields, "groups": list(found.groups), "grounds_start": start, "grounds_end": end}
    if await repo.open_suspicion(uow.session, row):
        event = SuspectedDropoutFlagged(
            **event_fields,
            national_id_hash=found.national_id_hash,
            name=found.name,
            birth_date=found.birth_date,
            source_ref=found.source_ref,
        )
        uow.emit(
            event,
            region=found.county_code,
            occurred_at=occurred_at,
            school_code=found.school_code,
            subject_id=found.student_id,
        )
        return Flagged(suspicion_id, created=True)
    held = await uow.session.scalar(
        sa.select(suspicions.c.suspicion_id).where(
            suspicions.c.student_id == found.student_id,
            suspicions.c.source == found.source,
            suspicions.c.status == "open",
        )
    )
    assert held is not None, "open_suspicion refuses only when the pupil has one open from the source"
    return Flagged(held, created=False)

"""The kept states of ledger entries, the timeline of each child, and the read-access log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import access_log, ledger_history, timeline


async def keep(
    session: AsyncSession, ledger: str, county_code: str, entry_id: UUID, day: date, row: dict[str, Any]
) -> None:
    """Keep one state of an entry, as it stood from `day` on."""
    values = {"ledger": ledger, "county_code": county_code, "entry_id": entry_id, "changed_on": day, "row": row}
    await session.execute(insert(ledger_history).values(**values))


async def note(
    session: AsyncSession,
    *,
    child_key: str,
    event_type: str,
    producer: str,
    occurred_at: datetime,
    actor: str | None,
    summary: dict[str, Any],
    student_id: str | None = None,
    national_id_hash: str | None = None,
    county_code: str | None = None,
    case_id: UUID | None = None,
    event_id: UUID | None = None,
) -> None:
    """Add a line to a child's timeline (once per event id when there is one)."""
    values = {
        "child_key": child_key,
        "event_type": event_type,
        "producer": producer,
        "occurred_at": occurred_at,
        "actor": actor,
        "summary": summary,
        "student_id": student_id,
        "national_id_hash": national_id_hash,
        "county_code": county_code,
        "case_id": case_id,
        "event_id": event_id,
    }
    await session.execute(insert(timeline).values(**values).on_conflict_do_nothing(index_elements=["event_id"]))


async def log_read(
    session: AsyncSession,
    *,
    actor: str,
    scope: str,
    action: str,
    county_code: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that someone read a child's records: a timeline, a case, or a ledger export (PIPL art. 28/31)."""
    values = {
        "actor": actor,
        "scope": scope,
        "action": action,
        "county_code": county_code,
        "subject": subject,
        "detail": detail or {},
    }
    await session.execute(insert(access_log).values(**values))

"""Every change of a ledger entry is kept in the history (for as-of ledgers) and told to reporting.

A removal keeps the entry's last state with `"removed": true`: an as-of ledger leaves such entries out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.ledger import LedgerChange, LedgerEntryChanged, LedgerName

from ledger.adapters import history
from ledger.domain.ledgers import noon

ENTRY_ID: dict[str, str] = {"school_age": "entry_id", "suspected": "entry_id", "dropouts": "case_id"}
# The event's fields read from an entry under another name.
RENAMED: dict[str, str] = {"cause": "cause_main", "reason": "clear_reason"}
# A case's reason is why it was closed.
CASE_RENAMED: dict[str, str] = {"cause": "cause_main", "reason": "close_reason"}
CARRIED = (
    "county_code",
    "school_code",
    "student_id",
    "national_id_hash",
    "status",
    "source",
    "groups",
    "poverty_household",
    "grade",
    "case_id",
    "flagged_on",
    "returned_on",
    "birth_date",
    "cause",
    "reason",
    "confirmed_on",
    "closed_on",
    "escalation_level",
    "relapses",
    "sources",
)


def jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as JSON values (dates ISO, ids as strings, arrays as lists)."""

    def value(v: Any) -> Any:
        if isinstance(v, date | datetime):
            return v.isoformat()
        if isinstance(v, UUID):
            return str(v)
        if isinstance(v, list | tuple):
            return [value(x) for x in v]
        return v

    return {k: value(v) for k, v in row.items()}


def entry_event(
    ledger: LedgerName, row: Mapping[str, Any], change: LedgerChange, day: date, previous: str | None
) -> LedgerEntryChanged:
    """The LedgerEntryChanged for an entry's new state."""
    renamed = CASE_RENAMED if ledger == "dropouts" else RENAMED
    fields = {name: row.get(renamed.get(name, name)) for name in CARRIED}
    values = {k: v for k, v in fields.items() if v is not None}
    values["groups"] = tuple(values.get("groups", ()))
    values["sources"] = tuple(values.get("sources", ()))
    return LedgerEntryChanged(
        ledger=ledger,
        entry_id=row[ENTRY_ID[ledger]],
        change=change,
        changed_on=day,
        previous_status=previous,
        **values,
    )


async def record_change(
    uow: UnitOfWork,
    ledger: LedgerName,
    row: Mapping[str, Any],
    change: LedgerChange,
    day: date,
    previous: str | None,
) -> None:
    """Keep the entry's new state as of `day` and emit LedgerEntryChanged, in the unit of work's transaction."""
    event = entry_event(ledger, row, change, day, previous)
    kept = jsonable(row) | ({"removed": True} if change == "removed" else {})
    await history.keep(uow.session, ledger, row["county_code"], event.entry_id, day, kept)
    uow.emit(
        event,
        region=row["county_code"],
        occurred_at=noon(day),
        school_code=row.get("school_code"),
        subject_id=row.get("student_id"),
    )

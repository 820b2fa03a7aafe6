"""Every change of a ledger entry is kept in the history (for as-of ledgers) and told to reporting.

A removal keeps the entry's last state with `"removed": true`: an as-of ledger leaves such entries out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.ledger import EntrySnapshot, LedgerChange, LedgerEntryChanged, LedgerName

from ledger.adapters import history
from ledger.adapters.cases_repository import assignee_names
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
    "relations",
)
SNAPSHOT = tuple(name for name in EntrySnapshot.model_fields)


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


def _fields(ledger: LedgerName, row: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The event's fields of an entry row, unset ones left out, arrays as tuples."""
    renamed = CASE_RENAMED if ledger == "dropouts" else RENAMED
    values = {name: row.get(renamed.get(name, name)) for name in names}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if v is not None}


def entry_event(
    ledger: LedgerName,
    row: Mapping[str, Any],
    change: LedgerChange,
    day: date,
    previous: Mapping[str, Any] | None,
    assignees: tuple[str, ...] = (),
) -> LedgerEntryChanged:
    """The LedgerEntryChanged for an entry's new state, with the state before it (`previous`) as `before`."""
    before = EntrySnapshot(**_fields(ledger, previous, SNAPSHOT)) if previous is not None else None
    return LedgerEntryChanged(
        ledger=ledger,
        entry_id=row[ENTRY_ID[ledger]],
        change=change,
        changed_on=day,
        previous_status=previous["status"] if previous is not None else None,
        before=before,
        assignees=assignees,
        **_fields(ledger, row, CARRIED),
    )


async def record_change(
    uow: UnitOfWork,
    ledger: LedgerName,
    row: Mapping[str, Any],
    change: LedgerChange,
    day: date,
    previous: Mapping[str, Any] | None,
) -> None:
    """Keep the entry's new state as of `day` and emit LedgerEntryChanged, in the unit of work's transaction.

    `previous` is the entry as it was before (None when added): reporting subtracts it.
    """
    names = await assignee_names(uow.session, row["case_id"]) if ledger == "dropouts" else ()
    event = entry_event(ledger, row, change, day, previous, names)
    kept = jsonable(row) | ({"removed": True} if change == "removed" else {})
    await history.keep(uow.session, ledger, row["county_code"], event.entry_id, day, kept)
    uow.emit(
        event,
        region=row["county_code"],
        occurred_at=noon(day),
        school_code=row.get("school_code"),
        subject_id=row.get("student_id"),
    )

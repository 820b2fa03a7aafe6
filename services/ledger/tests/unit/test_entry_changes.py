"""LedgerEntryChanged carries the entry's state before the change, under the event's names."""

from __future__ import annotations

import uuid
from datetime import date

from ledger.changes import entry_event

CASE = uuid.uuid4()


def case_row(**changes: object) -> dict[str, object]:
    return {
        "case_id": CASE,
        "county_code": "330106",
        "school_code": "3301060001",
        "status": "open",
        "groups": ["left_behind"],
        "poverty_household": True,
        "cause_main": "learning_difficulty",
        "close_reason": None,
        "flagged_on": date(2026, 10, 2),
        "relapses": 0,
    } | changes


def test_an_update_carries_what_the_entry_was() -> None:
    before = case_row()
    after = case_row(status="returned", returned_on=date(2026, 10, 12))
    event = entry_event("dropouts", after, "updated", date(2026, 10, 12), before, ("张敏",))
    assert event.previous_status == "open"
    assert event.before is not None
    assert (event.before.status, event.before.groups, event.before.cause) == (
        "open",
        ("left_behind",),
        "learning_difficulty",
    )
    assert event.before.returned_on is None
    assert (event.status, event.returned_on, event.assignees) == ("returned", date(2026, 10, 12), ("张敏",))


def test_an_added_entry_has_nothing_before() -> None:
    event = entry_event("dropouts", case_row(), "added", date(2026, 10, 2), None)
    assert event.before is None and event.previous_status is None


def test_a_school_age_entry_tells_why_the_county_lists_it() -> None:
    row = {"entry_id": uuid.uuid4(), "county_code": "330106", "status": "enrolled", "relations": ["hukou", "school"]}
    event = entry_event("school_age", row, "updated", date(2026, 9, 1), row | {"status": "out_of_school"})
    assert event.relations == ("hukou", "school")
    assert event.before is not None and event.before.status == "out_of_school"

"""The three ledgers a county keeps (三本台账) and the states of their entries.

Glossary: 待核实 pending, 核实中 verifying, 确认辍学 confirmed_dropout, 已排除 cleared; 在读 enrolled,
异地就读 studying_elsewhere, 送教上门 home_education, 休学 suspended, 失学 out_of_school, 辍学 dropout,
复学 returned, 死亡 deceased, 出国(境) emigrated; 劝返中 open, 待巩固 returned, 待销号 closure_proposed, 已销号 closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from baoxue_common.labels import CASE_STATUS_LABELS, SCHOOL_AGE_STATUS_LABELS, SUSPECT_STATUS_LABELS

LedgerName = Literal["school-age", "suspected", "dropouts"]
LEDGER_KEYS: dict[str, str] = {"school-age": "school_age", "suspected": "suspected", "dropouts": "dropouts"}
"""The ledger's name in paths → its name in events and tables."""
LEDGER_LABELS: dict[str, str] = {
    "school-age": "适龄儿童台账",
    "suspected": "疑似辍学学生台账",
    "dropouts": "辍学学生台账",
}
SuspectStatus = Literal["pending", "verifying", "confirmed_dropout", "cleared"]
PENDING: SuspectStatus = "pending"
VERIFYING: SuspectStatus = "verifying"
STAND_IN_REASON = "confirmed before its flag reached the ledger"
"""The reason of a suspect entered by its confirmation; its flag, arriving later, gives the real one."""
CLEARED: SuspectStatus = "cleared"
STATUS_LABELS = SUSPECT_STATUS_LABELS
SchoolAgeStatus = Literal[
    "enrolled",
    "studying_elsewhere",
    "home_education",
    "medical_leave",
    "suspended",
    "out_of_school",
    "dropout",
    "returned",
    "deceased",
    "emigrated",
]
SCHOOL_AGE_LABELS = SCHOOL_AGE_STATUS_LABELS
CaseStatus = Literal["open", "returned", "closure_proposed", "closed"]
CASE_LABELS = CASE_STATUS_LABELS
OPEN_STATUSES: frozenset[str] = frozenset({"pending", "verifying"})
"""The statuses of a suspect still open; only these can be cleared."""


def group_list(groups: Iterable[str]) -> list[str]:
    """Priority groups as stored: each once, sorted, so the same groups in another order are no change."""
    return sorted(set(groups))


def profile_changes(
    stored: Mapping[str, Any], groups: Iterable[str], poverty_household: bool, sources: Iterable[str] = ()
) -> dict[str, Any]:
    """The columns a repeated flag changes on a stored entry (groups, poverty, sources); empty when nothing new."""
    changes: dict[str, Any] = {}
    if sources and sorted(stored.get("sources") or ()) != sorted(sources):
        changes["sources"] = list(sources)
    if group_list(stored["groups"]) != group_list(groups):
        changes["groups"] = group_list(groups)
    if bool(stored["poverty_household"]) != poverty_household:
        changes["poverty_household"] = poverty_household
    return changes


def can_clear(status: str) -> bool:
    """Whether a suspect in this status leaves the open suspects when its suspicion is cleared."""
    return status in OPEN_STATUSES


def noon(day: date) -> datetime:
    """The instant a day's changes are stamped with: the timeline orders a day's lines by when they were recorded."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def child_key(student_id: str | None, national_id_hash: str | None) -> str:
    """How the ledgers name a child: the student number, else the ID number's blind index."""
    if student_id:
        return student_id
    if national_id_hash:
        return f"h:{national_id_hash}"
    raise ValueError("a child needs a student number or an ID number's blind index")

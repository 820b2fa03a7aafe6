"""The three ledgers a county keeps (三本台账) and the states of a suspected-ledger entry.

Glossary: 待核实 pending, 核实中 verifying, 确认辍学 confirmed_dropout, 已排除 cleared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

LedgerName = Literal["school-age", "suspected", "dropouts"]
LEDGER_KEYS: dict[str, str] = {"school-age": "school_age", "suspected": "suspected", "dropouts": "dropouts"}
LEDGER_LABELS: dict[str, str] = {
    "school-age": "适龄儿童台账",
    "suspected": "疑似辍学学生台账",
    "dropouts": "辍学学生台账",
}
SuspectStatus = Literal["pending", "verifying", "confirmed_dropout", "cleared"]
PENDING: SuspectStatus = "pending"
CLEARED: SuspectStatus = "cleared"
STATUS_LABELS: dict[str, str] = {
    "pending": "待核实",
    "verifying": "核实中",
    "confirmed_dropout": "确认辍学",
    "cleared": "已排除",
}
OPEN_STATUSES: frozenset[str] = frozenset({"pending", "verifying"})
"""The statuses of a suspect still open; only these can be cleared."""


def group_list(groups: Iterable[str]) -> list[str]:
    """Priority groups as stored: each once, sorted, so the same groups in another order are no change."""
    return sorted(set(groups))


def profile_changes(stored: Mapping[str, Any], groups: Iterable[str], poverty_household: bool) -> dict[str, Any]:
    """The columns a repeated flag changes on a stored entry (groups, poverty); empty when it brings nothing new."""
    changes: dict[str, Any] = {}
    if group_list(stored["groups"]) != group_list(groups):
        changes["groups"] = group_list(groups)
    if bool(stored["poverty_household"]) != poverty_household:
        changes["poverty_household"] = poverty_household
    return changes


def can_clear(status: str) -> bool:
    """Whether a suspect in this status leaves the open suspects when its suspicion is cleared."""
    return status in OPEN_STATUSES

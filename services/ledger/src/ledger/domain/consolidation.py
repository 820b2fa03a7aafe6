"""Consolidation after a return (巩固) and the moves of a case that follow events; pure rules, no I/O.

Glossary: 巩固 consolidation (the school days a returned child must stay), 销号 close-out, 复辍 leaving again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Protocol

from baoxue_common.rules import effective_rules

REOPENABLE: frozenset[str] = frozenset({"returned", "closure_proposed", "closed"})
"""The statuses of a case a child's leaving again reopens."""
CONSOLIDATING: frozenset[str] = frozenset({"returned", "closure_proposed"})
"""The statuses of a case in (or just after) consolidation, which a new unexcused streak restarts."""
# The columns of a return, a proposal and a close-out: kept in the history, cleared when the case reopens.
CLEARED_ON_REOPEN: tuple[str, ...] = (
    "seen_at_school_on",
    "returned_on",
    "return_school_code",
    "placement",
    "return_recorded_by",
    "consolidation_from",
    "proposed_on",
    "closed_on",
    "closed_by",
)


class CountsSchoolDays(Protocol):
    """What consolidation needs of a county's school days."""

    def count(self, start: date, end: date) -> int: ...


def consolidation_days(county_code: str, overrides: Mapping[str, Mapping[str, int]]) -> int:
    """The consolidation period of a county: the nearest region's value, else the national default."""
    rules, _ = effective_rules(county_code, overrides)
    return rules.return_consolidation_school_days


def school_days_back(days: CountsSchoolDays, consolidation_from: date, today: date) -> int:
    """School days a child has been back: after `consolidation_from` (excluded) up to `today` (included)."""
    return days.count(consolidation_from + timedelta(days=1), today)


def is_due(back: int, needed: int) -> bool:
    """Whether a returned child has stayed the consolidation period."""
    return back >= needed


def restarted_from(case: Mapping[str, Any], raised_on: date) -> date | None:
    """Where consolidation starts again after a new unexcused streak raised on `raised_on`; None: no restart.

    Only a case in consolidation restarts, and only from a streak after its current start (an old warning
    delivered late does not move it back).
    """
    if case["status"] not in CONSOLIDATING:
        return None
    start = raised_on + timedelta(days=1)
    current = case.get("consolidation_from") or case.get("returned_on")
    if current is not None and start <= current:
        return None
    return start


def reopened(case: Mapping[str, Any]) -> dict[str, Any]:
    """The columns that change when a child leaves again: open, one more relapse, the return's fields cleared."""
    return {"status": "open", "relapses": int(case.get("relapses") or 0) + 1} | dict.fromkeys(CLEARED_ON_REOPEN)


def seen_later(case: Mapping[str, Any], day: date) -> bool:
    """Whether a presence on `day` moves an open case's "seen at school" date forward."""
    seen = case.get("seen_at_school_on")
    return case["status"] == "open" and (seen is None or day > seen)


def can_assign(suspect_status: str) -> bool:
    """Whether an assignment moves a suspect to verifying: only from pending (never backwards)."""
    return suspect_status == "pending"


def can_confirm(suspect_status: str) -> bool:
    """Whether a confirmation moves a suspect to confirmed_dropout: only an open suspect."""
    return suspect_status in {"pending", "verifying"}

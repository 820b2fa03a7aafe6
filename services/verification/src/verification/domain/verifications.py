"""Verification (核实) rules: who verifies, by when, and which outcomes a caller may record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

from baoxue_contracts.events.verification import Cause, VerifierReason

Outcome = Literal["confirmed_dropout", "cleared"]
CAUSES = frozenset(get_args(Cause))
# What a verifier may clear a suspect with; attendance_corrected is the system's alone.
CALLER_REASONS = frozenset(get_args(VerifierReason))
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Verdict:
    """An outcome a verifier records: what, why (cleared) or the cause (confirmed), by whom and when."""

    outcome: Outcome
    verified_by: str
    verified_on: date
    reason: str | None = None
    cause: str | None = None
    note: str | None = None


def assigned_to(school_code: str | None) -> Literal["school", "county"]:
    """The school verifies its pupil; a child with no school is the county's to verify."""
    return "school" if school_code else "county"


def due_on(assigned_on: date, deadline_days: int) -> date:
    """The last day of the verification: `deadline_days` calendar days after it was assigned."""
    return assigned_on + timedelta(days=deadline_days)


def verdict_problems(verdict: Verdict, flagged_on: date, today: date) -> list[tuple[str, str]]:
    """(field, why) for each thing wrong with an outcome; empty when it may be recorded."""
    problems: list[tuple[str, str]] = []
    if verdict.outcome == "cleared":
        if verdict.reason is None:
            problems.append(("reason", "a cleared suspect needs a reason"))
        elif verdict.reason not in CALLER_REASONS:
            problems.append(("reason", f"{verdict.reason!r} is not a reason a verifier may give"))
        if verdict.cause is not None:
            problems.append(("cause", "a cause is given only with confirmed_dropout"))
    else:
        if verdict.reason is not None:
            problems.append(("reason", "a reason is given only with cleared"))
        if verdict.cause is not None and verdict.cause not in CAUSES:
            problems.append(("cause", f"{verdict.cause!r} is not a known cause"))
    if verdict.verified_on > today:
        problems.append(("verified_on", f"{verdict.verified_on} is in the future (today is {today})"))
    elif verdict.verified_on < flagged_on:
        problems.append(("verified_on", f"{verdict.verified_on} is before the child was flagged ({flagged_on})"))
    return problems


def same_verdict(stored: Verdict, again: Verdict) -> bool:
    """Whether a second outcome repeats the recorded one (a retry), so it may answer 200 and change nothing."""
    return stored == again

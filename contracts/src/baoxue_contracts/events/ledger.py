"""Events produced by ledger: work on dropout cases and changes to the three ledgers (三本台账)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from baoxue_contracts import topics
from baoxue_contracts.base import (
    Event,
    Grade,
    NationalIdHash,
    PriorityGroup,
    RegionCode,
    SchoolCode,
    StudentId,
)

PRODUCER = "ledger"

AttemptMethod = Literal["home_visit", "phone", "meeting", "legal_notice"]
AttemptOutcome = Literal["refused", "agreed", "unreachable", "other"]
EscalationLevel = Literal["criticism_education", "order_to_correct", "judicial_document", "legal_action"]
ESCALATION_ORDER: tuple[EscalationLevel, ...] = (
    "criticism_education",
    "order_to_correct",
    "judicial_document",
    "legal_action",
)
Placement = Literal["regular", "special_school", "vocational", "home_education"]
LedgerName = Literal["school_age", "suspected", "dropouts"]
LedgerChange = Literal["added", "updated", "removed"]
NonEmpty = Annotated[str, Field(min_length=1)]


class PersuasionAttemptRecorded(Event):
    """An attempt to persuade a dropout to return was recorded (劝返)."""

    event_type = "PersuasionAttemptRecorded"
    schema_version = 1
    topic = topics.CASES

    case_id: UUID
    attempt_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    attempted_on: date
    method: AttemptMethod
    by: NonEmpty
    outcome: AttemptOutcome
    note: str | None = None


class CaseEscalated(Event):
    """A case moved up the legal escalation ladder (批评教育 → 责令限期改正 → 司法文书 → 法律责任)."""

    event_type = "CaseEscalated"
    schema_version = 1
    topic = topics.CASES

    case_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    level: EscalationLevel
    previous_level: EscalationLevel | None = None
    escalated_on: date
    deadline: date | None = None
    issued_by: NonEmpty

    @model_validator(mode="after")
    def _deadline_for_order(self) -> CaseEscalated:
        if self.level == "order_to_correct" and self.deadline is None:
            raise ValueError("an order_to_correct needs a deadline")
        return self


class ReturnConfirmed(Event):
    """The child is back in school (复学)."""

    event_type = "ReturnConfirmed"
    schema_version = 1
    topic = topics.CASES

    case_id: UUID
    county_code: RegionCode
    school_code: SchoolCode = Field(description="The school the child returned to.")
    student_id: StudentId | None = None
    returned_on: date
    placement: Placement
    consolidation_due_on: date | None = Field(
        default=None, description="The school day after which the case may be closed if the child stayed."
    )
    suspicion_id: UUID | None = Field(
        default=None, description="The suspicion the case grew from, when known (the national feedback follows it)."
    )


class CaseClosed(Event):
    """A returned child stayed in school and the case was closed out of the ledger (销号)."""

    event_type = "CaseClosed"
    schema_version = 1
    topic = topics.CASES

    case_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    closed_on: date
    returned_on: date | None = None
    suspicion_id: UUID | None = Field(
        default=None, description="The suspicion the case grew from, when known (the national feedback follows it)."
    )


class CaseReopened(Event):
    """A child who had returned left school again and the case was reopened (复辍)."""

    event_type = "CaseReopened"
    schema_version = 1
    topic = topics.CASES

    case_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    reopened_on: date
    reason: str
    suspicion_id: UUID | None = Field(
        default=None, description="The suspicion the case grew from, when known (the national feedback follows it)."
    )


class LedgerEntryChanged(Event):
    """An entry of one of the three ledgers changed (台账变更)."""

    event_type = "LedgerEntryChanged"
    schema_version = 1
    topic = topics.LEDGER

    ledger: LedgerName
    entry_id: UUID
    change: LedgerChange
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    national_id_hash: NationalIdHash | None = None
    status: str
    previous_status: str | None = None
    source: str | None = None
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False
    changed_on: date
    grade: Grade | None = None
    case_id: UUID | None = None
    flagged_on: date | None = None
    returned_on: date | None = None


EVENTS: tuple[type[Event], ...] = (
    PersuasionAttemptRecorded,
    CaseEscalated,
    ReturnConfirmed,
    CaseClosed,
    CaseReopened,
    LedgerEntryChanged,
)
"""The events this service produces, in catalog order."""

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
    Part,
    PriorityGroup,
    RegionCode,
    SchoolCode,
    StudentId,
)
from baoxue_contracts.events.verification import Cause

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
CaseStatus = Literal["open", "returned", "closure_proposed", "closed"]
CancelReason = Literal["confirmed_in_error", "deceased", "emigrated", "studying_elsewhere", "aged_out"]
"""Why a case is closed without a consolidated return (撤销): not a dropout after all, or no longer the county's."""
CloseReason = Literal["consolidated", CancelReason]
"""Why a case was closed (销号原因): `consolidated` is the approved close-out after the child stayed back."""
NonEmpty = Annotated[str, Field(min_length=1)]
Actor = Annotated[str, Field(min_length=1, max_length=100, description="Who did it: the token's `sub`, or its scope.")]


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
    recorded_by: Actor | None = None


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
    recorded_by: Actor | None = None

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
    recorded_by: Actor | None = None
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
    approved_by: Actor | None = None
    note: str | None = None
    reason: CloseReason = "consolidated"
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
    relapses: int = Field(default=1, ge=1, description="How many times the child has left again after returning.")
    suspicion_id: UUID | None = Field(
        default=None, description="The suspicion the case grew from, when known (the national feedback follows it)."
    )


Relation = Literal["school", "residence", "hukou"]
"""Why a child is in a county's school-age ledger: its school, its residence or its hukou is there."""


class EntrySnapshot(Part):
    """An entry's state just before a change: reporting subtracts it and adds the new one (变更前状态)."""

    school_code: SchoolCode | None = None
    status: str
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False
    grade: Grade | None = None
    relations: tuple[Relation, ...] = ()
    source: str | None = None
    sources: tuple[str, ...] = ()
    cause: Cause | None = None
    reason: str | None = None
    escalation_level: EscalationLevel | None = None
    relapses: int = 0
    flagged_on: date | None = None
    confirmed_on: date | None = None
    returned_on: date | None = None
    closed_on: date | None = None


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
    birth_date: date | None = None
    cause: Cause | None = Field(default=None, description="The main cause of a dropout (辍学原因).")
    reason: str | None = Field(default=None, description="Why the entry changed: a clearing or close reason.")
    confirmed_on: date | None = None
    closed_on: date | None = None
    escalation_level: EscalationLevel | None = None
    relapses: int = 0
    sources: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = Field(
        default=(), description="School-age ledger: why the county lists the child."
    )
    assignees: tuple[str, ...] = Field(default=(), description="Dropouts ledger: who works on the case.")
    before: EntrySnapshot | None = Field(
        default=None, description="The entry's state before this change (None when added): what reporting subtracts."
    )


class _CaseEvent(Event):
    """The fields every case event carries."""

    topic = topics.CASES

    case_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None


class CaseCauseRecorded(_CaseEvent):
    """The causes of a dropout were recorded on its case (辍学原因), one of them the main cause."""

    event_type = "CaseCauseRecorded"
    schema_version = 1

    main: Cause
    others: tuple[Cause, ...] = ()
    recorded_on: date
    recorded_by: Actor | None = None


class CaseClosureProposed(_CaseEvent):
    """A returned child stayed the consolidation period: the case is ready for close-out approval."""

    event_type = "CaseClosureProposed"
    schema_version = 1

    proposed_on: date
    returned_on: date
    school_days_back: int = Field(ge=0)


class CaseClosureRejected(_CaseEvent):
    """A second person refused the close-out; the case stays open for more consolidation."""

    event_type = "CaseClosureRejected"
    schema_version = 1

    rejected_on: date
    rejected_by: Actor | None = None
    reason: NonEmpty


class CaseTransferRequested(_CaseEvent):
    """The child was found living in another county: the case is offered to it (跨县转移)."""

    event_type = "CaseTransferRequested"
    schema_version = 1

    to_county_code: RegionCode
    requested_on: date
    requested_by: Actor | None = None
    reason: NonEmpty


class CaseTransferAccepted(_CaseEvent):
    """The receiving county took the case; `county_code` is the sending county, the case now lives in `to`."""

    event_type = "CaseTransferAccepted"
    schema_version = 1

    to_county_code: RegionCode
    accepted_on: date
    accepted_by: Actor | None = None


class CaseTransferRejected(_CaseEvent):
    """The receiving county refused the case; it stays with the sending county."""

    event_type = "CaseTransferRejected"
    schema_version = 1

    to_county_code: RegionCode
    rejected_on: date
    rejected_by: Actor | None = None
    reason: NonEmpty


EVENTS: tuple[type[Event], ...] = (
    PersuasionAttemptRecorded,
    CaseEscalated,
    ReturnConfirmed,
    CaseClosed,
    CaseReopened,
    CaseCauseRecorded,
    CaseClosureProposed,
    CaseClosureRejected,
    CaseTransferRequested,
    CaseTransferAccepted,
    CaseTransferRejected,
    LedgerEntryChanged,
)
"""The events this service produces, in catalog order."""

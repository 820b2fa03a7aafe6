"""Events produced by verification: rules, detection of suspects, and checks (核实)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from baoxue_contracts import topics
from baoxue_contracts.base import (
    Count,
    Event,
    NationalIdHash,
    Part,
    PriorityGroup,
    RegionCode,
    SchoolCode,
    StudentId,
)

PRODUCER = "verification"

SuspicionSource = Literal["attendance", "national_platform", "cross_check", "field", "roster"]
VerifierReason = Literal[
    "transferred",
    "studying_elsewhere",
    "medical_leave",
    "suspended",
    "home_education",
    "deceased",
    "emigrated",
    "data_error",
    "returned",
]
"""The reasons a verifier may clear a suspect with (API.md)."""
# attendance_corrected is the system's: the school corrected the attendance the suspicion rested on.
ClearReason = Literal[VerifierReason, "attendance_corrected"]
Verifier = Literal["school", "county"]
Cause = Literal[
    "learning_difficulty",
    "family_poverty",
    "work",
    "early_marriage",
    "illness_disability",
    "family_not_valuing_school",
    "lack_of_guardianship",
    "other",
]
Sources = tuple[SuspicionSource, ...]
SOURCES_HELP = "Every source holding the suspect (one suspect per child, whichever sources found it)."
Threshold = Annotated[int, Field(ge=1)] | None


class RulesPublished(Event):
    """A region set its thresholds; unset values are inherited from the region above (规则)."""

    event_type = "RulesPublished"
    schema_version = 1
    topic = topics.RULES

    region_code: RegionCode
    home_visit_after_consecutive_unexcused: Threshold = None
    suspect_after_consecutive_unexcused: Threshold = None
    suspect_after_cumulative_unexcused_in_term: Threshold = None
    review_after_consecutive_excused: Threshold = None
    not_attending_after_school_days: Threshold = None
    transfer_completion_school_days: Threshold = None
    verification_deadline_days: Threshold = None
    return_consolidation_school_days: Threshold = None


class EarlyWarningRaised(Event):
    """A pupil crossed the home-visit threshold of unexcused absence (预警, 家访)."""

    event_type = "EarlyWarningRaised"
    schema_version = 1
    topic = topics.DETECTION

    warning_id: UUID
    student_id: StudentId
    school_code: SchoolCode
    county_code: RegionCode
    raised_on: date
    consecutive_unexcused_days: Count
    threshold: Annotated[int, Field(ge=1)]
    groups: tuple[PriorityGroup, ...] = ()


class SuspectedDropoutFlagged(Event):
    """A suspected dropout was found (疑似辍学)."""

    event_type = "SuspectedDropoutFlagged"
    schema_version = 1
    topic = topics.DETECTION

    suspicion_id: UUID
    source: SuspicionSource
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    flagged_on: date
    reason: str
    consecutive_unexcused_days: Count | None = None
    cumulative_unexcused_days: Count | None = None
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False
    national_id_hash: NationalIdHash | None = None
    name: str | None = None
    birth_date: date | None = None
    source_ref: str | None = Field(
        default=None, description="The source's own reference: national list item, cross-check or finding id."
    )
    sources: Sources = Field(default=(), description=SOURCES_HELP)


class ReviewRaised(Event):
    """A long excused absence needs a second look: sick notes can hide a dropout (复核)."""

    event_type = "ReviewRaised"
    schema_version = 1
    topic = topics.DETECTION

    review_id: UUID
    student_id: StudentId
    school_code: SchoolCode
    county_code: RegionCode
    raised_on: date
    run_start: date
    consecutive_excused_days: Count
    threshold: Annotated[int, Field(ge=1)]
    reasons: tuple[str, ...] = Field(default=(), description="The distinct reasons the school gave, if any.")
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False


class VerificationAssigned(Event):
    """A suspect must be verified by the school or county before a deadline (核实)."""

    event_type = "VerificationAssigned"
    schema_version = 1
    topic = topics.VERIFICATION

    verification_id: UUID
    suspicion_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    assigned_to: Verifier
    assigned_on: date
    due_on: date
    groups: tuple[PriorityGroup, ...] = ()


class VerificationOverdue(Event):
    """A verification passed its deadline without an outcome (逾期)."""

    event_type = "VerificationOverdue"
    schema_version = 1
    topic = topics.VERIFICATION

    verification_id: UUID
    suspicion_id: UUID
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    assigned_to: Verifier
    due_on: date
    groups: tuple[PriorityGroup, ...] = ()


class DropoutConfirmed(Event):
    """A verification confirmed the child has dropped out (确认辍学)."""

    event_type = "DropoutConfirmed"
    schema_version = 1
    topic = topics.VERIFICATION

    verification_id: UUID
    suspicion_id: UUID
    source: SuspicionSource
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    national_id_hash: NationalIdHash | None = None
    confirmed_on: date
    verified_by: str
    flagged_on: date | None = None
    note: str | None = None
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False
    sources: Sources = Field(default=(), description=SOURCES_HELP)
    cause: Cause | None = Field(default=None, description="The main cause of the dropout (辍学原因), if known.")


class SuspicionCleared(Event):
    """A verification cleared a suspect, with the reason (排除疑似)."""

    event_type = "SuspicionCleared"
    schema_version = 1
    topic = topics.VERIFICATION

    verification_id: UUID | None = None
    suspicion_id: UUID
    source: SuspicionSource
    county_code: RegionCode
    school_code: SchoolCode | None = None
    student_id: StudentId | None = None
    reason: ClearReason
    cleared_on: date
    verified_by: str | None = None
    note: str | None = None
    groups: tuple[PriorityGroup, ...] = ()
    sources: Sources = Field(default=(), description=SOURCES_HELP)


class HouseholdChild(Part):
    """A child on a county's household register (户籍), as the ledgers need them: no ID number in clear."""

    national_id_hash: NationalIdHash
    masked_id: str = Field(pattern=r"^[0-9X*]{0,18}$", max_length=18, description="The ID number, middle masked.")
    gender: Literal["M", "F"]
    birth_date: date
    hukou_county_code: RegionCode
    residence_county_code: RegionCode


class HouseholdRegisterChanged(Event):
    """Part of a change of a county's household register: children added or changed, and those removed."""

    event_type = "HouseholdRegisterChanged"
    schema_version = 1
    topic = topics.VERIFICATION

    county_code: RegionCode
    as_of: date
    part: Annotated[int, Field(ge=1)]
    parts: Annotated[int, Field(ge=1)]
    children: tuple[HouseholdChild, ...] = ()
    removed: tuple[NationalIdHash, ...] = ()


EVENTS: tuple[type[Event], ...] = (
    RulesPublished,
    EarlyWarningRaised,
    SuspectedDropoutFlagged,
    ReviewRaised,
    VerificationAssigned,
    VerificationOverdue,
    DropoutConfirmed,
    SuspicionCleared,
    HouseholdRegisterChanged,
)
"""The events this service produces, in catalog order."""

"""Every event of the catalog, grouped by producing service."""

from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    AttendanceSubmitted,
    CalendarPublished,
    PresenceRecorded,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
    Term,
    TransferCompleted,
    TransferRequested,
)
from baoxue_contracts.events.auth import TokenRevoked
from baoxue_contracts.events.ledger import (
    CaseClosed,
    CaseEscalated,
    CaseReopened,
    LedgerEntryChanged,
    PersuasionAttemptRecorded,
    ReturnConfirmed,
)
from baoxue_contracts.events.reporting import RegionStatsUpdated
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    EarlyWarningRaised,
    ReviewRaised,
    RulesPublished,
    SuspectedDropoutFlagged,
    SuspicionCleared,
    VerificationAssigned,
    VerificationOverdue,
)

__all__ = [
    "AbsenceRecorded",
    "AttendanceSubmitted",
    "CalendarPublished",
    "CaseClosed",
    "CaseEscalated",
    "CaseReopened",
    "DropoutConfirmed",
    "EarlyWarningRaised",
    "LedgerEntryChanged",
    "PersuasionAttemptRecorded",
    "PresenceRecorded",
    "RegionStatsUpdated",
    "ReturnConfirmed",
    "ReviewRaised",
    "RulesPublished",
    "SchoolRegistered",
    "StudentEnrolled",
    "StudentLeft",
    "StudentUpdated",
    "SuspectedDropoutFlagged",
    "SuspicionCleared",
    "Term",
    "TokenRevoked",
    "TransferCompleted",
    "TransferRequested",
    "VerificationAssigned",
    "VerificationOverdue",
]

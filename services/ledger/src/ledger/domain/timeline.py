"""A child's timeline (成长记录): one line per event about the child, who did it, and a plain summary.

Pure: what a line says of an event, how a caller names a child, and how a child's key is shown masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid5

from baoxue_common.pii import check_national_id, mask_national_id
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events.verification import HouseholdRegisterChanged

from ledger.domain.ledgers import child_key, noon

SYSTEM = "system"
ROLL_EVENTS = frozenset({"StudentEnrolled", "StudentUpdated"})
"""The lines that say which school's roll a pupil is on (a school sees a child while the latest is its own)."""
SCHOOL_EVENTS = frozenset(
    {
        "StudentEnrolled",
        "StudentUpdated",
        "StudentLeft",
        "TransferRequested",
        "TransferCompleted",
        "AbsenceRecorded",
        "PresenceRecorded",
    }
)
"""Events a school did: recorded with the school as the actor."""
# Per event type, the payload fields its line summarises (plain values; never an ID number or a name).
SUMMARY_FIELDS: dict[str, tuple[str, ...]] = {
    "StudentEnrolled": ("school_code", "grade", "class_name", "enrolled_on"),
    "StudentUpdated": ("school_code", "grade", "class_name", "changed", "updated_on"),
    "StudentLeft": ("school_code", "reason", "left_on", "to_school_code"),
    "TransferRequested": ("school_code", "to_school_code", "requested_on", "due_on"),
    "TransferCompleted": ("school_code", "from_school_code", "completed_on"),
    "AbsenceRecorded": ("school_code", "date", "status", "reason", "correction", "previous_status"),
    "PresenceRecorded": ("school_code", "date", "status", "correction", "previous_status"),
    "EarlyWarningRaised": ("school_code", "raised_on", "consecutive_unexcused_days", "threshold"),
    "SuspectedDropoutFlagged": (
        "suspicion_id",
        "source",
        "school_code",
        "flagged_on",
        "reason",
        "consecutive_unexcused_days",
        "cumulative_unexcused_days",
    ),
    "ReviewRaised": ("school_code", "raised_on", "run_start", "consecutive_excused_days", "threshold", "reasons"),
    "VerificationAssigned": ("suspicion_id", "school_code", "assigned_to", "assigned_on", "due_on"),
    "VerificationOverdue": ("suspicion_id", "school_code", "assigned_to", "due_on"),
    "DropoutConfirmed": ("suspicion_id", "school_code", "source", "confirmed_on", "flagged_on", "cause", "note"),
    "SuspicionCleared": ("suspicion_id", "school_code", "source", "reason", "cleared_on", "note"),
}
# Per event type, the payload's day it happened on: a line is placed on that day (noon), whenever it was sent.
DAY_FIELD: dict[str, str] = {
    "StudentEnrolled": "enrolled_on",
    "StudentUpdated": "updated_on",
    "StudentLeft": "left_on",
    "TransferRequested": "requested_on",
    "TransferCompleted": "completed_on",
    "AbsenceRecorded": "date",
    "PresenceRecorded": "date",
    "EarlyWarningRaised": "raised_on",
    "SuspectedDropoutFlagged": "flagged_on",
    "ReviewRaised": "raised_on",
    "VerificationAssigned": "assigned_on",
    "VerificationOverdue": "due_on",
    "DropoutConfirmed": "confirmed_on",
    "SuspicionCleared": "cleared_on",
    "HouseholdRegisterChanged": "as_of",
}
# Within a day, lines go in the order one causes the next (a roll, attendance, detection, verification, the case),
# whatever order their topics delivered them in; the ledger's own case lines (40) then go in the order recorded.
STAGE: dict[str, int] = {
    "HouseholdRegisterChanged": 0,
    "StudentEnrolled": 1,
    "StudentUpdated": 2,
    "TransferRequested": 3,
    "TransferCompleted": 4,
    "StudentLeft": 5,
    "AbsenceRecorded": 10,
    "PresenceRecorded": 11,
    "EarlyWarningRaised": 20,
    "ReviewRaised": 21,
    "SuspectedDropoutFlagged": 22,
    "VerificationAssigned": 30,
    "VerificationOverdue": 31,
    "DropoutConfirmed": 32,
    "SuspicionCleared": 33,
}
CASE_STAGE = 40
# Anything shaped like a resident ID number inside free text (a reason, a note) is masked before it is kept.
_ID_SHAPED = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_STUDENT_ID = re.compile(r"G[0-9]{17}[0-9X]|L[0-9]{1,24}")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a child's timeline, as `history.note` keeps it."""

    child_key: str
    event_type: str
    producer: str
    occurred_at: Any
    actor: str | None
    summary: dict[str, Any]
    student_id: str | None
    national_id_hash: str | None
    county_code: str
    event_id: UUID

    def values(self) -> dict[str, Any]:
        """The line as the columns (and `history.note` keywords) of the timeline table."""
        return {
            "child_key": self.child_key,
            "event_type": self.event_type,
            "producer": self.producer,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "summary": self.summary,
            "student_id": self.student_id,
            "national_id_hash": self.national_id_hash,
            "county_code": self.county_code,
            "event_id": self.event_id,
        }


def world_time(event: Event, envelope: Envelope) -> datetime:
    """When it happened: noon of the payload's day where it has one, else the envelope's occurred_at."""
    day = getattr(event, DAY_FIELD.get(event.event_type, ""), None)
    return noon(day) if isinstance(day, date) else envelope.occurred_at


def actor_of(event: Event) -> str:
    """Who did it: the named verifier or finder, the school for roll and attendance, else the system."""
    for field in ("verified_by", "found_by"):
        if name := getattr(event, field, None):
            return str(name)
    if event.event_type in SCHOOL_EVENTS:
        school: str = getattr(event, "school_code", "")  # every school event has one
        return f"school:{school}"
    return SYSTEM


def summary_of(event: Event) -> dict[str, Any]:
    """The event's plain facts (status, reason, dates, counts), JSON-ready, unset ones left out."""
    dumped = event.model_dump(mode="json")
    summary: dict[str, Any] = {}
    for field in SUMMARY_FIELDS.get(event.event_type, ()):
        value = dumped.get(field)
        if value is None or value == [] or value == ():
            continue
        summary[field] = scrub(value)
    return summary


def scrub(value: Any) -> Any:
    """Free text with every ID-number-shaped run masked; other values as they are."""
    if isinstance(value, str):
        return _ID_SHAPED.sub(lambda m: mask_national_id(m.group(0)), value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def line_of(
    event: Event, envelope: Envelope, student_id: str | None = None, national_id_hash: str | None = None
) -> Line | None:
    """The timeline line of an event, or None when it names no identifiable child.

    `student_id`/`national_id_hash` fill in what the event itself does not carry (e.g. from its suspect).
    """
    sid = getattr(event, "student_id", None) or student_id
    hashed = getattr(event, "national_id_hash", None) or national_id_hash
    if not sid and not hashed:
        return None
    return Line(
        child_key=child_key(sid, hashed),
        event_type=envelope.event_type,
        producer=envelope.producer,
        occurred_at=world_time(event, envelope),
        actor=actor_of(event),
        summary=summary_of(event),
        student_id=sid,
        national_id_hash=hashed,
        county_code=envelope.region,
        event_id=envelope.event_id,
    )


def household_lines(event: HouseholdRegisterChanged, envelope: Envelope) -> list[Line]:
    """A line per child a household-register change names (户籍): added or changed, or removed.

    One event names many children; each line's id is derived from the event's id and the child's blind index, so
    a redelivery adds nothing. The event does not say who uploaded the register: no actor.
    """
    common = {"register": "household", "as_of": event.as_of.isoformat()}
    found = [
        (
            child.national_id_hash,
            "added_or_changed",
            {
                "hukou_county_code": child.hukou_county_code,
                "residence_county_code": child.residence_county_code,
            },
        )
        for child in event.children
    ]
    found += [(hashed, "removed", {}) for hashed in event.removed]
    return [
        Line(
            child_key=child_key(None, hashed),
            event_type=envelope.event_type,
            producer=envelope.producer,
            occurred_at=world_time(event, envelope),
            actor=None,
            summary={**common, "change": change, **facts},
            student_id=None,
            national_id_hash=hashed,
            county_code=envelope.region,
            event_id=uuid5(envelope.event_id, hashed),
        )
        for hashed, change, facts in found
    ]


@dataclass(frozen=True, slots=True)
class ChildId:
    """How the caller named a child: a student number, or a resident ID number (kept only to be hashed)."""

    kind: Literal["student", "national"]
    value: str


def parse_child_id(raw: str) -> ChildId:
    """A student number (`G…`/`L…`) or an 18-character resident ID number; ValueError with the reason otherwise."""
    if raw[:1] in ("G", "L"):
        if not _STUDENT_ID.fullmatch(raw):
            raise ValueError(
                "not a student number: G and 18 characters (17 digits, then a digit or X), or L and digits"
            )
        return ChildId("student", raw)
    if len(raw) == 18:
        if problem := check_national_id(raw):
            raise ValueError(problem)
        return ChildId("national", raw.upper())
    raise ValueError("neither a student number (G… or L…) nor an 18-character resident ID number")


def masked_key(key: str) -> str:
    """A child's key as logs and answers show it: a student number's digits masked, a hash's prefix only."""
    if key.startswith("h:"):
        return key[:14]
    return key[:1] + mask_national_id(key[1:])

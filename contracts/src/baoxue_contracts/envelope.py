"""The envelope every message on the bus carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from baoxue_contracts.base import Event, RegionCode, SchoolCode


class Envelope(BaseModel):
    """One event on the bus: who, when, where, and the typed payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="Unique per event; consumers deduplicate on it.")
    event_type: Annotated[str, Field(pattern=r"^[A-Z][A-Za-z0-9]*$")] = Field(
        description="The payload's type, e.g. AbsenceRecorded."
    )
    schema_version: int = Field(ge=1, description="Version of the payload schema for event_type.")
    occurred_at: AwareDatetime = Field(description="When it happened in the world (attendance: the day).")
    recorded_at: AwareDatetime = Field(description="When the producer committed it.")
    producer: Annotated[str, Field(min_length=1)] = Field(description="The producing service's name.")
    region: RegionCode = Field(description="The county code the event belongs to; also the message key.")
    school_code: SchoolCode | None = Field(default=None, description="The school concerned, if any.")
    subject_id: str | None = Field(
        default=None, description="The pupil or child concerned (never a national ID number in clear)."
    )
    payload: dict[str, Any] = Field(description="The typed body, as described by event_type/schema_version.")

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        region: str,
        occurred_at: datetime,
        school_code: str | None = None,
        subject_id: str | None = None,
        event_id: UUID | None = None,
        recorded_at: datetime | None = None,
    ) -> Envelope:
        """Wrap an event; school_code and subject_id default to the event's school_code/student_id."""
        if school_code is None:
            school_code = getattr(event, "school_code", None)
        if subject_id is None:
            subject_id = getattr(event, "student_id", None)
        return cls(
            event_id=event_id or uuid4(),
            event_type=event.event_type,
            schema_version=event.schema_version,
            occurred_at=occurred_at,
            recorded_at=recorded_at or datetime.now(UTC),
            producer=producer,
            region=region,
            school_code=school_code,
            subject_id=subject_id,
            payload=event.model_dump(mode="json"),
        )

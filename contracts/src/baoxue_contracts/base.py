"""The base of every event payload and the identifier types events share."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _ascii(value: str) -> str:
    """Refuse other scripts' digits: pydantic reads `\\d` as any Unicode digit, JSON Schema as 0-9 only."""
    if not value.isascii():
        raise ValueError("only the ASCII digits 0-9 are allowed")
    return value


AsciiOnly = AfterValidator(_ascii)

RegionCode = Annotated[
    str,
    Field(pattern=r"^\d{6}$", description="6-digit GB/T 2260 region code (county, city, province)."),
    AsciiOnly,
]
SchoolCode = Annotated[str, Field(pattern=r"^\d{10}$", description="10-digit school code (学校标识码)."), AsciiOnly]
StudentId = Annotated[
    str,
    Field(
        pattern=r"^(?:G\d{17}[0-9X]|L\d{1,24})$",
        description="National student number (全国学籍号): G + 18-character ID, or L + digits.",
    ),
    AsciiOnly,
]
NationalIdHash = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{32,128}$",
        description="Lower-case hex keyed hash (e.g. HMAC-SHA256) of a resident ID number; never the number.",
    ),
]
Grade = Annotated[int, Field(ge=1, le=9, description="Grade 1-9 (primary 1-6, junior 7-9).")]
Count = Annotated[int, Field(ge=0)]
PriorityGroup = Literal["orphan", "unsupported", "disabled", "left_behind", "in_difficulty", "migrant", "juvenile_case"]
"""The priority groups (重点人群); a child may carry several."""

PRIORITY_GROUPS: tuple[PriorityGroup, ...] = (
    "orphan",
    "unsupported",
    "disabled",
    "left_behind",
    "in_difficulty",
    "migrant",
    "juvenile_case",
)


class Part(BaseModel):
    """Base of the value objects nested inside event payloads."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]

    def destination(self) -> str:
        """The topic this event is published to (the class topic unless the event routes itself)."""
        return self.topic

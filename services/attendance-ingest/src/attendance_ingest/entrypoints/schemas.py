"""Request and response bodies of schools and rolls, exactly as API.md names them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from baoxue_contracts.base import PriorityGroup, RegionCode, StudentId
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Strict request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolIn(Body):
    """`PUT /v1/schools/{school_code}`."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    county_code: RegionCode
    kind: Literal["primary", "junior", "nine_year", "special"]


class StudentIn(Body):
    """One pupil of a roll."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    student_id: StudentId
    national_id: Annotated[str, Field(min_length=18, max_length=18)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    gender: Literal["M", "F"]
    birth_date: date
    grade: Annotated[int, Field(ge=1, le=9)]
    class_name: Annotated[str, Field(alias="class", max_length=50)]
    hukou_county_code: RegionCode
    residence_county_code: RegionCode
    groups: list[PriorityGroup] = []
    poverty_household: bool = False


class RosterIn(Body):
    """`PUT /v1/schools/{school_code}/roster`: the whole roll as of a date."""

    as_of: date
    students: list[StudentIn]


class RosterOut(BaseModel):
    """What a roll push changed."""

    school_code: str
    joined: int
    changed: int
    left: int


class SchoolOut(BaseModel):
    """A registered school."""

    school_code: str
    name: str
    county_code: str
    kind: str
    changed: bool

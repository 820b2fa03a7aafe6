"""One pupil of a roll as the roster API takes it: attendance-ingest validates pushes with it, the console uploads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from baoxue_contracts.base import PriorityGroup, RegionCode, StudentId
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from baoxue_common.regions import county_problem


def county_in_use(code: str) -> str:
    """The code when it is a county-level GB/T 2260 code in use today, else ValueError saying why."""
    if problem := county_problem(code):
        raise ValueError(problem)
    return code


CountyCode = Annotated[RegionCode, AfterValidator(county_in_use)]
"""A county-level GB/T 2260 code in use today (county, district, county-level city)."""


class RollStudent(BaseModel):
    """One pupil of a roll (`PUT /v1/schools/{school_code}/roster`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    student_id: StudentId
    national_id: Annotated[str, Field(min_length=18, max_length=18)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    gender: Literal["M", "F"]
    birth_date: date
    grade: Annotated[int, Field(ge=1, le=9)]
    class_name: Annotated[str, Field(alias="class", max_length=50)]
    hukou_county_code: CountyCode
    residence_county_code: CountyCode
    groups: list[PriorityGroup] = []
    poverty_household: bool = False

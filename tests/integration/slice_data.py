"""The data of the thin slice: one county, one school, one pupil, and past school days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from baoxue_common.testing import national_id, student_id

COUNTY = "110101"
SCHOOL = "1101010001"
OTHER_SCHOOL = "1101010002"
BIRTH = date(2015, 3, 7)


def pupil(seq: int) -> dict[str, Any]:
    """A valid roll entry."""
    return {
        "student_id": student_id(COUNTY, BIRTH, seq),
        "national_id": national_id(COUNTY, BIRTH, seq),
        "name": f"学生{seq}",
        "gender": "F" if seq % 2 else "M",
        "birth_date": BIRTH.isoformat(),
        "grade": 5,
        "class": "5-1",
        "hukou_county_code": COUNTY,
        "residence_county_code": COUNTY,
        "groups": ["left_behind"] if seq == 1 else [],
    }


def past_school_days(count: int, before: date | None = None) -> list[date]:
    """The last `count` weekdays strictly before `before` (default today), oldest first."""
    day = before or date.today()
    days: list[date] = []
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)

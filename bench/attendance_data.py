"""Realistic data for the attendance bench: schools in GB/T 2260 counties, pupils with valid resident ID numbers."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from baoxue_common.pii import check_national_id
from baoxue_common.regions import county_problem
from baoxue_common.testing import national_id
from stdnum import numdb

ABSENT = ("absent_excused", "absent_unexcused")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬浩宇轩梓涵欣怡子墨一诺"


def counties_in_use(limit: int) -> list[str]:
    """County codes of GB/T 2260 in use today and since 2011 (births of pupils), spread over the provinces."""
    per_province: list[list[str]] = []
    for _, province, _, _, subs in numdb.get("cn/loc").prefixes:
        codes = [f"{province}{sub}" for _, sub, _, _, _ in subs if not sub.endswith("00")]
        per_province.append([c for c in codes if county_problem(c) is None and _birth_place_since_2011(c)])
    found: list[str] = []
    for i in range(max(len(p) for p in per_province)):
        found.extend(p[i] for p in per_province if i < len(p))
    return found[:limit]


def _birth_place_since_2011(county: str) -> bool:
    return check_national_id(national_id(county, date(2011, 1, 1), 1)) is None


@dataclass(frozen=True, slots=True)
class School:
    """A school of the bench and its pupils' student ids (G + resident ID number)."""

    code: str
    county: str
    pupils: tuple[str, ...]


def make_schools(count: int, pupils: int, *, max_counties: int = 200) -> tuple[list[School], dict[str, Any]]:
    """`count` schools of `pupils` pupils each, and the roster body of each school (keyed by school code)."""
    counties = counties_in_use(min(count, max_counties))
    schools: list[School] = []
    rosters: dict[str, Any] = {}
    slots: dict[str, int] = {}
    for i in range(count):
        county = counties[i % len(counties)]
        slot = slots[county] = slots.get(county, -1) + 1
        code = f"{county}{slot + 1:04d}"
        students = [pupil_record(county, slot, j) for j in range(pupils)]
        schools.append(School(code, county, tuple(s["student_id"] for s in students)))
        rosters[code] = {"as_of": "2026-09-01", "students": students}
    return schools, rosters


def pupil_record(county: str, slot: int, j: int) -> dict[str, Any]:
    if slot >= 100:
        raise ValueError("at most 100 schools per county (ID sequence numbers would repeat)")
    grade, day_of_year, parity = (j // 2) % 9 + 1, (j // 18) % 365, j % 2
    born = date(2020 - (grade - 1), 1, 1) + timedelta(days=day_of_year)
    number = national_id(county, born, slot * 2 + parity + 200 * (j // 6570))
    rng = random.Random(number)
    return {
        "student_id": f"G{number}",
        "national_id": number,
        "name": rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2))),
        "gender": "M" if parity else "F",
        "birth_date": born.isoformat(),
        "grade": grade,
        "class": f"{grade}年级{j % 4 + 1}班",
        "hukou_county_code": county,
        "residence_county_code": county,
        "groups": ["left_behind"] if rng.random() < 0.03 else [],
        "poverty_household": rng.random() < 0.03,
    }


def school_days(before: date, count: int) -> list[date]:
    """The `count` weekdays before `before`, oldest first (school days of a whole-year calendar)."""
    days: list[date] = []
    day = before
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def day_marks(pupils: tuple[str, ...], day: date, *, absent: float, seed: int) -> list[dict[str, Any]]:
    """One school day's marks: about `absent` of the pupils absent, a few late."""
    rng = random.Random(f"{seed}:{day}:{pupils[0]}")
    records: list[dict[str, Any]] = []
    for student_id in pupils:
        roll = rng.random()
        if roll < absent:
            excused = rng.random() < 0.6
            records.append(
                {
                    "student_id": student_id,
                    "status": ABSENT[0] if excused else ABSENT[1],
                    "reason": rng.choice(("sick", "personal", "family")) if excused else "unknown",
                }
            )
        elif roll < absent + 0.01:
            records.append({"student_id": student_id, "status": "late"})
        else:
            records.append({"student_id": student_id, "status": "present"})
    return records


@dataclass(frozen=True, slots=True)
class Push:
    """One attendance request: its school, day, records and the JSON body sent."""

    school: str
    day: date
    records: list[dict[str, Any]]
    body: bytes


def pushes(schools: list[School], days: list[date], *, size: int, absent: float, seed: int) -> list[Push]:
    """Every school's day split into pushes of `size` records, day by day (as a morning's traffic arrives)."""
    out: list[Push] = []
    for day in days:
        for school in schools:
            marks = day_marks(school.pupils, day, absent=absent, seed=seed)
            for start in range(0, len(marks), size):
                chunk = marks[start : start + size]
                body = json.dumps({"date": day.isoformat(), "records": chunk}, ensure_ascii=False).encode()
                out.append(Push(school.code, day, chunk, body))
    return out


def whole_year_calendar(school_year_start: int) -> dict[str, Any]:
    """A national calendar body: one term from 1 August to 31 August of the next year, no holidays."""
    return {
        "school_year": f"{school_year_start}-{school_year_start + 1}",
        "terms": [{"name": "全年", "start": f"{school_year_start}-08-01", "end": f"{school_year_start + 1}-08-31"}],
        "holidays": [],
        "makeup_days": [],
    }

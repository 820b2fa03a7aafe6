"""Rows of an uploaded roll or day's attendance, checked with the attendance-ingest API's own rules before any push."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from baoxue_common.labels import ABSENCE_LABELS, GROUP_LABELS
from baoxue_common.pii import check_national_id
from baoxue_common.roll_body import RollStudent
from baoxue_contracts.base import StudentId
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Kind = Literal["roll", "attendance"]
STATUSES: tuple[str, ...] = ("present", "late", "left_early", "absent_excused", "absent_unexcused")
STATUS_LABELS: dict[str, str] = {"present": "出勤", **ABSENCE_LABELS}
MAX_ROWS: dict[str, int] = {"roll": 20_000, "attendance": 10_000}  # the service's limits per request

# The template's columns: (key the API uses, header people read). Headers or keys are both accepted.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "roll": (
        ("student_id", "学籍号"),
        ("national_id", "身份证号"),
        ("name", "姓名"),
        ("gender", "性别"),
        ("birth_date", "出生日期"),
        ("grade", "年级"),
        ("class", "班级"),
        ("hukou_county_code", "户籍所在县代码"),
        ("residence_county_code", "居住地县代码"),
        ("groups", "重点人群"),
        ("poverty_household", "脱贫家庭"),
    ),
    "attendance": (("student_id", "学籍号"), ("status", "出勤状态"), ("reason", "缺勤原因"), ("note", "备注")),
}
REQUIRED: dict[str, frozenset[str]] = {
    "roll": frozenset({"student_id", "national_id", "name", "gender", "birth_date", "grade", "class"})
    | {"hukou_county_code", "residence_county_code"},
    "attendance": frozenset({"student_id", "status"}),
}
HINTS: dict[str, str] = {
    "student_id": "G 加 18 位身份证号，或 L 加数字",
    "national_id": "18 位居民身份证号",
    "gender": "男 或 女",
    "birth_date": "YYYY-MM-DD，与身份证号一致",
    "grade": "1 到 9",
    "hukou_county_code": "6 位县级行政区划代码",
    "residence_county_code": "6 位县级行政区划代码",
    "groups": "可填多个，用顿号分隔：" + "、".join(GROUP_LABELS.values()),
    "poverty_household": "是 或 否（空白为否）",
    "status": "出勤、迟到、早退、请假缺勤、无故缺勤",
    "reason": "如 sick、personal、family、unknown（选填，最多 50 字）",
    "note": "最多 500 字",
}
EXAMPLES: dict[str, tuple[str, ...]] = {
    "roll": (
        "G110101201405090011",
        "110101201405090011",
        "张三",
        "男",
        "2014-05-09",
        "5",
        "5-1",
        "110101",
        "110101",
        "留守儿童",
        "否",
    ),
    "attendance": ("G110101201405090011", "无故缺勤", "unknown", ""),
}


class RollRow(RollStudent):
    """One pupil of an uploaded roll: the roster API's own model (baoxue_common.roll_body)."""


class AttendanceRow(BaseModel):
    """One mark, with the constraints of attendance-ingest's `AttendanceRecordIn` (POST .../attendance)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    student_id: StudentId
    status: Annotated[str, Field(max_length=32, json_schema_extra={"enum": list(STATUSES)})]
    reason: Annotated[str, Field(max_length=50)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row (its number in the sheet, header = 1) cannot be stored; field "" for the whole row."""

    row: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Checked:
    """A sheet after the checks: the API bodies of the good rows and every problem found."""

    items: list[dict[str, Any]]
    problems: list[RowProblem]
    rows: int

    @property
    def clean(self) -> bool:
        return not self.problems and self.rows > 0


Row = tuple[int, Mapping[str, str]]
"""A row of the sheet: its number and its cells by column key (text, stripped)."""


def header_label(kind: Kind, key: str) -> str:
    """The Chinese header of a column (the key itself for the whole row)."""
    return dict(COLUMNS[kind]).get(key, key if key else "整行")


_WORDS = {
    "missing": "必填",
    "string_pattern_mismatch": "格式不对",
    "string_too_short": "不能为空或长度不够",
    "string_too_long": "太长",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "应在 1 到 9 之间",
    "less_than_equal": "应在 1 到 9 之间",
    "bool_parsing": "应为 是 或 否",
    "date_from_datetime_parsing": "不是有效日期（应为 YYYY-MM-DD）",
    "date_parsing": "不是有效日期（应为 YYYY-MM-DD）",
    "date_from_datetime_inexact": "不是有效日期（应为 YYYY-MM-DD）",
    "literal_error": "不是可选的值",
    "string_not_ascii": "只能包含半角字母和数字",
}
_FIELD_HINTS = {
    "student_id": "学籍号应为 G+18 位身份证号，或 L+数字",
    "gender": "性别应为 男 或 女",
    "groups": "重点人群只能是：" + "、".join(GROUP_LABELS.values()),
}


def _words(err: Mapping[str, Any]) -> str:
    field = str(err["loc"][0]) if err.get("loc") else ""
    field = "class" if field == "class_name" else field
    kind = str(err.get("type", ""))
    if kind == "value_error" and field in ("hukou_county_code", "residence_county_code"):
        return "不是现行的县级行政区划代码"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    if field in _FIELD_HINTS and kind in ("string_pattern_mismatch", "literal_error", "string_not_ascii"):
        return _FIELD_HINTS[field]
    return _WORDS.get(kind, str(err.get("msg", "内容有误")))


def _validation_problems(row: int, exc: ValidationError) -> list[RowProblem]:
    out = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else ""
        out.append(RowProblem(row, "class" if field == "class_name" else field, _words(err)))
    return out


_SPLIT = re.compile(r"[、,，;；\s]+")
_GROUP_KEYS = {v: k for k, v in GROUP_LABELS.items()}
_GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F"}
_YES = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "": False}


def _roll_body(cells: Mapping[str, str]) -> dict[str, Any]:
    """The API's fields from a roll row's cells: 男/女, 是/否 and group names in Chinese as the API's values."""
    body: dict[str, Any] = {k: v for k, v in cells.items() if v != "" and k not in ("groups", "poverty_household")}
    if "gender" in body:
        body["gender"] = _GENDERS.get(body["gender"].lower(), body["gender"])
    if "student_id" in body:
        body["student_id"] = body["student_id"].upper()
    groups = [g for g in _SPLIT.split(cells.get("groups", "")) if g]
    body["groups"] = [_GROUP_KEYS.get(g, g) for g in groups]
    poverty = cells.get("poverty_household", "").lower()
    body["poverty_household"] = _YES.get(poverty, poverty)
    return body


def check_roll(rows: Sequence[Row]) -> Checked:
    """Every problem of a roll sheet: each field's rules, then ID numbers, G-numbers and duplicates across rows."""
    problems: list[RowProblem] = []
    items: list[dict[str, Any]] = []
    by_student: dict[str, int] = {}
    by_number: dict[str, int] = {}
    for number, cells in rows:
        try:
            pupil = RollRow.model_validate(_roll_body(cells))
        except ValidationError as exc:
            problems += _validation_problems(number, exc)
            continue
        found = _identity_problems(number, pupil, by_student, by_number)
        problems += found
        if not found:
            items.append(pupil.model_dump(mode="json", by_alias=True))
    return Checked(items, sorted(problems, key=lambda p: p.row), len(rows))


def _identity_problems(
    row: int, pupil: RollRow, by_student: dict[str, int], by_number: dict[str, int]
) -> list[RowProblem]:
    """attendance-ingest's `roll_problems` for one row: the ID number, the G-number made of it, no duplicates."""
    out = []
    if (first := by_student.setdefault(pupil.student_id, row)) != row:
        out.append(RowProblem(row, "student_id", f"与第 {first} 行是同一学籍号"))
    if why := check_national_id(pupil.national_id, pupil.birth_date):
        return [*out, RowProblem(row, "national_id", _id_words(why))]
    number = pupil.national_id.upper()
    if (first := by_number.setdefault(number, row)) != row:
        out.append(RowProblem(row, "national_id", f"与第 {first} 行是同一身份证号"))
    if pupil.student_id.startswith("G") and pupil.student_id[1:] != number:
        out.append(RowProblem(row, "student_id", "G 开头的学籍号应为 G 加本人身份证号"))
    return out


def _id_words(why: str) -> str:
    if "birth date" in why:
        return "身份证号中的出生日期与出生日期一栏不符"
    return f"身份证号无效（{why}）"


def check_attendance(rows: Sequence[Row], on_roll: Collection[str] | None) -> Checked:
    """Every problem of a day's sheet: the record's rules, a known status, no duplicate, the pupil on the roll."""
    problems: list[RowProblem] = []
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    status_keys = {v: k for k, v in STATUS_LABELS.items()}
    for number, cells in rows:
        body = {k: v for k, v in cells.items() if v != ""}
        if "student_id" in body:
            body["student_id"] = body["student_id"].upper()
        if "status" in body:
            body["status"] = status_keys.get(body["status"], body["status"])
        try:
            record = AttendanceRow.model_validate(body)
        except ValidationError as exc:
            problems += _validation_problems(number, exc)
            continue
        found = []
        if (first := seen.setdefault(record.student_id, number)) != number:
            found.append(RowProblem(number, "student_id", f"与第 {first} 行是同一学生"))
        elif on_roll is not None and record.student_id not in on_roll:
            found.append(RowProblem(number, "student_id", "不在本校花名册上"))
        if record.status not in STATUSES:
            found.append(RowProblem(number, "status", "出勤状态只能是：" + "、".join(STATUS_LABELS.values())))
        problems += found
        if not found:
            items.append(record.model_dump(mode="json", exclude_none=True))
    return Checked(items, problems, len(rows))

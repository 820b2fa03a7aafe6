"""Uploaded sheets: read from CSV/XLSX, every bad row found with the attendance-ingest API's own rules."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from attendance_ingest.entrypoints.attendance_schemas import AttendanceRecordIn
from attendance_ingest.entrypoints.schemas import StudentIn
from baoxue_common.roll_body import RollStudent
from baoxue_common.testing import national_id
from console.adapters.sheets_in import SheetError, read_sheet, template
from console.domain.report_periods import recent_periods
from console.domain.uploads import AttendanceRow, RollRow, check_attendance, check_roll

COUNTY = "140223"
BIRTH = date(2014, 5, 9)


def pupil(seq: int, **cells: str) -> dict[str, str]:
    number = national_id(COUNTY, BIRTH, seq)
    row = {"student_id": "G" + number, "national_id": number, "name": f"学生{seq}", "gender": "女"}
    row |= {"birth_date": BIRTH.isoformat(), "grade": "5", "class": "5-1", "hukou_county_code": COUNTY}
    row |= {"residence_county_code": COUNTY, "groups": "留守儿童、孤儿", "poverty_household": "是"}
    return row | cells


def fields_of(model: Any) -> dict[str, Any]:
    """Each field's JSON schema, without titles (what the API checks)."""
    schema = model.model_json_schema()
    props = {k: {n: v for n, v in p.items() if n != "title"} for k, p in schema["properties"].items()}
    return {"properties": props, "required": sorted(schema.get("required", [])), "defs": schema.get("$defs")}


def test_the_console_checks_rows_with_the_same_field_rules_as_the_service() -> None:
    assert issubclass(RollRow, RollStudent) and issubclass(StudentIn, RollStudent), "one roll model for both"
    assert fields_of(AttendanceRow) == fields_of(AttendanceRecordIn)


def test_a_good_roll_becomes_the_api_body() -> None:
    checked = check_roll([(2, pupil(1)), (3, pupil(2, gender="男", groups="", poverty_household=""))])
    assert checked.clean and checked.problems == []
    first, second = checked.items
    assert first["gender"] == "F" and first["groups"] == ["left_behind", "orphan"] and first["poverty_household"]
    assert first["class"] == "5-1" and first["grade"] == 5
    assert second["gender"] == "M" and second["groups"] == [] and second["poverty_household"] is False


def test_every_bad_roll_row_is_found_with_its_reason() -> None:
    rows = [
        (2, pupil(1)),
        (3, pupil(2, grade="10", hukou_county_code="140200")),
        (4, pupil(1)),
        (5, pupil(3, birth_date="2014-05-10")),
        (6, pupil(4, student_id="G" + national_id(COUNTY, BIRTH, 5))),
        (7, pupil(6, groups="外星人", gender="X")),
    ]
    found = {(p.row, p.field): p.message for p in check_roll(rows).problems}
    assert found[(3, "grade")] == "应在 1 到 9 之间"
    assert found[(3, "hukou_county_code")] == "不是现行的县级行政区划代码"
    assert found[(4, "student_id")] == "与第 2 行是同一学籍号"
    assert found[(4, "national_id")] == "与第 2 行是同一身份证号"
    assert found[(5, "national_id")] == "身份证号中的出生日期与出生日期一栏不符"
    assert found[(6, "student_id")] == "G 开头的学籍号应为 G 加本人身份证号"
    assert found[(7, "groups")].startswith("重点人群只能是") and found[(7, "gender")] == "性别应为 男 或 女"
    assert not any(row == 2 for row, _ in found)


def test_every_bad_attendance_row_is_found_with_its_reason() -> None:
    on_roll = {"G" + national_id(COUNTY, BIRTH, s) for s in (1, 2)}
    a, b = sorted(on_roll)
    rows = [
        (2, {"student_id": a, "status": "无故缺勤", "reason": "unknown", "note": ""}),
        (3, {"student_id": a, "status": "出勤"}),
        (4, {"student_id": b, "status": "旷课"}),
        (5, {"student_id": "G" + national_id(COUNTY, BIRTH, 3), "status": "present"}),
        (6, {"student_id": "12345", "status": ""}),
        (7, {"student_id": b.lower(), "status": "迟到", "note": "长" * 501}),
    ]
    checked = check_attendance(rows, on_roll)
    found = {(p.row, p.field): p.message for p in checked.problems}
    assert found == {
        (3, "student_id"): "与第 2 行是同一学生",
        (4, "status"): "出勤状态只能是：出勤、请假缺勤、无故缺勤、迟到、早退",
        (5, "student_id"): "不在本校花名册上",
        (6, "student_id"): "学籍号应为 G+18 位身份证号，或 L+数字",
        (6, "status"): "必填",
        (7, "note"): "太长",
    }
    assert checked.items == [{"student_id": a, "status": "absent_unexcused", "reason": "unknown"}]
    assert not checked.clean


def test_templates_read_back_as_their_own_example_rows() -> None:
    for kind in ("roll", "attendance"):
        for fmt in ("csv", "xlsx"):
            rows = read_sheet(kind, f"t.{fmt}", template(kind, fmt))  # type: ignore[arg-type]
            assert [n for n, _ in rows] == [2], (kind, fmt)
            assert rows[0][1]["student_id"] == "G110101201405090011"


def test_xlsx_dates_and_numbers_come_back_as_text() -> None:
    book = openpyxl.Workbook()
    header = ["学籍号", "身份证号", "姓名", "性别", "出生日期", "年级", "班级", "户籍所在县代码", "居住地县代码"]
    cells = pupil(1)
    book.active.append(header)
    book.active.append([cells["student_id"], cells["national_id"], "学生1", "女", BIRTH, 5, "5-1", 140223, 140223])
    book.active.append([])
    out = io.BytesIO()
    book.save(out)
    ((number, row),) = read_sheet("roll", "roll.XLSX", out.getvalue())
    assert number == 2 and row["birth_date"] == "2014-05-09" and row["grade"] == "5"
    assert row["hukou_county_code"] == COUNTY
    assert check_roll([(number, row)]).clean


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.csv", b"", "文件是空的"),
        ("a.pdf", b"x", "只能上传 .csv 或 .xlsx"),
        ("a.csv", "学籍号,备注\n".encode(), "表头缺少这些列：出勤状态"),
        ("a.csv", "学籍号,出勤状态\n".encode(), "没有数据行"),
        ("a.xlsx", b"not a zip", "无法读取这个 XLSX 文件"),
    ],
)
def test_unreadable_files_are_refused_in_words(name: str, data: bytes, words: str) -> None:
    with pytest.raises(SheetError, match=words):
        read_sheet("attendance", name, data)


def test_gb18030_csv_from_an_old_excel_is_read() -> None:
    data = "学籍号,出勤状态\nL123,出勤\n".encode("gb18030")
    assert read_sheet("attendance", "a.csv", data) == [(2, {"student_id": "L123", "status": "出勤"})]


def test_report_periods_of_each_tier_newest_first() -> None:
    assert recent_periods("city", date(2026, 12, 7), 3) == ["2026-S1", "2025-S2", "2025-S1"]
    assert recent_periods("county", date(2026, 2, 1), 2) == ["2026-Q1", "2025-Q4"]
    assert recent_periods("province", date(2026, 12, 7), 2) == ["2026-2027", "2025-2026"]
    assert recent_periods("national", date(2026, 3, 7), 2) == ["2026-B2", "2026-B1"]

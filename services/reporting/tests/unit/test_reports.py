"""The five reports built from figures (pure), and their CSV / XLSX rendering."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl  # type: ignore[import-untyped]
from reporting.domain.indicators import Figure
from reporting.domain.periods import parse_period
from reporting.reports import (
    city_semester,
    consistency,
    county_quarterly,
    national_bimonthly,
    province_annual,
    school_monthly,
)
from reporting.reports._figures import Figures, Tree
from reporting.reports.model import MISSING
from reporting.reports.render import cell_text, sheet_name, to_csv, to_json, to_xlsx

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
SCHOOL = "3304020001"
COUNTY: dict[str, Figure] = {
    "population": 10,
    "in_school": 9,
    "out_of_school": 1,
    "school_age_status.status.enrolled": 8,
    "school_age_status.status.dropout": 1,
    "school_age_status.status.home_education": 0,
    "school_age_status.status.medical_leave": 1,
    "flagged": 4,
    "confirmed": 2,
    "cleared": 1,
    "cleared.reason.transferred": 1,
    "suspected_status.status.confirmed_dropout": 2,
    "cases_total": 2,
    "cases_open": 1,
    "cases_back": 1,
    "cases_closed": 0,
    "cases_cancelled": 0,
    "cases_open.level.order_to_correct": 1,
    "returned": 1,
    "enrolment_rate": 0.8,
    "consolidation_rate": 0.995,
    "population.g.orphan": 2,
    "suspected.poverty": 1,
}


def rows_of(table_rows: object) -> dict[str, object]:
    """An indicator table's rows as key → value."""
    return {r["key"]: r["value"] for r in table_rows}  # type: ignore[attr-defined]


def county_tree() -> Tree:
    school: Figures = {"flagged": 3, "confirmed": 2, "returned": 1, "in_school": 5}
    figures: dict[str, Figures] = {"330402": COUNTY, SCHOOL: school}
    return Tree(figures, {"330402": [SCHOOL]}, {"330402": "南湖区", SCHOOL: "南湖一小"})


def test_the_school_report_lists_classes_absences_suspects_and_cases() -> None:
    figs = {
        "attendance_rate": 0.95,
        "attendance_rate.class.5-1": 0.9,
        "absences.class.5-1": 4,
        "absences": 4,
        "absences.status.absent_unexcused": 3,
        "flagged": 2,
        "cleared.reason.data_error": 1,
        "cases_open.level.none": 1,
    }
    report = school_monthly.build(SCHOOL, "南湖一小", parse_period("month", "2026-03"), figs, NOW)
    data = to_json(report)
    assert data["period"] == {"label": "2026-03", "kind": "month", "start": "2026-03-01", "end": "2026-03-31"}
    assert data["due_date"] is None and data["region_name"] == "南湖一小"
    classes = data["sections"]["attendance"]["rows"]
    assert classes == [
        {"class": "5-1", "attendance_rate": 0.9, "absences": 4},
        {"class": "合计", "attendance_rate": 0.95, "absences": 4},
    ]
    kinds = {r["kind"]: r["count"] for r in data["sections"]["absences"]["rows"]}
    assert kinds["absent_unexcused"] == 3 and kinds["absent_excused"] is None
    suspects = rows_of(data["sections"]["suspects"]["rows"])
    assert suspects["flagged"] == 2 and suspects["cleared.reason.data_error"] == 1
    assert suspects["verifications_overdue"] is None, "a figure nobody computes is None, shown as —"
    assert rows_of(data["sections"]["cases"]["rows"])["cases_open.level.none"] == 1
    assert data["labels"]["columns"]["attendance_rate"] == "出勤率"


def test_the_county_report_has_schools_groups_poverty_and_passing_checks() -> None:
    report = county_quarterly.build("330402", county_tree(), parse_period("quarter", "2026-Q1"), NOW)
    data = to_json(report)
    [school] = data["sections"]["schools"]["rows"]
    assert school["name"] == "南湖一小" and school["flagged"] == 3 and school["attendance_rate"] is None
    groups = {r["group"]: r for r in data["sections"]["priority_groups"]["rows"]}
    assert groups["orphan"]["population"] == 2 and groups["orphan"]["label"] == "孤儿"
    assert data["sections"]["poverty"]["rows"][0]["suspected"] == 1
    results = {r["check"]: (r["left"], r["right"], r["result"]) for r in data["sections"]["consistency"]["rows"]}
    assert results == {
        "population": (10, 10, "通过"),
        "confirmed_vs_cases": (2, 2, "通过"),
        "cases_by_status": (2, 2, "通过"),
    }


def test_a_ledger_that_does_not_add_up_fails_its_check() -> None:
    broken = dict(COUNTY, cases_total=3)
    results = {r["check"]: r["result"] for r in consistency.checks(broken)}
    assert results["confirmed_vs_cases"] == "不通过" and results["cases_by_status"] == "不通过"
    assert {r["check"]: r["result"] for r in consistency.checks({})}["population"] == "无法核查"


def test_the_city_report_compares_counties_with_the_previous_semester() -> None:
    now = Tree({"330400": {"confirmed": 3}, "330402": {"confirmed": 2}}, {"330400": ["330402"]}, {"330402": "南湖区"})
    before = Tree({"330400": {"confirmed": 1}}, {}, {})
    period = parse_period("semester", "2026-S1")
    report = city_semester.build("330400", now, before, period, parse_period("semester", "2025-S2"), NOW)
    trends = report.sections[1].rows
    city = next(r for r in trends if r["code"] == "330400" and r["indicator"] == "confirmed")
    county = next(r for r in trends if r["code"] == "330402" and r["indicator"] == "confirmed")
    assert (city["current"], city["previous"], city["change"]) == (3, 1, 2)
    assert (county["current"], county["previous"], county["change"]) == (2, None, None)


def test_the_province_report_is_due_on_31_july_and_judges_the_targets() -> None:
    tree = Tree(
        {"330000": {}, "330400": {"enrolment_rate": 1.0, "consolidation_rate": 0.98}, "330402": {}},
        {"330000": ["330400"], "330400": ["330402"]},
        {"330000": "浙江省", "330400": "嘉兴市", "330402": "南湖区"},
    )
    report = province_annual.build("330000", tree, parse_period("school_year", "2025-2026"), NOW)
    assert report.due_date == date(2026, 7, 31)
    city = report.sections[0].rows[0]
    assert (city["enrolment_met"], city["consolidation_met"], city["consolidation_target"]) == ("达标", "未达标", 0.99)
    [county] = report.sections[1].rows
    assert (county["city"], county["enrolment_met"]) == ("嘉兴市", None)


def test_the_national_report_has_a_row_per_province_then_the_nation() -> None:
    tree = Tree({"000000": {"confirmed": 5}, "330000": {"confirmed": 5}}, {"000000": ["330000"]}, {"000000": "全国"})
    report = national_bimonthly.build(tree, parse_period("bimonth", "2026-B2"), NOW)
    assert [r["code"] for r in report.sections[0].rows] == ["330000", "000000"]


def test_csv_has_a_bom_chinese_headers_and_guarded_cells() -> None:
    tree = county_tree()
    tree.names[SCHOOL] = "=HYPERLINK(1)"  # type: ignore[index]
    body = to_csv(county_quarterly.build("330402", tree, parse_period("quarter", "2026-Q1"), NOW))
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == ["县级季度复核报告(控辍保学)"]
    headers = ["学校", "代码", "在校（在学）人数", "出勤率", "新发现疑似辍学人数", "确认辍学人数", "排除疑似人数"]
    headers += ["劝返复学人数", "销号人数", "在办辍学案件数", "逾期未完成核实数"]
    header = lines.index(headers)
    assert lines[header + 1][:4] == ["'=HYPERLINK(1)", SCHOOL, "5", MISSING]
    assert ["统计周期", "2026-Q1", "2026-01-01 至 2026-03-31"] in lines


def test_cells_read_as_people_expect() -> None:
    assert cell_text(None, "int") == "—"
    assert cell_text(0.995, "rate") == "99.50%"
    assert cell_text(3, "int") == "3"
    assert cell_text("-1", "text") == "'-1"
    assert sheet_name("a/b:c", set()) == "a_b_c"


def test_xlsx_has_a_sheet_per_section_formatted_rates_and_a_chart() -> None:
    tree = Tree(
        {"330000": {"enrolment_rate": 1.0}, "330400": {"enrolment_rate": 0.99}, "330402": {"enrolment_rate": 0.98}},
        {"330000": ["330400"], "330400": ["330402"]},
        {"330000": "浙江省", "330400": "嘉兴市", "330402": "南湖区"},
    )
    body = to_xlsx(province_annual.build("330000", tree, parse_period("school_year", "2025-2026"), NOW))
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["报告信息", "各市指标", "各县(区)指标"]
    sheet = book["各县(区)指标"]
    assert [c.value for c in sheet[4]][:5] == ["所属市", "县(区)", "代码", "入学率", "入学率目标"]
    assert sheet["D5"].value == 0.98 and sheet["D5"].number_format == "0.00%"
    assert book["报告信息"]["B4"].value == "2026-07-31"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sum(n.startswith("xl/charts/chart") for n in names) == 2

"""学校月报告 (一月一报告): a school's attendance, absences, early warnings, suspects and their verification, cases."""

from __future__ import annotations

from datetime import datetime

from baoxue_common.labels import ABSENCE_LABELS

from reporting.domain.periods import Period
from reporting.reports._figures import Figures, breakdown, dim_key, value
from reporting.reports._rows import cleared_items, items, level_items
from reporting.reports.model import Chart, Column, Report, Row, Table, indicator_table

KIND = "school-monthly"
TITLE = "学校月报告(控辍保学)"
TOTAL = "合计"


def attendance(figs: Figures) -> Table:
    """出勤汇总: attendance rate and absences per class (where the figures break them down), then the total."""
    rates, absences = breakdown(figs, "attendance_rate", "class:"), breakdown(figs, "absences", "class:")
    rows: list[Row] = [
        {"class": c, "attendance_rate": rates.get(c), "absences": absences.get(c)}
        for c in sorted(set(rates) | set(absences))
    ]
    rows.append(
        {"class": TOTAL, "attendance_rate": value(figs, "attendance_rate"), "absences": value(figs, "absences")}
    )
    columns = (
        Column("class", "班级", "text"),
        Column("attendance_rate", "出勤率", "rate"),
        Column("absences", "缺勤人次"),
    )
    chart = Chart("各班出勤率", "class", ("attendance_rate",)) if len(rows) > 1 else None
    return Table("attendance", "出勤汇总(按班级)", columns, tuple(rows), chart)


def absences(figs: Figures) -> Table:
    """缺勤情况: absences by kind (excused, unexcused, late, left early)."""
    found = breakdown(figs, "absences", "status:")
    kinds = list(ABSENCE_LABELS) + [k for k in found if k not in ABSENCE_LABELS]
    rows: list[Row] = [{"kind": k, "label": ABSENCE_LABELS.get(k, k), "count": found.get(k)} for k in kinds]
    rows.append({"kind": "total", "label": TOTAL, "count": value(figs, "absences")})
    columns = (Column("label", "缺勤类型", "text"), Column("count", "人次"))
    return Table("absences", "缺勤情况(按类型)", columns, tuple(rows))


def warnings(figs: Figures) -> Table:
    """预警: early warnings raised this month."""
    kinds = breakdown(figs, "early_warnings", "kind:")
    rows = items(figs, ("early_warnings",)) + [
        (dim_key("early_warnings", f"kind:{k}"), f"预警:{k}", v, "int") for k, v in kinds.items()
    ]
    return indicator_table("warnings", "预警情况", rows)


def suspects(figs: Figures) -> Table:
    """疑似辍学及核实: flagged, verifying, confirmed, cleared (by reason), on time / late / overdue."""
    rows = items(figs, ("flagged", "suspected", "verifying", "confirmed", "cleared")) + cleared_items(figs)
    rows += items(figs, ("verified_on_time", "verified_late", "verifications_overdue"))
    return indicator_table("suspects", "疑似辍学学生及核实", rows)


def cases(figs: Figures) -> Table:
    """辍学劝返: cases open, returned, closed, by escalation level."""
    keys = ("cases_opened", "cases_open", "cases_back", "returned", "closed", "reopened", "cases_active")
    return indicator_table("cases", "辍学学生劝返", items(figs, keys) + level_items(figs))


def build(school_code: str, name: str, period: Period, figs: Figures, generated_at: datetime) -> Report:
    """The school's monthly report from its figures over the month."""
    sections = (attendance(figs), absences(figs), warnings(figs), suspects(figs), cases(figs))
    return Report(KIND, TITLE, school_code, name, period, generated_at, sections)

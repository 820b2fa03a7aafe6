"""地市学期调研 (一学期一调研): its counties side by side, and each against the previous semester."""

from __future__ import annotations

from datetime import datetime

from reporting.domain.periods import Period
from reporting.reports._figures import Tree, value
from reporting.reports._rows import LABELS, kind_of, region_columns, region_rows
from reporting.reports.model import Chart, Column, Report, Row, Table, change

KIND = "city-semester"
TITLE = "地市学期调研报告(控辍保学)"
COUNTY_KEYS = (
    "population",
    "in_school",
    "enrolment_rate",
    "consolidation_rate",
    "attendance_rate",
    "suspected",
    "confirmed",
    "returned",
    "closed",
    "return_rate",
    "verifications_overdue_open",
    "orders_overdue",
)
TREND_KEYS = (
    "enrolment_rate",
    "consolidation_rate",
    "attendance_rate",
    "flagged",
    "confirmed",
    "returned",
    "closed",
    "return_rate",
)


def counties(tree: Tree, city: str) -> Table:
    """各县(区)对比: one row per county, then the whole city; a chart of confirmations and returns."""
    rows = region_rows(tree, [*tree.below(city), city], COUNTY_KEYS)
    chart = Chart("各县(区)确认辍学与劝返复学人数", "name", ("confirmed", "returned"))
    return Table("counties", "各县(区)对比", region_columns("县(区)", COUNTY_KEYS), rows, chart)


def trends(now: Tree, before: Tree, city: str, previous: Period) -> Table:
    """趋势: each county's (and the city's) indicators this semester beside the previous one, and the change."""
    rows: list[Row] = []
    for code in [*now.below(city), city]:
        for key in TREND_KEYS:
            this, last = value(now.of(code), key), value(before.of(code), key)
            rows.append(
                {
                    "name": now.name(code),
                    "code": code,
                    "indicator": key,
                    "label": LABELS.get(key, key),
                    "kind": kind_of(key),
                    "current": this,
                    "previous": last,
                    "change": change(this, last),
                }
            )
    columns = (
        Column("name", "地区", "text"),
        Column("code", "代码", "text"),
        Column("label", "指标", "text"),
        Column("current", "本学期", "row"),
        Column("previous", f"上学期({previous.label})", "row"),
        Column("change", "变化", "row"),
    )
    return Table("trends", "趋势(本学期与上学期比较)", columns, tuple(rows))


def build(city: str, now: Tree, before: Tree, period: Period, previous: Period, generated_at: datetime) -> Report:
    """The city's semester survey from its and its counties' figures, this semester and the previous one."""
    sections = (counties(now, city), trends(now, before, city, previous))
    notes = (f"上学期为 {previous.label}",)
    return Report(KIND, TITLE, city, now.name(city), period, generated_at, sections, notes=notes)

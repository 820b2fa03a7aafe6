"""省级学年评估 (一学年一评估): per-city and per-county indicators against the targets, due 31 July."""

from __future__ import annotations

from datetime import date, datetime

from reporting.domain.periods import Period
from reporting.reports._figures import Tree
from reporting.reports._rows import (
    CONSOLIDATION_TARGET,
    ENROLMENT_TARGET,
    TARGET_COLUMNS,
    figure_columns,
    region_row,
    target_cells,
)
from reporting.reports.model import Chart, Column, Report, Row, Table

KIND = "province-annual"
TITLE = "省级学年评估报告(控辍保学)"
RATES = ("enrolment_rate", "consolidation_rate")
TARGET = ("巩固率目标", CONSOLIDATION_TARGET)
KEYS = ("population", "in_school", "confirmed", "returned", "closed", "cases_active", "return_rate", "orders_overdue")


def due_date(period: Period) -> date:
    """Reported to the Ministry by 31 July of the school year's second year."""
    return date(period.end.year, 7, 31)


def _rows(tree: Tree, codes: list[str], parent: bool) -> tuple[Row, ...]:
    rows: list[Row] = []
    for code in codes:
        row = dict(region_row(code, tree.name(code), tree.of(code), KEYS))
        if parent:
            city = code[:4] + "00"
            row["city"] = tree.name(city)
        row.update(target_cells(tree.of(code)))
        rows.append(row)
    return tuple(rows)


def _columns(label: str, parent: bool) -> tuple[Column, ...]:
    head = (Column("city", "所属市", "text"),) if parent else ()
    return (
        *head,
        Column("name", label, "text"),
        Column("code", "代码", "text"),
        *TARGET_COLUMNS,
        *figure_columns(KEYS),
    )


def cities(tree: Tree, province: str) -> Table:
    """各市指标: each city (then the province) against the targets."""
    rows = _rows(tree, [*tree.below(province), province], parent=False)
    chart = Chart(
        "各市入学率、巩固率",
        "name",
        ("enrolment_rate", "consolidation_rate"),
        "column",
        ("巩固率目标", CONSOLIDATION_TARGET),
    )
    return Table("cities", "各市指标", _columns("市", False), rows, chart)


def counties(tree: Tree, province: str) -> Table:
    """各县(区)指标: every county of the province against the targets, with a chart of both rates vs target."""
    codes = [county for city in tree.below(province) for county in tree.below(city)]
    chart = Chart(
        "各县(区)入学率、巩固率与目标",
        "name",
        ("enrolment_rate", "consolidation_rate"),
        "column",
        ("巩固率目标", CONSOLIDATION_TARGET),
    )
    return Table("counties", "各县(区)指标", _columns("县(区)", True), _rows(tree, codes, parent=True), chart)


def build(province: str, tree: Tree, period: Period, generated_at: datetime) -> Report:
    """The province's school-year evaluation from its cities' and counties' figures."""
    notes = (f"目标:入学率 {ENROLMENT_TARGET:.0%},巩固率不低于 {CONSOLIDATION_TARGET:.0%}",)
    sections = (cities(tree, province), counties(tree, province))
    return Report(KIND, TITLE, province, tree.name(province), period, generated_at, sections, due_date(period), notes)

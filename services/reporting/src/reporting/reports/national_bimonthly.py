"""全国双月调度 (双月报): every province's figures side by side."""

from __future__ import annotations

from datetime import datetime

from baoxue_common.regions import NATIONAL

from reporting.domain.periods import Period
from reporting.reports._figures import Tree
from reporting.reports._rows import TARGET_COLUMNS, figure_columns, region_row, target_cells
from reporting.reports.model import Chart, Column, Report, Row, Table

KIND = "national-bimonthly"
TITLE = "全国控辍保学双月调度"
KEYS = (
    "population",
    "in_school",
    "attendance_rate",
    "flagged",
    "confirmed",
    "returned",
    "closed",
    "cases_active",
    "return_rate",
    "verifications_overdue_open",
    "orders_overdue",
)


def provinces(tree: Tree) -> Table:
    """各省情况: one row per province, then the nation; a chart of confirmations and returns per province."""
    rows: list[Row] = []
    for code in [*tree.below(NATIONAL), NATIONAL]:
        row = dict(region_row(code, tree.name(code), tree.of(code), KEYS))
        row.update(target_cells(tree.of(code)))
        rows.append(row)
    columns = (Column("name", "省份", "text"), Column("code", "代码", "text"), *TARGET_COLUMNS, *figure_columns(KEYS))
    chart = Chart("各省确认辍学与劝返复学人数", "name", ("confirmed", "returned"), "bar")
    return Table("provinces", "各省情况", columns, tuple(rows), chart)


def build(tree: Tree, period: Period, generated_at: datetime) -> Report:
    """The nation's bi-monthly dispatch from its provinces' figures."""
    return Report(KIND, TITLE, NATIONAL, tree.name(NATIONAL), period, generated_at, (provinces(tree),))

"""县级季度复核 (一季度一复核): per-school figures, verification and case progress, overdue items, groups, checks."""

from __future__ import annotations

from datetime import datetime

from baoxue_common.labels import GROUP_LABELS

from reporting.domain.periods import Period
from reporting.reports import consistency
from reporting.reports._figures import Figures, Tree, dim_key, value
from reporting.reports._rows import cleared_items, figure_columns, items, level_items, region_columns, region_rows
from reporting.reports.model import Cell, Chart, Column, Report, Row, Table, indicator_table

KIND = "county-quarterly"
TITLE = "县级季度复核报告(控辍保学)"
SCHOOL_KEYS = (
    "in_school",
    "attendance_rate",
    "flagged",
    "confirmed",
    "cleared",
    "returned",
    "closed",
    "cases_active",
    "verifications_overdue_open",
)
GROUP_KEYS = ("population", "in_school", "suspected", "confirmed", "cases_active", "returned")


def schools(tree: Tree, county: str) -> Table:
    """各校情况: one row per school, with a chart of suspects, confirmations and returns per school."""
    chart = Chart("各校疑似、确认辍学与劝返复学人数", "name", ("flagged", "confirmed", "returned"))
    rows = region_rows(tree, tree.below(county), SCHOOL_KEYS)
    return Table("schools", "各校情况", region_columns("学校", SCHOOL_KEYS), rows, chart)


def verification(figs: Figures) -> Table:
    """核实进度: flagged, verifying, confirmed, cleared by reason, timeliness."""
    rows = items(figs, ("flagged", "suspected", "verifying", "confirmed", "cleared")) + cleared_items(figs)
    rows += items(figs, ("verified_on_time", "verified_late", "verifications_overdue", "verification_on_time_rate"))
    return indicator_table("verification", "疑似辍学核实进度", rows)


def cases(figs: Figures) -> Table:
    """劝返进度: opened, open, back, returned, closed, reopened, return rate, open cases by escalation level."""
    keys = ("cases_opened", "cases_open", "cases_back", "returned", "closed", "reopened", "cases_active", "return_rate")
    return indicator_table("cases", "辍学学生劝返进度", items(figs, keys) + level_items(figs))


def overdue(figs: Figures) -> Table:
    """逾期事项: verifications past their deadline, legal orders past theirs, schools not submitting attendance."""
    keys = ("verifications_overdue_open", "orders_overdue", "schools_not_submitting")
    return indicator_table("overdue", "逾期事项", items(figs, keys))


def _dim_row(figs: Figures, dim: str, key: str, label: str) -> Row:
    row: dict[str, Cell] = {"group": key, "label": label}
    row.update({k: value(figs, dim_key(k, dim)) for k in GROUP_KEYS})
    return row


def groups(figs: Figures) -> Table:
    """重点人群: each priority group's children, suspects, confirmations, cases and returns, then any group."""
    rows = [_dim_row(figs, f"g:{g}", g, label) for g, label in GROUP_LABELS.items()]
    rows.append(_dim_row(figs, "priority", "priority", "重点人群合计"))
    columns = (Column("label", "重点人群", "text"), *figure_columns(GROUP_KEYS))
    return Table("priority_groups", "重点人群", columns, tuple(rows))


def poverty(figs: Figures) -> Table:
    """脱贫家庭: the same figures for children of poverty-alleviated households."""
    columns = (Column("label", "类别", "text"), *figure_columns(GROUP_KEYS))
    return Table("poverty", "脱贫家庭学生", columns, (_dim_row(figs, "poverty", "poverty", "脱贫家庭"),))


def build(county: str, tree: Tree, period: Period, generated_at: datetime) -> Report:
    """The county's quarterly review from its figures and its schools'."""
    figs = tree.of(county)
    sections = (
        schools(tree, county),
        verification(figs),
        cases(figs),
        overdue(figs),
        groups(figs),
        poverty(figs),
        consistency.table(figs),
    )
    return Report(KIND, TITLE, county, tree.name(county), period, generated_at, sections)

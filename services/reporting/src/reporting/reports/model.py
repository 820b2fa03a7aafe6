"""A report as plain data: a title, sections of tables with Chinese headers, and the charts people look at.

Pure: the builders (one module per report) make a `Report` from figures; `render` writes it as JSON,
CSV or XLSX. A cell is a count, a rate (0..1), text, or None (no figure: shown as "—").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from reporting.domain.periods import Period

Cell = int | float | str | None
Row = Mapping[str, Cell]
Kind = Literal["text", "int", "rate", "days", "row"]
"""How a column's cells are shown; `row`: as the row's own `kind` says (indicator tables mix counts and rates)."""
MISSING = "—"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its English key (JSON), its Chinese header and how its cells are shown."""

    key: str
    label: str
    kind: Kind = "int"


@dataclass(frozen=True, slots=True)
class Chart:
    """A native spreadsheet chart of a table: one series per value column, by the category column's rows."""

    title: str
    category: str
    values: tuple[str, ...]
    kind: Literal["column", "bar"] = "column"
    target: tuple[str, float] | None = None
    """A target line drawn across the bars: (its label, its value), for rates."""


@dataclass(frozen=True, slots=True)
class Table:
    """One section of a report: a table (one XLSX sheet, one CSV block)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    chart: Chart | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A periodic report of one region (or school) over one period."""

    kind: str
    title: str
    region_code: str
    region_name: str
    period: Period
    generated_at: datetime
    sections: tuple[Table, ...]
    due_date: date | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        """The download's Chinese name without extension, e.g. `南湖区_县级季度复核_2026-Q1`."""
        return f"{self.region_name}_{self.title.split('(')[0]}_{self.period.label}"

    @property
    def ascii_filename(self) -> str:
        """The download's ASCII fallback name without extension, e.g. `330402_county-quarterly_2026-Q1`."""
        return f"{self.region_code}_{self.kind}_{self.period.label}"


def indicator_table(key: str, title: str, items: Sequence[tuple[str, str, Cell, Kind]]) -> Table:
    """A two-column table (指标, 数值) of (key, label, value, kind) items; `kind` says how each value is shown."""
    columns = (Column("indicator", "指标", "text"), Column("value", "数值", "row"))
    rows = tuple({"key": k, "indicator": label, "value": value, "kind": kind} for k, label, value, kind in items)
    return Table(key, title, columns, rows)


def rate_met(value: Cell, target: float) -> str | None:
    """达标 / 未达标 against a target rate; None when there is no rate."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return "达标" if value >= target - 1e-12 else "未达标"


def change(now: Cell, before: Cell) -> Cell:
    """now − before when both are numbers, else None."""
    if isinstance(now, int | float) and isinstance(before, int | float):
        return now - before
    return None

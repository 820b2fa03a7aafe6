"""A report as JSON (English keys, Chinese labels), CSV (UTF-8, BOM, Chinese headers) or XLSX (a sheet per section)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Literal

import xlsxwriter  # type: ignore[import-untyped]
from baoxue_common.sheets import BOM, guard_cell

from reporting.reports.model import MISSING, Cell, Column, Report, Row, Table

Format = Literal["json", "csv", "xlsx"]
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _kind(column: Column, row: Row) -> str:
    return str(row.get("kind", "text")) if column.kind == "row" else column.kind


def cell_text(value: Cell, kind: str) -> str:
    """A cell as people read it: "—" for no figure, a rate as a percentage, text guarded against formulas."""
    if value is None:
        return MISSING
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind == "rate":
            return f"{value * 100:.2f}%"
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    return guard_cell(str(value))


def meta_lines(report: Report) -> list[list[str]]:
    """The title lines every CSV and the cover sheet start with."""
    p = report.period
    lines = [
        [report.title],
        ["地区", report.region_name, "代码", report.region_code],
        ["统计周期", p.label, f"{p.start.isoformat()} 至 {p.end.isoformat()}"],
    ]
    if report.due_date is not None:
        lines.append(["报送截止日期", report.due_date.isoformat()])
    lines.append(["生成时间", report.generated_at.isoformat(timespec="seconds")])
    lines += [["说明", note] for note in report.notes]
    return [[guard_cell(c) for c in line] for line in lines]


def to_json(report: Report) -> dict[str, Any]:
    """The report for machines: English keys, `labels` in Chinese, region names beside codes."""
    p = report.period
    return {
        "report": report.kind,
        "title": report.title,
        "region_code": report.region_code,
        "region_name": report.region_name,
        "period": {"label": p.label, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "due_date": report.due_date.isoformat() if report.due_date else None,
        "generated_at": report.generated_at.isoformat(),
        "notes": list(report.notes),
        "sections": {
            t.key: {"title": t.title, "columns": [c.key for c in t.columns], "rows": [dict(r) for r in t.rows]}
            for t in report.sections
        },
        "labels": {
            "sections": {t.key: t.title for t in report.sections},
            "columns": {c.key: c.label for t in report.sections for c in t.columns},
        },
    }


def to_csv(report: Report) -> bytes:
    """UTF-8 with a BOM (Excel reads the Chinese): the title lines, then each section's title, headers and rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(meta_lines(report))
    for table in report.sections:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([c.label for c in table.columns])
        writer.writerows([cell_text(r.get(c.key), _kind(c, r)) for c in table.columns] for r in table.rows)
    return (BOM + buffer.getvalue()).encode()


def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = _SHEET_BAD.sub("_", title)[:28]
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


class _Book:
    """An XLSX workbook in memory with the formats a report uses."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self.book = xlsxwriter.Workbook(
            buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.bold = self.book.add_format({"bold": True})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.rate = self.book.add_format({"num_format": "0.00%"})
        self.days = self.book.add_format({"num_format": "0.0"})
        self.used: set[str] = set()

    def write(self, sheet: Any, row: int, col: int, value: Cell, kind: str) -> None:
        """One cell: numbers as numbers (rates formatted as percentages), "—" for no figure."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            fmt = self.rate if kind == "rate" else self.days if kind == "days" else None
            sheet.write_number(row, col, value, fmt)
        else:
            sheet.write_string(row, col, cell_text(value, kind))

    def cover(self, report: Report) -> None:
        """The first sheet: title, region, period, due date, when generated, notes."""
        sheet = self.book.add_worksheet(sheet_name("报告信息", self.used))
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 3, 24)
        for i, line in enumerate(meta_lines(report)):
            sheet.write_row(i, 0, line, self.title if i == 0 else None)

    def section(self, report: Report, table: Table) -> None:
        """A sheet per section: title, Chinese headers, rows, and the table's chart below it."""
        sheet = self.book.add_worksheet(sheet_name(table.title, self.used))
        sheet.write_string(0, 0, report.title, self.title)
        sheet.write_string(
            1, 0, f"{report.region_name}({report.region_code}) {report.period.label} {table.title}", self.bold
        )
        sheet.write_row(3, 0, [c.label for c in table.columns], self.header)
        sheet.set_column(0, len(table.columns), 14)
        sheet.set_column(0, 0, 22)
        for i, row in enumerate(table.rows, start=4):
            for j, column in enumerate(table.columns):
                self.write(sheet, i, j, row.get(column.key), _kind(column, row))
        sheet.freeze_panes(4, 1)
        if table.chart is not None and table.rows:
            self.chart(sheet, table)

    def chart(self, sheet: Any, table: Table) -> None:
        """A native chart: a series per value column by the category column, a target line where given."""
        spec = table.chart
        assert spec is not None
        keys = [c.key for c in table.columns]
        first, last = 4, 3 + len(table.rows)
        cat = keys.index(spec.category)
        chart = self.book.add_chart({"type": spec.kind})
        for key in spec.values:
            col = keys.index(key)
            chart.add_series(
                {
                    "name": [sheet.name, 3, col],
                    "categories": [sheet.name, first, cat, last, cat],
                    "values": [sheet.name, first, col, last, col],
                }
            )
        rates = all(table.columns[keys.index(k)].kind == "rate" for k in spec.values)
        if spec.target is not None and spec.kind == "column":
            col = len(keys) + 1  # a helper column right of the table, one blank column apart
            sheet.write_string(3, col, spec.target[0], self.header)
            for i in range(first, last + 1):
                sheet.write_number(i, col, spec.target[1], self.rate)
            line = self.book.add_chart({"type": "line"})
            line.add_series(
                {
                    "name": [sheet.name, 3, col],
                    "categories": [sheet.name, first, cat, last, cat],
                    "values": [sheet.name, first, col, last, col],
                    "line": {"color": "red", "dash_type": "dash"},
                }
            )
            chart.combine(line)
        chart.set_title({"name": spec.title})
        (chart.set_x_axis if spec.kind == "bar" else chart.set_y_axis)({"num_format": "0%" if rates else "0"})
        chart.set_size({"width": 720, "height": 360})
        sheet.insert_chart(last + 2, 0, chart)


def to_xlsx(report: Report) -> bytes:
    """The workbook: a cover sheet, then a sheet per section with Chinese headers and its chart."""
    buffer = io.BytesIO()
    book = _Book(buffer)
    book.cover(report)
    for table in report.sections:
        book.section(report, table)
    book.book.close()
    return buffer.getvalue()

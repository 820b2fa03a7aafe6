"""Uploaded CSV/XLSX sheets read into rows of text by column key, and the blank templates the pages offer."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from console.domain.uploads import COLUMNS, EXAMPLES, MAX_ROWS, REQUIRED, Kind, Row

MAX_BYTES = 8 * 1024 * 1024


class SheetError(ValueError):
    """A file that cannot be read as the template (the message says why, in Chinese)."""


def read_sheet(kind: Kind, filename: str, data: bytes) -> list[Row]:
    """The non-empty rows of the first sheet, numbered as the spreadsheet shows them (the header is row 1)."""
    if not data:
        raise SheetError("文件是空的，请选择填好的模板文件")
    if len(data) > MAX_BYTES:
        raise SheetError(f"文件过大（上限 {MAX_BYTES // 1024 // 1024} MB）")
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise SheetError("只能上传 .csv 或 .xlsx 文件（请使用页面提供的模板）")
    header = next(table, None)
    if header is None:
        raise SheetError("文件中没有内容")
    keys = _columns(kind, header)
    rows: list[Row] = []
    for number, cells in enumerate(table, start=2):
        if not any(cells):
            continue
        rows.append((number, {key: cells[i] if i < len(cells) else "" for i, key in keys.items()}))
        if len(rows) > MAX_ROWS[kind]:
            raise SheetError(f"一次最多上传 {MAX_ROWS[kind]} 行")
    if not rows:
        raise SheetError("文件中只有表头，没有数据行")
    return rows


def _columns(kind: Kind, header: list[str]) -> dict[int, str]:
    """Column index → key, from the header (Chinese headers or the API's keys); SheetError for missing ones."""
    by_name = {label: key for key, label in COLUMNS[kind]} | {key: key for key, _ in COLUMNS[kind]}
    keys = {i: by_name[h] for i, h in enumerate(header) if h in by_name}
    missing = [label for key, label in COLUMNS[kind] if key in REQUIRED[kind] and key not in keys.values()]
    if missing:
        raise SheetError("表头缺少这些列：" + "、".join(missing) + "（请使用页面提供的模板）")
    return keys


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise SheetError("无法读取这个 XLSX 文件（文件可能已损坏，或不是 Excel 2007 以后的格式）") from exc
    try:
        rows = [[_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    return iter(rows)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("无法识别文件的字符编码（请保存为 UTF-8 的 CSV）")
    return ([c.strip() for c in row] for row in csv.reader(io.StringIO(text)))


def template(kind: Kind, fmt: str) -> bytes:
    """The blank template with its header and one example row (CSV in UTF-8 with BOM, so Excel reads Chinese)."""
    header = [label for _, label in COLUMNS[kind]]
    example = list(EXAMPLES[kind])
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([header, example])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    return _xlsx([header, example])


def _xlsx(rows: Iterable[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "模板"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        sheet.column_dimensions[cell.column_letter].width = 20
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"  # text: an 18-digit ID number typed over the example keeps its digits
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

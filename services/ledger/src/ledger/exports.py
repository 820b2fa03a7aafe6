"""Ledger exports: CSV streamed batch by batch, XLSX built in a temporary file then streamed; every export logged."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, BinaryIO

import xlsxwriter  # type: ignore[import-untyped]
from baoxue_common.auth import Principal
from baoxue_common.errors import Forbidden
from baoxue_common.sheets import attachment
from baoxue_common.uow import UnitOfWorkFactory

from ledger.adapters import history
from ledger.adapters import ledger_queries as q
from ledger.domain.exports import LedgerSpec, export_row, headers
from ledger.domain.ledgers import LEDGER_LABELS

CHUNK = 256 * 1024
SHEET_NAMES = {"school_age": "适龄儿童台账", "suspected": "疑似辍学学生台账", "dropouts": "辍学学生台账"}
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def ensure_clear_allowed(principal: Principal, county_code: str) -> None:
    """A clear export (student numbers unmasked) only for the county's own region token or admin."""
    if principal.kind == "admin" or principal.scope == f"region:{county_code}":
        return
    raise Forbidden(
        f"a clear export of county {county_code}'s ledger is for a region:{county_code} or admin token, "
        f"not {principal.scope}: ask without clear=true for student numbers masked"
    )


def disposition(ledger: str, county_code: str, fmt: str, as_of: date | None) -> str:
    """Content-Disposition with an ASCII fallback and the Chinese name (RFC 5987 filename*)."""
    day = f"_{as_of.isoformat()}" if as_of else ""
    name = f"{county_code}_{LEDGER_LABELS[ledger]}{day}.{fmt}"
    fallback = f"{county_code}_{ledger}{day}.{fmt}"
    return attachment(name, fallback)


async def log_export(
    uows: UnitOfWorkFactory,
    principal: Principal,
    ledger: str,
    spec: LedgerSpec,
    county_code: str,
    f: q.Filters,
    detail: dict[str, Any],
) -> int:
    """Count the rows the export will hold and record the export in the access log (before any byte is sent)."""
    async with uows() as uow:
        rows = await q.count(uow.session, spec, county_code, f)
        await history.log_read(
            uow.session,
            actor=principal.actor,
            scope=principal.scope,
            action="ledger_export",
            county_code=county_code,
            subject=ledger,
            detail={**detail, "rows": rows},
        )
        await uow.commit()
    return rows


async def csv_chunks(
    uows: UnitOfWorkFactory, spec: LedgerSpec, county_code: str, f: q.Filters, sort: str | None, clear: bool
) -> AsyncIterator[bytes]:
    """The CSV, UTF-8 with a BOM so Excel reads the Chinese, one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(spec))
    yield ("\ufeff" + buffer.getvalue()).encode()
    async with uows() as uow:
        async for batch in q.stream(uow.session, spec, county_code, f, sort):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(export_row(spec, row, clear=clear) for row in batch)
            yield buffer.getvalue().encode()


def _write_rows(sheet: Any, first: int, rows: list[list[str]]) -> None:
    for offset, cells in enumerate(rows):
        sheet.write_row(first + offset, 0, cells)


async def build_xlsx(
    uows: UnitOfWorkFactory, spec: LedgerSpec, county_code: str, f: q.Filters, sort: str | None, clear: bool
) -> str:
    """Write the XLSX to a temporary file row batch by row batch (constant memory); return its path."""
    handle, path = tempfile.mkstemp(prefix="ledger-", suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        sheet = book.add_worksheet(SHEET_NAMES[spec.key])
        sheet.write_row(0, 0, headers(spec), book.add_format({"bold": True}))
        written = 1
        async with uows() as uow:
            async for batch in q.stream(uow.session, spec, county_code, f, sort):
                cells = [export_row(spec, row, clear=clear) for row in batch]
                await asyncio.to_thread(_write_rows, sheet, written, cells)
                written += len(cells)
        await asyncio.to_thread(book.close)
    except BaseException:
        os.unlink(path)
        raise
    return path


def opened_and_unlinked(path: str) -> BinaryIO:
    """The file opened for reading and its name removed at once: nothing is left behind, whatever the client does."""
    file = open(path, "rb")  # noqa: SIM115 - closed by file_chunks (or when collected, if the body never starts)
    os.unlink(path)
    return file


async def file_chunks(file: BinaryIO) -> AsyncIterator[bytes]:
    """A file in chunks, closed once sent (or when the client goes away)."""
    with file:
        while chunk := file.read(CHUNK):
            yield chunk

"""What every CSV/XLSX download shares: the BOM, the formula guard and a Chinese-safe Content-Disposition."""

from __future__ import annotations

from urllib.parse import quote

BOM = "\ufeff"
"""Written first in a CSV so Excel reads it as UTF-8 (the Chinese shows)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def guard_cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a leading `'` before = + - @ tab or CR)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def attachment(name: str, fallback: str) -> str:
    """Content-Disposition with an ASCII fallback name and the Chinese one (RFC 5987 filename*)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"

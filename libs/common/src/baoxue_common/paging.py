"""Offset paging, as every list endpoint answers it (`total`, `limit`, `offset`, `next_offset`)."""

from __future__ import annotations


def next_offset(offset: int, shown: int, total: int) -> int | None:
    """The offset of the next page, or None when the `shown` rows from `offset` reach the `total`."""
    return offset + shown if offset + shown < total else None

"""Server-sent events of a region's published figures: history from `stats_changes`, then each new version.

Event ids are `<period>:<version>` (e.g. `2026-Q4:7`): a client reconnecting with `Last-Event-ID` gets
every version of that period after it, then follows. A bare version number is read as one of the
period streamed. Without `Last-Event-ID` the stream starts with the latest published version.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reporting.adapters.orm import stats_changes

Version = tuple[int, dict[str, Any], datetime]
"""A published version: number, figures, when."""
POLL_S = 0.25  # how often a stream looks for new versions
HEARTBEAT_S = 15.0  # a comment line this often keeps proxies from closing an idle stream
RETRY_MS = 2000  # how long a browser's EventSource waits before reconnecting


@dataclass(frozen=True, slots=True)
class Subject:
    """What one stream follows: a region's figures over one period, and how to shape each version."""

    region_code: str
    period: str
    shape: Callable[[Version], dict[str, object]]


def resume_after(last_event_id: str | None, period: str) -> int | None:
    """The version a `Last-Event-ID` names in this period (0: all of it; None: no header); ValueError if malformed."""
    if last_event_id is None or not last_event_id.strip():
        return None
    label, _, version = last_event_id.strip().rpartition(":")
    if not version.isascii() or not version.isdigit() or len(version) > 18:
        raise ValueError(f"Last-Event-ID is <period>:<version> as this stream sends it, got {last_event_id!r}")
    return int(version) if label in ("", period) else 0  # another period's id: send this one from its start


def frame(event_id: str, data: dict[str, object]) -> str:
    """One SSE event: id, type `stats` and the JSON on one data line."""
    return f"id: {event_id}\nevent: stats\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def _latest(engine: AsyncEngine, s: Subject) -> int:
    c = stats_changes.c
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.max(c.version)).where(c.region_code == s.region_code, c.period == s.period)
        )
    return int(found or 0)


async def _after(engine: AsyncEngine, s: Subject, version: int) -> list[Version]:
    c = stats_changes.c
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(c.version, c.figures, c.published_at)
            .where(c.region_code == s.region_code, c.period == s.period, c.version > version)
            .order_by(c.version)
            .limit(500)
        )
        return [(int(r.version), dict(r.figures), r.published_at) for r in rows]


async def events(engine: AsyncEngine, s: Subject, after: int | None, closing: Callable[[], bool]) -> AsyncIterator[str]:
    """The stream: versions after `after` (None: from the latest), then new ones; ends when `closing()`."""
    yield f"retry: {RETRY_MS}\n\n"
    last = max(0, await _latest(engine, s) - 1) if after is None else after
    beat = time.monotonic() + HEARTBEAT_S
    while not closing():
        for row in await _after(engine, s, last):
            last = row[0]
            yield frame(f"{s.period}:{last}", s.shape(row))
            beat = time.monotonic() + HEARTBEAT_S
        if time.monotonic() >= beat:
            yield ": heartbeat\n\n"
            beat = time.monotonic() + HEARTBEAT_S
        await asyncio.sleep(POLL_S)

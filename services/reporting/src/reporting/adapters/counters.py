"""Counters (计数) per region and month: set-based upserts of deltas, and sums over a period."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from opentelemetry import propagate
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.orm import counters, stats_marks
from reporting.domain.metrics import STOCKS, Delta, Key, sorted_deltas
from reporting.domain.periods import Period

Counts = dict[Key, int]
"""(metric, dim) → value over a period: stocks at its end, flows within it."""


def _unnest(columns: Sequence[tuple[str, sa.types.TypeEngine[Any]]]) -> sa.Select[Any]:
    """Rows of parallel array parameters, one array per column (bound by name: one statement, compiled once)."""
    return sa.select(*(sa.func.unnest(sa.cast(sa.bindparam(n), sa.ARRAY(t))).label(n) for n, t in columns))


_ADD_COLUMNS = ("region_code", "month", "metric", "dim", "n")
_add_rows = insert(counters).from_select(
    list(_ADD_COLUMNS),
    _unnest(
        [
            ("region_code", sa.Text()),
            ("month", sa.Date()),
            ("metric", sa.Text()),
            ("dim", sa.Text()),
            ("n", sa.BigInteger()),
        ]
    ),
)
_ADD = _add_rows.on_conflict_do_update(
    index_elements=[counters.c.region_code, counters.c.metric, counters.c.dim, counters.c.month],
    set_={"n": counters.c.n + _add_rows.excluded.n},
)
_MARK = sa.text(
    f"INSERT INTO {stats_marks.fullname} (region_code, period, tier, trace)"
    " SELECT r, p, t, CAST(:trace AS jsonb)"
    " FROM unnest(CAST(:region_code AS text[]), CAST(:period AS text[]), CAST(:tier AS text[])) AS u(r, p, t)"
)


async def add(session: AsyncSession, moved: Counter[Delta]) -> None:
    """Add the deltas to their counters in one statement, rows taken in key order (no deadlock between replicas)."""
    if not moved:
        return
    items = sorted_deltas(moved)
    columns = zip(*((*key, n) for key, n in items), strict=True)
    await session.execute(_ADD, dict(zip(_ADD_COLUMNS, (list(c) for c in columns), strict=True)))


async def read(session: AsyncSession, regions: Sequence[str], period: Period) -> dict[str, Counts]:
    """Each region's counts over a period: stocks summed up to its last month, flows over its months."""
    c = counters.c
    stock = sa.func.sum(c.n)
    flow = sa.func.sum(c.n).filter(c.month >= period.first_month)
    rows = await session.execute(
        sa.select(c.region_code, c.metric, c.dim, stock.label("stock"), flow.label("flow"))
        .where(c.region_code.in_(list(regions)), c.month <= period.last_month)
        .group_by(c.region_code, c.metric, c.dim)
    )
    out: dict[str, Counts] = {region: {} for region in regions}
    for r in rows:
        value = r.stock if r.metric in STOCKS else (r.flow or 0)
        if value:
            out[r.region_code][(r.metric, r.dim)] = int(value)
    return out


async def mark_dirty(session: AsyncSession, keys: Iterable[tuple[str, str, str]]) -> None:
    """Mark (region, period, tier) figures as changed; the publisher recomputes them.

    A mark is a plain insert (no row shared with the publisher or another writer, so nothing waits),
    carrying the current trace context: the publication continues the change's trace.
    """
    ordered = sorted(set(keys))
    if not ordered:
        return
    trace: dict[str, str] = {}
    propagate.inject(trace)
    regions, periods, tiers = (list(c) for c in zip(*ordered, strict=True))
    await session.execute(
        _MARK, {"region_code": regions, "period": periods, "tier": tiers, "trace": json.dumps(trace) if trace else None}
    )

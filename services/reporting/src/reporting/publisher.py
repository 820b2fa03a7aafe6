"""The stats publisher: takes marked figures, recomputes them from committed counters and publishes each version.

Writers only insert marks (`stats_marks`), so they never wait for the publisher. One pass is one
transaction under an advisory lock (one publisher of the schema at a time, whatever the replicas):
it deletes the committed marks it takes, recomputes those figures (after the delete, so from counters
that hold every change whose mark it took), stores them in `region_stats` with `version + 1`, keeps
the version in `stats_changes` (the SSE history) and writes a `RegionStatsUpdated` to the outbox,
keyed by region and period. A mark not yet committed is taken by a later pass.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import sqlalchemy as sa
from baoxue_common.db import is_unavailable
from baoxue_common.regions import NATIONAL
from baoxue_common.supervision import Stoppable
from baoxue_common.uow import UnitOfWork, UnitOfWorkFactory
from baoxue_contracts.events.reporting import RegionStatsUpdated
from baoxue_contracts.topics import Tier, stats_key
from opentelemetry import context, propagate
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.orm import region_stats, stats_changes, stats_marks
from reporting.adapters.read import many_figures as region_figures_of
from reporting.adapters.read import region_labels, school_counties
from reporting.domain.indicators import Figure
from reporting.domain.periods import CADENCE, parse_period, period_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    """One version of a region's figures, as written to `stats_changes` and the stats topic."""

    region_code: str
    tier: Tier
    period: str
    version: int
    figures: dict[str, Figure]
    as_of: datetime
    region_name: str


def event_of(p: Published) -> RegionStatsUpdated:
    """The stats event of a published version; figures without a value (a rate over 0) are left out."""
    return RegionStatsUpdated(
        region_code=p.region_code,
        tier=p.tier,
        period=p.period,
        figures={k: v for k, v in p.figures.items() if v is not None},
        as_of=p.as_of,
        version=p.version,
        region_name=p.region_name,
    )


Mark = tuple[str, str, str, dict[str, str] | None]
"""(region, period, tier, trace) of figures to publish."""


def publisher_lock_key() -> int:
    """The advisory-lock key that lets one publisher of the schema work at a time (versions stay in order)."""
    return zlib.crc32(b"baoxue-stats-publisher:reporting")


async def take_marks(session: AsyncSession, limit: int) -> tuple[list[Mark], bool]:
    """Delete and return the committed marks of the keys among the `limit` oldest marks, one per key.

    Each key keeps its latest change's trace. The flag says whether `limit` marks were there (more may wait).
    """
    m = stats_marks.c
    oldest = (await session.execute(sa.select(m.region_code, m.period).order_by(m.id).limit(limit))).all()
    keys = sorted({(r.region_code, r.period) for r in oldest})
    if not keys:
        return [], False
    rows = await session.execute(
        sa.delete(stats_marks)
        .where(sa.tuple_(m.region_code, m.period).in_(keys))
        .returning(m.id, m.region_code, m.period, m.tier, m.trace)
    )
    latest: dict[tuple[str, str], tuple[int, Mark]] = {}
    for r in rows:
        key = (r.region_code, r.period)
        if key not in latest or r.id > latest[key][0]:
            latest[key] = (r.id, (r.region_code, r.period, r.tier, r.trace))
    return [mark for _, mark in sorted(latest.values())], len(oldest) == limit


async def publish_marks(uow: UnitOfWork, marks: Sequence[Mark], today: date, now: datetime) -> list[Published]:
    """Recompute the marked figures (one read per period), record their next versions and emit their events."""
    session = uow.session
    by_period: dict[tuple[str, str], list[str]] = {}
    for region, label, tier, _ in marks:
        by_period.setdefault((tier, label), []).append(region)
    computed: dict[tuple[str, str], dict[str, Figure]] = {}
    for (tier, label), regions in by_period.items():
        period = parse_period(CADENCE[cast(Tier, tier)], label)
        for region, values in (await region_figures_of(session, regions, period, today)).items():
            computed[(region, label)] = values
    names = await region_labels(session, [region for region, *_ in marks])
    versions = await _next_versions(session, [(r, p, t, computed[(r, p)]) for r, p, t, _ in marks], now)
    await session.execute(
        sa.insert(stats_changes),
        [
            {
                "region_code": r,
                "period": p,
                "version": versions[(r, p)],
                "figures": computed[(r, p)],
                "published_at": now,
            }
            for r, p, _, _ in marks
        ],
    )
    counties = await school_counties(session, [r for r, _, t, _ in marks if t == "school"])
    done = []
    for region, label, tier, trace in marks:
        published = Published(
            region, cast(Tier, tier), label, versions[(region, label)], computed[(region, label)], now, names[region]
        )
        # The envelope names a 6-digit region: a school's county (the nation while the school is not registered).
        envelope_region = counties.get(region, NATIONAL) if tier == "school" else region
        token = context.attach(propagate.extract(trace or {}))  # the event joins the trace of its change
        try:
            uow.emit(event_of(published), region=envelope_region, occurred_at=now, key=stats_key(region, label))
        finally:
            context.detach(token)
        done.append(published)
    return done


async def _next_versions(
    session: AsyncSession, rows: Sequence[tuple[str, str, str, dict[str, Figure]]], now: datetime
) -> dict[tuple[str, str], int]:
    """Store each region's new figures with its version + 1 (1 for a first publication); return the versions."""
    stmt = insert(region_stats).values(
        [
            {"region_code": r, "period": p, "tier": t, "version": 1, "figures": f, "updated_at": now}
            for r, p, t, f in rows
        ]
    )
    s = region_stats.c
    stmt = stmt.on_conflict_do_update(
        index_elements=[s.region_code, s.period],
        set_={"version": s.version + 1, "figures": stmt.excluded.figures, "updated_at": stmt.excluded.updated_at},
    )
    result = await session.execute(stmt.returning(s.region_code, s.period, s.version))
    return {(r.region_code, r.period): int(r.version) for r in result}


async def publish_dirty(uow_factory: UnitOfWorkFactory, today: date, limit: int) -> tuple[list[Published], bool]:
    """One pass: take marked figures, recompute, publish and commit them; what was published, and whether more wait.

    Only one publisher of the schema works at a time (an advisory lock), so each key's versions are in order.
    """
    try:
        return await _pass(uow_factory, today, limit, one_by_one=False)
    except Exception as exc:
        if is_unavailable(exc):
            raise
        log.warning("stats publisher: a pass failed (%r); publishing its figures one by one", exc)
        return await _pass(uow_factory, today, limit, one_by_one=True)


async def _pass(
    uow_factory: UnitOfWorkFactory, today: date, limit: int, *, one_by_one: bool
) -> tuple[list[Published], bool]:
    async with uow_factory() as uow:
        if not await uow.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(publisher_lock_key()))):
            return [], False
        marks, more = await take_marks(uow.session, limit)
        now = datetime.now(UTC)
        if not one_by_one:
            done = await publish_marks(uow, marks, today, now) if marks else []
        else:
            done = []
            for mark in marks:
                try:
                    async with uow.session.begin_nested():
                        done += await publish_marks(uow, [mark], today, now)
                except Exception as exc:
                    if is_unavailable(exc):
                        raise
                    # Dropped, not retried for ever: the figures are published again with the region's next change.
                    log.error("stats publisher: figures of %s %s not published: %r", mark[0], mark[1], exc)
        await uow.commit()
    return done, more


class StatsPublisher(Stoppable):
    """Publishes changed figures every interval (`stats_publish_interval_ms`), batch after batch while busy."""

    def __init__(
        self, uow: UnitOfWorkFactory, today: Callable[[], date], *, interval_s: float = 0.2, batch_size: int = 200
    ) -> None:
        super().__init__()
        self._uow = uow
        self._today = today
        self._interval_s = interval_s
        self._batch_size = batch_size
        self.published = 0

    async def run(self) -> None:
        """Publish until stopped; a failed pass is logged and tried again after the interval."""
        while not self.stopping:
            try:
                done, more = await publish_dirty(self._uow, self._today(), self._batch_size)
            except Exception as exc:
                log.warning("stats publisher: pass failed, retrying: %r", exc)
                done, more = [], False
            self.published += len(done)
            if not more:
                await self._sleep_unless_stopped(self._interval_s)


async def refresh_current(uow_factory: UnitOfWorkFactory, day: date) -> int:
    """Mark every region's current-period figures changed, once a day: some move with the days alone.

    Overdue orders and schools that did not submit change with no event; returns how many were marked.
    """
    marked = 0
    async with uow_factory() as uow:
        s = region_stats.c
        for tier, kind in CADENCE.items():
            current = sa.select(s.region_code, s.period, s.tier).where(
                s.tier == tier, s.period == period_of(kind, day).label
            )
            result = await uow.session.execute(
                sa.insert(stats_marks).from_select(["region_code", "period", "tier"], current)
            )
            marked += cast(Any, result).rowcount or 0
        await uow.commit()
    return marked

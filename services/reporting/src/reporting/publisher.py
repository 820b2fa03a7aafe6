"""The stats publisher: claims changed figures, recomputes them from committed counters and publishes each version.

One pass is one transaction: dirty `region_stats` rows are claimed `FOR UPDATE SKIP LOCKED` (so replicas
share the work and never publish one row twice at once), their figures recomputed, the row marked clean
with `version + 1`, the version kept in `stats_changes` (the SSE history) and a `RegionStatsUpdated`
written to the outbox, keyed by region and period. A writer that marks the row dirty again waits for
the claim's lock and so is published by a later pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.orm import region_stats, stats_changes
from reporting.adapters.read import region_figures, region_label, school_county
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


async def claim_dirty(session: AsyncSession, limit: int) -> list[tuple[str, str, str, dict[str, str] | None]]:
    """Lock up to `limit` dirty rows no other publisher holds: (region, period, tier, trace), in key order."""
    s = region_stats.c
    rows = await session.execute(
        sa.select(s.region_code, s.period, s.tier, s.trace)
        .where(s.dirty)
        .order_by(s.region_code, s.period)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(r.region_code, r.period, r.tier, r.trace) for r in rows]


async def publish_row(
    uow: UnitOfWork, region: str, period_label: str, tier: str, today: date, now: datetime
) -> Published:
    """Recompute one claimed row, mark it clean with its next version, record it and emit its event."""
    session = uow.session
    period = parse_period(CADENCE[cast(Tier, tier)], period_label)
    current = await region_figures(session, region, period, today)
    s = region_stats.c
    version = await session.scalar(
        sa.update(region_stats)
        .where(s.region_code == region, s.period == period_label)
        .values(dirty=False, version=s.version + 1, figures=current, updated_at=now)
        .returning(s.version)
    )
    assert version is not None  # the row is locked by this transaction
    await session.execute(
        sa.insert(stats_changes).values(
            region_code=region, period=period_label, version=version, figures=current, published_at=now
        )
    )
    published = Published(
        region, cast(Tier, tier), period_label, int(version), current, now, await region_label(session, region)
    )
    # The envelope names a 6-digit region: a school's county (the nation while the school is not registered).
    envelope_region = (await school_county(session, region) or NATIONAL) if tier == "school" else region
    uow.emit(event_of(published), region=envelope_region, occurred_at=now, key=stats_key(region, period_label))
    return published


async def publish_dirty(uow_factory: UnitOfWorkFactory, today: date, limit: int) -> list[Published]:
    """One pass: claim, recompute, publish and commit up to `limit` changed figures; return what was published."""
    async with uow_factory() as uow:
        claimed = await claim_dirty(uow.session, limit)
        now = datetime.now(UTC)
        done = []
        for region, period, tier, trace in claimed:
            token = context.attach(propagate.extract(trace or {}))  # the event joins the trace of its change
            try:
                async with uow.session.begin_nested():  # a row that fails stays dirty; the others go out
                    done.append(await publish_row(uow, region, period, tier, today, now))
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                log.error("stats publisher: figures of %s %s not published: %r", region, period, exc)
            finally:
                context.detach(token)
        await uow.commit()
    return done


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
                done = await publish_dirty(self._uow, self._today(), self._batch_size)
            except Exception as exc:
                log.warning("stats publisher: pass failed, retrying: %r", exc)
                done = []
            self.published += len(done)
            if len(done) < self._batch_size:
                await self._sleep_unless_stopped(self._interval_s)


def figures_json(values: Mapping[str, Any]) -> dict[str, Figure]:
    """Figures read back from a JSONB column."""
    return {str(k): v for k, v in values.items()}


async def refresh_current(uow_factory: UnitOfWorkFactory, day: date) -> int:
    """Mark every region's current-period figures changed, once a day: some move with the days alone.

    Overdue orders and schools that did not submit change with no event; returns how many rows were marked.
    """
    marked = 0
    async with uow_factory() as uow:
        s = region_stats.c
        for tier, kind in CADENCE.items():
            result = await uow.session.execute(
                sa.update(region_stats)
                .where(s.tier == tier, s.period == period_of(kind, day).label, ~s.dirty)
                .values(dirty=True)
            )
            marked += cast(Any, result).rowcount or 0
        await uow.commit()
    return marked

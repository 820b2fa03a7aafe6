"""Retention: prune the plumbing rows nothing needs any more, in small batches, never a row still owed.

Published outbox rows and inbox rows older than the retention age go (the inbox only has to outlive
any redelivery: keep the age well above the longest consumer outage you would replay), and so do
revocations of tokens that expired over a day ago. Unpublished and parked outbox rows are never touched.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from baoxue_common.metrics import PlumbingMetrics
from baoxue_common.supervision import Stoppable
from baoxue_common.tables import CommonTables

log = logging.getLogger(__name__)


def _delete_batch(table: sa.Table, condition: str) -> sa.TextClause:
    """Delete up to :limit rows matching `condition`, found by ctid (one short transaction per batch)."""
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    return sa.text(
        f"DELETE FROM {name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {name} WHERE {condition} LIMIT :limit))"
    )


class Retention(Stoppable):
    """Prunes one schema's outbox, inbox and revoked tokens every interval until stopped."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: CommonTables,
        *,
        max_age: timedelta = timedelta(days=7),
        interval_s: float = 3600,
        batch_size: int = 5000,
        metrics: PlumbingMetrics | None = None,
    ) -> None:
        super().__init__()
        self._engine = engine
        self._max_age = max_age
        self._interval_s = interval_s
        self._batch_size = batch_size
        self.metrics = metrics or PlumbingMetrics()
        # published_at IS NULL (unpublished or parked) never compares below the cut-off.
        self._plan = (
            (tables.outbox, _delete_batch(tables.outbox, "published_at < now() - CAST(:age AS interval)")),
            (tables.inbox, _delete_batch(tables.inbox, "applied_at < now() - CAST(:age AS interval)")),
            # a day's margin: a server whose clock lags must not accept a token whose revocation is gone
            (tables.revoked_tokens, _delete_batch(tables.revoked_tokens, "expires_at < now() - interval '1 day'")),
        )

    async def run(self) -> None:
        """Prune now and then every interval; a failed pass (database down) is logged and retried next time."""
        while not self._stopping.is_set():
            try:
                pruned = await self.prune()
                if any(pruned.values()):
                    log.info("retention: pruned %s", ", ".join(f"{n} {t}" for t, n in pruned.items() if n))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("retention: pass failed (%r); next one in %.0fs", exc, self._interval_s)
            await self._sleep_unless_stopped(self._interval_s)

    async def prune(self) -> dict[str, int]:
        """One pass over the three tables; return the rows deleted per table."""
        pruned: dict[str, int] = {}
        for table, statement in self._plan:
            pruned[table.name] = 0
            while not self._stopping.is_set():
                async with self._engine.begin() as conn:
                    result = await conn.execute(statement, {"age": self._max_age, "limit": self._batch_size})
                deleted = result.rowcount or 0
                pruned[table.name] += deleted
                self.metrics.pruned(table.name, deleted)
                if deleted < self._batch_size:
                    break
        return pruned

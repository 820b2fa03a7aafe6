"""Unit of work: one database transaction that holds a state change, its events and its inbox marks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from baoxue_contracts import Envelope, Event, encode
from opentelemetry import propagate
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from baoxue_common.tables import CommonTables


@dataclass
class UnitOfWorkFactory:
    """Makes units of work bound to one service's schema and outbox."""

    sessions: async_sessionmaker[AsyncSession]
    tables: CommonTables
    producer: str
    on_commit: Callable[[], None] | None = None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self)


class UnitOfWork:
    """A transaction; events emitted in it reach the outbox only if it commits."""

    def __init__(self, factory: UnitOfWorkFactory) -> None:
        self._factory = factory
        self._outbox_rows: list[dict[str, Any]] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside `async with`)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._factory.sessions()
        self._outbox_rows = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self.session, None
        try:
            await session.rollback()
        finally:
            await session.close()

    def emit(
        self,
        event: Event,
        *,
        region: str,
        occurred_at: datetime,
        school_code: str | None = None,
        subject_id: str | None = None,
        key: str | None = None,
    ) -> Envelope:
        """Queue an event for the outbox; it is written with the transaction, keyed by region unless told."""
        envelope = Envelope.wrap(
            event,
            producer=self._factory.producer,
            region=region,
            occurred_at=occurred_at,
            school_code=school_code,
            subject_id=subject_id,
            recorded_at=datetime.now(UTC),
        )
        headers: dict[str, str] = {}
        propagate.inject(headers)
        self._outbox_rows.append(
            {
                "event_id": envelope.event_id,
                "topic": event.destination(),
                "key": key or region,
                "value": encode(envelope),
                "headers": headers,
            }
        )
        return envelope

    async def claim(self, deliveries: Sequence[tuple[Envelope, str, int, int]]) -> set[UUID]:
        """Record event ids in the inbox in one statement; return those not applied before (the ones to apply now)."""
        if not deliveries:
            return set()
        columns = list(zip(*((env.event_id, env.event_type, t, p, o) for env, t, p, o in deliveries), strict=True))
        params = dict(zip(_CLAIM_PARAMS, (list(c) for c in columns), strict=True))
        return set((await self.session.scalars(_claim_statement(self._factory.tables.inbox), params)).all())

    async def commit(self) -> None:
        """Write queued events to the outbox and commit everything at once, in commit order per key.

        Outbox ids are taken at INSERT and the relay publishes in id order, so two transactions of one
        key that insert in one order and commit in the other would reach the topic out of commit order
        (a consumer, or compaction, would then keep the older state). So the outbox rows are inserted
        under an advisory lock per key, held until the transaction ends: a second transaction of the
        key waits at its INSERT until the first has committed, and ids of one key follow commit order.
        """
        emitted = bool(self._outbox_rows)
        if emitted:
            outbox = self._factory.tables.outbox
            await lock_outbox_keys(self.session, outbox.schema or "public", {r["key"] for r in self._outbox_rows})
            await self.session.execute(sa.insert(outbox), self._outbox_rows)
            self._outbox_rows = []
        await self.session.commit()
        if emitted and self._factory.on_commit is not None:
            self._factory.on_commit()

    async def rollback(self) -> None:
        """Drop the transaction and the events queued in it."""
        self._outbox_rows = []
        await self.session.rollback()


MAX_KEY_LOCKS = 32
"""Above this many distinct keys a transaction takes the schema's order lock exclusively instead."""

_LOCK_KEYS = sa.text(
    "SELECT CASE WHEN t.n = 1 THEN pg_advisory_xact_lock_shared(hashtextextended(t.name, 0))"
    " ELSE pg_advisory_xact_lock(hashtextextended(t.name, 0)) END"
    " FROM unnest(CAST(:names AS text[])) WITH ORDINALITY AS t(name, n)"
)
_LOCK_ALL = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


async def lock_outbox_keys(session: AsyncSession, schema: str, keys: set[str]) -> None:
    """Take the per-key order locks for the rest of the transaction, in one statement.

    Every writer holds the schema's order lock shared and its keys exclusively, in sorted order (two
    writers never wait on each other in a cycle). A transaction with more than MAX_KEY_LOCKS keys
    (a big batch) takes the schema's lock exclusively instead, which orders it against every key
    without filling PostgreSQL's lock table.
    """
    namespace = f"baoxue-outbox-order:{schema}"
    if len(keys) > MAX_KEY_LOCKS:
        await session.execute(_LOCK_ALL, {"name": namespace})
        return
    names = [namespace, *(f"{namespace}:{key}" for key in sorted(keys))]
    await session.execute(_LOCK_KEYS, {"names": names})


_CLAIM_PARAMS = ("event_ids", "event_types", "topics", "partitions", "offsets")


@functools.cache
def _claim_statement(inbox: sa.Table) -> sa.Insert:
    """`INSERT INTO inbox SELECT * FROM unnest(<five arrays>) ON CONFLICT DO NOTHING RETURNING event_id`."""
    arrays = [
        sa.cast(sa.bindparam("event_ids"), ARRAY(PG_UUID(as_uuid=True))),
        sa.cast(sa.bindparam("event_types"), ARRAY(sa.Text)),
        sa.cast(sa.bindparam("topics"), ARRAY(sa.Text)),
        sa.cast(sa.bindparam("partitions"), ARRAY(sa.Integer)),
        sa.cast(sa.bindparam("offsets"), ARRAY(sa.BigInteger)),
    ]
    names = ["event_id", "event_type", "topic", "partition", "offset"]
    rows = sa.func.unnest(*arrays).table_valued(*names).render_derived(name="claimed")
    return (
        insert(inbox)
        .from_select(names, sa.select(*(rows.c[n] for n in names)))
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )

"""Two reporting replicas on one database, one consumer group, fed ledger changes of two counties at once: once
they settle, the national, city and county figures (GET and the last event per key on the stats topics) are the
hand-computed totals: no update is lost between replicas."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import Broker, ensure_database, free_port
from baoxue_common.kafka import ensure_topics, make_producer
from baoxue_common.migrations import migrate_async
from baoxue_common.regions import region_covers
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.settings import get_settings
from baoxue_common.uow import UnitOfWorkFactory
from baoxue_contracts import Envelope, encode
from baoxue_contracts.events.ledger import EntrySnapshot, LedgerEntryChanged
from baoxue_contracts.topics import LEDGER, stats_key
from reporting.adapters import counters, orm
from reporting.bootstrap import SPEC, bootstrap
from reporting.entrypoints.app import create_app
from reporting.publisher import publish_dirty, refresh_current

from tests.integration.conftest import DATA, Stack
from tests.integration.stats_support import StatsTopics, legacy, suspect_added, today
from tests.integration.support import eventually, scalar

COUNTIES = {"340102": "3401020001", "340103": "3401030001"}  # 瑶海区, 庐阳区 of 合肥市
REGIONS = ["340102", "340103", "340100", "340000", "000000"]
ADDED_PER_COUNTY = 150
CLEARED_PER_COUNTY = 30


@dataclasses.dataclass
class Fed:
    """What the test sent: each open entry's county and breakdowns, for the hand-computed totals."""

    open: dict[uuid.UUID, tuple[str, bool, bool]] = dataclasses.field(default_factory=dict)

    def totals(self, region: str) -> dict[str, int]:
        """The three figures of a region from the entries still open."""
        mine = [v for v in self.open.values() if region_covers(region, v[0])]
        return {
            "suspected": len(mine),
            "suspected_priority": sum(1 for _, p, _ in mine if p),
            "suspected_poverty": sum(1 for _, _, v in mine if v),
        }


def cleared(county: str, entry: uuid.UUID, priority: bool, poverty: bool) -> Envelope:
    """The suspicion of an open entry cleared: it leaves the open suspects."""
    groups = ("left_behind",) if priority else ()
    event = LedgerEntryChanged(
        ledger="suspected",
        entry_id=entry,
        change="updated",
        county_code=county,
        school_code=COUNTIES[county],
        status="cleared",
        previous_status="pending",
        source="attendance",
        groups=groups,
        poverty_household=poverty,
        changed_on=today(),
        reason="attendance_corrected",
        before=EntrySnapshot(
            school_code=COUNTIES[county],
            status="pending",
            groups=groups,
            poverty_household=poverty,
            source="attendance",
        ),
    )
    return Envelope.wrap(event, producer="ledger", region=county, occurred_at=datetime.now(UTC))


@pytest.fixture
async def own_broker() -> AsyncIterator[str]:
    """A broker of the test's own: the stack's services publish ledger and national figures meanwhile."""
    broker = await Broker(free_port(), DATA / "logs" / "replicas-broker.log").start()
    try:
        yield broker.bootstrap
    finally:
        broker.kill()


@pytest.fixture
async def replicas(
    stack: Stack, own_broker: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[list[httpx.AsyncClient], str, str, str]]:
    """Two reporting runtimes in this process on a database and a broker of their own, in one consumer group."""
    url = await ensure_database(stack.database_url, f"baoxue_replicas_{os.getpid()}", fresh=True)
    env = {**stack.env, "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": own_broker}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    await migrate_async(SPEC, url)
    spec = dataclasses.replace(SPEC, name=f"reporting-replicas-{uuid.uuid4().hex[:8]}")
    settings = stack.settings(
        database_url=url, kafka_bootstrap_servers=own_broker, relay_idle_poll_ms=50, stats_publish_batch=7
    )
    await ensure_topics(settings)
    runtimes: list[ServiceRuntime] = [await bootstrap(settings, spec=spec) for _ in range(2)]
    clients = []
    for runtime in runtimes:
        app = create_app()
        app.state.runtime = runtime
        await runtime.start()
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting"))
    try:
        yield clients, url, spec.name, own_broker
    finally:
        for client in clients:
            await client.aclose()
        await asyncio.gather(*(runtime.stop() for runtime in runtimes))
        get_settings.cache_clear()


async def test_two_replicas_publish_the_exact_national_totals(
    stack: Stack, replicas: tuple[list[httpx.AsyncClient], str, str, str]
) -> None:
    clients, url, producer_name, bootstrap = replicas
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    topics = await StatsTopics(bootstrap, producer_name).start()
    producer = make_producer(stack.settings(kafka_bootstrap_servers=bootstrap), client_id="test-reporting-replicas")
    await producer.start()
    fed, rng = Fed(), random.Random(15)
    try:
        partitions = len(await producer.partitions_for(LEDGER))

        async def send(envelopes: list[tuple[uuid.UUID, Envelope]]) -> None:
            # Spread over every partition (an entry's changes stay in one), so both replicas apply changes at once.
            futures = [
                await producer.send(LEDGER, encode(e), key=e.region.encode(), partition=entry.int % partitions)
                for entry, e in envelopes
            ]
            await asyncio.gather(*futures)

        async def feed(county: str) -> None:
            added: list[tuple[uuid.UUID, bool, bool]] = []
            for _ in range(ADDED_PER_COUNTY):
                entry, priority, poverty = uuid.uuid4(), rng.random() < 0.4, rng.random() < 0.3
                fed.open[entry] = (county, priority, poverty)
                added.append((entry, priority, poverty))
            school = COUNTIES[county]
            await send(
                [(e, suspect_added(county, school, priority=p, poverty=v, day=today(), entry=e)) for e, p, v in added]
            )
            for entry, _, _ in added[:CLEARED_PER_COUNTY]:
                del fed.open[entry]
            await send([(e, cleared(county, e, p, v)) for e, p, v in added[:CLEARED_PER_COUNTY]])

        await asyncio.gather(*(feed(county) for county in COUNTIES))

        async def settled() -> bool:
            dirty = await scalar(url, "SELECT count(*) FROM reporting.stats_marks")
            pending = await scalar(url, "SELECT count(*) FROM reporting.outbox WHERE published_at IS NULL")
            if dirty or pending:
                return False
            for i, region in enumerate(REGIONS):
                r = await clients[i % 2].get(f"/v1/stats/{region}", headers=admin)
                assert r.status_code == 200, r.text
                body = r.json()
                if legacy(body["figures"]) != fed.totals(region) or body["version"] < 1 or body["pending"]:
                    return False  # not yet applied, or applied but not yet published
            return True

        await eventually(settled, timeout_s=120)
        for region in REGIONS:
            for client in clients:
                body: dict[str, Any] = (await client.get(f"/v1/stats/{region}", headers=admin)).json()
                assert legacy(body["figures"]) == fed.totals(region), region
                stored = await scalar(url, "SELECT count(*) FROM reporting.region_stats")
                assert body["version"] >= 1, (region, body["period"], stored)
            key = stats_key(region, body["period"])
            await topics.until(
                lambda r=region, v=body["version"]: any(e.region_code == r and e.version == v for e in topics.events)
            )
            ours = [e for e in topics.of(region) if stats_key(e.region_code, e.period) == key]
            last = max(ours, key=lambda e: e.version)
            assert last.version == body["version"]
            assert legacy(last.figures) == fed.totals(region), region
    finally:
        await producer.stop()
        await topics.stop()


async def test_one_publisher_at_a_time_publishes_each_mark_once(stack: Stack) -> None:
    url = await ensure_database(stack.database_url, f"baoxue_claims_{os.getpid()}", fresh=True)
    await migrate_async(SPEC, url)
    engine = make_engine(url, application_name="test-claims")
    sessions = make_sessionmaker(engine)
    uow = UnitOfWorkFactory(sessions, orm.common, "reporting")
    keys = [(f"33010{i}", "2026-Q4", "county") for i in range(2, 7)]
    try:
        async with sessions() as session:
            await counters.mark_dirty(session, keys)
            await counters.mark_dirty(session, keys[:2])  # a second change of two of them, before publication
            await session.commit()
        passes = await asyncio.gather(*(publish_dirty(uow, date(2026, 11, 20), 100) for _ in range(3)))
        published = sorted((p.region_code, p.version) for done, _ in passes for p in done)
        assert published == [(code, 1) for code, _, _ in keys], "each figure once, by whichever pass held the lock"
        assert await scalar(url, "SELECT count(*) FROM reporting.stats_marks") == 0
        assert await scalar(url, "SELECT count(*) FROM reporting.outbox") == len(keys)
        async with sessions() as session:
            await counters.mark_dirty(session, keys[:1])
            await session.commit()
        again, more = await publish_dirty(uow, date(2026, 11, 20), 100)
        assert not more
        assert [(p.region_code, p.version) for p in again] == [(keys[0][0], 2)]
    finally:
        await engine.dispose()


async def test_the_daily_refresh_marks_only_current_periods(stack: Stack) -> None:
    url = await ensure_database(stack.database_url, f"baoxue_refresh_{os.getpid()}", fresh=True)
    await migrate_async(SPEC, url)
    engine = make_engine(url, application_name="test-refresh")
    sessions = make_sessionmaker(engine)
    day = date(2026, 11, 20)
    current = [("330102", "2026-Q4", "county"), ("330100", "2026-S1", "city"), ("3301020001", "2026-11", "school")]
    past = [("330102", "2026-Q3", "county"), ("3301020001", "2026-10", "school")]
    uow = UnitOfWorkFactory(sessions, orm.common, "reporting")

    try:
        async with sessions() as session:
            await counters.mark_dirty(session, current + past)
            await session.commit()
        assert len((await publish_dirty(uow, day, 100))[0]) == len(current + past)
        assert await refresh_current(uow, day) == len(current)
        marked = await scalar(url, "SELECT count(*) FROM reporting.stats_marks")
        assert marked == len(current), "only the current periods' figures move with the days"
    finally:
        await engine.dispose()

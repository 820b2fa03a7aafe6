"""Helpers of the stats tests: ledger changes as the ledger publishes them, a stats-topic reader, an SSE reader."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from baoxue_contracts import ContractViolation, Envelope, decode
from baoxue_contracts.events.ledger import LedgerEntryChanged
from baoxue_contracts.topics import STATS_BY_TIER

LEGACY = ("suspected", "suspected_priority", "suspected_poverty")


def today() -> date:
    """The platform's local date (the services' clock)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def suspect_added(
    county: str, school: str, *, priority: bool, poverty: bool, day: date, entry: uuid.UUID | None = None
) -> Envelope:
    """A new open suspect in the suspected ledger, as the ledger's relay publishes it."""
    event = LedgerEntryChanged(
        ledger="suspected",
        entry_id=entry or uuid.uuid4(),
        change="added",
        county_code=county,
        school_code=school,
        status="pending",
        source="attendance",
        groups=("left_behind",) if priority else (),
        poverty_household=poverty,
        changed_on=day,
        flagged_on=day,
    )
    return Envelope.wrap(event, producer="ledger", region=county, occurred_at=datetime.now(UTC))


def legacy(figures: dict[str, Any]) -> dict[str, Any]:
    """The three figures these tests check (the service answers many more)."""
    return {k: figures.get(k, 0) for k in LEGACY}


class StatsTopics:
    """Reads RegionStatsUpdated from every stats topic, from where they ended when started, of one producer."""

    def __init__(self, bootstrap: str, producer: str) -> None:
        self._reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._producer = producer
        self.events: list[Any] = []  # in arrival order

    async def start(self) -> StatsTopics:
        """Assign every partition of the stats topics at their end."""
        await self._reader.start()
        await self._reader.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(set(STATS_BY_TIER.values()))
            for p in sorted(self._reader.partitions_for_topic(topic) or ())
        ]
        self._reader.assign(partitions)
        await self._reader.seek_to_end(*partitions)
        for tp in partitions:
            await self._reader.position(tp)  # resolve the end now, before anything is produced
        return self

    async def stop(self) -> None:
        """Leave the broker."""
        await self._reader.stop()

    async def poll(self) -> None:
        """Read what arrived."""
        for records in (await self._reader.getmany(timeout_ms=200)).values():
            for r in records:
                try:
                    envelope, event = decode(r.value)
                except ContractViolation:
                    continue
                if envelope.event_type == "RegionStatsUpdated" and envelope.producer == self._producer:
                    self.events.append(event)

    def of(self, region: str) -> list[Any]:
        """The events of one region, in arrival order."""
        return [e for e in self.events if e.region_code == region]

    async def until_count(self, region: str, n: int) -> None:
        """Read until a region has `n` events."""
        await self.until(lambda: len(self.of(region)) >= n)

    async def until(self, check: Callable[[], bool], timeout_s: float = 60) -> None:
        """Read until `check()` holds."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not check():
            assert asyncio.get_running_loop().time() < deadline, f"stats topics: timed out; saw {self.events}"
            await self.poll()


async def sse_events(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """The events of a server-sent event stream: each a dict of its fields (comments skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if "data" in fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


class SseReader:
    """Collects a stream's `stats` events in a background task."""

    def __init__(self, response: httpx.Response) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._task = asyncio.create_task(self._read(response))

    async def _read(self, response: httpx.Response) -> None:
        async for fields in sse_events(response):
            if fields.get("event") == "stats":
                await self.queue.put((fields["id"], json.loads(fields["data"])))

    async def next(self, timeout_s: float = 60) -> tuple[str, dict[str, Any]]:
        """The next event: its id and data."""
        return await asyncio.wait_for(self.queue.get(), timeout_s)

    async def close(self) -> None:
        """Stop reading."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

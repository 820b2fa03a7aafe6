"""A county's own system follows its figures: one RegionStatsUpdated and one SSE event per ledger change, in
order, rolled up to the city and province; a reconnect with Last-Event-ID gets exactly what it missed."""

from __future__ import annotations

from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_contracts.topics import LEDGER

from tests.integration.conftest import Stack
from tests.integration.stats_support import SseReader, StatsTopics, legacy, suspect_added, today
from tests.integration.support import eventually, produce

COUNTY, OTHER_COUNTY, CITY, PROVINCE = "330102", "330105", "330100", "330000"  # 上城区, 拱墅区 of 杭州市
SCHOOL, OTHER_SCHOOL = "3301020001", "3301050001"
# (county, priority group, poverty household) of each new suspect, in the order they arrive.
CHANGES = [(COUNTY, True, False), (COUNTY, False, True), (OTHER_COUNTY, True, True), (COUNTY, True, True)]
MISSED = [(COUNTY, False, False), (COUNTY, True, False)]
AFTER = (COUNTY, False, True)


def expected(changes: list[tuple[str, bool, bool]], county: str | None) -> dict[str, int]:
    """The three figures of a county (None: all of them) after some changes."""
    mine = [c for c in changes if county is None or c[0] == county]
    return {
        "suspected": len(mine),
        "suspected_priority": sum(1 for _, p, _ in mine if p),
        "suspected_poverty": sum(1 for _, _, v in mine if v),
    }


async def test_a_county_follows_its_topic_and_stream_and_resumes_where_it_left(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    reporting = services["reporting"].url
    token = {"Authorization": f"Bearer {stack.token(f'region:{COUNTY}')}"}
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    producer = make_producer(stack.settings(), client_id="test-stats-stream")
    topics = await StatsTopics(stack.bootstrap, "reporting").start()
    await producer.start()
    seen: list[tuple[str, bool, bool]] = []
    try:
        async with httpx.AsyncClient(timeout=30) as http:

            async def stats(region: str) -> dict[str, Any]:
                r = await http.get(f"{reporting}/v1/stats/{region}", headers=admin)
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                return body

            province_before = legacy((await stats(PROVINCE))["figures"])

            async def change(item: tuple[str, bool, bool]) -> None:
                county, priority, poverty = item
                school = SCHOOL if county == COUNTY else OTHER_SCHOOL
                seen.append(item)
                await produce(
                    producer, LEDGER, [suspect_added(county, school, priority=priority, poverty=poverty, day=today())]
                )

            async with http.stream("GET", f"{reporting}/v1/stats/{COUNTY}/stream", headers=token) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                sse = SseReader(response)
                version = 0
                for item in CHANGES:
                    await change(item)
                    if item[0] != COUNTY:
                        await topics.until_count(OTHER_COUNTY, 1)
                        continue
                    version += 1
                    event_id, data = await sse.next()
                    period = data["period"]
                    assert event_id == f"{period}:{version}"
                    assert data["version"] == version and data["region_name"] == "上城区"
                    assert legacy(data["figures"]) == expected(seen, COUNTY)
                    await topics.until_count(COUNTY, version)
                await sse.close()

            # One event per change, in order, on the county's topic; the city sums its two counties.
            county_events = topics.of(COUNTY)
            assert [e.version for e in county_events] == [1, 2, 3]
            assert legacy(county_events[-1].figures) == expected(seen, COUNTY)
            assert {e.tier for e in county_events} == {"county"}
            await topics.until(
                lambda: legacy(topics.of(CITY)[-1].figures) == expected(seen, None) if topics.of(CITY) else False
            )
            city = await stats(CITY)
            assert legacy(city["figures"]) == expected(seen, None) and city["region_name"] == "杭州市"
            province_now = {k: province_before[k] + n for k, n in expected(seen, None).items()}
            await eventually(lambda: _equal(stats(PROVINCE), province_now))
            await topics.until(
                lambda: bool(topics.of(PROVINCE)) and legacy(topics.of(PROVINCE)[-1].figures) == province_now
            )

            # Two changes while disconnected: a reconnect from the last id gets exactly those, then follows.
            for item in MISSED:
                await change(item)
                await topics.until_count(COUNTY, len(topics.of(COUNTY)) + 1)
            resume = {**token, "Last-Event-ID": f"{period}:{version}"}
            async with http.stream("GET", f"{reporting}/v1/stats/{COUNTY}/stream", headers=resume) as response:
                sse = SseReader(response)
                got = [await sse.next(), await sse.next()]
                assert [i for i, _ in got] == [f"{period}:{version + 1}", f"{period}:{version + 2}"]
                assert legacy(got[-1][1]["figures"]) == expected(seen, COUNTY)
                await change(AFTER)
                event_id, data = await sse.next()
                assert event_id == f"{period}:{version + 3}"
                assert legacy(data["figures"]) == expected(seen, COUNTY)
                await sse.close()

            # Scope: the county's token cannot read its neighbour's stream or a bad period.
            r = await http.get(f"{reporting}/v1/stats/{OTHER_COUNTY}/stream", headers=token)
            assert r.status_code == 403
            r = await http.get(f"{reporting}/v1/stats/{COUNTY}", headers=token, params={"period": "2026-13"})
            assert r.status_code == 422
    finally:
        await producer.stop()
        await topics.stop()


async def _equal(answer: Any, want: dict[str, int]) -> bool:
    return legacy((await answer)["figures"]) == want

"""School calendars against the running services: publish, CalendarPublished once, 422s, scopes, inheritance."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_contracts import Envelope, decode
from baoxue_contracts.events.attendance import AbsenceRecorded, CalendarPublished
from baoxue_contracts.events.attendance import Term as TermPayload
from baoxue_contracts.topics import ATTENDANCE, DETECTION, REFERENCE

from tests.integration.conftest import Stack
from tests.integration.support import eventually, produce
from tests.integration.test_api_problems import assert_problem

# Regions and school years no other test uses, so their calendars and events are this file's alone.
COUNTY, CITY, PROVINCE = "130102", "130100", "130000"  # 长安区, 石家庄市, 河北省
YEAR = "2030-2031"


def calendar_body(year: str = YEAR, **changes: Any) -> dict[str, Any]:
    """Two terms, a holiday and a Saturday make-up day."""
    first, second = year.split("-")
    body: dict[str, Any] = {
        "school_year": year,
        "terms": [
            {"name": "秋季学期", "start": f"{first}-09-02", "end": f"{second}-01-17"},
            {"name": "春季学期", "start": f"{second}-02-24", "end": f"{second}-07-04"},
        ],
        "holidays": [f"{first}-10-01", f"{first}-10-02"],
        "makeup_days": [],
    }
    return body | changes


def bearer(stack: Stack, scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(scope)}"}


async def stored(database_url: str, region: str) -> tuple[int, int]:
    """(calendar rows, CalendarPublished outbox rows) of attendance-ingest for a region."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM attendance_ingest.calendars WHERE region_code = $1", region)
        events = await conn.fetchval(
            "SELECT count(*) FROM attendance_ingest.outbox WHERE key = $1 AND position('CalendarPublished' in"
            " convert_from(value, 'UTF8')) > 0",
            region,
        )
    finally:
        await conn.close()
    return int(rows), int(events)


async def published_events(bootstrap: str, region: str, year: str, *, settle_s: float = 2.0) -> list[Any]:
    """Every CalendarPublished for a region and year on the reference topic, read until it stays quiet."""
    consumer = AIOKafkaConsumer(
        REFERENCE,
        bootstrap_servers=bootstrap,
        group_id=f"calendar-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    found: list[Any] = []
    deadline, quiet_since = time.monotonic() + 30, time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for record in (r for rs in batch.values() for r in rs):
                envelope, event = decode(record.value)
                if envelope.event_type == "CalendarPublished" and (event.region_code, event.school_year) == (
                    region,
                    year,
                ):
                    found.append(event)
            if batch:
                quiet_since = time.monotonic()
            elif found and time.monotonic() - quiet_since > settle_s:
                break
    finally:
        await consumer.stop()
    return found


async def relayed(database_url: str) -> None:
    """Wait until attendance-ingest's outbox has published every row."""
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(150):
            if not await conn.fetchval(
                "SELECT count(*) FROM attendance_ingest.outbox WHERE published_at IS NULL AND parked_at IS NULL"
            ):
                return
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise AssertionError("the outbox did not drain")


async def test_publishing_a_calendar_emits_calendar_published_once(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    body = calendar_body(makeup_days=["2030-09-28"])  # a Saturday
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        first = await http.put(f"/v1/regions/{COUNTY}/calendar", headers=bearer(stack, "admin"), json=body)
        assert first.status_code == 200, first.text
        answer = first.json()
        assert answer["region_code"] == COUNTY and answer["region_name"] == "长安区"
        assert answer["changed"] is True
        assert answer["holidays"] == ["2030-10-01", "2030-10-02"] and answer["makeup_days"] == ["2030-09-28"]
        # Autumn 2 Sep 2030 – 17 Jan 2031: 100 weekdays; spring 24 Feb – 4 Jul 2031: 95; -2 holidays +1 make-up.
        assert answer["school_days"] == 100 + 95 - 2 + 1
        events = await published_events(stack.bootstrap, COUNTY, YEAR)
        assert len(events) == 1
        assert [str(d) for d in events[0].makeup_days] == ["2030-09-28"]
        assert [t.name for t in events[0].terms] == ["秋季学期", "春季学期"]

        again = await http.put(f"/v1/regions/{COUNTY}/calendar", headers=bearer(stack, "admin"), json=body)
        assert again.status_code == 200, again.text
        assert again.json()["changed"] is False and again.json()["school_days"] == answer["school_days"]
        assert await stored(stack.database_url, COUNTY) == (1, 1), "the identical PUT stored and emitted nothing"
        await relayed(stack.database_url)
        assert len(await published_events(stack.bootstrap, COUNTY, YEAR)) == 1


async def test_a_region_token_publishes_for_its_region_and_below_only(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    year = "2031-2032"
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        for scope, region in (
            (f"region:{PROVINCE}", PROVINCE),
            (f"region:{PROVINCE}", CITY),
            (f"region:{CITY}", COUNTY),
        ):
            answer = await http.put(
                f"/v1/regions/{region}/calendar", headers=bearer(stack, scope), json=calendar_body(year)
            )
            assert answer.status_code == 200, (scope, region, answer.text)
        before = await stored(stack.database_url, COUNTY)
        refused = [
            ("school:1301020001", COUNTY),
            ("region:120000", COUNTY),
            (f"region:{COUNTY}", CITY),
            ("region:130104", COUNTY),
        ]
        for scope, region in refused:
            body = calendar_body(year, holidays=[])
            assert_problem(
                await http.put(f"/v1/regions/{region}/calendar", headers=bearer(stack, scope), json=body), 403
            )
        assert await stored(stack.database_url, COUNTY) == before


async def test_bad_calendars_are_422s_naming_each_problem_and_store_nothing(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    region = "130105"  # 新华区: never receives a good calendar here
    bad_terms = [{"name": "a", "start": "2030-09-02", "end": "2031-01-17"}]
    cases: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
        (
            "990000",
            calendar_body(),
            [{"loc": ["path", "region_code"], "msg": "unknown region code"}],
        ),
        (
            region,
            calendar_body(terms=[{"name": "a", "start": "2030-07-01", "end": "2030-12-31"}]),
            [{"loc": ["body", "terms", 0], "msg": "a term of 2030-2031 must lie between 2030-08-01 and 2031-08-31"}],
        ),
        (
            region,
            calendar_body(terms=[*bad_terms, {"name": "b", "start": "2031-01-10", "end": "2031-06-30"}], holidays=[]),
            [{"loc": ["body", "terms", 1, "start"], "msg": "term 'b' overlaps term 'a'"}],
        ),
        (
            region,
            calendar_body(holidays=["2030-10-01", "2031-02-03"]),
            [{"loc": ["body", "holidays", 1], "msg": "holiday 2031-02-03 is outside every term"}],
        ),
        (
            region,
            # Listed out of order: the error points at the weekday's place in the body.
            calendar_body(makeup_days=["2030-10-12", "2030-09-30"]),
            [{"loc": ["body", "makeup_days", 1], "msg": "make-up day 2030-09-30 is a weekday, not a weekend day"}],
        ),
        (
            region,
            calendar_body(school_year="2030-2032"),
            [{"loc": ["body", "school_year"], "msg": "the second year must follow the first, e.g. 2026-2027"}],
        ),
    ]
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        for code, body, errors in cases:
            problem = assert_problem(
                await http.put(f"/v1/regions/{code}/calendar", headers=bearer(stack, "admin"), json=body), 422
            )
            assert problem["errors"] == errors, body
        for year in ("2030/2031", "30-31", "２０３０-２０３１"):
            problem = assert_problem(
                await http.put(
                    f"/v1/regions/{region}/calendar",
                    headers=bearer(stack, "admin"),
                    json=calendar_body(school_year=year),
                ),
                422,
            )
            assert [e["loc"] for e in problem["errors"]] == [["body", "school_year"]], year
    assert await stored(stack.database_url, region) == (0, 0)
    assert await stored(stack.database_url, "990000") == (0, 0)


async def test_a_school_reads_the_calendar_it_inherits_and_a_county_override_wins(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    admin = bearer(stack, "admin")
    school, other_school, county = "1301040001", "1301050001", "130104"  # schools of 桥西区 and 新华区
    year, earlier = "2033-2034", "2032-2033"
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        for code, where in ((school, county), (other_school, "130105")):
            registered = await http.put(
                f"/v1/schools/{code}", headers=admin, json={"name": "测试小学", "county_code": where, "kind": "primary"}
            )
            assert registered.status_code == 200, registered.text

        async def school_calendar(code: str, school_year: str, scope: str = "admin") -> httpx.Response:
            return await http.get(
                f"/v1/schools/{code}/calendar", params={"school_year": school_year}, headers=bearer(stack, scope)
            )

        assert_problem(await school_calendar(school, year), 404)
        counts = {}
        for school_year in (year, earlier):
            national = await http.put("/v1/regions/000000/calendar", headers=admin, json=calendar_body(school_year))
            assert national.status_code == 200, national.text
            counts[school_year] = national.json()["school_days"]
        seen = (await school_calendar(school, year)).json()
        assert (seen["region_code"], seen["region_name"], seen["school_code"], seen["county_code"]) == (
            "000000",
            "全国",
            school,
            county,
        )
        assert seen["school_days"] == counts[year] == 191

        province = await http.put(
            f"/v1/regions/{PROVINCE}/calendar", headers=admin, json=calendar_body(year, holidays=["2033-10-03"])
        )
        assert province.status_code == 200, province.text
        seen = (await school_calendar(school, year)).json()
        assert (seen["region_code"], seen["region_name"], seen["holidays"]) == (PROVINCE, "河北省", ["2033-10-03"])

        override = calendar_body(
            year,
            terms=[{"name": "全年", "start": "2033-08-15", "end": "2034-07-15"}],
            holidays=["2033-10-03", "2033-10-04"],
            makeup_days=["2033-10-08"],
        )
        published = await http.put(
            f"/v1/regions/{county}/calendar", headers=bearer(stack, f"region:{county}"), json=override
        )
        assert published.status_code == 200, published.text
        seen = (await school_calendar(school, year, f"school:{school}")).json()
        assert seen == {
            "region_code": county,
            "region_name": "桥西区",
            "school_year": year,
            "terms": [{"name": "全年", "start": "2033-08-15", "end": "2034-07-15"}],
            "holidays": ["2033-10-03", "2033-10-04"],
            "makeup_days": ["2033-10-08"],
            "school_days": published.json()["school_days"],
            "school_code": school,
            "county_code": county,
        }
        # The other year is still the nation's, and the neighbouring county still has the province's.
        assert (await school_calendar(school, earlier)).json()["region_code"] == "000000"
        assert (await school_calendar(other_school, year)).json()["region_code"] == PROVINCE

        own = await http.get(
            f"/v1/regions/{county}/calendar", params={"school_year": year}, headers=bearer(stack, f"region:{county}")
        )
        assert own.status_code == 200 and own.json()["makeup_days"] == ["2033-10-08"]
        assert "changed" not in own.json()
        above = await http.get(
            "/v1/regions/000000/calendar", params={"school_year": year}, headers=bearer(stack, f"region:{county}")
        )
        assert above.status_code == 200 and above.json()["region_name"] == "全国"
        assert (await school_calendar(school, year, f"region:{PROVINCE}")).status_code == 200
        assert (await school_calendar(school, year, "national")).status_code == 200

        # Refusals: other schools' and regions' tokens, unknown schools, no calendar, a malformed year.
        assert_problem(await school_calendar(school, year, f"school:{other_school}"), 403)
        assert_problem(await school_calendar(school, year, "region:120000"), 403)
        assert_problem(await school_calendar(school, year, "region:130105"), 403)
        assert_problem(await school_calendar("1301049999", year), 404)
        assert_problem(await school_calendar(school, "2040-2041"), 404)
        for scope in (f"school:{school}", "region:120000", "region:130105"):
            refused = await http.get(
                f"/v1/regions/{county}/calendar", params={"school_year": year}, headers=bearer(stack, scope)
            )
            assert_problem(refused, 403)
        missing = await http.get("/v1/regions/130105/calendar", params={"school_year": year}, headers=admin)
        assert_problem(missing, 404)
        problem = assert_problem(await school_calendar(school, "2033/2034"), 422)
        assert [e["loc"] for e in problem["errors"]] == [["query", "school_year"]]


async def verification_state(database_url: str, student_id: str) -> tuple[int, int, list[tuple[date, int]]]:
    """(absences stored, absences waiting for a calendar, (streak start, days) of warnings) of a pupil."""
    conn = await asyncpg.connect(database_url)
    try:
        absences = await conn.fetchval("SELECT count(*) FROM verification.absences WHERE student_id = $1", student_id)
        waiting = await conn.fetchval(
            "SELECT count(*) FROM verification.pending_absences WHERE student_id = $1", student_id
        )
        warnings = await conn.fetch(
            "SELECT streak_start, raised_on - streak_start AS span FROM verification.warnings WHERE student_id = $1",
            student_id,
        )
    finally:
        await conn.close()
    return int(absences), int(waiting), [(w["streak_start"], int(w["span"])) for w in warnings]


async def warnings_on_topic(bootstrap: str, student_id: str) -> list[Any]:
    """Every EarlyWarningRaised for a pupil on the detection topic."""
    consumer = AIOKafkaConsumer(
        DETECTION,
        bootstrap_servers=bootstrap,
        group_id=f"warning-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    try:
        quiet = 0
        while quiet < 6:
            batch = await consumer.getmany(timeout_ms=300)
            records = [r for rs in batch.values() for r in rs]
            quiet = 0 if records else quiet + 1
            for record in records:
                envelope, event = decode(record.value)
                if envelope.event_type == "EarlyWarningRaised" and envelope.subject_id == student_id:
                    found.append(event)
    finally:
        await consumer.stop()
    return found


async def test_absences_before_their_calendar_are_judged_when_it_arrives(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    county, school = "130181", "1301810001"  # 辛集市: no other test publishes a calendar for it
    student = f"L{uuid.uuid4().int % 10**15:015d}"
    thursday = date(2034, 9, 7)
    # Thursday, Friday and the Tuesday after: three school days in a row once Monday is a holiday.
    absent = [thursday, thursday + timedelta(days=1), thursday + timedelta(days=5)]
    first_week = [TermPayload(name="秋季学期", start=date(2034, 9, 4), end=date(2035, 1, 19))]

    def calendar(holidays: tuple[date, ...], recorded_at: datetime) -> Envelope:
        event = CalendarPublished(
            region_code=county, school_year="2034-2035", terms=tuple(first_week), holidays=holidays
        )
        return Envelope.wrap(
            event, producer="attendance-ingest", region=county, occurred_at=recorded_at, recorded_at=recorded_at
        )

    absences = [
        Envelope.wrap(
            AbsenceRecorded(
                student_id=student, school_code=school, date=day, status="absent_unexcused", batch_id=uuid.uuid4()
            ),
            producer="attendance-ingest",
            region=county,
            occurred_at=datetime.combine(day, datetime.min.time(), UTC),
        )
        for day in absent
    ]
    producer = make_producer(stack.settings(), client_id="calendar-test")
    await producer.start()
    try:
        await produce(producer, ATTENDANCE, absences)

        async def all_waiting() -> bool:
            return (await verification_state(stack.database_url, student))[:2] == (3, 3)

        await eventually(all_waiting)
        assert (await verification_state(stack.database_url, student))[2] == [], "no calendar yet: nothing judged"

        newer = datetime.now(UTC)
        await produce(producer, REFERENCE, [calendar((thursday + timedelta(days=4),), newer)])

        async def warned() -> list[tuple[date, int]]:
            state = await verification_state(stack.database_url, student)
            return state[2] if state[1] == 0 else []

        assert await eventually(warned) == [(thursday, 5)]
        on_topic = await warnings_on_topic(stack.bootstrap, student)
        assert [(w.raised_on, w.consecutive_unexcused_days) for w in on_topic] == [(absent[-1], 3)]

        # An older publication without the holiday arrives late: once applied, the newer calendar stays.
        late = calendar((), newer - timedelta(hours=1))
        await produce(producer, REFERENCE, [late])
        conn = await asyncpg.connect(stack.database_url)
        try:

            async def applied() -> bool:
                query = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"
                return bool(await conn.fetchval(query, late.event_id))

            await eventually(applied)
            holidays = await conn.fetchval(
                "SELECT holidays FROM verification.calendars WHERE region_code = $1 AND school_year = '2034-2035'",
                county,
            )
        finally:
            await conn.close()
        assert holidays == [thursday + timedelta(days=4)]
    finally:
        await producer.stop()

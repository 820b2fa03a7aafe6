"""A child's timeline gathers every source's events about the child, oldest first, with who did each; by student
number or ID number alike; a redelivery adds nothing; other counties and schools are refused; reads are logged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid5

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.pii import mask_national_id, national_id_hash
from baoxue_common.testing import national_id
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events.attendance import AbsenceRecorded, PresenceRecorded, StudentEnrolled
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    HouseholdChild,
    HouseholdRegisterChanged,
    SuspectedDropoutFlagged,
    VerificationAssigned,
)
from ledger.domain.ledgers import noon

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce, scalar

COUNTY, SCHOOL, OTHER_SCHOOL = "140122", "1401220001", "1401220002"  # 阳曲县, Taiyuan: no other test's county
OTHER_COUNTY, OTHER_COUNTY_SCHOOL = "140181", "1401810001"  # 古交市
NUMBER = national_id(COUNTY, BIRTH, 41)
PUPIL = "G" + NUMBER
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def at(days: int) -> datetime:
    return START + timedelta(days=days)


def wrap(event: Event, producer: str, days: int, event_id: uuid.UUID | None = None) -> Envelope:
    """An envelope as the producing service's relay would publish it, `days` after the start."""
    return Envelope.wrap(event, producer=producer, region=COUNTY, occurred_at=at(days), event_id=event_id)


def absence(days: int) -> AbsenceRecorded:
    return AbsenceRecorded(
        student_id=PUPIL,
        school_code=SCHOOL,
        date=at(days).date(),
        status="absent_unexcused",
        batch_id=uuid.uuid4(),
    )


async def test_a_childs_timeline_across_sources_scopes_and_read_log(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ledger = services["ledger"].url
    hashed = national_id_hash(stack.settings().pii_key, NUMBER)
    suspicion, found_in_field = uuid.uuid4(), uuid.uuid4()
    field = SuspectedDropoutFlagged(
        suspicion_id=found_in_field,
        source="field",
        county_code=COUNTY,
        flagged_on=at(0).date(),
        reason="a child of school age seen at home",
        national_id_hash=hashed,
    )
    household = HouseholdRegisterChanged(
        county_code=COUNTY,
        as_of=at(-1).date(),
        part=1,
        parts=1,
        children=(
            HouseholdChild(
                national_id_hash=hashed,
                masked_id=mask_national_id(NUMBER),
                gender="F",
                birth_date=BIRTH,
                hukou_county_code=COUNTY,
                residence_county_code=COUNTY,
            ),
        ),
        removed=("ef" * 32,),
    )
    enrolled = StudentEnrolled(
        student_id=PUPIL,
        school_code=SCHOOL,
        name="赵小红",
        gender="F",
        birth_date=BIRTH,
        grade=3,
        class_name="3(1)",
        hukou_county_code=COUNTY,
        residence_county_code=COUNTY,
        national_id_hash=hashed,
        enrolled_on=at(1).date(),
    )
    absences = [wrap(absence(d), "attendance-ingest", d) for d in (2, 3, 4)]
    flagged = SuspectedDropoutFlagged(
        suspicion_id=suspicion,
        source="attendance",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=PUPIL,
        flagged_on=at(5).date(),
        reason="3 consecutive unexcused school days",
        consecutive_unexcused_days=3,
    )
    check = {"verification_id": uuid.uuid4(), "suspicion_id": suspicion, "county_code": COUNTY, "school_code": SCHOOL}
    assigned = VerificationAssigned(
        **check, student_id=PUPIL, assigned_to="school", assigned_on=at(6).date(), due_on=at(13).date()
    )
    confirmed = DropoutConfirmed(
        **check, student_id=PUPIL, source="attendance", confirmed_on=at(7).date(), verified_by="李建国", cause="work"
    )
    producer = make_producer(stack.settings(), client_id="test-timeline")
    await producer.start()
    try:
        # Published out of their order in time, on four topics: the timeline orders them by when they happened.
        checks = [wrap(assigned, "verification", 6), wrap(confirmed, "verification", 7)]
        flags = [wrap(field, "verification", 0), wrap(flagged, "verification", 5)]
        register = wrap(household, "verification", -1)
        household_line = str(uuid5(register.event_id, hashed))  # one line per child the change names
        roll = [wrap(enrolled, "attendance-ingest", 1)]
        published = {str(e.event_id) for e in [*checks, *flags, *roll, *absences]}
        await produce(producer, confirmed.topic, [register, *checks])
        await produce(producer, flagged.topic, flags)
        await produce(producer, enrolled.topic, roll)
        await produce(producer, AbsenceRecorded.topic, absences)
        async with httpx.AsyncClient(timeout=10) as http:

            async def timeline(child: str, scope: str = f"region:{COUNTY}", **params: Any) -> httpx.Response:
                token = stack.token(scope, user="张敏")
                headers = {"Authorization": f"Bearer {token}"}
                return await http.get(f"{ledger}/v1/students/{child}/timeline", headers=headers, params=params)

            async def own_lines(child: str) -> list[dict[str, Any]]:
                r = await timeline(child)
                if r.status_code != 200:
                    return []
                # The test's own events: verification also reacts to the absences (an early warning, say).
                return [i for i in r.json()["items"] if i["event_id"] in published]

            await eventually(lambda: _has(own_lines(PUPIL), 7))
            lines = await own_lines(PUPIL)
            assert [(i["event_type"], i["actor"], i["producer"]) for i in lines] == [
                ("SuspectedDropoutFlagged", "system", "verification"),
                ("StudentEnrolled", f"school:{SCHOOL}", "attendance-ingest"),
                ("AbsenceRecorded", f"school:{SCHOOL}", "attendance-ingest"),
                ("AbsenceRecorded", f"school:{SCHOOL}", "attendance-ingest"),
                ("AbsenceRecorded", f"school:{SCHOOL}", "attendance-ingest"),
                ("SuspectedDropoutFlagged", "system", "verification"),
                ("VerificationAssigned", "system", "verification"),
                ("DropoutConfirmed", "李建国", "verification"),
            ]
            # Each line sits at noon of its payload's day, whenever it was sent.
            assert [datetime.fromisoformat(i["occurred_at"]) for i in lines] == [noon(at(d).date()) for d in range(8)]
            assert lines[0]["summary"] == {
                "suspicion_id": str(found_in_field),
                "source": "field",
                "flagged_on": str(at(0).date()),
                "reason": "a child of school age seen at home",
            }
            assert lines[0]["student"] is None, "the field line was recorded by ID hash, before the roll knew the child"
            assert [i["summary"]["date"] for i in lines[2:5]] == [str(at(d).date()) for d in (2, 3, 4)]
            assert lines[7]["summary"] | {"cause": "work", "confirmed_on": str(at(7).date())} == lines[7]["summary"]
            masked = "G" + mask_national_id(NUMBER)
            assert {i["student"] for i in lines[1:]} == {masked}
            body = (await timeline(PUPIL)).text
            assert NUMBER not in body and hashed not in body and "赵小红" not in body

            # The household register's line, by ID hash, comes first; it is the child's only one of that change.
            items = (await timeline(PUPIL)).json()["items"]
            assert [(i["event_id"], i["event_type"], i["actor"], i["student"]) for i in items[:1]] == [
                (household_line, "HouseholdRegisterChanged", None, None)
            ]
            assert items[0]["summary"] == {
                "register": "household",
                "as_of": str(at(-1).date()),
                "change": "added_or_changed",
                "hukou_county_code": COUNTY,
                "residence_county_code": COUNTY,
            }
            assert datetime.fromisoformat(items[0]["occurred_at"]) == noon(at(-1).date())
            assert sum(i["event_type"] == "HouseholdRegisterChanged" for i in items) == 1
            published.add(household_line)

            # By ID number: the same child, the same lines.
            assert await own_lines(NUMBER) == [items[0], *lines]
            assert await own_lines(NUMBER.lower()) == [items[0], *lines]

            # A redelivered absence adds nothing (the presence after it shows the redelivery was applied).
            presence = PresenceRecorded(
                student_id=PUPIL, school_code=SCHOOL, date=at(8).date(), status="present", batch_id=uuid.uuid4()
            )
            again = absences[1].model_copy()
            published.add(str(presence_id := uuid.uuid4()))
            await produce(producer, AbsenceRecorded.topic, [again, wrap(presence, "attendance-ingest", 8, presence_id)])
            await eventually(lambda: _has(own_lines(PUPIL), 9))
            after = await own_lines(PUPIL)
            expected = ["HouseholdRegisterChanged"] + [i["event_type"] for i in lines] + ["PresenceRecorded"]
            assert [i["event_type"] for i in after] == expected
            assert (
                await scalar(
                    stack.database_url, "SELECT count(*) FROM ledger.timeline WHERE event_id = $1", again.event_id
                )
                == 1
            )

            # Paged, oldest first.
            page = (await timeline(PUPIL, limit=3, offset=3)).json()
            assert (page["limit"], page["offset"], page["next_offset"]) == (3, 3, 6)
            assert [i["event_id"] for i in page["items"]] == [
                i["event_id"] for i in (await timeline(PUPIL)).json()["items"][3:6]
            ]

            # Scopes: another county's token, another school's token are refused; its own school sees its lines.
            logged = "SELECT count(*) FROM ledger.access_log WHERE subject = $1"
            before = await scalar(stack.database_url, logged, masked)
            for scope in (f"region:{OTHER_COUNTY}", f"school:{OTHER_SCHOOL}", f"school:{OTHER_COUNTY_SCHOOL}"):
                r = await timeline(PUPIL, scope)
                assert r.status_code == 403, (scope, r.text)
                assert r.json()["status"] == 403
            assert (await timeline(NUMBER, f"region:{OTHER_COUNTY}")).status_code == 403
            assert await scalar(stack.database_url, logged, masked) == before, "a refused read is not a read"
            r = await timeline(PUPIL, f"school:{SCHOOL}")
            assert r.status_code == 200, r.text
            school_lines = [i["event_type"] for i in r.json()["items"] if i["event_id"] in published]
            assert school_lines == [i["event_type"] for i in after[2:]], "the register and field lines name no school"
            for scope in ("region:140100", "region:140000", "national", "admin"):
                assert (await timeline(PUPIL, scope)).status_code == 200, scope

            # Bad ids: 422 with the reason, nothing logged; an unknown child: 404.
            for bad in ("G123", NUMBER[:-1] + ("1" if NUMBER[-1] == "0" else "0"), "12345"):
                r = await timeline(bad)
                assert r.status_code == 422, r.text
                assert r.json()["errors"][0]["loc"] == ["path", "child_id"]
            assert (await timeline("G" + national_id(COUNTY, BIRTH, 99))).status_code == 404
            assert await scalar(stack.database_url, logged, masked) == before + 5, "one line per successful read"

            # Two reads at once, by either number: both answered, both logged.
            pair = await asyncio.gather(timeline(PUPIL), timeline(NUMBER, "national"))
            assert [r.status_code for r in pair] == [200, 200]
            assert await scalar(stack.database_url, logged, masked) == before + 7

            # Every successful read is in the access log: who, with which scope, which child (masked).
            conn_rows = await _reads(stack.database_url)
            assert ("张敏", f"school:{SCHOOL}", "timeline", COUNTY, masked) in conn_rows
            assert ("张敏", f"region:{COUNTY}", "timeline", COUNTY, masked) in conn_rows
            assert all(NUMBER not in str(row) for row in conn_rows)
    finally:
        await producer.stop()


async def _has(lines: Any, count: int) -> bool:
    """Whether at least `count` + 1 lines are there."""
    return len(await lines) > count


async def _reads(database_url: str) -> list[tuple[str, ...]]:
    """The timeline reads of the test's county."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT actor, scope, action, county_code, subject FROM ledger.access_log WHERE county_code = $1", COUNTY
        )
        return [tuple(r) for r in rows]
    finally:
        await conn.close()

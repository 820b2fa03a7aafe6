"""The school-age children ledger follows rolls, the household register (through verification) and outcomes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.pii import national_id_hash
from baoxue_common.testing import national_id, student_id
from baoxue_contracts import Envelope, decode
from baoxue_contracts.base import Event
from baoxue_contracts.events.attendance import StudentEnrolled, StudentLeft
from baoxue_contracts.events.verification import SuspicionCleared

from tests.integration.conftest import Stack
from tests.integration.support import eventually, produce

SCHOOL_COUNTY, HOME = "140109", "140110"  # 太原 counties no other test uses
SCHOOL, OTHER_SCHOOL = "1401090001", "1401090002"
BORN = date(2016, 3, 1)  # of compulsory age for years to come
OLD = date(2005, 3, 1)  # past it
ENTRIES = "SELECT county_code, child_key, relations, status, on_roll, on_register FROM ledger.school_age "


async def rows(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def entries(stack: Stack, *keys: str) -> list[tuple[Any, ...]]:
    """A child's rows in every county, as (county, key, relations, status, on_roll, on_register)."""
    found = await rows(stack.database_url, ENTRIES + "WHERE child_key = ANY($1) ORDER BY 1, 2", list(keys))
    return [tuple(r) for r in found]


def hashed(stack: Stack, number: str) -> str:
    return national_id_hash(stack.settings().pii_key, number)


def child(number: str, born: date = BORN, hukou: str = HOME, residence: str = HOME) -> dict[str, Any]:
    return {
        "national_id": number,
        "name": "张三",
        "gender": "F",
        "birth_date": born.isoformat(),
        "hukou_county_code": hukou,
        "residence_county_code": residence,
    }


def enrolled(stack: Stack, sid: str, school: str, hukou: str, residence: str, grade: int = 3) -> StudentEnrolled:
    return StudentEnrolled(
        student_id=sid,
        school_code=school,
        name="李四",
        gender="M",
        birth_date=BORN,
        grade=grade,
        class_name="2",
        hukou_county_code=hukou,
        residence_county_code=residence,
        groups=("left_behind",),
        poverty_household=True,
        national_id_hash=hashed(stack, sid[1:]),
        enrolled_on=date.today() - timedelta(days=10),
    )


def wrap(event: Event, region: str, producer: str = "attendance-ingest") -> Envelope:
    return Envelope.wrap(event, producer=producer, region=region, occurred_at=datetime.now(UTC))


async def register_parts(stack: Stack, county: str) -> list[Any]:
    """The HouseholdRegisterChanged verification wrote for a county, oldest first."""
    found = []
    for r in await rows(stack.database_url, "SELECT value FROM verification.outbox ORDER BY id"):
        envelope, event = decode(bytes(r["value"]))
        if envelope.event_type == "HouseholdRegisterChanged" and event.county_code == county:
            found.append(event)
    return found


async def ledger_events(stack: Stack) -> list[Any]:
    """Every LedgerEntryChanged of the school-age ledger the ledger wrote, oldest first."""
    found = []
    for r in await rows(stack.database_url, "SELECT value FROM ledger.outbox ORDER BY id"):
        envelope, event = decode(bytes(r["value"]))
        if envelope.event_type == "LedgerEntryChanged" and event.ledger == "school_age":
            found.append(event)
    return found


async def changes_of(stack: Stack, *keys: str) -> int:
    """How many states of these children's school-age entries the ledger kept."""
    query = "SELECT count(*) FROM ledger.ledger_history WHERE ledger = 'school_age' AND row->>'child_key' = ANY($1)"
    return int((await rows(stack.database_url, query, list(keys)))[0][0])


async def test_the_household_register_feeds_the_ledger_with_only_what_changed(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    a, b, old, c = (national_id(HOME, born, n) for born, n in ((BORN, 301), (BORN, 302), (OLD, 303), (BORN, 304)))
    ha, hb, hold, hc = (hashed(stack, n) for n in (a, b, old, c))
    county = {"Authorization": f"Bearer {stack.token(f'region:{HOME}')}"}
    url = f"{services['verification'].url}/v1/counties/{HOME}/registries/household"
    first = {"as_of": (today - timedelta(days=5)).isoformat(), "children": [child(a), child(b), child(old, OLD)]}
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.put(url, headers=county, json=first)
        assert r.status_code == 200, r.text
        [part] = await register_parts(stack, HOME)
        assert (part.part, part.parts, part.removed) == (1, 1, ())
        assert {(x.national_id_hash, x.masked_id, x.birth_date) for x in part.children} == {
            (ha, a[:4] + "*" * 10 + a[-4:], BORN),
            (hb, b[:4] + "*" * 10 + b[-4:], BORN),
            (hold, old[:4] + "*" * 10 + old[-4:], OLD),
        }
        # The ledger lists the two of compulsory age on no roll, out of school, in their hukou/residence county.
        await eventually(lambda: entries(stack, f"h:{ha}", f"h:{hb}"))
        assert await entries(stack, f"h:{ha}", f"h:{hb}", f"h:{hold}") == sorted(
            [
                (HOME, f"h:{ha}", ["hukou", "residence"], "out_of_school", False, True),
                (HOME, f"h:{hb}", ["hukou", "residence"], "out_of_school", False, True),
            ]
        )

        # The same register again: nothing to tell. A refused one: nothing either.
        r = await http.put(url, headers=county, json=first | {"as_of": (today - timedelta(days=4)).isoformat()})
        assert (r.status_code, r.json()["unchanged"]) == (200, 3), r.text
        bad = first | {"children": [child(a), child(a[:-1] + ("1" if a[-1] != "1" else "2"))]}
        r = await http.put(url, headers=county, json=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "children", 1, "national_id"], r.text
        assert len(await register_parts(stack, HOME)) == 1

        # One renamed only (the ledger keeps no names: no change), one moved to the school's county, one gone,
        # one new: one part with the moved and the new child and the gone one's hash.
        renamed = child(a) | {"name": "张三改"}
        later = [renamed, child(b, residence=SCHOOL_COUNTY), child(c)]
        r = await http.put(
            url, headers=county, json={"as_of": (today - timedelta(days=3)).isoformat(), "children": later}
        )
        assert (r.json()["added"], r.json()["changed"], r.json()["removed"]) == (1, 2, 1), r.text
        parts = await register_parts(stack, HOME)
        assert len(parts) == 2
        assert sorted(x.national_id_hash for x in parts[1].children) == sorted([hb, hc])
        assert parts[1].removed == (hold,)

        async def moved() -> bool:
            return len(await entries(stack, f"h:{hb}", f"h:{hc}")) == 3

        await eventually(moved)
        assert await entries(stack, f"h:{hb}") == [
            (SCHOOL_COUNTY, f"h:{hb}", ["residence"], "out_of_school", False, True),
            (HOME, f"h:{hb}", ["hukou"], "out_of_school", False, True),
        ]
        assert await changes_of(stack, f"h:{ha}") == 1, "a renamed child is no change of the ledger"

    # A pupil with child a's ID number on a roll: one entry per county, the household rows merged into it.
    producer = make_producer(stack.settings(), client_id="test-school-age-merge")
    await producer.start()
    try:
        pupil = "G" + a
        event = enrolled(stack, pupil, SCHOOL, hukou=HOME, residence=HOME)
        await produce(producer, event.topic, [wrap(event, SCHOOL_COUNTY)])

        async def merged() -> bool:
            return not await entries(stack, f"h:{ha}") and len(await entries(stack, pupil)) == 2

        await eventually(merged)
        assert await entries(stack, pupil) == [
            (SCHOOL_COUNTY, pupil, ["school"], "enrolled", True, True),
            (HOME, pupil, ["hukou", "residence"], "enrolled", True, True),
        ]
        masked = await rows(
            stack.database_url, "SELECT DISTINCT masked_id FROM ledger.school_age WHERE child_key = $1", pupil
        )
        assert [m[0] for m in masked] == [a[:4] + "*" * 10 + a[-4:]]
    finally:
        await producer.stop()


async def test_rolls_leaves_and_clearings_move_the_status_and_redelivery_changes_nothing(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupil, other, unknown = (student_id(SCHOOL_COUNTY, BORN, n) for n in (311, 312, 313))
    producer = make_producer(stack.settings(), client_id="test-school-age-status")
    await producer.start()
    try:
        first = wrap(enrolled(stack, pupil, OTHER_SCHOOL, hukou=SCHOOL_COUNTY, residence=HOME), SCHOOL_COUNTY)
        second = wrap(enrolled(stack, other, OTHER_SCHOOL, hukou=SCHOOL_COUNTY, residence=SCHOOL_COUNTY), SCHOOL_COUNTY)
        await produce(producer, StudentEnrolled.topic, [first, second])

        async def both() -> bool:
            return len(await entries(stack, pupil, other)) == 3

        await eventually(both)
        assert await entries(stack, pupil) == [
            (SCHOOL_COUNTY, pupil, ["hukou", "school"], "enrolled", True, False),
            (HOME, pupil, ["residence"], "enrolled", True, False),
        ]
        # The same envelope again, and the same record in a new envelope: no change kept, none told.
        again = wrap(enrolled(stack, pupil, OTHER_SCHOOL, hukou=SCHOOL_COUNTY, residence=HOME), SCHOOL_COUNTY)
        left = StudentLeft(
            student_id=pupil, school_code=OTHER_SCHOOL, reason="unexplained", left_on=date.today(), grade=3
        )
        await produce(producer, StudentEnrolled.topic, [first, again, wrap(left, SCHOOL_COUNTY)])

        async def out() -> bool:
            return {e[3] for e in await entries(stack, pupil)} == {"out_of_school"}

        await eventually(out)
        assert await changes_of(stack, pupil) == 4, "two added, two left: the redeliveries kept nothing"
        ids = {
            r[0]
            for r in await rows(
                stack.database_url, "SELECT entry_id FROM ledger.school_age WHERE child_key = $1", pupil
            )
        }
        told = [e.change for e in await ledger_events(stack) if e.entry_id in ids]
        assert sorted(told) == ["added", "added", "updated", "updated"]
        # A cleared suspicion studying elsewhere: that status; one for a pupil the ledger does not know yet
        # enters it in the suspicion's county.
        clearings = [
            SuspicionCleared(
                suspicion_id=uuid.uuid4(), source="attendance", county_code=SCHOOL_COUNTY, school_code=OTHER_SCHOOL,
                student_id=sid, reason="studying_elsewhere", cleared_on=date.today(), verified_by="county",
            )
            for sid in (other, unknown)
        ]  # fmt: skip
        await produce(producer, SuspicionCleared.topic, [wrap(e, SCHOOL_COUNTY, "verification") for e in clearings])

        async def elsewhere() -> bool:
            return len(await entries(stack, other, unknown)) == 2 and {
                e[3] for e in await entries(stack, other, unknown)
            } == {"studying_elsewhere"}

        await eventually(elsewhere)
        assert await entries(stack, unknown) == [
            (SCHOOL_COUNTY, unknown, ["school"], "studying_elsewhere", False, False)
        ]
    finally:
        await producer.stop()


async def test_a_transfer_waits_for_the_receiving_enrolment_and_graduation_removes(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupil = student_id(SCHOOL_COUNTY, BORN, 331)
    today = date.today()
    producer = make_producer(stack.settings(), client_id="test-school-age-transfer")
    await producer.start()
    try:
        at_first = wrap(
            enrolled(stack, pupil, OTHER_SCHOOL, hukou=SCHOOL_COUNTY, residence=SCHOOL_COUNTY), SCHOOL_COUNTY
        )
        leaves = StudentLeft(student_id=pupil, school_code=OTHER_SCHOOL, reason="transfer", left_on=today, grade=3)
        received = wrap(enrolled(stack, pupil, SCHOOL, hukou=SCHOOL_COUNTY, residence=SCHOOL_COUNTY), SCHOOL_COUNTY)
        await produce(producer, StudentEnrolled.topic, [at_first, wrap(leaves, SCHOOL_COUNTY), received])
        query = "SELECT school_code, status FROM ledger.school_age WHERE child_key = $1"

        async def at_school() -> bool:
            return [tuple(r) for r in await rows(stack.database_url, query, pupil)] == [(SCHOOL, "enrolled")]

        await eventually(at_school)
        assert await changes_of(stack, pupil) == 2, "added, then moved to the receiving school: the leave kept nothing"
        # A late unexplained leave from the first school changes nothing: the pupil is on another roll.
        late = StudentLeft(student_id=pupil, school_code=OTHER_SCHOOL, reason="unexplained", left_on=today)
        graduated = StudentLeft(student_id=pupil, school_code=SCHOOL, reason="graduation", left_on=today, grade=9)
        await produce(producer, StudentLeft.topic, [wrap(late, SCHOOL_COUNTY), wrap(graduated, SCHOOL_COUNTY)])

        async def gone() -> bool:
            return not await entries(stack, pupil)

        await eventually(gone)
        removed = [e.change for e in await ledger_events(stack) if e.student_id == pupil]
        assert removed == ["added", "updated", "removed"]
    finally:
        await producer.stop()

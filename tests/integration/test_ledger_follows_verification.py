"""The suspected ledger and the county's figures follow verification: a flag enters, a repeated flag with new groups
or poverty updates, a cleared suspicion leaves the open suspects, and a redelivered clearing changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
from baoxue_contracts import Envelope, decode
from baoxue_contracts.base import Event
from baoxue_contracts.events.verification import SuspectedDropoutFlagged, SuspicionCleared
from baoxue_contracts.topics import DETECTION, VERIFICATION

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce

COUNTY, SCHOOL = "130108", "1301080007"  # 裕华区, Shijiazhuang: no other test's county
FLAGGED_ON = date.today() - timedelta(days=3)
LEGACY = ("suspected", "suspected_priority", "suspected_poverty")


async def rows(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    """Rows from the database."""
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def flagged(suspicion_id: uuid.UUID, sid: str, groups: tuple[str, ...], poverty: bool) -> SuspectedDropoutFlagged:
    """A flag from attendance, as verification publishes it."""
    return SuspectedDropoutFlagged.model_validate(
        {
            "suspicion_id": suspicion_id,
            "source": "attendance",
            "county_code": COUNTY,
            "school_code": SCHOOL,
            "student_id": sid,
            "flagged_on": FLAGGED_ON,
            "reason": "15 consecutive unexcused school days",
            "consecutive_unexcused_days": 15,
            "groups": groups,
            "poverty_household": poverty,
        }
    )


def cleared(suspicion_id: uuid.UUID, sid: str) -> SuspicionCleared:
    """The system clearing a suspicion whose grounds a correction removed."""
    return SuspicionCleared(
        suspicion_id=suspicion_id,
        source="attendance",
        county_code=COUNTY,
        school_code=SCHOOL,
        student_id=sid,
        reason="attendance_corrected",
        cleared_on=date.today(),
        verified_by="system",
    )


def wrap(event: Event) -> Envelope:
    """An envelope as verification's relay would publish it."""
    return Envelope.wrap(event, producer="verification", region=COUNTY, occurred_at=datetime.now(UTC))


async def ledger_changes(database_url: str, entry_id: uuid.UUID) -> list[Any]:
    """Every LedgerEntryChanged the ledger wrote for one entry, oldest first."""
    found = []
    for row in await rows(database_url, "SELECT value FROM ledger.outbox ORDER BY id"):
        envelope, event = decode(bytes(row["value"]))
        if envelope.event_type == "LedgerEntryChanged" and event.entry_id == entry_id:
            found.append(event)
    return found


async def test_the_ledger_and_figures_follow_flags_reflags_and_clearings(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ledger, reporting = services["ledger"].url, services["reporting"].url
    county = {"Authorization": f"Bearer {stack.token(f'region:{COUNTY}')}"}
    suspicion, other = uuid.uuid4(), uuid.uuid4()
    pupil, other_pupil = student_id(COUNTY, BIRTH, 71), student_id(COUNTY, BIRTH, 72)
    entry_query = "SELECT * FROM ledger.suspected WHERE suspicion_id = $1"
    producer = make_producer(stack.settings(), client_id="test-ledger-follows")
    await producer.start()
    try:
        async with httpx.AsyncClient(timeout=10) as http:

            async def listing(**params: str) -> list[dict[str, Any]]:
                r = await http.get(f"{ledger}/v1/counties/{COUNTY}/ledgers/suspected", headers=county, params=params)
                assert r.status_code == 200, r.text
                items: list[dict[str, Any]] = r.json()["items"]
                return items

            async def figures() -> dict[str, int]:
                r = await http.get(f"{reporting}/v1/stats/{COUNTY}", headers=county)
                assert r.status_code == 200, r.text
                # The three figures this test is about (the service answers many more).
                result: dict[str, int] = {k: r.json()["figures"][k] for k in LEGACY}
                return result

            async def figures_are(expected: dict[str, int]) -> bool:
                return await figures() == expected

            # A flag on a poverty-household pupil in a priority group enters the ledger and every figure.
            first = flagged(suspicion, pupil, ("left_behind",), True)
            await produce(producer, first.topic, [wrap(first), wrap(flagged(other, other_pupil, (), False))])
            one = {"suspected": 2, "suspected_priority": 1, "suspected_poverty": 1}
            await eventually(lambda: figures_are(one))
            items = {i["suspicion_id"]: i for i in await listing()}
            assert set(items) == {str(suspicion), str(other)}
            entry = items[str(suspicion)]
            assert (entry["status"], entry["groups"], entry["poverty_household"]) == ("pending", ["left_behind"], True)
            entry_id = uuid.UUID(entry["entry_id"])

            # The same flag again (the roll's groups became known) with other groups updates the entry.
            reflag = flagged(suspicion, pupil, ("orphan", "left_behind"), True)
            await produce(producer, reflag.topic, [wrap(reflag)])

            async def regrouped() -> bool:
                found = await rows(stack.database_url, entry_query, suspicion)
                return found[0]["groups"] == ["left_behind", "orphan"]

            await eventually(regrouped)
            assert [i["groups"] for i in await listing() if i["suspicion_id"] == str(suspicion)] == [
                ["left_behind", "orphan"]
            ]
            changes = await ledger_changes(stack.database_url, entry_id)
            assert [(c.change, c.status, c.groups, c.poverty_household) for c in changes] == [
                ("added", "pending", ("left_behind",), True),
                ("updated", "pending", ("left_behind", "orphan"), True),
            ]
            assert await figures() == one, "the same suspect, counted once"

            # The suspicion is cleared: gone from the default listing and from the figures, kept with its reason.
            clearing = wrap(cleared(suspicion, pupil))
            await produce(producer, VERIFICATION, [clearing])
            rest = {"suspected": 1, "suspected_priority": 0, "suspected_poverty": 0}
            await eventually(lambda: figures_are(rest))
            assert [i["suspicion_id"] for i in await listing()] == [str(other)]
            shown = await listing(status="cleared")
            assert [(i["suspicion_id"], i["status"], i["clear_reason"]) for i in shown] == [
                (str(suspicion), "cleared", "attendance_corrected")
            ]
            changes = await ledger_changes(stack.database_url, entry_id)
            assert [(c.change, c.status, c.previous_status) for c in changes[2:]] == [("updated", "cleared", "pending")]
            before = (await rows(stack.database_url, entry_query, suspicion))[0]

            # Redelivered (same envelope) and repeated (new envelope) clearings, then a marker behind them on the
            # same partition: once the marker is applied, the clearings were too, and they changed nothing.
            marker = wrap(cleared(other, other_pupil))
            await produce(producer, VERIFICATION, [clearing, wrap(cleared(suspicion, pupil)), marker])
            await eventually(lambda: figures_are(dict.fromkeys(one, 0)))
            assert await listing() == []
            assert len(await ledger_changes(stack.database_url, entry_id)) == 3
            after = (await rows(stack.database_url, entry_query, suspicion))[0]
            assert dict(after) == dict(before)
    finally:
        await producer.stop()


async def test_a_clearing_that_overtakes_its_flag_is_applied_when_the_flag_arrives(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """detection.v1 and verification.v1 have no order between them: the flag may come second."""
    suspicion, pupil = uuid.uuid4(), student_id(COUNTY, BIRTH, 73)
    entry_query = "SELECT status, clear_reason FROM ledger.suspected WHERE suspicion_id = $1"
    waiting_query = "SELECT 1 FROM ledger.early_clearings WHERE suspicion_id = $1"
    producer = make_producer(stack.settings(), client_id="test-ledger-overtaken")
    await producer.start()
    try:
        await produce(producer, VERIFICATION, [wrap(cleared(suspicion, pupil))])
        await eventually(lambda: rows(stack.database_url, waiting_query, suspicion))
        await produce(producer, DETECTION, [wrap(flagged(suspicion, pupil, ("orphan",), True))])
        entry = await eventually(lambda: rows(stack.database_url, entry_query, suspicion))
    finally:
        await producer.stop()
    assert [tuple(r) for r in entry] == [("cleared", "attendance_corrected")], "it enters already cleared"
    assert await rows(stack.database_url, waiting_query, suspicion) == [], "the waiting clearing is used up"
    entry_id = (
        await rows(stack.database_url, "SELECT entry_id FROM ledger.suspected WHERE suspicion_id = $1", suspicion)
    )[0][0]
    assert [(c.change, c.status) for c in await ledger_changes(stack.database_url, entry_id)] == [("added", "cleared")]

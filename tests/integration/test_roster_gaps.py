"""Roster gaps: a pupil who leaves a roll unexplained is a suspect (source roster) until a roll shows them again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_contracts import Envelope
from baoxue_contracts.topics import DETECTION, ROSTER, VERIFICATION
from ledger.domain.exports import mask_student_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.support import events_on, eventually, produce, scalar
from tests.integration.test_detection import verification_published

COUNTY = "150103"  # 回民区, Hohhot: no other test's county or city
SCHOOL, OTHER = "1501030001", "1501030002"
FLAGGED = "SuspectedDropoutFlagged"


async def put_roll(
    http: httpx.AsyncClient, stack: Stack, school: str, as_of: date, pupils: list[dict[str, Any]]
) -> None:
    """Replace a school's whole roll."""
    body = {"as_of": as_of.isoformat(), "students": pupils}
    r = await http.put(f"/v1/schools/{school}/roster", headers=auth(stack.token(f"school:{school}")), json=body)
    assert r.status_code == 200, r.text


async def test_an_unexplained_leave_flags_a_roster_suspect_and_a_new_roll_clears_it(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    stays, goes = kid(COUNTY, 1), kid(COUNTY, 2, groups=["left_behind"], poverty_household=True)
    sid = goes["student_id"]
    today = date.today()
    admin = stack.token("admin")
    base = services["attendance-ingest"].url
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        await register(http, admin, SCHOOL, COUNTY)
        await register(http, admin, OTHER, COUNTY)
        await put_roll(http, stack, SCHOOL, today - timedelta(days=20), [stays, goes])
        # The pupil is gone from the next roll, with no transfer under way and not in a final grade.
        await put_roll(http, stack, SCHOOL, today - timedelta(days=10), [stays])

    async def flagged() -> list[Any]:
        return await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})

    [flag] = await eventually(flagged)
    left_on = today - timedelta(days=10)
    assert (flag.source, flag.county_code, flag.school_code, flag.flagged_on) == ("roster", COUNTY, SCHOOL, left_on)
    assert (flag.groups, flag.poverty_household) == (("left_behind",), True)
    assert flag.reason == f"left the roll of school {SCHOOL} on {left_on} without a transfer or graduation"
    assert await events_on(stack.bootstrap, DETECTION, FLAGGED, {stays["student_id"]}) == []

    # The same leave delivered again in a new envelope opens nothing new.
    [left] = await events_on(stack.bootstrap, ROSTER, "StudentLeft", {sid})
    assert left.reason == "unexplained"
    again = Envelope.wrap(
        left, producer="attendance-ingest", region=COUNTY, occurred_at=datetime.combine(left_on, time(8, 0), tzinfo=UTC)
    )
    producer = make_producer(stack.settings(), client_id="roster-gaps-test")
    await producer.start()
    try:
        await produce(producer, ROSTER, [again])
    finally:
        await producer.stop()

    async def applied() -> bool:
        query = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"
        return bool(await scalar(stack.database_url, query, again.event_id)) and await verification_published(
            stack.database_url
        )

    await eventually(applied)
    assert len(await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})) == 1, "redelivery: nothing new"

    county = auth(stack.token(f"region:{COUNTY}"))
    ledger = services["ledger"].url
    async with httpx.AsyncClient(base_url=ledger, timeout=10) as http:

        async def listed(**params: str) -> list[dict[str, Any]]:
            r = await http.get(f"/v1/counties/{COUNTY}/ledgers/suspected", headers=county, params=params)
            assert r.status_code == 200, r.text
            return [i for i in r.json()["items"] if i["suspicion_id"] == str(flag.suspicion_id)]

        [entry] = await eventually(listed)
        assert (entry["student_id"], entry["groups"], entry["poverty_household"]) == (
            mask_student_id(sid),
            ["left_behind"],
            True,
        )

        # The child turns up on another school's roll: the suspicion ends.
        async with httpx.AsyncClient(base_url=base, timeout=10) as ingest:
            await put_roll(ingest, stack, OTHER, today - timedelta(days=5), [goes])

        async def cleared() -> list[Any]:
            return await events_on(stack.bootstrap, VERIFICATION, "SuspicionCleared", {sid})

        [clearing] = await eventually(cleared)
        assert (clearing.suspicion_id, clearing.source, clearing.reason) == (
            flag.suspicion_id,
            "roster",
            "studying_elsewhere",
        )
        assert (clearing.county_code, clearing.school_code, clearing.groups) == (COUNTY, SCHOOL, ("left_behind",))
        assert clearing.cleared_on == today - timedelta(days=5)
        [gone] = await eventually(lambda: listed(status="cleared"))
        assert gone["clear_reason"] == "studying_elsewhere"
        assert await listed() == []

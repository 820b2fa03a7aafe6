"""Edges of the case lifecycle: a confirmation that overtakes its flag, and the day consolidation ends."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
from baoxue_contracts.events.verification import VerificationAssigned
from ledger.consolidation import due_on

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce, scalar
from tests.integration.test_case_lifecycle import (
    COUNTY,
    FLAGGED_ON,
    OTHER_SCHOOL,
    TODAY,
    VERIFICATION_TOPIC,
    confirmed,
    flagged,
    one,
    wrap,
)


async def test_a_confirmation_that_overtakes_its_flag_opens_the_case(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """verification.v1 and detection.v1 have no order between them: the suspect enters already confirmed."""
    url = stack.database_url
    suspicion, pupil = uuid.uuid4(), student_id(COUNTY, BIRTH, 82)
    entry_q = "SELECT * FROM ledger.suspected WHERE suspicion_id = $1"
    producer = make_producer(stack.settings(), client_id="test-case-overtaken")
    await producer.start()
    try:
        await produce(
            producer, VERIFICATION_TOPIC, [wrap(confirmed(suspicion, pupil, OTHER_SCHOOL), school=OTHER_SCHOOL)]
        )
        case = await eventually(lambda: one(url, "SELECT * FROM ledger.cases WHERE suspicion_id = $1", suspicion))
        assert (case["status"], case["school_code"]) == ("open", OTHER_SCHOOL)
        flag = flagged(suspicion, pupil, OTHER_SCHOOL)
        await produce(producer, flag.topic, [wrap(flag, school=OTHER_SCHOOL)])

        async def with_the_flags_reason() -> dict[str, Any] | None:
            entry = await one(url, entry_q, suspicion)
            return entry if entry and entry["reason"] == flag.reason else None

        entry = await eventually(with_the_flags_reason)
    finally:
        await producer.stop()
    assert (entry["status"], entry["confirmed_on"]) == ("confirmed_dropout", FLAGGED_ON + timedelta(days=5))
    assert (entry["source"], entry["flagged_on"]) == (flag.source, flag.flagged_on), "the flag's, not a stand-in"
    assert await scalar(url, "SELECT count(*) FROM ledger.suspected WHERE suspicion_id = $1", suspicion) == 1


async def test_an_assignment_that_overtakes_its_flag_waits_for_it(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """The flag, arriving second, enters the suspect already being verified."""
    url = stack.database_url
    suspicion, pupil = uuid.uuid4(), student_id(COUNTY, BIRTH, 83)
    entry_q = "SELECT * FROM ledger.suspected WHERE suspicion_id = $1"
    assigned = VerificationAssigned(
        verification_id=uuid.uuid4(),
        suspicion_id=suspicion,
        county_code=COUNTY,
        school_code=OTHER_SCHOOL,
        student_id=pupil,
        assigned_to="school",
        assigned_on=FLAGGED_ON,
        due_on=FLAGGED_ON + timedelta(days=10),
    )
    producer = make_producer(stack.settings(), client_id="test-assignment-overtaken")
    await producer.start()
    try:
        await produce(producer, VERIFICATION_TOPIC, [wrap(assigned, school=OTHER_SCHOOL)])
        waiting = "SELECT count(*) FROM ledger.early_assignments WHERE suspicion_id = $1"
        await eventually(lambda: scalar(url, waiting, suspicion))
        flag = flagged(suspicion, pupil, OTHER_SCHOOL)
        await produce(producer, flag.topic, [wrap(flag, school=OTHER_SCHOOL)])
        entry = await eventually(lambda: one(url, entry_q, suspicion))
    finally:
        await producer.stop()
    assert (entry["status"], entry["verification_id"], entry["due_on"]) == (
        "verifying",
        assigned.verification_id,
        assigned.due_on,
    )
    assert await scalar(url, waiting, suspicion) == 0, "applied once, then gone"


async def test_consolidation_ends_on_the_nth_school_day_of_the_published_calendar(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """The ledger's copies of the calendar (weekdays teach) and the county's rules give the day consolidation ends."""
    async with httpx.AsyncClient(timeout=10) as http:
        admin = {"Authorization": f"Bearer {stack.token('admin')}"}
        rules = f"{services['verification'].url}/v1/regions/{COUNTY}/rules"
        r = await http.put(rules, headers=admin, json={"return_consolidation_school_days": 3})
        assert r.status_code == 200, r.text
    engine = make_engine(stack.database_url)
    try:
        sessions = make_sessionmaker(engine)
        friday = TODAY - timedelta(days=(TODAY.weekday() - 4) % 7 + 7)
        wednesday = friday + timedelta(days=5)  # Mon, Tue, Wed after the Friday

        async def due(day: date) -> date | None:
            async with sessions() as session:
                return await due_on(session, COUNTY, day)

        async def three_days() -> bool:  # once the ledger has the county's rules (60 before)
            return await due(friday) == wednesday

        await eventually(three_days)
        # Other tests publish calendars years ahead (test_calendars: 2030-2031); none reaches 2090.
        assert await due(date(2090, 9, 3)) is None, "beyond every calendar"
    finally:
        await engine.dispose()


async def test_two_suspicions_of_one_child_confirmed_together_open_one_case(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """Attendance and a cross-check may both suspect a child: while its case is open, a second confirmation joins it."""
    url = stack.database_url
    pupil = student_id(COUNTY, BIRTH, 83)
    first, second = confirmed(uuid.uuid4(), pupil), confirmed(uuid.uuid4(), pupil)
    producer = make_producer(stack.settings(), client_id="test-case-two-suspicions")
    await producer.start()
    try:
        await produce(producer, VERIFICATION_TOPIC, [wrap(first), wrap(second)])
        await eventually(lambda: confirmed_suspect(url, second.suspicion_id))
    finally:
        await producer.stop()
    assert await scalar(url, "SELECT count(*) FROM ledger.cases WHERE child_key = $1", pupil) == 1
    case = await one(url, "SELECT * FROM ledger.cases WHERE child_key = $1", pupil)
    assert case is not None
    assert (case["suspicion_id"], case["status"], case["relapses"]) == (first.suspicion_id, "open", 0)


async def confirmed_suspect(url: str, suspicion_id: uuid.UUID) -> bool:
    """Whether the suspect of a suspicion is in the ledger, confirmed."""
    entry = await one(url, "SELECT status FROM ledger.suspected WHERE suspicion_id = $1", suspicion_id)
    return entry is not None and entry["status"] == "confirmed_dropout"

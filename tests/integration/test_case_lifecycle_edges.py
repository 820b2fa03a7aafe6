"""Edges of the case lifecycle: a confirmation that overtakes its flag, and the day consolidation ends."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
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
        entry = await eventually(lambda: one(url, entry_q, suspicion))
    finally:
        await producer.stop()
    assert (entry["status"], entry["confirmed_on"]) == ("confirmed_dropout", FLAGGED_ON + timedelta(days=5))
    assert await scalar(url, "SELECT count(*) FROM ledger.suspected WHERE suspicion_id = $1", suspicion) == 1


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
        async with make_sessionmaker(engine)() as session:

            async def due() -> date | None:
                return await due_on(session, COUNTY, friday)

            friday = TODAY - timedelta(days=(TODAY.weekday() - 4) % 7 + 7)
            assert await eventually(due) == friday + timedelta(days=5), "Mon, Tue, Wed after a Friday"
            assert await due_on(session, COUNTY, TODAY + timedelta(days=800)) is None, "beyond every calendar"
    finally:
        await engine.dispose()

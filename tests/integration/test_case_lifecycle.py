"""Cases follow events: flag → assigned → confirmed opens a case; presence marks it seen; consolidation ends in a
close-out proposal (the operator's sweep); a new streak restarts it; leaving again and a second confirmation reopen."""

from __future__ import annotations

import os
import subprocess
import sys
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
from baoxue_contracts.events.attendance import PresenceRecorded, StudentLeft
from baoxue_contracts.events.verification import (
    DropoutConfirmed,
    EarlyWarningRaised,
    SuspectedDropoutFlagged,
    VerificationAssigned,
)
from baoxue_contracts.topics import CASES

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce, scalar, topic_events

COUNTY, SCHOOL, OTHER_SCHOOL = "140108", "1401080001", "1401080002"  # no other test's county
TODAY = date.today()
FLAGGED_ON = TODAY - timedelta(days=30)


def wrap(event: Event, producer: str = "verification", school: str | None = SCHOOL) -> Envelope:
    """An envelope as the producing service's relay would publish it."""
    subject = getattr(event, "student_id", None)
    return Envelope.wrap(
        event, producer=producer, region=COUNTY, occurred_at=datetime.now(UTC), school_code=school, subject_id=subject
    )


def confirmed(suspicion_id: uuid.UUID, pupil: str, school: str = SCHOOL, day: date | None = None) -> DropoutConfirmed:
    """The county confirming a dropout, with its main cause."""
    return DropoutConfirmed(
        verification_id=uuid.uuid4(),
        suspicion_id=suspicion_id,
        source="attendance",
        county_code=COUNTY,
        school_code=school,
        student_id=pupil,
        confirmed_on=day or FLAGGED_ON + timedelta(days=5),
        verified_by="王核实",
        flagged_on=FLAGGED_ON,
        groups=("left_behind",),
        cause="learning_difficulty",
    )


def flagged(suspicion_id: uuid.UUID, pupil: str, school: str = SCHOOL) -> SuspectedDropoutFlagged:
    """A flag from attendance."""
    return SuspectedDropoutFlagged(
        suspicion_id=suspicion_id,
        source="attendance",
        county_code=COUNTY,
        school_code=school,
        student_id=pupil,
        flagged_on=FLAGGED_ON,
        reason="15 consecutive unexcused school days",
        groups=("left_behind",),
    )


async def one(database_url: str, query: str, *args: object) -> dict[str, Any] | None:
    """One row as a dict, or None."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(query, *args)
        return dict(row) if row else None
    finally:
        await conn.close()


async def execute(database_url: str, query: str, *args: object) -> None:
    """Change the database as another part of the ledger would (the return endpoint is built in parallel)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(query, *args)
    finally:
        await conn.close()


def sweep(stack: Stack, day: date) -> str:
    """Run `baoxue ledger sweep --date --county` against the test database; return what it printed."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "ledger", "sweep", "--date", day.isoformat()]
    done = subprocess.run(
        [*command, "--county", COUNTY], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def case_events(stack: Stack, event_type: str, case_id: uuid.UUID) -> list[Any]:
    """The events of a type about one case on cases.v1."""
    kept = await topic_events(stack.bootstrap, CASES, lambda e: e.event_type == event_type and e.region == COUNTY)
    return [event for _, event in kept if event.case_id == case_id]


async def test_a_case_opens_is_seen_consolidates_is_proposed_restarts_and_reopens(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    url = stack.database_url
    suspicion, pupil = uuid.uuid4(), student_id(COUNTY, BIRTH, 81)
    entry_q = "SELECT * FROM ledger.suspected WHERE suspicion_id = $1"
    case_q = "SELECT * FROM ledger.cases WHERE child_key = $1"
    async with httpx.AsyncClient(timeout=10) as http:
        admin = {"Authorization": f"Bearer {stack.token('admin')}"}
        rules = f"{services['verification'].url}/v1/regions/{COUNTY}/rules"
        r = await http.put(rules, headers=admin, json={"return_consolidation_school_days": 3})
        assert r.status_code == 200, r.text
    await eventually(lambda: rules_kept(url))
    producer = make_producer(stack.settings(), client_id="test-case-lifecycle")
    await producer.start()
    try:
        # Flag → assigned: the suspect is being verified, with its due date.
        flag = flagged(suspicion, pupil)
        await produce(producer, flag.topic, [wrap(flag)])
        await eventually(lambda: one(url, entry_q, suspicion))
        assigned = VerificationAssigned(
            verification_id=uuid.uuid4(),
            suspicion_id=suspicion,
            county_code=COUNTY,
            school_code=SCHOOL,
            student_id=pupil,
            assigned_to="school",
            assigned_on=FLAGGED_ON + timedelta(days=1),
            due_on=FLAGGED_ON + timedelta(days=11),
        )
        await produce(producer, assigned.topic, [wrap(assigned)])
        entry = await eventually(lambda: verifying(url, entry_q, suspicion))
        assert (entry["verification_id"], entry["due_on"]) == (assigned.verification_id, assigned.due_on)

        # Confirmed: the suspect leaves the open suspects, a case opens with its cause.
        confirmation = wrap(confirmed(suspicion, pupil))
        await produce(producer, VERIFICATION_TOPIC, [confirmation])
        case = await eventually(lambda: one(url, case_q, pupil))
        entry = await one(url, entry_q, suspicion)
        assert entry is not None and (entry["status"], entry["confirmed_on"]) == (
            "confirmed_dropout",
            FLAGGED_ON + timedelta(days=5),
        )
        assert (case["status"], case["cause_main"], case["suspicion_id"], case["relapses"]) == (
            "open",
            "learning_difficulty",
            suspicion,
            0,
        )
        assert (case["verified_by"], case["groups"], case["flagged_on"]) == ("王核实", ["left_behind"], FLAGGED_ON)

        # The same confirmation redelivered and repeated in a new envelope change nothing (the inbox shows them
        # applied); a presence then marks the case seen at school, and an older one does not move it back.
        repeated = wrap(confirmed(suspicion, pupil))
        await produce(producer, VERIFICATION_TOPIC, [confirmation, repeated])
        await eventually(lambda: applied(url, repeated))
        assert await one(url, case_q, pupil) == case
        assert await scalar(url, "SELECT count(*) FROM ledger.cases WHERE child_key = $1", pupil) == 1
        seen_on = TODAY - timedelta(days=20)
        presence = PresenceRecorded(
            student_id=pupil, school_code=SCHOOL, date=seen_on, status="present", batch_id=uuid.uuid4()
        )
        await produce(producer, presence.topic, [wrap(presence, "attendance-ingest")])
        seen = await eventually(lambda: seen_case(url, case_q, pupil, seen_on))
        unchanged = ("seen_at_school_on", "version", "updated_at")
        assert {k: v for k, v in seen.items() if k not in unchanged} == {
            k: v for k, v in case.items() if k not in unchanged
        }
        older = wrap(presence.model_copy(update={"date": seen_on - timedelta(days=3)}), "attendance-ingest")
        await produce(producer, presence.topic, [older])
        await eventually(lambda: applied(url, older))
        assert await one(url, case_q, pupil) == seen

        # The caseworker confirmed the return (H1's endpoint): consolidation from 14 days ago, 3 school days needed.
        back_from = TODAY - timedelta(days=14)
        await execute(
            url,
            "UPDATE ledger.cases SET status = 'returned', returned_on = $2, consolidation_from = $2 WHERE case_id = $1",
            case["case_id"],
            back_from,
        )
        assert sweep(stack, back_from + timedelta(days=1)) == f"{back_from + timedelta(days=1)} closures proposed: 0"
        assert sweep(stack, TODAY) == f"{TODAY} closures proposed: 1"
        assert sweep(stack, TODAY) == f"{TODAY} closures proposed: 0", "a rerun proposes nothing"
        proposed = await one(url, case_q, pupil)
        assert proposed is not None and (proposed["status"], proposed["proposed_on"]) == ("closure_proposed", TODAY)
        note_q = "SELECT actor, producer FROM ledger.timeline WHERE case_id = $1 AND event_type = $2"
        assert await one(url, note_q, case["case_id"], "CaseClosureProposed") == {
            "actor": "system",
            "producer": "ledger",
        }
        events = await eventually(lambda: case_events(stack, "CaseClosureProposed", case["case_id"]))
        assert [(e.proposed_on, e.returned_on) for e in events] == [(TODAY, back_from)]
        assert events[0].school_days_back >= 3

        # A new unexcused streak: consolidation starts again the day after, the proposal goes back to returned.
        raised_on = TODAY - timedelta(days=1)
        warning = EarlyWarningRaised(
            warning_id=uuid.uuid4(),
            student_id=pupil,
            school_code=SCHOOL,
            county_code=COUNTY,
            raised_on=raised_on,
            consecutive_unexcused_days=3,
            threshold=3,
        )
        await produce(producer, warning.topic, [wrap(warning)])
        restarted = await eventually(lambda: case_in(url, case_q, pupil, "returned"))
        assert (restarted["consolidation_from"], restarted["proposed_on"]) == (TODAY, None)
        assert sweep(stack, TODAY) == f"{TODAY} closures proposed: 0"

        # Closed (H1's approval), then the pupil leaves without explanation: the case reopens, a relapse.
        await execute(
            url, "UPDATE ledger.cases SET status = 'closed', closed_on = $2 WHERE case_id = $1", case["case_id"], TODAY
        )
        left = StudentLeft(student_id=pupil, school_code=SCHOOL, reason="unexplained", left_on=TODAY)
        await produce(producer, left.topic, [wrap(left, "attendance-ingest")])
        reopened = await eventually(lambda: case_in(url, case_q, pupil, "open"))
        assert (reopened["relapses"], reopened["closed_on"], reopened["returned_on"]) == (1, None, None)
        events = await eventually(lambda: case_events(stack, "CaseReopened", case["case_id"]))
        assert [(e.reason, e.relapses, e.suspicion_id, e.reopened_on) for e in events] == [
            ("left school again", 1, suspicion, TODAY)
        ]
        note = await one(
            url, "SELECT * FROM ledger.timeline WHERE case_id = $1 AND event_type = 'CaseReopened'", case["case_id"]
        )
        assert note is not None and (note["actor"], note["producer"], note["child_key"]) == ("system", "ledger", pupil)

        # Back again, then a second confirmation of the same child (a new suspicion): the same case reopens.
        await execute(
            url,
            "UPDATE ledger.cases SET status = 'returned', returned_on = $2 WHERE case_id = $1",
            case["case_id"],
            TODAY,
        )
        again = uuid.uuid4()
        await produce(producer, VERIFICATION_TOPIC, [wrap(confirmed(again, pupil, day=TODAY))])
        second = await eventually(lambda: relapsed(url, case_q, pupil, 2))
        assert (second["case_id"], second["status"]) == (case["case_id"], "open")
        assert await scalar(url, "SELECT count(*) FROM ledger.cases WHERE child_key = $1", pupil) == 1
    finally:
        await producer.stop()
    # Every change told to reporting, with the state before it, and kept for the as-of ledgers.
    changes = await entry_changes(url, case["case_id"])
    assert [(c.change, c.status, c.previous_status, c.relapses) for c in changes] == [
        ("added", "open", None, 0),
        ("updated", "open", "open", 0),  # seen at school
        ("updated", "closure_proposed", "returned", 0),
        ("updated", "returned", "closure_proposed", 0),  # the new streak
        ("updated", "open", "closed", 1),
        ("updated", "open", "returned", 2),
    ]
    assert (changes[0].ledger, changes[0].cause, changes[0].confirmed_on) == (
        "dropouts",
        "learning_difficulty",
        case["confirmed_on"],
    )
    kept = "SELECT count(*) FROM ledger.ledger_history WHERE ledger = 'dropouts' AND entry_id = $1"
    assert await scalar(url, kept, case["case_id"]) == len(changes)
    suspect = await entry_changes(url, entry["entry_id"])
    assert [(c.change, c.status) for c in suspect] == [
        ("added", "pending"),
        ("updated", "verifying"),
        ("updated", "confirmed_dropout"),
    ]


VERIFICATION_TOPIC = DropoutConfirmed.topic


async def entry_changes(url: str, entry_id: uuid.UUID) -> list[Any]:
    """Every LedgerEntryChanged the ledger wrote for one entry, oldest first."""
    conn = await asyncpg.connect(url)
    try:
        values = [bytes(r["value"]) for r in await conn.fetch("SELECT value FROM ledger.outbox ORDER BY id")]
    finally:
        await conn.close()
    found = [event for envelope, event in map(decode, values) if envelope.event_type == "LedgerEntryChanged"]
    return [event for event in found if event.entry_id == entry_id]


async def rules_kept(url: str) -> bool:
    """Whether the ledger keeps the county's consolidation period of 3 school days (RulesPublished applied)."""
    query = "SELECT return_consolidation_school_days FROM ledger.rules WHERE region_code = $1"
    return bool(await scalar(url, query, COUNTY) == 3)


async def applied(url: str, envelope: Envelope) -> bool:
    """Whether the ledger applied an event (its inbox holds the id, written with the event's effects)."""
    return bool(await scalar(url, "SELECT count(*) FROM ledger.inbox WHERE event_id = $1", envelope.event_id))


async def verifying(url: str, query: str, suspicion: uuid.UUID) -> dict[str, Any] | None:
    """The suspect once it is being verified."""
    entry = await one(url, query, suspicion)
    return entry if entry and entry["status"] == "verifying" else None


async def seen_case(url: str, query: str, key: str, day: date) -> dict[str, Any] | None:
    """The child's case once it shows it seen at school on `day`."""
    case = await one(url, query, key)
    return case if case and case["seen_at_school_on"] == day else None


async def case_in(url: str, query: str, key: str, status: str) -> dict[str, Any] | None:
    """The child's case once it is in `status`."""
    case = await one(url, query, key)
    return case if case and case["status"] == status else None


async def relapsed(url: str, query: str, key: str, relapses: int) -> dict[str, Any] | None:
    """The child's case once it counts `relapses` relapses."""
    case = await one(url, query, key)
    return case if case and case["relapses"] == relapses else None

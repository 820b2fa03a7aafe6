"""A dropout case worked through the ledger's HTTP API: people named, attempts, the legal ladder (with an overdue
order), return, close-out by a second person, transfer between counties; and every refused move: out of order,
on a closed case, approved by who recorded the return, another school's or another county's token, two at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
from baoxue_contracts import Envelope
from baoxue_contracts.events.verification import DropoutConfirmed
from baoxue_contracts.topics import CASES, LEDGER

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce, scalar, topic_events

COUNTY, OTHER_COUNTY = "140106", "140107"  # 迎泽区 and 杏花岭区, Taiyuan: no other test's counties
SCHOOL, OTHER_SCHOOL = "1401060001", "1401060002"
RECEIVING_SCHOOL = "1401070001"
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the services' local date
CONFIRMED_ON = TODAY - timedelta(days=30)
SEQUENCE = iter(range(300, 400))
Json = dict[str, Any]


async def open_case(stack: Stack, school: str = SCHOOL) -> tuple[uuid.UUID, str]:
    """A case as the county's confirmation opens it: a DropoutConfirmed on the bus, then the ledger's case."""
    pupil = student_id(COUNTY, BIRTH, next(SEQUENCE))
    suspicion = uuid.uuid4()
    event = DropoutConfirmed(
        verification_id=uuid.uuid4(),
        suspicion_id=suspicion,
        source="attendance",
        sources=("attendance",),
        county_code=COUNTY,
        school_code=school,
        student_id=pupil,
        confirmed_on=CONFIRMED_ON,
        flagged_on=CONFIRMED_ON - timedelta(days=5),
        verified_by="county",
    )
    envelope = Envelope.wrap(
        event,
        producer="verification",
        region=COUNTY,
        occurred_at=datetime.now(UTC),
        school_code=school,
        subject_id=pupil,
    )
    producer = make_producer(stack.settings(), client_id="test-case-commands")
    await producer.start()
    try:
        await produce(producer, event.topic, [envelope])
    finally:
        await producer.stop()
    query = "SELECT case_id FROM ledger.cases WHERE suspicion_id = $1"
    case_id: uuid.UUID = await eventually(lambda: scalar(stack.database_url, query, suspicion))
    return case_id, pupil


async def execute(database_url: str, query: str, *args: object) -> None:
    """Change the database as another part of the ledger would (H2's close-out proposal)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(query, *args)
    finally:
        await conn.close()


async def relayed(database_url: str) -> None:
    """Wait until the ledger's relay has published its outbox."""
    query = "SELECT count(*) = 0 FROM ledger.outbox WHERE published_at IS NULL AND parked_at IS NULL"
    await eventually(lambda: scalar(database_url, query), timeout_s=30)


class Api:
    """The case paths of the ledger, as one caller."""

    def __init__(self, http: httpx.AsyncClient, base: str, token: str) -> None:
        self.http, self.base, self.headers = http, base, {"Authorization": f"Bearer {token}"}

    async def send(self, method: str, case_id: uuid.UUID, path: str = "", body: Json | None = None) -> httpx.Response:
        url = f"{self.base}/v1/cases/{case_id}{path}"
        return await self.http.request(method, url, headers=self.headers, json=body)

    async def get(self, case_id: uuid.UUID) -> Json:
        r = await self.send("GET", case_id)
        assert r.status_code == 200, r.text
        result: Json = r.json()
        return result

    async def ok(self, status: int, method: str, case_id: uuid.UUID, path: str, body: Json | None = None) -> Json:
        r = await self.send(method, case_id, path, body)
        assert r.status_code == status, r.text
        result: Json = r.json()
        return result

    async def refused(self, status: int, method: str, case_id: uuid.UUID, path: str, body: Json | None = None) -> Json:
        r = await self.send(method, case_id, path, body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem: Json = r.json()
        return problem


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def attempt(offset: int, outcome: str = "refused") -> Json:
    return {"date": day(offset), "method": "home_visit", "by": "班主任 李老师", "outcome": outcome, "note": "家访"}


@pytest.fixture
async def http() -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_a_case_climbs_the_ladder_returns_and_is_closed_by_a_second_person(
    stack: Stack, services: dict[str, ServiceProcess], http: httpx.AsyncClient
) -> None:
    base, db = services["ledger"].url, stack.database_url
    worker = Api(http, base, stack.token(f"region:{COUNTY}", user="张敏"))
    head = Api(http, base, stack.token(f"region:{COUNTY}", user="李强"))
    case_id, pupil = await open_case(stack)

    assignee = await worker.ok(
        201, "POST", case_id, "/assignees", {"name": "王村长", "role": "village", "phone": "138 0000 0000"}
    )
    assert (assignee["name"], assignee["role"], assignee["added_by"]) == ("王村长", "village", "张敏")
    for offset in (-20, -15, -10):
        made = await worker.ok(201, "POST", case_id, "/attempts", attempt(offset))
        assert (made["attempted_on"], made["recorded_by"]) == (day(offset), "张敏")

    # Out of order: the first level is criticism and education; an order needs a deadline after its date.
    problem = await worker.refused(
        409,
        "POST",
        case_id,
        "/escalations",
        {"level": "order_to_correct", "date": day(-9), "deadline": day(-1), "issued_by": "县教育局"},
    )
    assert "skips criticism_education" in problem["detail"]
    criticism = {"level": "criticism_education", "date": day(-9), "issued_by": "乡镇政府"}
    await worker.ok(201, "POST", case_id, "/escalations", criticism)
    assert "repeats" in (await worker.refused(409, "POST", case_id, "/escalations", criticism))["detail"]
    no_deadline = {"level": "order_to_correct", "date": day(-8), "issued_by": "县教育局"}
    problem = await worker.refused(422, "POST", case_id, "/escalations", no_deadline)
    assert problem["errors"] == [{"loc": ["body", "deadline"], "msg": "an order to correct needs a deadline"}]
    future = {"level": "order_to_correct", "date": day(1), "deadline": day(5), "issued_by": "县教育局"}
    assert (await worker.refused(422, "POST", case_id, "/escalations", future))["errors"][0]["loc"] == ["body", "date"]
    seen = await worker.get(case_id)
    assert (seen["escalation_level"], seen["order_deadline"], len(seen["escalations"])) == (
        "criticism_education",
        None,
        1,
    )

    # The order's deadline passes with the child not back: overdue.
    await worker.ok(201, "POST", case_id, "/escalations", {**no_deadline, "deadline": day(-1)})
    seen = await worker.get(case_id)
    assert (seen["escalation_level"], seen["order_deadline"], seen["order_overdue"]) == (
        "order_to_correct",
        day(-1),
        True,
    )
    judicial = {"level": "judicial_document", "date": day(-9), "issued_by": "县人民法院"}
    problem = await worker.refused(422, "POST", case_id, "/escalations", judicial)
    assert "before the previous level's date" in problem["detail"]
    await worker.ok(201, "POST", case_id, "/escalations", {**judicial, "date": day(-1)})
    assert (await worker.get(case_id))["order_overdue"] is False

    cause = await worker.ok(
        200, "PUT", case_id, "/cause", {"main": "learning_difficulty", "others": ["family_poverty"]}
    )
    assert (cause["cause_main"], cause["cause_others"]) == ("learning_difficulty", ["family_poverty"])
    again = await worker.ok(
        200, "PUT", case_id, "/cause", {"main": "learning_difficulty", "others": ["family_poverty"]}
    )
    assert again["version"] == cause["version"]  # the same causes again change nothing and tell no one
    returned = await worker.ok(
        200, "POST", case_id, "/return", {"school_code": SCHOOL, "date": day(0), "placement": "regular"}
    )
    assert (returned["status"], returned["returned_on"], returned["return_recorded_by"]) == ("returned", day(0), "张敏")
    assert returned["consolidation_from"] == day(0)
    assert (
        "already recorded"
        in (
            await worker.refused(
                409, "POST", case_id, "/return", {"school_code": SCHOOL, "date": day(0), "placement": "regular"}
            )
        )["detail"]
    )

    # Close-out: only once proposed (H2's sweep proposes it; simulated here), never by who recorded the return.
    assert "not proposed" in (await head.refused(409, "POST", case_id, "/closure/approve", {"note": "ok"}))["detail"]
    await execute(
        db, "UPDATE ledger.cases SET status = 'closure_proposed', proposed_on = $2 WHERE case_id = $1", case_id, TODAY
    )
    problem = await worker.refused(409, "POST", case_id, "/closure/approve", {"note": "ok"})
    assert "张敏 recorded the return" in problem["detail"]
    assert (await worker.get(case_id))["status"] == "closure_proposed"
    closed = await head.ok(200, "POST", case_id, "/closure/approve", {"note": "巩固期满"})
    assert (closed["status"], closed["closed_on"], closed["closed_by"]) == ("closed", day(0), "李强")

    # A closed case takes no more work.
    assert (
        "return of a closed case"
        in (
            await worker.refused(
                409, "POST", case_id, "/return", {"school_code": SCHOOL, "date": day(0), "placement": "regular"}
            )
        )["detail"]
    )
    assert "closed case" in (await worker.refused(409, "POST", case_id, "/attempts", attempt(0)))["detail"]
    assert (
        "closed case"
        in (
            await worker.refused(
                409, "POST", case_id, "/escalations", {"level": "legal_action", "date": day(0), "issued_by": "x"}
            )
        )["detail"]
    )

    final = await head.get(case_id)
    assert [a["attempted_on"] for a in final["attempts"]] == [day(-20), day(-15), day(-10)]
    assert [e["level"] for e in final["escalations"]] == [
        "criticism_education",
        "order_to_correct",
        "judicial_document",
    ]
    # On the days they happened (an attempt's date, an escalation's), then in the order recorded within a day.
    assert [line["event_type"] for line in final["timeline"]] == [
        *["PersuasionAttemptRecorded"] * 3,
        *["CaseEscalated"] * 3,
        "CaseAssigneeAdded",
        "CaseCauseRecorded",
        "ReturnConfirmed",
        "CaseClosed",
    ]
    assert {line["actor"] for line in final["timeline"]} == {"张敏", "李强"}
    reads = await scalar(
        db, "SELECT count(*) FROM ledger.access_log WHERE action = 'case' AND subject = $1", str(case_id)
    )
    assert reads == 5  # every successful GET above
    kept = await scalar(
        db, "SELECT count(*) FROM ledger.ledger_history WHERE ledger = 'dropouts' AND entry_id = $1", case_id
    )
    assert kept == 11  # the opening's, then one kept state per accepted command

    await relayed(db)
    cases = [e for _, e in await topic_events(stack.bootstrap, CASES, lambda e: e.subject_id == pupil)]
    assert [e.event_type for e in cases] == [
        *["PersuasionAttemptRecorded"] * 3,
        *["CaseEscalated"] * 3,
        "CaseCauseRecorded",
        "ReturnConfirmed",
        "CaseClosed",
    ]
    assert [e.previous_level for e in cases[3:6]] == [None, "criticism_education", "order_to_correct"]
    assert cases[4].deadline == TODAY - timedelta(days=1)
    assert all(e.recorded_by == "张敏" for e in cases[:8])
    assert (cases[8].approved_by, cases[8].returned_on, cases[8].note) == ("李强", TODAY, "巩固期满")
    suspicion = await scalar(db, "SELECT suspicion_id FROM ledger.cases WHERE case_id = $1", case_id)
    assert cases[7].suspicion_id == cases[8].suspicion_id == suspicion
    changes = [e for _, e in await topic_events(stack.bootstrap, LEDGER, lambda e: e.subject_id == pupil)]
    changes = [e for e in changes if e.ledger == "dropouts"]  # the confirmation also moved the other two ledgers
    assert all(e.entry_id == case_id for e in changes)
    assert [e.status for e in changes] == ["open"] * 9 + ["returned", "closed"], "the opening, then each step"
    assert (changes[9].previous_status, changes[10].previous_status) == ("open", "closure_proposed")
    assert (changes[8].cause, changes[10].escalation_level, changes[10].closed_on) == (
        "learning_difficulty",
        "judicial_document",
        TODAY,
    )


async def test_refused_moves_change_nothing_and_only_the_cases_scopes_reach_it(
    stack: Stack, services: dict[str, ServiceProcess], http: httpx.AsyncClient
) -> None:
    base, db = services["ledger"].url, stack.database_url
    county = Api(http, base, stack.token(f"region:{COUNTY}", user="张敏"))
    own_school = Api(http, base, stack.token(f"school:{SCHOOL}", user="李老师"))
    other_school = Api(http, base, stack.token(f"school:{OTHER_SCHOOL}", user="赵老师"))
    other_county = Api(http, base, stack.token(f"region:{OTHER_COUNTY}", user="钱科长"))
    city = Api(http, base, stack.token("region:140100"))
    case_id, _ = await open_case(stack)
    version = "SELECT version FROM ledger.cases WHERE case_id = $1"

    # An attempt by a school on another school's case is refused; its own school and the city above may act.
    problem = await other_school.refused(403, "POST", case_id, "/attempts", attempt(-3))
    assert f"scope school:{OTHER_SCHOOL} does not cover case {case_id}" == problem["detail"]
    await own_school.ok(201, "POST", case_id, "/attempts", attempt(-3))
    await city.ok(201, "POST", case_id, "/attempts", attempt(-2))
    assert (await own_school.get(case_id))["attempts"][0]["recorded_by"] == "李老师"
    await own_school.refused(403, "POST", case_id, "/closure/approve", {})
    await own_school.refused(403, "POST", case_id, "/transfer", {"to_county_code": OTHER_COUNTY, "reason": "搬家"})
    assert await scalar(db, version, case_id) == 3

    # Another county's token on every path that names the case: 403, and nothing changed.
    bodies: list[tuple[str, str, Json | None]] = [
        ("GET", "", None),
        ("POST", "/assignees", {"name": "x", "role": "county"}),
        ("POST", "/attempts", attempt(-1)),
        ("POST", "/escalations", {"level": "criticism_education", "date": day(-1), "issued_by": "x"}),
        ("POST", "/return", {"school_code": SCHOOL, "date": day(0), "placement": "regular"}),
        ("PUT", "/cause", {"main": "work", "others": []}),
        ("POST", "/closure/approve", {"note": "x"}),
        ("POST", "/closure/reject", {"reason": "x"}),
        ("POST", "/transfer", {"to_county_code": "140108", "reason": "x"}),
        ("POST", "/transfer/accept", None),
        ("POST", "/transfer/reject", {"reason": "x"}),
    ]
    for method, path, body in bodies:
        await other_county.refused(403, method, case_id, path, body)
        await other_school.refused(403, method, case_id, path, body)
        # An unknown case is 404 for everyone, before any scope check.
        assert "no case" in (await other_county.refused(404, method, uuid.uuid4(), path, body))["detail"]
    assert await scalar(db, version, case_id) == 3
    assert await scalar(db, "SELECT count(*) FROM ledger.access_log WHERE subject = $1", str(case_id)) == 1

    # Bodies breaking the schema or a rule: 422 with the offending field, nothing changed.
    problem = await county.refused(422, "POST", case_id, "/attempts", {**attempt(-1), "extra": 1})
    assert problem["errors"][0]["loc"] == ["body", "extra"]
    problem = await county.refused(422, "POST", case_id, "/attempts", attempt(-31))
    assert problem["errors"] == [{"loc": ["body", "date"], "msg": problem["detail"]}]
    assert "before the dropout was confirmed" in problem["detail"]
    problem = await county.refused(422, "PUT", case_id, "/cause", {"main": "work", "others": ["work"]})
    assert problem["errors"][0]["loc"] == ["body", "others"]
    problem = await county.refused(422, "POST", case_id, "/transfer", {"to_county_code": COUNTY, "reason": "x"})
    assert problem["errors"][0]["loc"] == ["body", "to_county_code"]
    problem = await county.refused(422, "POST", case_id, "/transfer", {"to_county_code": "999999", "reason": "x"})
    assert problem["errors"][0]["loc"] == ["body", "to_county_code"]
    await county.refused(422, "POST", case_id, "/return", {"school_code": "x", "date": day(0), "placement": "regular"})
    assert "no pending transfer" in (await county.refused(409, "POST", case_id, "/transfer/accept"))["detail"]
    assert await scalar(db, version, case_id) == 3

    # A rejected close-out sends the case back to consolidation, counted again from today.
    await county.ok(200, "POST", case_id, "/return", {"school_code": SCHOOL, "date": day(-1), "placement": "regular"})
    assert "not proposed" in (await county.refused(409, "POST", case_id, "/closure/reject", {"reason": "x"}))["detail"]
    await execute(
        db, "UPDATE ledger.cases SET status = 'closure_proposed', proposed_on = $2 WHERE case_id = $1", case_id, TODAY
    )
    rejected = await county.ok(200, "POST", case_id, "/closure/reject", {"reason": "出勤不稳定"})
    assert (rejected["status"], rejected["proposed_on"], rejected["consolidation_from"]) == ("returned", None, day(0))
    assert rejected["returned_on"] == day(-1)


async def test_two_escalations_at_once_one_wins(
    stack: Stack, services: dict[str, ServiceProcess], http: httpx.AsyncClient
) -> None:
    county = Api(http, services["ledger"].url, stack.token(f"region:{COUNTY}", user="张敏"))
    case_id, _ = await open_case(stack)
    body = {"level": "criticism_education", "date": day(-1), "issued_by": "乡镇政府"}
    answers = await asyncio.gather(*(county.send("POST", case_id, "/escalations", body) for _ in range(2)))
    assert sorted(r.status_code for r in answers) == [201, 409]
    seen = await county.get(case_id)
    assert (seen["escalation_level"], len(seen["escalations"]), seen["version"]) == ("criticism_education", 1, 2)


async def test_a_transfer_accepted_moves_the_case_and_a_rejected_one_keeps_it(
    stack: Stack, services: dict[str, ServiceProcess], http: httpx.AsyncClient
) -> None:
    base, db = services["ledger"].url, stack.database_url
    sending = Api(http, base, stack.token(f"region:{COUNTY}", user="张敏"))
    receiving = Api(http, base, stack.token(f"region:{OTHER_COUNTY}", user="钱科长"))
    moved, pupil = await open_case(stack)
    kept, _ = await open_case(stack)
    offer = {"to_county_code": OTHER_COUNTY, "reason": "全家迁居杏花岭区"}

    await receiving.refused(403, "GET", moved, "")
    transfer = await sending.ok(202, "POST", moved, "/transfer", offer)
    assert (transfer["status"], transfer["from_county_code"], transfer["requested_by"]) == ("pending", COUNTY, "张敏")
    assert "already pending" in (await sending.refused(409, "POST", moved, "/transfer", offer))["detail"]
    assert (await sending.get(moved))["transfer_to"] == OTHER_COUNTY
    # Until it answers, the receiving county reads the case but may not work on it.
    assert (await receiving.get(moved))["county_code"] == COUNTY
    await receiving.refused(403, "POST", moved, "/attempts", attempt(-1))
    await sending.refused(403, "POST", moved, "/transfer/accept")

    accepted = await receiving.ok(200, "POST", moved, "/transfer/accept")
    assert (accepted["county_code"], accepted["transfer_to"]) == (OTHER_COUNTY, None)
    await receiving.ok(201, "POST", moved, "/attempts", attempt(-1))
    await sending.refused(403, "POST", moved, "/attempts", attempt(-1))
    # The school it left no longer acts on it; the school it returns to in the receiving county does.
    left_school = Api(http, base, stack.token(f"school:{SCHOOL}"))
    new_school = Api(http, base, stack.token(f"school:{RECEIVING_SCHOOL}", user="孙老师"))
    await left_school.refused(403, "POST", moved, "/attempts", attempt(-1))
    await new_school.refused(403, "GET", moved, "")
    back = {"school_code": RECEIVING_SCHOOL, "date": day(0), "placement": "regular"}
    returned = await receiving.ok(200, "POST", moved, "/return", back)
    assert (returned["school_code"], returned["return_school_code"]) == (RECEIVING_SCHOOL, RECEIVING_SCHOOL)
    assert (await new_school.get(moved))["status"] == "returned"
    # The sending county still reads the case, and sees the outcome.
    outcome = (await sending.get(moved))["transfers"]
    assert [(t["status"], t["answered_by"]) for t in outcome] == [("accepted", "钱科长")]
    assert (
        "no pending transfer"
        in (await receiving.refused(409, "POST", moved, "/transfer/reject", {"reason": "x"}))["detail"]
    )

    await sending.ok(202, "POST", kept, "/transfer", offer)
    answer = await receiving.ok(200, "POST", kept, "/transfer/reject", {"reason": "查无此人"})
    assert (answer["status"], answer["answer_reason"]) == ("rejected", "查无此人")
    stayed = await sending.get(kept)
    assert (stayed["county_code"], stayed["transfer_to"]) == (COUNTY, None)
    assert [(t["status"], t["answer_reason"]) for t in stayed["transfers"]] == [("rejected", "查无此人")]
    await receiving.refused(403, "GET", kept, "")

    # The sending county keeps the case's last state there, marked as gone to the receiving county.
    kept_states = (
        "SELECT county_code, row->>'transferred_to' FROM ledger.ledger_history WHERE entry_id = $1 ORDER BY seq"
    )
    conn = await asyncpg.connect(db)
    try:
        states = [tuple(r) for r in await conn.fetch(kept_states, moved)]
    finally:
        await conn.close()
    assert states == [(COUNTY, None), (COUNTY, None), (COUNTY, OTHER_COUNTY), *[(OTHER_COUNTY, None)] * 3]

    await relayed(db)
    cases = [e for _, e in await topic_events(stack.bootstrap, CASES, lambda e: e.subject_id == pupil)]
    assert [e.event_type for e in cases] == [
        "CaseTransferRequested",
        "CaseTransferAccepted",
        "PersuasionAttemptRecorded",
        "ReturnConfirmed",
    ]
    assert (cases[1].county_code, cases[1].to_county_code, cases[1].accepted_by) == (COUNTY, OTHER_COUNTY, "钱科长")
    changes = [e for _, e in await topic_events(stack.bootstrap, LEDGER, lambda e: e.subject_id == pupil)]
    assert [(e.change, e.county_code, e.school_code, e.status) for e in changes if e.ledger == "dropouts"] == [
        ("added", COUNTY, SCHOOL, "open"),
        ("updated", COUNTY, SCHOOL, "open"),
        ("removed", COUNTY, SCHOOL, "open"),
        ("added", OTHER_COUNTY, None, "open"),
        ("updated", OTHER_COUNTY, None, "open"),
        ("updated", OTHER_COUNTY, RECEIVING_SCHOOL, "returned"),
    ]

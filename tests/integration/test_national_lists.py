"""The national platform's suspected lists: every item a suspect, and the feedback following the other services.

Verification assigns and concludes the checks itself (its outcome endpoint); the ledger's case events (which the
ledger does not emit yet) and late, redelivered verification events are published here with a test producer.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from baoxue_common.auth import issue_token
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.kafka import make_producer
from baoxue_common.settings import DEV_TOKEN_SECRET
from baoxue_common.testing import national_id
from baoxue_contracts import Envelope, Event
from baoxue_contracts.events.ledger import CaseClosed, CaseReopened, ReturnConfirmed
from baoxue_contracts.events.verification import VerificationAssigned
from baoxue_contracts.topics import CASES, DETECTION, VERIFICATION

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.support import eventually, produce, scalar
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_rules import events_of

COUNTY, SCHOOL = "150123", "1501230001"  # 和林格尔县: no other test's county
FLAGGED = "SuspectedDropoutFlagged"
ITEMS = "SELECT count(*) FROM verification.national_items WHERE county_code = $1"
BORN = date(2014, 5, 9)


def masked(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


async def test_a_national_list_becomes_suspects_whose_feedback_follows_every_state(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the platform's date, as the service dates the list
    by_number, by_hash = kid(COUNTY, 1), kid(COUNTY, 2, groups=["left_behind"])
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await register(ingest, stack.token("admin"), SCHOOL, COUNTY)
        await put_roll(ingest, stack, SCHOOL, today - timedelta(days=20), [by_number, by_hash])
    hashed = "SELECT count(*) = 2 FROM verification.pupils WHERE school_code = $1 AND national_id_hash IS NOT NULL"
    await eventually(lambda: scalar(stack.database_url, hashed, SCHOOL))

    unknown = national_id(COUNTY, BORN, 60)
    item = {"name": "王小明", "county_code": COUNTY, "reason": "学籍系统比对未在校"}
    items = [
        item | {"item_id": "N1", "national_id": by_number["national_id"], "student_id": by_number["student_id"]},
        item | {"item_id": "N2", "national_id": by_hash["national_id"], "school_code": SCHOOL},
        item | {"item_id": "N3", "national_id": unknown.lower() if unknown.endswith("X") else unknown},
    ]
    batch = {"batch_id": "NAT-2026-150123-1", "issued_at": datetime.now(UTC).isoformat(), "items": items}
    national = auth(stack.token("national"))
    base = services["verification"].url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def feedback() -> dict[str, dict[str, Any]]:
            r = await http.get(f"/v1/national/suspected-lists/{batch['batch_id']}", headers=national)
            assert r.status_code == 200, r.text
            return {i["item_id"]: i for i in r.json()["items"]}

        # Two identical posts at once: one stores, both get the same answer.
        answers = await asyncio.gather(
            *(http.post("/v1/national/suspected-lists", headers=national, json=batch) for _ in range(2))
        )
        for r in answers:
            assert (r.status_code, r.json()) == (202, {"batch_id": batch["batch_id"], "accepted": 3}), r.text
        assert await scalar(stack.database_url, ITEMS, COUNTY) == 3

        # The 202 comes before the flags: the worker flags the items right after.
        await eventually(lambda: all_flagged(http, batch["batch_id"], 3))
        await eventually(lambda: verification_published(stack.database_url))
        flags = {e.source_ref: e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {COUNTY})}
        assert set(flags) == {"N1", "N2", "N3"}, "one flag per item, none twice"
        assert {e.source for e in flags.values()} == {"national_platform"}
        assert (flags["N1"].student_id, flags["N1"].school_code) == (by_number["student_id"], SCHOOL)
        assert (flags["N2"].student_id, flags["N2"].groups) == (by_hash["student_id"], ("left_behind",))
        child = flags["N3"]
        assert (child.student_id, child.school_code, child.county_code) == (None, None, COUNTY)
        assert (child.name, child.birth_date, child.national_id_hash is not None) == ("王小明", BORN, True)
        assert all(unknown not in e.model_dump_json() for e in flags.values()), "no ID number in clear"

        # Each suspect gets its verification at once (VerificationAssigned): pending, then verifying.
        async def all_verifying() -> bool:
            return {i["state"] for i in (await feedback()).values()} == {"verifying"}

        await eventually(all_verifying)
        got = await feedback()
        assert {k: (i["student_id"], [h["state"] for h in i["history"]]) for k, i in got.items()} == {
            "N1": (by_number["student_id"], ["pending", "verifying"]),
            "N2": (by_hash["student_id"], ["pending", "verifying"]),
            "N3": (None, ["pending", "verifying"]),
        }
        assert got["N3"]["national_id"] == masked(unknown.upper())
        assert {k: i["suspicion_id"] for k, i in got.items()} == {k: str(e.suspicion_id) for k, e in flags.items()}
        clear = "SELECT count(*) FROM verification.national_items WHERE national_id_hash = $1 OR name = $1"
        assert await scalar(stack.database_url, clear, unknown) == 0

        # The suspects reach the county's suspected ledger.
        async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as ledger:

            async def listed() -> set[str]:
                params = {"source": "national_platform"}
                r = await ledger.get(f"/v1/counties/{COUNTY}/ledgers/suspected", headers=national, params=params)
                assert r.status_code == 200, r.text
                return {i["suspicion_id"] for i in r.json()["items"]}

            await eventually(lambda: _equal(listed, {str(e.suspicion_id) for e in flags.values()}))

        # The other services' events move each item; the feedback shows each state with its date.
        producer = make_producer(stack.settings(), client_id="national-lists-test")
        await producer.start()
        try:

            async def publish(topic: str, event: Event, producer_name: str) -> None:
                at = datetime.combine(today, time(9, 0), tzinfo=UTC)
                envelope = Envelope.wrap(event, producer=producer_name, region=COUNTY, occurred_at=at)
                await produce(producer, topic, [envelope])
                query = "SELECT count(*) FROM verification.inbox WHERE event_id = $1"
                await eventually(lambda: scalar(stack.database_url, query, envelope.event_id))

            def ids(key: str) -> dict[str, Any]:
                e = flags[key]
                return {"suspicion_id": e.suspicion_id, "county_code": COUNTY, "student_id": e.student_id}

            county = auth(stack.token(f"region:{COUNTY}"))
            verified = {"verified_by": "李老师", "verified_on": today.isoformat()}
            outcomes = {
                "N1": {"outcome": "confirmed_dropout", "cause": "family_poverty"},
                "N2": {"outcome": "cleared", "reason": "transferred"},
            }
            for key, outcome in outcomes.items():
                lookup = "SELECT verification_id::text FROM verification.verifications WHERE suspicion_id = $1::uuid"
                vid = await scalar(stack.database_url, lookup, str(flags[key].suspicion_id))
                r = await http.post(f"/v1/verifications/{vid}/outcome", headers=county, json=outcome | verified)
                assert r.status_code == 200, r.text

            async def concluded() -> bool:
                got = await feedback()
                return (got["N1"]["state"], got["N2"]["state"]) == ("confirmed_dropout", "cleared")

            await eventually(concluded)
            got = await feedback()
            assert (got["N1"]["state"], got["N2"]["state"], got["N2"]["reason"]) == (
                "confirmed_dropout",
                "cleared",
                "transferred",
            )
            case = {"case_id": uuid.uuid4(), "county_code": COUNTY, "student_id": by_number["student_id"]}
            back = ReturnConfirmed(
                school_code=SCHOOL,
                returned_on=today,
                placement="regular",
                suspicion_id=flags["N1"].suspicion_id,
                **case,
            )
            await publish(CASES, back, "ledger")
            assert (await feedback())["N1"]["state"] == "returned"
            # The ledger names no suspicion here: the pupil's confirmed item follows by student_id.
            await publish(CASES, CaseClosed(closed_on=today, returned_on=today, **case), "ledger")
            got = await feedback()
            assert got["N1"]["state"] == "closed"
            assert [s["state"] for s in got["N1"]["history"]] == [
                "pending",
                "verifying",
                "confirmed_dropout",
                "returned",
                "closed",
            ]
            assert {s["on"] for s in got["N1"]["history"]} == {today.isoformat()}
            # A late VerificationAssigned leaves a closed item closed, a late one for a cleared item leaves it cleared.
            for key in ("N1", "N2"):
                late = VerificationAssigned(
                    verification_id=uuid.uuid4(), assigned_to="school", assigned_on=today, due_on=today, **ids(key)
                )
                await publish(VERIFICATION, late, "verification")
            got = await feedback()
            assert (got["N1"]["state"], got["N2"]["state"], got["N3"]["state"]) == ("closed", "cleared", "verifying")
            # The child left school again: the item goes back to confirmed_dropout.
            again = CaseReopened(reopened_on=today, reason="又辍学", suspicion_id=flags["N1"].suspicion_id, **case)
            await publish(CASES, again, "ledger")
            assert (await feedback())["N1"]["state"] == "confirmed_dropout"
        finally:
            await producer.stop()

        # The same batch again: the same answer, nothing new on the bus.
        r = await http.post("/v1/national/suspected-lists", headers=national, json=batch)
        assert (r.status_code, r.json()) == (202, {"batch_id": batch["batch_id"], "accepted": 3}), r.text
        await eventually(lambda: verification_published(stack.database_url))
        assert len(await events_of(stack.bootstrap, DETECTION, FLAGGED, {COUNTY})) == 3
        assert (await feedback())["N1"]["state"] == "confirmed_dropout"

    # The child on no roll enrols: the item names the pupil from then on.
    newcomer = kid(COUNTY, 60, birth=BORN)
    assert newcomer["national_id"] == unknown
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await put_roll(ingest, stack, SCHOOL, today, [by_number, by_hash, newcomer])
    matched = "SELECT student_id FROM verification.national_items WHERE batch_id = $1 AND item_id = 'N3'"
    assert await eventually(lambda: scalar(stack.database_url, matched, batch["batch_id"])) == newcomer["student_id"]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await feedback())["N3"]["student_id"] == newcomer["student_id"]


async def progress(http: httpx.AsyncClient, batch_id: str) -> dict[str, int]:
    """How far the flagging of the batch got, by the GET."""
    national = auth(issue_token("national", DEV_TOKEN_SECRET, ttl=timedelta(hours=1)))
    r = await http.get(f"/v1/national/suspected-lists/{batch_id}", headers=national, params={"limit": 1})
    assert r.status_code == 200, r.text
    return dict(r.json()["progress"])


async def all_flagged(http: httpx.AsyncClient, batch_id: str, items: int) -> bool:
    """Whether the worker has flagged every item of the batch."""
    return await progress(http, batch_id) == {"items": items, "flagged": items, "pending": 0}


async def _equal(read: Any, expected: set[str]) -> bool:
    return bool(await read() == expected)


async def test_a_wrong_batch_is_refused_whole_only_the_national_platform_sends_and_a_region_reads_its_own(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    good = national_id(COUNTY, BORN, 70)
    wrong_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    item = {"item_id": "R1", "national_id": good, "name": "张三", "county_code": COUNTY, "reason": "未入学"}
    batch = {"batch_id": "NAT-2026-150123-R", "issued_at": datetime.now(UTC).isoformat(), "items": [item]}
    national = auth(stack.token("national"))
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as http:

        async def post(body: dict[str, Any], headers: dict[str, str] = national) -> httpx.Response:
            return await http.post("/v1/national/suspected-lists", headers=headers, json=body)

        stored = await scalar(stack.database_url, ITEMS, COUNTY)
        wrong = batch | {
            "items": [
                item,
                item | {"national_id": wrong_check, "item_id": "R2"},
                item | {"county_code": "150100", "item_id": "R3"},
                item | {"item_id": "R1", "national_id": national_id(COUNTY, BORN, 71)},
            ]
        }
        r = await post(wrong)
        assert r.status_code == 422, r.text
        locs = [e["loc"] for e in r.json()["errors"]]
        assert locs == [
            ["body", "items", 0, "item_id"],
            ["body", "items", 1, "national_id"],
            ["body", "items", 2, "county_code"],
            ["body", "items", 3, "item_id"],
        ], r.json()
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        r = await post(batch | {"issued_at": future})
        assert r.status_code == 422 and ["body", "issued_at"] in [e["loc"] for e in r.json()["errors"]], r.text
        for odd in ({"issued_at": "2026-11-30T08:00:00"}, {"items": []}, {"batch_id": "白"}, {"extra": 1}):
            r = await post(batch | odd)
            assert r.status_code == 422, (odd, r.text)
        r = await post(batch | {"items": [item | {"item_id": f"X{n}"} for n in range(10_001)]})
        assert r.status_code == 413, r.text
        for scope in ("admin", "national"):
            r = await http.get(f"/v1/national/suspected-lists/{batch['batch_id']}", headers=auth(stack.token(scope)))
            assert r.status_code == 404, r.text
        for scope in (f"region:{COUNTY}", f"school:{SCHOOL}", "region:150000"):
            assert (await post(batch, auth(stack.token(scope)))).status_code == 403, scope
        assert await scalar(stack.database_url, ITEMS, COUNTY) == stored, "a refused batch stores nothing"

        r = await post(batch, auth(stack.token("admin")))
        assert (r.status_code, r.json()) == (202, {"batch_id": batch["batch_id"], "accepted": 1}), r.text
        r = await post(batch | {"items": [item | {"reason": "另一个原因"}]})
        assert r.status_code == 409, r.text
        feedback = f"/v1/national/suspected-lists/{batch['batch_id']}"
        r = await http.get(feedback, headers=auth(stack.token(f"school:{SCHOOL}")))
        assert r.status_code == 403, r.text
        r = await http.get(feedback, headers=auth(stack.token(f"region:{COUNTY}")))
        assert r.status_code == 200 and [i["item_id"] for i in r.json()["items"]] == ["R1"], "its county's items"
        r = await http.get(feedback, headers=auth(stack.token("region:140000")))
        assert (r.status_code, r.json()["items"], r.json()["total"]) == (200, [], 0), "no other county's items"
        r = await http.get(f"/v1/national/suspected-lists/{batch['batch_id']}", headers=national)
        # Stored pending; the worker may have flagged it (and its verification moved it on) already.
        got = [(i["item_id"], i["reason"], i["state"]) for i in r.json()["items"]]
        assert got in ([("R1", None, "pending")], [("R1", None, "verifying")]), got
        assert await scalar(stack.database_url, ITEMS, COUNTY) == stored + 1


LARGE_COUNTY, LARGE_SCHOOL = "150125", "1501250001"  # 清水河县: no other test's county


async def test_a_large_list_is_answered_at_once_and_every_item_flagged_once_though_a_worker_dies(
    stack: Stack, services: dict[str, ServiceProcess], tmp_path: Any
) -> None:
    """2,000 items: 202 at once; a second replica flags part of them and is killed mid-list; every item is flagged,
    each exactly once, the pupils' items (by number or by ID hash) on their pupils."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    pupils = [kid(LARGE_COUNTY, n) for n in range(1, 21)]
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await register(ingest, stack.token("admin"), LARGE_SCHOOL, LARGE_COUNTY)
        await put_roll(ingest, stack, LARGE_SCHOOL, today - timedelta(days=20), pupils)
    on_roll = "SELECT count(*) = 20 FROM verification.pupils WHERE school_code = $1 AND national_id_hash IS NOT NULL"
    await eventually(lambda: scalar(stack.database_url, on_roll, LARGE_SCHOOL))
    item = {"name": "李四", "county_code": LARGE_COUNTY, "reason": "学籍比对未在校"}
    items = [
        item | {"item_id": f"S{n}", "national_id": p["national_id"], "student_id": p["student_id"]}
        for n, p in enumerate(pupils[:10])
    ]
    items += [item | {"item_id": f"H{n}", "national_id": p["national_id"]} for n, p in enumerate(pupils[10:], 10)]
    # ID numbers have 1,000 sequence numbers a birth day (the pupils use the first): unknown children on three days.
    unknown = [national_id(LARGE_COUNTY, BORN + timedelta(days=n // 900), 100 + n % 900) for n in range(1980)]
    items += [item | {"item_id": f"U{n}", "national_id": number} for n, number in enumerate(unknown)]
    batch = {"batch_id": "NAT-2026-150125-L", "issued_at": datetime.now(UTC).isoformat(), "items": items}
    # A second replica of verification, flagging 50 items a transaction: it gets the POST (and the kick), dies.
    env = {**services["verification"].env, "BAOXUE_NATIONAL_CHUNK": "50"}
    replica = ServiceProcess("verification", free_port(), env, tmp_path / "verification-replica.log").start()
    try:
        await replica.wait_healthy()
        async with httpx.AsyncClient(base_url=replica.url, timeout=60) as http:
            began = perf_counter()
            r = await http.post("/v1/national/suspected-lists", headers=auth(stack.token("national")), json=batch)
            answered_s = perf_counter() - began
            assert (r.status_code, r.json()) == (202, {"batch_id": batch["batch_id"], "accepted": 2000}), r.text
            assert answered_s < 5, f"the 202 took {answered_s:.1f} s"
            at_once = await progress(http, batch["batch_id"])
            assert at_once["items"] == 2000 and at_once["flagged"] < 2000, at_once
            await eventually(lambda: _some_flagged(http, batch["batch_id"]), timeout_s=30)
        replica.signal(signal.SIGKILL)  # mid-list: its chunk in hand is rolled back
        assert replica.process is not None and replica.process.wait(10) is not None
    finally:
        await asyncio.to_thread(replica.stop)
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as http:
        left = await progress(http, batch["batch_id"])
        assert left["flagged"] < 2000, f"the replica finished before it died ({left}): nothing was interrupted"
        await eventually(lambda: all_flagged(http, batch["batch_id"], 2000), timeout_s=120)
    await eventually(lambda: verification_published(stack.database_url))
    flags = [e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {LARGE_COUNTY})]
    flags = [e for e in flags if e.source == "national_platform"]
    refs = Counter(e.source_ref for e in flags)
    wanted = {i["item_id"] for i in items}
    assert set(refs) == wanted, f"every item flagged; missing {sorted(wanted - set(refs))[:20]}"
    assert [k for k, n in refs.items() if n > 1] == [], "none twice"
    by_ref = {e.source_ref: e for e in flags}
    for n, p in enumerate(pupils):
        assert by_ref[f"{'S' if n < 10 else 'H'}{n}"].student_id == p["student_id"]
    assert {by_ref[f"U{n}"].student_id for n in range(1980)} == {None}
    query = """SELECT count(DISTINCT i.suspicion_id) FROM verification.national_items i
               JOIN verification.verifications v ON v.suspicion_id = i.suspicion_id WHERE i.batch_id = $1"""
    assert await scalar(stack.database_url, query, batch["batch_id"]) == 2000, "a suspect and verification each"
    # Each item is being verified: by its own VerificationAssigned, or (joining a pupil's roster suspect, which
    # the replica's sweep may have opened first) from the start.
    verifying = "SELECT count(*) FROM verification.national_items WHERE batch_id = $1 AND state = 'verifying'"
    await eventually(lambda: _equals(scalar(stack.database_url, verifying, batch["batch_id"]), 2000), timeout_s=60)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _some_flagged(http: httpx.AsyncClient, batch_id: str) -> bool:
    return (await progress(http, batch_id))["flagged"] > 0

"""Transfers against the running service: the two-rolls conflict, a request, the receiving roll completing it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, of_type, publish_calendar, register, roster_events, state
from tests.integration.test_api_problems import assert_problem

SENDER_COUNTY, SENDER = "110108", "1101080071"  # 海淀区, Beijing
RECEIVER_COUNTY, RECEIVER = "120101", "1201010071"  # 和平区, Tianjin: another county and province
THIRD = "1101080072"


async def test_a_transfer_across_provinces_from_request_to_completion(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    admin = stack.token("admin")
    sender, receiver = auth(stack.token(f"school:{SENDER}")), auth(stack.token(f"school:{RECEIVER}"))
    p, q, r = kid(SENDER_COUNTY, 1), kid(SENDER_COUNTY, 2), kid(SENDER_COUNTY, 3)
    today = date.today() - timedelta(days=1)  # yesterday in UTC is past in Beijing time too
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        for code, county in ((SENDER, SENDER_COUNTY), (RECEIVER, RECEIVER_COUNTY), (THIRD, SENDER_COUNTY)):
            await register(http, admin, code, county)
        year = today.year if today.month >= 8 else today.year - 1
        await publish_calendar(
            http, admin, RECEIVER_COUNTY, f"{year}-{year + 1}", [(f"{year}-08-01", f"{year + 1}-08-31")]
        )
        sent = await http.put(
            f"/v1/schools/{SENDER}/roster", headers=sender, json={"as_of": "2026-09-01", "students": [p, q, r]}
        )
        assert sent.status_code == 200, sent.text

        # Two rolls: the receiver shows p and q before any transfer → 409 naming each, nothing changed.
        before = await state(stack.database_url, [SENDER, RECEIVER])
        early = await http.put(
            f"/v1/schools/{RECEIVER}/roster",
            headers=receiver,
            json={"as_of": "2026-10-01", "students": [kid(RECEIVER_COUNTY, 1), q, p]},
        )
        body = assert_problem(early, 409)
        assert [e["loc"] for e in body["errors"]] == [
            ["body", "students", 1, "student_id"],
            ["body", "students", 2, "student_id"],
        ]
        assert all(SENDER in e["msg"] for e in body["errors"])
        assert await state(stack.database_url, [SENDER, RECEIVER]) == before

        # Rejected transfer requests change nothing.
        url = f"/v1/schools/{SENDER}/transfers"
        stranger = kid(SENDER_COUNTY, 9)["student_id"]
        bad = [
            (
                {"student_id": p["student_id"], "to_school_code": RECEIVER, "date": str(today + timedelta(days=3))},
                ["body", "date"],
            ),
            ({"student_id": p["student_id"], "to_school_code": SENDER, "date": str(today)}, ["body", "to_school_code"]),
            (
                {"student_id": p["student_id"], "to_school_code": "9999999999", "date": str(today)},
                ["body", "to_school_code"],
            ),
            ({"student_id": stranger, "to_school_code": RECEIVER, "date": str(today)}, ["body", "student_id"]),
        ]
        for request, loc in bad:
            problem = assert_problem(await http.post(url, headers=sender, json=request), 422)
            assert [e["loc"] for e in problem["errors"]] == [loc], problem
        other_school = auth(stack.token(f"school:{RECEIVER}"))
        assert_problem(await http.post(url, headers=other_school, json=bad[0][0]), 403)
        assert await state(stack.database_url, [SENDER, RECEIVER]) == before

        # p and q transfer out; the same request again is the same transfer; another destination is a conflict.
        asked = str(today)
        created = await http.post(
            url, headers=sender, json={"student_id": p["student_id"], "to_school_code": RECEIVER, "date": asked}
        )
        assert created.status_code == 201, created.text
        transfer = created.json()
        assert (transfer["status"], transfer["from_school_code"], transfer["to_school_code"]) == (
            "pending",
            SENDER,
            RECEIVER,
        )
        assert transfer["due_on"] and transfer["due_on"] > asked, "20 school days later in the receiver's calendar"
        repeat = await http.post(
            url, headers=sender, json={"student_id": p["student_id"], "to_school_code": RECEIVER, "date": asked}
        )
        assert repeat.status_code == 200 and repeat.json() == transfer
        elsewhere = await http.post(
            url, headers=sender, json={"student_id": p["student_id"], "to_school_code": THIRD, "date": asked}
        )
        assert_problem(elsewhere, 409)
        q_transfer = await http.post(
            url, headers=sender, json={"student_id": q["student_id"], "to_school_code": RECEIVER, "date": asked}
        )
        assert q_transfer.status_code == 201, q_transfer.text

        # The sender's roll drops q first: q left for the transfer; both transfers are still visible as pending.
        dropped = await http.put(
            f"/v1/schools/{SENDER}/roster", headers=sender, json={"as_of": "2026-10-02", "students": [p, r]}
        )
        assert dropped.json()["left"] == 1, dropped.text
        pending = (await http.get(url, headers=sender, params={"status": "pending", "direction": "out"})).json()
        assert pending["total"] == 2 and {t["student_id"] for t in pending["items"]} == {
            p["student_id"],
            q["student_id"],
        }
        incoming = (
            await http.get(f"/v1/schools/{RECEIVER}/transfers", headers=receiver, params={"direction": "in"})
        ).json()
        assert incoming["total"] == 2

        # r is still active at the sender with no transfer: the receiver's roll is refused for r alone.
        refused = await http.put(
            f"/v1/schools/{RECEIVER}/roster", headers=receiver, json={"as_of": "2026-10-03", "students": [p, q, r]}
        )
        assert [e["loc"] for e in assert_problem(refused, 409)["errors"]] == [["body", "students", 2, "student_id"]]

        done = await http.put(
            f"/v1/schools/{RECEIVER}/roster", headers=receiver, json={"as_of": "2026-10-03", "students": [p, q]}
        )
        assert done.json()["joined"] == 2, done.text
        completed = (await http.get(url, headers=sender, params={"status": "completed"})).json()
        assert {t["student_id"]: t["completed_on"] for t in completed["items"]} == {
            p["student_id"]: "2026-10-03",
            q["student_id"]: "2026-10-03",
        }
        assert (await http.get(url, headers=sender, params={"status": "pending"})).json()["total"] == 0
        sender_roll = await http.put(
            f"/v1/schools/{SENDER}/roster", headers=sender, json={"as_of": "2026-10-04", "students": [r]}
        )
        assert sender_roll.json() == {"school_code": SENDER, "joined": 0, "changed": 0, "left": 0}, "p already moved"

    events = await roster_events(stack.bootstrap, [SENDER, RECEIVER], expect=11)
    requested = of_type(events, "TransferRequested")
    assert [(e.region, t.student_id) for e, t in requested] == [
        (SENDER_COUNTY, p["student_id"]),
        (SENDER_COUNTY, q["student_id"]),
    ]
    left = {
        t.student_id: (e.region, t.school_code, t.reason, t.to_school_code, str(t.transfer_id))
        for e, t in of_type(events, "StudentLeft")
    }
    assert left == {
        q["student_id"]: (SENDER_COUNTY, SENDER, "transfer", RECEIVER, q_transfer.json()["transfer_id"]),
        p["student_id"]: (SENDER_COUNTY, SENDER, "transfer", RECEIVER, transfer["transfer_id"]),
    }
    completions = of_type(events, "TransferCompleted")
    assert sorted((e.region, t.school_code, t.from_school_code, t.student_id) for e, t in completions) == sorted(
        (RECEIVER_COUNTY, RECEIVER, SENDER, s["student_id"]) for s in (p, q)
    )
    enrolled = [(e.region, t.school_code, t.student_id) for e, t in of_type(events, "StudentEnrolled")]
    assert enrolled.count((RECEIVER_COUNTY, RECEIVER, p["student_id"])) == 1
    assert len(events) == 11, [
        e.event_type for e, _ in events
    ]  # 3 enrolled + 2 requested + 2 left + 2 enrolled + 2 done


async def test_a_region_cannot_take_over_a_school_of_another_county(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    school = "1201010009"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, stack.token("admin"), school, "120101")
        before = await state(stack.database_url, [school])
        takeover = {"name": "夺取", "county_code": "110101", "kind": "primary"}
        response = await http.put(f"/v1/schools/{school}", headers=auth(stack.token("region:110101")), json=takeover)
        assert "120101" in assert_problem(response, 403)["detail"]
        assert await state(stack.database_url, [school]) == before
        city = auth(stack.token("region:120100"))
        moved = await http.put(f"/v1/schools/{school}", headers=city, json={**takeover, "county_code": "120102"})
        assert moved.status_code == 200 and moved.json()["changed"], "a city may move a school between its counties"


async def test_the_same_transfer_requested_twice_at_once_is_stored_and_announced_once(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    school, to = "1101080073", "1101080074"
    admin, own = stack.token("admin"), auth(stack.token(f"school:{school}"))
    pupil = kid(SENDER_COUNTY, 5)
    asked = (date.today() - timedelta(days=1)).isoformat()
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        for code in (school, to):
            await register(http, admin, code, SENDER_COUNTY)
        roll = await http.put(f"/v1/schools/{school}/roster", headers=own, json={"as_of": asked, "students": [pupil]})
        assert roll.status_code == 200, roll.text
        request = {"student_id": pupil["student_id"], "to_school_code": to, "date": asked}
        url = f"/v1/schools/{school}/transfers"
        answers = await asyncio.gather(*(http.post(url, headers=own, json=request) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json()["transfer_id"] == answers[1].json()["transfer_id"]
    events = await roster_events(stack.bootstrap, [school], expect=2)
    assert [e.event_type for e, _ in events].count("TransferRequested") == 1

"""The commands on a dropout case (劝返个案), each one unit of work: the case changes, the dropout ledger's
history keeps it, the child's timeline gets a line and the case event leaves through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from baoxue_common.auth import Principal
from baoxue_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.base import Event
from baoxue_contracts.events import ledger as ev

from ledger import consolidation, school_age
from ledger.adapters import cases_repository as repo
from ledger.adapters import history
from ledger.changes import jsonable, record_change
from ledger.domain import cases as rules
from ledger.domain.ledgers import noon
from ledger.entrypoints.scopes import covers, ensure_covers

Row = dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """Who sends a command, and the platform's date and instant when it arrives."""

    principal: Principal
    today: date
    now: datetime

    @classmethod
    def of(cls, runtime: ServiceRuntime, principal: Principal) -> Caller:
        """The caller as the runtime's clock sees it."""
        return cls(principal, runtime.clock.today(), runtime.clock.now())

    @property
    def actor(self) -> str:
        """Who to record as having done it."""
        return self.principal.actor


@contextmanager
def case_rules() -> Iterator[None]:
    """Answer a refusal of the case's rules as problem details (409 state, 422 body)."""
    try:
        yield
    except rules.Refusal as refusal:
        if refusal.status == 409:
            raise Conflict(refusal.detail) from refusal
        raise Unprocessable(refusal.detail, errors=[{"loc": refusal.loc, "msg": refusal.detail}]) from refusal


def ensure_may_see(principal: Principal, case: Mapping[str, Any], transfers: list[Row]) -> None:
    """The case's county (or its school); the county a pending transfer offers it to; a county it left (read only)."""
    for t in transfers:
        if t["status"] == rules.PENDING and covers(principal, t["to_county_code"], None):
            return
        if t["status"] == rules.ACCEPTED and covers(principal, t["from_county_code"], None):
            return
    ensure_covers(principal, case["county_code"], case["school_code"], f"case {case['case_id']}")


def ensure_not_school(principal: Principal, what: str) -> None:
    """Close-out and transfers are decided by a county (or above), not by a school."""
    if principal.kind == "school":
        raise Forbidden(f"{what} needs a region token, not {principal.scope}")


async def load(uow: UnitOfWork, case_id: UUID, principal: Principal) -> Row:
    """The case locked for this command (404 unknown, 403 outside the caller's scope)."""
    case = await repo.case_of(uow.session, case_id, lock=True)
    if case is None:
        raise NotFound(f"no case {case_id}")
    ensure_covers(principal, case["county_code"], case["school_code"], f"case {case_id}")
    return case


def case_fields(case: Mapping[str, Any]) -> dict[str, Any]:
    """What every case event says about the case."""
    return {k: case[k] for k in ("case_id", "county_code", "school_code", "student_id")}


async def changed(
    uow: UnitOfWork,
    caller: Caller,
    before: Mapping[str, Any],
    after: Row,
    event: Event | None,
    event_type: str,
    summary: Mapping[str, Any],
    day: date | None = None,
) -> None:
    """Record a changed case: the ledger history and LedgerEntryChanged, the case event, a timeline line.

    `day` is when it happened (an attempt's date, a return's), else today: the as-of ledgers and the timeline
    place the change on that day.
    """
    day = day or caller.today
    await record_change(uow, "dropouts", after, "updated", day, before)
    event_id = None
    if event is not None:
        envelope = uow.emit(
            event,
            region=before["county_code"],
            occurred_at=noon(day),
            school_code=after["school_code"],
            subject_id=after["student_id"],
        )
        event_id = envelope.event_id
    await note(uow, caller, after, event_type, summary, event_id, day)


async def note(
    uow: UnitOfWork,
    caller: Caller,
    case: Mapping[str, Any],
    event_type: str,
    summary: Mapping[str, Any],
    event_id: UUID | None,
    day: date | None = None,
) -> None:
    """A line on the child's timeline for this case, on the day it happened (else today)."""
    await history.note(
        uow.session,
        child_key=case["child_key"],
        event_type=event_type,
        producer="ledger",
        occurred_at=noon(day or caller.today),
        actor=caller.actor,
        summary=jsonable(summary),
        student_id=case["student_id"],
        national_id_hash=case["national_id_hash"],
        county_code=case["county_code"],
        case_id=case["case_id"],
        event_id=event_id,
    )


async def view(uow: UnitOfWork, case: Row, today: date) -> Row:
    """A case as the API shows it."""
    return {**await repo.case_view(uow.session, case), "order_overdue": rules.order_overdue(case, today)}


async def read_case(runtime: ServiceRuntime, principal: Principal, case_id: UUID) -> Row:
    """`GET /v1/cases/{id}`: the case, with the read recorded in the access log."""
    async with runtime.uow() as uow:
        case = await repo.case_of(uow.session, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        ensure_may_see(principal, case, await repo.transfers_of(uow.session, case_id))
        await history.log_read(
            uow.session,
            actor=principal.actor,
            scope=principal.scope,
            action="case",
            county_code=case["county_code"],
            subject=str(case_id),
        )
        result = await view(uow, case, runtime.clock.today())
        await uow.commit()
    return result


async def add_assignee(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """Name a person who works on the case (no case event: a timeline line and LedgerEntryChanged)."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            rules.ensure_not_closed(case, "adding an assignee")
        row = {"assignee_id": uuid.uuid4(), "case_id": case_id, **body, "added_by": caller.actor}
        assignee = await repo.add_assignee(uow.session, row)
        after = await repo.update_case(uow.session, case_id, {})
        await changed(uow, caller, case, after, None, "CaseAssigneeAdded", {"name": body["name"], "role": body["role"]})
        await uow.commit()
    return assignee


async def record_attempt(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """An attempt to persuade the family (劝返)."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            rules.ensure_not_closed(case, "an attempt")
            rules.ensure_day(case, body["date"], caller.today, "date")
        row = {
            "attempt_id": uuid.uuid4(),
            "case_id": case_id,
            "attempted_on": body["date"],
            "method": body["method"],
            "by": body["by"],
            "outcome": body["outcome"],
            "note": body.get("note"),
            "recorded_by": caller.actor,
        }
        attempt = await repo.add_attempt(uow.session, row)
        after = await repo.update_case(uow.session, case_id, {})
        fields = {k: row[k] for k in ("attempt_id", "attempted_on", "method", "by", "outcome", "note", "recorded_by")}
        event = ev.PersuasionAttemptRecorded(**case_fields(case), **fields)
        await changed(uow, caller, case, after, event, event.event_type, fields, body["date"])
        await uow.commit()
    return attempt


async def escalate(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """A step up the legal ladder; only the next level is accepted."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        level, day, deadline = body["level"], body["date"], body.get("deadline")
        with case_rules():
            previous = rules.check_escalation(case, level, day, deadline, caller.today)
            rules.ensure_after_previous(day, await repo.last_escalation_on(uow.session, case_id))
        row = {"case_id": case_id, "level": level, "escalated_on": day, "deadline": deadline}
        escalation = await repo.add_escalation(
            uow.session, {**row, "issued_by": body["issued_by"], "recorded_by": caller.actor}
        )
        values: Row = {"escalation_level": level}
        if level == "order_to_correct":
            values["order_deadline"] = deadline
        after = await repo.update_case(uow.session, case_id, values)
        event = ev.CaseEscalated(
            **case_fields(case),
            level=level,
            previous_level=previous,
            escalated_on=day,
            deadline=deadline,
            issued_by=body["issued_by"],
            recorded_by=caller.actor,
        )
        summary = {"level": level, "previous_level": previous, "date": day, "deadline": deadline}
        await changed(uow, caller, case, after, event, event.event_type, summary, day)
        await uow.commit()
    return escalation


async def confirm_return(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """The child is back in school (复学): consolidation starts on the day of the return."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        day, school = body["date"], body["school_code"]
        with case_rules():
            rules.check_return(case, day, caller.today)
        values: Row = {
            "status": rules.RETURNED,
            "returned_on": day,
            "return_school_code": school,
            "placement": body["placement"],
            "return_recorded_by": caller.actor,
            "consolidation_from": day,
        }
        if case["school_code"] is None:  # a case taken from another county: the school it returns to holds it
            values["school_code"] = school
        after = await repo.update_case(uow.session, case_id, values)
        due = await consolidation.due_on(uow.session, case["county_code"], day)
        event = ev.ReturnConfirmed(
            **{**case_fields(case), "school_code": school},
            returned_on=day,
            placement=body["placement"],
            consolidation_due_on=due,
            recorded_by=caller.actor,
            suspicion_id=case["suspicion_id"],
        )
        await school_age.set_status(uow, case["child_key"], "returned", day, school_code=school)
        summary = {"school_code": school, "date": day, "placement": body["placement"], "consolidation_due_on": due}
        await changed(uow, caller, case, after, event, event.event_type, summary, day)
        result = await view(uow, after, caller.today)
        await uow.commit()
    return result


async def record_cause(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """The causes of the dropout (辍学原因), one of them the main one."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            others = rules.check_cause(case, body["main"], body.get("others", ()))
        if (case["cause_main"], list(case["cause_others"])) == (body["main"], others):
            return await view(uow, case, caller.today)  # the same causes again: nothing changes
        after = await repo.update_case(uow.session, case_id, {"cause_main": body["main"], "cause_others": others})
        event = ev.CaseCauseRecorded(
            **case_fields(case),
            main=body["main"],
            others=tuple(others),
            recorded_on=caller.today,
            recorded_by=caller.actor,
        )
        await changed(uow, caller, case, after, event, event.event_type, {"main": body["main"], "others": others})
        result = await view(uow, after, caller.today)
        await uow.commit()
    return result

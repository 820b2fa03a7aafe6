"""The decisions on a dropout case a county takes: close-out approval (销号审批) and transfer between counties
(跨县转移). Each is one unit of work, like the commands in `case_commands`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from baoxue_common.auth import Principal
from baoxue_common.errors import Forbidden, NotFound
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events import ledger as ev

from ledger import school_age
from ledger.adapters import cases_repository as repo
from ledger.case_commands import Caller, Row, case_fields, case_rules, changed, ensure_not_school, load, note, view
from ledger.changes import record_change
from ledger.domain import cases as rules
from ledger.entrypoints.scopes import covers, ensure_covers


async def _close(uow: UnitOfWork, caller: Caller, case: Row, reason: str, note: str | None) -> Row:
    """Close a locked case with its reason: the row, CaseClosed, the history and the timeline; return its view."""
    values = {"status": rules.CLOSED, "closed_on": caller.today, "closed_by": caller.actor, "close_reason": reason}
    after = await repo.update_case(uow.session, case["case_id"], values)
    event = ev.CaseClosed(
        **case_fields(case),
        closed_on=caller.today,
        returned_on=case["returned_on"],
        approved_by=caller.actor,
        note=note,
        reason=reason,
        suspicion_id=case["suspicion_id"],
    )
    summary = {"closed_on": caller.today, "returned_on": case["returned_on"], "reason": reason, "note": note}
    await changed(uow, caller, case, after, event, event.event_type, summary)
    return await view(uow, after, caller.today)


async def approve_closure(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """Close the case out (销号); the approver is not the one who recorded the return."""
    ensure_not_school(principal, "approving a close-out")
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            rules.check_approver(case, caller.actor)
        result = await _close(uow, caller, case, "consolidated", body.get("note"))
        await uow.commit()
    return result


async def cancel_case(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """Close the case without a consolidated return (撤销), with a coded reason; the child's status follows."""
    ensure_not_school(principal, "cancelling a case")
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            rules.check_cancel(case, await repo.pending_transfer(uow.session, case_id))
        result = await _close(uow, caller, case, body["reason"], body.get("note"))
        if status := rules.CANCEL_STATUS.get(body["reason"]):
            await school_age.set_status(uow, case["child_key"], status, caller.today)
        await uow.commit()
    return result


async def reject_closure(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """Refuse the close-out: the case goes back to consolidation, counted again from today."""
    ensure_not_school(principal, "rejecting a close-out")
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        with case_rules():
            rules.check_closure_answer(case, "rejection")
        values = {"status": rules.RETURNED, "proposed_on": None, "consolidation_from": caller.today}
        after = await repo.update_case(uow.session, case_id, values)
        event = ev.CaseClosureRejected(
            **case_fields(case), rejected_on=caller.today, rejected_by=caller.actor, reason=body["reason"]
        )
        await changed(uow, caller, case, after, event, event.event_type, {"reason": body["reason"]})
        result = await view(uow, after, caller.today)
        await uow.commit()
    return result


async def request_transfer(
    runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]
) -> Row:
    """Offer the case to the county the child lives in; it stays here until that county answers."""
    ensure_not_school(principal, "a transfer")
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case = await load(uow, case_id, principal)
        to_county = body["to_county_code"]
        with case_rules():
            rules.check_transfer(case, to_county, await repo.pending_transfer(uow.session, case_id))
        row = {
            "transfer_id": uuid.uuid4(),
            "case_id": case_id,
            "from_county_code": case["county_code"],
            "to_county_code": to_county,
            "reason": body["reason"],
            "requested_on": caller.today,
            "requested_by": caller.actor,
            "status": rules.PENDING,
        }
        transfer = await repo.add_transfer(uow.session, row)
        after = await repo.update_case(uow.session, case_id, {"transfer_to": to_county})
        event = ev.CaseTransferRequested(
            **case_fields(case),
            to_county_code=to_county,
            requested_on=caller.today,
            requested_by=caller.actor,
            reason=body["reason"],
        )
        await changed(
            uow, caller, case, after, event, event.event_type, {"to_county_code": to_county, "reason": body["reason"]}
        )
        await uow.commit()
    return transfer


async def _pending_for(uow: Any, principal: Principal, case_id: UUID, answer: str) -> tuple[Row, Row]:
    """The case and its pending transfer, for the receiving county only."""
    case = await repo.case_of(uow.session, case_id, lock=True)
    if case is None:
        raise NotFound(f"no case {case_id}")
    pending = await repo.pending_transfer(uow.session, case_id)
    if pending is None:
        ensure_covers(principal, case["county_code"], case["school_code"], f"case {case_id}")
    elif not covers(principal, pending["to_county_code"], None):
        receiving = pending["to_county_code"]
        raise Forbidden(f"scope {principal.scope} is not the county case {case_id} is offered to ({receiving})")
    with case_rules():
        return case, rules.check_transfer_answer(case, pending, answer)


async def accept_transfer(runtime: ServiceRuntime, principal: Principal, case_id: UUID) -> Row:
    """The receiving county takes the case: it leaves the sending county's dropout ledger and enters its own."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case, pending = await _pending_for(uow, principal, case_id, "acceptance")
        to_county = pending["to_county_code"]
        answer = {"status": rules.ACCEPTED, "answered_on": caller.today, "answered_by": caller.actor}
        await repo.answer_transfer(uow.session, pending["transfer_id"], answer)
        # The child has no school in the receiving county until it returns: the school it left no longer acts.
        moved = {"county_code": to_county, "school_code": None, "transfer_to": None}
        after = await repo.update_case(uow.session, case_id, moved)
        # The sending county's last kept state: marked as gone, so its as-of ledgers leave the case out from today.
        left = {**after, **case_fields(case), "transferred_to": to_county}
        await record_change(uow, "dropouts", left, "removed", caller.today, case)
        await record_change(uow, "dropouts", after, "added", caller.today, None)
        event = ev.CaseTransferAccepted(
            **case_fields(case), to_county_code=to_county, accepted_on=caller.today, accepted_by=caller.actor
        )
        envelope = uow.emit(
            event,
            region=case["county_code"],
            occurred_at=caller.now,
            school_code=case["school_code"],
            subject_id=case["student_id"],
        )
        summary = {"from_county_code": case["county_code"], "to_county_code": to_county}
        await note(uow, caller, after, event.event_type, summary, envelope.event_id)
        result = await view(uow, after, caller.today)
        await uow.commit()
    return result


async def reject_transfer(runtime: ServiceRuntime, principal: Principal, case_id: UUID, body: Mapping[str, Any]) -> Row:
    """The receiving county refuses the case, with a reason; it stays with the sending county."""
    caller = Caller.of(runtime, principal)
    async with runtime.uow() as uow:
        case, pending = await _pending_for(uow, principal, case_id, "rejection")
        answer = {
            "status": rules.REJECTED,
            "answered_on": caller.today,
            "answered_by": caller.actor,
            "answer_reason": body["reason"],
        }
        await repo.answer_transfer(uow.session, pending["transfer_id"], answer)
        after = await repo.update_case(uow.session, case_id, {"transfer_to": None})
        event = ev.CaseTransferRejected(
            **case_fields(case),
            to_county_code=pending["to_county_code"],
            rejected_on=caller.today,
            rejected_by=caller.actor,
            reason=body["reason"],
        )
        summary = {"to_county_code": pending["to_county_code"], "reason": body["reason"]}
        await changed(uow, caller, case, after, event, event.event_type, summary)
        await uow.commit()
    return {**pending, **answer}

"""The rules of a dropout case (劝返个案): what each command may do to a case in its current state.

Glossary: 批评教育 criticism_education, 责令限期改正 order_to_correct, 司法文书 judicial_document,
法律责任 legal_action; 复学 return, 巩固 consolidation, 销号 closure, 跨县转移 transfer.
Every check raises `Refusal` (409 for a conflict with the case's state, 422 for a rule the body breaks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from baoxue_contracts.events.ledger import ESCALATION_ORDER

from ledger.domain.ledgers import SchoolAgeStatus

CLOSED, OPEN, RETURNED, PROPOSED = "closed", "open", "returned", "closure_proposed"
CANCEL_STATUS: dict[str, SchoolAgeStatus] = {
    "deceased": "deceased",
    "emigrated": "emigrated",
    "studying_elsewhere": "studying_elsewhere",
}
"""The school-age status a cancelled case's child takes (the other reasons leave it to the rolls)."""
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
Row = dict[str, Any]


class Refusal(Exception):
    """A command the case refuses: `status` 409 (its state) or 422 (the body), `loc` the offending field."""

    def __init__(self, status: Literal[409, 422], detail: str, loc: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.loc = list(loc)


def conflict(detail: str) -> Refusal:
    """A refusal because of the case's state."""
    return Refusal(409, detail)


def broken(detail: str, *loc: str) -> Refusal:
    """A refusal because of a value of the body."""
    return Refusal(422, detail, ("body", *loc))


def ensure_not_closed(case: Mapping[str, Any], action: str) -> None:
    """Work on a case goes on until it is closed."""
    if case["status"] == CLOSED:
        raise conflict(f"{action} on a closed case")


def ensure_day(case: Mapping[str, Any], day: date, today: date, *loc: str) -> None:
    """A recorded day is not in the future and not before the dropout was confirmed."""
    if day > today:
        raise broken(f"{day} is in the future", *loc)
    if day < case["confirmed_on"]:
        raise broken(f"{day} is before the dropout was confirmed on {case['confirmed_on']}", *loc)


def next_level(current: str | None) -> str | None:
    """The only level a case at `current` may move up to; None above the top."""
    if current is None:
        return ESCALATION_ORDER[0]
    index = ESCALATION_ORDER.index(current)
    return ESCALATION_ORDER[index + 1] if index + 1 < len(ESCALATION_ORDER) else None


def check_escalation(case: Mapping[str, Any], level: str, day: date, deadline: date | None, today: date) -> str | None:
    """Check a move up the ladder; return the level it leaves (None for the first)."""
    ensure_not_closed(case, "an escalation")
    if level not in ESCALATION_ORDER:
        raise broken(f"{level} is not an escalation level", "level")
    current = case["escalation_level"]
    expected = next_level(current)
    if level != expected:
        if current is not None and ESCALATION_ORDER.index(level) <= ESCALATION_ORDER.index(current):
            how = "repeats" if level == current else "goes down from"
            raise conflict(f"escalation to {level} {how} the current level {current}; levels only go up")
        if expected is None:
            raise conflict(f"the case is already at the top level {current}")
        raise conflict(f"escalation to {level} skips {expected}; levels go up one at a time")
    ensure_day(case, day, today, "date")
    if level == "order_to_correct":
        if deadline is None:
            raise broken("an order to correct needs a deadline", "deadline")
        if deadline <= day:
            raise broken(f"the deadline {deadline} is not after the order's date {day}", "deadline")
    return current  # type: ignore[no-any-return]


def ensure_after_previous(day: date, previous_on: date | None) -> None:
    """A level is not dated before the level below it."""
    if previous_on is not None and day < previous_on:
        raise broken(f"{day} is before the previous level's date {previous_on}", "date")


def check_return(case: Mapping[str, Any], day: date, today: date) -> None:
    """Only an open case records a return."""
    if case["status"] in (RETURNED, PROPOSED, CLOSED):
        detail = "return of a closed case" if case["status"] == CLOSED else "the return is already recorded"
        raise conflict(f"{detail} (status {case['status']})")
    ensure_day(case, day, today, "date")


def check_cause(case: Mapping[str, Any], main: str, others: Sequence[str]) -> list[str]:
    """Check the causes; return the other causes, each once, in the order given."""
    ensure_not_closed(case, "recording a cause")
    if main in others:
        raise broken(f"the main cause {main} is also among the others", "others")
    return list(dict.fromkeys(others))


def check_closure_answer(case: Mapping[str, Any], answer: str) -> None:
    """A close-out is approved or rejected only once it is proposed."""
    if case["status"] != PROPOSED:
        raise conflict(f"{answer} of a close-out that is not proposed (status {case['status']})")


def check_approver(case: Mapping[str, Any], actor: str) -> None:
    """The one who recorded the return does not approve its close-out (four eyes)."""
    check_closure_answer(case, "approval")
    if case["return_recorded_by"] == actor:
        raise conflict(f"{actor} recorded the return and cannot also approve the close-out")


def check_cancel(case: Mapping[str, Any], pending: Mapping[str, Any] | None) -> None:
    """A case is cancelled while not closed, and not while another county is deciding on it."""
    ensure_not_closed(case, "cancelling")
    if pending is not None:
        raise conflict(f"a transfer to {pending['to_county_code']} is pending: it is answered first")


def check_transfer(case: Mapping[str, Any], to_county: str, pending: Mapping[str, Any] | None) -> None:
    """A case is offered to one other county at a time."""
    ensure_not_closed(case, "a transfer")
    if pending is not None:
        raise conflict(f"a transfer to {pending['to_county_code']} is already pending")
    if to_county.endswith("00"):
        raise broken(f"{to_county} is a city or province, not a county", "to_county_code")
    if to_county == case["county_code"]:
        raise broken(f"the case already belongs to county {to_county}", "to_county_code")


def check_transfer_answer(case: Mapping[str, Any], pending: Row | None, answer: str) -> Row:
    """Only a pending transfer is accepted or rejected; return it."""
    if pending is None:
        raise conflict(f"no pending transfer to {answer}")
    ensure_not_closed(case, f"{answer} of a transfer")
    return pending


def order_overdue(case: Mapping[str, Any], today: date) -> bool:
    """An order to correct whose deadline has passed with the child not back."""
    deadline = case.get("order_deadline")
    return (
        case["escalation_level"] == "order_to_correct"
        and deadline is not None
        and deadline < today
        and case["status"] == OPEN
    )

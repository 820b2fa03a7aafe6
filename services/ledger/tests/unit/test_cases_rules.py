"""The rules of a dropout case: the escalation ladder, return, causes, close-out, transfer, overdue orders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from baoxue_contracts.events.ledger import ESCALATION_ORDER
from ledger.domain import cases as rules
from ledger.domain.cases import Refusal

TODAY = date(2026, 11, 30)
CONFIRMED = TODAY - timedelta(days=20)
DAY = TODAY - timedelta(days=5)


def case(**changes: Any) -> dict[str, Any]:
    values = {
        "status": "open",
        "escalation_level": None,
        "order_deadline": None,
        "confirmed_on": CONFIRMED,
        "county_code": "140106",
        "return_recorded_by": None,
    }
    return {**values, **changes}


def refused(status: int, fragment: str, call: Any, *args: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        call(*args)
    assert caught.value.status == status
    assert fragment in caught.value.detail
    return caught.value


def test_the_ladder_is_climbed_one_level_at_a_time_from_criticism() -> None:
    current = None
    for level in ESCALATION_ORDER:
        deadline = DAY + timedelta(days=10) if level == "order_to_correct" else None
        assert rules.check_escalation(case(escalation_level=current), level, DAY, deadline, TODAY) == current
        current = level
    assert rules.next_level("legal_action") is None


@pytest.mark.parametrize(
    ("current", "level", "fragment"),
    [
        (None, "order_to_correct", "skips criticism_education"),
        (None, "legal_action", "skips criticism_education"),
        ("criticism_education", "judicial_document", "skips order_to_correct"),
        ("criticism_education", "criticism_education", "repeats the current level"),
        ("judicial_document", "order_to_correct", "goes down from the current level"),
        ("legal_action", "legal_action", "repeats"),
    ],
)
def test_an_escalation_out_of_order_is_a_conflict(current: str | None, level: str, fragment: str) -> None:
    deadline = DAY + timedelta(days=3)
    refused(409, fragment, rules.check_escalation, case(escalation_level=current), level, DAY, deadline, TODAY)


def test_an_unknown_level_breaks_the_body() -> None:
    refusal = refused(422, "not an escalation level", rules.check_escalation, case(), "warning", DAY, None, TODAY)
    assert refusal.loc == ["body", "level"]


def test_an_order_to_correct_needs_a_deadline_after_its_date() -> None:
    at_criticism = case(escalation_level="criticism_education")
    missing = refused(
        422, "needs a deadline", rules.check_escalation, at_criticism, "order_to_correct", DAY, None, TODAY
    )
    assert missing.loc == ["body", "deadline"]
    refused(422, "not after", rules.check_escalation, at_criticism, "order_to_correct", DAY, DAY, TODAY)
    early = DAY - timedelta(days=1)
    refused(422, "not after", rules.check_escalation, at_criticism, "order_to_correct", DAY, early, TODAY)


def test_an_escalation_of_a_closed_case_is_a_conflict() -> None:
    refused(409, "closed case", rules.check_escalation, case(status="closed"), "criticism_education", DAY, None, TODAY)


@pytest.mark.parametrize(
    ("day", "fragment"),
    [(TODAY + timedelta(days=1), "in the future"), (CONFIRMED - timedelta(days=1), "before the dropout was confirmed")],
)
def test_a_day_in_the_future_or_before_confirmation_breaks_the_body(day: date, fragment: str) -> None:
    refusal = refused(422, fragment, rules.ensure_day, case(), day, TODAY, "date")
    assert refusal.loc == ["body", "date"]
    refused(422, fragment, rules.check_escalation, case(), "criticism_education", day, None, TODAY)
    refused(422, fragment, rules.check_return, case(), day, TODAY)


def test_the_bounds_of_a_day_are_allowed() -> None:
    rules.ensure_day(case(), TODAY, TODAY, "date")
    rules.ensure_day(case(), CONFIRMED, TODAY, "date")


@pytest.mark.parametrize("action", ["an attempt", "adding an assignee"])
def test_work_on_a_closed_case_is_a_conflict(action: str) -> None:
    rules.ensure_not_closed(case(status="returned"), action)
    refused(409, f"{action} on a closed case", rules.ensure_not_closed, case(status="closed"), action)


def test_only_an_open_case_records_a_return() -> None:
    rules.check_return(case(), DAY, TODAY)
    refused(409, "return of a closed case", rules.check_return, case(status="closed"), DAY, TODAY)
    refused(409, "already recorded", rules.check_return, case(status="returned"), DAY, TODAY)
    refused(409, "already recorded", rules.check_return, case(status="closure_proposed"), DAY, TODAY)


def test_the_main_cause_is_not_among_the_others_and_others_count_once() -> None:
    assert rules.check_cause(case(), "work", ["family_poverty", "other", "family_poverty"]) == [
        "family_poverty",
        "other",
    ]
    refusal = refused(422, "also among the others", rules.check_cause, case(), "work", ["work"])
    assert refusal.loc == ["body", "others"]
    refused(409, "closed case", rules.check_cause, case(status="closed"), "work", [])


def test_a_close_out_is_answered_only_when_proposed_and_not_by_who_recorded_the_return() -> None:
    proposed = case(status="closure_proposed", return_recorded_by="王芳")
    rules.check_approver(proposed, "张敏")
    rules.check_closure_answer(proposed, "rejection")
    refused(409, "cannot also approve", rules.check_approver, proposed, "王芳")
    for status in ("open", "returned", "closed"):
        refused(409, "not proposed", rules.check_approver, case(status=status), "张敏")
        refused(409, "not proposed", rules.check_closure_answer, case(status=status), "rejection")


def test_a_transfer_goes_to_one_other_county_at_a_time() -> None:
    rules.check_transfer(case(), "140107", None)
    refused(409, "already pending", rules.check_transfer, case(), "140108", {"to_county_code": "140107"})
    refusal = refused(422, "already belongs", rules.check_transfer, case(), "140106", None)
    assert refusal.loc == ["body", "to_county_code"]
    refused(422, "not a county", rules.check_transfer, case(), "140100", None)
    refused(409, "closed case", rules.check_transfer, case(status="closed"), "140107", None)


def test_only_a_pending_transfer_is_answered() -> None:
    rules.check_transfer_answer(case(), {"to_county_code": "140107"}, "acceptance")
    refused(409, "no pending transfer", rules.check_transfer_answer, case(), None, "acceptance")


@pytest.mark.parametrize(
    ("changes", "overdue"),
    [
        ({"escalation_level": "order_to_correct", "order_deadline": TODAY - timedelta(days=1)}, True),
        ({"escalation_level": "order_to_correct", "order_deadline": TODAY}, False),
        (
            {"escalation_level": "order_to_correct", "order_deadline": TODAY - timedelta(days=1), "status": "returned"},
            False,
        ),
        ({"escalation_level": "judicial_document", "order_deadline": TODAY - timedelta(days=1)}, False),
        ({"escalation_level": "criticism_education"}, False),
        ({}, False),
    ],
)
def test_an_order_is_overdue_when_its_deadline_passed_with_the_child_not_back(
    changes: dict[str, Any], overdue: bool
) -> None:
    assert rules.order_overdue(case(**changes), TODAY) is overdue


def test_a_level_is_not_dated_before_the_level_below_it() -> None:
    rules.ensure_after_previous(DAY, None)
    rules.ensure_after_previous(DAY, DAY)
    refusal = refused(
        422, "before the previous level's date", rules.ensure_after_previous, DAY, DAY + timedelta(days=1)
    )
    assert refusal.loc == ["body", "date"]


def test_a_case_is_cancelled_while_not_closed_and_not_during_a_transfer() -> None:
    for status in ("open", "returned", "closure_proposed"):
        rules.check_cancel(case(status=status), None)
    refused(409, "closed case", rules.check_cancel, case(status="closed"), None)
    refused(409, "pending", rules.check_cancel, case(), {"to_county_code": "140107"})
    assert rules.CANCEL_STATUS == {
        "deceased": "deceased",
        "emigrated": "emigrated",
        "studying_elsewhere": "studying_elsewhere",
    }, "confirmed_in_error and aged_out leave the child's status to the rolls"

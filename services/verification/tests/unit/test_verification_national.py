"""The national lists: which items are refused, and how an item's feedback state moves (never backwards)."""

from __future__ import annotations

from datetime import date

import pytest
from baoxue_common.testing import national_id
from verification.domain.national import (
    STATES,
    Change,
    Item,
    ItemStanding,
    State,
    birth_date_of,
    entry,
    item_problems,
    moves,
    start_of,
    suspicion_id_of,
)

BORN = date(2014, 5, 9)
NUMBER = national_id("150121", BORN, 7)
ON = date(2026, 11, 30)


def item(item_id: str = "A1", number: str = NUMBER, county: str = "150121") -> Item:
    return Item(item_id=item_id, national_id=number, name="王小明", county_code=county, reason="未注册学籍")


def test_a_valid_batch_has_no_problems_and_the_birth_date_comes_from_the_id_number() -> None:
    assert item_problems([item("A1"), item("A2", national_id("150121", BORN, 8))]) == []
    assert birth_date_of(NUMBER) == BORN


def test_every_wrong_item_is_listed_with_its_index_and_field() -> None:
    wrong_check = NUMBER[:-1] + ("1" if NUMBER[-1] != "1" else "2")
    problems = item_problems(
        [item("A1"), item("A1"), item("A3", wrong_check), item("A4", "１２３"), item("A5", county="150100")]
    )
    assert [(i, name) for i, name, _ in problems] == [
        (0, "item_id"),
        (1, "item_id"),
        (2, "national_id"),
        (3, "national_id"),
        (4, "county_code"),
    ]


def test_an_items_suspicion_id_is_stable_per_batch_and_item() -> None:
    assert suspicion_id_of("B1", "A1") == suspicion_id_of("B1", "A1")
    assert len({suspicion_id_of("B1", "A1"), suspicion_id_of("B1", "A2"), suspicion_id_of("B2", "A1")}) == 3


FORWARD: list[tuple[State, State, bool]] = [
    ("pending", "verifying", True),
    ("pending", "confirmed_dropout", True),  # DropoutConfirmed before VerificationAssigned: still forward
    ("pending", "cleared", True),
    ("verifying", "confirmed_dropout", True),
    ("verifying", "cleared", True),
    ("confirmed_dropout", "returned", True),
    ("confirmed_dropout", "closed", True),  # CaseClosed arriving before ReturnConfirmed
    ("returned", "closed", True),
    # Late or redelivered: never backwards.
    ("verifying", "verifying", False),
    ("confirmed_dropout", "verifying", False),
    ("closed", "verifying", False),
    ("closed", "confirmed_dropout", False),
    ("closed", "returned", False),
    ("returned", "confirmed_dropout", False),
    ("confirmed_dropout", "cleared", False),
    ("cleared", "verifying", False),
    ("cleared", "confirmed_dropout", False),  # a cleared item is final
    ("cleared", "returned", False),
    ("cleared", "closed", False),
    ("cleared", "cleared", False),
]


@pytest.mark.parametrize(("current", "to", "expected"), FORWARD)
def test_a_state_moves_only_forward(current: State, to: State, expected: bool) -> None:
    assert moves(current, Change(to, ON)) is expected


@pytest.mark.parametrize("current", STATES)
def test_only_a_returned_or_closed_item_is_taken_back_by_a_reopened_case(current: State) -> None:
    assert moves(current, Change("confirmed_dropout", ON, reopen=True)) is (current in ("returned", "closed"))


def test_a_history_entry_carries_the_state_its_day_and_a_clear_reason() -> None:
    assert entry(Change("verifying", ON)) == {"state": "verifying", "on": "2026-11-30"}
    assert entry(Change("cleared", ON, reason="transferred")) == {
        "state": "cleared",
        "on": "2026-11-30",
        "reason": "transferred",
    }


FLAGGED, ASSIGNED = date(2026, 11, 30), date(2026, 11, 20)
PENDING = ItemStanding("pending", None, [{"state": "pending", "on": "2026-11-30"}])
CLEARED = ItemStanding(
    "cleared",
    "transferred",
    [{"state": "pending", "on": "2026-11-01"}, {"state": "cleared", "on": "2026-11-02", "reason": "transferred"}],
)
VERIFYING = ItemStanding(
    "verifying", None, [{"state": "pending", "on": "2026-11-30"}, {"state": "verifying", "on": "2026-11-20"}]
)


@pytest.mark.parametrize(
    ("created", "followed", "assigned_on", "expected"),
    [
        (True, None, None, PENDING),  # opened the suspect: its own VerificationAssigned moves it
        (True, CLEARED, ASSIGNED, PENDING),
        (False, None, None, PENDING),  # joined a suspect with no verification yet
        (False, None, ASSIGNED, VERIFYING),  # joined a suspect another source has being verified
        (False, PENDING, ASSIGNED, VERIFYING),  # the items already following it have not moved yet
        (False, PENDING, None, PENDING),
        (False, CLEARED, ASSIGNED, CLEARED),  # as far as the items following it
    ],
)
def test_a_flagged_item_starts_where_its_suspect_stands(
    created: bool, followed: ItemStanding | None, assigned_on: date | None, expected: ItemStanding
) -> None:
    assert start_of(FLAGGED, created, followed, assigned_on) == expected

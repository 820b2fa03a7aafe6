"""A repeated flag changes an entry only when it brings new groups or poverty; only open suspects can be cleared."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from ledger.domain.ledgers import STATUS_LABELS, SuspectStatus, can_clear, group_list, profile_changes


def stored(groups: list[str], poverty: bool = False) -> dict[str, Any]:
    return {"groups": groups, "poverty_household": poverty, "status": "pending"}


@pytest.mark.parametrize(
    ("before", "groups", "poverty", "expected"),
    [
        (stored([]), (), False, {}),
        (stored(["orphan"]), ("orphan",), False, {}),
        (stored(["orphan", "left_behind"]), ("left_behind", "orphan"), False, {}),
        (stored(["orphan"]), ("orphan", "orphan"), False, {}),
        (stored([]), ("left_behind",), False, {"groups": ["left_behind"]}),
        (stored(["orphan"]), ("disabled", "orphan"), False, {"groups": ["disabled", "orphan"]}),
        (stored(["orphan"]), (), False, {"groups": []}),
        (stored([]), (), True, {"poverty_household": True}),
        (stored([], poverty=True), (), False, {"poverty_household": False}),
        (stored([]), ("orphan",), True, {"groups": ["orphan"], "poverty_household": True}),
    ],
)
def test_a_repeated_flag_changes_only_what_differs(
    before: dict[str, Any], groups: tuple[str, ...], poverty: bool, expected: dict[str, Any]
) -> None:
    assert profile_changes(before, groups, poverty) == expected


def test_groups_are_stored_once_each_in_order() -> None:
    assert group_list(("orphan", "disabled", "orphan")) == ["disabled", "orphan"]


@pytest.mark.parametrize(
    ("status", "clears"),
    [("pending", True), ("verifying", True), ("cleared", False), ("confirmed_dropout", False)],
)
def test_only_open_suspects_are_cleared(status: str, clears: bool) -> None:
    assert can_clear(status) is clears


def test_every_status_has_a_chinese_label() -> None:
    assert set(STATUS_LABELS) == set(get_args(SuspectStatus))

"""A flag's standing: groups compared as a set, and a flag re-issued only when the standing really changed."""

from __future__ import annotations

import uuid
from datetime import date

from verification.domain.standing import Standing, reissued

FLAG = {
    "suspicion_id": uuid.UUID(int=7),
    "source": "attendance",
    "county_code": "140105",
    "school_code": "1401050001",
    "student_id": "S1",
    "flagged_on": date(2026, 11, 20),
    "reason": "consecutive: 15 school days",
}


def test_standing_ignores_order_and_repeats_of_groups() -> None:
    assert Standing.of(["migrant", "left_behind", "migrant"], True) == Standing(("left_behind", "migrant"), True)
    assert Standing.of(None, None) == Standing() == Standing((), False)


def test_a_flag_that_carried_the_known_standing_is_not_reissued() -> None:
    same = Standing.of(["left_behind", "orphan"], True)
    assert reissued(FLAG, Standing.of(["orphan", "left_behind"], True), same) is None
    assert reissued(FLAG, Standing(), Standing.of([], False)) is None


def test_a_flag_raised_before_the_roll_is_reissued_with_the_groups_and_poverty() -> None:
    fields = reissued(FLAG, Standing(), Standing.of(["left_behind"], True))
    assert fields == {**FLAG, "groups": ("left_behind",), "poverty_household": True}


def test_a_change_of_poverty_alone_or_a_group_removed_reissues_the_flag() -> None:
    before = Standing.of(["left_behind"], False)
    assert reissued(FLAG, before, Standing.of(["left_behind"], True)) == {
        **FLAG,
        "groups": ("left_behind",),
        "poverty_household": True,
    }
    dropped = reissued(FLAG, before, Standing())
    assert dropped is not None and (dropped["groups"], dropped["poverty_household"]) == ((), False)

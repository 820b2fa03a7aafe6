"""Checks of a region's rules: each value in range, and a home visit before a suspicion after inheritance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from baoxue_common.rules import rule_problems
from pydantic import ValidationError
from verification.entrypoints.routes import RulesIn

HOME, SUSPECT = "home_visit_after_consecutive_unexcused", "suspect_after_consecutive_unexcused"


@pytest.mark.parametrize(
    ("region", "overrides", "broken"),
    [
        ("110101", {"110101": {HOME: 5}}, []),
        ("110101", {"110101": {HOME: 15}}, ["110101"]),
        ("110101", {"110101": {HOME: 16, SUSPECT: 15}}, ["110101"]),
        # Consistent only after inheritance: the province lowers the suspicion, the county raises its home visit.
        ("110000", {"110000": {SUSPECT: 8}, "110101": {HOME: 4}}, []),
        ("110101", {"110000": {SUSPECT: 8}, "110101": {HOME: 8}}, ["110101"]),
        # A province that lowers its suspicion below a county's home visit breaks the county: refused.
        ("110000", {"110000": {SUSPECT: 6}, "110101": {HOME: 7}}, ["110101"]),
        # A county that sets both is not broken by its province.
        ("110000", {"110000": {SUSPECT: 6}, "110101": {HOME: 7, SUSPECT: 9}}, []),
        # Regions elsewhere are not checked against this one.
        ("110000", {"110000": {SUSPECT: 6}, "120101": {HOME: 7}}, []),
        ("000000", {"000000": {HOME: 2, SUSPECT: 3}, "120101": {HOME: 3}}, ["120101"]),
    ],
)
def test_a_home_visit_must_come_before_a_suspicion_after_inheritance(
    region: str, overrides: dict[str, dict[str, int]], broken: list[str]
) -> None:
    problems = rule_problems(region, overrides)
    assert {name for name, _ in problems} <= {HOME}
    assert len(problems) == len(broken)
    for (_, msg), where in zip(problems, broken, strict=True):
        assert (where in msg) == (where != region), msg


@pytest.mark.parametrize(
    "body",
    [
        {HOME: 0},
        {HOME: -3},
        {HOME: 366},
        {HOME: 10**12},
        {HOME: "3"},
        {HOME: 3.0},
        {HOME: True},
        {"home_visit_after_three_days": 3},
    ],
)
def test_values_out_of_range_non_integers_and_unknown_names_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        RulesIn.model_validate_json(json.dumps(body))
    assert [e["loc"] for e in raised.value.errors()] == [(next(iter(body)),)]


def test_any_subset_is_accepted_and_null_means_inherited() -> None:
    body = RulesIn.model_validate_json(f'{{"{HOME}": 1, "{SUSPECT}": 365, "verification_deadline_days": null}}')
    given = {name: value for name, value in body.model_dump().items() if value is not None}
    assert given == {HOME: 1, SUSPECT: 365}

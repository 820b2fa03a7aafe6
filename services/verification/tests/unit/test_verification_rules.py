"""Detection thresholds: national defaults, the nearest region that sets a value wins, with sources."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from baoxue_common.rules import RULE_NAMES, effective_rules

DEFAULTS = {
    "home_visit_after_consecutive_unexcused": 3,
    "suspect_after_consecutive_unexcused": 15,
    "suspect_after_cumulative_unexcused_in_term": 30,
    "review_after_consecutive_excused": 20,
    "not_attending_after_school_days": 10,
    "transfer_completion_school_days": 20,
    "verification_deadline_days": 10,
    "return_consolidation_school_days": 60,
}


@pytest.mark.parametrize("region", ["110101", "110100", "110000", "000000"])
def test_without_overrides_the_national_defaults_apply(region: str) -> None:
    rules, sources = effective_rules(region, {})
    assert asdict(rules) == DEFAULTS
    assert sources == dict.fromkeys(DEFAULTS, "000000")


@pytest.mark.parametrize(
    ("overrides", "value", "source"),
    [
        ({"110000": {"suspect_after_consecutive_unexcused": 10}}, 10, "110000"),
        ({"110100": {"suspect_after_consecutive_unexcused": 11}}, 11, "110100"),
        ({"110101": {"suspect_after_consecutive_unexcused": 12}}, 12, "110101"),
        ({"000000": {"suspect_after_consecutive_unexcused": 14}}, 14, "000000"),
        (
            {
                "110000": {"suspect_after_consecutive_unexcused": 10},
                "110101": {"suspect_after_consecutive_unexcused": 12},
            },
            12,
            "110101",
        ),
        (
            {
                "110000": {"suspect_after_consecutive_unexcused": 10},
                "110100": {"suspect_after_consecutive_unexcused": 11},
            },
            11,
            "110100",
        ),
        (
            {
                "000000": {"suspect_after_consecutive_unexcused": 14},
                "110000": {"suspect_after_consecutive_unexcused": 10},
            },
            10,
            "110000",
        ),
        ({"120000": {"suspect_after_consecutive_unexcused": 5}}, 15, "000000"),
        ({"110102": {"suspect_after_consecutive_unexcused": 5}}, 15, "000000"),
        ({"110200": {"suspect_after_consecutive_unexcused": 5}}, 15, "000000"),
    ],
)
def test_nearest_region_wins(overrides: dict[str, dict[str, int]], value: int, source: str) -> None:
    rules, sources = effective_rules("110101", overrides)
    assert rules.suspect_after_consecutive_unexcused == value
    assert sources["suspect_after_consecutive_unexcused"] == source


def test_values_are_inherited_one_by_one() -> None:
    overrides = {
        "110000": {"home_visit_after_consecutive_unexcused": 2, "verification_deadline_days": 7},
        "110101": {"home_visit_after_consecutive_unexcused": 4},
    }
    rules, sources = effective_rules("110101", overrides)
    assert rules.home_visit_after_consecutive_unexcused == 4
    assert rules.verification_deadline_days == 7
    assert rules.return_consolidation_school_days == 60
    assert sources["home_visit_after_consecutive_unexcused"] == "110101"
    assert sources["verification_deadline_days"] == "110000"
    assert sources["return_consolidation_school_days"] == "000000"
    assert set(sources) == set(RULE_NAMES)


def test_an_override_below_the_region_does_not_apply_above_it() -> None:
    rules, sources = effective_rules("110000", {"110101": {"review_after_consecutive_excused": 5}})
    assert rules.review_after_consecutive_excused == 20
    assert sources["review_after_consecutive_excused"] == "000000"


def test_a_city_override_reaches_its_counties_only() -> None:
    overrides = {"110100": {"not_attending_after_school_days": 8}}
    assert effective_rules("110105", overrides)[0].not_attending_after_school_days == 8
    assert effective_rules("110201", overrides)[0].not_attending_after_school_days == 10

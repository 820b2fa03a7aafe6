"""Detection thresholds (规则) with national defaults; the nearest region that sets a value wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from baoxue_common.regions import NATIONAL, region_chain, region_covers


@dataclass(frozen=True, slots=True)
class Rules:
    """Thresholds in school days (calendar days where the name says `_days` of the calendar)."""

    home_visit_after_consecutive_unexcused: int = 3
    suspect_after_consecutive_unexcused: int = 15
    suspect_after_cumulative_unexcused_in_term: int = 30
    review_after_consecutive_excused: int = 20
    not_attending_after_school_days: int = 10
    transfer_completion_school_days: int = 20
    verification_deadline_days: int = 10
    return_consolidation_school_days: int = 60


RULE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Rules))
# The range a region may set any threshold to: a school year has fewer than 365 days of anything.
LOWEST, HIGHEST = 1, 365


def effective_rules(region: str, overrides: Mapping[str, Mapping[str, int]]) -> tuple[Rules, dict[str, str]]:
    """Resolve the rules of a region from per-region overrides; return them and where each value comes from."""
    values: dict[str, int] = {}
    sources: dict[str, str] = {}
    chain: Sequence[str] = region_chain(region)
    for name in RULE_NAMES:
        for level in chain:
            if name in overrides.get(level, {}):
                values[name], sources[name] = overrides[level][name], level
                break
        else:
            sources[name] = NATIONAL
    return Rules(**values), sources


def rule_problems(region: str, overrides: Mapping[str, Mapping[str, int]]) -> list[tuple[str, str]]:
    """What is inconsistent in the effective rules of a region, or of a region below it that sets its own.

    A home visit must come before a suspicion: after inheritance, home_visit_after_consecutive_unexcused must stay
    below suspect_after_consecutive_unexcused, in the region and in every region under it that inherits from it.
    """
    problems: list[tuple[str, str]] = []
    below = sorted(r for r in overrides if r != region and region_covers(region, r))
    for level in (region, *below):
        rules, _ = effective_rules(level, overrides)
        home_visit, suspect = rules.home_visit_after_consecutive_unexcused, rules.suspect_after_consecutive_unexcused
        if home_visit >= suspect:
            where = "" if level == region else f" in region {level}, which inherits from {region}"
            msg = f"home visit after {home_visit} must come before suspect after {suspect} consecutive days{where}"
            problems.append(("home_visit_after_consecutive_unexcused", msg))
    return problems

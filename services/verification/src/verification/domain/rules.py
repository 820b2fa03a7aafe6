"""Detection thresholds (规则) with national defaults; the nearest region that sets a value wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from baoxue_common.regions import NATIONAL, region_chain


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

"""What a flag says about a pupil's standing: priority groups (重点人群) and poverty household (脱贫户/监测户)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Standing:
    """A pupil's priority groups (sorted, distinct) and whether the household is a poverty household."""

    groups: tuple[str, ...] = ()
    poverty_household: bool = False

    @classmethod
    def of(cls, groups: Iterable[str] | None, poverty_household: bool | None) -> Standing:
        """The standing from stored or received values, order and repeats of groups ignored."""
        return cls(tuple(sorted(set(groups or ()))), bool(poverty_household))


def reissued(flag: dict[str, Any], carried: Standing, known: Standing) -> dict[str, Any] | None:
    """The fields of a flag re-issued with the pupil's known standing, or None if it already carried it."""
    if carried == known:
        return None
    return {**flag, "groups": known.groups, "poverty_household": known.poverty_household}

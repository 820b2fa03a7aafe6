"""Registries a county keeps (户籍 household register, 脱贫户 poverty-alleviated households, priority groups).

Every record is checked before anything is stored; the checks here are pure and never raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from baoxue_common.pii import check_national_id
from baoxue_common.regions import county_problem

MAX_CHILDREN = 2_000_000
MAX_ERRORS = 1000  # a 422 lists at most this many records (and says how many more are wrong)
Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


@dataclass(frozen=True, slots=True)
class HouseholdChild:
    """One child on the household register, the ID number still in clear (it never leaves the request)."""

    national_id: str
    name: str
    gender: str
    birth_date: date
    hukou_county_code: str
    residence_county_code: str


class _Counties:
    """county_problem, asked once per code: a register repeats a handful of codes a million times."""

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def problem(self, code: str) -> str | None:
        if code not in self._seen:
            self._seen[code] = county_problem(code)
        return self._seen[code]


def as_of_problems(as_of: date, today: date) -> list[Problem]:
    """Why a registry's as_of date cannot be taken (an older one than stored is a conflict, not here)."""
    if as_of > today:
        return [(("body", "as_of"), f"{as_of} is in the future (today is {today})")]
    return []


def household_problems(children: Sequence[HouseholdChild], today: date) -> list[Problem]:
    """(loc, why) of every wrong record of a household register, in order."""
    counties, seen = _Counties(), set[str]()
    problems: list[Problem] = []
    for i, child in enumerate(children):
        at: Loc = ("body", "children", i)
        number = child.national_id.upper()
        if child.birth_date > today:
            problems.append(((*at, "birth_date"), f"{child.birth_date} is in the future"))
        if why := check_national_id(child.national_id, child.birth_date):
            problems.append(((*at, "national_id"), why))
        elif number in seen:
            problems.append(((*at, "national_id"), "the same ID number is already listed"))
        seen.add(number)
        for name in ("hukou_county_code", "residence_county_code"):
            if why := counties.problem(getattr(child, name)):
                problems.append(((*at, name), why))
    return problems


def number_problems(numbers: Iterable[str], where: Loc, after: Loc = ()) -> list[Problem]:
    """(loc, why) of every wrong or repeated ID number in a list; loc is `where`, the index, then `after`."""
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, number in enumerate(numbers):
        at: Loc = (*where, i, *after)
        if why := check_national_id(number):
            problems.append((at, why))
        elif number.upper() in seen:
            problems.append((at, "the same ID number is already listed"))
        seen.add(number.upper())
    return problems


def cut(problems: list[Problem]) -> tuple[list[dict[str, object]], int]:
    """The first MAX_ERRORS problems as problem-details entries, and how many were left out."""
    shown: list[dict[str, object]] = [{"loc": list(loc), "msg": msg} for loc, msg in problems[:MAX_ERRORS]]
    return shown, max(0, len(problems) - MAX_ERRORS)

"""The three comparisons of 四查三比对 (four checks, three comparisons) and the age rule they use.

Glossary: 户籍 household register; 学籍 student record; 在校 attending; 脱贫户 poverty-alleviated household.

Compulsory-school age, exactly: the school year of a day starts on 1 September of the day's year (from
September on) or of the year before (January to August); its cut-off is 31 August of that start year. A child
is of compulsory-school age on the day when their age on the cut-off is 6 to 14 inclusive: 6 on the cut-off is
grade 1 age, 14 is grade 9 age (the child turns 15 during that year, the last compulsory one). In birth dates:
born 1 September (start - 15) to 31 August (start - 6), both included.
"""

from __future__ import annotations

from typing import Literal

from baoxue_common.compulsory_age import (  # the age rule lives in libs/common: the ledgers use it too
    OLDEST,
    YOUNGEST,
    BirthWindow,
    age_on,
    compulsory_births,
    cut_off,
    of_compulsory_age,
    school_year_start,
)

Kind = Literal["out_of_school", "not_attending", "poverty_dropout"]
KINDS: tuple[Kind, ...] = ("out_of_school", "not_attending", "poverty_dropout")
REASONS: dict[Kind, str] = {
    "out_of_school": "out_of_school",
    "not_attending": "not_attending",
    "poverty_dropout": "poverty_dropout",
}

__all__ = [
    "KINDS",
    "OLDEST",
    "REASONS",
    "YOUNGEST",
    "BirthWindow",
    "Kind",
    "age_on",
    "compulsory_births",
    "cut_off",
    "first_kind",
    "of_compulsory_age",
    "school_year_start",
]


def first_kind(kinds: list[str]) -> Kind:
    """The kind a child found several ways in one run is flagged under: the first in KINDS order."""
    return next(k for k in KINDS if k in kinds)

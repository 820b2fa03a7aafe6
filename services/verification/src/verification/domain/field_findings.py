"""Field findings (摸排): a child found out of school in a village search, checked and keyed for idempotency.

Glossary: 摸排 field search; 户籍 household registration (hukou); 学籍 student record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from baoxue_common.pii import check_national_id

FINDING_KINDS = ("no_hukou", "no_student_record", "not_attending")
REASONS = {
    "no_hukou": "found in a field search with no household registration (户籍)",
    "no_student_record": "found in a field search with no student record (学籍)",
    "not_attending": "found in a field search not attending school",
}
YOUNGEST, OLDEST = 5, 18  # school age, inclusive, on the day found
_NAMESPACE = uuid.UUID("6c1f3e0a-55b2-4d0e-9a51-0f1e1d2c3b4a")


@dataclass(frozen=True, slots=True)
class Finding:
    """What the searcher reported, the ID number (if any) still in clear: it never leaves the request."""

    county_code: str
    national_id: str | None
    name: str
    birth_date: date
    finding: str
    address: str
    found_on: date
    found_by: str


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on a day."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def finding_problems(finding: Finding, today: date) -> list[tuple[str, str]]:
    """(body field, why) of everything wrong with a finding; empty if it may be stored; never raises."""
    problems: list[tuple[str, str]] = []
    if finding.found_on > today:
        problems.append(("found_on", f"{finding.found_on} is in the future (today is {today})"))
    if finding.birth_date > today:
        problems.append(("birth_date", f"{finding.birth_date} is in the future"))
    elif not YOUNGEST <= (age := age_on(finding.birth_date, finding.found_on)) <= OLDEST:
        problems.append(("birth_date", f"aged {age} on {finding.found_on}: not of school age ({YOUNGEST}–{OLDEST})"))
    if finding.national_id is not None and (why := check_national_id(finding.national_id, finding.birth_date)):
        problems.append(("national_id", why))
    return problems


def dedup_key(finding: Finding, national_id_hash: str | None) -> str:
    """The same child, finding and day in the same county: by ID number if given, else by name and birth date."""
    who = (
        f"id:{national_id_hash}" if national_id_hash else f"name:{' '.join(finding.name.split())}|{finding.birth_date}"
    )
    return f"{finding.county_code}|{who}|{finding.finding}|{finding.found_on}"


def finding_id_of(key: str) -> uuid.UUID:
    """A finding's id, derived from its dedup key: a repeat gets the same id."""
    return uuid.uuid5(_NAMESPACE, key)


def suspicion_id_of(finding_id: uuid.UUID) -> uuid.UUID:
    """The id of the suspicion a finding opens."""
    return uuid.uuid5(_NAMESPACE, f"suspicion:{finding_id}")

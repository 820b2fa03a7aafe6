"""Rules of the school-age children ledger (适龄儿童台账): which counties list a child, and its status.

Glossary: 户籍 hukou (household registration); 居住地 residence; 学籍 roll; 人账相符 the ledgers match the people.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

from baoxue_common.pii import mask_national_id

from ledger.domain.ledgers import SchoolAgeStatus, group_list

SCHOOL, RESIDENCE, HUKOU = "school", "residence", "hukou"
REMOVE: Final = "remove"
# A pupil leaving a roll: transfer keeps the entry (the receiving school's enrolment follows); graduation
# ends compulsory schooling (the entries go); an unexplained leave puts the child out of school.
LEAVE_STATUS: dict[str, SchoolAgeStatus | str | None] = {
    "transfer": None,
    "graduation": REMOVE,
    "unexplained": "out_of_school",
}
# A cleared suspicion whose reason is a status of the ledger; the other reasons change nothing.
CLEAR_STATUS: dict[str, SchoolAgeStatus] = {
    "studying_elsewhere": "studying_elsewhere",
    "home_education": "home_education",
    "medical_leave": "medical_leave",
    "suspended": "suspended",
    "deceased": "deceased",
    "emigrated": "emigrated",
}
# Statuses only a case moves (DropoutConfirmed / ReturnConfirmed): a roll's record does not overwrite them.
CASE_STATUSES: frozenset[str] = frozenset({"dropout", "returned"})
# The columns a reader of the ledger sees: a change in any of them is a change of the entry.
SEEN = (
    "relations",
    "student_id",
    "national_id_hash",
    "masked_id",
    "school_code",
    "grade",
    "class_name",
    "gender",
    "birth_date",
    "hukou_county_code",
    "residence_county_code",
    "on_roll",
    "on_register",
    "status",
    "groups",
    "poverty_household",
)


def relations(pairs: Iterable[tuple[str | None, str]]) -> dict[str, list[str]]:
    """County → the sorted relations the child has with it, from (county, relation) pairs (None skipped)."""
    out: dict[str, set[str]] = {}
    for county, relation in pairs:
        if county:
            out.setdefault(county, set()).add(relation)
    return {county: sorted(rels) for county, rels in out.items()}


def differs(stored: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether a reader would see a difference between two states of an entry."""
    return any(_norm(k, stored.get(k)) != _norm(k, row.get(k)) for k in SEEN)


def _norm(key: str, value: Any) -> Any:
    if key in ("groups", "relations"):
        return group_list(value or ())
    return value


def roll_status(current: str | None, *, new_record: bool) -> SchoolAgeStatus | str:
    """A pupil's status from a roll's record: enrolled, unless a case holds it (dropout, returned), or an
    update of a child the ledger already has (only enrolments and outcomes move the status)."""
    if current is None:
        return "enrolled"
    if current in CASE_STATUSES or not new_record:
        return current
    return "enrolled"


def student_masked_id(student_id: str | None) -> str | None:
    """The masked ID number a national student number (G + the 18-character ID) carries."""
    if student_id and student_id.startswith("G") and len(student_id) == 19:
        return mask_national_id(student_id[1:])
    return None


def masked_key(child_key: str) -> str:
    """A child key fit to show: a G student number has its ID number masked as the exports do."""
    masked = student_masked_id(child_key)
    return "G" + masked if masked else child_key


def entries(
    child_key: str,
    counties: Mapping[str, list[str]],
    fields: Mapping[str, Any],
    status: str,
    day: date,
    stored: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """A child's rows, one per county: the stored entry's id and status date kept when they still apply."""
    rows = []
    for county, rels in sorted(counties.items()):
        old = stored.get((county, child_key))
        same_status = old is not None and old["status"] == status
        rows.append(
            {
                **fields,
                "county_code": county,
                "child_key": child_key,
                "entry_id": old["entry_id"] if old else uuid.uuid4(),
                "relations": rels,
                "status": status,
                "status_since": old["status_since"] if same_status and old else day,
            }
        )
    return rows

"""Rules of the school-age ledger: counties and relations, statuses, what counts as a change, the age rule."""

from __future__ import annotations

import uuid
from datetime import date

from baoxue_common.compulsory_age import of_compulsory_age
from ledger.domain import school_age as rules
from verification.domain import cross_checks


def test_a_child_is_listed_once_per_county_with_every_relation_it_has_there() -> None:
    pairs = [("140109", rules.SCHOOL), ("140110", rules.RESIDENCE), ("140109", rules.HUKOU), (None, rules.HUKOU)]
    assert rules.relations(pairs) == {"140109": ["hukou", "school"], "140110": ["residence"]}


def test_leaving_a_roll_maps_to_a_status_or_removal_or_nothing() -> None:
    assert rules.LEAVE_STATUS == {"transfer": None, "graduation": rules.REMOVE, "unexplained": "out_of_school"}


def test_only_clearing_reasons_that_are_statuses_move_the_status() -> None:
    for reason in ("studying_elsewhere", "home_education", "medical_leave", "suspended", "deceased", "emigrated"):
        assert rules.CLEAR_STATUS[reason] == reason
    for reason in ("transferred", "data_error", "returned", "attendance_corrected"):
        assert reason not in rules.CLEAR_STATUS


def test_a_roll_record_enrols_but_never_overrides_a_case_status() -> None:
    assert rules.roll_status(None, new_record=True) == "enrolled"
    assert rules.roll_status("out_of_school", new_record=True) == "enrolled"
    assert rules.roll_status("dropout", new_record=True) == "dropout"
    assert rules.roll_status("returned", new_record=True) == "returned"
    assert rules.roll_status("studying_elsewhere", new_record=False) == "studying_elsewhere"


def test_a_change_is_what_a_reader_sees_groups_in_any_order_being_the_same() -> None:
    stored = {"status": "enrolled", "groups": ["orphan", "disabled"], "relations": ["school"], "grade": 3}
    assert not rules.differs(stored, stored | {"groups": ["disabled", "orphan"], "entry_id": uuid.uuid4()})
    assert rules.differs(stored, stored | {"grade": 4})
    assert rules.differs(stored, stored | {"relations": ["residence", "school"]})


def test_student_numbers_are_masked_as_the_exports_do_and_hashes_left_alone() -> None:
    assert rules.masked_key("G14010920160301123X") == "G1401**********123X"
    assert rules.student_masked_id("L123") is None
    assert rules.masked_key("h:abc") == "h:abc"


def test_entries_keep_their_id_and_status_date_while_the_status_holds() -> None:
    entry = uuid.uuid4()
    old = {"entry_id": entry, "status": "enrolled", "status_since": date(2026, 9, 1)}
    rows = rules.entries(
        "G1", {"140109": ["school"], "140110": ["residence"]}, {"grade": 2}, "enrolled", date(2026, 10, 1),
        {("140109", "G1"): old},
    )  # fmt: skip
    assert [(r["county_code"], r["entry_id"] == entry, r["status_since"]) for r in rows] == [
        ("140109", True, date(2026, 9, 1)),
        ("140110", False, date(2026, 10, 1)),
    ]
    moved = rules.entries("G1", {"140109": ["school"]}, {}, "dropout", date(2026, 10, 2), {("140109", "G1"): old})
    assert moved[0]["status_since"] == date(2026, 10, 2)


def test_the_age_rule_is_verifications_one_six_to_fourteen_on_31_august() -> None:
    day = date(2026, 11, 30)
    assert cross_checks.of_compulsory_age is of_compulsory_age
    assert of_compulsory_age(date(2020, 8, 31), day)  # 6 on 31 August 2026
    assert not of_compulsory_age(date(2020, 9, 1), day)  # 5 on the cut-off: next year
    assert of_compulsory_age(date(2011, 9, 1), day)  # 14 on the cut-off
    assert not of_compulsory_age(date(2011, 8, 31), day)  # 15: past compulsory age

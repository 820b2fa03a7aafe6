"""Property tests: the validators a roll goes through never raise, whatever text they are given."""

from __future__ import annotations

from datetime import date

from attendance_ingest.domain.roll import RollEntry, roll_problems
from baoxue_common.pii import check_national_id
from baoxue_common.regions import county_name, county_problem, region_name, region_problem
from baoxue_common.testing import national_id
from hypothesis import given
from hypothesis import strategies as st

# Arbitrary text, plus text shaped like the real thing (digits of any script, an X, 18 characters).
id_like = st.text(alphabet=st.characters(categories=["Nd"]) | st.sampled_from("Xx"), min_size=17, max_size=19)
texts = st.text(max_size=40) | id_like
codes = st.text(max_size=8) | st.text(alphabet=st.characters(categories=["Nd"]), min_size=6, max_size=6)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)) | st.none()


@given(texts, dates)
def test_check_national_id_never_raises(number: str, born: date | None) -> None:
    problem = check_national_id(number, born)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert len(number) == 18 and number[:17].isascii() and number[:17].isdigit()


@given(st.integers(0, 999), st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 12, 31)))
def test_a_well_made_id_number_is_accepted_with_its_birth_date(seq: int, born: date) -> None:
    number = national_id("110101", born, seq)
    assert check_national_id(number, born) is None
    assert check_national_id(number.lower(), born) is None


@given(codes)
def test_region_validators_never_raise_and_agree(code: str) -> None:
    county = county_problem(code)
    region = region_problem(code)
    assert (county is None) == (county_name(code) is not None)
    if county is None:
        assert region is None and region_name(code) is not None
        assert code.isascii() and code.isdigit()


@given(st.lists(st.tuples(texts, texts, st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 1, 1))), max_size=8))
def test_roll_problems_never_raise(rows: list[tuple[str, str, date]]) -> None:
    problems = roll_problems([RollEntry(*r) for r in rows])
    assert all(0 <= i < len(rows) and field in ("student_id", "national_id") for i, field, _ in problems)

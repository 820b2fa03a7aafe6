"""What a ledger change moves in the counters: after added, before subtracted, flows once."""

from __future__ import annotations

from datetime import date

from reporting.domain.metrics import State, deltas

COUNTY, SCHOOL = "330106", "3301060001"
DAY = date(2026, 10, 12)
MONTH = date(2026, 10, 1)


def days(_county: str, start: date, end: date) -> int:
    return (end - start).days


def moved(*changes: tuple[State | None, State | None]) -> dict[tuple[str, str, str], int]:
    """Deltas at the county level, by (month, metric, dim) → n (months all the same here)."""
    out = deltas([(s.ledger, COUNTY, b, a, DAY) for b, a in changes for s in [a or b] if s is not None], days)
    return {(metric, dim, str(month)): n for (region, month, metric, dim), n in out.items() if region == COUNTY}


def test_a_new_suspect_counts_as_open_and_flagged_everywhere_up_the_chain() -> None:
    new = State("suspected", "pending", SCHOOL, groups=("left_behind",), poverty_household=True, source="attendance")
    out = deltas([("suspected", COUNTY, None, new, DAY)], days)
    regions = {region for region, *_ in out}
    assert regions == {SCHOOL, COUNTY, "330100", "330000", "000000"}
    county = moved((None, new))
    for dim in ("", "g:left_behind", "priority", "poverty", "src:attendance"):
        assert county[("suspected", dim, str(MONTH))] == 1
        assert county[("flagged", dim, str(MONTH))] == 1
    assert county[("suspected_status", "status:pending", str(MONTH))] == 1


def test_an_update_that_changes_nothing_counted_moves_nothing() -> None:
    state = State("suspected", "pending", SCHOOL, source="attendance")
    assert deltas([("suspected", COUNTY, state, state, DAY)], days) == {}


def test_a_confirmation_moves_the_suspect_out_of_open_and_counts_once() -> None:
    before = State("suspected", "verifying", SCHOOL, source="attendance", sources=("attendance", "field"))
    after = State("suspected", "confirmed_dropout", SCHOOL, source="attendance", sources=("attendance", "field"))
    county = moved((before, after))
    assert county[("suspected", "", str(MONTH))] == -1
    assert county[("verifying", "", str(MONTH))] == -1
    assert county[("confirmed", "", str(MONTH))] == 1
    assert county[("confirmed", "src:field", str(MONTH))] == 1
    assert county[("confirmed_attendance_first", "", str(MONTH))] == 1
    assert ("flagged", "", str(MONTH)) not in county


def test_a_clearing_counts_its_reason_per_source() -> None:
    before = State("suspected", "pending", SCHOOL, source="cross_check")
    after = State("suspected", "cleared", SCHOOL, source="cross_check", reason="attending_school")
    county = moved((before, after))
    assert county[("cleared", "reason:attending_school", str(MONTH))] == 1
    assert county[("cleared", "src:cross_check|reason:attending_school", str(MONTH))] == 1


def test_a_return_and_a_close_out_fill_the_day_histograms() -> None:
    open_case = State("dropouts", "open", SCHOOL, flagged_on=date(2026, 10, 2), cause="learning_difficulty")
    back = State(
        "dropouts", "returned", SCHOOL, flagged_on=date(2026, 10, 2), returned_on=DAY, cause="learning_difficulty"
    )
    county = moved((open_case, back))
    assert county[("returned", "", str(MONTH))] == 1
    assert county[("flag_to_return_days", "d:10", str(MONTH))] == 1
    assert county[("cases_open", "", str(MONTH))] == -1
    assert county[("cases_back", "", str(MONTH))] == 1
    assert ("cases_total", "", str(MONTH)) not in county  # still one case
    closed = State(
        "dropouts",
        "closed",
        SCHOOL,
        flagged_on=date(2026, 10, 2),
        returned_on=DAY,
        closed_on=date(2026, 10, 30),
        reason="consolidated",
    )
    county = moved((back, closed))
    assert county[("closed", "reason:consolidated", str(MONTH))] == 1
    assert county[("return_to_close_days", "d:18", str(MONTH))] == 1
    assert county[("cases_closed", "", str(MONTH))] == 1
    assert county[("cases_total", "cause:learning_difficulty", str(MONTH))] == -1  # the cause was cleared


def test_a_removal_subtracts_the_last_state_and_a_move_between_schools_moves_the_count() -> None:
    gone = State("school_age", "enrolled", SCHOOL, grade=3, relations=("school",))
    out = deltas([("school_age", COUNTY, gone, None, DAY)], days)
    assert out[(SCHOOL, MONTH, "in_school", "")] == -1
    assert out[(COUNTY, MONTH, "population", "")] == -1
    other = "3301060002"
    moved_school = State("school_age", "enrolled", other, grade=3, relations=("school",))
    out = deltas([("school_age", COUNTY, gone, moved_school, DAY)], days)
    assert out[(SCHOOL, MONTH, "in_school", "")] == -1
    assert out[(other, MONTH, "in_school", "")] == 1
    assert (COUNTY, MONTH, "in_school", "") not in out  # the county's count is unchanged


def test_a_child_counts_once_above_its_counties() -> None:
    at_school = State("school_age", "enrolled", SCHOOL, grade=3, relations=("school",))
    where_it_lives = State("school_age", "enrolled", SCHOOL, grade=3, relations=("hukou", "residence"))
    off_roll = State("school_age", "out_of_school", None, relations=("residence",))
    hukou_only = State("school_age", "out_of_school", None, relations=("hukou",))
    out = deltas(
        [("school_age", COUNTY, None, s, DAY) for s in (at_school, where_it_lives, off_roll, hukou_only)], days
    )
    assert out[("000000", MONTH, "population", "")] == 2
    assert out[("000000", MONTH, "out_of_school", "")] == 1

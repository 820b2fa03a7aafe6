"""The next page's offset."""

from baoxue_common.paging import next_offset


def test_a_page_short_of_the_total_points_to_the_next() -> None:
    assert next_offset(0, 100, 250) == 100
    assert next_offset(200, 49, 250) == 249


def test_the_last_page_and_beyond_have_none() -> None:
    assert next_offset(200, 50, 250) is None
    assert next_offset(300, 0, 250) is None
    assert next_offset(0, 0, 0) is None

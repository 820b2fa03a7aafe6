"""The GB/T 2260 region hierarchy: tiers, chains, containment and county prefixes."""

from __future__ import annotations

import pytest
from baoxue_common.regions import NATIONAL, county_prefix, region_chain, region_covers, sub_regions, tier_of


@pytest.mark.parametrize(
    ("region", "tier"),
    [
        ("000000", "national"),
        ("110000", "province"),
        ("650000", "province"),
        ("110100", "city"),
        ("520200", "city"),
        ("110101", "county"),
        ("522601", "county"),
        ("110110", "county"),
    ],
)
def test_tier_of(region: str, tier: str) -> None:
    assert tier_of(region) == tier


@pytest.mark.parametrize(
    ("region", "chain"),
    [
        ("110101", ["110101", "110100", "110000", "000000"]),
        ("110100", ["110100", "110000", "000000"]),
        ("110000", ["110000", "000000"]),
        ("000000", ["000000"]),
        ("522601", ["522601", "522600", "520000", "000000"]),
    ],
)
def test_region_chain_is_nearest_first_and_ends_national(region: str, chain: list[str]) -> None:
    assert region_chain(region) == chain
    assert region_chain(region)[-1] == NATIONAL


@pytest.mark.parametrize(
    ("outer", "inner", "covers"),
    [
        ("110000", "110101", True),
        ("110000", "110200", True),
        ("110000", "110100", True),
        ("110000", "110000", True),
        ("110000", "120101", False),
        ("110000", "000000", False),
        ("110100", "110101", True),
        ("110100", "110100", True),
        ("110100", "110201", False),
        ("110100", "110000", False),
        ("000000", "110101", True),
        ("000000", "650000", True),
        ("000000", "000000", True),
        ("110101", "110101", True),
        ("110101", "110102", False),
        ("110101", "110100", False),
        ("110101", "110000", False),
    ],
)
def test_region_covers(outer: str, inner: str, covers: bool) -> None:
    assert region_covers(outer, inner) is covers


@pytest.mark.parametrize(
    ("region", "prefix"),
    [("000000", ""), ("110000", "11"), ("110100", "1101"), ("110101", "110101")],
)
def test_county_prefix(region: str, prefix: str) -> None:
    assert county_prefix(region) == prefix


@pytest.mark.parametrize("region", ["000000", "110000", "110100", "110101"])
def test_every_region_in_a_chain_covers_the_region(region: str) -> None:
    assert all(region_covers(outer, region) for outer in region_chain(region))


def test_sub_regions_lists_gb_t_2260_one_tier_down() -> None:
    assert sub_regions("330400") == ["330402", "330411", "330421", "330424", "330481", "330482", "330483"]
    assert "330400" in sub_regions("330000") and all(c.endswith("00") for c in sub_regions("330000"))
    assert len(sub_regions("000000")) == 34 and "330000" in sub_regions("000000")
    assert sub_regions("330402") == []

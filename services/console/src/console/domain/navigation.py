"""Where each user's pages start, from their scope alone."""

from __future__ import annotations

from baoxue_common.regions import NATIONAL, tier_of


def home_path(scope: str) -> str:
    """The page a user lands on after signing in."""
    kind, _, code = scope.partition(":")
    if kind == "school":
        return f"/schools/{code}"
    if kind == "region" and tier_of(code) == "county":
        return f"/counties/{code}"
    if kind == "region":
        return f"/regions/{code}"
    return f"/regions/{NATIONAL}"  # national and admin see the whole country

"""Repository-wide pytest set-up: integration marks by location, and one deterministic hypothesis profile."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI must be stable and quick: the same examples on every run (derandomize), a bounded number of them,
# no example database on disk and no deadline on a loaded 2-core machine. HYPOTHESIS_PROFILE=explore
# searches longer with fresh random examples.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", max_examples=5_000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header() -> str:
    """Whether the browser tests run here (only the root conftest may add to the header)."""
    from tests.integration.browser.chromium import report_header

    return report_header()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark integration tests by location, so `make unit` can leave them out."""
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)

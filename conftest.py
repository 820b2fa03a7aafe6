"""Repository-wide pytest set-up: tests under an `integration` folder are marked as such."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark integration tests by location, so `make unit` can leave them out."""
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)

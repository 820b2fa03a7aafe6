"""region pages (filled in by the console's page modules)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["region"])

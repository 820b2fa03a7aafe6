"""Routes of the ledger: case."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

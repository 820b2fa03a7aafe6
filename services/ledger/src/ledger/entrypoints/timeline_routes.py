"""Routes of the ledger: timeline."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Alembic environment of verification (the shared runner does the work)."""

from baoxue_common.migrations import run_env
from verification.adapters.orm import metadata

run_env(metadata)

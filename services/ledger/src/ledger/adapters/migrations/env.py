"""Alembic environment of ledger (the shared runner does the work)."""

from baoxue_common.migrations import run_env
from ledger.adapters.orm import metadata

run_env(metadata)

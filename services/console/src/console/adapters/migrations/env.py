"""Alembic environment of the console (the shared runner does the work)."""

from baoxue_common.migrations import run_env
from console.adapters.orm import metadata

run_env(metadata)

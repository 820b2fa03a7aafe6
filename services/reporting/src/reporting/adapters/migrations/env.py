"""Alembic environment of reporting (the shared runner does the work)."""

from baoxue_common.migrations import run_env
from reporting.adapters.orm import metadata

run_env(metadata)

"""Alembic environment of attendance-ingest (the shared runner does the work)."""

from attendance_ingest.adapters.orm import metadata
from baoxue_common.migrations import run_env

run_env(metadata)

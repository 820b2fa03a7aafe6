"""Outbox rows can be parked with a reason; indexes for the relay's backlog and for retention.

Revision ID: 0002
Revises: 0001
"""

from baoxue_common.plumbing_migrations import downgrade_plumbing_v2, upgrade_plumbing_v2

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    upgrade_plumbing_v2(SCHEMA)


def downgrade() -> None:
    downgrade_plumbing_v2(SCHEMA)

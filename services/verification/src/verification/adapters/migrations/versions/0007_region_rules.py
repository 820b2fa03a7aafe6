"""Regions keep the thresholds they set themselves; a NULL value is inherited from the region above.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
SCHEMA = "verification"
RULE_NAMES = (
    "home_visit_after_consecutive_unexcused",
    "suspect_after_consecutive_unexcused",
    "suspect_after_cumulative_unexcused_in_term",
    "review_after_consecutive_excused",
    "not_attending_after_school_days",
    "transfer_completion_school_days",
    "verification_deadline_days",
    "return_consolidation_school_days",
)


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("region_code", sa.String(6), primary_key=True),
        *(sa.Column(name, sa.Integer) for name in RULE_NAMES),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("rules", schema=SCHEMA)

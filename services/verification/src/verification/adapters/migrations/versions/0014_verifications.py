"""Sources merge into one suspect per child (suspicions.suspect_id), and each suspect has one verification.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.add_column("suspicions", sa.Column("suspect_id", UUID(as_uuid=True)), schema=SCHEMA)
    op.add_column("suspicions", sa.Column("national_id_hash", sa.String(128)), schema=SCHEMA)
    op.add_column("suspicions", sa.Column("ended_reason", sa.Text), schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.suspicions SET suspect_id = suspicion_id")
    op.create_index("suspicions_by_suspect", "suspicions", ["suspect_id"], schema=SCHEMA)
    op.create_index("suspicions_by_national_id_hash", "suspicions", ["national_id_hash"], schema=SCHEMA)
    op.create_table(
        "verifications",
        sa.Column("verification_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("student_id", sa.String(25)),
        sa.Column("national_id_hash", sa.String(128)),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("assigned_to", sa.Text, nullable=False),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("overdue_raised_on", sa.Date),
        sa.Column("outcome", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("cause", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("verified_by", sa.String(100)),
        sa.Column("verified_on", sa.Date),
        schema=SCHEMA,
    )
    op.create_index("verifications_by_county", "verifications", ["county_code", "status", "due_on"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("verifications", schema=SCHEMA)
    op.drop_index("suspicions_by_national_id_hash", "suspicions", schema=SCHEMA)
    op.drop_index("suspicions_by_suspect", "suspicions", schema=SCHEMA)
    for column in ("ended_reason", "national_id_hash", "suspect_id"):
        op.drop_column("suspicions", column, schema=SCHEMA)

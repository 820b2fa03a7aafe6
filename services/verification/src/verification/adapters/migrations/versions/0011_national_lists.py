"""The national platform's suspected lists: batches once per batch_id, items with the state their feedback follows.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.create_table(
        "national_batches",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "national_items",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("listed_student_id", sa.String(25)),
        sa.Column("student_id", sa.String(25)),
        sa.Column("national_id_hash", sa.String(128), nullable=False),
        sa.Column("national_id_masked", sa.String(18), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("clear_reason", sa.Text),
        sa.Column("history", JSONB, nullable=False, server_default="[]"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("national_items_by_suspicion", "national_items", ["suspicion_id"], schema=SCHEMA)
    op.create_index("national_items_by_student", "national_items", ["student_id"], schema=SCHEMA)
    op.create_index("national_items_by_position", "national_items", ["batch_id", "position"], schema=SCHEMA)
    op.create_index(
        "national_items_unmatched_by_hash",
        "national_items",
        ["national_id_hash"],
        schema=SCHEMA,
        postgresql_where=sa.text("student_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("national_items", schema=SCHEMA)
    op.drop_table("national_batches", schema=SCHEMA)

"""Counters per region, month, metric and breakdown; published figures and their versions.

Replaces the copy of every ledger entry (one row per pupil) by counters that grow with regions and
months: the `before` of LedgerEntryChanged says what to subtract.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "reporting"


def upgrade() -> None:
    op.drop_table("ledger_entries", schema=SCHEMA)
    op.create_table(
        "counters",
        sa.Column("region_code", sa.String(10, collation="C"), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("dim", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        # `n` in the key's index: a report's sums are index-only scans, not random heap reads.
        sa.PrimaryKeyConstraint("region_code", "metric", "dim", "month", postgresql_include=["n"]),
        schema=SCHEMA,
    )
    op.create_table(
        "region_stats",
        sa.Column("region_code", sa.String(10), primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("figures", JSONB),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "stats_marks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("region_code", sa.String(10), nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("trace", JSONB),
        schema=SCHEMA,
    )
    op.create_index("stats_marks_by_key", "stats_marks", ["region_code", "period"], schema=SCHEMA)
    op.create_table(
        "stats_changes",
        sa.Column("region_code", sa.String(10), primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("figures", JSONB, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("stats_changes", schema=SCHEMA)
    op.drop_table("stats_marks", schema=SCHEMA)
    op.drop_table("region_stats", schema=SCHEMA)
    op.drop_table("counters", schema=SCHEMA)
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("ledger", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("changed_on", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ledger_entries_by_county", "ledger_entries", ["county_code", "ledger"], schema=SCHEMA)

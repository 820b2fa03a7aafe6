"""Field findings (摸排) are kept, and pupils keep their ID number's blind index to be matched by it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.add_column("pupils", sa.Column("national_id_hash", sa.String(128)), schema=SCHEMA)
    op.create_index("pupils_by_national_id_hash", "pupils", ["national_id_hash"], schema=SCHEMA)
    op.create_table(
        "field_findings",
        sa.Column("finding_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("dedup_key", sa.Text, nullable=False, unique=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("national_id_hash", sa.String(128)),
        sa.Column("national_id_masked", sa.String(18)),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("finding", sa.Text, nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("found_on", sa.Date, nullable=False),
        sa.Column("found_by", sa.String(100), nullable=False),
        sa.Column("student_id", sa.String(25)),
        sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("field_findings_by_county", "field_findings", ["county_code", "found_on"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("field_findings", schema=SCHEMA)
    op.drop_index("pupils_by_national_id_hash", "pupils", schema=SCHEMA)
    op.drop_column("pupils", "national_id_hash", schema=SCHEMA)

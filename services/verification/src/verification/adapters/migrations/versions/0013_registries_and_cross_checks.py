"""Registries per county (household, poverty, groups) and the cross-check runs and findings (四查三比对).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.create_table(
        "registries",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("children", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "household_children",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("national_id_hash", sa.String(128), primary_key=True),
        sa.Column("national_id_masked", sa.String(18), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("hukou_county_code", sa.String(6), nullable=False),
        sa.Column("residence_county_code", sa.String(6), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "poverty_children",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("national_id_hash", sa.String(128), primary_key=True),
        sa.Column("national_id_masked", sa.String(18), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "group_children",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("national_id_hash", sa.String(128), primary_key=True),
        sa.Column("groups", ARRAY(sa.Text), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "cross_check_runs",
        sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("run_on", sa.Date, nullable=False),
        sa.Column("out_of_school", sa.Integer, nullable=False),
        sa.Column("not_attending", sa.Integer, nullable=False),
        sa.Column("poverty_dropout", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("cross_check_runs_by_county", "cross_check_runs", ["county_code", "run_on"], schema=SCHEMA)
    op.create_table(
        "cross_check_findings",
        sa.Column("finding_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("national_id_hash", sa.String(128)),
        sa.Column("national_id_masked", sa.String(18)),
        sa.Column("name", sa.String(100)),
        sa.Column("birth_date", sa.Date),
        sa.Column("student_id", sa.String(25)),
        sa.Column("school_code", sa.String(10)),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("suspicion_id", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "cross_check_findings_by_run", "cross_check_findings", ["run_id", "kind", "finding_id"], schema=SCHEMA
    )
    op.create_index("cross_check_findings_by_hash", "cross_check_findings", ["national_id_hash"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "cross_check_findings",
        "cross_check_runs",
        "group_children",
        "poverty_children",
        "household_children",
        "registries",
    ):
        op.drop_table(table, schema=SCHEMA)

"""Indexes that serve the ledgers' filtered, sorted pages: status then main date then entry id, in the order a page
walks (and its count reads from the index alone: groups, poverty and school are carried).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
SCHEMA = "ledger"
CARRIED = ["groups", "poverty_household", "school_code"]
INDEXES = {
    "school_age_by_status_since": ("school_age", ["county_code", "status", "status_since", "entry_id"]),
    "school_age_by_since": ("school_age", ["county_code", "status_since", "entry_id"]),
    "suspected_by_status_flagged": ("suspected", ["county_code", "status", "flagged_on", "entry_id"]),
    "cases_by_status_confirmed": ("cases", ["county_code", "status", "confirmed_on", "case_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, schema=SCHEMA, postgresql_include=CARRIED)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table, schema=SCHEMA)

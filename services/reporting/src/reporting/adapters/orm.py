"""Tables of the reporting schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, UUID

SCHEMA = "reporting"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("ledger", sa.Text, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Index("ledger_entries_by_county", "county_code", "ledger"),
)

"""Tables of the reporting schema: counters per region and month, and the published figures."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "reporting"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)

# One row per region (a school code or a 6-digit region), month, metric and breakdown: see domain/metrics.py.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("region_code", sa.String(10, collation="C"), primary_key=True),
    sa.Column("metric", sa.Text, primary_key=True),
    sa.Column("dim", sa.Text, primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)

# The latest figures of each region and period, and whether they changed since last published.
region_stats = sa.Table(
    "region_stats",
    metadata,
    sa.Column("region_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("tier", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("dirty", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("figures", JSONB),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    # The trace context of the change that made the row dirty: its publication joins that trace.
    sa.Column("trace", JSONB),
    sa.Index("region_stats_dirty", "region_code", "period", postgresql_where=sa.text("dirty")),
)

# Every published version of a region's figures: the SSE stream's history (Last-Event-ID resumes from it).
stats_changes = sa.Table(
    "stats_changes",
    metadata,
    sa.Column("region_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("figures", JSONB, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

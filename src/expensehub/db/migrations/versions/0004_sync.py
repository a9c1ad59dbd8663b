"""sync: links from remote objects to local rows, and resumable runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

* ``sync_links``: one row per remote object mirrored into a company (``expensehub sync``): its source,
  resource and remote id, the local row, the hash of what was last written, a reference still to resolve,
  and the run that last saw it (objects a finished run did not see are gone on the source).
* ``sync_runs``: where a sync is, so that one interrupted at any point resumes at the last page it
  committed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import expensehub.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sync_links",
        sa.Column("id", BIG, nullable=False),
        sa.Column("company_id", BIG, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("resource", sa.String(length=80), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=False),
        sa.Column("local_id", BIG, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("pending_ref", sa.String(length=64), nullable=True),
        sa.Column("seen_run_id", BIG, nullable=True),
        sa.Column("updated_at", expensehub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_sync_links_company_id_companies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sync_links"),
        sa.UniqueConstraint("company_id", "source", "resource", "remote_id", name="uq_sync_links_remote"),
    )
    op.create_index("ix_sync_links_local", "sync_links", ["company_id", "resource", "local_id"])
    op.create_table(
        "sync_runs",
        sa.Column("id", BIG, nullable=False),
        sa.Column("company_id", BIG, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("started_at", expensehub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", expensehub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("resource", sa.String(length=80), nullable=True),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_sync_runs_company_id_companies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index("ix_sync_runs_company_source", "sync_runs", ["company_id", "source", "id"])


def downgrade() -> None:
    op.drop_index("ix_sync_runs_company_source", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_index("ix_sync_links_local", table_name="sync_links")
    op.drop_table("sync_links")

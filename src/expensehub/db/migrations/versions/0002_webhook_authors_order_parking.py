"""webhooks: every event has an author; delivery order and parking; one pending delivery per event

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

* ``webhook_events.author_type``/``author_id``: events written before this revision that have no
  author get the company (``company`` and the company id). That is who made them: until this
  revision every credential was a company API key, and the CLI and the worker act for the company.
  The columns stay nullable (NOT NULL would rebuild the table on SQLite, and dropping the old table
  would cascade to the deliveries); ``webhooks.service.emit`` requires the author from now on.
* ``webhook_subscriptions.delivery_order`` (``strict``, the behaviour so far, for every existing
  subscription), ``failure_streak`` (0) and ``failing_since`` (null): a lane's failed attempts since
  its last success, which now decide when a subscription is disabled.
* ``ix_webhook_deliveries_pending_due``: the due pending deliveries of an independent lane.
* ``ix_webhook_deliveries_one_pending`` (unique, partial): an event is queued at most once per
  subscription, which makes redeliver a compare-and-set. Redelivering a still-pending delivery used
  to queue a second copy; such copies (the same event, subscription and ``webhook-id``) are
  ``cancelled`` first, keeping the oldest, which is sent as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import expensehub.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE webhook_events SET author_type = 'company', author_id = company_id "
        "WHERE author_id IS NULL OR author_type IS NULL"
    )
    # Plain ALTER TABLE ... ADD COLUMN and CREATE INDEX on both databases (no table rebuild on SQLite).
    op.add_column(
        "webhook_subscriptions",
        sa.Column("delivery_order", sa.String(length=16), server_default="strict", nullable=False),
    )
    op.add_column(
        "webhook_subscriptions", sa.Column("failure_streak", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "webhook_subscriptions",
        sa.Column("failing_since", expensehub.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL "
        "WHERE status = 'pending' AND EXISTS (SELECT 1 FROM webhook_deliveries AS older "
        "WHERE older.subscription_id = webhook_deliveries.subscription_id "
        "AND older.event_id = webhook_deliveries.event_id AND older.status = 'pending' "
        "AND older.id < webhook_deliveries.id)"
    )
    op.create_index(
        "ix_webhook_deliveries_one_pending",
        "webhook_deliveries",
        ["subscription_id", "event_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_pending_due",
        "webhook_deliveries",
        ["subscription_id", "next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_pending_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_one_pending", table_name="webhook_deliveries")
    # Parked deliveries do not exist before this revision: they wait for a redelivery, so they go
    # back to failed (what they would have been: given up, redeliverable).
    op.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'parked'")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch rebuild: rebuilding drops the
    # old table, and with foreign keys on SQLite that deletes every delivery (ON DELETE CASCADE).
    for column in ("failing_since", "failure_streak", "delivery_order"):
        op.drop_column("webhook_subscriptions", column)
    # The authors filled in are true (see above); nothing to undo.

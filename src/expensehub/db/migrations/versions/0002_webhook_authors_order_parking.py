"""webhooks: every event has an author

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

* ``webhook_events.author_type``/``author_id``: events written before this revision that have no
  author get the company (``company`` and the company id). That is who made them: until this
  revision every credential was a company API key, and the CLI and the worker act for the company.
  The columns stay nullable (NOT NULL would rebuild the table on SQLite, and dropping the old table
  would cascade to the deliveries); ``webhooks.service.emit`` requires the author from now on.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE webhook_events SET author_type = 'company', author_id = company_id "
        "WHERE author_id IS NULL OR author_type IS NULL"
    )


def downgrade() -> None:
    # The authors filled in are true (see above); nothing to undo.
    pass

"""Policy of the documents domain (pure: no database, no HTTP)."""

from __future__ import annotations

TRASH_RETENTION_DAYS = 30
"""Days a trashed document stays restorable before ``expensehub documents purge`` deletes it."""

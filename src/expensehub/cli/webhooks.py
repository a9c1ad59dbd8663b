"""Webhook commands: `webhooks listen`, `webhooks secrets ...`."""

from __future__ import annotations

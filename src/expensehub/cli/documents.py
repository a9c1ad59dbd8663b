"""Document commands: `documents purge`, `export receipts`."""

from __future__ import annotations

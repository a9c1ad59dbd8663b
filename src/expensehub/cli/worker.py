"""`expensehub worker`: the background process."""

from __future__ import annotations

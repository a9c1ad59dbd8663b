"""Export commands: `export expenses`, `export card-payments`, `export transactions`, `reports ...`."""

from __future__ import annotations

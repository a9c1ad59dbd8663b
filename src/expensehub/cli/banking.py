"""Banking commands: `import feed`, `reconcile`."""

from __future__ import annotations

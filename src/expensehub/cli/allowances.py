"""Allowance commands: `export payroll-adjustments`."""

from __future__ import annotations

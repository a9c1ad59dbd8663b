"""HTTP endpoints of the reconciliation domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

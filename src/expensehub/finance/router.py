"""HTTP endpoints of the finance domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

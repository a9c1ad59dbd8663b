"""HTTP endpoints of the expenses domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

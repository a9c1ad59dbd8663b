"""HTTP endpoints of the allowances domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

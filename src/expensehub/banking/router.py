"""HTTP endpoints of the banking domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

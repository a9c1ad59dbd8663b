"""HTTP endpoints of the projects domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

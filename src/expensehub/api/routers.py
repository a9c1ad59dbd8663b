"""Every resource router, in the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from expensehub.companies.router import router as companies_router

ROUTERS: list[APIRouter] = [companies_router]

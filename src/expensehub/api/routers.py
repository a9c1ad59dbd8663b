"""Every resource router, in the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from expensehub.companies.router import router as companies_router
from expensehub.expenses.router import router as expenses_router
from expensehub.finance.router import router as finance_router
from expensehub.projects.router import router as projects_router

ROUTERS: list[APIRouter] = [expenses_router, finance_router, projects_router, companies_router]

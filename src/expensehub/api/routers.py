"""Every resource router, in the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from expensehub.allowances.router import router as allowances_router
from expensehub.banking.router import router as banking_router
from expensehub.companies.router import router as companies_router
from expensehub.documents.router import router as documents_router
from expensehub.expenses.router import router as expenses_router
from expensehub.exports.router import router as exports_router
from expensehub.finance.router import router as finance_router
from expensehub.projects.router import router as projects_router
from expensehub.reconciliation.router import router as reconciliation_router
from expensehub.webhooks.router import router as webhooks_router

ROUTERS: list[APIRouter] = [
    expenses_router,
    documents_router,
    banking_router,
    reconciliation_router,
    allowances_router,
    exports_router,
    finance_router,
    projects_router,
    companies_router,
    webhooks_router,
]

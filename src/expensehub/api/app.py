"""``create_app(settings)``: the FastAPI application."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI
from sqlalchemy import text
from starlette.responses import Response

from expensehub import __version__
from expensehub.api import docs, errors
from expensehub.api.deps import api_version
from expensehub.api.middleware import (
    ControlCharacterGuardMiddleware,
    RequestContextMiddleware,
    RequestGuardMiddleware,
    VersionQueryMiddleware,
)
from expensehub.api.openapi import complete_statuses, version_document
from expensehub.api.responses import json_response
from expensehub.api.routers import ROUTERS
from expensehub.config import Settings, load_settings
from expensehub.db.engine import make_engine, make_session_factory
from expensehub.documents.router import files_router
from expensehub.versions import SUPPORTED, ApiVersion

DESCRIPTION = f"""
A self-hostable expense platform whose REST API is wire-compatible with Factorial's expense, finance,
documents, banking and webhook APIs: same paths, JSON shapes, pagination and auth headers.

* Paths: `/api/{{version}}/resources/{{namespace}}/{{resource}}`, `/{{id}}`, and POST actions on
  `/{{resource}}/{{action}}`. Supported versions: {", ".join(f"`{v}`" for v in SUPPORTED)}. From
  2026-07-01 on, ids are JSON strings; before, integers.
* One OpenAPI document per version at `/api/{{version}}/openapi.json`; `/openapi.json` is the current
  version's.
* Auth: `x-api-key: <key>` or `Authorization: Bearer <token>`.
* Lists: `{{data, meta}}`, cursor mode (`limit` ≤ 100, `after_id`, `before_id`) or page mode (`page`).
* Operations tagged **extension** are expensehub's own; everything else matches Factorial.
"""

# Multipart routes whose bodies may carry a file: bounded by max_upload_bytes, not max_body_bytes.
UPLOAD_ROUTES = [
    ("POST", re.compile(r"^/api/[^/]+/resources/documents/documents/?$")),
    ("POST", re.compile(r"^/api/[^/]+/resources/expenses/expenses/?$")),
]

TAGS = [
    {"name": "expenses", "description": "Expensables, expenses, mileages and per diems (Factorial)"},
    {"name": "expenses (extension)", "description": "expensehub extension: create, edit and submit claims"},
    {"name": "approvals", "description": "Approve or reject a claim (Factorial approval flows)"},
    {"name": "documents", "description": "Documents, folders and download URLs (Factorial)"},
    {"name": "documents (extension)", "description": "expensehub extension: receipt bundles"},
    {"name": "finance", "description": "Categories, cost centres, ledger accounts (Factorial)"},
    {"name": "project_management", "description": "Projects expenses are booked to (Factorial)"},
    {"name": "companies", "description": "Legal entities (Factorial)"},
    {"name": "employees", "description": "Employees (Factorial)"},
    {"name": "api_public", "description": "Credentials (Factorial)"},
    {"name": "service", "description": "Health of the service"},
]


RESOURCES_PREFIX = "/api/{version}/resources"


def _route_templates(app: FastAPI) -> list[str]:
    """Every route's path template, for the request log (read from the routers: building the OpenAPI
    document for this would cost the first request seconds)."""
    own = [path for r in app.routes if (path := getattr(r, "path", ""))]
    resources = [
        f"{RESOURCES_PREFIX}{r.path}" for router in ROUTERS for r in router.routes if hasattr(r, "path")
    ]
    files = [r.path for r in files_router.routes if hasattr(r, "path")]
    return [*own, *resources, *files]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API application for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    engine = make_engine(
        settings.database_url,
        echo=settings.sql_echo,
        sqlite_busy_timeout=settings.sqlite_busy_timeout_seconds,
    )
    app = FastAPI(
        title="expensehub",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # api/docs.py serves the documentation pages with assets from a package
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    errors.install(app)
    docs.install(app)
    app.add_middleware(VersionQueryMiddleware)
    app.add_middleware(
        RequestGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_routes=UPLOAD_ROUTES,
    )
    # Added last, so it runs first: nothing with a control character in its path, query or headers
    # reaches another middleware or a route.
    app.add_middleware(ControlCharacterGuardMiddleware)
    # Outermost: request ids, the per-request log line and the last-resort 500 cover everything above.
    app.add_middleware(RequestContextMiddleware, templates=lambda: _route_templates(app))

    @app.get(
        "/healthz",
        tags=["service"],
        summary="Health check",
        description="200 with `{status: ok}` when the database answers; 503 otherwise.",
    )
    def healthz() -> Response:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # the database is down: report, do not raise
            return json_response({"status": "unavailable", "database": "down"}, 503)
        return json_response({"status": "ok", "database": "ok", "version": __version__})

    for router in ROUTERS:
        app.include_router(router, prefix=RESOURCES_PREFIX)
    app.include_router(files_router)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_statuses(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    documents: dict[str, bytes] = {}

    @app.get("/api/{version}/openapi.json", include_in_schema=False)
    def version_openapi(version: Annotated[ApiVersion, Depends(api_version)]) -> Response:
        """The OpenAPI document of one API version (built once, from the current one, then cached)."""
        if version.name not in documents:
            documents[version.name] = orjson.dumps(version_document(app.openapi(), version))
        return Response(documents[version.name], media_type="application/json")

    return app

"""JSON responses: serialised with orjson, rendered in the caller's API version, never re-validated.

The routers build plain dicts in the current shape; ``ApiVersion.render`` adapts them. The OpenAPI
schema still documents every shape through the ``responses=`` declarations on each route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

from expensehub.kit.cursors import encode_cursor
from expensehub.kit.pagination import Page
from expensehub.versions import ApiVersion


def json_response(content: Any, status_code: int = 200) -> Response:
    """A JSON response from plain data."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def meta_of(page: Page) -> dict[str, Any]:
    """The ``meta`` object of Factorial's list envelope."""
    return {
        "limit": page.limit,
        "total": page.total,
        "has_next_page": page.has_next_page,
        "has_previous_page": page.has_previous_page,
        "start_cursor": encode_cursor(page.first_id) if page.first_id is not None else None,
        "end_cursor": encode_cursor(page.last_id) if page.last_id is not None else None,
    }


def list_response(
    version: ApiVersion, resource: str, page: Page, items: Sequence[Mapping[str, Any]]
) -> Response:
    """``{data, meta}`` for a page of items."""
    return json_response({"data": version.render(items, resource), "meta": meta_of(page)})


def object_response(
    version: ApiVersion,
    resource: str,
    obj: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    status_code: int = 200,
    *,
    bare: bool = False,
) -> Response:
    """A bare object (GET one, create, update, action) or a bare array (bulk actions); in the version's
    envelope unless ``bare`` (an operation marked ``openapi.BARE``)."""
    rendered = version.render(obj, resource) if bare else version.render_one(obj, resource)
    return json_response(rendered, status_code)

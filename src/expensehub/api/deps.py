"""FastAPI dependencies: the API version, the caller, the database session, the page request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from expensehub.auth import service as auth_service
from expensehub.auth.principal import Principal
from expensehub.db.engine import transaction
from expensehub.errors import NotFound, ValidationFailed, check_body_id
from expensehub.kit.cursors import decode_cursor
from expensehub.kit.ids import parse_path_id
from expensehub.kit.pagination import MAX_LIMIT, PageRequest
from expensehub.versions import SUPPORTED, ApiVersion, get_version
from expensehub.webhooks.rules import Author


def api_version(
    version: Annotated[
        str,
        Path(description=f"API version date. Supported: {', '.join(SUPPORTED)}", examples=[SUPPORTED[0]]),
    ],
) -> ApiVersion:
    """The version named in the path; 404 naming the supported ones when unknown."""
    found = get_version(version)
    if found is None:
        raise NotFound(
            f"unknown API version {version!r}; supported versions: {', '.join(SUPPORTED)}",
            code="unknown_api_version",
        )
    return found


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with transaction(request.app.state.session_factory) as session:
        yield session


# The two ways to authenticate, declared as OpenAPI security schemes (either one suffices).
API_KEY_HEADER = APIKeyHeader(
    name="x-api-key",
    scheme_name="ApiKey",
    description="An API key, sent as is (no prefix)",
    auto_error=False,
)
BEARER = HTTPBearer(
    scheme_name="Bearer",
    description="`Authorization: Bearer <token>`: an API key or an OAuth access token",
    auto_error=False,
)


def principal(
    request: Request,
    session: Annotated[Session, Depends(db_session, scope="function")],
    x_api_key: Annotated[str | None, Depends(API_KEY_HEADER)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    """The caller, from ``x-api-key`` or ``Authorization: Bearer``; 401 otherwise."""
    token = (x_api_key or "").strip()
    if not token and bearer is not None:
        token = bearer.credentials.strip()
    caller = auth_service.authenticate(session, token)
    request.state.company_id = caller.company_id  # for the request's log line
    return caller


def page_request(
    limit: Annotated[
        str | None, Query(description="Page size, 1 to 100 (default and maximum 100; larger values mean 100)")
    ] = None,
    after_id: Annotated[
        str | None, Query(description="Cursor: return items after this one (a previous `meta.end_cursor`)")
    ] = None,
    before_id: Annotated[
        str | None,
        Query(description="Cursor: return items before this one (a previous `meta.start_cursor`)"),
    ] = None,
    page: Annotated[
        str | None, Query(description="Page mode: 1-based page number of `limit` items (offset paging)")
    ] = None,
) -> PageRequest:
    """Parse pagination parameters; bad values are 422 with the field named."""
    fields: dict[str, list[str]] = {}
    size = _integer("limit", limit, fields)
    if size is not None and size < 1:
        fields["limit"] = ["must be at least 1"]
    after = _cursor("after_id", after_id, fields)
    before = _cursor("before_id", before_id, fields)
    page_no = _integer("page", page, fields)
    if page_no is not None and not 1 <= page_no <= 10_000_000:
        fields["page"] = ["must be between 1 and 10000000"]
    if after is not None and before is not None:
        fields["before_id"] = ["after_id and before_id cannot be combined"]
    if fields:
        raise ValidationFailed("invalid pagination parameters", fields=fields)
    size = MAX_LIMIT if size is None else min(size, MAX_LIMIT)
    return PageRequest(limit=size, after_id=after, before_id=before, page=page_no)


def _integer(name: str, raw: str | None, fields: dict[str, list[str]]) -> int | None:
    """``raw`` as an integer; ``None`` when absent, or when not an integer (the error added to ``fields``)."""
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        fields[name] = ["must be an integer"]
        return None


def _cursor(name: str, raw: str | None, fields: dict[str, list[str]]) -> int | None:
    if raw in (None, ""):
        return None
    value = decode_cursor(raw)
    if value is None:
        fields[name] = ["not a valid cursor"]
    return value


@dataclass
class ApiContext:
    """What every resource endpoint needs: the version to render, the caller, the session."""

    version: ApiVersion
    principal: Principal
    session: Session

    @property
    def company_id(self) -> int:
        return self.principal.company_id

    @property
    def author(self) -> Author:
        """Who makes the changes of this request (webhooks' ``x-factorial-author-*``): the employee of
        a user credential, else the company (API keys are company credentials)."""
        return author_of(self.principal)


def author_of(principal: Principal) -> Author:
    if principal.employee_id is not None:
        return Author.employee(principal.employee_id)
    return Author.company(principal.company_id)


def api_context(
    version: Annotated[ApiVersion, Depends(api_version)],
    caller: Annotated[Principal, Depends(principal)],
    session: Annotated[Session, Depends(db_session, scope="function")],
) -> ApiContext:
    return ApiContext(version=version, principal=caller, session=session)


Ctx = Annotated[ApiContext, Depends(api_context)]
Paging = Annotated[PageRequest, Depends(page_request)]


def path_id(raw: str) -> int:
    """An id from the URL; anything that cannot be an id is simply not found."""
    value = parse_path_id(raw)
    if value is None:
        raise NotFound("resource not found")
    return value


ItemId = Annotated[str, Path(description="Resource id (a string of digits; integers before 2026-07-01)")]


def sent_fields(body: BaseModel, names: tuple[str, ...], not_null: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of ``body`` the client sent, by name (a partial update's changes); a null in a
    ``not_null`` field is a 422."""
    sent = {name: getattr(body, name) for name in names if name in body.model_fields_set}
    nulls = {name: ["cannot be null"] for name in not_null if name in sent and sent[name] is None}
    if nulls:
        raise ValidationFailed("the request is invalid", fields=nulls)
    return sent


def same_id(path: str, body_id: int | None) -> int:
    """The id of a ``PUT .../{id}`` whose body repeats it: when sent, both must name the same item (422)."""
    item_id = path_id(path)
    check_body_id(body_id, item_id)
    return item_id

"""The OpenAPI documents: response shapes declared without validating responses at run time, the
statuses every operation can answer, and one document per API version derived from the current one."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, create_model

from expensehub.versions import ApiVersion, integer_id_schema, is_id_key


class Meta(BaseModel):
    """Pagination metadata of a list response."""

    limit: int = Field(description="Page size used (at most 100)")
    total: int = Field(description="Number of items matching the filters, over all pages")
    has_next_page: bool = Field(description="Whether items follow this page")
    has_previous_page: bool = Field(description="Whether items precede this page")
    start_cursor: str | None = Field(None, description="Cursor of the first item; pass as `before_id`")
    end_cursor: str | None = Field(None, description="Cursor of the last item; pass as `after_id`")


class ErrorBody(BaseModel):
    """Error response: a stable `code`, a human `message`, and Factorial's `errors` key."""

    code: str = Field(description="Stable snake_case error code")
    message: str = Field(description="Human-readable explanation")
    errors: Any = Field(description="A field map for 422, a list of `{code, error, message}` otherwise")
    details: dict[str, Any] | None = Field(
        None,
        description="On a 409 about a resource's state: the resource and its current state, "
        '`{"resource", "id", "status"}` (the first refused one of a bulk action)',
    )


_ENVELOPES: dict[Any, type[BaseModel]] = {}


def envelope(model: Any) -> type[BaseModel]:
    """The ``{data, meta}`` list envelope of ``model`` (one class per model, for OpenAPI)."""
    if model not in _ENVELOPES:
        _ENVELOPES[model] = create_model(
            f"{model.__name__}List",
            __doc__=f"A page of {model.__name__} items.",
            data=(list[model], Field(description="The items of this page, in ascending id order")),
            meta=(Meta, Field(description="Pagination metadata")),
        )
    return _ENVELOPES[model]


CONFLICT_409 = (
    "Not allowed in the resource's current state, `details` giving that state; also what every request "
    "but the first gets when several change the same resource at once. `conflict` / `concurrent_update`: "
    "the write collided with another one committed at the same time and changed nothing (retry)"
)
BUSY_503 = (
    "`database_busy`: the database stayed locked by other writers longer than the busy timeout (SQLite; "
    "`Retry-After` given). Nothing was changed"
)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, invalid or revoked credentials"},
    404: {"model": ErrorBody, "description": "Not found (or belongs to another company)"},
    422: {"model": ErrorBody, "description": "Invalid parameters or body"},
}


def doc_list(model: Any) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a list endpoint."""
    return {200: {"model": envelope(model), "description": "A page of items"}, **ERRORS}


def doc_one(
    model: Any, status: int = 200, description: str = "The object"
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint returning one object."""
    return {status: {"model": model, "description": description}, **ERRORS}


def doc_many(model: Any, description: str = "The objects") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an action returning a bare array."""
    return {200: {"model": list[model], "description": description}, **ERRORS}


def doc_write(
    model: type[BaseModel] | Any, status: int = 200, description: str = "The object"
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a write: adds 400 (malformed JSON), 409 (state conflict), 413, 415 and 503."""
    return {
        status: {"model": model, "description": description},
        400: {"model": ErrorBody, "description": "Malformed JSON"},
        409: {"model": ErrorBody, "description": CONFLICT_409},
        413: {"model": ErrorBody, "description": "Body too large"},
        415: {"model": ErrorBody, "description": "Body is not JSON"},
        503: {"model": ErrorBody, "description": BUSY_503},
        **ERRORS,
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def complete_statuses(spec: dict[str, Any]) -> dict[str, Any]:
    """Add to every operation of ``spec`` the statuses the shared request machinery can answer.

    Each route documents its own outcomes; these come from the layers every request passes through,
    so they are added here, once, rather than on each route: the control-character guard (400, any
    path), the version in the path (404), credentials (401 where a security scheme applies),
    parameter and body validation (422), and for operations with a body malformed JSON (400), the
    size limit (413) and the content type (415). Statuses a route already documents are kept as they are.
    """
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            params = [p for p in operation.get("parameters", []) if p.get("name") != "version"]
            has_body = "requestBody" in operation
            extra: dict[str, str] = {
                "400": "A control character in the path, a query parameter or a header value"
                + (", or a malformed body" if has_body else "")
            }
            if "{version}" in path:
                extra["404"] = "Unknown API version, or not found (or belongs to another company)"
            if operation.get("security"):
                extra["401"] = "Missing, invalid or revoked credentials"
            if params or has_body:
                extra["422"] = "Invalid parameters or body"
            if has_body:
                extra["413"] = "Body too large"
                extra["415"] = "Body of a content type the operation does not read"
            for status, description in extra.items():
                responses.setdefault(status, _error(description))
    return spec


# --- one document per version ----------------------------------------------------------------------

RESOURCES_PREFIX = "/api/{version}/resources/"
VERSIONS_KEY = "x-versions"
"""On an operation served by some versions only: the names of those versions."""
BARE_KEY = "x-bare-object"
"""On an operation whose single object is never wrapped in ``data``, even in a version that wraps the
resource's objects (2026-04-01's project actions answer the bare project, its GET and create do not)."""
BARE: dict[str, Any] = {BARE_KEY: True}
"""``openapi_extra=`` of such an operation."""
_SCHEMAS = "#/components/schemas/"


def version_document(spec: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """The OpenAPI document of ``version``, derived from ``spec``, the current version's document.

    The differences of the chain from the current version down to ``version`` are applied in the order
    the data goes through them: for each version below the current one, the schema side of each of its
    ``changes`` (to the component each resource's objects are documented with), the ``{"data": ...}``
    wrapping of single objects, and the renamed query keys; then the id typing (integers where the
    version has no string ids). The ``version`` path parameter is restricted to ``version``. ``spec`` is
    not modified.
    """
    doc = copy.deepcopy(spec)
    _only_served(doc, version.name)
    # The components of each changed resource, found before any change (wrapping) is made.
    changed = {resource for step in version.lineage for resource in step.changes}
    objects = {resource: _object_components(doc, resource) for resource in changed}
    for step in version.lineage[1:]:
        for resource, changes in step.changes.items():
            if not objects[resource]:
                raise ValueError(f"{step.name}: no documented objects of {resource!r} to change")
            for name in objects[resource]:
                schemas = doc["components"]["schemas"]
                for change in changes:
                    schemas[name] = change.schema(schemas[name])
        for resource in step.wrap_single:
            _wrap_single(doc, resource)
        for resource, aliases in step.query_aliases.items():
            _rename_query_keys(doc, resource, aliases)
    if not version.string_ids:
        _integer_ids(doc)
    _pin_version(doc, version.name)
    notes = [
        f"\n\n**{step.name}** differs from {step.newer.name}:\n\n"
        + "\n".join(f"* {d}" for d in step.differences())
        for step in version.lineage[1:]
        if step.newer is not None
    ]
    info = doc.get("info", {})
    doc["info"] = {
        **info,
        "summary": f"API version {version.name}",
        "description": info.get("description", "") + "".join(notes),
    }
    return doc


def _only_served(doc: dict[str, Any], name: str) -> None:
    """Leave out the operations ``name`` does not serve (their ``x-versions`` does not name it)."""
    for path in list(doc.get("paths", {})):
        ops = doc["paths"][path]
        for method in list(ops):
            served = ops[method].get(VERSIONS_KEY) if isinstance(ops[method], dict) else None
            if served is not None and name not in served:
                del ops[method]
        if not ops:
            del doc["paths"][path]


def path_resource(path: str) -> str | None:
    """The resource key (``namespace/resource``) of an API path, or ``None`` outside the resources."""
    if not path.startswith(RESOURCES_PREFIX):
        return None
    parts = path[len(RESOURCES_PREFIX) :].split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else None


def _operations(doc: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    return [
        op
        for path, ops in doc.get("paths", {}).items()
        if path_resource(path) == resource
        for op in ops.values()
        if isinstance(op, dict) and "responses" in op
    ]


def _success_schemas(op: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON content objects (holding ``schema``) of an operation's 2xx responses."""
    return [
        content
        for status, response in op["responses"].items()
        if str(status).startswith("2")
        for media, content in response.get("content", {}).items()
        if media == "application/json" and "schema" in content
    ]


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref[len(_SCHEMAS) :] if isinstance(ref, str) and ref.startswith(_SCHEMAS) else None


def _list_item(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """The item component of a ``{data, meta}`` list envelope schema, else ``None``."""
    name = _ref_name(schema)
    if name is None:
        return None
    props = doc["components"]["schemas"][name].get("properties", {})
    data = props.get("data", {})
    if "meta" in props and data.get("type") == "array":
        return _ref_name(data.get("items"))
    return None


def _object_components(doc: dict[str, Any], resource: str) -> set[str]:
    """The components documenting the objects of ``resource``: list items, single and bulk results.

    Each must document nothing else (a change of the resource's objects is made to the component
    itself), so a component also referenced from outside the resource's responses is an error.
    """
    found: set[str] = set()
    envelopes: set[str] = set()
    for op in _operations(doc, resource):
        for content in _success_schemas(op):
            schema = content["schema"]
            item = _list_item(doc, schema)
            if item is not None:
                found.add(item)
                envelopes.add(_ref_name(schema) or "")
            elif schema.get("type") == "array" and _ref_name(schema.get("items")):
                found.add(_ref_name(schema["items"]) or "")
            elif _ref_name(schema):
                found.add(_ref_name(schema) or "")
    own = {id(op) for op in _operations(doc, resource)}
    for name in found:
        users = [
            where
            for where, node in _referrers(doc, own, envelopes | {name})
            if _mentions(node, _SCHEMAS + name)
        ]
        if users:
            raise ValueError(f"{name} documents {resource!r} and also {users}: give each its own model")
    return found


def _referrers(doc: dict[str, Any], own_ops: set[int], skip: set[str]) -> list[tuple[str, Any]]:
    """Every component and operation of ``doc`` but the resource's own operations and ``skip``."""
    nodes: list[tuple[str, Any]] = [
        (name, schema) for name, schema in doc["components"]["schemas"].items() if name not in skip
    ]
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            if isinstance(op, dict) and id(op) not in own_ops:
                nodes.append((f"{method.upper()} {path}", op))
    return nodes


def _mentions(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_mentions(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, ref) for v in node)
    return False


def _wrap_single(doc: dict[str, Any], resource: str) -> None:
    """Single-object responses of ``resource`` become ``{"data": <object>}`` (lists and arrays stay)."""
    for op in _operations(doc, resource):
        if op.get(BARE_KEY):
            continue
        for content in _success_schemas(op):
            schema = content["schema"]
            if _list_item(doc, schema) is not None or schema.get("type") == "array":
                continue
            content["schema"] = {
                "type": "object",
                "properties": {"data": schema},
                "required": ["data"],
                "description": "The object, wrapped in `data` in this version",
            }


def _rename_query_keys(doc: dict[str, Any], resource: str, aliases: Mapping[str, str]) -> None:
    """Query parameters of ``resource`` named as in the newer version take this version's names."""
    back = {newer: here for here, newer in aliases.items()}
    for op in _operations(doc, resource):
        for param in op.get("parameters", []):
            if param.get("in") == "query" and param.get("name") in back:
                param["name"] = back[param["name"]]


def _integer_ids(doc: dict[str, Any]) -> None:
    """Ids typed as JSON integers everywhere: components, parameters and inline bodies."""
    schemas = doc.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = integer_id_schema(schema)
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                if "schema" in param:
                    under_id_key = is_id_key(param["name"].removesuffix("[]"))
                    param["schema"] = integer_id_schema(param["schema"], under_id_key)
            bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
            for body in bodies:
                for content in body.get("content", {}).values():
                    if "schema" in content:
                        content["schema"] = integer_id_schema(content["schema"])


def _pin_version(doc: dict[str, Any], name: str) -> None:
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "path" and param.get("name") == "version":
                    param["description"] = f"API version date: `{name}` in this document"
                    param["schema"] = {
                        **param.get("schema", {}),
                        "enum": [name],
                        "examples": [name],
                        "description": param["description"],
                    }

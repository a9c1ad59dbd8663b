"""The version registry: every supported API date, each stated as its difference from the next newer one.

Every router builds the *current* shape with integer ids. A version is declared by what it changes
relative to the next newer version, and nothing else:

- ``integer_ids``: ids are JSON integers here, strings in the newer version;
- ``query_aliases``: query keys spelled differently here (``{resource: {key here: key in newer}}``);
- ``changes``: per-resource :class:`Change` objects, each a data transform *and* the same change
  made to the resource's JSON schema, so a version's data and its OpenAPI document cannot drift apart;
- ``wrap_single``: resources whose single objects come wrapped as ``{"data": {...}}`` here.

Rendering in version V applies the chain from the current version down to V: each newer version's
changes first, then V's own, then the id typing. ``VERSIONS`` (built by :func:`_chain`, newest first) is
the one list of versions; the API, the webhook sender, the OpenAPI documents and the CLI all read it.

To add a version that changes a shape: declare the new current version first in ``VERSIONS`` and move
the old current one below it with its difference from the new one (a new :class:`Change` for the
resource it changed); older versions stay as they are. Then add a changelog entry in docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

from expensehub.kit.ids import ID_PATTERN, TEXT_ID

# Keys that end like an id but carry free text or a cursor, never converted.
_NOT_IDS = frozenset(
    {
        "external_id",
        "external_ids",
        "tax_id",
        "merchant_tin",
        # the Standard Webhooks message id (`webhook-id` header), e.g. "msg_2f1c..."
        "webhook_id",
        # rate tables are named by their data file's path, e.g. "es/per_diem/2024-01-01"
        "rate_table_id",
        "rate_table_ids",
        # cursors (base64 of an id), not ids
        "after_id",
        "before_id",
    }
)
# Keys that hold ids without an id-like name.
_EXTRA_ID_KEYS = frozenset({"signees", "project_admins", "project_managers", "project_viewers"})

Transform = Callable[[dict[str, Any]], dict[str, Any]]
Schema = dict[str, Any]
SchemaTransform = Callable[[Schema], Schema]


@lru_cache(maxsize=4096)
def is_id_key(key: str) -> bool:
    """True for keys whose values are ids: ``id``, ``*_id``, ``*_ids`` and a few named lists."""
    if key in _NOT_IDS:
        return False
    return key == "id" or key.endswith(("_id", "_ids")) or key in _EXTRA_ID_KEYS


def _ids_to_str(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [_ids_to_str(v) for v in value]
    return value


def _strip_private(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop ``_``-prefixed keys: values routers pass along only for version transforms."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _stringify(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            key: _ids_to_str(value) if is_id_key(key) else _stringify(value) for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_stringify(v) for v in obj]
    return obj


# --- the schema twin of the id typing ------------------------------------------------------------


def integer_id_schema(schema: Schema, under_id_key: bool = False) -> Schema:
    """``schema`` with ids typed as JSON integers instead of strings: the schema side of ``string_ids``.

    A string is an id when it sits under an id key (``is_id_key``, through ``anyOf``/``oneOf``/``items``
    but not into nested objects, exactly as the data rule goes) or when it is a request id
    (``kit.ids.ID_PATTERN``, the ``IdIn`` type). A schema marked ``TEXT_ID`` (``kit.ids.TextId``) holds
    text and is left alone.
    """
    if not isinstance(schema, dict) or schema.get(TEXT_ID):
        return schema
    out = dict(schema)
    types = out.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    if is_string and (under_id_key or out.get("pattern") == ID_PATTERN):
        return _as_integer(out)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [integer_id_schema(s, under_id_key) for s in out[key]]
    if isinstance(out.get("items"), dict):
        out["items"] = integer_id_schema(out["items"], under_id_key)
    if not under_id_key:
        if "properties" in out:
            out["properties"] = {k: integer_id_schema(s, is_id_key(k)) for k, s in out["properties"].items()}
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = integer_id_schema(out["additionalProperties"])
    return out


def _as_integer(schema: Schema) -> Schema:
    out = {k: v for k, v in schema.items() if k not in ("pattern", "minLength", "maxLength", "format")}
    types = schema["type"]
    out["type"] = "integer" if types == "string" else ["integer" if t == "string" else t for t in types]
    for key in ("examples", "enum"):
        if key in out:
            out[key] = [int(v) if isinstance(v, str) and v.isdigit() else v for v in out[key]]
    if isinstance(out.get("example"), str) and out["example"].isdigit():
        out["example"] = int(out["example"])
    return out


# --- changes of one resource's objects ------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One change of a resource's objects between a version and the next newer one.

    ``data`` turns an object of the newer version's shape into this version's (it may read the
    ``_``-prefixed private keys routers pass along); ``schema`` makes the same change to the object's
    JSON schema (the OpenAPI component the newer version documents it with). Both see ids as the current
    version types them; the id typing of each version is applied after every change.
    """

    data: Transform
    schema: SchemaTransform
    summary: str


def _map_strings(schema: Schema, fn: Callable[[Schema], Schema]) -> Schema:
    """``schema`` with each string alternative (through ``anyOf``/``oneOf``) replaced by ``fn`` of it."""
    if schema.get("type") == "string":
        return fn(schema)
    out = dict(schema)
    for key in ("anyOf", "oneOf"):
        if key in out:
            out[key] = [_map_strings(s, fn) if isinstance(s, dict) else s for s in out[key]]
    return out


def _with_properties(schema: Schema, keys: tuple[str, ...], fn: Callable[[Schema], Schema]) -> Schema:
    props = schema.get("properties", {})
    missing = [k for k in keys if k not in props]
    if missing:
        raise ValueError(f"{schema.get('title')}: no properties {missing} to change")
    return {**schema, "properties": {k: fn(s) if k in keys else s for k, s in props.items()}}


def _note(schema: Schema, text: str) -> Schema:
    description = schema.get("description")
    return {**schema, "description": f"{description}. {text}" if description else text}


def drop(*keys: str) -> Change:
    """Fields the newer version added: absent here."""

    def data(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in keys}

    def schema(s: Schema) -> Schema:
        _with_properties(s, keys, lambda p: p)  # every dropped field is documented in the newer version
        out = {**s, "properties": {k: v for k, v in s["properties"].items() if k not in keys}}
        if "required" in s:
            out["required"] = [k for k in s["required"] if k not in keys]
        return out

    return Change(data, schema, f"no {', '.join(f'`{k}`' for k in keys)}")


_VALUE_OBJECT: Schema = {
    "type": "object",
    "properties": {"value": {"type": "string", "description": "The value, as the newer versions give it"}},
    "required": ["value"],
}


def as_objects(*keys: str) -> Change:
    """String fields that were objects ``{"value": "<string>"}`` here.

    Factorial's material does not document their inner shape (the 2026-04-01 community client types the
    mileage rate and coordinates as free-form mappings), so the value travels as ``{"value": ...}``.
    """

    def data(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: ({"value": v} if k in keys and v is not None else v) for k, v in obj.items()}

    def schema(s: Schema) -> Schema:
        def change(prop: Schema) -> Schema:
            return _note(
                _map_strings(prop, lambda _: dict(_VALUE_OBJECT)), 'In this version: `{"value": "<string>"}`'
            )

        return _with_properties(s, keys, change)

    return Change(data, schema, f"{', '.join(f'`{k}`' for k in keys)} are objects `{{value}}`")


def date_only(*keys: str) -> Change:
    """Timestamps that were dates here: keep ``YYYY-MM-DD``."""

    def data(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: (v[:10] if k in keys and isinstance(v, str) else v) for k, v in obj.items()}

    def schema(s: Schema) -> Schema:
        def change(prop: Schema) -> Schema:
            date = {"type": "string", "format": "date"}
            return _note(_map_strings(prop, lambda _: date), "In this version: a date, `YYYY-MM-DD`")

        return _with_properties(s, keys, change)

    return Change(data, schema, f"{', '.join(f'`{k}`' for k in keys)} are dates")


def _category_2026_04_data(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        **obj,
        "name": obj.get("label"),
        "company_id": obj.get("_company_id"),
        "created_at": obj.get("_created_at"),
        "updated_at": obj.get("_updated_at"),
    }


def _category_2026_04_schema(s: Schema) -> Schema:
    label = s["properties"]["label"]
    added = {
        "name": {**label, "title": "Name", "description": "The category's name (the same as `label`)"},
        "company_id": {"type": "string", "title": "Company Id", "description": "Company of the category"},
        "created_at": {"type": "string", "title": "Created At", "description": "When it was created"},
        "updated_at": {"type": "string", "title": "Updated At", "description": "When it last changed"},
    }
    return {
        **s,
        "properties": {**s["properties"], **added},
        "required": [*s.get("required", []), *added],
    }


# Before 2026-07-01 a category was ``{id, name, company_id, created_at, updated_at}``; the current
# fields stay alongside.
category_2026_04 = Change(
    _category_2026_04_data,
    _category_2026_04_schema,
    "adds `name` (the label), `company_id`, `created_at` and `updated_at`",
)


# --- versions --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ApiVersion:
    """One supported API version: its name and its difference from the next newer version.

    The current version has no difference. ``newer`` is set by ``_chain``; everything else a router,
    the webhook sender or the OpenAPI documents need (``string_ids``, ``current_query_aliases``, the
    transforms of a resource, the wrapped resources) is resolved from the chain once, on first use.
    """

    name: str
    integer_ids: bool = False
    # resource key ("banking/transactions") -> {query key here: query key in the newer version}
    query_aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # resource key -> changes applied, in order, to every object of that resource
    changes: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)
    # resources whose single-object responses are wrapped as {"data": {...}} here (not in the newer one)
    wrap_single: frozenset[str] = frozenset()
    newer: ApiVersion | None = field(default=None, repr=False)

    @cached_property
    def lineage(self) -> tuple[ApiVersion, ...]:
        """The versions from the current one down to this one."""
        return (*self.newer.lineage, self) if self.newer is not None else (self,)

    @cached_property
    def string_ids(self) -> bool:
        """Whether ids are JSON strings (else integers) in this version."""
        return not any(v.integer_ids for v in self.lineage)

    @cached_property
    def current_query_aliases(self) -> dict[str, dict[str, str]]:
        """resource key -> {query key sent in this version: its current name}."""
        if self.newer is None:
            return {}
        newer = self.newer.current_query_aliases
        out = {resource: dict(keys) for resource, keys in newer.items()}
        for resource, keys in self.query_aliases.items():
            through = newer.get(resource, {})
            out.setdefault(resource, {}).update({k: through.get(v, v) for k, v in keys.items()})
        return out

    @cached_property
    def _transforms(self) -> dict[str, tuple[Transform, ...]]:
        out = dict(self.newer._transforms) if self.newer is not None else {}
        for resource, changes in self.changes.items():
            out[resource] = (*out.get(resource, ()), *(c.data for c in changes))
        return out

    @cached_property
    def wrapped(self) -> frozenset[str]:
        """Resources whose single objects come wrapped as ``{"data": ...}`` in this version."""
        return self.wrap_single | (self.newer.wrapped if self.newer is not None else frozenset())

    def differences(self) -> list[str]:
        """This version's difference from the next newer one, one line per change (for the docs)."""
        lines = ["ids are JSON integers"] if self.integer_ids else []
        for resource, keys in self.query_aliases.items():
            lines += [f"`{resource}`: the query key `{new}` is `{old}`" for old, new in keys.items()]
        for resource, changes in self.changes.items():
            lines += [f"`{resource}`: {change.summary}" for change in changes]
        lines += [
            f"`{resource}`: single objects come wrapped in `data`" for resource in sorted(self.wrap_single)
        ]
        return lines

    def transforms(self, resource: str) -> tuple[Transform, ...]:
        """The data transforms from the current shape of ``resource`` to this version's, in order."""
        return self._transforms.get(resource, ())

    def render(self, obj: Any, resource: str | None = None) -> Any:
        """The current-shape ``obj`` (a dict or a list of dicts) in this version.

        Keys starting with ``_`` are private: transforms may read them; they never reach the wire.
        """
        fns = self._transforms.get(resource, ()) if resource is not None else ()
        fns = (*fns, _strip_private)
        if isinstance(obj, list):
            obj = [_apply(fns, o) if isinstance(o, dict) else o for o in obj]
        elif isinstance(obj, dict):
            obj = _apply(fns, obj)
        return _stringify(obj) if self.string_ids else obj

    def render_one(self, obj: Any, resource: str) -> Any:
        """A single object (GET one, create, update, action) in this version's envelope."""
        rendered = self.render(obj, resource)
        if resource in self.wrapped and isinstance(rendered, dict):
            return {"data": rendered}
        return rendered

    def current_query_key(self, resource: str, key: str) -> str:
        """The current name of a query key sent in this version."""
        return self.current_query_aliases.get(resource, {}).get(key, key)


def _apply(fns: tuple[Transform, ...], obj: dict[str, Any]) -> dict[str, Any]:
    for fn in fns:
        obj = fn(obj)
    return obj


def _chain(*declared: ApiVersion) -> dict[str, ApiVersion]:
    """The registry: ``declared`` newest first, each linked to the next newer one."""
    out: dict[str, ApiVersion] = {}
    newer: ApiVersion | None = None
    for version in declared:
        if newer is None and (version.integer_ids or version.query_aliases or version.changes):
            raise ValueError(f"{version.name}: the current version has no difference to state")
        if newer is not None and version.name >= newer.name:
            raise ValueError(f"versions must be declared newest first: {version.name} after {newer.name}")
        linked = replace(version, newer=newer)
        out[linked.name] = linked
        newer = linked
    return out


VERSIONS: dict[str, ApiVersion] = _chain(
    ApiVersion(name="2026-10-01"),
    # Differences from 2026-10-01 (Factorial's 2026-07-01 made ids strings and renamed the account
    # filter; mileage `rate_measurement_unit` came in 2026-07-01 or 2026-10-01). 2026-04-01 is what the
    # community client `factorialhr` 7.0.0 reads.
    ApiVersion(
        name="2026-04-01",
        integer_ids=True,
        query_aliases={"banking/transactions": {"account_ids[]": "bank_account_ids[]"}},
        changes={
            "expenses/mileages": (
                drop("rate_measurement_unit"),
                as_objects(
                    "rate",
                    "origin_longitude",
                    "origin_latitude",
                    "destination_longitude",
                    "destination_latitude",
                ),
            ),
            "expenses/per_diems": (date_only("paid_at", "review_request_at", "effective_on"),),
            "finance/categories": (category_2026_04,),
        },
        # These objects came wrapped in {"data": ...} when returned one at a time (GET by id, create,
        # actions), as the 2026-04-01 community client reads them.
        wrap_single=frozenset(
            {
                "project_management/projects",
                "companies/legal_entities",
                "approvals/materialized_approvals_flows",
            }
        ),
    ),
)

SUPPORTED = tuple(VERSIONS)
CURRENT = SUPPORTED[0]


def get_version(name: str) -> ApiVersion | None:
    """The registered version called ``name``, or ``None``."""
    return VERSIONS.get(name)

"""The version registry: each supported API date and the transforms between it and current shapes.

Every router builds the *current* shape (2026-10-01) with integer ids. ``ApiVersion.render`` turns
that into the requested version: ids become JSON strings from 2026-07-01 on and stay integers before,
and per-resource transforms add or remove what changed. Query parameters renamed between versions
are mapped back to their current names by ``ApiVersion.query_aliases`` before filters are parsed.

To add a version: append an ``ApiVersion`` to ``VERSIONS`` with its differences from the next newer
one, and add a changelog entry in docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Keys that end like an id but carry free text, never converted.
_NOT_IDS = frozenset({"external_id", "external_ids", "tax_id", "merchant_tin"})
# Keys that hold ids without an id-like name.
_EXTRA_ID_KEYS = frozenset({"signees", "project_admins", "project_managers", "project_viewers"})

Transform = Callable[[dict[str, Any]], dict[str, Any]]


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


@dataclass(frozen=True)
class ApiVersion:
    """One supported API version."""

    name: str
    string_ids: bool
    # resource key ("banking/transactions") -> {old query key: current query key}
    query_aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # resource key -> transforms applied, in order, to every rendered object of that resource
    transforms: dict[str, tuple[Transform, ...]] = field(default_factory=dict)
    # resources whose single-object responses are wrapped as {"data": {...}} in this version
    wrap_single: frozenset[str] = frozenset()

    def render(self, obj: Any, resource: str | None = None) -> Any:
        """The current-shape ``obj`` (a dict or a list of dicts) in this version.

        Keys starting with ``_`` are private: transforms may read them; they never reach the wire.
        """
        fns = self.transforms.get(resource, ()) if resource is not None else ()
        fns = (*fns, _strip_private)
        if isinstance(obj, list):
            obj = [_apply(fns, o) if isinstance(o, dict) else o for o in obj]
        elif isinstance(obj, dict):
            obj = _apply(fns, obj)
        return _stringify(obj) if self.string_ids else obj

    def render_one(self, obj: Any, resource: str) -> Any:
        """A single object (GET one, create, update, action) in this version's envelope."""
        rendered = self.render(obj, resource)
        if resource in self.wrap_single and isinstance(rendered, dict):
            return {"data": rendered}
        return rendered

    def current_query_key(self, resource: str, key: str) -> str:
        """The current name of a query key sent in this version."""
        return self.query_aliases.get(resource, {}).get(key, key)


def _apply(fns: tuple[Transform, ...], obj: dict[str, Any]) -> dict[str, Any]:
    for fn in fns:
        obj = fn(obj)
    return obj


def _drop(*keys: str) -> Transform:
    def transform(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in keys}

    return transform


def _category_2026_04(obj: dict[str, Any]) -> dict[str, Any]:
    """Before 2026-07-01 a category was ``{id, name, company_id, created_at, updated_at}``."""
    return {
        **obj,
        "name": obj.get("label"),
        "company_id": obj.get("_company_id"),
        "created_at": obj.get("_created_at"),
        "updated_at": obj.get("_updated_at"),
    }


def _as_objects(*keys: str) -> Transform:
    """Before 2026-07-01 the mileage rate and coordinates were objects, not strings.

    Factorial's material does not document their inner shape (the community client types them as
    free-form mappings), so the value travels as ``{"value": "<string>"}``.
    """

    def transform(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: ({"value": v} if k in keys and v is not None else v) for k, v in obj.items()}

    return transform


def _date_only(*keys: str) -> Transform:
    """Timestamps that an older version typed as dates: keep ``YYYY-MM-DD``."""

    def transform(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: (v[:10] if k in keys and isinstance(v, str) else v) for k, v in obj.items()}

    return transform


CURRENT = "2026-10-01"

VERSIONS: dict[str, ApiVersion] = {
    v.name: v
    for v in (
        ApiVersion(name="2026-10-01", string_ids=True),
        ApiVersion(
            name="2026-04-01",
            string_ids=False,
            query_aliases={"banking/transactions": {"account_ids[]": "bank_account_ids[]"}},
            transforms={
                # Added after 2026-04-01 (2026-07-01 or 2026-10-01): the mileage rate unit.
                "expenses/mileages": (
                    _drop("rate_measurement_unit"),
                    _as_objects(
                        "rate",
                        "origin_longitude",
                        "origin_latitude",
                        "destination_longitude",
                        "destination_latitude",
                    ),
                ),
                "expenses/per_diems": (_date_only("paid_at", "review_request_at", "effective_on"),),
                "finance/categories": (_category_2026_04,),
            },
            # These objects came wrapped in {"data": ...} when returned one at a time (GET by id,
            # create, actions), as the 2026-04-01 community client reads them.
            wrap_single=frozenset(
                {
                    "project_management/projects",
                    "companies/legal_entities",
                    "approvals/materialized_approvals_flows",
                }
            ),
        ),
    )
}

SUPPORTED = tuple(sorted(VERSIONS, reverse=True))


def get_version(name: str) -> ApiVersion | None:
    """The registered version called ``name``, or ``None``."""
    return VERSIONS.get(name)

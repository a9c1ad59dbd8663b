"""The version chain: each version states its difference from the next newer one; data and documents
both go through the chain from the current version down."""

from __future__ import annotations

from typing import Any

import pytest

from expensehub.api.openapi import version_document
from expensehub.versions import (
    CURRENT,
    SUPPORTED,
    VERSIONS,
    ApiVersion,
    Change,
    _chain,
    as_objects,
    date_only,
    drop,
    integer_id_schema,
)


def _renamed(old: str, new: str) -> Change:
    """A field the newer version renamed ``new``: called ``old`` here."""

    def data(obj: dict[str, Any]) -> dict[str, Any]:
        return {(old if k == new else k): v for k, v in obj.items()}

    def schema(s: dict[str, Any]) -> dict[str, Any]:
        props = {(old if k == new else k): v for k, v in s["properties"].items()}
        return {**s, "properties": props, "required": [old if k == new else k for k in s.get("required", [])]}

    return Change(data, schema, f"`{new}` is `{old}`")


# A registry as it would be after a new current version that renames one field and one filter.
FUTURE = _chain(
    ApiVersion("2027-01-01"),
    ApiVersion(
        "2026-10-01",
        changes={"things/things": (_renamed("label", "title"),)},
        query_aliases={"things/things": {"label": "title"}},
    ),
    ApiVersion(
        "2026-04-01",
        integer_ids=True,
        changes={"things/things": (drop("unit"), as_objects("rate"), date_only("paid_at"))},
        query_aliases={"things/things": {"account_ids[]": "bank_account_ids[]"}},
        wrap_single=frozenset({"things/things"}),
    ),
)

THING = {
    "id": 7,
    "owner_id": 3,
    "title": "Taxi",
    "unit": "km",
    "rate": "0.26",
    "paid_at": "2026-03-01T10:00:00.000Z",
    "_private": 1,
}


def test_the_registry_is_the_chain_newest_first() -> None:
    assert SUPPORTED == tuple(VERSIONS) == ("2026-10-01", "2026-04-01")
    assert CURRENT == "2026-10-01"
    assert VERSIONS["2026-04-01"].newer is VERSIONS["2026-10-01"]
    assert VERSIONS["2026-10-01"].newer is None
    assert [v.name for v in VERSIONS["2026-04-01"].lineage] == ["2026-10-01", "2026-04-01"]


def test_rendering_applies_each_newer_difference_then_its_own() -> None:
    new, middle, old = FUTURE.values()
    assert new.render(THING, "things/things") == {
        "id": "7",
        "owner_id": "3",
        "title": "Taxi",
        "unit": "km",
        "rate": "0.26",
        "paid_at": "2026-03-01T10:00:00.000Z",
    }
    assert middle.render(THING, "things/things")["label"] == "Taxi"
    assert "title" not in middle.render(THING, "things/things")
    assert old.render_one(THING, "things/things") == {
        "data": {"id": 7, "owner_id": 3, "label": "Taxi", "rate": {"value": "0.26"}, "paid_at": "2026-03-01"}
    }
    assert middle.render_one(THING, "things/things") == middle.render(THING, "things/things")
    assert (new.string_ids, middle.string_ids, old.string_ids) == (True, True, False)


def test_query_aliases_compose_down_to_the_current_names() -> None:
    new, middle, old = FUTURE.values()
    assert new.current_query_aliases == {}
    assert middle.current_query_key("things/things", "label") == "title"
    assert old.current_query_key("things/things", "label") == "title"
    assert old.current_query_key("things/things", "account_ids[]") == "bank_account_ids[]"
    assert old.current_query_key("other/things", "label") == "label"


def test_the_chain_must_be_declared_newest_first_with_no_difference_on_top() -> None:
    with pytest.raises(ValueError, match="newest first"):
        _chain(ApiVersion("2026-04-01"), ApiVersion("2026-10-01"))
    with pytest.raises(ValueError, match="no difference"):
        _chain(ApiVersion("2026-10-01", integer_ids=True))


# --- schemas ---------------------------------------------------------------------------------------


def test_integer_id_schema_follows_the_data_rule() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "Thing id"},
            "owner_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "cost_center_ids": {"type": "array", "items": {"type": "string"}},
            "external_id": {"type": "string"},
            "webhook_id": {"type": "string"},
            "after_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "credential": {"type": "object", "properties": {"id": {"type": "string", "x-text-id": True}}},
            "ids": {"type": "array", "items": {"type": "string", "pattern": r"^\d+$"}},
            "name": {"type": "string"},
        },
    }
    props = integer_id_schema(schema)["properties"]
    assert props["id"] == {"type": "integer", "description": "Thing id"}
    assert props["owner_id"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert props["cost_center_ids"] == {"type": "array", "items": {"type": "integer"}}
    assert props["ids"] == {"type": "array", "items": {"type": "integer"}}
    for text in ("external_id", "webhook_id", "name", "credential"):
        assert props[text] == schema["properties"][text]  # type: ignore[index]
    assert props["after_id"] == schema["properties"]["after_id"]  # type: ignore[index]


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/api/{version}/resources/things/things": {
            "get": {
                "parameters": [
                    {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "title", "in": "query", "schema": {"type": "string"}},
                    {"name": "bank_account_ids[]", "in": "query", "schema": {"type": "array"}},
                    {
                        "name": "owner_ids[]",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                ],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ThingList"}}
                        }
                    }
                },
            }
        },
        "/api/{version}/resources/things/things/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "owner_id": {"type": "string"},
                    "title": {"type": "string"},
                    "unit": {"type": "string"},
                    "rate": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "paid_at": {"type": "string"},
                },
                "required": ["id", "title", "unit"],
            },
            "ThingList": {
                "type": "object",
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                    "meta": {"$ref": "#/components/schemas/Meta"},
                },
            },
            "Meta": {"type": "object", "properties": {"limit": {"type": "integer"}}},
        }
    },
}


def test_documents_go_through_the_same_chain() -> None:
    new, middle, old = FUTURE.values()
    assert version_document(SPEC, new)["components"] == SPEC["components"]

    doc = version_document(SPEC, old)
    thing = doc["components"]["schemas"]["Thing"]
    assert set(thing["properties"]) == {"id", "owner_id", "label", "rate", "paid_at"}
    assert thing["required"] == ["id", "label"]
    assert thing["properties"]["id"] == {"type": "integer"}
    assert thing["properties"]["owner_id"] == {"type": "integer"}
    assert thing["properties"]["rate"]["anyOf"][0]["properties"] == {
        "value": {"type": "string", "description": "The value, as the newer versions give it"}
    }
    assert thing["properties"]["paid_at"]["format"] == "date"
    paths = doc["paths"]
    one = paths["/api/{version}/resources/things/things/{id}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"]["properties"] == {
        "data": {"$ref": "#/components/schemas/Thing"}
    }
    assert one["parameters"][0]["schema"] == {"type": "integer"}
    listed = paths["/api/{version}/resources/things/things"]["get"]
    assert listed["responses"] == SPEC["paths"]["/api/{version}/resources/things/things"]["get"]["responses"]
    params = {p["name"]: p for p in listed["parameters"]}
    assert set(params) == {"version", "label", "account_ids[]", "owner_ids[]"}
    assert params["version"]["schema"]["enum"] == ["2026-04-01"]
    assert params["owner_ids[]"]["schema"]["items"] == {"type": "integer"}

    description = doc["info"]["description"]
    assert "**2026-04-01** differs from 2026-10-01" in description
    assert "* `things/things`: no `unit`" in description
    assert "* ids are JSON integers" in description
    # The middle version only renames.
    assert "label" in version_document(SPEC, middle)["components"]["schemas"]["Thing"]["properties"]
    # The current document is not modified.
    assert "title" in SPEC["components"]["schemas"]["Thing"]["properties"]


def test_a_change_to_a_shared_component_is_refused() -> None:
    shared = {**SPEC, "components": {"schemas": {**SPEC["components"]["schemas"]}}}
    shared["components"]["schemas"]["Other"] = {
        "type": "object",
        "properties": {"thing": {"$ref": "#/components/schemas/Thing"}},
    }
    with pytest.raises(ValueError, match="Thing documents 'things/things' and also"):
        version_document(shared, FUTURE["2026-04-01"])


def test_a_change_of_an_undocumented_field_is_refused() -> None:
    versions = _chain(
        ApiVersion("2026-10-01"), ApiVersion("2026-04-01", changes={"things/things": (drop("nope"),)})
    )
    with pytest.raises(ValueError, match="no properties"):
        version_document(SPEC, versions["2026-04-01"])

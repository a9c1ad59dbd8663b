"""Cross-cutting bad input, swept over the OpenAPI document instead of copied into each domain's tests.

* Malformed JSON: every operation that reads a JSON body answers ``400 malformed_json`` to a truncated
  body and stores nothing.
* Bad filters: every query parameter of every list operation whose schema constrains its value (ids,
  enums, booleans, dates, timestamps, lengths, and the pagination parameters) answers 422 naming the
  parameter when given a value outside it, in both versions.

New operations and parameters are covered without editing this file; the test fails if the document
stops offering enough of them to sweep.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.api.test_body_ids_sweep import _state
from tests.factories import ApiClient, Tenant

PREFIX = "/api/{version}/resources/"
VERSIONS = ("2026-10-01", "2026-04-01")
PAGINATION = {"limit": "abc", "page": "0", "after_id": "not a cursor", "before_id": "%%%"}


def _spec(http: Any) -> dict[str, Any]:
    return dict(http.get("/openapi.json").json())


def _json_operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if path.startswith(PREFIX) and "application/json" in op.get("requestBody", {}).get("content", {})
    )


def test_malformed_json_is_400_everywhere_and_stores_nothing(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    operations = _json_operations(_spec(api.http))
    assert len(operations) >= 30
    before = _state(session_factory, (tenant.company_id,))
    for method, path in operations:
        url = path.replace("{version}", api.version).replace("{id}", "1")
        for body in (b'{"name": ', b"[1, 2", b"{'single': 'quotes'}", b"\xff\xfe"):
            r = api.http.request(
                method.upper(), url, content=body, headers={**api.headers, "content-type": "application/json"}
            )
            assert r.status_code == 400, (method, path, body, r.status_code, r.text[:200])
            assert r.json()["code"] == "malformed_json", (method, path, body)
    assert _state(session_factory, (tenant.company_id,)) == before


ID_VALUES = ("abc", "0", "-1", "1.5", "99999999999999999999")


def _bad_values(schema: dict[str, Any]) -> tuple[str, ...]:
    """Values outside what ``schema`` (a query parameter's, nullable or not) allows; none when the
    schema allows any text."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if len(options) != 1:
        return ()
    s = options[0]
    if s.get("type") == "array":
        return _bad_values(s.get("items", {}))
    if "enum" in s:
        return ("no_such_value", str(s["enum"][0]).upper() + "X")
    if s.get("type") == "boolean":
        return ("sometimes", "2")
    if s.get("type") == "integer" or s.get("pattern") == "^\\d+$":
        return ID_VALUES
    if s.get("format") == "date":
        return ("2026-02-30", "2024-13-01", "01/01/2024")
    if s.get("format") == "date-time":
        return ("yesterday", "2026-01-01T25:00:00Z")
    if "maxLength" in s:
        return ("x" * (s["maxLength"] + 1),)
    return ()


def _list_parameters(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, parameter, bad value) for every constrained query parameter of every list operation."""
    found = []
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if not path.startswith(PREFIX) or op is None or path.endswith("}"):
            continue
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            name = param["name"]
            bad = (PAGINATION[name],) if name in PAGINATION else _bad_values(param["schema"])
            found.extend((path, name, value) for value in bad)
    return sorted(found)


def test_bad_filter_values_are_422_naming_the_parameter(http: Any, tenant: Tenant) -> None:
    swept = _list_parameters(_spec(http))
    assert len({path for path, _, _ in swept}) >= 25
    assert len(swept) >= 300
    for version in VERSIONS:
        api = ApiClient(http, tenant.api_key, version=version)
        for path, name, bad in swept:
            url = path.replace("{version}", version)
            value: Any = [bad] if name.endswith("[]") else bad
            r = http.get(url, params={name: value}, headers=api.headers)
            where = (version, path, name, bad)
            if r.status_code == 400:  # a required parameter missing (exports need from/to): say so
                raise AssertionError((where, r.text))
            assert r.status_code == 422, (where, r.status_code, r.text[:300])
            body = r.json()
            # the field map names the parameter, or one of its items (``ids[].0``)
            named = [
                key
                for key in body["errors"]
                if key.split(".")[0].removesuffix("[]") == name.removesuffix("[]")
            ]
            assert named, (where, body)

"""Request guards: body size, content types, malformed JSON, OpenAPI completeness."""

from __future__ import annotations

from tests.factories import ApiClient


def test_oversized_body_is_413(api: ApiClient) -> None:
    big = b'{"ids": [' + b"1," * 40_000 + b"1]}"
    r = api.http.post(
        api.url("expenses/expensables/bulk_set_to_paid"),
        content=big,
        headers={**api.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


def test_chunked_oversized_body_is_413(api: ApiClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 1024

    r = api.http.post(
        api.url("expenses/expensables/bulk_set_to_paid"),
        content=chunks(),
        headers={**api.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413


def test_wrong_content_type_is_415(api: ApiClient) -> None:
    r = api.http.post(
        api.url("expenses/expensables/bulk_set_to_paid"),
        content=b"ids=1",
        headers={**api.headers, "content-type": "text/plain"},
    )
    assert r.status_code == 415
    assert r.json()["code"] == "unsupported_media_type"


def test_openapi_documents_every_route_and_field(http) -> None:
    spec = http.get("/openapi.json").json()
    missing: list[str] = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not op.get("description") and not op.get("summary"):
                missing.append(f"{method.upper()} {path}: no description")
            for param in op.get("parameters", []):
                if not param.get("description") and not param.get("schema", {}).get("description"):
                    missing.append(f"{method.upper()} {path}: parameter {param['name']} undocumented")
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if name in {"HTTPValidationError", "ValidationError"}:
            continue
        for prop, body in schema.get("properties", {}).items():
            if not body.get("description"):
                missing.append(f"schema {name}.{prop} undocumented")
    assert missing == []


def test_docs_page_served(http) -> None:
    r = http.get("/docs")
    assert r.status_code == 200
    assert "swagger" in r.text.lower()


def _count_expensables(api: ApiClient) -> int:
    return int(api.get("expenses/expensables").json()["meta"]["total"])


def test_nul_in_a_query_parameter_is_400_on_every_backend(api: ApiClient) -> None:
    # Regression: the fuzz run found a 500 on PostgreSQL ("text fields cannot contain NUL").
    r = api.http.get(api.url("webhooks/deliveries") + "?type[]=%00", headers=api.headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "control_character"
    assert "type[]" in r.json()["message"]


def test_control_characters_in_query_path_and_headers_are_400(api: ApiClient) -> None:
    cases = [
        api.url("expenses/expensables") + "?status[]=appro%01ved",
        api.url("expenses/expensables") + "?sta%00tus=1",
        api.url("expenses/expensables") + "?search=a%0Ab",
        api.url("expenses/expensables") + "?search=%7F",
        api.url("expenses/expensables") + "?search=%C2%85",  # U+0085 (NEL), a C1 control
        api.url("expenses/expensables/1%00"),
        api.url("expenses/expensables/%1F2"),
    ]
    for url in cases:
        r = api.http.get(url, headers=api.headers)
        assert r.status_code == 400, (url, r.text)
        assert r.json()["code"] == "control_character", url
    r = api.http.get(api.url("expenses/expensables"), headers={**api.headers, "x-trace": "a\x01b"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "control_character"
    # A tab is legal whitespace in a header value; non-ASCII text in a query is not a control character.
    ok = api.http.get(
        api.url("expenses/expensables") + "?search=Caf%C3%A9", headers={**api.headers, "x-t": "a\tb"}
    )
    assert ok.status_code == 200, ok.text


def test_a_write_with_a_control_character_outside_the_body_changes_nothing(api: ApiClient, tenant) -> None:
    before = _count_expensables(api)
    r = api.http.post(
        api.url("expenses/expenses") + "?x=%00",
        json={
            "employee_id": str(tenant.employee_ids[0]),
            "amount": 100,
            "currency": "EUR",
            "effective_on": "2026-11-20",
        },
        headers=api.headers,
    )
    assert r.status_code == 400, r.text
    assert _count_expensables(api) == before


def test_openapi_declares_how_to_authenticate(http) -> None:
    spec = http.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "An API key, sent as is (no prefix)",
    }
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    secured = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/"):
                # Either scheme authenticates (security requirements are alternatives).
                assert sorted(op.get("security", []), key=str) == [{"ApiKey": []}, {"Bearer": []}], (
                    method,
                    path,
                )
                assert "401" in op["responses"], (method, path)
                secured += 1
            else:
                assert "security" not in op, (method, path)
            assert "400" in op["responses"], (method, path)
    assert secured > 50


def test_the_security_scheme_is_what_the_server_accepts(http, tenant) -> None:
    url = "/api/2026-10-01/resources/employees/employees"
    assert http.get(url, headers={"x-api-key": tenant.api_key}).status_code == 200
    assert http.get(url, headers={"Authorization": f"bearer {tenant.api_key}"}).status_code == 200
    assert http.get(url, headers={"Authorization": f"Basic {tenant.api_key}"}).status_code == 401
    assert http.get(url, headers={"Authorization": tenant.api_key}).status_code == 401

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

"""The API core: auth, versions, error bodies, companies and employees endpoints."""

from __future__ import annotations

from tests.factories import ApiClient, Tenant


def test_healthz(http) -> None:
    r = http.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_missing_credentials_is_401_json(http) -> None:
    r = http.get("/api/2026-10-01/resources/employees/employees")
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "unauthenticated"
    assert body["errors"][0]["code"] == "unauthenticated"


def test_wrong_key_is_401(http) -> None:
    r = http.get("/api/2026-10-01/resources/employees/employees", headers={"x-api-key": "ehk_nope"})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"


def test_bearer_accepted_for_same_key(http, tenant: Tenant) -> None:
    r = http.get(
        "/api/2026-10-01/resources/employees/employees",
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert r.status_code == 200
    assert r.json()["meta"]["total"] == 3


def test_revoked_key_is_401(http, tenant: Tenant, session_factory) -> None:
    from expensehub.auth import service
    from expensehub.db.engine import transaction

    with transaction(session_factory) as s:
        service.revoke_api_key(s, company_id=tenant.company_id, key_id=tenant.api_key_id)
    r = http.get("/api/2026-10-01/resources/employees/employees", headers={"x-api-key": tenant.api_key})
    assert r.status_code == 401


def test_key_of_a_company_that_no_longer_exists_is_401(http, session_factory) -> None:
    """A key whose company row is gone (deleted behind the foreign key's back) authenticates nobody."""
    from sqlalchemy import text

    from expensehub.auth import service
    from expensehub.companies import service as companies
    from expensehub.db.engine import transaction

    with transaction(session_factory) as s:
        company = companies.create_company(s, name="Gone Co", legal_name="Gone Co Legal")
        _, plaintext = service.create_api_key(s, company_id=company.id, name="orphan")
        company_id = company.id
    url = "/api/2026-10-01/resources/employees/employees"
    assert http.get(url, headers={"x-api-key": plaintext}).status_code == 200

    engine = session_factory.kw["bind"]
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        conn.execute(text("DELETE FROM companies WHERE id = :id"), {"id": company_id})
        conn.commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        else:
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
        assert conn.execute(
            text("SELECT count(*) FROM api_keys WHERE company_id = :id"), {"id": company_id}
        ).scalar()

    r = http.get(url, headers={"x-api-key": plaintext})
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "invalid_credentials"


def test_only_hash_is_stored(tenant: Tenant, session_factory) -> None:
    from sqlalchemy import select

    from expensehub.models import ApiKey

    with session_factory() as s:
        key = s.scalars(select(ApiKey).where(ApiKey.id == tenant.api_key_id)).one()
        assert tenant.api_key not in (key.key_hash, key.prefix)
        assert len(key.key_hash) == 64


def test_unknown_version_names_supported(api: ApiClient, http, tenant: Tenant) -> None:
    r = http.get("/api/2025-01-01/resources/employees/employees", headers=api.headers)
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "unknown_api_version"
    assert "2026-10-01" in body["message"]
    assert "2026-04-01" in body["message"]


def test_ids_are_strings_in_the_current_version(api: ApiClient, tenant) -> None:
    # 2026-04-01 answers the same numbers as JSON integers: test_openapi_conformance.py, across versions.
    new = api.get("companies/legal_entities").json()["data"][0]
    assert new["id"] == str(tenant.le_es)
    assert new["company_id"] == str(tenant.company_id)
    assert new["currency"] == "EUR"


def test_credentials_describe_owner(api: ApiClient, tenant: Tenant) -> None:
    body = api.get("api_public/credentials").json()
    assert body["meta"]["total"] == 1
    cred = body["data"][0]
    assert cred["company_id"] == str(tenant.company_id)
    assert cred["id"] == f"api_key-{tenant.api_key_id}"
    assert cred["name"] == "Acme Test SL"


def test_employee_shape_and_filters(api: ApiClient, tenant: Tenant) -> None:
    emp = api.get(f"employees/employees/{tenant.employee_ids[1]}").json()
    assert emp["full_name"] == "Luis Pérez"
    assert emp["manager_id"] == str(tenant.employee_ids[0])
    by_access = api.get("employees/employees", params={"access_ids[]": [emp["access_id"]]}).json()["data"]
    assert [e["id"] for e in by_access] == [emp["id"]]
    assert emp["created_at"].endswith("Z")
    assert len(emp["created_at"]) == 24
    r = api.get("employees/employees", params={"legal_entity_ids[]": [tenant.le_gb]})
    assert [e["first_name"] for e in r.json()["data"]] == ["Emma"]
    r = api.get("employees/employees", params={"only_managers": "true"})
    assert [e["first_name"] for e in r.json()["data"]] == ["Ana"]
    r = api.get("employees/employees", params={"full_text_name": "pérez"})
    assert [e["last_name"] for e in r.json()["data"]] in (["Pérez"], [])  # ILIKE on non-ASCII varies
    r = api.get("employees/employees", params={"name_starts_with": "Em"})
    assert [e["first_name"] for e in r.json()["data"]] == ["Emma"]


def test_other_company_is_404(api: ApiClient, other_api: ApiClient, tenant: Tenant) -> None:
    assert other_api.get(f"employees/employees/{tenant.employee_ids[0]}").status_code == 404
    assert other_api.get(f"companies/legal_entities/{tenant.le_es}").status_code == 404
    listed = other_api.get("employees/employees", params={"ids[]": tenant.employee_ids}).json()
    assert listed["data"] == []
    assert listed["meta"]["total"] == 0


def test_non_numeric_and_huge_path_ids_are_404(api: ApiClient) -> None:
    assert api.get("employees/employees/abc").status_code == 404
    assert api.get("employees/employees/99999999999999999999999").status_code == 404
    assert api.get("employees/employees/-1").status_code == 404


def test_unknown_route_is_json_404(api: ApiClient) -> None:
    r = api.get("nope/nothing")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_bad_filter_type_is_422_with_field(api: ApiClient) -> None:
    r = api.get("employees/employees", params={"ids[]": ["x"]})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error"
    assert any(k.startswith("ids[]") for k in body["errors"])


def test_bad_pagination_params(api: ApiClient) -> None:
    for params, field in (
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"after_id": "!!"}, "after_id"),
        ({"page": "0"}, "page"),
    ):
        r = api.get("employees/employees", params=params)
        assert r.status_code == 422, params
        assert field in r.json()["errors"]


def test_limit_above_100_is_clamped(api: ApiClient) -> None:
    assert api.get("employees/employees", params={"limit": 1000}).json()["meta"]["limit"] == 100


def test_employees_updated_at_gteq_is_a_date(api: ApiClient) -> None:
    assert (
        api.get("employees/employees", params={"updated_at_gteq": "2000-01-01"}).json()["meta"]["total"] == 3
    )
    assert (
        api.get("employees/employees", params={"updated_at_gteq": "2999-01-01"}).json()["meta"]["total"] == 0
    )

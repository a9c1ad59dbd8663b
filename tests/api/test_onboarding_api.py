"""Onboarding through the API: legal entities, employees (create, update, terminate) and project actions.

The shapes are Factorial's (the official SDK's request models are exercised in tests/compat); these
tests pin the rules: validation codes, uniqueness, managers, state conflicts, soft delete, webhooks.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_webhooks_domain_events import _cleanup, events_of, subscribe
from tests.factories import ApiClient, Tenant

__all__ = ["_cleanup"]  # the fixture removes the subscriptions these tests make

LE = "companies/legal_entities"
EMP = "employees/employees"
PRJ = "project_management/projects"
IBAN = "ES9121000418450200051332"  # a valid IBAN (checksum 91)


def hire(api: ApiClient, tenant: Tenant, email: str, **fields: Any) -> dict[str, Any]:
    body = {"company_id": str(tenant.company_id), "first_name": "Nora", "last_name": "Vidal", "email": email}
    r = api.post(f"{EMP}/create_with_contract", json={**body, **fields})
    assert r.status_code == 200, r.text
    return dict(r.json())


def code_of(r: Any) -> str:
    return str(r.json()["code"])


# --- legal entities -----------------------------------------------------------------------------


def test_a_legal_entity_is_created_in_factorial_shape_and_announced(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "companies/legal_entity/create")
    body = {
        "company_id": str(tenant.company_id),
        "country": "PT",
        "legal_name": " Acme Lda ",
        "currency": "EUR",
    }
    r = api.post(LE, json={**body, "tin": "PT501234567", "city": "Porto"})
    assert r.status_code == 201, r.text
    entity = r.json()
    assert (entity["country"], entity["legal_name"], entity["currency"]) == ("pt", "Acme Lda", "EUR")
    assert (entity["tin"], entity["city"], entity["company_id"]) == (
        "PT501234567",
        "Porto",
        str(tenant.company_id),
    )
    assert api.get(f"{LE}/{entity['id']}").json() == entity
    [event] = events_of(api, "companies/legal_entity/create")
    assert event["payload"] == entity
    assert (event["author_type"], event["author_id"]) == ("company", str(tenant.company_id))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "zz"}, "country"),
        ({"currency": "EUX"}, "currency"),
        ({"legal_name": "   "}, "legal_name"),
    ],
)
def test_a_legal_entity_with_a_bad_value_is_refused_and_nothing_is_created(
    api: ApiClient, tenant: Tenant, change: dict[str, str], field: str
) -> None:
    before = len(api.list_all(LE))
    body = {
        "company_id": str(tenant.company_id),
        "country": "pt",
        "legal_name": "X",
        "currency": "EUR",
        **change,
    }
    r = api.post(LE, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert len(api.list_all(LE)) == before


def test_a_legal_entity_of_another_company_cannot_be_created(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    body = {"company_id": str(other_tenant.company_id), "country": "pt", "legal_name": "X", "currency": "EUR"}
    assert api.post(LE, json=body).status_code == 404


def test_updating_a_legal_entity_changes_what_is_sent_and_keeps_its_currency_once_in_use(
    api: ApiClient, tenant: Tenant
) -> None:
    r = api.put(f"{LE}/{tenant.le_es}", json={"legal_name": "Acme España S.L.", "city": None})
    assert r.status_code == 200, r.text
    assert (r.json()["legal_name"], r.json()["city"], r.json()["currency"]) == (
        "Acme España S.L.",
        None,
        "EUR",
    )
    # The entity employs people: its currency cannot move under their amounts.
    r = api.put(f"{LE}/{tenant.le_es}", json={"currency": "USD"})
    assert (r.status_code, code_of(r)) == (409, "legal_entity_in_use")
    assert api.get(f"{LE}/{tenant.le_es}").json()["currency"] == "EUR"
    # A new, unused entity may still be corrected.
    body = {"company_id": str(tenant.company_id), "country": "pt", "legal_name": "New", "currency": "EUR"}
    fresh = api.post(LE, json=body).json()
    r = api.put(f"{LE}/{fresh['id']}", json={"currency": "USD", "country": "US"})
    assert r.status_code == 200, r.text
    assert (r.json()["currency"], r.json()["country"]) == ("USD", "us")
    r = api.put(f"{LE}/{fresh['id']}", json={"legal_name": None})
    assert r.status_code == 422


def test_another_companys_legal_entity_cannot_be_updated(api: ApiClient, other_tenant: Tenant) -> None:
    r = api.put(f"{LE}/{other_tenant.le_es}", json={"legal_name": "Mine now"})
    assert r.status_code == 404


# --- employees ----------------------------------------------------------------------------------


def test_create_with_contract_stores_what_expenses_need(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "employees/employee/create_with_contract")
    manager = tenant.employee_ids[0]
    employee = hire(
        api,
        tenant,
        " Nora.Vidal@Example.TEST ",
        legal_entity_id=str(tenant.le_es),
        manager_id=str(manager),
        company_identifier="E-100",
        bank_number="es91 2100 0418 4502 0005 1332",
        swift_bic="caix es bb xxx",
        birthday_on="1990-04-01",
        gender="female",
        social_security_number="281234567840",
    )
    assert employee["email"] == "nora.vidal@example.test"
    assert (employee["bank_number"], employee["bank_number_format"]) == (IBAN, "iban")
    assert employee["swift_bic"] == "CAIXESBBXXX"
    assert (employee["manager_id"], employee["timeoff_manager_id"]) == (str(manager), str(manager))
    assert (employee["company_identifier"], employee["birthday_on"], employee["active"]) == (
        "E-100",
        "1990-04-01",
        True,
    )
    assert "social_security_number" not in employee
    assert api.get(f"{EMP}/{employee['id']}").json() == employee
    [event] = events_of(api, "employees/employee/create_with_contract")
    assert event["payload"] == employee
    # A non-IBAN account number is kept as given, as `other`.
    other = hire(api, tenant, "kim@example.test", bank_number="12345678")
    assert (other["bank_number"], other["bank_number_format"]) == ("12345678", "other")


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"email": "LUIS@example.test"}, 409, "duplicate_email"),
        ({"email": "new@example.test", "company_identifier": "DUP"}, 409, "duplicate_identifier"),
        ({"email": "not-an-email"}, 422, "validation_error"),
        ({"email": "x@example.test", "swift_bic": "1234ESBB"}, 422, "invalid_bic"),
        ({"email": "y@example.test", "manager_id": "987654321"}, 404, "not_found"),
        ({"email": "z@example.test", "legal_entity_id": "987654321"}, 404, "not_found"),
    ],
)
def test_a_refused_employee_is_not_created(
    api: ApiClient, tenant: Tenant, fields: dict[str, str], status: int, code: str
) -> None:
    hire(api, tenant, "first@example.test", company_identifier="DUP")
    before = len(api.list_all(EMP))
    body = {"company_id": str(tenant.company_id), "first_name": "A", "last_name": "B", **fields}
    r = api.post(f"{EMP}/create_with_contract", json=body)
    assert (r.status_code, code_of(r)) == (status, code), r.text
    assert len(api.list_all(EMP)) == before


def test_an_iban_with_a_wrong_checksum_is_refused_when_its_format_says_iban(
    api: ApiClient, tenant: Tenant
) -> None:
    employee = hire(api, tenant, "ib@example.test")
    r = api.put(
        f"{EMP}/{employee['id']}",
        json={"bank_number": "ES9121000418450200051333", "bank_number_format": "iban"},
    )
    assert (r.status_code, code_of(r)) == (422, "invalid_iban")
    assert api.get(f"{EMP}/{employee['id']}").json()["bank_number"] is None


def test_put_changes_only_the_fields_sent(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "employees/employee/update")
    employee = hire(api, tenant, "put@example.test", phone_number="+34 600 000 000", company_identifier="P-1")
    r = api.put(
        f"{EMP}/{employee['id']}",
        json={
            "id": employee["id"],
            "preferred_name": "Noni",
            "communications_email": "Noni@Example.test",
            "bank_number": IBAN,
            "phone_number": None,
        },
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["preferred_name"], got["email"], got["login_email"]) == (
        "Noni",
        "noni@example.test",
        "noni@example.test",
    )
    assert (got["bank_number"], got["bank_number_format"], got["phone_number"]) == (IBAN, "iban", None)
    assert (got["first_name"], got["company_identifier"]) == ("Nora", "P-1")
    assert got["updated_at"] >= employee["updated_at"]
    assert len(events_of(api, "employees/employee/update")) == 1
    # Clearing the account clears its format.
    cleared = api.put(f"{EMP}/{employee['id']}", json={"bank_number": None}).json()
    assert (cleared["bank_number"], cleared["bank_number_format"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "code"),
    [({"first_name": None}, "validation_error"), ({"id": "1"}, "validation_error")],
)
def test_put_refuses_nulls_in_names_and_another_id(
    api: ApiClient, tenant: Tenant, body: dict[str, Any], code: str
) -> None:
    employee = hire(api, tenant, "n@example.test")
    r = api.put(f"{EMP}/{employee['id']}", json=body)
    assert (r.status_code, code_of(r)) == (422, code)


def test_no_one_becomes_their_own_manager(api: ApiClient, tenant: Tenant) -> None:
    boss, luis = (str(i) for i in tenant.employee_ids[:2])  # Luis reports to the boss
    r = api.put(f"{EMP}/{boss}", json={"manager_id": luis})
    assert (r.status_code, code_of(r)) == (422, "manager_cycle")
    r = api.put(f"{EMP}/{luis}", json={"manager_id": luis})
    assert (r.status_code, code_of(r)) == (422, "manager_cycle")
    assert api.get(f"{EMP}/{boss}").json()["manager_id"] is None


def test_another_companys_employee_is_neither_updated_nor_a_manager(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = str(other_tenant.employee_ids[0])
    assert api.put(f"{EMP}/{theirs}", json={"first_name": "X"}).status_code == 404
    mine = str(tenant.employee_ids[1])
    assert api.put(f"{EMP}/{mine}", json={"manager_id": theirs}).status_code == 404
    assert api.post(f"{EMP}/terminate", json={"id": theirs, "terminated_on": "2026-01-01"}).status_code == 404


def test_terminate_and_unterminate(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "employees/employee/terminate")
    subscribe(api, tenant, "employees/employee/unterminate")
    boss, luis, emma = (str(i) for i in tenant.employee_ids)
    # The boss leaves; Luis takes over the boss's reports, and himself reports to the boss's manager (none).
    r = api.post(
        f"{EMP}/terminate",
        json={
            "id": boss,
            "terminated_on": "2026-01-31",
            "termination_reason": "moved on",
            "termination_assigned_manager_id": luis,
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["terminated_on"], r.json()["active"]) == ("2026-01-31", False)
    assert api.get(f"{EMP}/{emma}").json()["manager_id"] == luis
    assert api.get(f"{EMP}/{luis}").json()["manager_id"] is None
    assert [e["id"] for e in api.list_all(EMP, {"only_managers": "true"})] == [boss, luis]
    again = api.post(f"{EMP}/terminate", json={"id": boss, "terminated_on": "2026-02-28"})
    assert (again.status_code, code_of(again)) == (409, "already_terminated")
    assert again.json()["details"]["status"] == "terminated"
    assert boss not in {e["id"] for e in api.list_all(EMP, {"only_active": "true"})}

    r = api.post(f"{EMP}/unterminate", json={"id": boss})
    assert r.status_code == 200, r.text
    assert (r.json()["terminated_on"], r.json()["active"]) == (None, True)
    r = api.post(f"{EMP}/unterminate", json={"id": boss})
    assert (r.status_code, code_of(r)) == (409, "not_terminated")
    assert len(events_of(api, "employees/employee/terminate")) == 1
    assert len(events_of(api, "employees/employee/unterminate")) == 1


def test_a_future_termination_keeps_the_employee_active_until_then(api: ApiClient, tenant: Tenant) -> None:
    employee = hire(api, tenant, "later@example.test")
    r = api.post(f"{EMP}/terminate", json={"id": employee["id"], "terminated_on": "2999-12-31"})
    assert (r.json()["active"], r.json()["is_terminating"]) == (True, True)


def test_reports_cannot_move_to_a_terminated_employee_or_to_the_leaver(
    api: ApiClient, tenant: Tenant
) -> None:
    boss, luis, _emma = (str(i) for i in tenant.employee_ids)
    gone = hire(api, tenant, "gone@example.test")
    api.post(f"{EMP}/terminate", json={"id": gone["id"], "terminated_on": "2026-01-01"})
    for successor, code in ((gone["id"], "manager_terminated"), (boss, "manager_cycle")):
        body = {"id": boss, "terminated_on": "2026-01-31", "termination_assigned_manager_id": successor}
        r = api.post(f"{EMP}/terminate", json=body)
        assert (r.status_code, code_of(r)) == (422, code)
    assert api.get(f"{EMP}/{boss}").json()["terminated_on"] is None
    assert api.get(f"{EMP}/{luis}").json()["manager_id"] == boss


# --- projects -----------------------------------------------------------------------------------


def project(api: ApiClient, **fields: Any) -> dict[str, Any]:
    r = api.post(PRJ, json={"name": "Apollo", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_project_update_changes_what_is_sent_and_keeps_codes_unique(api: ApiClient, tenant: Tenant) -> None:
    project(api, code="TAKEN")
    mine = project(api, code="MINE", description="first")
    r = api.put(f"{PRJ}/{mine['id']}", json={"id": mine["id"], "name": "Apollo 2", "due_date": "2026-12-31"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["due_date"], r.json()["description"]) == (
        "Apollo 2",
        "2026-12-31",
        "first",
    )
    r = api.put(f"{PRJ}/{mine['id']}", json={"name": "Apollo 2", "code": "TAKEN"})
    assert (r.status_code, code_of(r)) == (409, "duplicate_code")
    r = api.put(f"{PRJ}/{mine['id']}", json={"name": "Apollo 2", "start_date": "2027-01-01"})
    assert r.status_code == 422
    assert "due_date" in r.json()["errors"]
    assert api.get(f"{PRJ}/{mine['id']}").json()["code"] == "MINE"


def test_project_status_actions(api: ApiClient) -> None:
    p = project(api)["id"]
    assert api.post(f"{PRJ}/close", json={"id": p}).json()["status"] == "closed"
    r = api.post(f"{PRJ}/close", json={"id": p})
    assert (r.status_code, code_of(r), r.json()["details"]["status"]) == (409, "status_unchanged", "closed")
    assert api.post(f"{PRJ}/activate", json={"id": p}).json()["status"] == "active"
    assert api.post(f"{PRJ}/change_status", json={"id": p, "status": "draft"}).json()["status"] == "draft"
    r = api.post(f"{PRJ}/change_status", json={"id": p, "status": "processing"})
    assert r.status_code == 422
    r = api.post(f"{PRJ}/change_assignment", json={"id": p, "employees_assignment": "company"})
    assert r.json()["employees_assignment"] == "company"
    r = api.post(f"{PRJ}/change_assignment", json={"id": p, "employees_assignment": "company"})
    assert (r.status_code, code_of(r)) == (409, "assignment_unchanged")


def test_a_soft_deleted_project_is_gone_its_code_free_and_its_expenses_kept(
    api: ApiClient, tenant: Tenant
) -> None:
    doomed = project(api, code="GONE")
    expense = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 1200,
        "currency": "EUR",
        "effective_on": "2026-03-01",
        "project_id": doomed["id"],
    }
    booked = api.post("expenses/expenses", json=expense)
    assert booked.status_code == 201, booked.text
    r = api.post(f"{PRJ}/soft_delete", json={"id": doomed["id"]})
    assert (r.status_code, r.json()["id"]) == (200, doomed["id"])
    assert api.get(f"{PRJ}/{doomed['id']}").status_code == 404
    assert doomed["id"] not in {p["id"] for p in api.list_all(PRJ)}
    assert api.post(f"{PRJ}/soft_delete", json={"id": doomed["id"]}).status_code == 404
    assert api.get(f"expenses/expenses/{booked.json()['id']}").json()["project_id"] == doomed["id"]
    assert api.post("expenses/expenses", json=expense).status_code == 404
    assert project(api, code="GONE")["code"] == "GONE"


def test_another_companys_project_is_not_changed(api: ApiClient, other_api: ApiClient) -> None:
    theirs = project(other_api)["id"]
    assert api.put(f"{PRJ}/{theirs}", json={"name": "Mine"}).status_code == 404
    for action in ("close", "soft_delete"):
        assert api.post(f"{PRJ}/{action}", json={"id": theirs}).status_code == 404
    assert other_api.get(f"{PRJ}/{theirs}").json()["name"] == "Apollo"

"""banking/bank_accounts (Factorial) and banking/cards (extension): shapes, filters, writes, tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ApiClient, Tenant

IBAN = "ES9121000418450200051332"
GB_IBAN = "GB29NWBK60161331926819"


def new_account(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    """A bank account through ``create_manual`` (shared by the banking tests)."""
    body = {
        "legal_entity_id": str(tenant.le_es),
        "currency": "EUR",
        "account_number": IBAN,
        "account_number_type": "iban",
        **overrides,
    }
    r = api.post("banking/bank_accounts/create_manual", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_create_manual_returns_200_with_the_factorial_shape(api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant, account_number="ES91 2100 0418 4502 0005 1332", account_alias="Main")
    assert set(account) == {
        "id", "external_id", "currency", "country", "account_number", "account_number_type",
        "account_balance_cents", "available_balance_cents", "pending_balance_cents", "updated_at",
        "sort_code", "bic", "iban", "routing_number", "beneficiary_name", "bank_name", "account_alias",
        "legal_entity_id",
    }  # fmt: skip
    assert account["iban"] == account["account_number"] == IBAN
    assert account["external_id"] == IBAN
    assert (account["country"], account["currency"], account["account_alias"]) == ("es", "EUR", "Main")
    assert account["legal_entity_id"] == str(tenant.le_es)
    assert account["account_balance_cents"] == account["pending_balance_cents"] == 0
    assert account["updated_at"].endswith("Z")
    assert api.get(f"banking/bank_accounts/{account['id']}").json() == account


def test_other_number_types_and_country_from_the_iban(api: ApiClient, tenant: Tenant) -> None:
    uk = new_account(api, tenant, legal_entity_id=str(tenant.le_es), account_number=GB_IBAN, currency="GBP")
    assert uk["country"] == "gb"
    other = new_account(
        api, tenant, legal_entity_id=str(tenant.le_gb), account_number="12345678",
        account_number_type="other", currency="USD", external_id="usd-1", bic="natwgb2l", bank_name="NatWest",
    )  # fmt: skip
    assert (other["country"], other["iban"], other["external_id"]) == ("gb", None, "usd-1")
    assert (other["bic"], other["bank_name"]) == ("NATWGB2L", "NatWest")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"account_number_type": "swift"}, "account_number_type"),
        ({"account_number": ""}, "account_number"),
        ({"account_number": "ES0000000000000000000000"}, "account_number"),
        ({"legal_entity_id": "abc"}, "legal_entity_id"),
        ({"legal_entity_id": True}, "legal_entity_id"),
        ({"bank_account_membership_employee_ids": "1"}, "bank_account_membership_employee_ids"),
    ],
)
def test_create_manual_bad_input_is_422(
    api: ApiClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    body = {"legal_entity_id": str(tenant.le_es), "currency": "EUR", "account_number": IBAN,
            "account_number_type": "iban", **change}  # fmt: skip
    r = api.post("banking/bank_accounts/create_manual", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert api.get("banking/bank_accounts").json()["meta"]["total"] == 0


def test_create_manual_missing_fields_malformed_json_and_duplicates(api: ApiClient, tenant: Tenant) -> None:
    r = api.post("banking/bank_accounts/create_manual", json={"currency": "EUR"})
    assert r.status_code == 422
    assert {"legal_entity_id", "account_number", "account_number_type"} <= set(r.json()["errors"])
    r = api.post(
        "banking/bank_accounts/create_manual", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"
    new_account(api, tenant)
    r = api.post(
        "banking/bank_accounts/create_manual",
        json={"legal_entity_id": str(tenant.le_es), "currency": "EUR", "account_number": IBAN,
              "account_number_type": "iban"},
    )  # fmt: skip
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_bank_account"
    assert api.get("banking/bank_accounts").json()["meta"]["total"] == 1


def test_references_of_another_company_are_404_and_create_nothing(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    base = {"legal_entity_id": str(tenant.le_es), "currency": "EUR", "account_number": IBAN,
            "account_number_type": "iban"}  # fmt: skip
    for change in (
        {"legal_entity_id": str(other_tenant.le_es)},
        {"bank_account_membership_employee_ids": [str(other_tenant.employee_ids[0])]},
        {"ledger_account_id": "987654321"},
    ):
        r = api.post("banking/bank_accounts/create_manual", json={**base, **change})
        assert r.status_code == 404, (change, r.text)
    assert api.get("banking/bank_accounts").json()["meta"]["total"] == 0
    ok = new_account(api, tenant, bank_account_membership_employee_ids=[str(e) for e in tenant.employee_ids])
    assert other_api.get(f"banking/bank_accounts/{ok['id']}").status_code == 404
    assert other_api.get("banking/bank_accounts", params={"ids[]": [ok["id"]]}).json()["data"] == []


def test_bank_account_filters(api: ApiClient, tenant: Tenant) -> None:
    es = new_account(api, tenant)
    gb = new_account(api, tenant, legal_entity_id=str(tenant.le_gb), account_number=GB_IBAN, currency="GBP")

    def ids(params: dict[str, Any]) -> list[str]:
        return [a["id"] for a in api.list_all("banking/bank_accounts", params)]

    assert ids({}) == [es["id"], gb["id"]]
    assert ids({"ids[]": [gb["id"]]}) == [gb["id"]]
    assert ids({"currency": "GBP"}) == [gb["id"]]
    assert ids({"currency": "gbp"}) == [gb["id"]]
    assert ids({"legal_entity_ids[]": [str(tenant.le_es)]}) == [es["id"]]
    assert ids({"updated_from": "2000-01-01"}) == [es["id"], gb["id"]]
    assert ids({"updated_from": "2999-01-01"}) == []
    assert api.get("banking/bank_accounts", params={"updated_from": "yesterday"}).status_code == 422
    assert api.get("banking/bank_accounts", params={"ids[]": ["x"]}).status_code == 422


# --- banking/cards (extension) -----------------------------------------------------------------------


def test_cards_create_get_update_and_filters(api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    r = api.post("banking/cards", json={"bank_account_id": account["id"], "last4": "1234"})
    assert r.status_code == 201, r.text
    card = r.json()
    assert (card["card_type"], card["last4"], card["employee_id"]) == ("company", "1234", None)
    assert api.get(f"banking/cards/{card['id']}").json() == card
    virtual = api.post(
        "banking/cards",
        json={"bank_account_id": account["id"], "last4": "5678", "card_type": "virtual",
              "employee_id": str(tenant.employee_ids[1])},
    ).json()  # fmt: skip
    r = api.put(
        f"banking/cards/{card['id']}", json={"id": card["id"], "employee_id": str(tenant.employee_ids[2])}
    )
    assert r.status_code == 200
    assert r.json()["employee_id"] == str(tenant.employee_ids[2])
    assert r.json()["card_type"] == "company"
    r = api.put(f"banking/cards/{card['id']}", json={"employee_id": None, "card_type": "physical"})
    assert (r.json()["employee_id"], r.json()["card_type"]) == (None, "physical")

    def ids(params: dict[str, Any]) -> list[str]:
        return [c["id"] for c in api.list_all("banking/cards", params)]

    assert ids({}) == [card["id"], virtual["id"]]
    assert ids({"ids[]": [virtual["id"]]}) == [virtual["id"]]
    assert ids({"bank_account_ids[]": [account["id"]]}) == [card["id"], virtual["id"]]
    assert ids({"employee_ids[]": [str(tenant.employee_ids[1])]}) == [virtual["id"]]
    assert ids({"last4": "5678"}) == [virtual["id"]]
    assert api.get("banking/cards", params={"last4": "56"}).status_code == 422


def test_card_bad_input(api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    account = new_account(api, tenant)
    for body, status in (
        ({"bank_account_id": account["id"], "last4": "12a4"}, 422),
        ({"bank_account_id": account["id"], "last4": "1234", "card_type": ""}, 422),
        ({"bank_account_id": account["id"]}, 422),
        ({"bank_account_id": "987654321", "last4": "1234"}, 404),
        (
            {
                "bank_account_id": account["id"],
                "last4": "1234",
                "employee_id": str(other_tenant.employee_ids[0]),
            },
            404,
        ),
    ):
        r = api.post("banking/cards", json=body)
        assert r.status_code == status, (body, r.text)
    assert api.get("banking/cards").json()["meta"]["total"] == 0
    card = api.post("banking/cards", json={"bank_account_id": account["id"], "last4": "1234"}).json()
    again = api.post("banking/cards", json={"bank_account_id": account["id"], "last4": "1234"})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_card"
    # Another company can neither read nor change the card, nor add one to the account.
    assert other_api.get(f"banking/cards/{card['id']}").status_code == 404
    assert other_api.put(f"banking/cards/{card['id']}", json={"card_type": "x"}).status_code == 404
    assert (
        other_api.post("banking/cards", json={"bank_account_id": account["id"], "last4": "9999"}).status_code
        == 404
    )
    r = api.put(f"banking/cards/{card['id']}", json={"id": "1", "card_type": "x"})
    assert r.status_code == 422
    r = api.put(f"banking/cards/{card['id']}", json={"card_type": None})
    assert r.status_code == 422
    r = api.put(f"banking/cards/{card['id']}", json={"employee_id": str(other_tenant.employee_ids[0])})
    assert r.status_code == 404
    assert api.get(f"banking/cards/{card['id']}").json() == card

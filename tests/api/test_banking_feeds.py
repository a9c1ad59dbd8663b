"""Feed imports through the API (extension); the read-only banking/card_payments and banking/transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_banking_accounts import GB_IBAN, new_account
from tests.factories import ApiClient, Tenant

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"

PAYMENT_KEYS = {
    "id", "card_id", "amount_cents", "currency", "merchant_name", "merchant_amount_cents",
    "merchant_currency", "approved", "external_created_at", "status", "type", "exchange_rate", "created_at",
    "rejected_reason",
}  # fmt: skip
TRANSACTION_KEYS = {
    "id", "bank_account_id", "amount_cents", "currency", "type", "booking_date", "value_date",
    "card_payment_id", "updated_at", "balance_after_cents", "description",
}  # fmt: skip


def upload(api: ApiClient, account_id: str, name: str, content: bytes | None = None, **form: str) -> Any:
    data = content if content is not None else (FEEDS / name).read_bytes()
    return api.http.post(
        api.url("banking/feed_imports"),
        headers=api.headers,
        files={"file": (name, data)},
        data={"bank_account_id": account_id, **form},
    )


def imported(api: ApiClient, account_id: str, name: str, **form: str) -> dict[str, Any]:
    r = upload(api, account_id, name, **form)
    assert r.status_code == 201, r.text
    return dict(r.json())


def counts(api: ApiClient) -> tuple[int, int, int]:
    return (
        api.get("banking/card_payments").json()["meta"]["total"],
        api.get("banking/transactions").json()["meta"]["total"],
        api.get("banking/feed_imports").json()["meta"]["total"],
    )


@pytest.fixture
def account(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    return new_account(api, tenant)


def test_camt053_import_creates_card_payments_and_linked_transactions(
    api: ApiClient, account: dict[str, Any]
) -> None:
    result = imported(api, account["id"], "camt053_statement.xml")
    assert result["format"] == "camt053"
    assert (result["entries"], result["new_card_payments"], result["new_transactions"]) == (6, 3, 4)
    assert (result["duplicates"], result["rejected"], result["updated"]) == (0, 1, 0)
    assert result["rejections"] == [{"line": 123, "reason": "entry not booked (status INFO)"}]
    assert len(result["sha256"]) == 64
    payments = api.list_all("banking/card_payments")
    assert [p["amount_cents"] for p in payments] == [-4290, -9348, -1820]
    assert all(set(p) == PAYMENT_KEYS for p in payments)
    amazon, hilton, uber = payments
    assert (amazon["type"], amazon["status"], amazon["approved"], amazon["exchange_rate"]) == (
        "payment",
        "closed",
        True,
        1.0,
    )
    assert (hilton["merchant_amount_cents"], hilton["merchant_currency"], hilton["exchange_rate"]) == (
        -10000,
        "USD",
        0.9348,
    )
    assert hilton["external_created_at"] == "2026-03-03T00:00:00.000Z"
    assert uber["status"] == "pending"
    cards = api.list_all("banking/cards")
    assert {c["last4"] for c in cards} == {"1234", "5678"}
    assert amazon["card_id"] == next(c["id"] for c in cards if c["last4"] == "1234")
    transactions = api.list_all("banking/transactions")
    assert all(set(t) == TRANSACTION_KEYS for t in transactions)
    by_amount = {t["amount_cents"]: t for t in transactions}
    assert by_amount[-4290]["card_payment_id"] == amazon["id"]
    assert by_amount[-4290]["type"] == "card_payment"
    assert by_amount[100000]["card_payment_id"] is None
    assert by_amount[-450]["type"] == "fees"
    assert -1820 not in by_amount  # pending: not booked yet
    acct = api.get(f"banking/bank_accounts/{account['id']}").json()
    assert (acct["account_balance_cents"], acct["available_balance_cents"]) == (1330845, 1325000)
    assert acct["pending_balance_cents"] == -1820


def test_reimport_and_overlapping_statement_create_nothing_twice(
    api: ApiClient, account: dict[str, Any]
) -> None:
    imported(api, account["id"], "camt053_statement.xml")
    before = counts(api)
    again = imported(api, account["id"], "camt053_statement.xml")
    assert (again["new_card_payments"], again["new_transactions"], again["duplicates"]) == (0, 0, 5)
    assert counts(api)[:2] == before[:2]
    overlap = imported(api, account["id"], "camt053_overlap_v02.xml")
    # fee: duplicate; Uber: known (pending -> closed, now booked); refund and parking: new.
    assert (overlap["duplicates"], overlap["updated"], overlap["new_card_payments"]) == (2, 1, 1)
    assert overlap["new_transactions"] == 3
    uber = next(p for p in api.list_all("banking/card_payments") if p["amount_cents"] == -1820)
    assert uber["status"] == "closed"
    settled = api.list_all("banking/transactions", {"card_payment_ids[]": [uber["id"]]})
    assert [t["amount_cents"] for t in settled] == [-1820]
    # The overlap again, and the first statement again: nothing new.
    imported(api, account["id"], "camt053_overlap_v02.xml")
    imported(api, account["id"], "camt053_statement.xml")
    assert counts(api)[:2] == (before[0] + 1, before[1] + 3)
    # An older statement never overwrites the newer balance.
    assert api.get(f"banking/bank_accounts/{account['id']}").json()["account_balance_cents"] == 1327745


def test_content_hash_keeps_identical_rows_and_dedupes_reimports(
    api: ApiClient, account: dict[str, Any]
) -> None:
    first = imported(api, account["id"], "bank_debit_credit_eu.csv", mapping="bank-debit-credit-eu")
    assert first["new_transactions"] == 4  # two identical fee rows are two movements
    again = imported(api, account["id"], "bank_debit_credit_eu.csv", mapping="bank-debit-credit-eu")
    assert (again["new_transactions"], again["duplicates"]) == (0, 4)
    balances = [t["balance_after_cents"] for t in api.list_all("banking/transactions")]
    assert balances == [1245710, 1345710, 1345260, 1344810]


def test_card_feed_after_bank_statement_recognises_the_same_movements(
    api: ApiClient, account: dict[str, Any]
) -> None:
    imported(api, account["id"], "camt053_statement.xml")
    result = imported(api, account["id"], "card_issuer_export.csv", mapping="card-issuer-export")
    # Amazon, Hilton and Uber were in the bank statement; coffee, refund and the declined fuel are new.
    assert (result["duplicates"], result["new_card_payments"], result["rejected"]) == (3, 3, 1)
    statuses = sorted(p["status"] for p in api.list_all("banking/card_payments"))
    assert statuses == ["closed", "closed", "closed", "closed", "pending", "rejected"]
    declined = next(p for p in api.list_all("banking/card_payments") if p["status"] == "rejected")
    assert declined["approved"] is False


def test_ofx_and_csv_formats(api: ApiClient, tenant: Tenant, account: dict[str, Any]) -> None:
    bank = imported(api, account["id"], "ofx_bank_v1.ofx")
    assert (bank["format"], bank["new_transactions"], bank["new_card_payments"]) == ("ofx", 4, 0)
    card = imported(api, account["id"], "ofx_creditcard_v2.ofx", format="ofx")
    assert card["new_card_payments"] == 3
    assert "4321" in {c["last4"] for c in api.list_all("banking/cards")}
    custom = imported(
        api,
        account["id"],
        "custom_bank.csv",
        mapping=(FEEDS / "custom_mapping.yaml").read_text(),
        format="csv",
    )
    assert (custom["mapping"], custom["new_transactions"], custom["rejected"]) == ("my-bank", 3, 1)
    listed = api.list_all("banking/feed_imports")
    assert [i["format"] for i in listed] == ["ofx", "ofx", "csv"]


def test_malformed_files_are_refused_and_import_nothing(api: ApiClient, account: dict[str, Any]) -> None:
    for name, fragment in (
        ("camt053_bad_amount.xml", "line 62, element Amt"),
        ("camt053_billion_laughs.xml", "document type declarations"),
        ("camt053_xxe.xml", "document type declarations"),
        ("ofx_bad_date.ofx", "DTPOSTED"),
        ("card_issuer_export_bad_amount.csv", "line 4, column 'Amount'"),
    ):
        form = {"mapping": "card-issuer-export"} if name.endswith(".csv") else {}
        r = upload(api, account["id"], name, **form)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["code"] == "malformed_feed"
        assert fragment in r.json()["errors"]["file"][0]
    assert counts(api) == (0, 0, 0)
    assert api.list_all("banking/cards") == []


@pytest.mark.parametrize(
    ("form", "content", "status", "code"),
    [
        ({"format": "pdf"}, None, 422, "validation_error"),
        ({"bank_account_id": "abc"}, None, 422, "validation_error"),
        ({"bank_account_id": "987654321"}, None, 404, "not_found"),
        ({}, b"   ", 422, "empty_feed"),
        ({"format": "csv"}, None, 422, "mapping_required"),
        ({"format": "csv", "mapping": "no-such-bank"}, None, 422, "unknown_mapping"),
        ({"format": "csv", "mapping": '{"name": 1}'}, None, 422, "invalid_mapping"),
        ({"format": "ofx"}, None, 422, "malformed_feed"),
    ],
)
def test_bad_upload_requests(
    api: ApiClient,
    account: dict[str, Any],
    form: dict[str, str],
    content: bytes | None,
    status: int,
    code: str,
) -> None:
    data = {"bank_account_id": account["id"], **form}
    r = api.http.post(
        api.url("banking/feed_imports"),
        headers=api.headers,
        files={
            "file": (
                "statement.xml",
                content if content is not None else (FEEDS / "camt053_statement.xml").read_bytes(),
            )
        },
        data=data,
    )
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert counts(api) == (0, 0, 0)


def test_missing_file_or_json_body_is_422(api: ApiClient, account: dict[str, Any]) -> None:
    r = api.http.post(
        api.url("banking/feed_imports"), headers=api.headers, data={"bank_account_id": account["id"]}
    )
    assert r.status_code == 422
    assert "file" in r.json()["errors"]
    r = api.post("banking/feed_imports", json={"bank_account_id": account["id"]})
    assert r.status_code == 422


def test_rows_of_another_account_or_currency_are_rejected(api: ApiClient, tenant: Tenant) -> None:
    gbp = new_account(api, tenant, legal_entity_id=str(tenant.le_gb), account_number=GB_IBAN, currency="GBP")
    result = imported(api, gbp["id"], "camt053_statement.xml")
    assert result["new_card_payments"] == result["new_transactions"] == 0
    reasons = {r["reason"] for r in result["rejections"]}
    assert "statement of another account (ES9121000418450200051332)" in reasons
    other_number = new_account(
        api, tenant, account_number="1234", account_number_type="other", external_id="x"
    )
    result = imported(api, other_number["id"], "camt053_statement.xml")
    assert result["rejected"] == 6
    eur_no_number = new_account(api, tenant, account_number="FR7630006000011234567890189", external_id="fr")
    result = imported(api, eur_no_number["id"], "card_issuer_export.csv", mapping="card-issuer-export")
    assert result["new_card_payments"] == 6  # CSV rows name no account: all are the account's


def test_card_payment_filters(api: ApiClient, tenant: Tenant, account: dict[str, Any]) -> None:
    imported(api, account["id"], "camt053_statement.xml")
    other = new_account(api, tenant, account_number="FR7630006000011234567890189", external_id="fr")
    imported(api, other["id"], "card_issuer_export.csv", mapping="card-issuer-export")
    payments = api.list_all("banking/card_payments")

    def ids(params: dict[str, Any]) -> list[str]:
        return [p["id"] for p in api.list_all("banking/card_payments", params)]

    assert len(payments) == 9
    assert ids({"ids[]": [payments[1]["id"]]}) == [payments[1]["id"]]
    assert len(ids({"account_ids[]": [account["id"]]})) == 3
    assert len(ids({"account_ids[]": [other["id"]]})) == 6
    assert [p["status"] for p in api.list_all("banking/card_payments", {"status": "pending"})] == [
        "pending",
        "pending",
    ]
    assert len(ids({"status": "rejected"})) == 1
    today = datetime.now(UTC).date()
    assert len(ids({"from": today.isoformat()})) == 9
    assert ids({"to": (today - timedelta(days=1)).isoformat()}) == []
    assert len(ids({"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()})) == 9
    assert api.get("banking/card_payments", params={"status": "settled"}).status_code == 422
    assert api.get("banking/card_payments", params={"from": "01/03/2026"}).status_code == 422


def test_transaction_filters_and_the_2026_04_01_account_ids_name(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant, account: dict[str, Any]
) -> None:
    imported(api, account["id"], "camt053_statement.xml")
    other = new_account(api, tenant, account_number="FR7630006000011234567890189", external_id="fr")
    imported(api, other["id"], "bank_debit_credit_eu.csv", mapping="bank-debit-credit-eu")
    everything = api.list_all("banking/transactions")
    assert len(everything) == 8

    def amounts(params: dict[str, Any], client: ApiClient = api) -> list[int]:
        return [t["amount_cents"] for t in client.list_all("banking/transactions", params)]

    assert amounts({"ids[]": [everything[0]["id"]]}) == [everything[0]["amount_cents"]]
    assert amounts({"bank_account_ids[]": [account["id"]]}) == [-4290, -9348, 100000, -450]
    assert amounts({"bank_account_ids[]": [other["id"]]}) == [-4290, 100000, -450, -450]
    card_tx = next(t for t in everything if t["card_payment_id"] is not None)
    assert amounts({"card_payment_ids[]": [card_tx["card_payment_id"]]}) == [card_tx["amount_cents"]]
    assert amounts({"from": "2026-03-04", "to": "2026-03-04"}) == [100000, 100000]
    assert amounts({"from": "2026-03-05"}) == [-450, -450, -450]
    assert amounts({"to": "2026-03-02"}) == [-4290, -4290]
    assert len(amounts({"updated_from": "2000-01-01"})) == 8
    assert amounts({"updated_from": "2999-01-01"}) == []
    # 2026-04-01 names the filter account_ids[] (the version registry renames it); ids are integers.
    old = api_v0401.list_all("banking/transactions", {"account_ids[]": [int(account["id"])]})
    assert [t["amount_cents"] for t in old] == [-4290, -9348, 100000, -450]
    assert {t["bank_account_id"] for t in old} == {int(account["id"])}
    assert isinstance(old[0]["id"], int)
    # In the current version account_ids[] is not a filter of transactions.
    assert len(amounts({"account_ids[]": [account["id"]]})) == 8


def test_single_gets_both_versions_and_tenancy(
    api: ApiClient, api_v0401: ApiClient, other_api: ApiClient, other_tenant: Tenant, account: dict[str, Any]
) -> None:
    record = imported(api, account["id"], "camt053_statement.xml")
    payment = api.list_all("banking/card_payments")[0]
    transaction = api.list_all("banking/transactions")[0]
    assert api.get(f"banking/card_payments/{payment['id']}").json() == payment
    assert api.get(f"banking/transactions/{transaction['id']}").json() == transaction
    assert api.get(f"banking/feed_imports/{record['id']}").json() == record
    old = api_v0401.get(f"banking/card_payments/{payment['id']}").json()
    assert (old["id"], old["card_id"]) == (int(payment["id"]), int(payment["card_id"]))
    assert api_v0401.get(f"banking/transactions/{transaction['id']}").json()["card_payment_id"] == int(
        transaction["card_payment_id"]
    )
    for path in (
        f"banking/card_payments/{payment['id']}",
        f"banking/transactions/{transaction['id']}",
        f"banking/feed_imports/{record['id']}",
        f"banking/bank_accounts/{account['id']}",
        f"banking/cards/{payment['card_id']}",
    ):
        assert other_api.get(path).status_code == 404, path
    assert other_api.get("banking/card_payments", params={"ids[]": [payment["id"]]}).json()["data"] == []
    assert (
        other_api.get("banking/transactions", params={"bank_account_ids[]": [account["id"]]}).json()["data"]
        == []
    )
    # Importing into another company's account is 404 and writes nothing anywhere.
    r = upload(other_api, account["id"], "camt053_statement.xml")
    assert r.status_code == 404
    assert counts(other_api) == (0, 0, 0)
    assert api.get("banking/feed_imports").json()["meta"]["total"] == 1
    assert api.get("banking/card_payments/abc").status_code == 404


def test_feed_import_filters(api: ApiClient, tenant: Tenant, account: dict[str, Any]) -> None:
    first = imported(api, account["id"], "camt053_statement.xml")
    other = new_account(api, tenant, account_number="FR7630006000011234567890189", external_id="fr")
    second = imported(api, other["id"], "ofx_creditcard_v2.ofx")
    listed = api.list_all("banking/feed_imports")
    assert [i["id"] for i in listed] == [first["id"], second["id"]]
    assert [i["id"] for i in api.list_all("banking/feed_imports", {"ids[]": [second["id"]]})] == [
        second["id"]
    ]
    by_account = api.list_all("banking/feed_imports", {"bank_account_ids[]": [account["id"]]})
    assert [i["id"] for i in by_account] == [first["id"]]

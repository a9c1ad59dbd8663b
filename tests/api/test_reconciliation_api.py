"""Card reconciliation through the API (extension): runs, proposals, confirm/reject, leftovers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_banking_accounts import new_account
from tests.api.test_banking_feeds import imported
from tests.factories import ApiClient, Tenant


def expense(
    api: ApiClient, tenant: Tenant, last4: str, amount: int, on: str, merchant: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": amount,
        "currency": "EUR",
        "effective_on": on,
        "merchant_name": merchant,
        "card": {"card_type": "company", "last4": last4},
        **extra,
    }
    r = api.post("expenses/expenses", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def run(api: ApiClient, **body: Any) -> dict[str, Any]:
    r = api.post("reconciliation/runs", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def proposals(api: ApiClient, **params: Any) -> list[dict[str, Any]]:
    return api.list_all("reconciliation/proposals", params)


@pytest.fixture
def march(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    """A bank account with the March statement imported, and three card expenses filed for it."""
    account = new_account(api, tenant)
    imported(api, account["id"], "camt053_statement.xml")
    payments = {p["amount_cents"]: p for p in api.list_all("banking/card_payments")}
    return {
        "account": account,
        "payments": payments,
        "amazon": expense(api, tenant, "1234", 4290, "2026-03-01", "Amazon"),
        "hotel": expense(
            api, tenant, "1234", 10000, "2026-03-02", "Hilton New York", currency="USD", exchange_rate="0.92"
        ),
        "stray": expense(api, tenant, "5678", 9999, "2026-03-03", "Nowhere"),
    }


def test_run_summary_proposals_and_leftovers(api: ApiClient, march: dict[str, Any]) -> None:
    result = run(api, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert (result["from"], result["to"], result["status"]) == ("2026-03-01", "2026-03-31", "completed")
    assert (result["card_payments"], result["expenses"], result["matched"]) == (3, 3, 2)
    assert (result["missing_receipts"], result["expenses_without_payment"], result["fx_differences"]) == (
        1,
        1,
        1,
    )
    assert (result["ambiguous"], result["low_confidence"], result["refunds"]) == (0, 0, 0)
    assert api.get(f"reconciliation/runs/{result['id']}").json() == result
    found = proposals(api, run_id=result["id"])
    by_expense = {p["expense_ids"][0]: p for p in found}
    amazon = by_expense[march["amazon"]["id"]]
    assert amazon["card_payment_id"] == march["payments"][-4290]["id"]
    assert (amazon["kind"], amazon["status"], amazon["lag_days"]) == ("matched", "proposed", 1)
    assert [r["code"] for r in amazon["reasons"]] == ["amount_exact", "date_distance", "merchant_similarity"]
    hotel = by_expense[march["hotel"]["id"]]
    assert hotel["reasons"][0]["code"] == "merchant_amount_exact"
    # Document 100.00 USD; base 92.00 EUR at the expense's rate; card 93.48 EUR: 1.48 EUR of FX difference.
    assert (hotel["expense_amount"], hotel["expense_currency"]) == (10000, "USD")
    assert (hotel["base_amount_cents"], hotel["base_currency"], hotel["card_amount_cents"]) == (
        9200,
        "EUR",
        9348,
    )
    assert hotel["fx_difference_cents"] == 148
    items = api.list_all("reconciliation/unmatched_items", {"run_id": result["id"]})
    kinds = {i["kind"]: i for i in items}
    assert kinds["missing_receipt"]["card_payment_id"] == march["payments"][-1820]["id"]
    assert (kinds["missing_receipt"]["amount"], kinds["missing_receipt"]["card_last4"]) == (1820, "5678")
    assert kinds["expense_without_payment"]["expense_id"] == march["stray"]["id"]
    assert api.get(f"reconciliation/unmatched_items/{items[0]['id']}").json() == items[0]


def test_confirm_links_expense_card_and_transaction(api: ApiClient, march: dict[str, Any]) -> None:
    result = run(api)
    amazon = next(
        p for p in proposals(api, run_id=result["id"]) if p["expense_ids"] == [march["amazon"]["id"]]
    )
    r = api.post("reconciliation/proposals/confirm", json={"id": amazon["id"]})
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["decided_at"] is not None
    payment = march["payments"][-4290]
    detail = api.get(f"expenses/expenses/{march['amazon']['id']}").json()
    assert detail["card_payment_id"] == payment["id"]
    assert detail["expenses_card_id"] == payment["card_id"]
    linked = api.list_all("expenses/expenses", {"card_payment_ids[]": [payment["id"]]})
    assert [e["id"] for e in linked] == [march["amazon"]["id"]]
    settlement = api.list_all("banking/transactions", {"card_payment_ids[]": [payment["id"]]})
    assert [t["id"] for t in settlement] == [confirmed["transaction_id"]]
    again = api.post("reconciliation/proposals/confirm", json={"id": amazon["id"]})
    assert again.status_code == 409
    assert again.json()["code"] == "proposal_not_open"
    # The next run leaves the reconciled pair out.
    later = run(api)
    assert later["already_reconciled"] == 1
    assert all(p["card_payment_id"] != payment["id"] for p in proposals(api, run_id=later["id"]))


def test_confirm_links_a_bank_booking_imported_separately(api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    imported(api, account["id"], "card_issuer_export.csv", mapping="card-issuer-export")
    imported(api, account["id"], "bank_debit_credit_eu.csv", mapping="bank-debit-credit-eu")
    amazon = expense(api, tenant, "1234", 4290, "2026-03-02", "Amazon")
    proposal = next(p for p in proposals(api, run_id=run(api)["id"]) if p["expense_ids"] == [amazon["id"]])
    confirmed = api.post("reconciliation/proposals/confirm", json={"id": proposal["id"]}).json()
    booking = api.get(f"banking/transactions/{confirmed['transaction_id']}").json()
    assert (booking["amount_cents"], booking["card_payment_id"]) == (-4290, proposal["card_payment_id"])


def test_reject_is_remembered_by_later_runs(api: ApiClient, march: dict[str, Any]) -> None:
    first = run(api)
    amazon = next(
        p for p in proposals(api, run_id=first["id"]) if p["expense_ids"] == [march["amazon"]["id"]]
    )
    r = api.post("reconciliation/proposals/reject", json={"id": amazon["id"]})
    assert r.status_code == 200
    assert r.json()["status"] == "rejected"
    assert api.post("reconciliation/proposals/confirm", json={"id": amazon["id"]}).status_code == 409
    assert api.post("reconciliation/proposals/reject", json={"id": amazon["id"]}).status_code == 409
    second = run(api)
    assert all(p["expense_ids"] != [march["amazon"]["id"]] for p in proposals(api, run_id=second["id"]))
    leftovers = api.list_all("reconciliation/unmatched_items", {"run_id": second["id"]})
    assert march["amazon"]["id"] in {i["expense_id"] for i in leftovers}
    assert api.get(f"expenses/expenses/{march['amazon']['id']}").json()["card_payment_id"] is None


def test_split_and_ambiguous_proposals(api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    imported(api, account["id"], "camt053_statement.xml")
    hotel_a = expense(api, tenant, "1234", 6000, "2026-03-03", "Hilton New York", currency="USD",
                      exchange_rate="0.92")  # fmt: skip
    hotel_b = expense(api, tenant, "1234", 4000, "2026-03-03", "Hilton New York", currency="USD",
                      exchange_rate="0.92")  # fmt: skip
    taxi = expense(api, tenant, "1234", 4290, "2026-03-02", "Taxi")
    bus = expense(api, tenant, "1234", 4290, "2026-03-02", "Bus")
    result = run(api)
    found = proposals(api, run_id=result["id"])
    split = next(p for p in found if len(p["expense_ids"]) == 2)
    assert sorted(split["expense_ids"], key=int) == sorted([hotel_a["id"], hotel_b["id"]], key=int)
    assert (split["kind"], split["reasons"][0]["code"], split["expense_amount"]) == (
        "matched",
        "split_sum_exact",
        10000,
    )
    ambiguous = [p for p in found if p["kind"] == "ambiguous"]
    assert sorted(p["expense_ids"][0] for p in ambiguous) == sorted([taxi["id"], bus["id"]])
    assert len({p["group"] for p in ambiguous}) == 1
    assert [p["id"] for p in proposals(api, run_id=result["id"], kind="ambiguous")] == [
        p["id"] for p in ambiguous
    ]
    # A person decides: confirming one supersedes the other.
    chosen = next(p for p in ambiguous if p["expense_ids"] == [taxi["id"]])
    api.post("reconciliation/proposals/confirm", json={"id": chosen["id"]})
    other = next(p for p in ambiguous if p["expense_ids"] == [bus["id"]])
    assert api.get(f"reconciliation/proposals/{other['id']}").json()["status"] == "superseded"
    assert api.post("reconciliation/proposals/confirm", json={"id": split["id"]}).status_code == 200
    for e in (hotel_a, hotel_b):
        assert api.get(f"expenses/expenses/{e['id']}").json()["card_payment_id"] == split["card_payment_id"]


def test_confirm_refuses_an_expense_linked_meanwhile(api: ApiClient, march: dict[str, Any]) -> None:
    result = run(api)
    amazon = next(
        p for p in proposals(api, run_id=result["id"]) if p["expense_ids"] == [march["amazon"]["id"]]
    )
    other_payment = march["payments"][-1820]["id"]
    r = api.put(f"expenses/expenses/{march['amazon']['id']}", json={"card_payment_id": other_payment})
    assert r.status_code == 200, r.text
    refused = api.post("reconciliation/proposals/confirm", json={"id": amazon["id"]})
    assert refused.status_code == 409
    assert refused.json()["code"] == "expense_already_linked"
    assert api.get(f"reconciliation/proposals/{amazon['id']}").json()["status"] == "proposed"
    assert api.get(f"expenses/expenses/{march['amazon']['id']}").json()["card_payment_id"] == other_payment


def test_filters(api: ApiClient, march: dict[str, Any]) -> None:
    first = run(api)
    second = run(api)
    assert [r["id"] for r in api.list_all("reconciliation/runs")] == [first["id"], second["id"]]
    assert [r["id"] for r in api.list_all("reconciliation/runs", {"ids[]": [second["id"]]})] == [second["id"]]
    mine = proposals(api, run_id=first["id"])
    assert len(mine) == 2
    assert [p["id"] for p in proposals(api, **{"ids[]": [mine[1]["id"]]})] == [mine[1]["id"]]
    payment_id = march["payments"][-4290]["id"]
    by_payment = proposals(api, **{"card_payment_ids[]": [payment_id]})
    assert {p["run_id"] for p in by_payment} == {first["id"], second["id"]}
    by_expense = proposals(api, **{"expense_ids[]": [march["hotel"]["id"]]})
    assert len(by_expense) == 2
    api.post("reconciliation/proposals/reject", json={"id": mine[0]["id"]})
    assert [p["id"] for p in proposals(api, status="rejected")] == [mine[0]["id"]]
    assert len(proposals(api, status="proposed")) == 3
    assert len(proposals(api, kind="matched")) == 4
    items = api.list_all("reconciliation/unmatched_items", {"run_id": first["id"], "kind": "missing_receipt"})
    assert [i["kind"] for i in items] == ["missing_receipt"]
    one = api.list_all("reconciliation/unmatched_items", {"ids[]": [items[0]["id"]]})
    assert [i["id"] for i in one] == [items[0]["id"]]
    assert api.get("reconciliation/proposals", params={"status": "maybe"}).status_code == 422
    assert api.get("reconciliation/unmatched_items", params={"kind": "lost"}).status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("reconciliation/runs", {"from": "2026-03-31", "to": "2026-03-01"}, 422),
        ("reconciliation/runs", {"from": "31/03/2026"}, 422),
        ("reconciliation/proposals/confirm", {"id": "abc"}, 422),
        ("reconciliation/proposals/confirm", {}, 422),
        ("reconciliation/proposals/reject", {"id": True}, 422),
        ("reconciliation/proposals/confirm", {"id": "987654321"}, 404),
    ],
)
def test_bad_input(
    api: ApiClient, march: dict[str, Any], path: str, body: dict[str, Any], status: int
) -> None:
    r = api.post(path, json=body)
    assert r.status_code == status, r.text
    assert api.get("reconciliation/runs").json()["meta"]["total"] == 0
    malformed = api.post(path, content=b'{"id": ', headers={"content-type": "application/json"})
    assert malformed.status_code == 400


def test_tenancy_and_versions(
    api: ApiClient, api_v0401: ApiClient, other_api: ApiClient, march: dict[str, Any]
) -> None:
    result = run(api)
    proposal = proposals(api, run_id=result["id"])[0]
    item = api.list_all("reconciliation/unmatched_items", {"run_id": result["id"]})[0]
    for path in (
        f"reconciliation/runs/{result['id']}",
        f"reconciliation/proposals/{proposal['id']}",
        f"reconciliation/unmatched_items/{item['id']}",
    ):
        assert other_api.get(path).status_code == 404, path
    for action in ("confirm", "reject"):
        r = other_api.post(f"reconciliation/proposals/{action}", json={"id": proposal["id"]})
        assert r.status_code == 404
    assert api.get(f"reconciliation/proposals/{proposal['id']}").json()["status"] == "proposed"
    assert other_api.get("reconciliation/proposals", params={"run_id": result["id"]}).json()["data"] == []
    # Another company's run sees none of this company's payments or expenses.
    theirs = other_api.post("reconciliation/runs", json={}).json()
    assert (theirs["card_payments"], theirs["expenses"], theirs["matched"]) == (0, 0, 0)
    old = api_v0401.get(f"reconciliation/proposals/{proposal['id']}").json()
    assert old["id"] == int(proposal["id"])
    assert old["expense_ids"] == [int(e) for e in proposal["expense_ids"]]
    assert old["card_payment_id"] == int(proposal["card_payment_id"])
    assert isinstance(proposal["expense_ids"][0], str)
    assert api_v0401.get(f"reconciliation/runs/{result['id']}").json()["id"] == int(result["id"])

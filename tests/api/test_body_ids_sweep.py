"""Every id a request body accepts, discovered from the OpenAPI document, is checked against the caller.

Two companies are furnished with an object of every kind a body can name. For each operation with a
body and for each id-typed field in it (``*_id``, ``*_ids``, ``ids``, ``id``, nested ones too), the test
sends a body that company A could send successfully, with that one field set to company B's object of
the field's kind, and then to an id that exists nowhere. Each must be refused with a 4xx (404 for a
reference, 422 where the id is checked as a value) and change nothing, in either company. The same body
with A's own ids is then sent as a control and must succeed, so a refusal can only come from the id.

New operations and new id fields are covered or the test fails: every id-typed field in the document is
either in ``OPERATIONS`` or in ``NOT_REFERENCES`` with the reason it names no object of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from tests.api.test_banking_accounts import new_account
from tests.api.test_banking_feeds import imported
from tests.api.test_documents_api import PDF
from tests.api.test_expenses_support import add_account, add_category, add_project
from tests.factories import ApiClient, Tenant

PREFIX = "/api/{version}/resources/"
NOWHERE = "987654321987"

# Id-typed fields that name no object of ours: what they are, so nothing to check them against.
NOT_REFERENCES: dict[str, str] = {
    "external_id": "the caller's own key in its ERP or bank",
    "external_authorization_id": "the card issuer's authorisation id, stored as given",
    "dispute_id": "a dispute in the card issuer's or Factorial's system, stored as given",
    "leave_id": "a leave in the HR system (documents), stored as given",
    "client_id": "a project's client in Factorial's project management, stored as given",
    "location_id": "a work location in the HR system (locations are not modelled), stored as given",
}


@dataclass
class World:
    """One company, with an object of every kind that a body can name (ids as wire strings)."""

    api: ApiClient
    tenant: Tenant
    factory: sessionmaker[Session]
    ids: dict[str, str] = field(default_factory=dict)

    def expense(self, **extra: Any) -> dict[str, Any]:
        body = {
            "employee_id": self.ids["employee"],
            "amount": 4290,
            "currency": "EUR",
            "effective_on": "2026-03-01",
            "merchant_name": "Amazon",
            **extra,
        }
        r = self.api.post("expenses/expenses", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def claim(self, status: str) -> str:
        """A fresh claim's expensable id, brought through the API to ``status``."""
        xid = str(self.expense()["expenses_expensable_id"])
        if status == "draft":
            return xid
        assert self.api.post("expenses/expensables/submit", json={"ids": [xid]}).status_code == 200
        if status == "pending":
            return xid
        approve = {"resource_type": "Expenses::Expensable", "resource_id": xid}
        r = self.api.post("approvals/materialized_approvals_flows/approve_resource", json=approve)
        assert r.status_code == 200, r.text
        return xid

    def document(self) -> str:
        r = self.api.post("documents/documents", files={"file": ("r.pdf", PDF, "application/pdf")})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def trashed_document(self) -> str:
        doc = self.document()
        assert (
            self.api.post("documents/documents/move_to_trash_bin", json={"document_ids": [doc]}).status_code
            < 300
        )
        return doc

    def cost_center(self, name: str = "Sales") -> str:
        r = self.api.post("finance/cost_centers", json={"name": name, "company_id": self.ids["company"]})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def proposal(self) -> str:
        """A proposed match of a fresh card payment (imported from a card issuer's CSV) with an expense."""
        n = next(_SERIAL)
        day = f"2026-05-{n % 28 + 1:02d}"
        amount = 1000 + n
        csv = (
            "Transaction ID,Date,Card Number,Merchant,Description,Amount,Currency,Original Amount,"
            "Original Currency,Exchange Rate,Status\n"
            f"tx_sweep_{n},{day} 12:00:00,**** **** **** 1234,SHOP {n},Goods,"
            f"-{amount // 100}.{amount % 100:02d},EUR,,,,COMPLETED\n"
        ).encode()
        r = self.api.http.post(
            self.api.url("banking/feed_imports"),
            headers=self.api.headers,
            files={"file": ("card.csv", csv)},
            data={"bank_account_id": self.ids["bank_account"], "mapping": "card-issuer-export"},
        )
        assert r.status_code == 201, r.text
        self.expense(
            amount=amount,
            effective_on=day,
            merchant_name=f"Shop {n}",
            card={"card_type": "company", "last4": "1234"},
        )
        r = self.api.post("reconciliation/runs", json={"from": day, "to": day})
        assert r.status_code == 201, r.text
        found = self.api.list_all("reconciliation/proposals", {"run_id": r.json()["id"]})
        return str(next(p["id"] for p in found if p["status"] == "proposed"))

    def delivery(self) -> str:
        """A webhook delivery of a cost centre event that has been sent (so it may be redelivered)."""
        sub = {
            "subscription_type": "finance/cost_center/create",
            "target_url": "https://hooks.example.com/x",
            "company_id": self.ids["company"],
        }
        assert self.api.post("api_public/webhook_subscriptions", json=sub).status_code == 201
        self.cost_center("Hooked")
        delivery = str(self.api.list_all("webhooks/deliveries")[-1]["id"])
        with transaction(self.factory) as s:  # as the delivery worker leaves it after a 2xx
            s.execute(
                text("UPDATE webhook_deliveries SET status = 'delivered' WHERE id = :id"),
                {"id": int(delivery)},
            )
        return delivery

    def employee(self, *, terminated: bool = False) -> str:
        """A new employee of the company (through ``create_with_contract``), terminated if asked."""
        n = next(_SERIAL)
        body = {"company_id": self.ids["company"], "first_name": "New", "last_name": f"Hire {n}"}
        r = self.api.post("employees/employees/create_with_contract", json={**body, "email": f"n{n}@x.test"})
        assert r.status_code == 200, r.text
        employee = str(r.json()["id"])
        if terminated:
            stop = {"id": employee, "terminated_on": "2026-06-30"}
            assert self.api.post("employees/employees/terminate", json=stop).status_code == 200
        return employee

    def project(self, status: str = "active") -> str:
        body = {"name": f"P{next(_SERIAL)}", "status": status}
        return _created(self, "project_management/projects", body)

    def subscription(self) -> str:
        sub = {
            "subscription_type": "finance/cost_center/create",
            "target_url": "https://hooks.example.com/y",
            "company_id": self.ids["company"],
        }
        r = self.api.post("api_public/webhook_subscriptions", json=sub)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


_SERIAL = iter(range(10**6))


def _iban() -> str:
    """A fresh, valid Spanish IBAN (each bank account of a company needs its own number)."""
    bban = f"2100041845{next(_SERIAL):010d}"
    check = 98 - int(bban + "142800") % 97  # "ES" -> 14 28, then "00"
    return f"ES{check:02d}{bban}"


def furnish(api: ApiClient, tenant: Tenant, factory: sessionmaker[Session]) -> World:
    w = World(api, tenant, factory)
    cid = tenant.company_id
    w.ids.update(
        company=str(cid),
        employee=str(tenant.employee_ids[1]),
        legal_entity=str(tenant.le_es),
        category=str(add_category(factory, cid)),
        project=str(add_project(factory, cid, tenant.le_es)),
        ledger_account=str(add_account(factory, cid, tenant.le_es)),
    )
    w.ids["cost_center"] = w.cost_center("Base")
    account = new_account(api, tenant)  # the account of the sample CAMT.053 statement
    w.ids["bank_account"] = str(account["id"])
    imported(api, account["id"], "camt053_statement.xml")
    w.ids["card_payment"] = str(api.list_all("banking/card_payments")[0]["id"])
    r = api.post("banking/cards", json={"bank_account_id": w.ids["bank_account"], "last4": "4321"})
    assert r.status_code == 201, r.text
    w.ids["card"] = str(r.json()["id"])
    w.ids["document"] = w.document()
    r = api.post("documents/folders", json={"name": "Receipts", "space": "employee_my_documents"})
    assert r.status_code == 201, r.text
    w.ids["folder"] = str(r.json()["id"])
    w.ids["expensable"] = w.claim("approved")
    w.ids["expense"] = str(w.expense()["id"])
    w.ids["mileage"] = _created(w, "expenses/mileages", _mileage(w))
    w.ids["per_diem"] = _created(w, "expenses/per_diems", _per_diem(w))
    w.ids["proposal"] = w.proposal()
    w.ids["subscription"] = w.subscription()
    w.ids["delivery"] = w.delivery()
    memberships = api.post(
        "finance/cost_center_memberships/bulk_create_update",
        json={
            "employee_id": w.ids["employee"],
            "company_id": w.ids["company"],
            "memberships": [
                {"cost_center_id": w.ids["cost_center"], "percentage": 1, "start_date": "2020-01-01"}
            ],
        },
    )
    assert memberships.status_code < 300, memberships.text
    w.ids["membership"] = str(memberships.json()[0]["id"])
    r = api.post(
        "finance/ledger_account_resources/upsert",
        json={
            "legal_entity_id": w.ids["legal_entity"],
            "resource_type": "customcategory",
            "resource_id": w.ids["category"],
            "account_id": w.ids["ledger_account"],
        },
    )
    assert r.status_code < 300, r.text
    w.ids["ledger_account_resource"] = str(r.json()["id"])
    w.ids["access"] = str(api.get(f"employees/employees/{w.ids['employee']}").json()["access_id"])
    return w


@dataclass
class Call:
    """A request company A can make successfully."""

    method: str
    path: str
    body: dict[str, Any]
    multipart: bool = False


@dataclass
class Op:
    """An operation with a body: each id field (a dotted path, ``[]`` for list items) and the kind of
    object it names, and how to build a call of company A that succeeds (fresh objects each time)."""

    fields: dict[str, str]
    build: Callable[[World], Call]


def _claim_body(w: World) -> dict[str, Any]:
    return {
        "employee_id": w.ids["employee"],
        "reporter_id": w.ids["employee"],
        "legal_entity_id": w.ids["legal_entity"],
        "category_id": w.ids["category"],
        "project_id": w.ids["project"],
        "ledger_account_id": w.ids["ledger_account"],
        "cost_centers": [
            {"cost_center_id": w.ids["cost_center"], "percentage": 1, "start_date": "2020-01-01"}
        ],
        "effective_on": "2026-03-05",
        "currency": "EUR",
    }


CLAIM_FIELDS = {
    "employee_id": "employee",
    "reporter_id": "employee",
    "legal_entity_id": "legal_entity",
    "category_id": "category",
    "project_id": "project",
    "ledger_account_id": "ledger_account",
    "cost_centers[].cost_center_id": "cost_center",
    "cost_center_ids[]": "cost_center",
}
EXPENSE_FIELDS = {
    **CLAIM_FIELDS,
    "card_payment_id": "card_payment",
    "expenses_card_id": "card",
    "document_ids[]": "document",
    "document_id": "document",
}


def _expense(w: World) -> dict[str, Any]:
    return {
        **_claim_body(w),
        "amount": 1500,
        "merchant_name": "Taxi",
        "card_payment_id": w.ids["card_payment"],
        "expenses_card_id": w.ids["card"],
        "document_ids": [w.document()],
    }


def _mileage(w: World) -> dict[str, Any]:
    return {**_claim_body(w), "mileage": 40, "rate": "0.26", "from": "Barcelona", "to": "Girona"}


def _per_diem(w: World) -> dict[str, Any]:
    return {**_claim_body(w), "amount": 5340, "start_date": "2026-03-05", "end_date": "2026-03-06"}


def _created(w: World, path: str, body: dict[str, Any]) -> str:
    r = w.api.post(path, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _put_claim(path: str, body: Callable[[World], dict[str, Any]]) -> Callable[[World], Call]:
    def build(w: World) -> Call:
        claim_id = str(w.expense()["id"]) if path == "expenses/expenses" else _created(w, path, body(w))
        return Call("put", f"{path}/{claim_id}", body(w))

    return build


def _post(
    path: str, body: Callable[[World], dict[str, Any]], multipart: bool = False
) -> Callable[[World], Call]:
    return lambda w: Call("post", path, body(w), multipart)


def _approval(w: World) -> dict[str, Any]:
    return {"resource_type": "Expenses::Expensable", "resource_id": w.claim("pending")}


def _put_subscription(w: World) -> Call:
    sub = w.subscription()
    return Call("put", f"api_public/webhook_subscriptions/{sub}", {"id": sub, "name": "renamed"})


def _put_folder(w: World) -> Call:
    leaf = _created(w, "documents/folders", {"name": "Leaf", "space": "employee_my_documents"})
    return Call(
        "put",
        f"documents/folders/{leaf}",
        {"company_id": w.ids["company"], "parent_folder_id": w.ids["folder"]},
    )


def _put_project(w: World) -> Call:
    project = w.project()
    body = {"id": project, "name": "Renamed", "legal_entity_id": w.ids["legal_entity"], "client_id": "8"}
    return Call("put", f"project_management/projects/{project}", body)


def _put_employee(w: World) -> Call:
    employee = w.employee()
    body = {
        "id": employee,
        "legal_entity_id": w.ids["legal_entity"],
        "manager_id": w.ids["employee"],
        "timeoff_manager_id": w.ids["employee"],
    }
    return Call("put", f"employees/employees/{employee}", body)


def _put_document(w: World) -> Call:
    body = {"employee_id": w.ids["employee"], "folder_id": w.ids["folder"], "signee_ids": [w.ids["access"]]}
    return Call("put", f"documents/documents/{w.document()}", body)


OPERATIONS: dict[tuple[str, str], Op] = {
    ("post", "expenses/expensables/bulk_set_to_paid"): Op(
        {"ids[]": "expensable"},
        _post("expenses/expensables/bulk_set_to_paid", lambda w: {"ids": [w.claim("approved")]}),
    ),
    ("post", "expenses/expensables/update_reimbursable_amount"): Op(
        {"id": "expensable"},
        _post(
            "expenses/expensables/update_reimbursable_amount",
            lambda w: {"id": w.claim("pending"), "reimbursable_amount": 100},
        ),
    ),
    ("post", "expenses/expensables/submit"): Op(
        {"ids[]": "expensable"}, _post("expenses/expensables/submit", lambda w: {"ids": [w.claim("draft")]})
    ),
    ("post", "expenses/expensables/request_changes"): Op(
        {"id": "expensable"},
        _post("expenses/expensables/request_changes", lambda w: {"id": w.claim("pending")}),
    ),
    ("post", "approvals/materialized_approvals_flows/approve_resource"): Op(
        {"resource_id": "expensable"},
        _post("approvals/materialized_approvals_flows/approve_resource", _approval),
    ),
    ("post", "approvals/materialized_approvals_flows/reject_resource"): Op(
        {"resource_id": "expensable"},
        _post("approvals/materialized_approvals_flows/reject_resource", _approval),
    ),
    ("post", "expenses/expenses"): Op(
        {**EXPENSE_FIELDS, "id": "expense"}, _post("expenses/expenses", _expense)
    ),
    ("put", "expenses/expenses/{id}"): Op(
        {**EXPENSE_FIELDS, "id": "expense"}, _put_claim("expenses/expenses", _expense)
    ),
    ("post", "expenses/mileages"): Op(
        {**CLAIM_FIELDS, "id": "mileage"}, _post("expenses/mileages", _mileage)
    ),
    ("put", "expenses/mileages/{id}"): Op(
        {**CLAIM_FIELDS, "id": "mileage"}, _put_claim("expenses/mileages", _mileage)
    ),
    ("post", "expenses/per_diems"): Op(
        {**CLAIM_FIELDS, "id": "per_diem"}, _post("expenses/per_diems", _per_diem)
    ),
    ("put", "expenses/per_diems/{id}"): Op(
        {**CLAIM_FIELDS, "id": "per_diem"}, _put_claim("expenses/per_diems", _per_diem)
    ),
    ("post", "documents/documents"): Op(
        {
            "company_id": "company",
            "employee_id": "employee",
            "author_id": "access",
            "folder_id": "folder",
            "signee_ids[]": "access",
        },
        _post(
            "documents/documents",
            lambda w: {
                "company_id": w.ids["company"],
                "employee_id": w.ids["employee"],
                "author_id": w.ids["access"],
                "folder_id": w.ids["folder"],
                "signee_ids": [w.ids["access"]],
            },
            multipart=True,
        ),
    ),
    ("put", "documents/documents/{id}"): Op(
        {"id": "document", "employee_id": "employee", "folder_id": "folder", "signee_ids[]": "access"},
        _put_document,
    ),
    ("post", "documents/documents/move_to_trash_bin"): Op(
        {"document_ids[]": "document"},
        _post("documents/documents/move_to_trash_bin", lambda w: {"document_ids": [w.document()]}),
    ),
    ("post", "documents/documents/restore_from_trash_bin"): Op(
        {"document_ids[]": "document"},
        _post(
            "documents/documents/restore_from_trash_bin", lambda w: {"document_ids": [w.trashed_document()]}
        ),
    ),
    ("post", "documents/download_urls/bulk_create"): Op(
        {"ids[]": "document"}, _post("documents/download_urls/bulk_create", lambda w: {"ids": [w.document()]})
    ),
    ("post", "documents/folders"): Op(
        {"company_id": "company", "parent_folder_id": "folder"},
        _post(
            "documents/folders",
            lambda w: {
                "name": "Sub",
                "space": "employee_my_documents",
                "company_id": w.ids["company"],
                "parent_folder_id": w.ids["folder"],
            },
        ),
    ),
    ("put", "documents/folders/{id}"): Op(
        {"id": "folder", "company_id": "company", "parent_folder_id": "folder"}, _put_folder
    ),
    ("post", "banking/bank_accounts/create_manual"): Op(
        {
            "legal_entity_id": "legal_entity",
            "ledger_account_id": "ledger_account",
            "bank_account_membership_employee_ids[]": "employee",
        },
        _post(
            "banking/bank_accounts/create_manual",
            lambda w: {
                "legal_entity_id": w.ids["legal_entity"],
                "currency": "EUR",
                "account_number": _iban(),
                "account_number_type": "iban",
                "ledger_account_id": w.ids["ledger_account"],
                "bank_account_membership_employee_ids": [w.ids["employee"]],
            },
        ),
    ),
    ("post", "banking/cards"): Op(
        {"bank_account_id": "bank_account", "employee_id": "employee"},
        _post(
            "banking/cards",
            lambda w: {
                "bank_account_id": w.ids["bank_account"],
                "last4": f"{next(_SERIAL) % 10000:04d}",
                "employee_id": w.ids["employee"],
            },
        ),
    ),
    ("put", "banking/cards/{id}"): Op(
        {"id": "card", "employee_id": "employee"},
        lambda w: Call("put", f"banking/cards/{w.ids['card']}", {"employee_id": w.ids["employee"]}),
    ),
    ("post", "banking/feed_imports"): Op(
        {"bank_account_id": "bank_account"},
        _post("banking/feed_imports", lambda w: {"bank_account_id": w.ids["bank_account"]}, multipart=True),
    ),
    ("post", "reconciliation/proposals/confirm"): Op(
        {"id": "proposal"}, _post("reconciliation/proposals/confirm", lambda w: {"id": w.proposal()})
    ),
    ("post", "reconciliation/proposals/reject"): Op(
        {"id": "proposal"}, _post("reconciliation/proposals/reject", lambda w: {"id": w.proposal()})
    ),
    ("post", "finance/cost_centers"): Op(
        {"company_id": "company", "legal_entity_id": "legal_entity"},
        _post(
            "finance/cost_centers",
            lambda w: {
                "name": "New",
                "company_id": w.ids["company"],
                "legal_entity_id": w.ids["legal_entity"],
            },
        ),
    ),
    ("post", "finance/cost_centers/edit"): Op(
        {"id": "cost_center", "company_id": "company"},
        _post(
            "finance/cost_centers/edit",
            lambda w: {"id": w.cost_center("Edited"), "name": "Renamed", "company_id": w.ids["company"]},
        ),
    ),
    ("post", "finance/cost_center_memberships/bulk_create_update"): Op(
        {
            "employee_id": "employee",
            "company_id": "company",
            "memberships[].cost_center_id": "cost_center",
            "memberships[].id": "membership",
        },
        _post(
            "finance/cost_center_memberships/bulk_create_update",
            lambda w: {
                "employee_id": w.ids["employee"],
                "company_id": w.ids["company"],
                "memberships": [
                    {
                        "id": w.ids["membership"],
                        "cost_center_id": w.ids["cost_center"],
                        "percentage": 1,
                        "start_date": "2020-01-01",
                    }
                ],
            },
        ),
    ),
    ("post", "finance/accounts"): Op(
        {"legal_entity_id": "legal_entity"},
        _post(
            "finance/accounts",
            lambda w: {
                "number": "629100",
                "type": "expense",
                "currency": "EUR",
                "legal_entity_id": w.ids["legal_entity"],
            },
        ),
    ),
    ("put", "finance/accounts/{id}"): Op(
        {"id": "ledger_account", "legal_entity_id": "legal_entity"},
        lambda w: Call(
            "put", f"finance/accounts/{w.ids['ledger_account']}", {"legal_entity_id": w.ids["legal_entity"]}
        ),
    ),
    ("post", "finance/ledger_account_resources/upsert"): Op(
        {
            "id": "ledger_account_resource",
            "legal_entity_id": "legal_entity",
            "resource_id": "category",
            "account_id": "ledger_account",
        },
        _post(
            "finance/ledger_account_resources/upsert",
            lambda w: {
                "id": w.ids["ledger_account_resource"],
                "legal_entity_id": w.ids["legal_entity"],
                "resource_type": "customcategory",
                "resource_id": w.ids["category"],
                "account_id": w.ids["ledger_account"],
            },
        ),
    ),
    ("post", "project_management/projects"): Op(
        {"legal_entity_id": "legal_entity"},
        _post(
            "project_management/projects",
            lambda w: {"name": "Zeus", "legal_entity_id": w.ids["legal_entity"], "client_id": "7"},
        ),
    ),
    ("put", "project_management/projects/{id}"): Op(
        {"id": "project", "legal_entity_id": "legal_entity"}, _put_project
    ),
    **{
        ("post", f"project_management/projects/{action}"): Op(
            {"id": "project"},
            _post(
                f"project_management/projects/{action}",
                lambda w, extra=extra, status=status: {"id": w.project(status), **extra},
            ),
        )
        for action, status, extra in (
            ("activate", "closed", {}),
            ("close", "active", {}),
            ("soft_delete", "active", {}),
            ("change_status", "active", {"status": "draft"}),
            ("change_assignment", "active", {"employees_assignment": "company"}),
        )
    },
    ("post", "companies/legal_entities"): Op(
        {"company_id": "company"},
        _post(
            "companies/legal_entities",
            lambda w: {
                "company_id": w.ids["company"],
                "country": "pt",
                "legal_name": "Lda",
                "currency": "EUR",
            },
        ),
    ),
    ("post", "employees/employees/create_with_contract"): Op(
        {
            "company_id": "company",
            "legal_entity_id": "legal_entity",
            "manager_id": "employee",
            "timeoff_manager_id": "employee",
        },
        _post(
            "employees/employees/create_with_contract",
            lambda w: {
                "company_id": w.ids["company"],
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": f"ada{next(_SERIAL)}@x.test",
                "legal_entity_id": w.ids["legal_entity"],
                "manager_id": w.ids["employee"],
                "timeoff_manager_id": w.ids["employee"],
            },
        ),
    ),
    ("put", "employees/employees/{id}"): Op(
        {
            "id": "employee",
            "legal_entity_id": "legal_entity",
            "manager_id": "employee",
            "timeoff_manager_id": "employee",
        },
        _put_employee,
    ),
    ("post", "employees/employees/terminate"): Op(
        {"id": "employee", "termination_assigned_manager_id": "employee"},
        _post(
            "employees/employees/terminate",
            lambda w: {
                "id": w.employee(),
                "terminated_on": "2026-06-30",
                "termination_assigned_manager_id": w.ids["employee"],
            },
        ),
    ),
    ("post", "employees/employees/unterminate"): Op(
        {"id": "employee"},
        _post("employees/employees/unterminate", lambda w: {"id": w.employee(terminated=True)}),
    ),
    ("post", "api_public/webhook_subscriptions"): Op(
        {"company_id": "company"},
        _post(
            "api_public/webhook_subscriptions",
            lambda w: {
                "subscription_type": "finance/cost_center/create",
                "target_url": "https://hooks.example.com/z",
                "company_id": w.ids["company"],
            },
        ),
    ),
    ("put", "api_public/webhook_subscriptions/{id}"): Op({"id": "subscription"}, _put_subscription),
    ("post", "api_public/webhook_subscriptions/rotate_secret"): Op(
        {"id": "subscription"},
        _post("api_public/webhook_subscriptions/rotate_secret", lambda w: {"id": w.subscription()}),
    ),
    ("post", "webhooks/deliveries/redeliver"): Op(
        {"id": "delivery"}, _post("webhooks/deliveries/redeliver", lambda w: {"id": w.delivery()})
    ),
}


# --- the OpenAPI side ------------------------------------------------------------------------------


def _is_id(name: str) -> bool:
    return name in ("id", "ids") or name.endswith(("_id", "_ids"))


def _id_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "", depth: int = 0) -> set[str]:
    comps = spec["components"]["schemas"]
    if "$ref" in schema:
        schema = comps[schema["$ref"].split("/")[-1]]
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found |= _id_fields(spec, sub, prefix, depth)
    if schema.get("type") == "array" and "items" in schema:
        found |= {f"{f}" for f in _id_fields(spec, schema["items"], prefix[:-1] + "[].", depth)}
    for name, sub in schema.get("properties", {}).items():
        bare = name.removesuffix("[]")
        if _is_id(bare):
            is_list = bare.endswith("ids") or name.endswith("[]")
            found.add(f"{prefix}{bare}{'[]' if is_list else ''}")
        if depth < 3:
            found |= _id_fields(spec, sub, f"{prefix}{bare}.", depth + 1)
    return found


def documented_id_fields(spec: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(method, path under the resources prefix) -> id-typed fields of its request body."""
    out: dict[tuple[str, str], set[str]] = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for content in op.get("requestBody", {}).get("content", {}).values():
                fields = {f for f in _id_fields(spec, content["schema"]) if _leaf(f) not in NOT_REFERENCES}
                if fields:
                    out.setdefault((method, path.removeprefix(PREFIX)), set()).update(fields)
    return out


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1].removesuffix("[]")


# --- sending ---------------------------------------------------------------------------------------


def _replace(body: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """A copy of ``body`` with the id at ``path`` (``a.b``, ``a[].b``, ``ids[]``) set to ``value``."""
    out = {**body}
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        key = head[:-2]
        items = out.get(key) or []
        out[key] = [_replace(item, rest, value) for item in items] if rest else [value]
    elif rest:
        out[head] = _replace(out[head], rest, value)
    else:
        out[head] = value
    return out


def _send(api: ApiClient, call: Call, body: dict[str, Any]) -> Any:
    if not call.multipart:
        return api.http.request(call.method.upper(), api.url(call.path), json=body, headers=api.headers)
    form = [(k, v) for k, v in body.items() if not isinstance(v, list)]
    form += [(f"{k}[]", item) for k, v in body.items() if isinstance(v, list) for item in v]
    if call.path == "banking/feed_imports":
        files = {"file": ("camt.xml", _feed())}
    else:
        files = {"file": ("r.pdf", PDF, "application/pdf")}
    return api.http.post(api.url(call.path), data=dict(form), files=files, headers=api.headers)


def _feed() -> bytes:
    from tests.api.test_banking_feeds import FEEDS

    return (FEEDS / "camt053_statement.xml").read_bytes()


def _state(factory: sessionmaker[Session], companies: tuple[int, ...]) -> dict[str, Any]:
    """Every row of the companies in each table with a ``company_id``: what a refused write must not touch."""
    with factory() as s:
        bind = s.get_bind()
        tables = [t for t in inspect(bind).get_table_names() if "company_id" in _columns(bind, t)]
        where = " OR ".join(f"company_id = {int(c)}" for c in companies)
        return {
            t: sorted(tuple(map(str, row)) for row in s.execute(text(f"SELECT * FROM {t} WHERE {where}")))
            for t in tables
        }


_COLUMNS: dict[str, set[str]] = {}


def _columns(bind: Any, table: str) -> set[str]:
    if table not in _COLUMNS:
        _COLUMNS[table] = {c["name"] for c in inspect(bind).get_columns(table)}
    return _COLUMNS[table]


@pytest.fixture
def worlds(
    http: Any, tenant: Tenant, other_tenant: Tenant, session_factory: sessionmaker[Session]
) -> tuple[World, World]:
    mine = furnish(ApiClient(http, tenant.api_key), tenant, session_factory)
    theirs = furnish(ApiClient(http, other_tenant.api_key), other_tenant, session_factory)
    return mine, theirs


def test_every_id_field_of_the_openapi_is_swept(http: Any) -> None:
    documented = documented_id_fields(http.get("/openapi.json").json())
    declared = {op: set(OPERATIONS[op].fields) for op in OPERATIONS}
    assert declared == documented


def test_another_companys_id_in_any_body_field_is_refused_and_changes_nothing(
    worlds: tuple[World, World], session_factory: sessionmaker[Session]
) -> None:
    mine, theirs = worlds
    companies = (mine.tenant.company_id, theirs.tenant.company_id)
    refused = 0
    for op, spec in OPERATIONS.items():
        call = spec.build(mine)
        for path, kind in spec.fields.items():
            for label, foreign in (("theirs", theirs.ids[kind]), ("nowhere", NOWHERE)):
                before = _state(session_factory, companies)
                r = _send(mine.api, call, _replace(call.body, path, foreign))
                where = (op, path, label)
                assert r.status_code in (404, 422), (where, r.status_code, r.text[:300])
                assert r.json()["code"], where
                assert _state(session_factory, companies) == before, where
                refused += 1
        # The control: the very same body with the caller's own ids succeeds.
        r = _send(mine.api, call, call.body)
        assert r.status_code < 300, (op, "control", r.status_code, r.text[:300])
    assert refused == 2 * sum(len(spec.fields) for spec in OPERATIONS.values())

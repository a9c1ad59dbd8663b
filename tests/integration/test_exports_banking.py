"""Card payments and bank transactions export like expenses: typed, exact, scoped to the company."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.banking import schemas as bs
from expensehub.banking import service as banking
from expensehub.db.engine import transaction
from expensehub.db.sql import add
from expensehub.errors import ValidationFailed
from expensehub.expenses import schemas as xs
from expensehub.expenses import service as expenses
from expensehub.exports import service
from expensehub.kit.clock import utcnow
from expensehub.models.banking import BankTransaction, CardPayment
from expensehub.webhooks.rules import Author
from tests.factories import Tenant, make_tenant


def _banking(factory: sessionmaker[Session], tenant: Tenant) -> dict[str, int]:
    """An account, a card and payments/transactions (feed imports write these; added directly here)."""
    cid = tenant.company_id
    ids: dict[str, int] = {}
    with transaction(factory) as s:
        account = banking.create_manual_account(
            s,
            company_id=cid,
            body=bs.BankAccountCreate.model_validate(
                {
                    "legal_entity_id": tenant.le_es,
                    "currency": "EUR",
                    "account_number": "ES9121000418450200051332",
                    "account_number_type": "iban",
                    "account_alias": "Main, EUR",
                }
            ),
        )
        card = banking.create_card(
            s,
            company_id=cid,
            body=bs.CardCreate.model_validate(
                {
                    "bank_account_id": account.id,
                    "last4": "4242",
                    "card_type": "virtual",
                    "employee_id": tenant.employee_ids[1],
                }
            ),
        )
        now = utcnow()
        for n, (amount, merchant_amount, cur, rate, status, kind, day) in enumerate(
            [
                (-4250, -4250, "EUR", "1", "closed", "payment", date(2026, 3, 10)),
                (-1163, -1000, "GBP", "1.163", "pending", "payment", date(2026, 3, 11)),
                (500, 500, "EUR", "1", "closed", "refund", date(2026, 3, 12)),
            ]
        ):
            cp = add(
                s,
                CardPayment(
                    company_id=cid,
                    bank_account_id=account.id,
                    card_id=card.id,
                    external_id=f"cp-{n}",
                    amount_cents=amount,
                    currency="EUR",
                    merchant_name=f"Merchant {n}",
                    merchant_amount_cents=merchant_amount,
                    merchant_currency=cur,
                    exchange_rate=Decimal(rate),
                    approved=status != "rejected",
                    status=status,
                    type=kind,
                    external_created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                    created_at=now,
                    updated_at=now,
                ),
            )
            ids[f"cp{n}"] = cp.id
        tx = add(
            s,
            BankTransaction(
                company_id=cid,
                bank_account_id=account.id,
                card_payment_id=ids["cp0"],
                external_id="tx-0",
                amount_cents=-4250,
                currency="EUR",
                type="card_payment",
                description="CARD 4242 Merchant 0",
                balance_after_cents=995750,
                booking_date=datetime(2026, 3, 11, tzinfo=UTC),
                value_date=datetime(2026, 3, 11, tzinfo=UTC),
                created_at=now,
                updated_at=now,
            ),
        )
        ids["tx0"] = tx.id
        fee = add(
            s,
            BankTransaction(
                company_id=cid,
                bank_account_id=account.id,
                external_id="tx-1",
                amount_cents=-150,
                currency="EUR",
                type="fees",
                balance_after_cents=995600,
                booking_date=datetime(2026, 3, 31, tzinfo=UTC),
                value_date=datetime(2026, 3, 31, tzinfo=UTC),
                created_at=now,
                updated_at=now,
            ),
        )
        ids["tx1"] = fee.id
        expense = expenses.create_expense(
            s,
            company_id=cid,
            body=xs.ExpenseCreate.model_validate(
                {
                    "employee_id": tenant.employee_ids[1],
                    "amount": 4250,
                    "currency": "EUR",
                    "effective_on": "2026-03-10",
                    "card_payment_id": ids["cp0"],
                }
            ),
            author=Author.company(cid),
        )
        ids["expense"] = int(expense["id"])
        ids["expensable"] = int(expense["expenses_expensable_id"])
    return ids


@pytest.fixture
def bank(session_factory: sessionmaker[Session], tenant: Tenant) -> dict[str, int]:
    _banking(session_factory, make_tenant(session_factory, name="Other Bank Co"))
    return _banking(session_factory, tenant)


def rows(factory: sessionmaker[Session], company_id: int, dataset: str, **kw: Any) -> list[dict[str, str]]:
    with transaction(factory) as s:
        plan = service.plan_export(s, company_id=company_id, dataset=dataset, **kw)
        body = b"".join(service.stream_export(s, plan, batch_size=2))
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


def test_card_payments(session_factory: sessionmaker[Session], tenant: Tenant, bank: dict[str, int]) -> None:
    found = rows(session_factory, tenant.company_id, "card_payments")
    assert [int(r["card_payment_id"]) for r in found] == [bank["cp0"], bank["cp1"], bank["cp2"]]
    first = found[0]
    assert (first["amount"], first["currency"], first["card_last4"], first["employee_id"]) == (
        "-42.50",
        "EUR",
        "4242",
        str(tenant.employee_ids[1]),
    )
    assert (first["expense_id"], first["expensable_id"], first["transaction_id"]) == (
        str(bank["expense"]),
        str(bank["expensable"]),
        str(bank["tx0"]),
    )
    assert first["external_created_at"] == "2026-03-10T12:00:00.000Z"
    assert (found[1]["merchant_amount"], found[1]["merchant_currency"], found[1]["exchange_rate"]) == (
        "-10.00",
        "GBP",
        "1.163",
    )
    assert found[2]["approved"] == "true"
    assert found[2]["type"] == "refund"
    assert [
        r["card_payment_id"]
        for r in rows(session_factory, tenant.company_id, "card_payments", statuses=["pending"])
    ] == [str(bank["cp1"])]
    assert [
        r["card_payment_id"]
        for r in rows(
            session_factory,
            tenant.company_id,
            "card_payments",
            date_from=date(2026, 3, 11),
            date_to=date(2026, 3, 12),
        )
    ] == [str(bank["cp1"]), str(bank["cp2"])]
    assert len(rows(session_factory, tenant.company_id, "card_payments", types=["refund"])) == 1
    assert (
        len(rows(session_factory, tenant.company_id, "card_payments", employee_ids=[tenant.employee_ids[2]]))
        == 0
    )
    assert (
        len(rows(session_factory, tenant.company_id, "card_payments", legal_entity_ids=[tenant.le_es])) == 3
    )


def test_transactions(
    session_factory: sessionmaker[Session], tenant: Tenant, bank: dict[str, int], tmp_path: Path
) -> None:
    found = rows(session_factory, tenant.company_id, "transactions")
    assert [int(r["transaction_id"]) for r in found] == [bank["tx0"], bank["tx1"]]
    assert (found[0]["amount"], found[0]["balance_after"], found[0]["card_payment_id"]) == (
        "-42.50",
        "9957.50",
        str(bank["cp0"]),
    )
    assert found[0]["bank_account_name"] == "Main, EUR"
    assert [r["type"] for r in rows(session_factory, tenant.company_id, "transactions", types=["fees"])] == [
        "fees"
    ]
    assert (
        len(
            rows(
                session_factory,
                tenant.company_id,
                "transactions",
                date_from=date(2026, 3, 31),
                date_to=date(2026, 3, 31),
            )
        )
        == 1
    )
    with pytest.raises(ValidationFailed) as info:
        rows(session_factory, tenant.company_id, "transactions", types=["bogus"])
    assert info.value.code == "invalid_filter"
    with transaction(session_factory) as s:
        plan = service.plan_export(s, company_id=tenant.company_id, dataset="transactions", fmt="parquet")
        summary = service.ExportSummary()
        (tmp_path / "t.parquet").write_bytes(b"".join(service.stream_export(s, plan, summary=summary)))
    table = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["amount"] for r in table] == [-4250, -150]
    assert summary.totals == {"EUR": -4400}


def test_reconciliation_report_over_the_views(
    session_factory: sessionmaker[Session], tenant: Tenant, bank: dict[str, int]
) -> None:
    sql = (
        "SELECT e.expensable_id, e.document_amount, p.amount AS card_amount, t.transaction_id, "
        "t.amount AS booked "
        "FROM report_expensables e JOIN report_card_payments p ON p.card_payment_id = e.card_payment_id "
        "LEFT JOIN report_transactions t ON t.card_payment_id = p.card_payment_id ORDER BY e.expensable_id"
    )
    with transaction(session_factory) as s:
        engine = s.get_bind()
    stream = service.stream_sql_report(engine, company_id=tenant.company_id, sql=sql, fmt="csv")  # type: ignore[arg-type]
    found = list(csv.DictReader(io.StringIO(b"".join(stream.chunks).decode(), newline="")))
    assert found == [
        {
            "expensable_id": str(bank["expensable"]),
            "document_amount": "4250",
            "card_amount": "-4250",
            "transaction_id": str(bank["tx0"]),
            "booked": "-4250",
        }
    ]

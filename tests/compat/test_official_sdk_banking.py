"""The official SDK (factorial-api-client 3.0.0) reads banking resources from a live expensehub.

The live demo company gets a bank account and real-format statements imported through the services
(CAMT.053, a card issuer CSV, an OFX credit-card statement, a bank CSV). Then the SDK lists every page
of bank accounts, card payments and transactions, parses every item, and each parsed model serialises
back to exactly the JSON sent; single GETs, filters and ``create_manual`` go through the SDK too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from factorial_api_client import FactorialClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.banking import schemas, service
from expensehub.db.engine import transaction
from expensehub.models import LegalEntity
from expensehub.webhooks.rules import Author
from tests.compat.conftest import LiveServer

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"


def raw_all(server: LiveServer, path: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {**(query or {}), "limit": 100}
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": server.api_key}, timeout=60) as http:
        while True:
            body = http.get(f"/api/2026-10-01/resources/{path}", params=params).json()
            items.extend(body["data"])
            if not body["meta"]["has_next_page"]:
                return items
            params["after_id"] = body["meta"]["end_cursor"]


@pytest.fixture(scope="module")
def banking(live_server: LiveServer, session_factory: sessionmaker[Session]) -> dict[str, int]:
    """A bank account of the live company with four statements imported."""
    with transaction(session_factory) as session:
        entity = session.scalars(
            select(LegalEntity)
            .where(LegalEntity.company_id == live_server.company_id)
            .order_by(LegalEntity.id)
        ).first()
        assert entity is not None
        account = service.create_manual_account(
            session,
            company_id=live_server.company_id,
            body=schemas.BankAccountCreate(
                legal_entity_id=entity.id,
                currency="EUR",
                account_number="ES9121000418450200051332",
                account_number_type="iban",
                account_alias="Company cards",
            ),
        )
        for name, mapping in (
            ("camt053_statement.xml", None),
            ("camt053_overlap_v02.xml", None),
            ("card_issuer_export.csv", "card-issuer-export"),
            ("ofx_creditcard_v2.ofx", None),
            ("bank_debit_credit_eu.csv", "bank-debit-credit-eu"),
        ):
            service.import_feed(
                session,
                company_id=live_server.company_id,
                bank_account_id=account.id,
                data=(FEEDS / name).read_bytes(),
                mapping=mapping,
                filename=name,
                author=Author.company(live_server.company_id),
            )
        return {"account_id": account.id, "legal_entity_id": entity.id}


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> FactorialClient:
    return FactorialClient(api_key=live_server.api_key, base_url=live_server.base_url)


@pytest.mark.parametrize("resource", ["bank_accounts", "card_payments", "transactions"])
def test_sdk_lists_every_page_and_round_trips(
    client: FactorialClient, live_server: LiveServer, banking: dict[str, int], resource: str
) -> None:
    endpoint = getattr(client.banking, resource)
    parsed = endpoint.all(limit=4)
    raw = raw_all(live_server, f"banking/{resource}")
    assert raw, f"no banking/{resource}"
    assert len(parsed) == len(raw)
    for model, sent in zip(parsed, raw, strict=True):
        assert model.to_dict() == sent
        assert not model.additional_properties
    for sent in raw[:: max(1, len(raw) // 5)]:
        assert endpoint.get(id=sent["id"]).to_dict() == sent


def test_sdk_card_payments_carry_fx_and_negative_spend(
    client: FactorialClient, banking: dict[str, int]
) -> None:
    payments = client.banking.card_payments.all(account_ids=[str(banking["account_id"])])
    assert len(payments) >= 8
    spend = [p for p in payments if p.type_.value == "payment"]
    assert spend
    assert all(p.amount_cents < 0 for p in spend)
    hotel = next(p for p in payments if p.merchant_currency == "USD")
    assert (hotel.amount_cents, hotel.merchant_amount_cents, hotel.exchange_rate) == (-9348, -10000, 0.9348)
    from factorial_api_client.generated.models.get_api_20261001_resources_banking_card_payments_status import (  # noqa: E501
        GetApi20261001ResourcesBankingCardPaymentsStatus as Status,
    )

    rejected = client.banking.card_payments.all(
        status=Status.REJECTED, account_ids=[str(banking["account_id"])]
    )
    assert [p.status.value for p in rejected] == ["rejected"]
    assert rejected[0].approved is False


def test_sdk_transaction_filters(client: FactorialClient, banking: dict[str, int]) -> None:
    account = str(banking["account_id"])
    everything = client.banking.transactions.all(bank_account_ids=[account])
    linked = [t for t in everything if t.card_payment_id]
    assert linked
    one = client.banking.transactions.all(card_payment_ids=[linked[0].card_payment_id])
    assert [t.id for t in one] == [linked[0].id]
    march_4 = client.banking.transactions.all(from_="2026-03-04", to="2026-03-04", bank_account_ids=[account])
    assert march_4
    assert {t.booking_date[:10] for t in march_4} == {"2026-03-04"}


def test_sdk_create_manual(client: FactorialClient, banking: dict[str, int]) -> None:
    from factorial_api_client.generated.models.post_api_20261001_resources_banking_bank_accounts_create_manual_body import (  # noqa: E501
        PostApi20261001ResourcesBankingBankAccountsCreateManualBody as Body,
    )
    from factorial_api_client.generated.models.post_api_20261001_resources_banking_bank_accounts_create_manual_body_account_number_type import (  # noqa: E501
        PostApi20261001ResourcesBankingBankAccountsCreateManualBodyAccountNumberType as NumberType,
    )

    created = client.banking.bank_accounts.create_manual(
        body=Body(
            legal_entity_id=str(banking["legal_entity_id"]),
            currency="GBP",
            account_number="GB29NWBK60161331926819",
            account_number_type=NumberType.IBAN,
            account_alias="UK card account",
            external_id="sdk-uk-1",
        )
    )
    assert created is not None
    assert (created.currency, created.country, created.external_id) == ("GBP", "gb", "sdk-uk-1")
    assert client.banking.bank_accounts.get(id=created.id).to_dict() == created.to_dict()

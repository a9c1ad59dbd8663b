"""Banking: bank accounts, company cards, card payments, bank transactions, and feed imports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import ExactDecimal, UTCDateTime


class BankAccount(Base):
    """A company bank account (``banking/bank_accounts``); card payments and transactions belong to one."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        Index("ix_bank_accounts_company_id_id", "company_id", "id"),
        UniqueConstraint("company_id", "external_id", name="uq_bank_accounts_company_external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int | None] = mapped_column(ForeignKey("legal_entities.id"))
    ledger_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    external_id: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str] = mapped_column(String(2))
    account_number: Mapped[str] = mapped_column(String(64))
    account_number_type: Mapped[str] = mapped_column(String(40))
    account_balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    available_balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Date of the statement the balances come from: an older statement never overwrites them.
    balance_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sort_code: Mapped[str | None] = mapped_column(String(16))
    bic: Mapped[str | None] = mapped_column(String(11))
    iban: Mapped[str | None] = mapped_column(String(34))
    routing_number: Mapped[str | None] = mapped_column(String(16))
    beneficiary_name: Mapped[str | None] = mapped_column(String(200))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    account_alias: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankAccountMembership(Base):
    """An employee with access to a bank account (``bank_account_membership_employee_ids``)."""

    __tablename__ = "bank_account_memberships"

    bank_account_id: Mapped[int] = mapped_column(
        ForeignKey("bank_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)


class Card(Base):
    """A company card on a bank account; expenses name it by type and last four digits."""

    __tablename__ = "banking_cards"
    __table_args__ = (
        Index("ix_banking_cards_company_id_id", "company_id", "id"),
        Index("ix_banking_cards_account_last4", "company_id", "bank_account_id", "last4"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    card_type: Mapped[str] = mapped_column(String(24))
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CardPayment(Base):
    """A card authorisation or settlement (``banking/card_payments``); amounts negative for spend."""

    __tablename__ = "card_payments"
    __table_args__ = (
        Index("ix_card_payments_company_id_id", "company_id", "id"),
        Index("ix_card_payments_company_external_created", "company_id", "external_created_at"),
        UniqueConstraint(
            "company_id", "bank_account_id", "external_id", name="uq_card_payments_account_external_id"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("banking_cards.id"), index=True)
    # The feed's own id of the movement, or a content hash when the feed has none (re-import key).
    external_id: Mapped[str] = mapped_column(String(140))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    merchant_name: Mapped[str] = mapped_column(String(200))
    merchant_amount_cents: Mapped[int] = mapped_column(BigInteger)
    merchant_currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    rejected_reason: Mapped[str | None] = mapped_column(String(48))
    feed_import_id: Mapped[int | None] = mapped_column(ForeignKey("feed_imports.id"))
    external_created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankTransaction(Base):
    """A booked movement on a bank account (``banking/transactions``)."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        Index("ix_bank_transactions_company_id_id", "company_id", "id"),
        Index("ix_bank_transactions_card_payment", "company_id", "card_payment_id"),
        UniqueConstraint(
            "company_id", "bank_account_id", "external_id", name="uq_bank_transactions_account_external_id"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    card_payment_id: Mapped[int | None] = mapped_column(ForeignKey("card_payments.id"))
    external_id: Mapped[str] = mapped_column(String(140))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(24))
    description: Mapped[str | None] = mapped_column(Text)
    balance_after_cents: Mapped[int | None] = mapped_column(BigInteger)
    feed_import_id: Mapped[int | None] = mapped_column(ForeignKey("feed_imports.id"))
    booking_date: Mapped[datetime] = mapped_column(UTCDateTime())
    value_date: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedImport(Base):
    """One imported statement file and what it added."""

    __tablename__ = "feed_imports"
    __table_args__ = (Index("ix_feed_imports_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[str | None] = mapped_column(String(120))
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new_card_payments: Mapped[int] = mapped_column(Integer, default=0)
    new_transactions: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # JSON list of {"line", "reason"} for rows that were well formed but not imported.
    rejections: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

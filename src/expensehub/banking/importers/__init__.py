"""Statement and card-feed importers: CAMT.053 XML, OFX (1.x SGML and 2.x XML), CSV with a mapping.

Each parser turns a file's bytes into a ``ParsedFeed`` of ``FeedEntry`` values and never touches the
database. A file that is not what it claims, or has a broken element or row, raises ``MalformedFeed``
naming the line (and element or column) at fault; nothing is imported then. Rows that are well formed
but out of scope (not booked, another account, a status the mapping skips) are kept in
``ParsedFeed.rejected`` with their line and reason.

XML is read through defusedxml with DTDs forbidden (``xmlsafe``): any ``<!DOCTYPE`` is refused, so no
entity can be declared, expanded or fetched (no billion laughs, no XXE). OFX is read by our own
tokenizer (``ofx``), which refuses a DTD too; docs/architecture.md says why it is not ofxtools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from expensehub.errors import ValidationFailed
from expensehub.kit.money import MAX_MINOR_UNITS, exponent, is_currency

FeedFormat = Literal["csv", "camt053", "ofx"]
FORMATS: tuple[str, ...] = ("csv", "camt053", "ofx")
CardStatus = Literal["pending", "closed", "reversed", "rejected"]
TransactionType = Literal[
    "payroll",
    "payment",
    "topup",
    "unknown",
    "card_payment",
    "dispute",
    "card_refund",
    "fees",
    "outgoing_transfer",
    "incoming_transfer",
    "outgoing",
    "incoming",
]
TRANSACTION_TYPES: tuple[str, ...] = TransactionType.__args__  # type: ignore[attr-defined]
CARD_STATUSES: tuple[str, ...] = ("pending", "closed", "reversed", "rejected")


class MalformedFeed(ValidationFailed):
    """The file cannot be read as the format it claims; ``where`` names the line or element."""

    code = "malformed_feed"

    def __init__(self, where: str, problem: str) -> None:
        message = f"{where}: {problem}" if where else problem
        super().__init__(f"malformed feed: {message}", fields={"file": [message]}, code="malformed_feed")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class FeedEntry:
    """One movement read from a feed, in the account's terms (amounts signed: negative = money out).

    ``card_payment`` entries become card payments; ``transaction`` entries bank transactions; a bank
    statement entry that carries card data (``card_last4``) becomes both, linked.
    """

    line: int
    kind: Literal["card_payment", "transaction"]
    booked_at: datetime
    amount: int
    currency: str
    external_id: str | None = None
    value_at: datetime | None = None
    description: str | None = None
    merchant_name: str | None = None
    merchant_amount: int | None = None
    merchant_currency: str | None = None
    exchange_rate: Decimal | None = None
    card_last4: str | None = None
    card_type: str | None = None
    status: str = "closed"
    tx_type: str = "unknown"
    balance_after: int | None = None
    account_ref: str | None = None  # the statement's account (IBAN or number), when it names one
    with_transaction: bool = False  # a card payment that is also a booked bank transaction


@dataclass
class ParsedFeed:
    """What a file holds: its entries, the rows refused as out of scope, and its closing balance."""

    format: str
    entries: list[FeedEntry] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    closing_balance: int | None = None
    available_balance: int | None = None
    balance_at: datetime | None = None
    balance_currency: str | None = None


def parse_amount(text: str, currency: str, where: str, *, decimal: str = ".", thousands: str = "") -> int:
    """A decimal amount in major units to signed minor units of ``currency``; refuses extra digits."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if thousands:
        raw = raw.replace(thousands, "")
    if decimal != ".":
        raw = raw.replace(decimal, ".")
    negative = False
    if raw.endswith("-"):  # some banks write 12.30-
        raw, negative = raw[:-1], True
    if raw.startswith("(") and raw.endswith(")"):
        raw, negative = raw[1:-1], True
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MalformedFeed(where, f"{text.strip()!r} is not an amount") from None
    if not value.is_finite() or abs(value) > Decimal(10) ** 16:
        raise MalformedFeed(where, f"{text.strip()!r} is not an amount in range")
    if negative:
        value = -value
    exp = exponent(currency)
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        raise MalformedFeed(where, f"{text.strip()!r} has more decimals than {currency} allows ({exp})")
    result = int(minor)
    if abs(result) > MAX_MINOR_UNITS:
        raise MalformedFeed(where, f"{text.strip()!r} is out of range")
    return result


def parse_rate(text: str, where: str) -> Decimal:
    """A positive exchange rate."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise MalformedFeed(where, f"{text.strip()!r} is not an exchange rate") from None
    if not value.is_finite() or not Decimal("1e-9") <= value <= Decimal(10) ** 9:
        raise MalformedFeed(where, f"{text.strip()!r} is not an exchange rate between 1e-9 and 1e9")
    return value


def check_minor(value: int, where: str) -> int:
    """Refuse an amount beyond what is stored (``kit.money.MAX_MINOR_UNITS``)."""
    if abs(value) > MAX_MINOR_UNITS:
        raise MalformedFeed(where, "amount out of range")
    return value


def check_currency(code: str, where: str) -> str:
    value = code.strip().upper()
    if not is_currency(value):
        raise MalformedFeed(where, f"{code.strip()!r} is not an ISO 4217 currency code")
    return value


def last4_of(card: str | None) -> str | None:
    """The last four digits of a (masked) card number: ``************1234`` -> ``1234``."""
    if not card:
        return None
    digits = [c for c in card if c.isdigit()]
    return "".join(digits[-4:]) if len(digits) >= 4 else None


def detect_format(data: bytes) -> str:
    """Best guess of a feed's format from its first bytes: camt053, ofx or csv."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"ofxheader" in head or b"<ofx>" in head:
        return "ofx"
    if head.startswith(b"<"):
        return "camt053"
    return "csv"

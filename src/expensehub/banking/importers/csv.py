"""Bank and card CSV exports, read through a column mapping (JSON), so any layout can be imported.

A mapping names the columns (by header) and how to read them: delimiter, encoding, decimal and
thousands separators, date format, whether spend is negative or positive, and what a status or type
value means. Two mappings ship with expensehub (``banking/mappings/*.json``, listed by
``shipped_mappings()``):

* ``card-issuer-export``: a card issuer's transaction export: one row per card payment, a signed
  amount in the settlement currency, the original amount and currency of purchases abroad, the masked
  card number, a status;
* ``bank-debit-credit-eu``: a European bank's account statement export: semicolon-separated, decimal
  comma, ``DD/MM/YYYY`` dates, separate Debit and Credit columns, running balance, no id (rows are
  then identified by a content hash).

Every mapped column must exist in the header, and every value must parse; otherwise the file is
refused with the line and column at fault.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from expensehub.banking.importers import (
    CARD_STATUSES,
    TRANSACTION_TYPES,
    FeedEntry,
    MalformedFeed,
    ParsedFeed,
    check_currency,
    check_minor,
    last4_of,
    parse_amount,
    parse_rate,
)
from expensehub.errors import ValidationFailed
from expensehub.kit.money import exponent, is_currency

MAX_ROWS = 1_000_000
ENCODINGS = frozenset({"utf-8", "utf-8-sig", "utf-16", "latin-1", "iso-8859-1", "iso-8859-15", "cp1252"})


class Columns(BaseModel):
    """Header names of the columns to read; only ``date`` and an amount are always needed."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = Field(None, description="The row's stable id (else a content hash is used)")
    date: str = Field(description="Booking (or purchase) date")
    value_date: str | None = Field(None, description="Value date")
    amount: str | None = Field(None, description="Signed amount (see `spend_sign`)")
    debit: str | None = Field(None, description="Money out, when the layout splits debit and credit")
    credit: str | None = Field(None, description="Money in, when the layout splits debit and credit")
    currency: str | None = Field(None, description="Currency of the amount (else `default_currency`)")
    description: str | None = Field(None, description="Free text of the row")
    merchant_name: str | None = Field(None, description="Merchant (card payments; else the description)")
    merchant_amount: str | None = Field(None, description="Original amount of a purchase abroad")
    merchant_currency: str | None = Field(None, description="Original currency of a purchase abroad")
    exchange_rate: str | None = Field(None, description="Card currency units per original currency unit")
    card_number: str | None = Field(None, description="Card number or masked number (last four digits kept)")
    card_type: str | None = Field(None, description="Card kind, e.g. `virtual`")
    status: str | None = Field(None, description="Status text, translated with `status_map`")
    type: str | None = Field(None, description="Type text, translated with `type_map` (transactions)")
    balance: str | None = Field(None, description="Balance after the row")


class CsvMapping(BaseModel):
    """How to read one CSV layout."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, description="Name of the mapping")
    description: str = Field("", max_length=2000, description="What exports it reads")
    kind: Literal["card_payments", "transactions"] = Field(description="What each row becomes")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator")
    encoding: str = Field("utf-8-sig", description="Text encoding (utf-8-sig also reads a BOM)")
    decimal_separator: Literal[".", ","] = Field(".", description="Decimal mark of amounts")
    thousands_separator: Literal["", ",", ".", " ", "'"] = Field("", description="Digit group mark")
    date_format: str = Field("%Y-%m-%d", description="strptime format of dates (a time part is allowed)")
    spend_sign: Literal["negative", "positive"] = Field(
        "negative", description="Sign of money out in the amount column"
    )
    default_currency: str | None = Field(None, description="Currency when there is no currency column")
    default_card_type: str = Field("company", max_length=24, description="Card kind when not in the file")
    status_map: dict[str, str] = Field(
        default_factory=dict,
        description="Status text -> pending, closed, reversed, rejected, or `skip` to leave the row out",
    )
    type_map: dict[str, str] = Field(
        default_factory=dict, description="Type text -> a transaction type, or `skip` to leave the row out"
    )
    columns: Columns = Field(description="Which header holds what")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value.lower() not in ENCODINGS:
            raise ValueError(f"unknown encoding {value!r}; one of {', '.join(sorted(ENCODINGS))}")
        return value.lower()

    @field_validator("default_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not is_currency(value):
            raise ValueError("must be an ISO 4217 currency code")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CsvMapping:
        c = self.columns
        if c.amount is None and (c.debit is None or c.credit is None):
            raise ValueError("columns need `amount`, or both `debit` and `credit`")
        if self.kind == "card_payments" and c.card_number is None:
            raise ValueError("card payment mappings need a `card_number` column")
        bad = {k: v for k, v in self.status_map.items() if v not in (*CARD_STATUSES, "skip")}
        if bad:
            raise ValueError(f"status_map values must be one of {', '.join(CARD_STATUSES)} or skip: {bad}")
        bad = {k: v for k, v in self.type_map.items() if v not in (*TRANSACTION_TYPES, "skip")}
        if bad:
            raise ValueError(f"type_map values must be transaction types or skip: {bad}")
        return self


def shipped_mappings() -> dict[str, CsvMapping]:
    """The mappings that ship with expensehub, by name."""
    out: dict[str, CsvMapping] = {}
    for entry in sorted(resources.files("expensehub.banking").joinpath("mappings").iterdir(), key=str):
        if entry.name.endswith(".json"):
            mapping = CsvMapping.model_validate_json(entry.read_text(encoding="utf-8"))
            out[mapping.name] = mapping
    return out


def load_mapping(text: str) -> CsvMapping:
    """A mapping from its JSON or YAML text (422 ``invalid_mapping`` naming what is wrong)."""
    try:
        if text.lstrip().startswith("{"):
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text)
    except Exception as exc:  # any parse error of the mapping is the caller's input error
        raise ValidationFailed(
            "invalid mapping", fields={"mapping": [f"not valid JSON or YAML: {exc}"]}, code="invalid_mapping"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "invalid mapping", fields={"mapping": ["must be a JSON or YAML object"]}, code="invalid_mapping"
        )
    try:
        return CsvMapping.model_validate(raw)
    except ValidationError as exc:
        messages = [f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors()]
        raise ValidationFailed(
            "invalid mapping", fields={"mapping": messages}, code="invalid_mapping"
        ) from None


def resolve_mapping(name_or_json: str | None) -> CsvMapping:
    """A shipped mapping by name, or a custom one given as JSON or YAML text."""
    if name_or_json is None or not name_or_json.strip():
        raise ValidationFailed(
            "a CSV feed needs a mapping",
            fields={"mapping": [f"give a mapping: one of {', '.join(shipped_mappings())} or a JSON mapping"]},
            code="mapping_required",
        )
    text = name_or_json.strip()
    shipped = shipped_mappings()
    if text in shipped:
        return shipped[text]
    if text.startswith("{") or "\n" in text or ": " in text:
        return load_mapping(text)
    raise ValidationFailed(
        "unknown mapping",
        fields={"mapping": [f"unknown mapping {text!r}; shipped: {', '.join(shipped)}"]},
        code="unknown_mapping",
    )


def _date(text: str, fmt: str, where: str) -> datetime:
    try:
        value = datetime.strptime(text.strip(), fmt)
    except ValueError:
        raise MalformedFeed(where, f"{text.strip()!r} does not match the date format {fmt!r}") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_csv(data: bytes, mapping: CsvMapping, *, account_currency: str) -> ParsedFeed:
    """The rows of a CSV export read through ``mapping``; amounts without a currency are the account's."""
    try:
        text = data.decode(mapping.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MalformedFeed(f"line {line}", f"not valid {mapping.encoding} text") from None
    except UnicodeError:
        raise MalformedFeed("", f"not valid {mapping.encoding} text") from None
    if "\x00" in text:
        raise MalformedFeed("", "the file contains NUL bytes: not a text CSV")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise MalformedFeed("line 1", "empty file: no header row") from None
    except csv.Error as exc:
        raise MalformedFeed("line 1", f"not a CSV header ({exc})") from None
    names = [h.strip() for h in header]
    index: dict[str, int] = {}
    for key, column in mapping.columns.model_dump().items():
        if column is None:
            continue
        if column not in names:
            raise MalformedFeed("line 1 (header)", f"column {column!r} ({key}) not found; header has {names}")
        index[key] = names.index(column)
    feed = ParsedFeed(format="csv")
    card = mapping.kind == "card_payments"
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise MalformedFeed(f"line {reader.line_num}", f"broken CSV row ({exc})") from None
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise MalformedFeed(f"line {line}", f"more than {MAX_ROWS} rows; split the file")
        if len(row) != len(names):
            raise MalformedFeed(f"line {line}", f"{len(row)} fields where the header has {len(names)}")
        entry = _row(row, line, index, mapping, card, account_currency, feed)
        if entry is not None:
            feed.entries.append(entry)
    return feed


def _row(
    row: list[str],
    line: int,
    index: dict[str, int],
    mapping: CsvMapping,
    card: bool,
    account_currency: str,
    feed: ParsedFeed,
) -> FeedEntry | None:
    def cell(key: str) -> str | None:
        i = index.get(key)
        if i is None:
            return None
        value = row[i].strip()
        return value or None

    def where(key: str) -> str:
        return f"line {line}, column {getattr(mapping.columns, key)!r}"

    def translated(key: str, table: dict[str, str]) -> str | None:
        """The cell ``key`` translated by the mapping's ``{key}_map`` (``None`` without a cell or a map);
        ``"skip"`` (recorded as a rejected row) when the mapping leaves the row out."""
        text = cell(key)
        if text is None or not table:
            return None
        value = table.get(text)
        if value is None:
            raise MalformedFeed(where(key), f"{key} {text!r} is not in the mapping's {key}_map")
        if value == "skip":
            feed.rejected.append((line, f"{key} {text!r} is skipped by the mapping"))
        return value

    status = translated("status", mapping.status_map)
    if status == "skip":
        return None
    tx_type = translated("type", mapping.type_map)
    if tx_type == "skip":
        return None
    status = status or "closed"

    currency_text = cell("currency")
    currency = (
        check_currency(currency_text, where("currency"))
        if currency_text
        else (mapping.default_currency or account_currency)
    )
    decimal, thousands = mapping.decimal_separator, mapping.thousands_separator
    if mapping.columns.amount is not None:
        raw = cell("amount")
        if raw is None:
            raise MalformedFeed(where("amount"), "missing amount")
        amount = parse_amount(raw, currency, where("amount"), decimal=decimal, thousands=thousands)
        if mapping.spend_sign == "positive":
            amount = -amount
    else:
        debit, credit = cell("debit"), cell("credit")
        if (debit is None) == (credit is None):
            raise MalformedFeed(
                where("debit"), "exactly one of the debit and credit columns must hold an amount"
            )
        if debit is not None:
            amount = -abs(parse_amount(debit, currency, where("debit"), decimal=decimal, thousands=thousands))
        else:
            amount = abs(
                parse_amount(credit or "", currency, where("credit"), decimal=decimal, thousands=thousands)
            )

    date_text = cell("date")
    if date_text is None:
        raise MalformedFeed(where("date"), "missing date")
    booked = _date(date_text, mapping.date_format, where("date"))
    value_text = cell("value_date")
    value_at = _date(value_text, mapping.date_format, where("value_date")) if value_text else None

    merchant_amount: int | None = None
    merchant_currency: str | None = None
    m_amount, m_currency = cell("merchant_amount"), cell("merchant_currency")
    if m_amount is not None or m_currency is not None:
        if m_amount is None or m_currency is None:
            key = "merchant_amount" if m_amount is None else "merchant_currency"
            raise MalformedFeed(where(key), "the original amount needs both its amount and currency")
        merchant_currency = check_currency(m_currency, where("merchant_currency"))
        value = parse_amount(
            m_amount, merchant_currency, where("merchant_amount"), decimal=decimal, thousands=thousands
        )
        merchant_amount = abs(value) if amount > 0 else -abs(value)
    rate_text = cell("exchange_rate")
    rate = parse_rate(rate_text, where("exchange_rate")) if rate_text else None
    if rate is not None and merchant_amount is None and merchant_currency is None:
        rate = None  # a rate without the original amount says nothing usable
    if merchant_amount is None and rate is not None and merchant_currency is not None:
        original = (Decimal(amount).scaleb(-exponent(currency)) / rate).scaleb(exponent(merchant_currency))
        merchant_amount = check_minor(
            int(original.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), where("exchange_rate")
        )

    last4: str | None = None
    if card:
        number = cell("card_number")
        last4 = last4_of(number)
        if last4 is None:
            raise MalformedFeed(where("card_number"), f"{number!r} does not end in four digits")
    balance_text = cell("balance")
    balance = (
        parse_amount(balance_text, currency, where("balance"), decimal=decimal, thousands=thousands)
        if balance_text
        else None
    )
    description = cell("description")
    if tx_type is None:
        if card:
            tx_type = "card_payment" if amount < 0 else "card_refund"
        else:
            tx_type = "outgoing" if amount < 0 else "incoming"
    return FeedEntry(
        line=line,
        kind="card_payment" if card else "transaction",
        booked_at=booked,
        amount=amount,
        currency=currency,
        external_id=cell("external_id"),
        value_at=value_at,
        description=description,
        merchant_name=cell("merchant_name") or description,
        merchant_amount=merchant_amount,
        merchant_currency=merchant_currency,
        exchange_rate=rate,
        card_last4=last4,
        card_type=(cell("card_type") or mapping.default_card_type)[:24] if card else None,
        status=status,
        tx_type=tx_type,
        balance_after=balance,
    )

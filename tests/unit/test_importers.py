"""Feed parsers on real-format sample files (tests/data/feeds), including malformed and hostile ones."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from expensehub.banking.importers import MalformedFeed, detect_format, last4_of, parse_amount
from expensehub.banking.importers.camt053 import parse_camt053
from expensehub.banking.importers.csv import (
    CsvMapping,
    load_mapping,
    parse_csv,
    resolve_mapping,
    shipped_mappings,
)
from expensehub.banking.importers.ofx import parse_ofx
from expensehub.errors import ValidationFailed

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"


def read(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


# --- CAMT.053 ---------------------------------------------------------------------------------------


def test_camt053_statement_entries() -> None:
    feed = parse_camt053(read("camt053_statement.xml"))
    assert feed.format == "camt053"
    assert (feed.closing_balance, feed.available_balance, feed.balance_currency) == (1330845, 1325000, "EUR")
    assert feed.balance_at == datetime(2026, 3, 5, tzinfo=UTC)
    amazon, hilton, transfer, fee, uber = feed.entries
    assert (amazon.kind, amazon.with_transaction, amazon.amount, amazon.card_last4) == (
        "card_payment",
        True,
        -4290,
        "1234",
    )
    assert amazon.external_id == "2026030200001"
    assert amazon.merchant_name == "AMZN Mktp DE*2K4LX91"
    assert amazon.account_ref == "ES9121000418450200051332"
    assert (hilton.merchant_amount, hilton.merchant_currency, hilton.exchange_rate) == (
        -10000,
        "USD",
        Decimal("0.9348"),
    )
    assert hilton.card_last4 == "1234"  # from a masked PAN with spaces
    assert (transfer.kind, transfer.amount, transfer.tx_type) == ("transaction", 100000, "incoming_transfer")
    assert transfer.merchant_name == "Cliente Ejemplo SA"
    assert (fee.amount, fee.tx_type, fee.description) == (-450, "fees", "Account maintenance fee")
    # A pending card entry is a pending card payment, not yet a bank transaction.
    assert (uber.status, uber.with_transaction, uber.card_last4) == ("pending", False, "5678")
    assert feed.rejected == [(123, "entry not booked (status INFO)")]


def test_camt053_version_02_plain_status_and_no_reference() -> None:
    feed = parse_camt053(read("camt053_overlap_v02.xml"))
    fee, uber, refund, parking = feed.entries
    assert fee.external_id == "2026030500003"
    assert (uber.status, uber.with_transaction) == ("closed", True)
    assert (refund.amount, refund.tx_type, refund.external_id) == (1230, "card_refund", None)
    assert refund.merchant_name == "AMZN Mktp DE"  # the debtor of a credit
    assert (parking.kind, parking.tx_type, parking.amount) == ("transaction", "outgoing", -1400)
    assert parking.account_ref == "ES9121000418450200051332"  # spaces in the IBAN removed


@pytest.mark.parametrize(
    ("name", "where", "problem"),
    [
        ("camt053_billion_laughs.xml", "line 2", "document type declarations"),
        ("camt053_xxe.xml", "line 2", "document type declarations"),
        ("camt053_bad_amount.xml", "line 62, element Amt", "'93,4B' is not an amount"),
        ("camt053_missing_currency.xml", "line 84, element Amt", "missing Ccy attribute"),
        ("camt053_not_wellformed.xml", "line 101, column 9", "not well-formed"),
        ("camt052_report.xml", "line 2, element Document", "not a CAMT.053 statement"),
    ],
)
def test_camt053_malformed_or_hostile_files_are_refused_with_the_place(
    name: str, where: str, problem: str
) -> None:
    with pytest.raises(MalformedFeed) as info:
        parse_camt053(read(name))
    assert info.value.where.startswith(where)
    assert problem in info.value.problem
    assert info.value.fields == {"file": [f"{info.value.where}: {info.value.problem}"]}


def test_camt053_entry_checks() -> None:
    base = read("camt053_statement.xml").decode()
    bad_indicator = base.replace(
        "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts><Cd>BOOK</Cd></Sts>",
        "<CdtDbtInd>XXXX</CdtDbtInd>\n        <Sts><Cd>BOOK</Cd></Sts>",
        1,
    )
    with pytest.raises(MalformedFeed, match="must be CRDT or DBIT"):
        parse_camt053(bad_indicator.encode())
    bad_date = base.replace(
        "<BookgDt><Dt>2026-03-04</Dt></BookgDt>", "<BookgDt><Dt>04/03/2026</Dt></BookgDt>"
    )
    with pytest.raises(MalformedFeed, match="is not a date"):
        parse_camt053(bad_date.encode())
    negative = base.replace('<Amt Ccy="EUR">4.50</Amt>', '<Amt Ccy="EUR">-4.50</Amt>')
    with pytest.raises(MalformedFeed, match="CdtDbtInd"):
        parse_camt053(negative.encode())
    unknown_ccy = base.replace('<Amt Ccy="EUR">4.50</Amt>', '<Amt Ccy="XYZ">4.50</Amt>')
    with pytest.raises(MalformedFeed, match="ISO 4217"):
        parse_camt053(unknown_ccy.encode())
    too_precise = base.replace('<Amt Ccy="EUR">4.50</Amt>', '<Amt Ccy="EUR">4.505</Amt>')
    with pytest.raises(MalformedFeed, match="more decimals"):
        parse_camt053(too_precise.encode())


@pytest.mark.parametrize(
    ("prolog", "problem"),
    [
        ('<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">\n', "document type declarations"),
        (
            '<!DOCTYPE Document [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n',
            "document type declarations",
        ),
        ("<!DOCTYPE Document>\n", "document type declarations"),
    ],
)
def test_every_form_of_dtd_is_refused_on_its_line(prolog: str, problem: str) -> None:
    data = f'<?xml version="1.0"?>\n{prolog}<Document><BkToCstmrStmt/></Document>'.encode()
    with pytest.raises(MalformedFeed) as info:
        parse_camt053(data)
    assert (info.value.where, problem in info.value.problem) == ("line 2", True)


def test_an_undefined_entity_is_refused_with_line_and_column() -> None:
    with pytest.raises(MalformedFeed) as info:
        parse_camt053(b'<?xml version="1.0"?>\n<Document>\n  <x>&passwd;</x></Document>')
    assert info.value.where == "line 3, column 6"
    assert "undefined entity" in info.value.problem


def test_xml_nesting_is_bounded() -> None:
    deep = "<Document>" + "<a>" * 200 + "</a>" * 200 + "</Document>"
    with pytest.raises(MalformedFeed, match="nested deeper"):
        parse_camt053(deep.encode())


# --- OFX ----------------------------------------------------------------------------------------------


def test_ofx_1_sgml_bank_statement() -> None:
    feed = parse_ofx(read("ofx_bank_v1.ofx"))
    assert [e.kind for e in feed.entries] == ["transaction"] * 4
    pos, xfer, fee, debit = feed.entries
    assert (pos.amount, pos.tx_type, pos.external_id) == (-4290, "card_payment", "OFX-20260302-01")
    assert (xfer.tx_type, xfer.booked_at) == ("incoming_transfer", datetime(2026, 3, 4, 11, tzinfo=UTC))
    assert xfer.description == "Cliente Ejemplo SA Invoice INV-2026-0042 & co"  # &amp; decoded
    assert (fee.tx_type, debit.tx_type) == ("fees", "outgoing")
    assert pos.account_ref == "450200051332"
    assert (feed.closing_balance, feed.available_balance) == (1333551, 1330000)


def test_ofx_2_credit_card_statement() -> None:
    feed = parse_ofx(read("ofx_creditcard_v2.ofx"))
    hotel, uber, refund = feed.entries
    assert {e.kind for e in feed.entries} == {"card_payment"}
    assert {e.card_last4 for e in feed.entries} == {"4321"}
    assert (hotel.amount, hotel.merchant_amount, hotel.merchant_currency) == (-9348, -10000, "USD")
    # DTUSER (the purchase, 19:30 EST) is the card payment's time.
    assert hotel.booked_at == datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    assert (uber.description, refund.tx_type) == ("UBER *TRIP HELP.UBER.COM", "card_refund")
    assert feed.closing_balance == -9938


def test_ofx_amounts_may_use_a_decimal_comma() -> None:
    # OFX 1.6 and 2.x, "Amounts": the fractional part starts at a decimal point or a comma.
    data = (
        read("ofx_bank_v1.ofx")
        .replace(b"<TRNAMT>-42.90", b"<TRNAMT>-42,90")
        .replace(b"<BALAMT>13335.51", b"<BALAMT>13335,51")
    )
    feed = parse_ofx(data)
    assert feed.entries[0].amount == -4290
    assert feed.closing_balance == 1333551
    with pytest.raises(MalformedFeed, match="is not an amount"):
        parse_ofx(read("ofx_bank_v1.ofx").replace(b"<TRNAMT>-42.90", b"<TRNAMT>-4,2.90"))


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("ofx_bad_date.ofx", "is not an OFX date"),
        ("ofx_unclosed.ofx", "does not close"),
        ("ofx_doctype.ofx", "document type declarations"),
    ],
)
def test_ofx_malformed_files_are_refused(name: str, problem: str) -> None:
    with pytest.raises(MalformedFeed) as info:
        parse_ofx(read(name))
    assert problem in info.value.problem
    assert info.value.where.startswith("line ")


def test_ofx_without_header_or_statement() -> None:
    with pytest.raises(MalformedFeed, match="missing OFX header"):
        parse_ofx(b"<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>")
    with pytest.raises(MalformedFeed, match="no bank"):
        parse_ofx(b"OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>")
    with pytest.raises(MalformedFeed, match="unknown transaction type"):
        parse_ofx(
            read("ofx_bank_v1.ofx")
            .replace(b"<TRNTYPE>FEE", b"<TRNTYPE>BOGUS")
            .replace(b"<TRNTYPE>SRVCHG", b"<TRNTYPE>BOGUS")
        )


# --- CSV ----------------------------------------------------------------------------------------------


def test_shipped_mappings_load() -> None:
    mappings = shipped_mappings()
    assert set(mappings) == {"card-issuer-export", "bank-debit-credit-eu"}
    assert mappings["card-issuer-export"].kind == "card_payments"
    assert mappings["bank-debit-credit-eu"].kind == "transactions"


def test_card_issuer_export() -> None:
    feed = parse_csv(
        read("card_issuer_export.csv"), shipped_mappings()["card-issuer-export"], account_currency="EUR"
    )
    assert [e.external_id for e in feed.entries] == [f"tx_01HV8K2M3{c}" for c in "NPQRST"]
    amazon, hilton, coffee, uber, refund, shell = feed.entries
    assert (amazon.amount, amazon.card_last4, amazon.booked_at) == (
        -4290,
        "1234",
        datetime(2026, 3, 2, 13, 45, 10, tzinfo=UTC),
    )
    assert (hilton.merchant_amount, hilton.merchant_currency, hilton.exchange_rate) == (
        -10000,
        "USD",
        Decimal("0.9348"),
    )
    assert coffee.merchant_name == "STARBUCKS 0423, MADRID"  # a quoted field with a comma
    assert (uber.status, refund.amount, refund.tx_type) == ("pending", 1230, "card_refund")
    assert shell.status == "rejected"
    assert feed.rejected == [(8, "status 'FAILED' is skipped by the mapping")]


def test_bank_debit_credit_eu() -> None:
    feed = parse_csv(
        read("bank_debit_credit_eu.csv"), shipped_mappings()["bank-debit-credit-eu"], account_currency="EUR"
    )
    amounts = [e.amount for e in feed.entries]
    assert amounts == [-4290, 100000, -450, -450]
    assert [e.balance_after for e in feed.entries] == [1245710, 1345710, 1345260, 1344810]
    assert feed.entries[0].booked_at == datetime(2026, 3, 2, tzinfo=UTC)
    assert all(e.external_id is None for e in feed.entries)


@pytest.mark.parametrize(
    ("name", "where", "problem"),
    [
        ("card_issuer_export_bad_amount.csv", "line 4, column 'Amount'", "'-3.5O' is not an amount"),
        ("card_issuer_export_missing_column.csv", "line 1 (header)", "'Original Currency'"),
        ("card_issuer_export_ragged.csv", "line 5", "10 fields where the header has 11"),
    ],
)
def test_csv_malformed_rows_are_refused_with_line_and_column(name: str, where: str, problem: str) -> None:
    with pytest.raises(MalformedFeed) as info:
        parse_csv(read(name), shipped_mappings()["card-issuer-export"], account_currency="EUR")
    assert info.value.where == where
    assert problem in info.value.problem


def test_csv_other_refusals() -> None:
    mapping = shipped_mappings()["card-issuer-export"]
    text = read("card_issuer_export.csv").decode()
    with pytest.raises(MalformedFeed, match="not in the mapping's status_map"):
        parse_csv(text.replace(",PENDING", ",ON HOLD").encode(), mapping, account_currency="EUR")
    with pytest.raises(MalformedFeed, match="does not match the date format"):
        parse_csv(text.replace("2026-03-03 08:12:44", "03/03/2026").encode(), mapping, account_currency="EUR")
    with pytest.raises(MalformedFeed, match="four digits"):
        parse_csv(
            text.replace('**** **** **** 5678,"STARBUCKS', 'n/a,"STARBUCKS').encode(),
            mapping,
            account_currency="EUR",
        )
    with pytest.raises(MalformedFeed, match="not valid utf-8-sig"):
        parse_csv(b"Transaction ID,Date\n\xff\xfe", mapping, account_currency="EUR")
    with pytest.raises(MalformedFeed, match="NUL"):
        parse_csv(b"a,b\x00", mapping, account_currency="EUR")
    with pytest.raises(MalformedFeed, match="no header"):
        parse_csv(b"", mapping, account_currency="EUR")


def test_custom_yaml_mapping_with_a_type_map() -> None:
    mapping = load_mapping((FEEDS / "custom_mapping.yaml").read_text())
    feed = parse_csv(read("custom_bank.csv"), mapping, account_currency="EUR")
    assert [(e.external_id, e.tx_type, e.amount) for e in feed.entries] == [
        ("R1", "card_payment", -1000),
        ("R2", "fees", -100),
        ("R4", "outgoing_transfer", -25000),
    ]
    assert feed.rejected == [(4, "type 'MEMO' is skipped by the mapping")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON or YAML"),
        ("[1, 2]", "must be a JSON or YAML object"),
        ('{"name": "x", "kind": "card_payments", "columns": {"date": "D", "amount": "A"}}', "card_number"),
        ('{"name": "x", "kind": "transactions", "columns": {"date": "D"}}', "debit"),
        (
            '{"name": "x", "kind": "transactions", "columns": {"date": "D", "amount": "A"}, '
            '"status_map": {"X": "done"}}',
            "status_map",
        ),
        (
            '{"name": "x", "kind": "transactions", "columns": {"date": "D", "amount": "A", "colour": "C"}}',
            "colour",
        ),
        (
            '{"name": "x", "kind": "transactions", "encoding": "klingon", '
            '"columns": {"date": "D", "amount": "A"}}',
            "encoding",
        ),
    ],
)
def test_invalid_mappings_are_422_naming_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        load_mapping(text)
    assert info.value.code == "invalid_mapping"
    assert fragment in " ".join(info.value.fields["mapping"])


def test_resolve_mapping() -> None:
    assert isinstance(resolve_mapping("card-issuer-export"), CsvMapping)
    with pytest.raises(ValidationFailed) as info:
        resolve_mapping("no-such-bank")
    assert info.value.code == "unknown_mapping"
    with pytest.raises(ValidationFailed) as info:
        resolve_mapping(None)
    assert info.value.code == "mapping_required"


# --- helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "kw", "minor"),
    [
        ("12.30", "EUR", {}, 1230),
        ("12.30-", "EUR", {}, -1230),
        ("(12.30)", "EUR", {}, -1230),
        ("1.234,56", "EUR", {"decimal": ",", "thousands": "."}, 123456),
        ("1500", "JPY", {}, 1500),
        ("1.234", "KWD", {}, 1234),
    ],
)
def test_parse_amount(text: str, currency: str, kw: dict[str, str], minor: int) -> None:
    assert parse_amount(text, currency, "x", **kw) == minor


@pytest.mark.parametrize(
    ("text", "currency"), [("1.5", "JPY"), ("abc", "EUR"), ("NaN", "EUR"), ("1e30", "EUR")]
)
def test_parse_amount_refusals(text: str, currency: str) -> None:
    with pytest.raises(MalformedFeed):
        parse_amount(text, currency, "x")


def test_detect_format_and_last4() -> None:
    assert detect_format(read("camt053_statement.xml")) == "camt053"
    assert detect_format(read("ofx_bank_v1.ofx")) == "ofx"
    assert detect_format(read("ofx_creditcard_v2.ofx")) == "ofx"
    assert detect_format(read("card_issuer_export.csv")) == "csv"
    assert last4_of("5412 75** **** 1234") == "1234"
    assert last4_of("***") is None

"""CSV rendered by the database equals CSV shaped in Python, byte for byte, on SQLite and PostgreSQL.

The database renders CSV exports (``render="database"``, the default) for speed; the row-by-row Python
shaping (``render="python"``) is the reference. Every test here exports the same plan both ways and
compares the bytes and the summaries, over data built to break a renderer: quotes, delimiters, CR, LF,
tabs and backslashes in text and in codes, currencies with 0 and 3 decimals, several tax rates, three
cost centres in a chosen order, foreign currencies converted by Python, receipts signed by Python.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.exports import service
from expensehub.exports.columns import DATASETS
from expensehub.exports.templates import load_template, parse_template
from expensehub.finance import service as finance
from expensehub.webhooks.rules import Author
from tests.api.test_documents_api import PDF, uploaded
from tests.api.test_exports_api import claim
from tests.factories import ApiClient, Tenant
from tests.integration.test_exports_roundtrip import Data, _expense, _with_neighbour


def both(
    factory: sessionmaker[Session], company_id: int, receipt_url: Any = None, **kw: Any
) -> tuple[bytes, bytes, service.ExportSummary, service.ExportSummary]:
    """The export rendered by the database and by Python; asserts the database really rendered it."""
    out: dict[str, tuple[bytes, service.ExportSummary]] = {}
    for render in ("database", "python"):
        summary = service.ExportSummary()
        with transaction(factory) as s:
            plan = service.plan_export(
                s,
                company_id=company_id,
                dataset=kw.get("dataset", "expenses"),
                render=render,
                **{k: v for k, v in kw.items() if k != "dataset"},
            )
            if render == "database":
                assert service.database_text_columns(plan) is not None, "expected the database to render"
            body = b"".join(
                service.stream_export(s, plan, summary=summary, receipt_url=receipt_url, batch_size=2)
            )
        out[render] = (body, summary)
    return out["database"][0], out["python"][0], out["database"][1], out["python"][1]


def assert_same(factory: sessionmaker[Session], company_id: int, **kw: Any) -> bytes:
    db, py, db_summary, py_summary = both(factory, company_id, **kw)
    assert db == py
    assert (db_summary.rows, db_summary.totals, db_summary.max_updated_at) == (
        py_summary.rows,
        py_summary.totals,
        py_summary.max_updated_at,
    )
    return db


@pytest.fixture(scope="module")
def data(session_factory: sessionmaker[Session]) -> Data:
    from tests.factories import make_tenant

    d = _with_neighbour(session_factory, make_tenant(session_factory, name="Render Check SL"))
    cid, e1 = d.company_id, d.tenant.employee_ids[1]
    with transaction(session_factory) as s:
        # Codes that need quoting (the code-like columns are tested together, then one by one).
        odd = finance.create_cost_center(
            s, company_id=cid, name="Odd", code='CC,"9"', author=Author.company(cid)
        )
        tabbed = finance.create_cost_center(
            s, company_id=cid, name="Tab\tand\\slash", code=None, author=Author.company(cid)
        )
        d.ids["odd_codes"] = _expense(
            s,
            cid,
            employee_id=e1,
            effective_on="2026-03-15",
            amount=7,
            currency="EUR",
            description="back\\slash\ttab\rcr only",
            merchant_name="Ünïcødé 🚀 “quotes”",
            cost_centers=[
                {"cost_center_id": tabbed.id, "percentage": "0.75"},
                {"cost_center_id": odd.id, "percentage": "0.25"},
            ],
        )
        # A converted row (Python fills base_amount in at an offset) after text of every width: the
        # offset is in characters, which SQLite, PostgreSQL and Python must count alike.
        d.ids["fx_wide"] = _expense(
            s,
            cid,
            employee_id=e1,
            effective_on="2026-03-15",
            amount=98765,
            currency="USD",
            exchange_rate="0.9213",
            merchant_name='😀 Ünïcødé, "wide" 漢字',
            description="line one\r\nline two\ttab\\",
        )
        d.ids["bhd"] = _expense(
            s, cid, employee_id=e1, effective_on="2026-03-16", amount=5, currency="BHD", exchange_rate="2.5"
        )
        d.ids["jpy_big"] = _expense(
            s,
            cid,
            employee_id=e1,
            effective_on="2026-03-16",
            amount=123456789012,
            currency="JPY",
            exchange_rate="0.006123456789",
        )
    return d


def test_default_columns(session_factory: sessionmaker[Session], data: Data) -> None:
    body = assert_same(session_factory, data.company_id)
    text = body.decode()
    assert '"CC,""9"""' in text or '"Tab\tand\\slash|CC,""9"""' in text  # the odd codes, quoted
    assert "123456789012" in text  # JPY has no decimals
    assert "1234567890.12" not in text


def test_every_column_of_every_dataset(session_factory: sessionmaker[Session], data: Data) -> None:
    for dataset, columns in DATASETS.items():
        names = [c.name for c in columns if c.name != "cost_center_share"] + ["cost_center_share"] * (
            dataset == "expenses"
        )
        assert_same(session_factory, data.company_id, dataset=dataset, columns=names)


def test_filters(session_factory: sessionmaker[Session], data: Data) -> None:
    from datetime import date

    assert_same(
        session_factory,
        data.company_id,
        date_from=date(2026, 3, 10),
        date_to=date(2026, 3, 15),
        statuses=["draft", "paid"],
        types=["expense", "mileage"],
    )
    assert_same(session_factory, data.company_id, statuses=["rejected"])  # nothing: only the header


def test_template_formats(session_factory: sessionmaker[Session], data: Data) -> None:
    template = parse_template(
        {
            "delimiter": ";",
            "decimal_separator": ",",
            "bom": True,
            "columns": [
                {"column": "expensable_id", "header": "Beleg"},
                {"column": "document_amount", "header": "Betrag"},
                {"column": "exchange_rate", "header": "Kurs"},
                {"column": "base_amount", "header": "Basis"},
                {"header": 'Konstante; mit "Zeichen"', "value": 'S;"x"'},
                {"column": "merchant", "header": "Text", "max_length": 3},
                {"column": "description", "header": "Info", "max_length": 6},
                {"column": "cost_center", "header": "KOST"},
                {"column": "tax_rate", "header": "USt"},
            ],
        }
    )
    body = assert_same(session_factory, data.company_id, template=template)
    assert body.startswith("\ufeff".encode())


def test_odd_delimiters_and_truncated_numbers(session_factory: sessionmaker[Session], data: Data) -> None:
    # A "-" delimiter turns dates, negative numbers and ids' text into fields that need quoting; a
    # length limit cuts text (money included) but not a number.
    for delimiter in ("-", "|", "\t", " ", "%", "]", "^", "\\", "[", "*", "?", ";"):
        template = parse_template(
            {
                "delimiter": delimiter,
                "columns": [
                    {"column": "expensable_id", "max_length": 1},  # ids from 10 up: never cut
                    {"column": "reimbursable_amount", "max_length": 3},  # money text is cut
                    {"column": "effective_on"},
                    {"column": "updated_at"},
                    {"column": "document_amount"},
                    {"column": "exchange_rate"},
                    {"column": "cost_center"},
                    {"column": "description"},
                    {"header": "VAT", "value": "21% (a constant with %%, %s and \\)"},
                ],
            }
        )
        assert_same(session_factory, data.company_id, template=template)


def test_delimiter_inside_numbers_is_quoted(session_factory: sessionmaker[Session], data: Data) -> None:
    template = parse_template(
        {
            "delimiter": ",",
            "decimal_separator": ",",
            "columns": [{"column": "expensable_id"}, {"column": "document_amount"}, {"column": "tax_rate"}],
        }
    )
    body = assert_same(session_factory, data.company_id, template=template)
    assert '"100,01"' in body.decode()


def test_shipped_templates_use_the_reference_where_the_database_cannot(
    session_factory: sessionmaker[Session], data: Data
) -> None:
    # DATEV dates (%d%m) and split cost centres stay with Python; the output is the same either way.
    for name in ("generic-erp", "datev-bookings"):
        template = load_template(name)
        with transaction(session_factory) as s:
            plan = service.plan_export(s, company_id=data.company_id, dataset="expenses", template=template)
            fast = service.database_text_columns(plan) is not None
        if not fast:
            continue
        assert_same(session_factory, data.company_id, template=template)


def test_receipt_urls_are_signed_in_python(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    first = uploaded(api, PDF + b"% one")
    second = uploaded(api, PDF + b"% two")
    claim(
        api,
        tenant,
        document_ids=[first["id"], second["id"]],
        amount=1234,
        currency="GBP",
        exchange_rate="1.1",
    )
    claim(api, tenant, merchant_name="No receipt, here")
    claim(api, tenant, document_ids=[second["id"]])

    def url(company_id: int, document_id: int, sha: str) -> str:
        return f"https://files.example/{company_id}/{document_id}?sig={sha[:8]},x"  # a comma: quoted

    for columns in (
        None,
        ["receipt_url", "expensable_id"],
        ["base_amount", "merchant", "receipt_url"],
        ["receipt_url", "base_amount"],
    ):
        db, py, _, _ = both(session_factory, tenant.company_id, receipt_url=url, columns=columns)
        assert db == py
        assert b"https://files.example/" in db


def test_stopping_early_leaves_the_connection_usable(
    session_factory: sessionmaker[Session], data: Data
) -> None:
    """A client that goes away mid-download closes the stream: the COPY (PostgreSQL) or cursor (SQLite) ends
    and the same session keeps working."""
    from sqlalchemy import text

    with transaction(session_factory) as s:
        plan = service.plan_export(s, company_id=data.company_id, dataset="expenses")
        chunks = service.stream_export(s, plan, batch_size=1)
        assert next(chunks).startswith(b"expensable_id,")
        assert next(chunks)  # the first row
        chunks.close()  # type: ignore[attr-defined]
        assert s.execute(text("SELECT 1")).scalar() == 1
        again = b"".join(service.stream_export(s, plan))
    assert again.count(b"\r\n") > 3

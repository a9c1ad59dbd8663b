"""Export, read back (csv, json, openpyxl, pyarrow) and compare with the database, amount by amount."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.errors import NotFound, ValidationFailed
from expensehub.expenses import schemas as xs
from expensehub.expenses import service as expenses
from expensehub.exports import service
from expensehub.exports.templates import load_template, parse_template
from expensehub.finance import service as finance
from expensehub.kit.clock import utcnow
from expensehub.kit.money import EXPONENTS, convert
from expensehub.models import Expensable
from expensehub.projects import service as projects
from expensehub.webhooks.rules import Author
from tests.factories import Tenant, make_tenant


@dataclass
class Data:
    """Ids of a company's export test data, by name."""

    company_id: int
    tenant: Tenant
    ids: dict[str, int] = field(default_factory=dict)
    cc: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)


def _expense(s: Session, company_id: int, **body: Any) -> int:
    created = expenses.create_expense(
        s,
        company_id=company_id,
        body=xs.ExpenseCreate.model_validate(body),
        author=Author.company(company_id),
    )
    return int(created["expenses_expensable_id"])


def build_dataset(factory: sessionmaker[Session], tenant: Tenant) -> Data:
    """Claims in five currencies and three types, with taxes, cost-centre splits, ledger mappings."""
    cid, es, e1, e2 = tenant.company_id, tenant.le_es, tenant.employee_ids[1], tenant.employee_ids[2]
    data = Data(company_id=cid, tenant=tenant)
    with transaction(factory) as s:
        travel = finance.create_category(s, company_id=cid, identifier="travel", default_label="Travel")
        meals = finance.create_category(
            s, company_id=cid, identifier="meals", default_label="Meals", parent_category_id=travel.id
        )
        misc = finance.create_category(
            s, company_id=cid, identifier="misc", default_label="Misc", label="Other"
        )
        own = finance.create_account(
            s, company_id=cid, legal_entity_id=es, number="6000", type="expense", currency="EUR"
        )
        finance.upsert_ledger_account_resource(
            s,
            company_id=cid,
            legal_entity_id=es,
            resource_type="customcategory",
            resource_id=travel.id,
            number="6290",
        )
        project = projects.create_project(s, company_id=cid, name="Roadshow", code="P-1", legal_entity_id=es)
        for code, name in (("CC-A", "Sales"), ("CC-B", "Ops"), (None, "Research")):
            cc = finance.create_cost_center(
                s, company_id=cid, name=name, code=code, author=Author.company(cid)
            )
            data.cc[code or name] = cc.id
        data.accounts = {"own": own.id}
        common = {"employee_id": e1, "effective_on": "2026-03-10"}
        data.ids["eur_tax"] = _expense(
            s,
            cid,
            **common,
            amount=10001,
            currency="EUR",
            merchant_name='Café "Zürich", Bahnhof\nline 2',
            description="Lunch, team; offsite",
            category_id=travel.id,
            project_id=project.id,
            card={"card_type": "physical", "last4": "4242"},
            taxes=[{"percentage": "0.21", "amount": 1736, "base_amount": 8265}],
            cost_centers=[
                {"cost_center_id": data.cc["CC-A"], "percentage": "0.5"},
                {"cost_center_id": data.cc["CC-B"], "percentage": "0.3"},
                {"cost_center_id": data.cc["Research"], "percentage": "0.2"},
            ],
        )
        data.ids["gbp_up"] = _expense(
            s, cid, **common, amount=125, currency="GBP", exchange_rate="1.1", category_id=meals.id
        )
        data.ids["gbp_down"] = _expense(s, cid, **common, amount=135, currency="GBP", exchange_rate="1.1")
        data.ids["jpy"] = _expense(
            s,
            cid,
            **common,
            amount=1500,
            currency="JPY",
            exchange_rate="0.0061",
            taxes=[{"percentage": "0.1", "amount": 100}, {"percentage": "0.08", "amount": 40}],
        )
        data.ids["kwd"] = _expense(s, cid, **common, amount=1234, currency="KWD", exchange_rate="2.9789")
        data.ids["own_account"] = _expense(
            s,
            cid,
            **common,
            amount=5000,
            currency="EUR",
            category_id=travel.id,
            ledger_account_id=own.id,
            cost_center_ids=[data.cc["CC-A"]],
        )
        data.ids["gb_usd"] = _expense(
            s,
            cid,
            employee_id=e2,
            effective_on="2026-03-12",
            amount=2000,
            currency="USD",
            exchange_rate="0.79",
        )
        data.ids["misc"] = _expense(s, cid, **common, amount=1, currency="EUR", category_id=misc.id)
        mileage = expenses.create_mileage(
            s,
            company_id=cid,
            body=xs.MileageCreate.model_validate(
                {"employee_id": e1, "effective_on": "2026-03-11", "mileage": 10, "rate": "0.26"}
            ),
            author=Author.company(cid),
        )
        data.ids["mileage"] = int(mileage["expenses_expensable_id"])
        per_diem = expenses.create_per_diem(
            s,
            company_id=cid,
            body=xs.PerDiemCreate.model_validate(
                {
                    "employee_id": e1,
                    "effective_on": "2026-03-20",
                    "amount": 3000,
                    "start_date": "2026-03-18",
                    "end_date": "2026-03-20",
                    "trip_name": "Berlin",
                }
            ),
            author=Author.company(cid),
        )
        data.ids["per_diem"] = int(per_diem["expenses_expensable_id"])
    # Approve two claims and pay one, through the real state machine.
    with transaction(factory) as s:
        expenses.submit(
            s,
            company_id=cid,
            ids=[data.ids["eur_tax"], data.ids["gbp_up"]],
            actor=expenses.Actor(),
            author=Author.company(cid),
        )
        for key in ("eur_tax", "gbp_up"):
            expenses.decide_resource(
                s,
                company_id=cid,
                resource_type="Expenses::Expensable",
                resource_id=data.ids[key],
                decision="approve",
                reason=None,
                api_base="http://test",
                author=Author.company(cid),
            )
        expenses.bulk_set_to_paid(s, company_id=cid, ids=[data.ids["eur_tax"]], author=Author.company(cid))
    return data


def _with_neighbour(factory: sessionmaker[Session], tenant: Tenant) -> Data:
    # Another company's claim exists too: it must never appear in this company's exports.
    other = make_tenant(factory, name="Other Export Co")
    with transaction(factory) as s:
        _expense(
            s,
            other.company_id,
            employee_id=other.employee_ids[1],
            effective_on="2026-03-10",
            amount=999,
            currency="EUR",
        )
    return build_dataset(factory, tenant)


@pytest.fixture(scope="module")
def data(session_factory: sessionmaker[Session]) -> Data:
    """One dataset per module and backend: the tests that use it only read it."""
    return _with_neighbour(session_factory, make_tenant(session_factory, name="Export Readers SL"))


@pytest.fixture
def fresh_data(session_factory: sessionmaker[Session], tenant: Tenant) -> Data:
    """A dataset of the test's own, for tests that change it."""
    return _with_neighbour(session_factory, tenant)


def export_bytes(
    factory: sessionmaker[Session], company_id: int, **kw: Any
) -> tuple[bytes, service.ExportSummary]:
    summary = service.ExportSummary()
    batch_size = kw.pop("batch_size", 3)
    with transaction(factory) as s:
        plan = service.plan_export(s, company_id=company_id, dataset=kw.pop("dataset", "expenses"), **kw)
        body = b"".join(service.stream_export(s, plan, summary=summary, batch_size=batch_size))
    return body, summary


def db_claims(factory: sessionmaker[Session], company_id: int) -> dict[int, Expensable]:
    with transaction(factory) as s:
        rows = s.scalars(select(Expensable).where(Expensable.company_id == company_id)).all()
        return {x.id: x for x in rows}


def db_totals(factory: sessionmaker[Session], company_id: int) -> dict[str, int]:
    with transaction(factory) as s:
        rows = s.execute(
            select(Expensable.currency, func.sum(Expensable.amount))
            .where(Expensable.company_id == company_id)
            .group_by(Expensable.currency)
        ).all()
        return {cur: int(total) for cur, total in rows}


def minor(text: str, currency: str, sep: str = ".") -> int:
    value = Decimal(text.replace(sep, "."))
    return int(value.scaleb(EXPONENTS[currency]))


def read_csv(body: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert "\r\n" in text, "RFC 4180 line ends"
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_csv_round_trip_amount_by_amount(session_factory: sessionmaker[Session], data: Data) -> None:
    body, summary = export_bytes(session_factory, data.company_id, fmt="csv")
    rows = read_csv(body)
    claims = db_claims(session_factory, data.company_id)
    assert [int(r["expensable_id"]) for r in rows] == sorted(claims)
    for r in rows:
        x = claims[int(r["expensable_id"])]
        assert r["type"] == x.type
        assert r["approval_status"] == x.status
        assert r["currency"] == x.currency
        assert minor(r["document_amount"], x.currency) == x.amount
        assert minor(r["reimbursable_amount"], x.reimbursable_currency or x.currency) == x.reimbursable_amount
        assert r["effective_on"] == x.effective_on.isoformat()  # type: ignore[union-attr]
        assert (
            r["updated_at"]
            == x.updated_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{x.updated_at.microsecond // 1000:03d}Z"
        )
    assert summary.rows == len(rows) == len(claims)
    assert summary.totals == db_totals(session_factory, data.company_id)
    file_totals: dict[str, int] = {}
    for r in rows:
        file_totals[r["currency"]] = file_totals.get(r["currency"], 0) + minor(
            r["document_amount"], r["currency"]
        )
    assert file_totals == db_totals(session_factory, data.company_id)


def test_reconciliation_fields(session_factory: sessionmaker[Session], data: Data) -> None:
    tenant = data.tenant
    rows = {int(r["expensable_id"]): r for r in read_csv(export_bytes(session_factory, data.company_id)[0])}
    eur = rows[data.ids["eur_tax"]]
    assert eur["merchant"] == 'Café "Zürich", Bahnhof\nline 2'
    assert eur["description"] == "Lunch, team; offsite"
    assert (eur["document_amount"], eur["currency"], eur["exchange_rate"], eur["base_amount"]) == (
        "100.01",
        "EUR",
        "1",
        "100.01",
    )
    assert (eur["tax_amount"], eur["tax_base_amount"], eur["tax_rate"]) == ("17.36", "82.65", "0.21")
    assert eur["accounting_account_code"] == "6290"  # the category's mapping
    assert eur["project_code"] == "P-1"
    assert eur["cost_center"] == "CC-A|CC-B|Research"
    assert eur["card_last4"] == "4242"
    assert eur["approval_status"] == "paid"
    assert eur["approved_at"]
    assert eur["paid_at"]
    assert eur["employee_name"] == "Luis Pérez"
    assert eur["legal_entity_name"].endswith("España SL")
    # Half-even, once: 1.25 GBP x 1.1 = 1.375 EUR -> 1.38 (137.5 -> 138); 1.35 x 1.1 = 1.485 -> 1.48.
    assert (rows[data.ids["gbp_up"]]["base_amount"], rows[data.ids["gbp_up"]]["base_currency"]) == (
        "1.38",
        "EUR",
    )
    assert rows[data.ids["gbp_down"]]["base_amount"] == "1.48"
    assert rows[data.ids["gbp_up"]]["accounting_account_code"] == "6290"  # the parent category's mapping
    assert rows[data.ids["gbp_down"]]["accounting_account_code"] == ""
    # Currency exponents: JPY 0 decimals, KWD 3.
    jpy = rows[data.ids["jpy"]]
    assert (jpy["document_amount"], jpy["base_amount"], jpy["exchange_rate"]) == ("1500", "9.15", "0.0061")
    assert (jpy["tax_amount"], jpy["tax_rate"]) == ("140", "")  # two rates: no single rate
    kwd = rows[data.ids["kwd"]]
    assert (kwd["document_amount"], kwd["base_amount"]) == ("1.234", "3.68")
    assert rows[data.ids["own_account"]]["accounting_account_code"] == "6000"  # own account wins
    gb = rows[data.ids["gb_usd"]]
    assert (gb["base_amount"], gb["base_currency"], gb["legal_entity_id"]) == (
        "15.80",
        "GBP",
        str(tenant.le_gb),
    )
    assert rows[data.ids["mileage"]]["type"] == "mileage"
    assert rows[data.ids["mileage"]]["exchange_rate"] == "1"
    assert rows[data.ids["per_diem"]]["type"] == "perdiem"
    assert rows[data.ids["misc"]]["category"] == "Other"
    for key in ("gbp_up", "gbp_down", "jpy", "kwd", "gb_usd"):
        r = rows[data.ids[key]]
        expected = convert(
            minor(r["document_amount"], r["currency"]),
            r["currency"],
            Decimal(r["exchange_rate"]),
            r["base_currency"],
        )
        assert minor(r["base_amount"], r["base_currency"]) == expected


def test_split_cost_centres_sum_exactly(session_factory: sessionmaker[Session], data: Data) -> None:
    body, summary = export_bytes(
        session_factory,
        data.company_id,
        columns=[
            "expensable_id",
            "document_amount",
            "currency",
            "base_amount",
            "tax_amount",
            "cost_center",
            "cost_center_share",
        ],
        cost_centers="split",
    )
    rows = read_csv(body)
    parts = [r for r in rows if int(r["expensable_id"]) == data.ids["eur_tax"]]
    # 100.01 EUR by 0.5 / 0.3 / 0.2 = 50.005, 30.003, 20.002: the largest remainder gets the cent.
    assert [(r["cost_center"], r["cost_center_share"], r["document_amount"]) for r in parts] == [
        ("CC-A", "0.5", "50.01"),
        ("CC-B", "0.3", "30.00"),
        ("Research", "0.2", "20.00"),
    ]
    assert sum(minor(r["tax_amount"], "EUR") for r in parts) == 1736
    assert sum(minor(r["base_amount"], "EUR") for r in parts) == 10001
    single = [r for r in rows if int(r["expensable_id"]) == data.ids["own_account"]]
    assert [(r["cost_center"], r["cost_center_share"]) for r in single] == [("CC-A", "1")]
    assert summary.rows == len(rows) == summary.source_rows + 2
    assert summary.totals == db_totals(session_factory, data.company_id)


def test_xlsx_round_trip(session_factory: sessionmaker[Session], data: Data, tmp_path: Path) -> None:
    body, _ = export_bytes(session_factory, data.company_id, fmt="xlsx")
    path = tmp_path / "e.xlsx"
    path.write_bytes(body)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None
    assert ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    assert ws.column_dimensions["A"].width
    assert ws.column_dimensions["A"].width > 8
    claims = db_claims(session_factory, data.company_id)
    seen = 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        x = claims[int(row[col["expensable_id"]])]
        exp = EXPONENTS[x.currency]
        assert round(Decimal(str(row[col["document_amount"]])).scaleb(exp)) == x.amount
        assert row[col["effective_on"]] == datetime.combine(x.effective_on, datetime.min.time())  # type: ignore[arg-type]
        assert isinstance(row[col["created_at"]], datetime)
        seen += 1
    assert seen == len(claims)
    amount_cell = ws.cell(row=2, column=col["document_amount"] + 1)
    assert "0" in amount_cell.number_format
    assert ws.cell(row=2, column=col["effective_on"] + 1).number_format == "yyyy-mm-dd"


def test_parquet_round_trip_typed(session_factory: sessionmaker[Session], data: Data, tmp_path: Path) -> None:
    body, _ = export_bytes(session_factory, data.company_id, fmt="parquet")
    path = tmp_path / "e.parquet"
    path.write_bytes(body)
    table = pq.read_table(path)
    schema = table.schema
    assert str(schema.field("document_amount").type) == "int64"
    assert str(schema.field("exchange_rate").type) == "decimal128(28, 12)"
    assert str(schema.field("effective_on").type) == "date32[day]"
    assert str(schema.field("paid_at").type) == "timestamp[ms, tz=UTC]"
    assert schema.field("base_amount").metadata[b"currency_column"] == b"base_currency"
    claims = db_claims(session_factory, data.company_id)
    rows = table.to_pylist()
    assert len(rows) == len(claims)
    totals: dict[str, int] = {}
    for r in rows:
        x = claims[r["expensable_id"]]
        assert r["document_amount"] == x.amount
        assert r["reimbursable_amount"] == x.reimbursable_amount
        assert r["effective_on"] == x.effective_on
        totals[r["currency"]] = totals.get(r["currency"], 0) + r["document_amount"]
    assert totals == db_totals(session_factory, data.company_id)
    by_id = {r["expensable_id"]: r for r in rows}
    assert by_id[data.ids["kwd"]]["exchange_rate"] == Decimal("2.9789")
    assert by_id[data.ids["kwd"]]["base_amount"] == 368
    assert by_id[data.ids["eur_tax"]]["paid_at"].tzinfo is not None


def test_jsonl_round_trip(session_factory: sessionmaker[Session], data: Data) -> None:
    body, _ = export_bytes(session_factory, data.company_id, fmt="jsonl")
    rows = [json.loads(line) for line in body.decode().splitlines()]
    claims = db_claims(session_factory, data.company_id)
    assert len(rows) == len(claims)
    for r in rows:
        x = claims[r["expensable_id"]]
        assert isinstance(r["expensable_id"], int)
        assert isinstance(r["document_amount"], str)
        assert minor(r["document_amount"], x.currency) == x.amount
        assert list(r)[:3] == ["expensable_id", "detail_id", "type"]
    assert any(r["receipt_url"] is None for r in rows)


def test_formats_carry_the_same_rows(
    session_factory: sessionmaker[Session], data: Data, tmp_path: Path
) -> None:
    csv_rows = read_csv(export_bytes(session_factory, data.company_id, fmt="csv")[0])
    jsonl = export_bytes(session_factory, data.company_id, fmt="jsonl")[0]
    json_rows = [json.loads(line) for line in jsonl.decode().splitlines()]
    for c, j in zip(csv_rows, json_rows, strict=True):
        assert {k: v or None for k, v in c.items()} == {
            k: (str(v) if isinstance(v, int) else v) for k, v in j.items()
        }


def test_filters(session_factory: sessionmaker[Session], data: Data) -> None:
    tenant = data.tenant

    def ids(**kw: Any) -> set[int]:
        return {
            int(r["expensable_id"]) for r in read_csv(export_bytes(session_factory, data.company_id, **kw)[0])
        }

    everything = set(data.ids.values())
    assert ids() == everything
    assert ids(date_from=date(2026, 3, 11), date_to=date(2026, 3, 12)) == {
        data.ids["mileage"],
        data.ids["gb_usd"],
    }
    assert ids(date_from=date(2026, 3, 20), date_to=date(2026, 3, 20)) == {data.ids["per_diem"]}
    assert ids(statuses=["paid"]) == {data.ids["eur_tax"]}
    assert ids(statuses=["approved", "paid"]) == {data.ids["eur_tax"], data.ids["gbp_up"]}
    assert ids(types=["mileage", "perdiem"]) == {data.ids["mileage"], data.ids["per_diem"]}
    assert ids(employee_ids=[tenant.employee_ids[2]]) == {data.ids["gb_usd"]}
    assert ids(legal_entity_ids=[tenant.le_gb]) == {data.ids["gb_usd"]}
    assert ids(employee_ids=[999_999_999]) == set()
    future = datetime.now(UTC) + timedelta(days=1)
    assert ids(updated_since=future) == set()
    assert ids(updated_since=datetime(2000, 1, 1, tzinfo=UTC)) == everything


def test_incremental_export_continues_where_the_last_stopped(
    session_factory: sessionmaker[Session], fresh_data: Data
) -> None:
    def run() -> set[int]:
        with transaction(session_factory) as s:
            after = service.checkpoint_since(
                s, company_id=fresh_data.company_id, dataset="expenses", name="erp"
            )
        body, summary = export_bytes(session_factory, fresh_data.company_id, updated_after=after)
        with transaction(session_factory) as s:
            service.save_checkpoint(
                s, company_id=fresh_data.company_id, dataset="expenses", name="erp", summary=summary
            )
        return {int(r["expensable_id"]) for r in read_csv(body)}

    assert run() == set(fresh_data.ids.values())
    assert run() == set()
    with transaction(session_factory) as s:  # one claim changes later
        s.execute(
            update(Expensable)
            .where(Expensable.id == fresh_data.ids["kwd"])
            .values(updated_at=utcnow() + timedelta(seconds=5))
        )
    assert run() == {fresh_data.ids["kwd"]}
    assert run() == set()


def test_template_shapes_the_file(session_factory: sessionmaker[Session], data: Data) -> None:
    template = parse_template(
        {
            "delimiter": ";",
            "decimal_separator": ",",
            "date_format": "%d.%m.%Y",
            "filters": {"status": ["paid", "approved"]},
            "columns": [
                {"column": "expensable_id", "header": "Beleg"},
                {"column": "effective_on", "header": "Datum"},
                {"column": "document_amount", "header": "Betrag"},
                {"header": "S/H", "value": "S"},
                {"column": "merchant", "header": "Text", "max_length": 4},
            ],
        }
    )
    body, _ = export_bytes(session_factory, data.company_id, template=template)
    rows = read_csv(body, delimiter=";")
    assert list(rows[0]) == ["Beleg", "Datum", "Betrag", "S/H", "Text"]
    assert [r["Beleg"] for r in rows] == [str(data.ids["eur_tax"]), str(data.ids["gbp_up"])]
    assert rows[0] == {
        "Beleg": str(data.ids["eur_tax"]),
        "Datum": "10.03.2026",
        "Betrag": "100,01",
        "S/H": "S",
        "Text": "Café",
    }


@pytest.mark.parametrize("name", ["generic-erp", "datev-bookings"])
def test_shipped_templates_export(session_factory: sessionmaker[Session], data: Data, name: str) -> None:
    template = load_template(name)
    body, summary = export_bytes(session_factory, data.company_id, template=template)
    rows = read_csv(body, delimiter=template.delimiter)
    assert len(rows) == summary.rows == 4  # approved/paid only; the paid one over three cost centres
    if name == "datev-bookings":
        assert {r["Soll/Haben-Kennzeichen"] for r in rows} == {"S"}
        assert sorted(r["Umsatz (ohne Soll/Haben-Kz)"] for r in rows) == ["1,38", "20,00", "30,00", "50,01"]
        assert {r["Belegdatum"] for r in rows} == {"1003"}


def test_bad_input_is_refused_before_anything_is_read(
    session_factory: sessionmaker[Session], data: Data
) -> None:
    with transaction(session_factory) as s:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"date_from": date(2026, 3, 20), "date_to": date(2026, 3, 1)}, "invalid_date_range"),
            ({"columns": ["expensable_id", "nope"]}, "unknown_column"),
            ({"columns": ["expensable_id", "expensable_id"]}, "invalid_columns"),
            ({"statuses": ["bogus"]}, "invalid_filter"),
            ({"types": ["car"]}, "invalid_filter"),
            ({"fmt": "pdf"}, "unknown_format"),
            ({"cost_centers": "sideways"}, "invalid_option"),
            ({"dataset": "payslips"}, "unknown_dataset"),
            ({"dataset": "transactions", "statuses": ["pending"]}, "unsupported_filter"),
            ({"dataset": "transactions", "employee_ids": [1]}, "unsupported_filter"),
        ]
        for kw, code in cases:
            kw.setdefault("dataset", "expenses")
            with pytest.raises(ValidationFailed) as info:
                service.plan_export(s, company_id=data.company_id, **kw)
            assert info.value.code == code, kw
        with pytest.raises(NotFound):
            service.plan_export(s, company_id=999_999_999, dataset="expenses")


def test_atomic_file_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    def chunks() -> Any:
        yield b"partial"
        raise ValidationFailed("boom")

    target = tmp_path / "out.csv"
    with pytest.raises(ValidationFailed):
        service.write_file_atomically(chunks(), target)
    assert list(tmp_path.iterdir()) == []
    assert service.write_file_atomically(iter([b"a", b"b"]), target) == 2
    assert target.read_bytes() == b"ab"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_large_batches_stream_the_same_bytes(session_factory: sessionmaker[Session], data: Data) -> None:
    small, _ = export_bytes(session_factory, data.company_id, batch_size=1)
    large, _ = export_bytes(session_factory, data.company_id, batch_size=1000)
    assert small == large

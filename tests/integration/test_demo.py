"""The demo seeder builds a believable, consistent and deterministic company on a real database."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.auth import service as auth_service
from expensehub.config import Settings
from expensehub.db.base import Base
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.demo.data import ANCHOR, WINDOW_DAYS
from expensehub.demo.receipts import receipt_png
from expensehub.demo.seed import STATUSES, DemoSummary, hooks, seed_demo
from expensehub.demo.seed.allowances import MANAGER_PER_DIEM
from expensehub.documents import service as documents
from expensehub.documents.context import DocumentsConfig
from expensehub.documents.filetypes import PDF, PNG, sniff
from expensehub.errors import AppError, NotFound, UnsupportedMediaType
from expensehub.kit.money import convert
from expensehub.models import (
    Account,
    ApprovalFlow,
    ApprovalFlowApprover,
    Category,
    Company,
    CostCenter,
    CostCenterMembership,
    Employee,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    LedgerAccountResource,
    LegalEntity,
    Mileage,
    PerDiem,
    Project,
)
from expensehub.models.allowances import PerDiemRate, PerDiemRateConfiguration
from expensehub.models.banking import Card, CardPayment, FeedImport
from expensehub.models.documents import Document, ExpenseFile
from expensehub.models.webhooks import WebhookSubscription

SMALL = {"employees": 20, "expensables": 600}
APPROVED_OR_LATER = {"approved", "reversed", "in_payroll", "sent_to_pay", "paid"}


@pytest.fixture(scope="module")
def files(settings: Settings) -> DocumentsConfig:
    """The file store the API (``http``) serves, as ``expensehub demo`` passes its own."""
    return DocumentsConfig.from_settings(settings)


@pytest.fixture(scope="module")
def seeded(session_factory: sessionmaker[Session], files: DocumentsConfig) -> DemoSummary:
    with transaction(session_factory) as s:
        return seed_demo(s, seed=7, documents=files, **SMALL)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with transaction(session_factory) as s:
        yield s


def _claims(db: Session, company_id: int) -> list[Expensable]:
    return list(db.scalars(select(Expensable).where(Expensable.company_id == company_id)))


def _entity_currency(db: Session, company_id: int) -> dict[int, str]:
    rows = db.execute(
        select(LegalEntity.id, LegalEntity.currency).where(LegalEntity.company_id == company_id)
    )
    return dict(rows.all())


def test_every_status_and_type_present(db: Session, seeded: DemoSummary) -> None:
    claims = _claims(db, seeded.company_id)
    assert len(claims) == 600
    assert set(Counter(c.status for c in claims)) == set(STATUSES)
    types = Counter(c.type for c in claims)
    assert set(types) == {"expense", "mileage", "perdiem"}
    assert types["expense"] > types["mileage"] > 0
    assert seeded.by_status == dict(Counter(c.status for c in claims))
    assert seeded.by_type == dict(types)
    assert sum(seeded.by_status.values()) == 600


def test_summary_rows_for_the_cli(seeded: DemoSummary) -> None:
    rows = dict(seeded.rows())
    assert rows["company id"] == seeded.company_id
    for label in (
        "legal entities",
        "employees",
        "categories",
        "cost centres",
        "projects",
        "ledger accounts",
        "expensables by type",
        "expensables by status",
        "expensables by currency",
        "time taken",
    ):
        assert label in rows
    assert "perdiem" in str(rows["expensables by type"])


def test_api_key_belongs_to_the_demo_company(db: Session, seeded: DemoSummary) -> None:
    principal = auth_service.authenticate(db, seeded.api_key)
    assert principal.company_id == seeded.company_id


def test_reference_data(db: Session, seeded: DemoSummary) -> None:
    cid = seeded.company_id
    entities = {
        e.country: e.currency for e in db.scalars(select(LegalEntity).where(LegalEntity.company_id == cid))
    }
    assert entities == {"es": "EUR", "gb": "GBP"}

    employees = list(db.scalars(select(Employee).where(Employee.company_id == cid)))
    assert len(employees) == 20
    assert len({e.email for e in employees}) == 20
    managers = [e for e in employees if e.is_manager]
    assert len(managers) >= 3
    assert sum(1 for e in employees if e.manager_id is None) == 1  # only the CEO
    by_id = {e.id: e for e in employees}
    assert all(by_id[e.manager_id].is_manager for e in employees if e.manager_id is not None)
    terminated = [e for e in employees if e.terminated_on is not None]
    assert 1 <= len(terminated) <= 3
    assert all(t.terminated_on is not None and t.terminated_on < ANCHOR.date() for t in terminated)

    categories = list(db.scalars(select(Category).where(Category.company_id == cid)))
    top = {c.identifier: c for c in categories if c.parent_category_id is None}
    assert top["mileage"].type == "mileage"
    assert top["per_diem"].type == "perdiem"
    subs = {c.identifier for c in categories if c.parent_category_id == top["travel"].id}
    assert {"travel_flights", "travel_trains", "travel_taxi", "travel_hotel"} <= subs
    assert any(c.parent_category_id == top["restaurants"].id for c in categories)

    codes = {c.code for c in db.scalars(select(CostCenter).where(CostCenter.company_id == cid))}
    assert {"CC-100", "CC-200"} <= codes

    accounts = {a.id: a for a in db.scalars(select(Account).where(Account.company_id == cid))}
    assert {a.type for a in accounts.values()} >= {"expense", "bank", "current_liability"}
    assert "6290001" in {a.number for a in accounts.values()}
    mappings = list(db.scalars(select(LedgerAccountResource).where(LedgerAccountResource.company_id == cid)))
    assert {m.resource_type for m in mappings} == {"customcategory"}
    assert len(mappings) == 2 * len(categories)  # every category, in each legal entity
    for m in mappings:
        account = accounts[m.account_id]
        assert account.type == "expense"
        assert account.legal_entity_id == m.legal_entity_id

    projects = list(db.scalars(select(Project).where(Project.company_id == cid)))
    assert len(projects) >= 5
    assert all(p.code for p in projects)


def test_memberships_sum_to_one_and_keep_history(db: Session, seeded: DemoSummary) -> None:
    rows = list(
        db.scalars(select(CostCenterMembership).where(CostCenterMembership.company_id == seeded.company_id))
    )
    by_employee: dict[int, list[CostCenterMembership]] = defaultdict(list)
    for m in rows:
        by_employee[m.employee_id].append(m)
    assert len(by_employee) == 20
    moved = 0
    for memberships in by_employee.values():
        starts = {m.start_date for m in memberships}
        for day in starts:
            active = [
                m for m in memberships if m.start_date <= day and (m.end_date is None or day <= m.end_date)
            ]
            assert sum((m.percentage for m in active), Decimal(0)) == 1
        moved += len(starts) > 1  # an older, closed membership in another cost centre
    assert moved >= 1
    assert any(m.percentage == Decimal("0.5") for m in rows)


def test_currencies_and_exchange_rates(db: Session, seeded: DemoSummary) -> None:
    cid = seeded.company_id
    le_currency = _entity_currency(db, cid)
    rows = db.execute(
        select(Expensable, Expense)
        .join(Expense, Expense.expensable_id == Expensable.id)
        .where(Expensable.company_id == cid)
    ).all()
    currencies = Counter(x.currency for x, _ in rows)
    assert len(currencies) >= 3
    foreign = 0
    for claim, expense in rows:
        assert claim.legal_entity_id is not None
        assert claim.amount is not None
        home = le_currency[claim.legal_entity_id]
        if claim.currency == home:
            assert expense.exchange_rate is None
            continue
        foreign += 1
        assert isinstance(expense.exchange_rate, Decimal)
        assert expense.exchange_rate > 0
        # Amounts respect each currency's exponent: converted, a claim is a plausible sum (0.5 .. 5,000).
        converted = convert(claim.amount, claim.currency, expense.exchange_rate, home)
        assert 50 <= converted <= 500_000, (claim.currency, claim.amount, expense.exchange_rate)
    assert foreign >= 10
    for claim in _claims(db, cid):
        if claim.type != "expense":
            assert claim.currency == le_currency[claim.legal_entity_id or 0]


def test_cost_centre_shares_sum_to_one(db: Session, seeded: DemoSummary) -> None:
    claims = _claims(db, seeded.company_id)
    shares: dict[int, list[Decimal]] = defaultdict(list)
    rows = db.execute(
        select(ExpensableCostCenter.expensable_id, ExpensableCostCenter.percentage).where(
            ExpensableCostCenter.expensable_id.in_([c.id for c in claims])
        )
    )
    for expensable_id, share in rows:
        shares[expensable_id].append(share)
    assert set(shares) == {c.id for c in claims}
    assert all(sum(s, Decimal(0)) == 1 for s in shares.values())
    assert any(len(s) > 1 for s in shares.values())


def test_taxes_are_consistent(db: Session, seeded: DemoSummary) -> None:
    rows = db.execute(
        select(Expensable.amount, Expensable.currency, ExpenseTax)
        .join(Expense, Expense.expensable_id == Expensable.id)
        .join(ExpenseTax, ExpenseTax.expense_id == Expense.id)
        .where(Expensable.company_id == seeded.company_id)
    ).all()
    by_claim: dict[tuple[int, int], list[ExpenseTax]] = defaultdict(list)
    for amount, _currency, tax in rows:
        by_claim[(tax.expense_id, amount)].append(tax)
    assert len(by_claim) >= 100
    rates = set()
    for (_, amount), taxes in by_claim.items():
        assert sum((t.base_amount or 0) + (t.amount or 0) for t in taxes) == amount
        for t in taxes:
            assert t.type == "vat"
            assert t.percentage is not None
            assert t.base_amount is not None
            assert t.amount is not None
            rates.add(t.percentage)
            assert abs(Decimal(t.base_amount) * t.percentage - t.amount) <= 1
    assert {Decimal("0.21"), Decimal("0.1"), Decimal("0.2")} <= rates
    assert any(len(t) == 2 for t in by_claim.values())  # a receipt with two VAT rates


def test_timestamps_follow_the_status(db: Session, seeded: DemoSummary) -> None:
    window_start = ANCHOR.date().toordinal() - WINDOW_DAYS
    for c in _claims(db, seeded.company_id):
        assert c.effective_on is not None
        assert window_start <= c.effective_on.toordinal() < ANCHOR.date().toordinal()
        assert c.created_at.date() >= c.effective_on or c.type == "perdiem"
        assert (c.review_request_at is None) == (c.status == "draft")
        assert (c.approved_at is not None) == (c.status in APPROVED_OR_LATER)
        assert (c.paid_at is not None) == (c.status == "paid")
        chain = [t for t in (c.created_at, c.review_request_at, c.approved_at, c.paid_at) if t is not None]
        assert chain == sorted(chain)
        assert c.created_at <= c.status_updated_at <= ANCHOR
        assert c.updated_at == c.status_updated_at
        assert c.paid_at is None or c.paid_at == c.status_updated_at


def test_details_match_the_type(db: Session, seeded: DemoSummary) -> None:
    cid = seeded.company_id
    claims = {c.id: c for c in _claims(db, cid)}
    expenses = {e.expensable_id: e for e in db.scalars(select(Expense).where(Expense.company_id == cid))}
    mileages = {m.expensable_id: m for m in db.scalars(select(Mileage).where(Mileage.company_id == cid))}
    per_diems = {p.expensable_id: p for p in db.scalars(select(PerDiem).where(PerDiem.company_id == cid))}
    assert set(expenses) == {i for i, c in claims.items() if c.type == "expense"}
    assert set(mileages) == {i for i, c in claims.items() if c.type == "mileage"}
    assert set(per_diems) == {i for i, c in claims.items() if c.type == "perdiem"}
    for i, m in mileages.items():
        assert m.rate is not None
        assert m.distance is not None
        # priced by the statutory rules: `rate` is the effective rate (6 decimals) of the one-way distance
        legs = 2 if m.round_trip else 1
        assert m.pricing == "statutory"
        assert abs(claims[i].amount - m.distance * legs * m.rate * 100) <= 1
        assert m.calculated_mileage == m.distance * legs * 100
    for i, p in per_diems.items():
        assert p.start_date == claims[i].effective_on
        assert p.end_date is not None
        assert p.start_date is not None
        assert p.end_date >= p.start_date
    categories = {c.id: c for c in db.scalars(select(Category).where(Category.company_id == cid))}
    for c in claims.values():
        assert c.category_id is not None
        assert c.ledger_account_id is not None
        assert categories[c.category_id].type == c.type
    assert all(e.merchant_name for e in expenses.values())


def test_per_diems_and_mileages_follow_the_statutory_rules(db: Session, seeded: DemoSummary) -> None:
    """ES and GB per diems are the statutory allowance (UK rates cover UK trips only: abroad, the company's
    own daily rates); trips abroad name their country; the rates link what the breakdown used."""
    cid = seeded.company_id
    countries = dict(
        db.execute(select(LegalEntity.id, LegalEntity.country).where(LegalEntity.company_id == cid)).all()
    )
    rows = db.execute(
        select(PerDiem, Expensable.amount, Expensable.legal_entity_id, Employee.is_manager)
        .join(Expensable, Expensable.id == PerDiem.expensable_id)
        .join(Employee, Employee.id == Expensable.employee_id)
        .where(PerDiem.company_id == cid)
    ).all()
    rates: dict[int, list[PerDiemRate]] = defaultdict(list)
    for r in db.scalars(select(PerDiemRate).where(PerDiemRate.company_id == cid)):
        rates[r.per_diem_id].append(r)
    priced = above = 0
    for p, amount, entity, manager in rows:
        abroad = p.destination is not None and ", " in p.destination
        if abroad:
            assert len(p.destination.rsplit(", ", 1)[1]) == 2
        if p.statutory_amount is not None:
            priced += 1
            assert sum(r.total_amount for r in rates[p.id]) == p.statutory_amount
            if manager:  # the senior travel policy: 125 %, the excess taxable (priced "amount", as the API)
                above += 1
                assert amount == int((p.statutory_amount * MANAGER_PER_DIEM).to_integral_value())
                assert (p.pricing, p.taxable_amount) == ("amount", amount - p.statutory_amount)
            else:
                assert p.pricing == "statutory"
                assert (p.statutory_amount, p.taxable_amount) == (amount, 0)
        else:
            assert (p.pricing, countries[entity], abroad) == ("amount", "gb", True)
            assert rates[p.id] == []
    assert priced > len(rows) / 2
    assert 0 < above < priced
    configurations = db.scalars(
        select(PerDiemRateConfiguration).where(PerDiemRateConfiguration.company_id == cid)
    ).all()
    assert {c.id for c in configurations} == {r.rate_configuration_id for rs in rates.values() for r in rs}


def test_payroll_report_shows_the_managers_taxable_excess(http, db: Session, seeded: DemoSummary) -> None:  # type: ignore[no-untyped-def]
    """The demo pays the statutory amounts except to managers (125 %): the payroll report taxes exactly
    their excess, and the UK per diems abroad, which the rules cannot price, are listed as not computed."""
    managers = set(
        db.scalars(select(Employee.id).where(Employee.company_id == seeded.company_id, Employee.is_manager))
    )
    headers = {"x-api-key": seeded.api_key}
    computed, taxed_employees, taxable = 0, set(), Counter[str]()
    month = date(2025, 5, 1)
    while month <= ANCHOR.date():
        r = http.get(
            "/api/2026-10-01/resources/allowances/payroll_adjustments",
            params={"month": f"{month:%Y-%m}"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        for employee in r.json()["employees"]:
            for item in employee["items"]:
                if not item["computed"]:
                    assert "UK" in item["reason"]
                    continue
                computed += 1
                assert item["taxable_amount"] == item["claimed_amount"] - item["statutory_amount"]
                if item["taxable_amount"]:
                    assert item["type"] == "perdiem"
                    assert int(employee["employee_id"]) in managers
            if employee["taxable_amount"] > 0:
                taxed_employees.add(employee["employee_id"])
                taxable[employee["currency"]] += employee["taxable_amount"]
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    assert computed > 20
    assert taxed_employees  # the allowance report has something to tax
    employees, claims, excess = seeded.allowance_excess
    assert (employees, sum(excess.values())) == (len(taxed_employees), sum(taxable.values()))
    assert dict(taxable) == excess
    assert claims > 0


def test_cards_and_reimbursement(db: Session, seeded: DemoSummary) -> None:
    rows = db.execute(
        select(Expensable, Expense)
        .join(Expense, Expense.expensable_id == Expensable.id)
        .where(Expensable.company_id == seeded.company_id)
    ).all()
    cards = [(x, e) for x, e in rows if e.creation_type == "automatic"]
    assert len(cards) >= 20
    for claim, expense in cards:
        assert expense.card_type == "company"
        assert expense.card_last4 is not None
        assert len(expense.card_last4) == 4
        assert claim.payment == "not_reimbursable"
        assert claim.reimbursable_amount == 0
    for claim in _claims(db, seeded.company_id):
        if claim.payment == "reimbursable":
            assert claim.reimbursable_amount == claim.amount
            assert claim.reimbursable_currency == claim.currency
    assert any(x.project_id is not None for x, _ in rows)


def test_approval_flows_match_the_status(db: Session, seeded: DemoSummary) -> None:
    cid = seeded.company_id
    flows: dict[int, list[ApprovalFlow]] = defaultdict(list)
    for flow in db.scalars(
        select(ApprovalFlow).where(ApprovalFlow.company_id == cid).order_by(ApprovalFlow.id)
    ):
        flows[flow.resource_id].append(flow)
    approvers: dict[int, list[ApprovalFlowApprover]] = defaultdict(list)
    flow_ids = [f.id for fs in flows.values() for f in fs]
    for a in db.scalars(
        select(ApprovalFlowApprover)
        .where(ApprovalFlowApprover.flow_id.in_(flow_ids))
        .order_by(ApprovalFlowApprover.flow_id, ApprovalFlowApprover.step)
    ):
        approvers[a.flow_id].append(a)
    expected = {"pending": "running", "changes_requested": "changes_requested", "rejected": "rejected"}
    for claim in _claims(db, cid):
        if claim.status == "draft":
            assert claim.id not in flows
            continue
        latest = max(flows[claim.id], key=lambda f: f.created_at)
        assert latest.status == expected.get(claim.status, "approved")
        assert latest.created_at == claim.review_request_at
        assert latest.owner_employee_id == claim.employee_id
        steps = approvers[latest.id]
        assert steps
        assert all(a.employee_id != claim.employee_id for a in steps)
        if latest.status == "approved":
            assert all(a.status == "approved" for a in steps)
            assert latest.final_decision_at == claim.approved_at
        elif latest.status == "running":
            assert latest.final_decision_at is None
            assert any(a.status == "pending" for a in steps)
        else:
            assert latest.reason
            assert steps[-1].status == latest.status
    assert any(len(fs) > 1 for fs in flows.values())  # resubmitted after a change request


def test_duplicates_are_flagged(db: Session, seeded: DemoSummary) -> None:
    claims = {c.id: c for c in _claims(db, seeded.company_id)}
    dups = [c for c in claims.values() if c.duplicate_of_id is not None]
    assert len(dups) >= 2
    for dup in dups:
        original = claims[dup.duplicate_of_id or 0]
        assert original.id < dup.id
        for column in ("employee_id", "effective_on", "amount", "currency", "category_id"):
            assert getattr(dup, column) == getattr(original, column)
        assert dup.created_at > original.created_at


# --- determinism -------------------------------------------------------------------------------

# Id columns without a foreign key, and the table they point at.
_SOFT_REFERENCES = {
    ("approval_flows", "resource_id"): "expensables",
    ("approval_flows", "author_access_id"): "accesses",
    ("approval_flows", "owner_access_id"): "accesses",
    ("approval_flows", "author_employee_id"): "employees",
    ("approval_flows", "owner_employee_id"): "employees",
    ("approval_flow_approvers", "employee_id"): "employees",
    ("approval_flow_approvers", "access_id"): "accesses",
    ("ledger_account_resources", "resource_id"): "categories",
    ("expenses", "document_id"): "documents",
}


# Keys that are values in themselves, and columns that measure the run rather than record data.
_NATURAL_KEYS = {"stored_blobs"}
_MEASURED = {("reconciliation_runs", "duration_ms")}


def _dump(db: Session, company_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the company, ids replaced by positions, so two companies can be compared."""
    ordinals: dict[str, dict[int, int]] = {"companies": {company_id: 0}}
    dump: dict[str, list[tuple[Any, ...]]] = {}
    tables: list[Table] = [t for t in Base.metadata.sorted_tables if t.name != "api_keys"]
    selected: dict[str, list[Any]] = {}
    for table in tables:
        if table.name == "companies":
            stmt = select(table).where(table.c.id == company_id)
        elif "company_id" in table.c:
            stmt = select(table).where(table.c.company_id == company_id)
        else:
            fk = next((fk for fk in table.foreign_keys if fk.column.table.name in ordinals), None)
            if fk is None:
                continue  # not a company's table
            parent_ids = list(ordinals[fk.column.table.name])
            stmt = select(table).where(fk.parent.in_(parent_ids or [-1]))
        rows = db.execute(stmt.order_by(*table.primary_key.columns)).mappings().all()
        selected[table.name] = list(rows)
        if "id" in table.c:
            ordinals[table.name] = {row["id"]: i for i, row in enumerate(rows)}
    for table in tables:
        if table.name not in selected:
            continue
        out = []
        for row in selected[table.name]:
            values: list[Any] = []
            for column in table.c:
                value = row[column.name]
                if column.name == "id":
                    continue
                target = next(iter(column.foreign_keys)).column.table.name if column.foreign_keys else None
                target = target or _SOFT_REFERENCES.get((table.name, column.name))
                if (table.name, column.name) in _MEASURED:
                    continue
                if target in _NATURAL_KEYS:
                    target = None  # the key is the value itself (a content hash)
                if target is not None and value is not None:
                    value = ("ref", target, ordinals[target][value])
                values.append((column.name, value))
            out.append(tuple(values))
        dump[table.name] = sorted(out, key=repr)
    return dump


def test_same_seed_same_company_other_seed_differs(
    session_factory: sessionmaker[Session], seeded: DemoSummary, files: DocumentsConfig
) -> None:
    with transaction(session_factory) as s:
        again = seed_demo(s, seed=7, documents=files, **SMALL)
        other = seed_demo(s, seed=8, documents=files, **SMALL)
    assert len({seeded.company_id, again.company_id, other.company_id}) == 3
    assert again.api_key != seeded.api_key
    with transaction(session_factory) as s:
        first, second, third = (_dump(s, c.company_id) for c in (seeded, again, other))
    assert sum(len(rows) for rows in first.values()) > 3000
    assert first["expensables"]
    assert first["approval_flow_approvers"]
    assert first["expense_taxes"]
    assert first["documents"]
    assert first["card_payments"]
    assert first["reconciliation_proposals"]
    assert first == second
    assert first["expensables"] != third["expensables"]
    assert first["employees"] != third["employees"]


def test_defaults_build_the_full_demo(session_factory: sessionmaker[Session]) -> None:
    out = io.StringIO()
    console = Console(file=out, width=100)
    with transaction(session_factory) as s:
        summary = seed_demo(s, seed=42, progress=console)
    with transaction(session_factory) as s:
        claims = _claims(s, summary.company_id)
        employees = s.scalars(select(Employee.id).where(Employee.company_id == summary.company_id)).all()
    assert len(claims) >= 5000
    assert len(employees) == 50
    assert len(Counter(c.currency for c in claims)) == 6
    assert set(Counter(c.status for c in claims)) == set(STATUSES)
    assert summary.expensables == len(claims)
    assert "expensables" in out.getvalue()


def test_too_small_a_company_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="at least 4 employees"):
        seed_demo(db, employees=3, expensables=10)


def test_timestamps_do_not_depend_on_the_clock(db: Session, seeded: DemoSummary) -> None:
    latest = db.scalar(
        select(Expensable.status_updated_at)
        .where(Expensable.company_id == seeded.company_id)
        .order_by(Expensable.status_updated_at.desc())
        .limit(1)
    )
    assert isinstance(latest, datetime)
    assert latest <= ANCHOR
    assert ANCHOR.date() - latest.date() <= date.resolution * 2


def test_the_api_serves_the_demo_company(http, seeded: DemoSummary) -> None:  # type: ignore[no-untyped-def]
    headers = {"x-api-key": seeded.api_key}
    r = http.get("/api/2026-10-01/resources/expenses/expensables", params={"limit": 5}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["total"] == 600
    assert len(body["data"]) == 5
    assert {item["company_id"] for item in body["data"]} == {str(seeded.company_id)}
    r = http.get("/api/2026-10-01/resources/employees/employees", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["total"] == 20


# --- receipts, card feed, reconciliation, webhooks ---------------------------------------------------


def test_the_receipt_bundle_of_the_demo_period_holds_real_files(  # type: ignore[no-untyped-def]
    http, db: Session, seeded: DemoSummary
) -> None:
    """Most expenses have a receipt stored as an upload is; the period's bundle holds each of them, as
    valid PDF and PNG files, and the expenses without one are what the chasing lists show."""
    cid = seeded.company_id
    expenses = {
        e.id: (e, x)
        for e, x in db.execute(
            select(Expense, Expensable)
            .join(Expensable, Expensable.id == Expense.expensable_id)
            .where(Expense.company_id == cid)
        )
    }
    files = db.scalars(
        select(ExpenseFile).where(ExpenseFile.company_id == cid).order_by(ExpenseFile.expense_id)
    ).all()
    with_receipt = {f.expense_id for f in files}
    assert seeded.receipts is not None
    assert len(with_receipt) == seeded.receipts.with_receipt == len(files)
    assert 0.7 * len(expenses) < len(with_receipt) < len(expenses)  # most, not all
    for f in files:
        assert expenses[f.expense_id][0].document_id == f.document_id
    without = [x for e, x in expenses.values() if e.id not in with_receipt]
    assert {x.status for x in without} >= {"draft"}
    assert any(e.creation_type == "automatic" for e, _ in expenses.values() if e.id not in with_receipt)
    documents = {d.id: d for d in db.scalars(select(Document).where(Document.company_id == cid))}
    assert {d.employee_id for d in documents.values()} <= {x.employee_id for _, x in expenses.values()}

    start = ANCHOR.date() - timedelta(days=WINDOW_DAYS)
    r = http.get(
        "/api/2026-10-01/resources/documents/receipt_bundles",
        params={"from": start.isoformat(), "to": ANCHOR.date().isoformat()},
        headers={"x-api-key": seeded.api_key},
    )
    assert r.status_code == 200, r.text
    bundle = zipfile.ZipFile(io.BytesIO(r.content))
    names = [n for n in bundle.namelist() if n != "manifest.csv"]
    assert len(names) == len(files)
    kinds: Counter[str] = Counter()
    for name in names:
        data = bundle.read(name)
        kind = sniff(io.BytesIO(data))
        assert kind in (PDF, PNG)
        assert name.endswith("." + kind.extension)
        kinds[kind.extension] += 1
        if kind == PDF:
            assert data.rstrip().endswith(b"%%EOF")
        else:
            assert data.endswith(b"IEND\xaeB`\x82")
    assert kinds["pdf"] > 0
    assert kinds["png"] > 0
    assert dict(kinds) == dict(seeded.receipts.by_type)
    manifest = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig"))))
    assert {int(row["expense_id"]) for row in manifest} == with_receipt


def test_the_card_feed_was_imported_through_the_banking_importer(db: Session, seeded: DemoSummary) -> None:
    cid = seeded.company_id
    imports = db.scalars(select(FeedImport).where(FeedImport.company_id == cid)).all()
    assert {(i.format, i.mapping) for i in imports} == {("csv", "card-issuer-export")}
    assert seeded.cards is not None
    assert sum(i.new_card_payments for i in imports) == seeded.cards.imported > 20
    payments = db.scalars(select(CardPayment).where(CardPayment.company_id == cid)).all()
    assert len(payments) == seeded.cards.imported
    assert {p.status for p in payments} >= {"closed", "rejected"}
    assert any(p.type == "refund" for p in payments)
    assert any(p.merchant_currency != p.currency for p in payments)  # purchases abroad
    cards = db.scalars(select(Card).where(Card.company_id == cid)).all()
    holders = {c.last4: c.employee_id for c in cards}
    card_expenses = db.scalars(
        select(Expense).where(Expense.company_id == cid, Expense.card_last4.is_not(None))
    ).all()
    assert {e.card_last4 for e in card_expenses} <= set(holders)


def test_reconciliation_of_the_demo_links_asks_and_leaves_over(  # type: ignore[no-untyped-def]
    http, seeded: DemoSummary
) -> None:
    """A run over the demo's period, as a user would start it: confident links, pairs for a person to
    review, payments without an expense and card expenses without a payment."""
    headers = {"x-api-key": seeded.api_key}
    start = ANCHOR.date() - timedelta(days=WINDOW_DAYS)
    r = http.post(
        "/api/2026-10-01/resources/reconciliation/runs",
        json={"from": start.isoformat(), "to": ANCHOR.date().isoformat()},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["matched"] > 20
    assert run["ambiguous"] + run["low_confidence"] > 0
    assert run["missing_receipts"] > 0
    assert run["expenses_without_payment"] > 0
    assert run["refunds"] > 0
    assert seeded.cards is not None
    assert seeded.cards.run == {k: run[k] for k in seeded.cards.run}  # what the demo's own run found
    r = http.get(
        "/api/2026-10-01/resources/reconciliation/proposals",
        params={"run_id": run["id"], "limit": 100},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    kinds = Counter(p["kind"] for p in r.json()["data"])
    assert kinds["matched"] > 0


def test_no_webhooks_unless_asked(db: Session, seeded: DemoSummary) -> None:
    assert seeded.hooks is None
    assert not db.scalars(
        select(WebhookSubscription).where(WebhookSubscription.company_id == seeded.company_id)
    ).all()


def test_a_webhook_url_subscribes_the_demo_company(session_factory: sessionmaker[Session]) -> None:
    url = "https://hooks.example.com/expensehub"
    with transaction(session_factory) as s:
        summary = seed_demo(s, seed=3, employees=6, expensables=60, webhook_url=url)
    assert summary.hooks is not None
    with transaction(session_factory) as s:
        subs = s.scalars(
            select(WebhookSubscription).where(WebhookSubscription.company_id == summary.company_id)
        ).all()
    assert {sub.type for sub in subs} == set(hooks.EVENTS)
    assert {(sub.target_url, sub.enabled, sub.secret) for sub in subs} == {(url, True, summary.hooks.secret)}
    assert summary.receipts is None  # no file store given: no receipts


def test_the_demo_command_refuses_a_bad_webhook_url_before_seeding(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from expensehub.cli.main import app

    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.delenv("EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS", raising=False)
    with transaction(make_session_factory(make_engine(db_url))) as s:
        before = s.scalar(select(func.count()).select_from(Company))
    result = CliRunner().invoke(app, ["demo", "--expensables", "10", "--webhook-url", "http://127.0.0.1:9/x"])
    assert result.exit_code == 2
    assert "--webhook-url: must not point at a loopback address" in result.output
    assert "Traceback" not in result.output
    with transaction(make_session_factory(make_engine(db_url))) as s:
        assert s.scalar(select(func.count()).select_from(Company)) == before


def test_receipts_made_in_code_are_checked_as_uploads_are(
    session_factory: sessionmaker[Session], seeded: DemoSummary, files: DocumentsConfig
) -> None:
    """``add_receipt_files`` refuses bytes that are not an accepted file (415) or whose name contradicts
    them, and another company's expense (404), before storing anything."""
    with transaction(session_factory) as s:
        expense_id = s.scalars(select(Expense.id).where(Expense.company_id == seeded.company_id)).first()
        assert expense_id is not None
        other = s.scalars(select(Expense.id).where(Expense.company_id != seeded.company_id)).first()
    now = ANCHOR

    def receipt(data: bytes, name: str, expense: int) -> documents.ReceiptFile:
        return documents.ReceiptFile(
            expense_id=expense, employee_id=None, filename=name, data=data, uploaded_at=now
        )

    unsupported = (UnsupportedMediaType, "unsupported_file_type")
    cases: list[tuple[documents.ReceiptFile, tuple[type[AppError], str]]] = [
        (receipt(b"MZ\x90\x00not a receipt", "r.pdf", expense_id), unsupported),
        (receipt(receipt_png(), "r.pdf", expense_id), unsupported),  # a PNG named .pdf
    ]
    if other is not None:
        cases.append((receipt(receipt_png(), "r.png", other), (NotFound, "not_found")))
    with transaction(session_factory) as s:
        before = s.scalar(select(func.count()).where(Document.company_id == seeded.company_id))
    for bad, (error, code) in cases:
        with transaction(session_factory) as s:
            with pytest.raises(error) as caught:
                documents.add_receipt_files(
                    s,
                    store=files.store,
                    staging_dir=files.staging_dir,
                    max_bytes=files.max_upload_bytes,
                    company_id=seeded.company_id,
                    files=[bad],
                )
            assert caught.value.code == code
        with transaction(session_factory) as s:
            assert s.scalar(select(func.count()).where(Document.company_id == seeded.company_id)) == before

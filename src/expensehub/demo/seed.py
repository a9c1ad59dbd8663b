"""Seed a believable demo company: people, finance reference data and thousands of expense claims.

Deterministic: every choice comes from ``random.Random(seed)`` and every timestamp from
``data.ANCHOR`` (never the wall clock), so the same seed builds the same rows in any empty database.
The API key (a random secret, created now) is the only exception. Seeding again into the same database
builds a second, independent company.

Reference data goes through the companies and auth services; the bulk rows (expensables and their
details, taxes, cost-centre shares, approval flows) are ORM bulk INSERTs in chunks. Per diems and
mileages are priced by the statutory allowances engine (``allowances.service``), as the expenses API
prices them: per diems on the assumed trip times, mileages after the employee's earlier mileages of the
tax year; a trip the rules do not cover (UK rates abroad) keeps the company's own daily rates.
"""

from __future__ import annotations

import math
import random
import time as timer
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from expensehub.allowances import rules as allowance_rules
from expensehub.allowances import service as allowances
from expensehub.allowances.engine import MileageClaim, compute_mileage, find_table, tax_year
from expensehub.auth.service import create_api_key
from expensehub.companies.service import create_company, create_employee, create_legal_entity
from expensehub.demo import data
from expensehub.demo.data import ANCHOR, WINDOW_DAYS, EntitySpec, SpendKind
from expensehub.expenses.rules import APPROVAL_RESOURCE_TYPE, STATUSES
from expensehub.kit.money import convert, exponent, from_decimal
from expensehub.models import (
    Account,
    ApprovalFlow,
    ApprovalFlowApprover,
    Category,
    CostCenter,
    CostCenterMembership,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    LedgerAccountResource,
    Mileage,
    PerDiem,
    Project,
)
from expensehub.models.allowances import PerDiemRate

TYPES = ("expense", "mileage", "perdiem")
TYPE_WEIGHTS = (80, 12, 8)
APPROVED_OR_LATER = frozenset({"approved", "reversed", "in_payroll", "sent_to_pay", "paid"})
CHUNK = 1000
FLOW_RESOURCE_TYPE = APPROVAL_RESOURCE_TYPE
_FLOW_ACTION = {"approved": "approve", "rejected": "reject", "changes_requested": "request_changes"}
# Claims above this (entity currency, major units) need a second approval by finance.
SECOND_APPROVAL_ABOVE = {"EUR": 500, "GBP": 450}
# Country of each city a demo trip abroad goes to: the per diem's `to` says it ("Amsterdam, NL"), so the
# statutory rules know the destination.
TRIP_COUNTRIES = {
    "Lisboa": "PT",
    "Paris": "FR",
    "London": "GB",
    "Berlin": "DE",
    "Milano": "IT",
    "Amsterdam": "NL",
    "Dublin": "IE",
    "Madrid": "ES",
    "Frankfurt": "DE",
    "New York": "US",
}

# Status mix by age of the claim (days before the anchor): recent claims are still in flight.
_STATUS_BY_AGE: list[tuple[int, dict[str, float]]] = [
    (7, {"draft": 45, "pending": 35, "changes_requested": 8, "approved": 8, "rejected": 4}),
    (
        30,
        {
            "draft": 12,
            "pending": 22,
            "changes_requested": 7,
            "approved": 28,
            "rejected": 6,
            "sent_to_pay": 12,
            "in_payroll": 10,
            "paid": 3,
        },
    ),
    (
        60,
        {
            "draft": 4,
            "pending": 6,
            "changes_requested": 3,
            "approved": 14,
            "rejected": 6,
            "reversed": 1,
            "sent_to_pay": 12,
            "in_payroll": 14,
            "paid": 40,
        },
    ),
    (
        10**6,
        {
            "draft": 1,
            "pending": 1,
            "changes_requested": 1,
            "approved": 2,
            "rejected": 6,
            "reversed": 2,
            "in_payroll": 3,
            "sent_to_pay": 1,
            "paid": 83,
        },
    ),
]


@dataclass
class DemoSummary:
    """What was created; ``rows()`` feeds the CLI's summary table."""

    company_id: int
    company_name: str
    api_key: str
    legal_entities: list[str]
    employees: int
    managers: int
    terminated: int
    categories: int
    subcategories: int
    cost_centers: int
    cost_center_memberships: int
    projects: int
    ledger_accounts: int
    expensables: int
    duplicates: int
    by_type: dict[str, int]
    by_status: dict[str, int]
    by_currency: dict[str, int]
    first_day: date | None
    last_day: date | None
    seconds: float

    def rows(self) -> list[tuple[str, object]]:
        """(label, value) pairs, in display order."""

        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in counts.items())

        return [
            ("company id", self.company_id),
            ("company", self.company_name),
            ("legal entities", "; ".join(self.legal_entities)),
            ("employees", f"{self.employees} ({self.managers} managers, {self.terminated} terminated)"),
            ("categories", f"{self.categories} (+ {self.subcategories} subcategories)"),
            ("cost centres", f"{self.cost_centers} ({self.cost_center_memberships} memberships)"),
            ("projects", self.projects),
            ("ledger accounts", self.ledger_accounts),
            ("expensables", f"{self.expensables} ({self.duplicates} flagged duplicates)"),
            ("expensables by type", fmt(self.by_type)),
            ("expensables by status", fmt(self.by_status)),
            ("expensables by currency", fmt(self.by_currency)),
            ("spend dates", f"{self.first_day} … {self.last_day}"),
            ("time taken", f"{self.seconds:.1f} s"),
        ]


def seed_demo(
    session: Session,
    *,
    seed: int = 42,
    employees: int = 50,
    expensables: int = 5000,
    progress: Console | None = None,
) -> DemoSummary:
    """Create the demo company in ``session`` (flushed, not committed) and an API key for it."""
    if employees < 4:
        raise ValueError("the demo needs at least 4 employees")
    if expensables < 0:
        raise ValueError("expensables must not be negative")
    started = timer.perf_counter()
    builder = _Builder(session, random.Random(seed))
    with _bar(progress, expensables) as bar:
        builder.reference_data(employees)
        bar.reference_done()
        builder.claims(expensables, bar.advance)
    _, api_key = create_api_key(session, company_id=builder.company_id, name="demo")
    return builder.summary(api_key, timer.perf_counter() - started)


# --- progress ------------------------------------------------------------------------------------


class _Bar:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        if progress is not None:
            self._ref = progress.add_task("reference data", total=1)
            self._claims = progress.add_task("expensables", total=total)

    def reference_done(self) -> None:
        if self._progress is not None:
            self._progress.update(self._ref, completed=1)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._claims, n)


@contextmanager
def _bar(console: Console | None, total: int) -> Iterator[_Bar]:
    if console is None:
        yield _Bar(None, total)
        return
    columns = (
        TextColumn("{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        yield _Bar(progress, total)


# --- the builder ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Period:
    start: date
    end: date | None
    shares: list[tuple[int, Decimal]]  # (cost centre id, share)


@dataclass(slots=True)
class _Emp:
    index: int
    id: int
    access_id: int
    spec: EntitySpec
    le_id: int
    cost_center: str
    manager: int | None
    is_manager: bool
    hired_on: date
    terminated_on: date | None
    card_last4: str | None
    weight: float
    periods: list[_Period] = field(default_factory=list)


@dataclass(slots=True)
class _Claim:
    """One planned expensable with everything needed to write it and its dependent rows."""

    emp: _Emp
    type: str
    effective_on: date
    status: str = ""
    row: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    taxes: list[dict[str, Any]] = field(default_factory=list)
    shares: list[tuple[int, Decimal]] = field(default_factory=list)
    flows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    duplicate_of: _Claim | None = None
    merchant_key: str = ""
    le_amount: int = 0
    id: int = 0
    # per diems: the rate configurations the statutory breakdown used
    rate_uses: tuple[allowance_rules.RateUse, ...] = ()


def _days(n: float) -> timedelta:
    return timedelta(seconds=round(n * 86400))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


class _Builder:
    def __init__(self, session: Session, rng: random.Random) -> None:
        self.s = session
        self.rng = rng
        self.company_id = 0
        self.company_name = ""
        self.domain = ""
        self.entities: dict[str, tuple[EntitySpec, int]] = {}
        self.emps: list[_Emp] = []
        self.categories: dict[str, Category] = {}
        self.accounts: dict[tuple[str, str], int] = {}  # (entity key, number) -> account id
        self.cost_centers: dict[str, CostCenter] = {}
        self.projects: list[Project] = []
        self.memberships = 0
        self.finance_approver: _Emp | None = None
        self.office_manager: _Emp | None = None
        self.merchant_tins: dict[str, str | None] = {}
        self.claim_list: list[_Claim] = []
        self.rate_configurations: dict[tuple[str, str, str, int], int] = {}

    # ---- reference data ----

    def reference_data(self, n_employees: int) -> None:
        self._company()
        self._cost_centers()
        self._employees(n_employees)
        self._categories()
        self._accounts()
        self._projects()
        self.s.flush()

    def _company(self) -> None:
        rng = self.rng
        name = rng.choice(data.COMPANY_NAMES)
        self.company_name = name
        self.domain = f"{_ascii(name)}.example"
        company = create_company(
            self.s, name=name, legal_name=f"{name} Group SL", tin=f"B{rng.randint(10**7, 10**8 - 1)}"
        )
        company.created_at = ANCHOR - timedelta(days=2600)
        self.company_id = company.id
        for spec in data.ENTITIES:
            tin = (
                f"B{rng.randint(10**7, 10**8 - 1)}"
                if spec.key == "es"
                else f"GB{rng.randint(10**8, 10**9 - 1)}"
            )
            entity = create_legal_entity(
                self.s,
                company_id=company.id,
                country=spec.country,
                legal_name=f"{name} {spec.suffix}",
                currency=spec.currency,
                tin=tin,
                city=spec.city,
                state=spec.state,
                postal_code=spec.postal_code,
                address_line_1=spec.address_line_1,
            )
            entity.created_at = ANCHOR - timedelta(days=2600 if spec.key == "es" else 1500)
            self.entities[spec.key] = (spec, entity.id)

    def _cost_centers(self) -> None:
        created = ANCHOR - timedelta(days=2500)
        rows = []
        for spec in data.COST_CENTERS:
            deactivated = (
                None
                if spec.deactivated_days_ago is None
                else ANCHOR.date() - timedelta(days=spec.deactivated_days_ago)
            )
            cc = CostCenter(
                company_id=self.company_id,
                legal_entity_id=None,
                name=spec.name,
                code=spec.code,
                description=spec.description,
                deactivation_date=deactivated,
                created_at=created,
                updated_at=created if deactivated is None else _at(deactivated, 10),
            )
            self.cost_centers[spec.code] = cc
            rows.append(cc)
        self.s.add_all(rows)
        self.s.flush()

    def _employees(self, n: int) -> None:
        rng = self.rng
        n_es = max(1, round(n * data.ES_SHARE))
        left = {"es": n_es - 1, "gb": n - n_es}  # the CEO is in Spain
        n_managers = max(2, min(len(data.MANAGER_SLOTS), round(n / 8)))
        # (entity, cost centre, is manager) for every position, CEO first, then managers, then staff.
        slots: list[tuple[str, str, bool]] = [("es", "CC-500", True)]
        for code, key in data.MANAGER_SLOTS[:n_managers]:
            entity = key if left[key] > 0 else ("gb" if key == "es" else "es")
            left[entity] -= 1
            slots.append((entity, code, True))
        active_ccs = [c for c in data.COST_CENTERS if c.weight > 0]
        for key in ("es", "gb"):
            for _ in range(left[key]):
                cc = rng.choices(active_ccs, weights=[c.weight for c in active_ccs])[0]
                slots.append((key, cc.code, False))
        staff = [i for i, s in enumerate(slots) if not s[2]]
        terminated = set(rng.sample(staff, min(len(staff), 2 if n >= 10 else 1)))

        used_emails: Counter[str] = Counter()
        today = ANCHOR.date()
        spend = {c.code: c.spend for c in data.COST_CENTERS}
        for index, (key, cc_code, manager_flag) in enumerate(slots):
            spec, le_id = self.entities[key]
            if key == "es":
                first = rng.choice(data.ES_FIRST_NAMES)
                last = f"{rng.choice(data.ES_SURNAMES)} {rng.choice(data.ES_SURNAMES)}"
            else:
                first = rng.choice(data.GB_FIRST_NAMES)
                last = rng.choice(data.GB_SURNAMES)
            local = f"{_ascii(first)}.{_ascii(last.split()[0])}"
            used_emails[local] += 1
            if used_emails[local] > 1:
                local = f"{local}{used_emails[local]}"
            if index == 0:
                hired_ago = 2550
            elif manager_flag:
                hired_ago = rng.randint(700, 2300)
            else:
                hired_ago = rng.randint(20, 2000)
            hired_on = today - timedelta(days=hired_ago)
            terminated_on = (
                today - timedelta(days=rng.randint(45, min(330, hired_ago - 30)))
                if index in terminated and hired_ago > 80
                else None
            )
            manager = None if index == 0 else self._manager_for(key, cc_code, manager_flag)
            has_card = rng.random() < (0.7 if manager_flag or cc_code in ("CC-100", "CC-400") else 0.15)
            employee = create_employee(
                self.s,
                company_id=self.company_id,
                first_name=first,
                last_name=last,
                email=f"{local}@{self.domain}",
                legal_entity_id=le_id,
                manager_id=None if manager is None else self.emps[manager].id,
                is_manager=manager_flag,
                terminated_on=terminated_on,
                company_identifier=f"{spec.identifier_prefix}{index + 1:04d}",
                birthday_on=date(rng.randint(1962, 2001), rng.randint(1, 12), rng.randint(1, 28)),
            )
            employee.created_at = _at(hired_on, 9)
            employee.updated_at = _at(terminated_on, 17) if terminated_on else employee.created_at
            emp = _Emp(
                index=index,
                id=employee.id,
                access_id=employee.access_id,
                spec=spec,
                le_id=le_id,
                cost_center=cc_code,
                manager=manager,
                is_manager=manager_flag,
                hired_on=hired_on,
                terminated_on=terminated_on,
                card_last4=f"{rng.randint(0, 9999):04d}" if has_card else None,
                weight=spend[cc_code] * (1.4 if manager_flag else 1.0) * rng.uniform(0.5, 1.5),
            )
            self.emps.append(emp)
            if cc_code == "CC-500" and manager_flag and index > 0 and self.finance_approver is None:
                self.finance_approver = emp
            if (
                self.office_manager is None
                and not manager_flag
                and key == "es"
                and cc_code in ("CC-500", "CC-600")
                and terminated_on is None
            ):
                self.office_manager = emp
        if self.finance_approver is None:
            self.finance_approver = self.emps[0]
        self._memberships()

    def _manager_for(self, key: str, cc_code: str, manager_flag: bool) -> int:
        if manager_flag:
            return 0
        managers = [e for e in self.emps if e.is_manager and e.index > 0]
        same = [e for e in managers if e.spec.key == key and e.cost_center == cc_code]
        if same:
            return same[0].index
        local = [e for e in managers if e.spec.key == key]
        if local:
            return self.rng.choice(local).index
        return 0

    def _memberships(self) -> None:
        rng = self.rng
        ccs = self.cost_centers
        legacy = ccs["CC-900"]
        assert legacy.deactivation_date is not None
        others = [c for c in data.COST_CENTERS if c.weight > 0]
        rows: list[CostCenterMembership] = []
        for emp in self.emps:
            main = ccs[emp.cost_center]
            current: list[tuple[int, Decimal]] = [(main.id, Decimal(1))]
            if emp.index > 0 and rng.random() < 0.15:
                second = rng.choice([c for c in others if c.code != emp.cost_center])
                current = [(main.id, Decimal("0.5")), (ccs[second.code].id, Decimal("0.5"))]
            history = emp.index > 0 and rng.random() < 0.15
            if history and emp.hired_on < legacy.deactivation_date - timedelta(days=60):
                emp.periods.append(
                    _Period(
                        emp.hired_on, legacy.deactivation_date - timedelta(days=1), [(legacy.id, Decimal(1))]
                    )
                )
                emp.periods.append(_Period(legacy.deactivation_date, None, current))
            elif history and (ANCHOR.date() - emp.hired_on).days > 120:
                old = rng.choice([c for c in others if c.code != emp.cost_center])
                span = (ANCHOR.date() - emp.hired_on).days
                change = emp.hired_on + timedelta(days=rng.randint(60, span - 30))
                emp.periods.append(
                    _Period(emp.hired_on, change - timedelta(days=1), [(ccs[old.code].id, Decimal(1))])
                )
                emp.periods.append(_Period(change, None, current))
            else:
                emp.periods.append(_Period(emp.hired_on, None, current))
            for period in emp.periods:
                end = period.end if period.end is not None else emp.terminated_on
                for cc_id, share in period.shares:
                    rows.append(
                        CostCenterMembership(
                            company_id=self.company_id,
                            employee_id=emp.id,
                            cost_center_id=cc_id,
                            start_date=period.start,
                            end_date=end,
                            percentage=share,
                        )
                    )
        self.memberships = len(rows)
        self.s.add_all(rows)
        self.s.flush()

    def _categories(self) -> None:
        parents: list[Category] = []
        for position, spec in enumerate(data.CATEGORIES):
            cat = Category(
                company_id=self.company_id,
                parent_category_id=None,
                identifier=spec.identifier,
                default_label=spec.label,
                label=spec.renamed or spec.label,
                type=spec.type,
                status="enabled" if spec.enabled else "disabled",
                visible=spec.enabled,
                position=position,
                created_at=ANCHOR - timedelta(days=1000),
                updated_at=ANCHOR - timedelta(days=1000),
            )
            parents.append(cat)
            self.categories[spec.identifier] = cat
        self.s.add_all(parents)
        self.s.flush()
        children: list[Category] = []
        for spec in data.CATEGORIES:
            for position, (identifier, label) in enumerate(spec.subcategories):
                cat = Category(
                    company_id=self.company_id,
                    parent_category_id=self.categories[spec.identifier].id,
                    identifier=identifier,
                    default_label=label,
                    label=label,
                    type=spec.type,
                    status="enabled",
                    visible=True,
                    position=position,
                    created_at=ANCHOR - timedelta(days=1000),
                    updated_at=ANCHOR - timedelta(days=1000),
                )
                children.append(cat)
                self.categories[identifier] = cat
        self.s.add_all(children)
        self.s.flush()

    def _accounts(self) -> None:
        updated = ANCHOR - timedelta(days=900)
        for key, specs in data.ACCOUNTS.items():
            spec, le_id = self.entities[key]
            rows = [
                Account(
                    company_id=self.company_id,
                    legal_entity_id=le_id,
                    number=a.number,
                    name=a.name,
                    type=a.type,
                    currency=spec.currency,
                    disabled=a.disabled,
                    external_id=None,
                    updated_at=updated,
                )
                for a in specs
            ]
            self.s.add_all(rows)
            self.s.flush()
            for account in rows:
                self.accounts[(key, account.number)] = account.id
        mappings = [
            LedgerAccountResource(
                company_id=self.company_id,
                legal_entity_id=self.entities[key][1],
                resource_type="customcategory",
                resource_id=self.categories[identifier].id,
                account_id=self.accounts[(key, numbers[0 if key == "es" else 1])],
                balance_type="debit",
                operation_type="purchase",
                external_id=None,
                updated_at=updated,
            )
            for key in ("es", "gb")
            for identifier, numbers in data.CATEGORY_ACCOUNTS.items()
        ]
        self.s.add_all(mappings)
        self.s.flush()

    def _projects(self) -> None:
        today = ANCHOR.date()
        for key, code, name, client, billable, start_ago, duration, status in data.PROJECTS:
            start = today - timedelta(days=start_ago)
            client_name = None if client is None else data.CLIENTS[client]
            self.projects.append(
                Project(
                    company_id=self.company_id,
                    legal_entity_id=self.entities[key][1],
                    name=name if client_name is None else f"{name} – {client_name}",
                    code=code,
                    description=None if client_name is None else f"Engagement for {client_name}",
                    status=status,
                    employees_assignment="manual",
                    is_billable=billable,
                    start_date=start,
                    due_date=start + timedelta(days=duration),
                    client_id=None,
                    inputed_minutes=None,
                    fixed_cost_cents=self.rng.randint(30, 240) * 100_000 if billable else None,
                    created_at=_at(start - timedelta(days=10), 11),
                    updated_at=_at(min(today, start + timedelta(days=duration)), 11),
                )
            )
        self.s.add_all(self.projects)
        self.s.flush()

    # ---- claims ----

    def claims(self, n: int, advance: Callable[[int], None]) -> None:
        plans = self._plan(n)
        for claim in plans:
            self._fill(claim)
        self._duplicates(plans)
        for claim in plans:  # originals first: a duplicate is created after its original
            if claim.duplicate_of is None:
                self._timeline(claim)
        for claim in plans:
            if claim.duplicate_of is not None:
                self._timeline(claim)
        plans.sort(key=lambda c: c.row["created_at"])  # ids grow with time, like a real system
        self._price_mileages(plans)
        self.claim_list = plans
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start : start + CHUNK]
            self._write(chunk)
            advance(len(chunk))
        links = [
            {"id": c.id, "duplicate_of_id": c.duplicate_of.id} for c in plans if c.duplicate_of is not None
        ]
        if links:
            self.s.execute(update(Expensable), links)
        self.s.flush()

    def _plan(self, n: int) -> list[_Claim]:
        """Who, what type, which day and which status; then every status and type is made present."""
        rng = self.rng
        today = ANCHOR.date()
        window_start = today - timedelta(days=WINDOW_DAYS)
        spenders: list[tuple[_Emp, date, date]] = []
        for emp in self.emps:
            first = max(window_start, emp.hired_on + timedelta(days=3))
            last = min(today - timedelta(days=1), emp.terminated_on or today)
            if first <= last:
                spenders.append((emp, first, last))
        weights = [e.weight for e, _, _ in spenders]
        plans: list[_Claim] = []
        for _ in range(n):
            emp, first, last = rng.choices(spenders, weights=weights)[0]
            span = (last - first).days
            day = last - timedelta(days=round(span * rng.random() ** 1.3))
            if day.weekday() >= 5 and rng.random() < 0.75:  # fewer claims at weekends
                day = max(first, day - timedelta(days=day.weekday() - 4))
            kind = rng.choices(TYPES, weights=TYPE_WEIGHTS)[0]
            plans.append(_Claim(emp=emp, type=kind, effective_on=day))
        for claim in plans:
            age = (today - claim.effective_on).days
            mix = next(m for limit, m in _STATUS_BY_AGE if age < limit)
            claim.status = rng.choices(list(mix), weights=list(mix.values()))[0]
        minimum = max(1, min(5, n // 100))
        self._cover(plans, "type", TYPES, minimum)
        self._cover(plans, "status", STATUSES, minimum)
        return plans

    def _cover(self, plans: list[_Claim], attr: str, values: tuple[str, ...], minimum: int) -> None:
        if len(plans) < len(values) * minimum:
            minimum = len(plans) // len(values)
            if minimum == 0:
                return
        counts = Counter(getattr(p, attr) for p in plans)
        for value in values:
            while counts[value] < minimum:
                donors = [p for p in plans if counts[getattr(p, attr)] > minimum]
                victim = self.rng.choice(donors)
                counts[getattr(victim, attr)] -= 1
                setattr(victim, attr, value)
                counts[value] += 1

    def _fill(self, claim: _Claim) -> None:
        emp = claim.emp
        claim.row = {
            "company_id": self.company_id,
            "legal_entity_id": emp.le_id,
            "employee_id": emp.id,
            "reporter_id": None,
            "type": claim.type,
            "status": claim.status,
            "payment": "reimbursable",
            "currency": emp.spec.currency,
            "amount": 0,
            "reimbursable_amount": 0,
            "reimbursable_currency": emp.spec.currency,
            "reimbursement_method": None,
            "description": None,
            "internal_reference": None,
            "effective_on": claim.effective_on,
            "category_id": None,
            "subcategory": None,
            "ledger_account_id": None,
            "project_id": None,
            "group_id": None,
            "budget_id": None,
            "duplicate_of_id": None,
        }
        if claim.type == "expense":
            leaf = self._fill_expense(claim)
        elif claim.type == "mileage":
            leaf = self._fill_mileage(claim)
        else:
            leaf = self._fill_per_diem(claim)
        row = claim.row
        category = self.categories[leaf]
        if category.parent_category_id is None:
            row["category_id"] = category.id
        else:
            row["category_id"] = category.parent_category_id
            row["subcategory"] = category.label
        number = data.CATEGORY_ACCOUNTS[leaf][0 if emp.spec.key == "es" else 1]
        row["ledger_account_id"] = self.accounts[(emp.spec.key, number)]
        if row["payment"] == "reimbursable":
            row["reimbursable_amount"] = row["amount"]
            row["reimbursable_currency"] = row["currency"]
        else:
            row["reimbursable_amount"] = 0
        rate = claim.detail.get("exchange_rate")
        claim.le_amount = (
            row["amount"]
            if rate is None
            else convert(row["amount"], row["currency"], rate, emp.spec.currency)
        )
        claim.shares = self._shares(claim)
        if (
            self.office_manager is not None
            and self.office_manager is not emp
            and emp.spec.key == "es"
            and self.rng.random() < 0.05
        ):
            row["reporter_id"] = self.office_manager.id

    def _fill_expense(self, claim: _Claim) -> str:
        rng = self.rng
        emp = claim.emp
        row = claim.row
        kinds = data.SPEND_KINDS
        kind: SpendKind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
        home = emp.spec.key
        foreign = None
        travel = kind.merchants not in ("office", "software", "course", "book", "phone")
        if travel and rng.random() < 0.12:
            dests = data.FOREIGN_DESTINATIONS
            foreign = rng.choices(
                dests, weights=[d.weight_from_es if home == "es" else d.weight_from_gb for d in dests]
            )[0]
        currency = emp.spec.currency
        merchant_key = home
        city = rng.choice(data.DOMESTIC_CITIES[home])
        route = rng.choice(data.DOMESTIC_ROUTES[home])
        if foreign is not None:
            currency, merchant_key, city = foreign.currency, foreign.merchants, foreign.city
            route = f"{data.HOME_CITY[home]} – {city}"
        elif kind.merchants == "software" and rng.random() < 0.45:
            currency, merchant_key = "USD", "us"
        options = data.MERCHANTS[kind.merchants]
        names = options.get(merchant_key) or options.get("any") or next(iter(options.values()))
        merchant = rng.choice(names)
        claim.merchant_key = merchant_key

        major = rng.triangular(kind.low, kind.high, kind.low + (kind.high - kind.low) * 0.25)
        local = major * data.PRICE_LEVEL[currency]
        if exponent(currency) == 0:
            amount = max(10, round(local / 10) * 10)
        elif kind.merchants == "software":
            amount = from_decimal(Decimal(round(local)), currency)
        else:
            amount = from_decimal(Decimal(f"{local:.2f}"), currency)

        card = kind.card and emp.card_last4 is not None and rng.random() < 0.55
        template = rng.choice(data.DESCRIPTIONS[kind.leaf])
        description = template.format(
            client=rng.choice(data.CLIENTS),
            city=city,
            route=route,
            nights=max(2, round(major / 150)),
            merchant=merchant,
        )
        row.update(
            currency=currency,
            amount=amount,
            payment="not_reimbursable" if card else "reimbursable",
            description=description if rng.random() < 0.85 else None,
        )
        if kind.project:
            row["project_id"] = self._project(claim, 0.3)
        rate = (
            None
            if currency == emp.spec.currency
            else self._fx(currency, emp.spec.currency, claim.effective_on)
        )
        if merchant not in self.merchant_tins:
            if merchant_key == "es":
                self.merchant_tins[merchant] = f"{rng.choice('AB')}{rng.randint(10**7, 10**8 - 1)}"
            elif merchant_key == "gb":
                self.merchant_tins[merchant] = f"GB{rng.randint(10**8, 10**9 - 1)}"
            else:
                self.merchant_tins[merchant] = None
        claim.detail = {
            "company_id": self.company_id,
            "creation_type": "automatic" if card else "manual",
            "merchant_name": merchant,
            "user_merchant": merchant if not card and rng.random() < 0.25 else None,
            "merchant_tin": self.merchant_tins[merchant],
            "reference": f"T{rng.randint(1, 9)}-{rng.randint(1000, 999999):06d}"
            if rng.random() < 0.6
            else None,
            "exchange_rate": rate,
            "card_payment_id": None,
            "expenses_card_id": None,
            "card_type": "company" if card else None,
            "card_last4": emp.card_last4 if card else None,
            "document_id": None,
            "document_number": None,
            "document_type": None,
            "payment_method": "card" if card else rng.choice(["personal_card", "personal_card", "cash"]),
            "dispute_id": None,
            "external_authorization_id": None,
        }
        rates = kind.vat_es if home == "es" else kind.vat_gb
        if rates and currency == emp.spec.currency and merchant_key == home and rng.random() < 0.85:
            claim.taxes = self._taxes(amount, rates)
        return kind.leaf

    def _taxes(self, total: int, percents: tuple[int, ...]) -> list[dict[str, Any]]:
        """VAT lines whose bases and amounts sum exactly to ``total`` (tax-inclusive)."""
        if len(percents) == 1:
            parts = [total]
        else:
            first = round(total * self.rng.uniform(0.6, 0.9))
            parts = [first, total - first]
        lines = []
        for part, percent in zip(parts, percents, strict=True):
            rate = Decimal(percent) / 100
            base = int((Decimal(part) / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            lines.append({"type": "vat", "percentage": rate, "base_amount": base, "amount": part - base})
        return lines

    def _fx(self, source: str, target: str, day: date) -> Decimal:
        """A deterministic daily rate (target units per source unit) wobbling around a fixed level."""

        def level(code: str) -> float:
            phase = sum(ord(c) for c in code)
            t = day.toordinal()
            wobble = 1 + 0.025 * math.sin(t / 47 + phase) + 0.008 * math.sin(t / 9 + phase / 3)
            return data.EUR_PER_UNIT[code] * (wobble if code != "EUR" else 1.0)

        return Decimal(format(level(source) / level(target), ".6g"))

    def _fill_mileage(self, claim: _Claim) -> str:
        rng = self.rng
        emp = claim.emp
        key = emp.spec.key
        places = data.MILEAGE_PLACES[key]
        origin = places[0] if rng.random() < 0.8 else rng.choice(places[1:])
        dest = rng.choice([p for p in places if p is not origin])
        km = _haversine_km(origin.lat, origin.lon, dest.lat, dest.lon) * 1.25
        _, unit = data.MILEAGE_RATE[key]
        one_way = km if unit == "km" else km / 1.609344
        round_trip = rng.random() < 0.65
        distance = max(1, round(one_way))  # one way, as the API stores it; a round trip counts twice
        client = rng.choice(data.CLIENTS)
        claim.row.update(
            description=f"{origin.name} – {dest.name}{' and back' if round_trip else ''}: visit to {client}",
            project_id=self._project(claim, 0.35),
        )
        claim.detail = {
            "company_id": self.company_id,
            "distance": distance,
            "units": unit,
            "rate": None,
            "rate_measurement_unit": unit,
            "origin": origin.name,
            "destination": dest.name,
            "round_trip": round_trip,
            "origin_latitude": f"{origin.lat:.4f}",
            "origin_longitude": f"{origin.lon:.4f}",
            "destination_latitude": f"{dest.lat:.4f}",
            "destination_longitude": f"{dest.lon:.4f}",
            "calculated_mileage": distance * (2 if round_trip else 1) * 100,
            "pricing": "statutory",
            "vehicle": None,
            "passengers": None,
            "fiscal_horsepower": None,
            "electric": None,
        }
        # Priced alone for now (approval thresholds need an amount); ``_price_mileages`` prices it again
        # after the employee's earlier mileages of the tax year once the claims are in id order.
        self._price_mileage(claim, Decimal(0))
        return "mileage"

    def _price_mileage(self, claim: _Claim, ytd: Decimal) -> None:
        d = claim.detail
        result = compute_mileage(
            MileageClaim(
                country=claim.emp.spec.country,
                date=claim.effective_on,
                distance=Decimal(d["distance"]),
                unit=d["units"],
                round_trip=d["round_trip"],
                ytd_distance=ytd,
            )
        )
        d.update(rate=result.rate, rate_measurement_unit=result.rate_unit)
        row = claim.row
        row["amount"] = result.amount
        if row["payment"] == "reimbursable":
            row["reimbursable_amount"] = result.amount
        claim.le_amount = result.amount

    def _price_mileages(self, plans: list[_Claim]) -> None:
        """Price every mileage after the employee's earlier ones (date, then id) of the same tax year that
        are not rejected or reversed, as the expenses API does."""
        driven: dict[tuple[int, date], Decimal] = {}
        mileages = [(c.effective_on, i, c) for i, c in enumerate(plans) if c.type == "mileage"]
        for _, _, claim in sorted(mileages, key=lambda t: (t[0], t[1])):
            d = claim.detail
            table = find_table(claim.emp.spec.country, "mileage", claim.effective_on)
            key = (claim.emp.id, tax_year(table, claim.effective_on).start)
            ytd = driven.get(key, Decimal(0))
            if ytd:
                self._price_mileage(claim, ytd)
            if claim.status not in allowance_rules.IGNORED_STATUSES:
                legs = 2 if d["round_trip"] else 1
                driven[key] = ytd + Decimal(d["distance"] * legs)

    def _fill_per_diem(self, claim: _Claim) -> str:
        rng = self.rng
        emp = claim.emp
        key = emp.spec.key
        international = rng.random() < 0.3
        days = rng.choices([1, 2, 3, 4, 5], weights=[30, 30, 20, 12, 8])[0]
        last_day = min(ANCHOR.date() - timedelta(days=1), emp.terminated_on or ANCHOR.date())
        start = claim.effective_on
        if start + timedelta(days=days - 1) > last_day:
            start = max(emp.hired_on, last_day - timedelta(days=days - 1))
            days = (last_day - start).days + 1
            claim.effective_on = start
        end = start + timedelta(days=days - 1)
        city = rng.choice(data.PER_DIEM_TRIPS[(key, international)])
        destination = f"{city}, {TRIP_COUNTRIES[city]}" if international else city
        trip = rng.choice(data.TRIP_NAMES).format(city=city, client=rng.choice(data.CLIENTS))
        priced = allowances.price_per_diem(
            country=emp.spec.country,
            currency=emp.spec.currency,
            start_date=start,
            end_date=end,
            destination=destination,
            inputs=allowance_rules.TripInputs(),
        )
        detail: dict[str, Any] = {
            "company_id": self.company_id,
            "start_date": start,
            "end_date": end,
            "origin": data.HOME_CITY[key],
            "destination": destination,
            "trip_name": trip,
            "trip_inputs": None,
            "gross_amount": None,
            "deductions_amount": None,
            "statutory_amount": None,
            "taxable_amount": None,
        }
        if priced.result is not None:  # the statutory allowance
            totals = priced.result.totals
            amount = totals.statutory
            detail.update(
                pricing="statutory",
                gross_amount=totals.gross,
                deductions_amount=totals.deductions,
                statutory_amount=totals.statutory,
                taxable_amount=0,
            )
            claim.rate_uses = priced.uses
        else:  # the rules do not cover the trip (UK rates abroad): the company's own daily rates
            day_rate, night_rate = data.PER_DIEM_RATES[(key, international)]
            amount = from_decimal(day_rate + night_rate * (days - 1), emp.spec.currency)
            detail["pricing"] = "amount"
        claim.row.update(
            effective_on=start,
            amount=amount,
            description=f"Per diem: {trip} ({days} day{'s' if days > 1 else ''})",
            project_id=self._project(claim, 0.3),
        )
        claim.detail = detail
        return "per_diem_international" if international else "per_diem_national"

    def _project(self, claim: _Claim, probability: float) -> int | None:
        if claim.emp.cost_center not in ("CC-100", "CC-200", "CC-400", "CC-900"):
            return None
        if self.rng.random() >= probability:
            return None
        day = claim.effective_on
        candidates = [
            p
            for p in self.projects
            if p.legal_entity_id == claim.emp.le_id
            and p.status != "draft"
            and p.start_date is not None
            and p.due_date is not None
            and p.start_date <= day <= p.due_date
        ]
        return self.rng.choice(candidates).id if candidates else None

    def _shares(self, claim: _Claim) -> list[tuple[int, Decimal]]:
        """The employee's cost centres on the day (a few claims are split by hand instead)."""
        rng = self.rng
        if rng.random() < 0.04:
            ids = [self.cost_centers[c.code].id for c in data.COST_CENTERS if c.weight > 0]
            picked = rng.sample(ids, 3 if rng.random() < 0.3 else 2)
            splits = {2: ["0.3", "0.7"], 3: ["0.4", "0.3", "0.3"]}[len(picked)]
            return [(cc, Decimal(s)) for cc, s in zip(picked, splits, strict=True)]
        for period in claim.emp.periods:
            if period.start <= claim.effective_on and (
                period.end is None or claim.effective_on <= period.end
            ):
                return list(period.shares)
        return list(claim.emp.periods[-1].shares)

    def _duplicates(self, plans: list[_Claim]) -> None:
        """Turn a few planned expenses into re-submissions of earlier ones (flagged ``duplicate_of``)."""
        if len(plans) < 50:
            return
        count = max(2, len(plans) // 800)
        counts = Counter(p.status for p in plans)
        replace: list[int] = []
        for index in range(len(plans) - 1, -1, -1):  # from the end, keeping every status present
            plan = plans[index]
            if len(replace) < count and plan.type == "expense" and counts[plan.status] > 1:
                replace.append(index)
                counts[plan.status] -= 1
        chosen = set(replace)
        originals = [
            p
            for i, p in enumerate(plans)
            if i not in chosen and p.type == "expense" and p.status not in ("draft", "rejected")
        ]
        for i, (index, original) in enumerate(
            zip(replace, self.rng.sample(originals, len(replace)), strict=True)
        ):
            status = "rejected" if i % 2 == 0 else "pending"
            dup = _Claim(emp=original.emp, type="expense", effective_on=original.effective_on, status=status)
            dup.row = dict(original.row, status=status, payment="reimbursable", reporter_id=None)
            dup.row["reimbursable_amount"] = dup.row["amount"]
            dup.row["reimbursable_currency"] = dup.row["currency"]
            dup.detail = dict(
                original.detail,
                creation_type="manual",
                card_type=None,
                card_last4=None,
                user_merchant=original.detail["merchant_name"],
                payment_method="personal_card",
            )
            dup.taxes = [dict(t) for t in original.taxes]
            dup.shares = list(original.shares)
            dup.le_amount = original.le_amount
            dup.duplicate_of = original
            plans[index] = dup

    def _timeline(self, claim: _Claim) -> None:
        """Timestamps consistent with the status, and the approval flows that led to it."""
        rng = self.rng
        row = claim.row
        status = claim.status
        lag = (
            rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8]) if claim.detail.get("creation_type") != "automatic" else 0
        )
        created = _at(claim.effective_on + timedelta(days=lag), rng.uniform(7, 21))
        if claim.duplicate_of is not None:
            created = claim.duplicate_of.row["created_at"] + _days(rng.uniform(1, 20))
        latest = ANCHOR - timedelta(minutes=10)
        if created > latest:
            created = latest - timedelta(minutes=rng.randint(0, 600))
        resubmitted = status in (APPROVED_OR_LATER | {"pending"}) and rng.random() < 0.08
        steps: dict[str, float] = {}
        if status != "draft":
            if resubmitted:
                steps["submit0"] = rng.uniform(0.1, 6)
                steps["decide0"] = rng.uniform(0.05, 3)
            steps["submit"] = rng.uniform(0.1, 10)
            if status != "pending":
                steps["decide"] = rng.uniform(0.05, 4)
            if status in ("reversed", "in_payroll", "sent_to_pay", "paid"):
                steps["after"] = rng.uniform(1, 25)
        room = (latest - created).total_seconds() / 86400
        total = sum(steps.values())
        if total > room:  # a claim from the last days: the same story, told faster
            squeeze = room * rng.uniform(0.4, 0.95) / total
            steps = {k: v * squeeze for k, v in steps.items()}
        t = created
        marks: dict[str, datetime] = {}
        for name, length in steps.items():
            t = t + _days(length)
            marks[name] = t
        review = marks.get("submit")
        decision = marks.get("decide")
        approved = decision if status in APPROVED_OR_LATER else None
        final = marks.get("after", decision or review or created)
        row.update(
            created_at=created,
            review_request_at=review,
            approved_at=approved,
            paid_at=final if status == "paid" else None,
            status_updated_at=final,
            updated_at=final,
        )
        if row["payment"] == "reimbursable" and status in ("in_payroll", "sent_to_pay", "paid"):
            method = "payroll" if status == "in_payroll" or claim.emp.spec.key == "gb" else "sepa_transfer"
            row["reimbursement_method"] = method
            if method == "payroll":
                row["internal_reference"] = f"PAYROLL-{final:%Y-%m}"
            else:
                row["internal_reference"] = f"SEPA-{final:%Y%m%d}"
        if "submit0" in marks:
            claim.flows.append(
                self._flow(
                    claim,
                    marks["submit0"],
                    marks["decide0"],
                    "changes_requested",
                    rng.choice(data.CHANGE_REQUESTS),
                )
            )
        if review is None:
            return
        if status == "pending":
            claim.flows.append(self._flow(claim, review, None, "running", None))
        elif status == "changes_requested":
            claim.flows.append(
                self._flow(claim, review, decision, "changes_requested", rng.choice(data.CHANGE_REQUESTS))
            )
        elif status == "rejected":
            reason = (
                data.DUPLICATE_REASON
                if claim.duplicate_of is not None
                else rng.choice(data.REJECTION_REASONS)
            )
            claim.flows.append(self._flow(claim, review, decision, "rejected", reason))
        else:
            claim.flows.append(self._flow(claim, review, decision, "approved", None))

    def _flow(
        self, claim: _Claim, opened: datetime, decided: datetime | None, status: str, reason: str | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        emp = claim.emp
        reporter_id = claim.row["reporter_id"]
        author = emp if reporter_id is None or self.office_manager is None else self.office_manager
        flow = {
            "company_id": self.company_id,
            "resource_type": FLOW_RESOURCE_TYPE,
            "resource_id": 0,
            "author_access_id": author.access_id,
            "author_employee_id": author.id,
            "owner_access_id": emp.access_id,
            "owner_employee_id": emp.id,
            "status": status,
            "action_type": _FLOW_ACTION.get(status),
            "reason": reason,
            "created_at": opened,
            "expires_at": opened + timedelta(days=30),
            "final_decision_at": decided,
        }
        first = self.emps[emp.manager] if emp.manager is not None else self.finance_approver
        if first is None or first is emp:
            first = next(e for e in self.emps if e.is_manager and e is not emp)
        chain: list[tuple[_Emp, str]] = [(first, "manager")]
        finance = self.finance_approver
        threshold = SECOND_APPROVAL_ABOVE[emp.spec.currency] * 10 ** exponent(emp.spec.currency)
        if (
            claim.le_amount > threshold
            and finance is not None
            and finance is not first
            and finance is not emp
        ):
            chain.append((finance, "finance"))
        outcome = {"running": "pending", "approved": "approved"}.get(status, status)
        approvers = []
        early = None if decided is None else opened + (decided - opened) * 0.4
        for step, (who, criteria) in enumerate(chain, start=1):
            last = step == len(chain)
            if status == "running":
                done = step == 1 and len(chain) > 1 and self.rng.random() < 0.4
                when = min(opened + timedelta(hours=3), ANCHOR) if done else opened
                state = "approved" if done else "pending"
            elif last:
                state, when = outcome, decided or opened
            else:
                state, when = "approved", early or opened
            approvers.append(
                {
                    "step": step,
                    "employee_id": who.id,
                    "access_id": who.access_id,
                    "selection_criteria": criteria,
                    "status": state,
                    "updated_at": when,
                }
            )
        return flow, approvers

    def _write(self, chunk: list[_Claim]) -> None:
        s = self.s
        ids = s.scalars(
            insert(Expensable).returning(Expensable.id, sort_by_parameter_order=True), [c.row for c in chunk]
        ).all()
        for claim, new_id in zip(chunk, ids, strict=True):
            claim.id = new_id
        expenses = [c for c in chunk if c.type == "expense"]
        if expenses:
            rows = [dict(c.detail, expensable_id=c.id) for c in expenses]
            expense_ids = s.scalars(
                insert(Expense).returning(Expense.id, sort_by_parameter_order=True), rows
            ).all()
            taxes = [
                dict(t, expense_id=expense_id)
                for c, expense_id in zip(expenses, expense_ids, strict=True)
                for t in c.taxes
            ]
            if taxes:
                s.execute(insert(ExpenseTax), taxes)
        mileages = [dict(c.detail, expensable_id=c.id) for c in chunk if c.type == "mileage"]
        if mileages:
            s.execute(insert(Mileage), mileages)
        per_diems = [c for c in chunk if c.type == "perdiem"]
        if per_diems:
            per_diem_ids = s.scalars(
                insert(PerDiem).returning(PerDiem.id, sort_by_parameter_order=True),
                [dict(c.detail, expensable_id=c.id) for c in per_diems],
            ).all()
            rates = [
                {
                    "company_id": self.company_id,
                    "per_diem_id": per_diem_id,
                    "rate_configuration_id": self._rate_configuration(use.key, c.row["created_at"]),
                    "total_days": use.days,
                    "total_amount": use.amount,
                }
                for c, per_diem_id in zip(per_diems, per_diem_ids, strict=True)
                for use in c.rate_uses
            ]
            if rates:
                s.execute(insert(PerDiemRate), rates)
        shares = [
            {"expensable_id": c.id, "cost_center_id": cc, "percentage": share, "position": position}
            for c in chunk
            for position, (cc, share) in enumerate(c.shares)
        ]
        if shares:
            s.execute(insert(ExpensableCostCenter), shares)
        flows = [(flow, approvers, c) for c in chunk for flow, approvers in c.flows]
        if flows:
            flow_ids = s.scalars(
                insert(ApprovalFlow).returning(ApprovalFlow.id, sort_by_parameter_order=True),
                [dict(flow, resource_id=c.id) for flow, _, c in flows],
            ).all()
            approver_rows = [
                dict(a, flow_id=flow_id)
                for (_, approvers, _), flow_id in zip(flows, flow_ids, strict=True)
                for a in approvers
            ]
            if approver_rows:
                s.execute(insert(ApprovalFlowApprover), approver_rows)
        s.flush()

    def _rate_configuration(self, key: allowance_rules.RateKey, now: datetime) -> int:
        """The company's configuration for ``key``, created the first time a per diem uses it."""
        short = (key.table_id, key.destination_key, key.day_kind, key.amount)
        if short not in self.rate_configurations:
            ids = allowances.rate_configuration_ids(self.s, company_id=self.company_id, keys=[key], now=now)
            self.rate_configurations[short] = ids[short]
        return self.rate_configurations[short]

    # ---- summary ----

    def summary(self, api_key: str, seconds: float) -> DemoSummary:
        claims = self.claim_list
        days = [c.row["effective_on"] for c in claims]
        by_type = Counter(c.type for c in claims)
        by_status = Counter(c.status for c in claims)
        by_currency = Counter(c.row["currency"] for c in claims)
        top = sum(1 for c in self.categories.values() if c.parent_category_id is None)
        return DemoSummary(
            company_id=self.company_id,
            company_name=self.company_name,
            api_key=api_key,
            legal_entities=[
                f"{spec.country.upper()} / {spec.currency} (id {le})" for spec, le in self.entities.values()
            ],
            employees=len(self.emps),
            managers=sum(1 for e in self.emps if e.is_manager),
            terminated=sum(1 for e in self.emps if e.terminated_on is not None),
            categories=top,
            subcategories=len(self.categories) - top,
            cost_centers=len(self.cost_centers),
            cost_center_memberships=self.memberships,
            projects=len(self.projects),
            ledger_accounts=len(self.accounts),
            expensables=len(claims),
            duplicates=sum(1 for c in claims if c.duplicate_of is not None),
            by_type={t: by_type[t] for t in TYPES if by_type[t]},
            by_status={s: by_status[s] for s in STATUSES if by_status[s]},
            by_currency=dict(by_currency.most_common()),
            first_day=min(days) if days else None,
            last_day=max(days) if days else None,
            seconds=seconds,
        )


def _at(day: date, hour: float) -> datetime:
    """``day`` at ``hour`` (fractional, UTC), truncated to the second."""
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(seconds=round(hour * 3600))

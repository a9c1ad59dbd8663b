"""What the seeder created, counted for the CLI's summary table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from expensehub.demo.seed.claims import TYPES
from expensehub.demo.seed.state import Demo
from expensehub.expenses.rules import STATUSES


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


def summary(demo: Demo, api_key: str, seconds: float) -> DemoSummary:
    claims = demo.claim_list
    days = [c.row["effective_on"] for c in claims]
    by_type = Counter(c.type for c in claims)
    by_status = Counter(c.status for c in claims)
    by_currency = Counter(c.row["currency"] for c in claims)
    top = sum(1 for c in demo.categories.values() if c.parent_category_id is None)
    return DemoSummary(
        company_id=demo.company_id,
        company_name=demo.company_name,
        api_key=api_key,
        legal_entities=[
            f"{spec.country.upper()} / {spec.currency} (id {le})" for spec, le in demo.entities.values()
        ],
        employees=len(demo.emps),
        managers=sum(1 for e in demo.emps if e.is_manager),
        terminated=sum(1 for e in demo.emps if e.terminated_on is not None),
        categories=top,
        subcategories=len(demo.categories) - top,
        cost_centers=len(demo.cost_centers),
        cost_center_memberships=demo.memberships,
        projects=len(demo.projects),
        ledger_accounts=len(demo.accounts),
        expensables=len(claims),
        duplicates=sum(1 for c in claims if c.duplicate_of is not None),
        by_type={t: by_type[t] for t in TYPES if by_type[t]},
        by_status={s: by_status[s] for s in STATUSES if by_status[s]},
        by_currency=dict(by_currency.most_common()),
        first_day=min(days) if days else None,
        last_day=max(days) if days else None,
        seconds=seconds,
    )

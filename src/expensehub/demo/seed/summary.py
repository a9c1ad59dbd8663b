"""What the seeder created, counted for the CLI's summary table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from expensehub.allowances.rules import PAYABLE_STATUSES
from expensehub.demo.seed.cards import CardStats
from expensehub.demo.seed.claims import TYPES
from expensehub.demo.seed.documents import ReceiptStats
from expensehub.demo.seed.hooks import Hooks
from expensehub.demo.seed.state import Demo
from expensehub.expenses.rules import STATUSES
from expensehub.kit.money import exponent, to_decimal


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
    receipts: ReceiptStats | None = None
    cards: CardStats | None = None
    hooks: Hooks | None = None
    # per diems above the statutory rate, in a payable status: (employees, claims, {currency: excess})
    allowance_excess: tuple[int, int, dict[str, int]] = (0, 0, {})

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
            *self._allowance_rows(),
            *self._receipt_rows(),
            *self._card_rows(),
            *self._hook_rows(),
            ("time taken", f"{self.seconds:.1f} s"),
        ]

    def _allowance_rows(self) -> list[tuple[str, object]]:
        employees, claims, excess = self.allowance_excess
        if not claims:
            return [("allowance excess", "none: every allowance is at the statutory rate")]
        amounts = ", ".join(f"{_major(v, k)} {k}" for k, v in sorted(excess.items()))
        return [
            (
                "allowance excess",
                f"{claims} per diems of {employees} employees paid above the statutory rate: "
                f"{amounts} taxable (expensehub export payroll-adjustments)",
            )
        ]

    def _hook_rows(self) -> list[tuple[str, object]]:
        h = self.hooks
        if h is None:
            return []
        return [("webhooks", f"{len(h.ids)} subscriptions to {h.url}: {', '.join(h.types)}")]

    def _card_rows(self) -> list[tuple[str, object]]:
        c = self.cards
        if c is None:
            return []
        r = c.run
        review = r["ambiguous"] + r["low_confidence"]
        return [
            (
                "company cards",
                f"{c.cards} cards on {len(c.accounts)} accounts ({', '.join(c.accounts)})",
            ),
            (
                "card feed",
                f"{c.imported} card payments imported from {c.rows} rows of the issuer's CSV export "
                f"({c.rejected} failed attempts not imported)",
            ),
            (
                "reconciliation",
                f"run {c.run_id}: {r['matched']} matched, {review} to review "
                f"({r['ambiguous']} ambiguous, {r['low_confidence']} low confidence), "
                f"{r['missing_receipts']} payments without an expense, "
                f"{r['expenses_without_payment']} card expenses without a payment, {r['refunds']} refunds",
            ),
        ]

    def _receipt_rows(self) -> list[tuple[str, object]]:
        r = self.receipts
        if r is None:
            return [("receipts", "none (no file store given)")]
        kinds = ", ".join(f"{n} {kind.upper()}" for kind, n in sorted(r.by_type.items()))
        return [
            (
                "receipts",
                f"{r.with_receipt} of {r.expenses} expenses ({kinds}; {r.bytes / 1e6:.1f} MB); "
                f"{r.without_receipt} without a receipt",
            )
        ]


def summary(
    demo: Demo,
    api_key: str,
    seconds: float,
    *,
    receipts: ReceiptStats | None = None,
    cards: CardStats | None = None,
    hooks: Hooks | None = None,
) -> DemoSummary:
    claims = demo.claim_list
    days = [c.row["effective_on"] for c in claims]
    by_type = Counter(c.type for c in claims)
    by_status = Counter(c.status for c in claims)
    by_currency = Counter(c.row["currency"] for c in claims)
    top = sum(1 for c in demo.categories.values() if c.parent_category_id is None)
    taxed = [
        c
        for c in claims
        if c.type == "perdiem" and (c.detail.get("taxable_amount") or 0) > 0 and c.status in PAYABLE_STATUSES
    ]
    excess: Counter[str] = Counter()
    for c in taxed:
        excess[c.row["currency"]] += c.detail["taxable_amount"]
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
        receipts=receipts,
        cards=cards,
        hooks=hooks,
        allowance_excess=(len({c.emp.id for c in taxed}), len(taxed), dict(excess)),
    )


def _major(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency):,.{exponent(currency)}f}"

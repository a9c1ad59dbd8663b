"""The expense claims: who claims what, of which type, on which day and in which status; the parts all
types share (category, ledger account, cost-centre split, reporter); flagged duplicates; then the
bulk write in chunks.

The details of each type are filled by ``expenses`` and ``allowances``, the timestamps and approval
flows by ``timeline``, the rows written by ``writer``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import update

from expensehub.demo import data
from expensehub.demo.data import ANCHOR, WINDOW_DAYS
from expensehub.demo.seed import allowances, expenses, timeline, writer
from expensehub.demo.seed.state import Claim, Demo, Emp
from expensehub.expenses.rules import STATUSES
from expensehub.kit.money import convert
from expensehub.models import Expensable

TYPES = ("expense", "mileage", "perdiem")
TYPE_WEIGHTS = (80, 12, 8)
CHUNK = 1000

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


def claims(demo: Demo, n: int, advance: Callable[[int], None]) -> None:
    """Plan, fill and write ``n`` expensables; ``advance`` is told how many each chunk wrote."""
    plans = _plan(demo, n)
    for claim in plans:
        _fill(demo, claim)
    _duplicates(demo, plans)
    for claim in plans:  # originals first: a duplicate is created after its original
        if claim.duplicate_of is None:
            timeline.timeline(demo, claim)
    for claim in plans:
        if claim.duplicate_of is not None:
            timeline.timeline(demo, claim)
    plans.sort(key=lambda c: c.row["created_at"])  # ids grow with time, like a real system
    allowances.price_mileages(plans)
    demo.claim_list = plans
    for start in range(0, len(plans), CHUNK):
        chunk = plans[start : start + CHUNK]
        writer.write(demo, chunk)
        advance(len(chunk))
    links = [{"id": c.id, "duplicate_of_id": c.duplicate_of.id} for c in plans if c.duplicate_of is not None]
    if links:
        demo.s.execute(update(Expensable), links)
    demo.s.flush()


def _plan(demo: Demo, n: int) -> list[Claim]:
    """Who, what type, which day and which status; then every status and type is made present."""
    rng = demo.rng
    today = ANCHOR.date()
    window_start = today - timedelta(days=WINDOW_DAYS)
    spenders: list[tuple[Emp, date, date]] = []
    for emp in demo.emps:
        first = max(window_start, emp.hired_on + timedelta(days=3))
        last = min(today - timedelta(days=1), emp.terminated_on or today)
        if first <= last:
            spenders.append((emp, first, last))
    weights = [e.weight for e, _, _ in spenders]
    plans: list[Claim] = []
    for _ in range(n):
        emp, first, last = rng.choices(spenders, weights=weights)[0]
        span = (last - first).days
        day = last - timedelta(days=round(span * rng.random() ** 1.3))
        if day.weekday() >= 5 and rng.random() < 0.75:  # fewer claims at weekends
            day = max(first, day - timedelta(days=day.weekday() - 4))
        kind = rng.choices(TYPES, weights=TYPE_WEIGHTS)[0]
        plans.append(Claim(emp=emp, type=kind, effective_on=day))
    for claim in plans:
        age = (today - claim.effective_on).days
        mix = next(m for limit, m in _STATUS_BY_AGE if age < limit)
        claim.status = rng.choices(list(mix), weights=list(mix.values()))[0]
    minimum = max(1, min(5, n // 100))
    _cover(demo, plans, "type", TYPES, minimum)
    _cover(demo, plans, "status", STATUSES, minimum)
    return plans


def _cover(demo: Demo, plans: list[Claim], attr: str, values: tuple[str, ...], minimum: int) -> None:
    if len(plans) < len(values) * minimum:
        minimum = len(plans) // len(values)
        if minimum == 0:
            return
    counts = Counter(getattr(p, attr) for p in plans)
    for value in values:
        while counts[value] < minimum:
            donors = [p for p in plans if counts[getattr(p, attr)] > minimum]
            victim = demo.rng.choice(donors)
            counts[getattr(victim, attr)] -= 1
            setattr(victim, attr, value)
            counts[value] += 1


def _fill(demo: Demo, claim: Claim) -> None:
    emp = claim.emp
    claim.row = {
        "company_id": demo.company_id,
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
        leaf = expenses.fill_expense(demo, claim)
    elif claim.type == "mileage":
        leaf = allowances.fill_mileage(demo, claim)
    else:
        leaf = allowances.fill_per_diem(demo, claim)
    row = claim.row
    category = demo.categories[leaf]
    if category.parent_category_id is None:
        row["category_id"] = category.id
    else:
        row["category_id"] = category.parent_category_id
        row["subcategory"] = category.label
    number = data.CATEGORY_ACCOUNTS[leaf][0 if emp.spec.key == "es" else 1]
    row["ledger_account_id"] = demo.accounts[(emp.spec.key, number)]
    if row["payment"] == "reimbursable":
        row["reimbursable_amount"] = row["amount"]
        row["reimbursable_currency"] = row["currency"]
    else:
        row["reimbursable_amount"] = 0
    rate = claim.detail.get("exchange_rate")
    claim.le_amount = (
        row["amount"] if rate is None else convert(row["amount"], row["currency"], rate, emp.spec.currency)
    )
    claim.shares = _shares(demo, claim)
    if (
        demo.office_manager is not None
        and demo.office_manager is not emp
        and emp.spec.key == "es"
        and demo.rng.random() < 0.05
    ):
        row["reporter_id"] = demo.office_manager.id


def _shares(demo: Demo, claim: Claim) -> list[tuple[int, Decimal]]:
    """The employee's cost centres on the day (a few claims are split by hand instead)."""
    rng = demo.rng
    if rng.random() < 0.04:
        ids = [demo.cost_centers[c.code].id for c in data.COST_CENTERS if c.weight > 0]
        picked = rng.sample(ids, 3 if rng.random() < 0.3 else 2)
        splits = {2: ["0.3", "0.7"], 3: ["0.4", "0.3", "0.3"]}[len(picked)]
        return [(cc, Decimal(s)) for cc, s in zip(picked, splits, strict=True)]
    for period in claim.emp.periods:
        if period.start <= claim.effective_on and (period.end is None or claim.effective_on <= period.end):
            return list(period.shares)
    return list(claim.emp.periods[-1].shares)


def _duplicates(demo: Demo, plans: list[Claim]) -> None:
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
        zip(replace, demo.rng.sample(originals, len(replace)), strict=True)
    ):
        status = "rejected" if i % 2 == 0 else "pending"
        dup = Claim(emp=original.emp, type="expense", effective_on=original.effective_on, status=status)
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

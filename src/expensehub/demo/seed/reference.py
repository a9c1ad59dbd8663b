"""Finance reference data: cost centres, categories (and subcategories), ledger accounts with the
categories' account mappings, and projects (and which claims are booked to them). Plain ORM rows,
back-dated to the demo's history."""

from __future__ import annotations

from datetime import timedelta

from expensehub.demo import data
from expensehub.demo.data import ANCHOR
from expensehub.demo.seed.state import Claim, Demo, at
from expensehub.models import Account, Category, CostCenter, LedgerAccountResource, Project


def cost_centers(demo: Demo) -> None:
    created = ANCHOR - timedelta(days=2500)
    rows = []
    for spec in data.COST_CENTERS:
        deactivated = (
            None
            if spec.deactivated_days_ago is None
            else ANCHOR.date() - timedelta(days=spec.deactivated_days_ago)
        )
        cc = CostCenter(
            company_id=demo.company_id,
            legal_entity_id=None,
            name=spec.name,
            code=spec.code,
            description=spec.description,
            deactivation_date=deactivated,
            created_at=created,
            updated_at=created if deactivated is None else at(deactivated, 10),
        )
        demo.cost_centers[spec.code] = cc
        rows.append(cc)
    demo.s.add_all(rows)
    demo.s.flush()


def categories(demo: Demo) -> None:
    parents: list[Category] = []
    for position, spec in enumerate(data.CATEGORIES):
        cat = Category(
            company_id=demo.company_id,
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
        demo.categories[spec.identifier] = cat
    demo.s.add_all(parents)
    demo.s.flush()
    children: list[Category] = []
    for spec in data.CATEGORIES:
        for position, (identifier, label) in enumerate(spec.subcategories):
            cat = Category(
                company_id=demo.company_id,
                parent_category_id=demo.categories[spec.identifier].id,
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
            demo.categories[identifier] = cat
    demo.s.add_all(children)
    demo.s.flush()


def accounts(demo: Demo) -> None:
    """Each legal entity's chart of accounts, and every category's expense account per entity."""
    updated = ANCHOR - timedelta(days=900)
    for key, specs in data.ACCOUNTS.items():
        spec, le_id = demo.entities[key]
        rows = [
            Account(
                company_id=demo.company_id,
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
        demo.s.add_all(rows)
        demo.s.flush()
        for account in rows:
            demo.accounts[(key, account.number)] = account.id
    mappings = [
        LedgerAccountResource(
            company_id=demo.company_id,
            legal_entity_id=demo.entities[key][1],
            resource_type="customcategory",
            resource_id=demo.categories[identifier].id,
            account_id=demo.accounts[(key, numbers[0 if key == "es" else 1])],
            balance_type="debit",
            operation_type="purchase",
            external_id=None,
            updated_at=updated,
        )
        for key in ("es", "gb")
        for identifier, numbers in data.CATEGORY_ACCOUNTS.items()
    ]
    demo.s.add_all(mappings)
    demo.s.flush()


def projects(demo: Demo) -> None:
    today = ANCHOR.date()
    for key, code, name, client, billable, start_ago, duration, status in data.PROJECTS:
        start = today - timedelta(days=start_ago)
        client_name = None if client is None else data.CLIENTS[client]
        demo.projects.append(
            Project(
                company_id=demo.company_id,
                legal_entity_id=demo.entities[key][1],
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
                fixed_cost_cents=demo.rng.randint(30, 240) * 100_000 if billable else None,
                created_at=at(start - timedelta(days=10), 11),
                updated_at=at(min(today, start + timedelta(days=duration)), 11),
            )
        )
    demo.s.add_all(demo.projects)
    demo.s.flush()


def project_for(demo: Demo, claim: Claim, probability: float) -> int | None:
    """Sometimes (``probability``) a project of the claim's entity running on its day, for the teams
    that work on projects; otherwise none."""
    if claim.emp.cost_center not in ("CC-100", "CC-200", "CC-400", "CC-900"):
        return None
    if demo.rng.random() >= probability:
        return None
    day = claim.effective_on
    candidates = [
        p
        for p in demo.projects
        if p.legal_entity_id == claim.emp.le_id
        and p.status != "draft"
        and p.start_date is not None
        and p.due_date is not None
        and p.start_date <= day <= p.due_date
    ]
    return demo.rng.choice(candidates).id if candidates else None

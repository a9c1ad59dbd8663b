"""The company, its legal entities and its people: employees, managers and cost-centre memberships.

Rows go through the companies service (as the API creates them), then get back-dated to the demo's
history. Needs the cost centres (``reference.cost_centers``) for the memberships.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from expensehub.companies.service import create_company, create_employee, create_legal_entity
from expensehub.demo import data
from expensehub.demo.data import ANCHOR
from expensehub.demo.seed.state import Demo, Emp, Period, at
from expensehub.models import CostCenterMembership


def company(demo: Demo) -> None:
    """The company and one legal entity per ``data.ENTITIES`` spec."""
    rng = demo.rng
    name = rng.choice(data.COMPANY_NAMES)
    demo.company_name = name
    demo.domain = f"{_ascii(name)}.example"
    created = create_company(
        demo.s, name=name, legal_name=f"{name} Group SL", tin=f"B{rng.randint(10**7, 10**8 - 1)}"
    )
    created.created_at = ANCHOR - timedelta(days=2600)
    demo.company_id = created.id
    for spec in data.ENTITIES:
        tin = (
            f"B{rng.randint(10**7, 10**8 - 1)}" if spec.key == "es" else f"GB{rng.randint(10**8, 10**9 - 1)}"
        )
        entity = create_legal_entity(
            demo.s,
            company_id=created.id,
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
        demo.entities[spec.key] = (spec, entity.id)


def employees(demo: Demo, n: int) -> None:
    """``n`` employees (CEO, managers, staff; a few terminated) and their cost-centre memberships."""
    rng = demo.rng
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
        spec, le_id = demo.entities[key]
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
        manager = None if index == 0 else _manager_for(demo, key, cc_code, manager_flag)
        has_card = rng.random() < (0.7 if manager_flag or cc_code in ("CC-100", "CC-400") else 0.15)
        employee = create_employee(
            demo.s,
            company_id=demo.company_id,
            first_name=first,
            last_name=last,
            email=f"{local}@{demo.domain}",
            legal_entity_id=le_id,
            manager_id=None if manager is None else demo.emps[manager].id,
            is_manager=manager_flag,
            terminated_on=terminated_on,
            company_identifier=f"{spec.identifier_prefix}{index + 1:04d}",
            birthday_on=date(rng.randint(1962, 2001), rng.randint(1, 12), rng.randint(1, 28)),
        )
        employee.created_at = at(hired_on, 9)
        employee.updated_at = at(terminated_on, 17) if terminated_on else employee.created_at
        emp = Emp(
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
        demo.emps.append(emp)
        if cc_code == "CC-500" and manager_flag and index > 0 and demo.finance_approver is None:
            demo.finance_approver = emp
        if (
            demo.office_manager is None
            and not manager_flag
            and key == "es"
            and cc_code in ("CC-500", "CC-600")
            and terminated_on is None
        ):
            demo.office_manager = emp
    if demo.finance_approver is None:
        demo.finance_approver = demo.emps[0]
    _memberships(demo)


def _manager_for(demo: Demo, key: str, cc_code: str, manager_flag: bool) -> int:
    if manager_flag:
        return 0
    managers = [e for e in demo.emps if e.is_manager and e.index > 0]
    same = [e for e in managers if e.spec.key == key and e.cost_center == cc_code]
    if same:
        return same[0].index
    local = [e for e in managers if e.spec.key == key]
    if local:
        return demo.rng.choice(local).index
    return 0


def _memberships(demo: Demo) -> None:
    rng = demo.rng
    ccs = demo.cost_centers
    legacy = ccs["CC-900"]
    assert legacy.deactivation_date is not None
    others = [c for c in data.COST_CENTERS if c.weight > 0]
    rows: list[CostCenterMembership] = []
    for emp in demo.emps:
        main = ccs[emp.cost_center]
        current: list[tuple[int, Decimal]] = [(main.id, Decimal(1))]
        if emp.index > 0 and rng.random() < 0.15:
            second = rng.choice([c for c in others if c.code != emp.cost_center])
            current = [(main.id, Decimal("0.5")), (ccs[second.code].id, Decimal("0.5"))]
        history = emp.index > 0 and rng.random() < 0.15
        if history and emp.hired_on < legacy.deactivation_date - timedelta(days=60):
            emp.periods.append(
                Period(emp.hired_on, legacy.deactivation_date - timedelta(days=1), [(legacy.id, Decimal(1))])
            )
            emp.periods.append(Period(legacy.deactivation_date, None, current))
        elif history and (ANCHOR.date() - emp.hired_on).days > 120:
            old = rng.choice([c for c in others if c.code != emp.cost_center])
            span = (ANCHOR.date() - emp.hired_on).days
            change = emp.hired_on + timedelta(days=rng.randint(60, span - 30))
            emp.periods.append(
                Period(emp.hired_on, change - timedelta(days=1), [(ccs[old.code].id, Decimal(1))])
            )
            emp.periods.append(Period(change, None, current))
        else:
            emp.periods.append(Period(emp.hired_on, None, current))
        for period in emp.periods:
            end = period.end if period.end is not None else emp.terminated_on
            for cc_id, share in period.shares:
                rows.append(
                    CostCenterMembership(
                        company_id=demo.company_id,
                        employee_id=emp.id,
                        cost_center_id=cc_id,
                        start_date=period.start,
                        end_date=end,
                        percentage=share,
                    )
                )
    demo.memberships = len(rows)
    demo.s.add_all(rows)
    demo.s.flush()


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())

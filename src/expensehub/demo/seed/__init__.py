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

The steps, in the order they draw from the generator (that order is what a seed reproduces):

- ``people``: the company, its legal entities, employees (managers, cards, terminations) and their
  cost-centre memberships; ``reference``: cost centres, categories, ledger accounts, projects;
- ``claims``: plan the expensables (who, type, day, status), fill what all types share, flag duplicates,
  write them in chunks; ``expenses`` and ``allowances`` fill each type's details, ``timeline`` the
  timestamps and approval flows, ``writer`` the bulk INSERTs;
- ``summary``: the counts the CLI prints; ``progress``: its progress bars; ``state``: what they share.
"""

from __future__ import annotations

import random
import time as timer

from rich.console import Console
from sqlalchemy.orm import Session

from expensehub.auth.service import create_api_key
from expensehub.demo.seed import people, reference
from expensehub.demo.seed.allowances import TRIP_COUNTRIES
from expensehub.demo.seed.claims import CHUNK, TYPE_WEIGHTS, TYPES, claims
from expensehub.demo.seed.progress import bar
from expensehub.demo.seed.state import Demo
from expensehub.demo.seed.summary import DemoSummary, summary
from expensehub.demo.seed.timeline import APPROVED_OR_LATER, FLOW_RESOURCE_TYPE, SECOND_APPROVAL_ABOVE
from expensehub.expenses.rules import STATUSES

__all__ = [
    "APPROVED_OR_LATER",
    "CHUNK",
    "FLOW_RESOURCE_TYPE",
    "SECOND_APPROVAL_ABOVE",
    "STATUSES",
    "TRIP_COUNTRIES",
    "TYPES",
    "TYPE_WEIGHTS",
    "DemoSummary",
    "seed_demo",
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
    demo = Demo(session, random.Random(seed))
    with bar(progress, expensables) as progress_bar:
        reference_data(demo, employees)
        progress_bar.reference_done()
        claims(demo, expensables, progress_bar.advance)
    _, api_key = create_api_key(session, company_id=demo.company_id, name="demo")
    return summary(demo, api_key, timer.perf_counter() - started)


def reference_data(demo: Demo, n_employees: int) -> None:
    """The company, its people and its finance reference data, in the order the seed reproduces."""
    people.company(demo)
    reference.cost_centers(demo)
    people.employees(demo, n_employees)
    reference.categories(demo)
    reference.accounts(demo)
    reference.projects(demo)
    demo.s.flush()

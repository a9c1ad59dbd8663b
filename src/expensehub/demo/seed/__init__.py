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
from expensehub.demo.seed import cards as cards_step
from expensehub.demo.seed import documents as documents_step
from expensehub.demo.seed import hooks, people, reference
from expensehub.demo.seed.allowances import TRIP_COUNTRIES
from expensehub.demo.seed.claims import CHUNK, TYPE_WEIGHTS, TYPES, claims
from expensehub.demo.seed.progress import bar
from expensehub.demo.seed.state import Demo
from expensehub.demo.seed.summary import DemoSummary, summary
from expensehub.demo.seed.timeline import APPROVED_OR_LATER, FLOW_RESOURCE_TYPE, SECOND_APPROVAL_ABOVE
from expensehub.documents.context import DocumentsConfig
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
    documents: DocumentsConfig | None = None,
    webhook_url: str | None = None,
    allow_private_webhooks: bool = False,
) -> DemoSummary:
    """Create the demo company in ``session`` (flushed, not committed) and an API key for it.

    With ``documents`` (the file store and limits the API's uploads use) the expenses get receipts;
    without it, none are made. With ``webhook_url``, the demo company subscribes that URL to a set of
    event types (``hooks.EVENTS``); ``allow_private_webhooks`` lets it be on this machine."""
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
    # The steps after the claims draw from generators of their own, seeded here in a fixed order, so
    # that leaving one out (no file store) changes nothing else.
    receipts_rng = random.Random(demo.rng.getrandbits(64))
    cards_rng = random.Random(demo.rng.getrandbits(64))
    receipts = None
    if documents is not None:
        receipts = documents_step.receipts(demo, receipts_rng, documents)
    card_stats = cards_step.cards(demo, cards_rng)
    subscribed = None
    if webhook_url is not None:
        subscribed = hooks.subscribe(demo, webhook_url, allow_private=allow_private_webhooks)
    _, api_key = create_api_key(session, company_id=demo.company_id, name="demo")
    return summary(
        demo, api_key, timer.perf_counter() - started, receipts=receipts, cards=card_stats, hooks=subscribed
    )


def reference_data(demo: Demo, n_employees: int) -> None:
    """The company, its people and its finance reference data, in the order the seed reproduces."""
    people.company(demo)
    reference.cost_centers(demo)
    people.employees(demo, n_employees)
    reference.categories(demo)
    reference.accounts(demo)
    reference.projects(demo)
    demo.s.flush()

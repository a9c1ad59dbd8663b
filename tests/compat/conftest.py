"""A real uvicorn server on loopback, serving a seeded demo company, for the Factorial SDKs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings
from expensehub.db.engine import transaction
from tests.live import serve


@dataclass
class LiveServer:
    base_url: str
    api_key: str
    company_id: int


@pytest.fixture(scope="session")
def live_server(db_url: str, session_factory: sessionmaker[Session]) -> Iterator[LiveServer]:
    """Seed a small demo company, then serve the API with uvicorn on 127.0.0.1:<free port>."""
    from expensehub.demo.seed import seed_demo

    with transaction(session_factory) as session:
        summary = seed_demo(session, seed=7, employees=15, expensables=320, progress=None)
        company_id = summary.company_id
        api_key = summary.api_key

    with serve(Settings(database_url=db_url)) as base_url:
        yield LiveServer(base_url=base_url, api_key=api_key, company_id=company_id)

"""A real uvicorn server on loopback, serving a seeded demo company, for the Factorial SDKs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from expensehub.api.app import create_app
from expensehub.config import Settings
from expensehub.db.engine import transaction


@dataclass
class LiveServer:
    base_url: str
    api_key: str
    company_id: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(db_url: str, session_factory: sessionmaker[Session]) -> Iterator[LiveServer]:
    """Seed a small demo company, then serve the API with uvicorn on 127.0.0.1:<free port>."""
    from expensehub.demo.seed import seed_demo

    with transaction(session_factory) as session:
        summary = seed_demo(session, seed=7, employees=15, expensables=320, progress=None)
        company_id = summary.company_id
        api_key = summary.api_key

    port = _free_port()
    app = create_app(Settings(database_url=db_url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    assert httpx.get(f"{base_url}/healthz").status_code == 200
    yield LiveServer(base_url=base_url, api_key=api_key, company_id=company_id)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()

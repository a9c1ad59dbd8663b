"""A real uvicorn server on loopback, in a thread of the test process (for races and real clients)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from expensehub.api.app import create_app
from expensehub.config import Settings
from tests.waiting import HANG_S, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` on 127.0.0.1:<free port>; yields the base URL."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    wait_for(lambda: server.started or not thread.is_alive(), what="uvicorn to start")
    if not thread.is_alive():
        raise RuntimeError("uvicorn stopped while starting")
    assert httpx.get(f"{base_url}/healthz", timeout=HANG_S).status_code == 200
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()

"""Request ids on every response and error body, one structured log line per request, tracebacks with ids."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from expensehub import logs
from expensehub.config import Settings
from tests.factories import ApiClient, Tenant


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("INFO", "json", stream=stream)
    yield stream
    logs.reset()


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_response_carries_a_request_id_and_errors_repeat_it(api: ApiClient, tenant: Tenant) -> None:
    ok = api.get("expenses/expensables")
    assert ok.status_code == 200
    assert len(ok.headers["x-request-id"]) == 32
    url = api.url("expenses/expensables")
    errors = [
        api.http.get(url),  # 401
        api.get("expenses/expensables/999999999"),  # 404
        api.get("expenses/expensables", params={"limit": "x"}),  # 422
        api.http.get(url + "?q=%00", headers=api.headers),  # 400 control_character (a middleware)
        api.post("expenses/expenses", content=b"{", headers={"content-type": "application/json"}),  # 400
    ]
    for r in errors:
        assert r.status_code >= 400
        assert r.json()["request_id"] == r.headers["x-request-id"], r.text
    ids = {r.headers["x-request-id"] for r in [ok, *errors]}
    assert len(ids) == 1 + len(errors)  # a new id for each request


def test_a_valid_client_request_id_is_kept_and_a_bad_one_replaced(api: ApiClient) -> None:
    given = "trace-2026.12.02:abc_DEF-1"
    r = api.http.get(
        api.url("expenses/expensables/999999999"), headers={**api.headers, "x-request-id": given}
    )
    assert r.headers["x-request-id"] == given
    assert r.json()["request_id"] == given
    for bad in ("", "a" * 129, "has space", 'quote"', "semi;colon", "caf\xe9".encode("latin-1")):
        r = api.http.get(api.url("expenses/expensables"), headers={**api.headers, "x-request-id": bad})
        assert r.status_code == 200, bad
        assert r.headers["x-request-id"] != bad
        assert len(r.headers["x-request-id"]) == 32


def test_one_json_line_per_request(api: ApiClient, tenant: Tenant, log_lines: io.StringIO) -> None:
    missing = api.url("expenses/expensables/999999999")
    r = api.http.get(missing, headers={**api.headers, "x-request-id": "req-1"})
    assert r.status_code == 404
    api.http.get(api.url("expenses/expensables"), headers={"x-request-id": "req-2"})  # no credentials
    requests = [rec for rec in _records(log_lines) if rec["event"] == "request"]
    assert [rec["request_id"] for rec in requests] == ["req-1", "req-2"]
    first, second = requests
    assert first["method"] == "GET"
    assert first["path"] == "/api/{version}/resources/expenses/expensables/{id}"  # the template
    assert (first["status"], first["company_id"], first["logger"], first["level"]) == (
        404,
        tenant.company_id,
        "expensehub.access",
        "info",
    )
    assert isinstance(first["duration_ms"], float)
    assert first["timestamp"].endswith("Z")
    assert second["status"] == 401
    assert "company_id" not in second


def test_an_unhandled_error_is_a_json_500_and_its_traceback_is_logged_with_the_id(
    settings: Settings, log_lines: io.StringIO
) -> None:
    from expensehub.api.app import create_app

    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"x-request-id": "req-boom"})
    app.state.engine.dispose()
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-boom"
    assert r.json() == {
        "code": "internal_error",
        "message": "internal server error",
        "errors": [
            {"code": "internal_error", "error": "internal server error", "message": "internal server error"}
        ],
        "request_id": "req-boom",
    }
    records = _records(log_lines)
    [crash] = [rec for rec in records if rec["event"] == "unhandled error"]
    assert crash["request_id"] == "req-boom"
    assert crash["level"] == "error"
    assert "RuntimeError: kaput" in crash["exception"]
    assert (crash["method"], crash["path"]) == ("GET", "/boom")
    [line] = [rec for rec in records if rec["event"] == "request"]
    assert (line["status"], line["path"], line["request_id"]) == (500, "/boom", "req-boom")


def test_the_worker_logs_json_lines_too(tmp_path: Path) -> None:
    from expensehub.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    env = {**os.environ, "EXPENSEHUB_DATABASE_URL": url, "EXPENSEHUB_STORAGE_DIR": str(tmp_path)}
    cli = Path(sys.executable).parent / "expensehub"
    done = subprocess.run(
        [str(cli), "worker", "--once", "--no-webhooks"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    events = [(rec["logger"], rec["event"]) for rec in lines]
    assert ("expensehub.worker", "worker started") in events
    assert ("expensehub.worker", "worker stopped") in events
    stopped = next(rec for rec in lines if rec["event"] == "worker stopped")
    assert (stopped["polls"], stopped["failed"], stopped["level"]) == (1, 0, "info")

    readable = subprocess.run(
        [str(cli), "worker", "--once", "--no-webhooks"],
        env={**env, "EXPENSEHUB_LOG_FORMAT": "console"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "worker started" in readable.stderr
    assert not any(line.startswith("{") for line in readable.stderr.splitlines())

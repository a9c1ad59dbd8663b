"""expensehub.client against a live expensehub on loopback (both API versions, sync and async), and
through a misbehaving proxy the test starts itself (429 with Retry-After, 503, dropped connections, slow
answers)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.client import (
    AsyncClient,
    Budget,
    Client,
    Conflict,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransportError,
    ValidationFailed,
)
from expensehub.client.engine import retry_after
from expensehub.config import Settings
from tests.client.proxy import DROP, OK, SLOW, TOO_MANY, UNAVAILABLE, misbehaving
from tests.factories import Tenant, make_tenant
from tests.live import serve

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(base=0.01, cap=0.05, rng=random.Random(7))


@pytest.fixture(scope="module")
def server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(Settings(database_url=db_url, storage_dir=str(tmp_path_factory.mktemp("files")))) as url:
        yield url


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> Tenant:
    return make_tenant(session_factory)


def _client(url: str, tenant: Tenant, **options: Any) -> Client:
    return Client(url, api_key=tenant.api_key, retry=options.pop("retry", FAST), **options)


def test_generated_module_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_client.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("version", ["2026-10-01", "2026-04-01"])
def test_lists_lazily_through_every_page_in_each_version(server: str, company: Tenant, version: str) -> None:
    with _client(server, company, version=version) as api:
        for n in range(7):
            api.project_management.projects.create(name=f"P{n}", code=f"C{n}")
        before = api.budget.used
        walk = api.project_management.projects.list(limit=2)
        first = next(walk)
        assert api.budget.used == before + 1  # one page fetched, no more
        rest = list(walk)
        assert [p["name"] for p in [first, *rest]] == [f"P{n}" for n in range(7)]
        assert api.budget.used == before + 4  # 7 items, 2 a page
        ids = {p["id"] for p in [first, *rest]}
        assert all(isinstance(i, str if version == "2026-10-01" else int) for i in ids)
        one = api.project_management.projects.get(first["id"])  # wrapped in `data` in 2026-04-01
        assert one["name"] == "P0"
        assert [p["code"] for p in api.project_management.projects.list(name_or_code="C3")] == ["C3"]
        listed = [
            e["id"]
            for e in api.employees.employees.list(ids=[company.employee_ids[0], company.employee_ids[2]])
        ]
        assert [int(i) for i in listed] == [company.employee_ids[0], company.employee_ids[2]]


def test_writes_actions_and_typed_errors(server: str, company: Tenant) -> None:
    with _client(server, company) as api:
        employees = api.employees.employees
        hired = employees.create_with_contract(
            company_id=str(company.company_id), first_name="Cli", last_name="Ent", email="cli@example.test"
        )
        assert hired["email"] == "cli@example.test"
        with pytest.raises(Conflict) as conflict:
            employees.create_with_contract(
                company_id=str(company.company_id),
                first_name="Cli",
                last_name="Ent",
                email="CLI@example.test",
            )
        assert (conflict.value.status, conflict.value.code) == (409, "duplicate_email")
        assert conflict.value.request_id
        assert employees.update(hired["id"], preferred_name="C")["preferred_name"] == "C"
        assert (
            employees.terminate(id=hired["id"], terminated_on="2026-12-31")["terminated_on"] == "2026-12-31"
        )
        with pytest.raises(Conflict) as again:
            employees.terminate(id=hired["id"], terminated_on="2026-12-31")
        assert again.value.details["status"] == "terminated"
        with pytest.raises(ValidationFailed) as invalid:
            employees.update(hired["id"], bank_number="ES0000", bank_number_format="iban")
        assert invalid.value.code == "invalid_iban"
        assert "bank_number" in invalid.value.fields
        with pytest.raises(NotFound):
            employees.get(987654321)
        with pytest.raises(AttributeError):
            employees.fly()  # no such action
        project = api.project_management.projects.create(name="Doomed")
        assert api.project_management.projects.delete(project["id"])["id"] == project["id"]
        assert api.budget.retries == 0


def test_async_client_does_the_same(server: str, company: Tenant) -> None:
    async def run() -> None:
        async with AsyncClient(server, api_key=company.api_key, retry=FAST, version="2026-04-01") as api:
            for n in range(3):
                await api.project_management.projects.create(name=f"A{n}")
            names = [p["name"] async for p in api.project_management.projects.list(limit=1)]
            assert names == ["A0", "A1", "A2"]
            project = await api.project_management.projects.close(
                id=(await api.project_management.projects.create(name="Z"))["id"]
            )
            assert project["status"] == "closed"
            with pytest.raises(NotFound):
                await api.employees.employees.get(987654321)

    anyio.run(run)


def test_retries_through_429_503_drops_and_slow_answers(server: str, company: Tenant) -> None:
    plan = [TOO_MANY, OK, UNAVAILABLE, DROP, OK, SLOW, OK]
    with misbehaving(server, plan, retry_after="1") as proxy, _client(proxy.url, company) as api:
        made = [api.project_management.projects.create(name=f"R{n}")["id"] for n in range(4)]
        listed = [p["id"] for p in api.project_management.projects.list(limit=2)]
        assert set(made) <= set(listed)
        assert len(listed) == len(set(listed))  # nothing created twice by a retried POST
        assert api.budget.retries >= 3
        faults = [fault for _line, fault in proxy.seen]
        assert {TOO_MANY, UNAVAILABLE, DROP, SLOW} <= set(faults)
        # Every attempt of one POST carried the same Idempotency-Key.
        posts = [
            (line, h)
            for (line, _f), h in zip(proxy.seen, proxy.headers_seen, strict=True)
            if line.startswith("POST")
        ]
        keys = [h["idempotency-key"] for _line, h in posts]
        assert len(set(keys)) == 4
        assert len(keys) > 4


def test_retry_after_is_honoured_and_a_long_one_is_not_waited_for(server: str, company: Tenant) -> None:
    with misbehaving(server, [TOO_MANY, OK], retry_after="1") as proxy, _client(proxy.url, company) as api:
        t0 = time.monotonic()
        api.employees.employees.get(company.employee_ids[0])
        assert time.monotonic() - t0 >= 0.9  # waited the second it was asked to
    with misbehaving(server, [TOO_MANY], retry_after="3600") as proxy, _client(proxy.url, company) as api:
        with pytest.raises(RateLimited) as caught:
            api.employees.employees.get(company.employee_ids[0])
        assert caught.value.attempts == 1
        assert len(proxy.seen) == 1


def test_gives_up_after_its_attempts_with_a_typed_error(server: str, company: Tenant) -> None:
    policy = RetryPolicy(attempts=3, base=0.01, cap=0.02)
    with misbehaving(server, [UNAVAILABLE]) as proxy, _client(proxy.url, company, retry=policy) as api:
        with pytest.raises(ServerError) as caught:
            api.employees.employees.get(company.employee_ids[0])
        assert (caught.value.status, caught.value.attempts, len(proxy.seen)) == (503, 3, 3)
    with misbehaving(server, [DROP]) as proxy, _client(proxy.url, company, retry=policy) as api:
        with pytest.raises(TransportError) as dropped:
            api.employees.employees.get(company.employee_ids[0])
        assert dropped.value.attempts == 3


def test_a_post_is_not_retried_after_a_drop_when_asked_not_to(server: str, company: Tenant) -> None:
    policy = RetryPolicy(attempts=3, base=0.01, cap=0.02, retry_posts=False)
    with misbehaving(server, [DROP, OK]) as proxy, _client(proxy.url, company, retry=policy) as api:
        with pytest.raises(TransportError):
            api.project_management.projects.create(name="Once")
        assert len(proxy.seen) == 1


def test_timeouts_are_transport_errors(server: str, company: Tenant) -> None:
    policy = RetryPolicy(attempts=2, base=0.01, cap=0.02)
    with (
        misbehaving(server, [SLOW], slow_seconds=1.0) as proxy,
        _client(proxy.url, company, retry=policy, timeout=0.2) as api,
    ):
        with pytest.raises(TransportError):
            api.employees.employees.get(company.employee_ids[0])
        assert len(proxy.seen) == 2


def test_the_budget_spaces_requests() -> None:
    budget = Budget(per_minute=60, posts_per_minute=30)
    waits = [budget.delay("GET", 0.0) for _ in range(8)]
    assert waits[:6] == [0.0] * 6  # a burst of a tenth of a minute's budget
    assert waits[6] == pytest.approx(1.0)
    assert waits[7] == pytest.approx(2.0)
    posts = [budget.delay("POST", 100.0) for _ in range(4)]
    assert posts[:3] == [0.0] * 3
    assert posts[3] == pytest.approx(2.0)


def test_retry_after_parses_seconds_and_dates() -> None:
    assert retry_after({"retry-after": "7"}, 0) == 7.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 1445412470.0) == pytest.approx(10.0)
    assert retry_after({}, 0) is None
    assert retry_after({"retry-after": "soon"}, 0) is None


def test_a_bad_credential_and_a_missing_one(server: str) -> None:
    from expensehub.client import ClientError, Unauthorized

    with Client(server, api_key="ehk_nope", retry=FAST) as api, pytest.raises(Unauthorized):
        api.employees.employees.get(1)
    with pytest.raises(ClientError):
        Client(server)
    with Client(server, api_key="x") as api, pytest.raises(AttributeError):
        _ = api.nothing_here

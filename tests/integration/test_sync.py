"""`expensehub sync`: a company served by a live expensehub on loopback is mirrored, through the client and
its HTTP API, into another company; SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.auth import service as auth_service
from expensehub.client import Client, Conflict, RetryPolicy, TransportError
from expensehub.companies import service as companies
from expensehub.config import Settings
from expensehub.db.engine import transaction
from expensehub.finance import service as finance
from expensehub.models import Employee
from expensehub.models.sync import SyncLink, SyncRun
from expensehub.sync import service
from tests.client.proxy import DROP, OK, misbehaving
from tests.factories import Tenant, make_tenant
from tests.live import serve

FAST = RetryPolicy(base=0.01, cap=0.05, rng=random.Random(3))
COMPARED = {
    "companies/legal_entities": ("country", "legal_name", "currency", "tin", "city"),
    "employees/employees": (
        "first_name",
        "last_name",
        "email",
        "company_identifier",
        "legal_entity_id",
        "manager_id",
        "terminated_on",
        "bank_number",
    ),
    "finance/categories": (
        "label",
        "default_label",
        "identifier",
        "visible",
        "enabled",
        "parent_category_id",
    ),
    "finance/accounts": ("number", "type", "name", "external_id", "disabled", "legal_entity_id"),
    "finance/cost_centers": ("name", "code", "description", "legal_entity_id"),
    "project_management/projects": ("name", "code", "status", "legal_entity_id", "due_date"),
    "expenses/mileages": ("status", "amount", "currency", "mileage", "rate", "from", "to", "employee_id"),
    "expenses/per_diems": (
        "status",
        "amount",
        "currency",
        "start_date",
        "end_date",
        "employee_id",
        "trip_name",
    ),
    "expenses/expenses": (
        "status",
        "amount",
        "currency",
        "merchant_name",
        "effective_on",
        "employee_id",
        "category_id",
        "project_id",
        "payment",
        "reimbursable_amount",
        "description",
    ),
}
REFS = {
    "employee_id": "employees/employees",
    "category_id": "finance/categories",
    "project_id": "project_management/projects",
    "legal_entity_id": "companies/legal_entities",
    "manager_id": "employees/employees",
    "parent_category_id": "finance/categories",
}


@pytest.fixture(scope="module")
def server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(Settings(database_url=db_url, storage_dir=str(tmp_path_factory.mktemp("files")))) as url:
        yield url


@pytest.fixture
def remote(server: str, session_factory: sessionmaker[Session]) -> Tenant:
    """The source company: two entities, three employees, a few hired through the API, centres, projects."""
    tenant = make_tenant(session_factory, name="Remote Co")
    api = Client(server, api_key=tenant.api_key, retry=FAST)
    cid = str(tenant.company_id)
    boss = str(tenant.employee_ids[0])
    for n in range(5):
        api.employees.employees.create_with_contract(
            company_id=cid,
            first_name=f"Hire{n}",
            last_name="Remote",
            email=f"hire{n}@remote.test",
            manager_id=boss,
            company_identifier=f"R{n}",
            bank_number="ES9121000418450200051332" if n == 0 else None,
        )
    for n in range(3):
        api.finance.cost_centers.create(name=f"Centre {n}", code=f"CC{n}", company_id=cid)
    for n in range(4):
        api.project_management.projects.create(
            name=f"Project {n}", code=f"P{n}", status="closed" if n else "active"
        )
    for number in ("629100", "629200"):
        api.finance.accounts.create(
            number=number,
            type="expense",
            currency="EUR",
            legal_entity_id=str(tenant.le_es),
            name=f"Travel {number}",
        )
    api.close()
    with transaction(session_factory) as s:
        travel = finance.create_category(
            s, company_id=tenant.company_id, identifier="travel", default_label="Travel"
        )
        finance.create_category(
            s,
            company_id=tenant.company_id,
            identifier="taxi",
            default_label="Taxi",
            parent_category_id=travel.id,
        )
        finance.create_category(
            s, company_id=tenant.company_id, identifier="gifts", default_label="Gifts", status="disabled"
        )
        travel_id = travel.id
    with Client(server, api_key=tenant.api_key, retry=FAST) as api:
        project = next(iter(api.project_management.projects.list()))["id"]
        for n, status in enumerate(("draft", "pending", "approved", "paid", "approved")):
            expense = api.expenses.expenses.create(
                employee_id=str(tenant.employee_ids[1]),
                amount=1000 + n,
                currency="EUR",
                effective_on=f"2026-03-0{n + 1}",
                merchant_name=f"Shop {n}",
                category_id=str(travel_id),
                project_id=project if n % 2 else None,
                description=f"Claim {n}",
            )
            claim = expense["expenses_expensable_id"]
            if status != "draft":
                api.expenses.expensables.submit(ids=[claim])
            if status in ("approved", "paid"):
                api.resource("approvals/materialized_approvals_flows").approve_resource(
                    resource_type="Expenses::Expensable", resource_id=claim
                )
            if status == "paid":
                api.expenses.expensables.bulk_set_to_paid(ids=[claim])
        employee = str(tenant.employee_ids[1])
        api.expenses.mileages.create(
            employee_id=employee,
            currency="EUR",
            effective_on="2026-03-10",
            mileage=40,
            rate="0.26",
            **{"from": "Vic", "to": "Girona"},
        )
        trip = api.expenses.per_diems.create(
            employee_id=employee,
            currency="EUR",
            amount=5340,
            start_date="2026-03-11",
            end_date="2026-03-12",
            trip_name="Fair",
        )
        api.expenses.expensables.submit(ids=[trip["expenses_expensable_id"]])
    return tenant


def _local_client(server: str, session_factory: sessionmaker[Session], company_id: int) -> Client:
    with transaction(session_factory) as s:
        _key, plaintext = auth_service.create_api_key(s, company_id=company_id, name="check")
    return Client(server, api_key=plaintext, retry=FAST)


def _mirror_map(session_factory: sessionmaker[Session], company_id: int) -> dict[str, dict[str, str]]:
    with session_factory() as s:
        rows = s.scalars(select(SyncLink).where(SyncLink.company_id == company_id)).all()
        out: dict[str, dict[str, str]] = {}
        for row in rows:
            out.setdefault(row.resource, {})[row.remote_id] = str(row.local_id)
        return out


def _assert_equal(source: Client, target: Client, mapping: dict[str, dict[str, str]]) -> None:
    for resource, fields in COMPARED.items():
        remote = {str(o["id"]): o for o in source.resource(resource).list()}
        local = {str(o["id"]): o for o in target.resource(resource).list()}
        ids = mapping.get(resource, {})
        assert set(ids) == set(remote), resource
        assert set(ids.values()) <= set(local), resource
        for remote_id, obj in remote.items():
            mine = local[ids[remote_id]]
            for name in fields:
                want = obj.get(name)
                if name in REFS and want is not None:
                    want = mapping[REFS[name]][str(want)]
                assert mine.get(name) == want, (resource, remote_id, name, mine.get(name), want)


def _new_company(session_factory: sessionmaker[Session]) -> int:
    with transaction(session_factory) as s:
        return companies.create_company(s, name="Mirror").id


def test_a_sync_mirrors_the_company_and_a_second_one_applies_only_the_changes(
    server: str, remote: Tenant, session_factory: sessionmaker[Session]
) -> None:
    target = _new_company(session_factory)
    source = f"{server}#{remote.company_id}"
    with Client(server, api_key=remote.api_key, retry=FAST) as api:
        first = service.sync(session_factory, api, company_id=target, source=source)
        assert first.failures == []
        assert first.counts["employees/employees"]["created"] == 8
        assert first.counts["project_management/projects"]["created"] == 4
        with _local_client(server, session_factory, target) as mine:
            _assert_equal(api, mine, _mirror_map(session_factory, target))
            # Mirrored rows belong to the source: a local edit is refused (409 mirrored), a local row is not.
            mapped = _mirror_map(session_factory, target)
            mirrored = next(iter(mapped["employees/employees"].values()))
            with pytest.raises(Conflict) as refused:
                mine.employees.employees.update(mirrored, preferred_name="Local")
            assert refused.value.code == "mirrored"
            with pytest.raises(Conflict):
                mine.project_management.projects.close(
                    id=next(iter(mapped["project_management/projects"].values()))
                )
            claims = {e["status"]: e for e in mine.expenses.expenses.list()}
            with pytest.raises(Conflict) as unpaid:
                mine.expenses.expensables.bulk_set_to_paid(ids=[claims["approved"]["expenses_expensable_id"]])
            assert (unpaid.value.code, unpaid.value.details["status"]) == ("mirrored", "mirrored")
            with pytest.raises(Conflict):
                mine.resource("approvals/materialized_approvals_flows").approve_resource(
                    resource_type="Expenses::Expensable",
                    resource_id=claims["pending"]["expenses_expensable_id"],
                )
            own = mine.employees.employees.create_with_contract(
                company_id=str(target), first_name="Own", last_name="Hire", email="own@mirror.test"
            )
            assert (
                mine.employees.employees.update(own["id"], preferred_name="Mine")["preferred_name"] == "Mine"
            )

            # Changes on the source: an edit, a deletion, a new hire, a new manager, a termination.
            centres = list(api.finance.cost_centers.list())
            api.finance.cost_centers.edit(id=centres[0]["id"], name="Renamed centre")
            doomed = list(api.project_management.projects.list())[1]
            api.project_management.projects.soft_delete(id=doomed["id"])
            api.employees.employees.create_with_contract(
                company_id=str(remote.company_id),
                first_name="Late",
                last_name="Hire",
                email="late@remote.test",
            )
            people = list(api.employees.employees.list())
            api.employees.employees.update(people[4]["id"], manager_id=str(people[1]["id"]))
            api.employees.employees.terminate(id=people[5]["id"], terminated_on="2026-12-31")
            claims = {e["status"]: e for e in api.expenses.expenses.list()}
            api.expenses.expensables.delete(claims["draft"]["expenses_expensable_id"])
            api.expenses.expensables.bulk_set_to_paid(ids=[claims["approved"]["expenses_expensable_id"]])
            [travel] = [c for c in api.finance.categories.list() if c["identifier"] == "travel"]
            with transaction(session_factory) as s:
                finance.update_category(
                    s, company_id=remote.company_id, category_id=int(travel["id"]), changes={"label": "Trips"}
                )

            before = api.budget.used
            second = service.sync(session_factory, api, company_id=target, source=source)
            assert second.failures == []
            assert second.counts["finance/cost_centers"] == {
                "created": 0,
                "updated": 1,
                "unchanged": 2,
                "deleted": 0,
                "failed": 0,
            }
            assert second.counts["project_management/projects"]["deleted"] == 1
            assert second.counts["employees/employees"]["created"] == 1
            assert second.counts["employees/employees"]["updated"] == 1  # the termination
            assert second.counts["finance/categories"]["updated"] == 1
            assert second.counts["expenses/expenses"] == {
                "created": 0,
                "updated": 1,
                "unchanged": 3,
                "deleted": 1,
                "failed": 0,
            }
            assert api.budget.used - before == 9  # one page per resource: nothing fetched twice
            _assert_equal(api, mine, _mirror_map(session_factory, target))
            assert doomed["id"] not in _mirror_map(session_factory, target)["project_management/projects"]

            third = service.sync(session_factory, api, company_id=target, source=source)
            assert all(c["created"] == c["updated"] == c["deleted"] == 0 for c in third.counts.values())


def test_an_interrupted_sync_resumes_and_ends_as_an_uninterrupted_one(
    server: str, remote: Tenant, session_factory: sessionmaker[Session]
) -> None:
    target = _new_company(session_factory)
    source = f"{server}#{remote.company_id}"
    one_try = RetryPolicy(attempts=1)
    # The legal entities and two of the three pages of employees get through; then every connection drops.
    with (
        misbehaving(server, [OK] * 3 + [DROP] * 1000) as proxy,
        Client(proxy.url, api_key=remote.api_key, retry=one_try) as flaky,
        pytest.raises(TransportError),
    ):
        service.sync(session_factory, flaky, company_id=target, source=source, page_size=3)
    with session_factory() as s:
        run = s.scalars(select(SyncRun).where(SyncRun.company_id == target)).one()
        assert run.finished_at is None
        assert run.resource == "employees/employees"
        assert run.cursor is not None
    with Client(server, api_key=remote.api_key, retry=FAST) as api:
        report = service.sync(session_factory, api, company_id=target, source=source, page_size=3)
        assert report.resumed
        assert report.failures == []
        with _local_client(server, session_factory, target) as mine:
            _assert_equal(api, mine, _mirror_map(session_factory, target))
    with session_factory() as s:
        employees = s.scalar(select(func.count()).select_from(Employee).where(Employee.company_id == target))
        links = s.scalar(select(func.count()).select_from(SyncLink).where(SyncLink.company_id == target))
    assert employees == 8  # nothing created twice
    assert links == 2 + 8 + 3 + 2 + 3 + 4 + 5 + 1 + 1


def test_cli_sync_prints_its_summary(
    server: str,
    remote: Tenant,
    session_factory: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from expensehub.cli.main import app

    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("EXPENSEHUB_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["sync", "--from", server, "--api-key", remote.api_key])
    assert result.exit_code == 0, result.output
    assert "mirroring into a new company" in result.stderr
    assert "employees/employees" in result.stdout
    assert "requests:" in result.stdout
    result = CliRunner().invoke(app, ["sync", "--from", server, "--api-key", "ehk_wrong"])
    assert result.exit_code == 2
    assert "cannot read the remote account" in result.stderr


def test_killed_at_random_points_then_rerun_ends_in_the_same_state(
    server: str,
    remote: Tenant,
    session_factory: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
) -> None:
    """``kill -9`` of the command at three random moments, then a run to the end: the mirror equals the
    source and nothing is duplicated."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.client.proxy import SLOW

    target = _new_company(session_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPENSEHUB_")}
    env.update(
        EXPENSEHUB_DATABASE_URL=db_url, EXPENSEHUB_DATA_DIR=str(tmp_path), EXPENSEHUB_LOG_LEVEL="WARNING"
    )
    rng = random.Random()
    with misbehaving(server, [SLOW], slow_seconds=0.2) as proxy:
        command = [
            sys.executable,
            "-m",
            "expensehub.cli.main",
            "sync",
            "--from",
            proxy.url,
            "--api-key",
            remote.api_key,
            "--into",
            str(target),
            "--page-size",
            "1",
        ]
        killed = 0
        for _ in range(3):
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(1.0, 2.2))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait(timeout=30)
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stdout + final.stderr
    assert killed == 3  # each run was cut short (each page takes 0.2 s; 24 pages in all)
    with (
        Client(server, api_key=remote.api_key, retry=FAST) as api,
        _local_client(server, session_factory, target) as mine,
    ):
        _assert_equal(api, mine, _mirror_map(session_factory, target))
    with session_factory() as s:
        employees = s.scalar(select(func.count()).select_from(Employee).where(Employee.company_id == target))
        runs = s.scalars(select(SyncRun).where(SyncRun.company_id == target)).all()
    assert employees == 8
    assert [r.finished_at is not None for r in runs] == [True] * len(runs)


def test_a_sync_through_429s_503s_and_drops_converges_and_reports_its_retries(
    server: str, remote: Tenant, session_factory: sessionmaker[Session]
) -> None:
    from tests.client.proxy import TOO_MANY, UNAVAILABLE

    target = _new_company(session_factory)
    source = f"{server}#{remote.company_id}"
    plan = [TOO_MANY, OK, UNAVAILABLE, OK, DROP, OK, OK]
    with (
        misbehaving(server, plan, retry_after="0") as proxy,
        Client(proxy.url, api_key=remote.api_key, retry=FAST) as flaky,
    ):
        report = service.sync(session_factory, flaky, company_id=target, source=source, page_size=2)
    assert report.failures == []
    assert report.retries >= 3
    assert report.requests > report.retries
    with (
        Client(server, api_key=remote.api_key, retry=FAST) as api,
        _local_client(server, session_factory, target) as mine,
    ):
        _assert_equal(api, mine, _mirror_map(session_factory, target))

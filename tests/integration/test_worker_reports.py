"""The worker runs due reports once each, writes files atomically, records every run."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.exports import service
from expensehub.exports.templates import load_template
from expensehub.kit.clock import utcnow
from expensehub.models.exports import ReportDefinition, ReportRun
from expensehub.worker.loop import run_worker
from expensehub.worker.reports import run_due_reports, run_report
from tests.factories import Tenant
from tests.integration.test_exports_roundtrip import Data, build_dataset


@pytest.fixture
def data(session_factory: sessionmaker[Session], tenant: Tenant) -> Data:
    return build_dataset(session_factory, tenant)


def _report(factory: sessionmaker[Session], company_id: int, name: str, **kw: object) -> int:
    with transaction(factory) as s:
        return service.create_report(s, company_id=company_id, name=name, **kw).id  # type: ignore[arg-type]


def _make_due(factory: sessionmaker[Session], report_id: int, minutes_ago: int = 1) -> None:
    with transaction(factory) as s:
        s.execute(
            update(ReportDefinition)
            .where(ReportDefinition.id == report_id)
            .values(next_run_at=utcnow() - timedelta(minutes=minutes_ago))
        )


def _runs(factory: sessionmaker[Session], report_id: int) -> list[ReportRun]:
    with transaction(factory) as s:
        return list(
            s.scalars(select(ReportRun).where(ReportRun.report_id == report_id).order_by(ReportRun.id))
        )


def test_due_reports_run_once_and_move_on(
    session_factory: sessionmaker[Session], data: Data, tmp_path: Path
) -> None:
    erp = _report(
        session_factory, data.company_id, "erp", template=load_template("generic-erp"), schedule="0 6 * * *"
    )
    sums = _report(
        session_factory,
        data.company_id,
        "sums",
        sql="select currency, sum(document_amount) as total from report_expensables group by currency",
        fmt="jsonl",
        schedule="*/10 * * * *",
    )
    idle = _report(session_factory, data.company_id, "idle", sql="select 1 as one", schedule="0 0 1 1 *")
    _make_due(session_factory, erp)
    _make_due(session_factory, sums)
    outcomes = run_due_reports(session_factory, reports_dir=tmp_path)
    assert sorted(o.report_id for o in outcomes) == sorted([erp, sums])
    assert all(o.ok for o in outcomes)
    by_id = {o.report_id: o for o in outcomes}
    erp_file = Path(by_id[erp].path or "")
    assert erp_file.parent == tmp_path / f"company-{data.company_id}" / "erp"
    assert erp_file.suffix == ".csv"
    assert len(list(csv.DictReader(io.StringIO(erp_file.read_text(), newline="")))) == by_id[erp].rows == 4
    assert Path(by_id[sums].path or "").read_text().count("\n") == 5
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")], "no temporary files left"
    with transaction(session_factory) as s:
        reports = {r.id: r for r in s.scalars(select(ReportDefinition))}
        now = utcnow()
        assert reports[erp].next_run_at is not None
        assert reports[erp].next_run_at > now
        assert (reports[erp].next_run_at.hour, reports[erp].next_run_at.minute) == (6, 0)
        assert reports[sums].next_run_at is not None
        assert reports[sums].next_run_at.minute % 10 == 0
        assert reports[erp].last_run_at is not None
        assert reports[idle].last_run_at is None
    # Nothing is due any more: a second poll runs nothing.
    assert run_due_reports(session_factory, reports_dir=tmp_path) == []
    runs = _runs(session_factory, erp)
    assert [(r.trigger, r.status, r.rows) for r in runs] == [("schedule", "succeeded", 4)]
    assert runs[0].finished_at is not None
    assert runs[0].path == str(erp_file)
    assert _runs(session_factory, idle) == []


def test_a_claimed_occurrence_is_not_claimed_twice(
    session_factory: sessionmaker[Session], data: Data
) -> None:
    report = _report(session_factory, data.company_id, "once", sql="select 1 as one", schedule="* * * * *")
    _make_due(session_factory, report, minutes_ago=5)
    now = utcnow()
    with transaction(session_factory) as s:
        first = service.claim_due_reports(s, now=now)
    with transaction(session_factory) as s:
        second = service.claim_due_reports(s, now=now)
    assert first == [report]
    assert second == []


def test_a_failing_report_is_recorded_and_the_worker_carries_on(
    session_factory: sessionmaker[Session], data: Data, tmp_path: Path, db_url: str
) -> None:
    # Endless on both databases (pg_sleep is refused by the text check as a server function).
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) as c from n"
    bad = _report(session_factory, data.company_id, "slow", sql="select 1 as one", schedule="* * * * *")
    good = _report(session_factory, data.company_id, "good", sql="select 2 as two", schedule="* * * * *")
    with transaction(session_factory) as s:  # the query became slow after it was saved
        s.execute(update(ReportDefinition).where(ReportDefinition.id == bad).values(sql=slow))
    _make_due(session_factory, bad)
    _make_due(session_factory, good)
    # The limit stops the endless query, and the good one (a few milliseconds of work) must finish
    # within it even when the loaded machine does not schedule the run for a while.
    stats = run_worker(session_factory, reports_dir=tmp_path, once=True, query_timeout_s=2.0)
    assert stats.polls == 1
    assert (stats.succeeded, stats.failed) == (1, 1)
    failed = _runs(session_factory, bad)
    assert [(r.status, r.path) for r in failed] == [("failed", None)]
    assert any(words in (failed[0].error or "") for words in ("time limit", "longer than"))
    assert list((tmp_path / f"company-{data.company_id}").glob("slow/*")) == []
    assert _runs(session_factory, good)[0].status == "succeeded"


def test_manual_run_to_a_chosen_file(
    session_factory: sessionmaker[Session], data: Data, tmp_path: Path
) -> None:
    report = _report(session_factory, data.company_id, "adhoc", template=load_template("datev-bookings"))
    target = tmp_path / "datev.csv"
    outcome = run_report(session_factory, report, trigger="manual", out=target)
    assert outcome.ok
    assert outcome.path == str(target)
    assert outcome.rows == 4
    assert target.read_text().startswith("Umsatz (ohne Soll/Haben-Kz);")
    assert [(r.trigger, r.status) for r in _runs(session_factory, report)] == [("manual", "succeeded")]

"""`expensehub employees import`: a CSV roster, idempotent on the employee identifier, all or nothing
by default, a row-numbered report of what was refused, no employee ever half-imported.

The import itself runs on both databases; the command line on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from expensehub.companies import roster
from expensehub.errors import ValidationFailed
from expensehub.models import Employee
from tests.factories import Tenant, make_tenant

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "employees.csv"
HEADER = "identifier,first_name,last_name,email,legal_entity,manager_identifier,bank_number\n"
runner = CliRunner()


def roster_of(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def staff(factory: sessionmaker[Session], tenant: Tenant) -> dict[str, tuple[str, str | None, int | None]]:
    """identifier -> (email, manager identifier, legal entity) of the company's employees that have one."""
    with factory() as s:
        rows = s.scalars(select(Employee).where(Employee.company_id == tenant.company_id)).all()
        by_id = {e.id: e for e in rows}
        return {
            e.company_identifier: (
                e.email or "",
                by_id[e.manager_id].company_identifier if e.manager_id else None,
                e.legal_entity_id,
            )
            for e in rows
            if e.company_identifier
        }


def test_the_sample_roster_imports_fifty_employees_once(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    # The sample has no legal_entity column; this company has two entities, so name one per row.
    lines = SAMPLE.read_text().splitlines()
    data = "\n".join([lines[0] + ",legal_entity", *(line + ",es" for line in lines[1:])]).encode()
    first = roster.import_file(session_factory, company_id=tenant.company_id, data=data)
    assert (len(first.created), first.refused, first.written) == (50, [], True)
    people = staff(session_factory, tenant)
    assert len(people) == 50
    managers = {row.split(",")[0]: row.split(",")[4] or None for row in lines[1:]}
    assert {ident: person[1] for ident, person in people.items()} == managers
    assert people["E002"] == ("luis.jimenez2@example.com", "E001", tenant.le_es)
    again = roster.import_file(session_factory, company_id=tenant.company_id, data=data)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 50)
    assert staff(session_factory, tenant) == people


def test_a_changed_row_updates_only_that_employee(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    # A1's manager is on a later line: managers are set once every row's employee exists.
    rows = ["A1,Ada,Lovelace,ada@x.test,es,A2,", "A2,Bob,Marley,bob@x.test,es,,", "A3,Cy,Wu,cy@x.test,es,A2,"]
    roster.import_file(session_factory, company_id=tenant.company_id, data=roster_of(*rows))
    assert staff(session_factory, tenant)["A1"][1] == "A2"
    changed = [rows[0], "A2,Bob,Marley,robert@x.test,gb,,ES9121000418450200051332", "A3,Cy,Wu,cy@x.test,es,,"]
    report = roster.import_file(session_factory, company_id=tenant.company_id, data=roster_of(*changed))
    assert (sorted(report.updated), report.unchanged) == (["A2", "A3"], ["A1"])
    people = staff(session_factory, tenant)
    assert people["A2"] == ("robert@x.test", None, tenant.le_gb)
    assert people["A3"][1] is None  # an empty manager cell: no manager
    # A file without a column leaves that field alone.
    short = b"identifier,first_name,last_name,email,legal_entity\nA1,Ada,Lovelace,ada@x.test,es\n"
    report = roster.import_file(session_factory, company_id=tenant.company_id, data=short)
    assert report.unchanged == ["A1"]
    assert staff(session_factory, tenant)["A1"][1] == "A2"


def test_one_refused_row_and_nothing_is_imported_unless_asked(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    rows = (
        "B1,Cy,Young,cy@x.test,es,B3,",  # its manager is refused below: refused too
        "B2,Di,Ross,di@x.test,es,,",
        "B3,Ed,Ned,luis@example.test,es,,",  # the e-mail of an employee the company has
        "B4,Fi,Fox,fi@x.test,es,B2,ES0000000000000000000000",  # not an IBAN... but then it is `other`
        "B5,Gu,Gao,gu@x.test,zz,,",  # no such legal entity
        "B2,Di,Again,di2@x.test,es,,",  # the same identifier twice
    )
    report = roster.import_file(session_factory, company_id=tenant.company_id, data=roster_of(*rows))
    assert not report.written
    assert [(r.line, r.identifier) for r in report.refused] == [(2, "B1"), (4, "B3"), (6, "B5"), (7, "B2")]
    assert "e-mail luis@example.test" in report.refused[1].reason
    assert "line 3" in report.refused[3].reason
    assert staff(session_factory, tenant) == {}

    kept = roster.import_file(
        session_factory, company_id=tenant.company_id, data=roster_of(*rows), keep_valid=True
    )
    assert kept.written
    assert sorted(kept.created) == ["B2", "B4"]
    assert [r.line for r in kept.refused] == [2, 4, 6, 7]
    people = staff(session_factory, tenant)
    # B1 is not there at all: not created without the manager its row names.
    assert set(people) == {"B2", "B4"}
    assert people["B4"][1] == "B2"


def test_a_dry_run_reports_and_writes_nothing(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    report = roster.import_file(
        session_factory,
        company_id=tenant.company_id,
        data=roster_of("C1,Ann,Lee,ann@x.test,es,,"),
        dry_run=True,
    )
    assert (report.created, report.written) == (["C1"], False)
    assert staff(session_factory, tenant) == {}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "missing_header"),
        (b"id,name\n1,x\n", "invalid_header"),
        (b"identifier,first_name,last_name,email\n\xff\xfe,a,b,c\n", "unsupported_file"),
        (b"\x00\x01PK binary", "unsupported_file"),
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_whole(
    session_factory: sessionmaker[Session], data: bytes, code: str
) -> None:
    tenant = make_tenant(session_factory)
    with pytest.raises(ValidationFailed) as caught:
        roster.import_file(session_factory, company_id=tenant.company_id, data=data)
    assert caught.value.code == code


def test_control_characters_and_short_rows_refuse_their_row(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    data = roster_of("D1,Ann\x07,Lee,ann@x.test,es,,", "D2,Bo,Li", "D3,Cy,Wu,cy@x.test,es,,")
    report = roster.import_file(session_factory, company_id=tenant.company_id, data=data, keep_valid=True)
    assert [r.line for r in report.refused] == [2, 3]
    assert report.created == ["D3"]


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("EXPENSEHUB_DATABASE_URL", "EXPENSEHUB_STORAGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPENSEHUB_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["init", "--name", "Acme", "--country", "es", "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_cli_imports_reports_and_refuses_with_line_numbers(data_dir: Path) -> None:
    result = runner.invoke(app, ["employees", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "new employees (were created)" in result.stdout
    assert [line.split()[-2] for line in result.stdout.splitlines() if "were created" in line] == ["50"]
    bad = data_dir / "bad.csv"
    bad.write_text("identifier;first_name;last_name;email\nX1;A;B;ana.garcia1@example.com\nX2;C;D;c@x.test\n")
    result = runner.invoke(app, ["employees", "import", str(bad)])
    assert result.exit_code == 1
    assert "│ 2    │ X1         │ employee" in result.stdout
    assert "has the e-mail ana.garcia1@example.com" in result.stdout
    assert "1 rows refused, so nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["employees", "import", str(bad), "--keep-valid"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["employees", "import", str(data_dir / "nope.csv")])
    assert result.exit_code == 2


def test_cli_needs_the_company_once_there_are_several(data_dir: Path) -> None:
    second = runner.invoke(app, ["init", "--name", "Beta", "--country", "pt", "--currency", "EUR"])
    assert second.exit_code == 0, second.output
    result = runner.invoke(app, ["employees", "import", str(SAMPLE)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: several companies exist; choose one with --company (see `expensehub companies`)"
    ]
    assert runner.invoke(app, ["employees", "import", str(SAMPLE), "--company", "9"]).exit_code == 2
    result = runner.invoke(app, ["employees", "import", str(SAMPLE), "--company", "2"])
    assert result.exit_code == 0, result.output
    assert "50 created" in result.stdout


def test_parallel_imports_of_one_file_store_each_employee_once(
    session_factory: sessionmaker[Session],
) -> None:
    """Four imports of the same roster at once: none fails with an unexpected error, the employees exist
    once, and every import either wrote the file or refused it whole (nothing half-imported)."""
    from concurrent.futures import ThreadPoolExecutor

    tenant = make_tenant(session_factory)
    lines = SAMPLE.read_text().splitlines()
    data = "\n".join([lines[0] + ",legal_entity", *(line + ",es" for line in lines[1:])]).encode()
    with ThreadPoolExecutor(4) as pool:
        reports = list(
            pool.map(
                lambda _n: roster.import_file(session_factory, company_id=tenant.company_id, data=data),
                range(4),
            )
        )
    assert len(staff(session_factory, tenant)) == 50
    assert sum(len(r.created) for r in reports if r.written) == 50
    for report in reports:
        assert report.written or report.refused  # a refused import says which rows and why
        assert report.written is (not report.refused)

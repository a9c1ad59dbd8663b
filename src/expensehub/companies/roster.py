"""Importing a company's employees from a CSV file (``expensehub employees import``).

The file is a roster: one employee a row, keyed by the company's own employee identifier. Importing it
again changes nothing; a changed row updates that employee; a new identifier creates one. Each row goes
through the same rules as the API (``service.create_employee`` / ``update_employee``): e-mail and
identifier unique, bank details checked, managers in the company and no cycles.

A row is refused with its line number and the reason. By default the import is all or nothing: one
refused row and nothing is written. With ``keep_valid`` the rows that pass are written: the import is
tried, the refused rows are left out and it is tried again (rows naming a refused row as their manager
are then refused too), until a try refuses nothing; only that try is committed. So no employee is ever
half-imported (written without the manager its row names, say).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from expensehub.companies import repository, service
from expensehub.errors import AppError, Conflict, ValidationFailed
from expensehub.kit.bodies import no_nul
from expensehub.models import Employee

REQUIRED = ("identifier", "first_name", "last_name", "email")
OPTIONAL = (
    "legal_entity",
    "manager_identifier",
    "preferred_name",
    "phone_number",
    "birthday_on",
    "bank_number",
    "swift_bic",
    "terminated_on",
)
COLUMNS = REQUIRED + OPTIONAL
ALIASES = {
    "company_identifier": "identifier",
    "legal_entity_id": "legal_entity",
    "manager": "manager_identifier",
}
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Refusal:
    line: int
    identifier: str
    reason: str


@dataclass
class RosterReport:
    """What an import did, or would do (``dry_run``), row by row."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    written: bool = False


@dataclass
class _Row:
    line: int
    identifier: str
    fields: dict[str, Any]
    manager: str | None  # None: no such column (leave the manager); "": no manager


def _reason(exc: AppError) -> str:
    if isinstance(exc, ValidationFailed) and exc.fields:
        return "; ".join(f"{name}: {', '.join(messages)}" for name, messages in exc.fields.items())
    return exc.message


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ValidationFailed(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", code="file_too_large"
        )
    if b"\x00" in data:
        raise ValidationFailed("not a CSV text file (it holds NUL bytes)", code="unsupported_file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("the file is not UTF-8 text", code="unsupported_file") from None


def read_rows(data: bytes) -> tuple[list[_Row], list[Refusal]]:
    """The rows of a roster CSV (comma, semicolon or tab separated, a header row naming the columns)."""
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed("the file is empty: a header row is needed", code="missing_header") from None
    names = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n and n not in COLUMNS]
    if missing or unknown:
        parts = [f"missing columns: {', '.join(missing)}"] if missing else []
        parts += [f"unknown columns: {', '.join(unknown)}"] if unknown else []
        raise ValidationFailed(
            f"{'; '.join(parts)} (the columns are: {', '.join(COLUMNS)})", code="invalid_header"
        )
    rows: list[_Row] = []
    refused: list[Refusal] = []
    seen: dict[str, int] = {}
    emails: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(refused) >= MAX_ROWS:
            raise ValidationFailed(f"more than {MAX_ROWS} rows", code="too_many_rows")
        record = {name: value.strip() for name, value in zip(names, values, strict=False) if name}
        identifier = record.get("identifier", "")
        try:
            if len(values) != len(names):
                raise ValueError(f"{len(values)} fields where the header has {len(names)}")
            for value in record.values():
                no_nul(value)
                if any(ord(c) < 32 for c in value):
                    raise ValueError("control characters in a field")
            empty = [c for c in REQUIRED if not record.get(c)]
            if empty:
                raise ValueError(f"{', '.join(empty)} must not be empty")
            if identifier in seen:
                raise ValueError(f"identifier {identifier!r} is also on line {seen[identifier]}")
            email = record["email"].lower()
            if email in emails:
                raise ValueError(f"e-mail {email} is also on line {emails[email]}")
            row = _Row(line, identifier, _fields(record), record.get("manager_identifier"))
        except ValueError as exc:
            refused.append(Refusal(line, identifier, str(exc)))
            continue
        seen[identifier] = line
        emails[email] = line
        rows.append(row)
    return rows, refused


def _fields(record: Mapping[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "company_identifier": record["identifier"],
        "first_name": record["first_name"],
        "last_name": record["last_name"],
        "email": record["email"],
    }
    # A column the file does not have leaves that field as it is; an empty cell clears it.
    for name in ("preferred_name", "phone_number", "bank_number", "swift_bic"):
        if name in record:
            fields[name] = record[name] or None
    for name in ("birthday_on", "terminated_on"):
        if name not in record:
            continue
        raw = record[name]
        try:
            fields[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValueError(f"{name} must be a date as YYYY-MM-DD, not {raw!r}") from None
    fields["legal_entity"] = record.get("legal_entity") or None
    return fields


def _entity_resolver(session: Session, company_id: int) -> Callable[[str | None], int | None]:
    entities = repository.legal_entities_of(session, company_id=company_id)
    by_id = {str(e.id): e.id for e in entities}
    by_country: dict[str, list[int]] = {}
    for e in entities:
        by_country.setdefault(e.country, []).append(e.id)

    def resolve(value: str | None) -> int | None:
        if value is None:
            if len(entities) == 1:
                return entities[0].id
            raise ValueError("legal_entity is needed: the company has several (give its id or country code)")
        if value in by_id:
            return by_id[value]
        ids = by_country.get(value.lower(), [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise ValueError(f"several legal entities are in {value.lower()}: give the id")
        raise ValueError(f"no legal entity {value!r} in the company")

    return resolve


_COMPARED = (
    "first_name",
    "last_name",
    "email",
    "legal_entity_id",
    "preferred_name",
    "phone_number",
    "birthday_on",
    "bank_number",
    "swift_bic",
    "terminated_on",
)


def import_roster(
    session: Session,
    *,
    company_id: int,
    data: bytes,
    left_out: Mapping[int, Refusal] | None = None,
    progress: Progress | None = None,
) -> RosterReport:
    """One try: create or update the company's employees from a roster CSV, in the caller's transaction
    (``import_file`` decides whether it is committed). Rows on the lines of ``left_out`` are not tried;
    they are reported as refused for the reason given.

    Raises ``ValidationFailed`` for a file that is not a roster (no header, unknown columns, not UTF-8).
    """
    service.get_company(session, company_id)
    rows, refused = read_rows(data)
    # Imports into one company take turns: the next one reads what this one committed.
    repository.lock_company(session, company_id=company_id)
    report = RosterReport(rows=len(rows) + len(refused), refused=refused)
    if left_out:
        report.refused += [left_out[r.line] for r in rows if r.line in left_out]
        rows = [r for r in rows if r.line not in left_out]
    resolve_entity = _entity_resolver(session, company_id)
    existing = {
        e.company_identifier: e
        for e in repository.employees_by_identifier(
            session, company_id=company_id, identifiers=[r.identifier for r in rows]
        )
    }
    done: dict[str, Employee] = {}
    total = len(rows) * 2
    for n, row in enumerate(rows, start=1):
        try:
            fields = dict(row.fields)
            fields["legal_entity_id"] = resolve_entity(fields.pop("legal_entity"))
            current = existing.get(row.identifier)
            if current is None:
                done[row.identifier] = service.create_employee(session, company_id=company_id, **fields)
                report.created.append(row.identifier)
            else:
                changes = {k: v for k, v in fields.items() if k in _COMPARED and _differs(current, k, v)}
                if changes:
                    service.update_employee(
                        session, company_id=company_id, employee_id=current.id, changes=changes
                    )
                    report.updated.append(row.identifier)
                else:
                    report.unchanged.append(row.identifier)
                done[row.identifier] = current
        except (ValueError, AppError) as exc:
            if not session.is_active:  # a concurrent write (the API) took a row's e-mail or identifier
                raise _Collided from exc
            reason = _reason(exc) if isinstance(exc, AppError) else str(exc)
            report.refused.append(Refusal(row.line, row.identifier, reason))
        if progress is not None:
            progress(n, total)
    # Managers second: a manager may be on a later line of the same file.
    for n, row in enumerate(rows, start=len(rows) + 1):
        employee = done.get(row.identifier)
        if employee is not None:
            _set_manager(session, company_id, row, employee, done, report)
        if progress is not None:
            progress(n, total)
    report.refused.sort(key=lambda r: r.line)
    return report


class _Collided(Exception):
    """A write of the try hit a unique index after its check passed (a concurrent create committed in
    between): the try's transaction is gone, so the try is run again, on what is committed now."""


COLLISION_TRIES = 5


def import_file(
    factory: sessionmaker[Session],
    *,
    company_id: int,
    data: bytes,
    keep_valid: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RosterReport:
    """Import a roster: all or nothing, or (``keep_valid``) the rows that pass; ``dry_run`` writes nothing.

    Each try runs in its own transaction; a try is committed only when it refused nothing (or, without
    ``keep_valid``, never when it refused something). ``report.written`` says whether anything was.
    """
    left_out: dict[int, Refusal] = {}
    collisions = 0
    while True:
        session = factory()
        try:
            try:
                report = import_roster(
                    session, company_id=company_id, data=data, left_out=left_out, progress=progress
                )
            except _Collided:
                collisions += 1
                if collisions >= COLLISION_TRIES:
                    raise Conflict(
                        "employees kept being written by others during the import; run it again",
                        code="import_collided",
                    ) from None
                session.rollback()
                continue
            fresh = {r.line: r for r in report.refused if r.line not in left_out}
            if keep_valid and fresh:
                left_out.update(fresh)
                session.rollback()
                continue
            if dry_run or (report.refused and not keep_valid):
                session.rollback()
            else:
                session.commit()
                report.written = True
            return report
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def _differs(current: Employee, name: str, value: Any) -> bool:
    now: Any = getattr(current, name)
    if isinstance(value, str) and isinstance(now, str):
        if name == "email":
            return now.lower() != value.strip().lower()
        if name in ("bank_number", "swift_bic"):  # an IBAN or a BIC is stored compact and upper case
            return now not in (value.strip(), value.replace(" ", "").upper())
    return bool(now != value)


def _set_manager(
    session: Session,
    company_id: int,
    row: _Row,
    employee: Employee,
    done: Mapping[str, Employee],
    report: RosterReport,
) -> None:
    if row.manager is None:
        return
    if not row.manager:
        if employee.manager_id is not None:
            service.update_employee(
                session, company_id=company_id, employee_id=employee.id, changes={"manager_id": None}
            )
            _now_updated(report, row.identifier)
        return
    manager = done.get(row.manager)
    if manager is None:
        found = repository.employees_by_identifier(session, company_id=company_id, identifiers=[row.manager])
        manager = found[0] if found else None
    if manager is None:
        _refuse_after_write(report, row, f"manager_identifier {row.manager!r}: no such employee (or refused)")
        return
    if employee.manager_id == manager.id:
        return
    try:
        service.update_employee(
            session, company_id=company_id, employee_id=employee.id, changes={"manager_id": manager.id}
        )
    except AppError as exc:
        _refuse_after_write(report, row, _reason(exc))
        return
    _now_updated(report, row.identifier)


def _now_updated(report: RosterReport, identifier: str) -> None:
    if identifier in report.unchanged:
        report.unchanged.remove(identifier)
        report.updated.append(identifier)


def _refuse_after_write(report: RosterReport, row: _Row, reason: str) -> None:
    """A row whose employee was written in this try but whose manager cannot be set: refused as a
    whole (the try is not committed; ``import_file`` leaves the row out of the next one)."""
    for written in (report.created, report.updated, report.unchanged):
        if row.identifier in written:
            written.remove(row.identifier)
    report.refused.append(Refusal(row.line, row.identifier, reason))

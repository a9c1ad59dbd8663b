"""``expensehub sync``: mirror a remote Factorial-compatible account into a local company.

Each mirrored resource is a ``Mirror``: how a remote object maps to local values (remote ids of other
objects mapped to local ids through the links), and how those values create, update or remove the local
row — always through the domain's own service functions, so every rule of the API holds for mirrored data
too. A remote object and its local row are tied by a ``SyncLink`` holding the hash of the values last
written: an unchanged object is not written again.

Runs are resumable: each page of a remote list is applied in one transaction together with the position
of the next page (``SyncRun.cursor``). A sync killed at any point and started again resumes from the last
committed page; pages applied twice change nothing (the links). When a resource's walk is complete, the
links its run did not see are objects deleted on the source: their local rows are removed where the
resource can be (cost centres, projects), and otherwise kept and counted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from expensehub.client import Client
from expensehub.companies import service as companies
from expensehub.errors import AppError, Conflict, NotFound
from expensehub.expenses import service as expenses
from expensehub.finance import service as finance
from expensehub.kit.clock import utcnow
from expensehub.models.sync import SyncLink, SyncRun
from expensehub.projects import service as projects
from expensehub.sync import repository, rules
from expensehub.webhooks import service as webhooks

Values = dict[str, Any]
Progress = Callable[[str, int], None]


class Unresolved(Exception):
    """A remote object refers to one that is not mirrored (yet): the object is not written."""


@dataclass
class Context:
    session: Session
    company_id: int
    source: str
    # (resource, remote id) -> local id, kept for the whole run: the same employee, category or project
    # is referred to by many claims. Links are only added or dropped by the run itself.
    known: dict[tuple[str, str], int] = field(default_factory=dict)

    def local(self, resource: str, remote_id: Any) -> int | None:
        """The local id of a mirrored remote object; ``None`` for no reference; ``Unresolved`` when the
        reference names an object that is not mirrored."""
        if remote_id in (None, ""):
            return None
        key = (resource, str(remote_id))
        if key not in self.known:
            found = repository.links(
                self.session,
                company_id=self.company_id,
                source=self.source,
                resource=resource,
                remote_ids=[str(remote_id)],
            )
            if str(remote_id) not in found:
                raise Unresolved(f"refers to {resource} {remote_id}, which is not mirrored")
            self.known[key] = found[str(remote_id)].local_id
        return self.known[key]

    @property
    def author(self) -> webhooks.Author:
        return webhooks.Author.company(self.company_id)


@dataclass(frozen=True)
class Mirror:
    key: str
    values: Callable[[Context, Mapping[str, Any]], Values]
    create: Callable[[Context, Values], int]
    update: Callable[[Context, int, Values], None]
    delete: Callable[[Context, int], None] | None = None
    pending: Callable[[Mapping[str, Any]], str | None] = field(default=lambda _item: None)
    resolve: Callable[[Context, int, int | None], None] | None = None


def _pick(item: Mapping[str, Any], *names: str) -> Values:
    return {name: item.get(name) for name in names}


# --- legal entities -----------------------------------------------------------------------------

_ENTITY_FIELDS = ("country", "legal_name", "currency", "tin", "city", "state", "postal_code")


def _entity_values(_ctx: Context, item: Mapping[str, Any]) -> Values:
    return _pick(item, *_ENTITY_FIELDS, "address_line_1", "address_line_2")


def _entity_create(ctx: Context, v: Values) -> int:
    rest = {k: val for k, val in v.items() if k not in ("country", "legal_name", "currency")}
    entity = companies.create_legal_entity(
        ctx.session,
        company_id=ctx.company_id,
        country=v["country"],
        legal_name=v["legal_name"],
        currency=v["currency"],
        author=ctx.author,
        **rest,
    )
    return entity.id


def _entity_update(ctx: Context, local_id: int, v: Values) -> None:
    companies.update_legal_entity(
        ctx.session, company_id=ctx.company_id, legal_entity_id=local_id, changes=v, author=ctx.author
    )


# --- employees ----------------------------------------------------------------------------------

_EMPLOYEE_TEXT = ("first_name", "last_name", "preferred_name", "company_identifier", "phone_number")
_EMPLOYEE_BANK = ("bank_number", "bank_number_format", "swift_bic")


def _employee_values(ctx: Context, item: Mapping[str, Any]) -> Values:
    values = _pick(item, *_EMPLOYEE_TEXT, *_EMPLOYEE_BANK)
    values["email"] = item.get("email") or item.get("login_email")
    values["legal_entity_id"] = ctx.local("companies/legal_entities", item.get("legal_entity_id"))
    values["birthday_on"] = rules.as_date(item.get("birthday_on"))
    values["terminated_on"] = rules.as_date(item.get("terminated_on"))
    return values


def _employee_create(ctx: Context, v: Values) -> int:
    employee = companies.create_employee(ctx.session, company_id=ctx.company_id, author=ctx.author, **v)
    return employee.id


def _employee_update(ctx: Context, local_id: int, v: Values) -> None:
    companies.update_employee(
        ctx.session, company_id=ctx.company_id, employee_id=local_id, changes=v, author=ctx.author
    )


def _employee_manager(ctx: Context, local_id: int, manager: int | None) -> None:
    current = companies.get_employee(ctx.session, company_id=ctx.company_id, employee_id=local_id)
    if current.manager_id != manager:
        companies.update_employee(
            ctx.session,
            company_id=ctx.company_id,
            employee_id=local_id,
            changes={"manager_id": manager},
            author=ctx.author,
        )


# --- categories and ledger accounts -------------------------------------------------------------


def _category_values(ctx: Context, item: Mapping[str, Any]) -> Values:
    values = _pick(item, "default_label", "visible", "position", "identifier")
    label = item.get("label")
    values["label"] = label if label and label != item.get("default_label") else None
    values["status"] = "enabled" if item.get("enabled", True) else "disabled"
    values["parent_category_id"] = ctx.local("finance/categories", item.get("parent_category_id"))
    return values


def _category_create(ctx: Context, v: Values) -> int:
    return finance.create_category(ctx.session, company_id=ctx.company_id, **v).id


def _category_update(ctx: Context, local_id: int, v: Values) -> None:
    changes = {k: val for k, val in v.items() if k in finance.CATEGORY_FIELDS}
    finance.update_category(ctx.session, company_id=ctx.company_id, category_id=local_id, changes=changes)


def _account_values(ctx: Context, item: Mapping[str, Any]) -> Values:
    values = _pick(item, "number", "type", "name", "external_id", "disabled")
    values["legal_entity_id"] = ctx.local("companies/legal_entities", item.get("legal_entity_id"))
    return values


def _account_create(ctx: Context, v: Values) -> int:
    # Factorial's accounts carry no currency: the local one is the entity's (the currency it books in).
    entity = companies.get_legal_entity(
        ctx.session, company_id=ctx.company_id, legal_entity_id=v["legal_entity_id"]
    )
    return finance.create_account(ctx.session, company_id=ctx.company_id, currency=entity.currency, **v).id


def _account_update(ctx: Context, local_id: int, v: Values) -> None:
    finance.update_account(ctx.session, company_id=ctx.company_id, account_id=local_id, **v)


# --- cost centres -------------------------------------------------------------------------------


def _center_values(ctx: Context, item: Mapping[str, Any]) -> Values:
    values = _pick(item, "name", "code", "description")
    values["legal_entity_id"] = ctx.local("companies/legal_entities", item.get("legal_entity_id"))
    return values


def _center_create(ctx: Context, v: Values) -> int:
    return finance.create_cost_center(ctx.session, company_id=ctx.company_id, author=ctx.author, **v).id


def _center_update(ctx: Context, local_id: int, v: Values) -> None:
    changes = {k: val for k, val in v.items() if k != "legal_entity_id"}
    finance.edit_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=local_id, author=ctx.author, **changes
    )


def _center_delete(ctx: Context, local_id: int) -> None:
    finance.delete_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=local_id, author=ctx.author
    )


# --- projects -----------------------------------------------------------------------------------


def _project_values(ctx: Context, item: Mapping[str, Any]) -> Values:
    values = _pick(item, "name", "code", "description", "status", "employees_assignment", "is_billable")
    values["start_date"] = rules.as_date(item.get("start_date"))
    values["due_date"] = rules.as_date(item.get("due_date"))
    values["legal_entity_id"] = ctx.local("companies/legal_entities", item.get("legal_entity_id"))
    values["fixed_cost_cents"] = item.get("fixed_cost_cents")
    return values


def _project_create(ctx: Context, v: Values) -> int:
    return projects.create_project(ctx.session, company_id=ctx.company_id, **v).id


def _project_update(ctx: Context, local_id: int, v: Values) -> None:
    fields = {k: v[k] for k in projects.UPDATABLE if k in v}
    project = projects.update_project(
        ctx.session, company_id=ctx.company_id, project_id=local_id, changes=fields
    )
    if project.status != v["status"] and v["status"] in ("active", "closed", "draft"):
        projects.change_status(
            ctx.session, company_id=ctx.company_id, project_id=local_id, status=v["status"]
        )
    if project.employees_assignment != v["employees_assignment"]:
        projects.change_assignment(
            ctx.session, company_id=ctx.company_id, project_id=local_id, assignment=v["employees_assignment"]
        )


def _project_delete(ctx: Context, local_id: int) -> None:
    projects.soft_delete(ctx.session, company_id=ctx.company_id, project_id=local_id)


# --- expenses -----------------------------------------------------------------------------------


def _claim_mirror(kind: str, key: str) -> Mirror:
    """The mirror of one kind of claim (``expense``, ``mileage``, ``per_diem``) listed at ``key``."""
    fields = expenses.MIRRORED_KIND_FIELDS[kind]

    def values(ctx: Context, item: Mapping[str, Any]) -> Values:
        mapped = _pick(item, *fields)
        mapped["employee_id"] = ctx.local("employees/employees", item.get("employee_id"))
        mapped["category_id"] = ctx.local("finance/categories", item.get("category_id"))
        mapped["project_id"] = ctx.local("project_management/projects", item.get("project_id"))
        mapped["ledger_account_id"] = ctx.local("finance/accounts", item.get("ledger_account_id"))
        for name in ("effective_on", "start_date", "end_date"):
            if name in mapped:
                mapped[name] = rules.as_date(item.get(name))
        for name in ("exchange_rate", "rate"):
            if mapped.get(name) is not None:
                mapped[name] = str(mapped[name])
        return mapped

    def create(ctx: Context, v: Values) -> int:
        return expenses.mirror_claim(ctx.session, company_id=ctx.company_id, kind=kind, values=v)

    def update(ctx: Context, local_id: int, v: Values) -> None:
        expenses.mirror_claim(ctx.session, company_id=ctx.company_id, kind=kind, values=v, detail_id=local_id)

    def delete(ctx: Context, local_id: int) -> None:
        expenses.delete_mirrored_claim(ctx.session, company_id=ctx.company_id, kind=kind, detail_id=local_id)

    return Mirror(key, values, create, update, delete)


MIRRORS: tuple[Mirror, ...] = (
    Mirror("companies/legal_entities", _entity_values, _entity_create, _entity_update),
    Mirror(
        "employees/employees",
        _employee_values,
        _employee_create,
        _employee_update,
        pending=lambda item: str(item["manager_id"]) if item.get("manager_id") not in (None, "") else None,
        resolve=_employee_manager,
    ),
    Mirror("finance/categories", _category_values, _category_create, _category_update),
    Mirror("finance/accounts", _account_values, _account_create, _account_update),
    Mirror("finance/cost_centers", _center_values, _center_create, _center_update, _center_delete),
    Mirror("project_management/projects", _project_values, _project_create, _project_update, _project_delete),
    _claim_mirror("expense", "expenses/expenses"),
    _claim_mirror("mileage", "expenses/mileages"),
    _claim_mirror("per_diem", "expenses/per_diems"),
)
"""In dependency order: what an object refers to is mirrored before it."""


# --- the run ------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What a sync did, per resource and outcome; the requests it made and retried; what failed, why."""

    run_id: int
    counts: dict[str, dict[str, int]]
    requests: int
    retries: int
    failures: list[str]
    resumed: bool


def _start(factory: sessionmaker[Session], company_id: int, source: str) -> tuple[int, bool]:
    with factory() as session, session.begin():
        companies.get_company(session, company_id)
        run = repository.open_run(session, company_id=company_id, source=source)
        if run is not None:
            return run.id, True
        run = SyncRun(company_id=company_id, source=source, started_at=utcnow(), done="", counts="{}")
        session.add(run)
        session.flush()
        return run.id, False


def sync(
    factory: sessionmaker[Session],
    client: Client,
    *,
    company_id: int,
    source: str,
    page_size: int = 100,
    progress: Progress | None = None,
) -> SyncReport:
    """Mirror every resource of ``MIRRORS`` from ``client`` into ``company_id``; resumes an unfinished run."""
    run_id, resumed = _start(factory, company_id, source)
    failures: list[str] = []
    known: dict[tuple[str, str], int] = {}
    for mirror in MIRRORS:
        with factory() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            if mirror.key in run.done.split(","):
                continue
            start = run.cursor if run.resource == mirror.key else None
        resource = client.resource(mirror.key)
        for page in resource.pages(limit=page_size, start=start):
            with factory() as session, session.begin():
                ctx = Context(session, company_id, source, known)
                run = session.get(SyncRun, run_id, with_for_update=True)
                assert run is not None
                counts = json.loads(run.counts)
                linked = repository.links(
                    session,
                    company_id=company_id,
                    source=source,
                    resource=mirror.key,
                    remote_ids=[str(item["id"]) for item in page.items],
                )
                for item in page.items:
                    outcome = _apply(ctx, mirror, item, run_id, failures, linked.get(str(item["id"])))
                    rules.add(counts, mirror.key, outcome)
                run.resource, run.cursor, run.counts = mirror.key, page.next, json.dumps(counts)
            if progress is not None:
                progress(mirror.key, len(page.items))
        with factory() as session, session.begin():
            ctx = Context(session, company_id, source, known)
            run = session.get(SyncRun, run_id, with_for_update=True)
            assert run is not None
            counts = json.loads(run.counts)
            _finish_resource(ctx, mirror, run_id, counts, failures)
            run.done = ",".join(d for d in (*run.done.split(","), mirror.key) if d)
            run.resource, run.cursor, run.counts = None, None, json.dumps(counts)
    with factory() as session, session.begin():
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.finished_at = utcnow()
        counts = json.loads(run.counts)
    return SyncReport(run_id, counts, client.budget.used, client.budget.retries, failures, resumed)


def _apply(
    ctx: Context,
    mirror: Mirror,
    item: Mapping[str, Any],
    run_id: int,
    failures: list[str],
    link: SyncLink | None,
) -> str:
    remote_id = str(item["id"])
    try:
        values = mirror.values(ctx, item)
        digest = rules.content_hash(values)
        if link is None:
            local_id = mirror.create(ctx, values)
            link = SyncLink(
                company_id=ctx.company_id,
                source=ctx.source,
                resource=mirror.key,
                remote_id=remote_id,
                local_id=local_id,
                content_hash=digest,
                updated_at=utcnow(),
            )
            ctx.session.add(link)
            outcome = "created"
        elif link.content_hash != digest:
            mirror.update(ctx, link.local_id, values)
            link.content_hash, link.updated_at = digest, utcnow()
            outcome = "updated"
        else:
            outcome = "unchanged"
    except (AppError, Unresolved) as exc:
        if not ctx.session.is_active:  # a write hit a unique index after its check: the page is lost
            raise Conflict(
                f"{mirror.key} {remote_id} collided with a concurrent local write; run the sync again",
                code="sync_collided",
            ) from exc
        message = exc.message if isinstance(exc, AppError) else str(exc)
        failures.append(f"{mirror.key} {remote_id}: {message}")
        if link is not None:
            link.seen_run_id = run_id  # it exists on the source: not a deletion
        return "failed"
    link.seen_run_id = run_id
    link.pending_ref = mirror.pending(item)
    ctx.session.flush()
    ctx.known[(mirror.key, remote_id)] = link.local_id
    return outcome


def _finish_resource(
    ctx: Context, mirror: Mirror, run_id: int, counts: dict[str, dict[str, int]], failures: list[str]
) -> None:
    """References resolved now that every object of the resource is mirrored; objects the walk did not
    see removed (gone on the source)."""
    for link in repository.all_links(
        ctx.session, company_id=ctx.company_id, source=ctx.source, resource=mirror.key
    ):
        if link.seen_run_id != run_id:
            if mirror.delete is not None:
                with contextlib.suppress(NotFound):  # removed locally already
                    mirror.delete(ctx, link.local_id)
            ctx.session.delete(link)
            ctx.known.pop((mirror.key, link.remote_id), None)
            rules.add(counts, mirror.key, "deleted")
            continue
        if mirror.resolve is not None:
            try:
                target = ctx.local(mirror.key, link.pending_ref)
                mirror.resolve(ctx, link.local_id, target)
            except (AppError, Unresolved) as exc:
                message = exc.message if isinstance(exc, AppError) else str(exc)
                failures.append(f"{mirror.key} {link.remote_id}: {message}")
    ctx.session.flush()


def refuse_if_mirrored(session: Session, *, company_id: int, resource: str, local_id: int) -> None:
    """409 ``mirrored`` when the row is a mirror of a remote object: its source owns it, and a local edit
    would be overwritten by the next sync (or, unseen, make the two disagree)."""
    link = repository.link_of_local(session, company_id=company_id, resource=resource, local_id=local_id)
    if link is not None:
        noun = resource.rsplit("/", 1)[-1].rstrip("s").replace("_", " ")
        raise Conflict(
            f"{noun} {local_id} is mirrored from {link.source.split('#')[0]}: change it there, then sync",
            code="mirrored",
            details={"resource": resource, "id": local_id, "status": "mirrored"},
        )


def refuse_mirrored_claims(session: Session, *, company_id: int, expensable_ids: Iterable[int]) -> None:
    """409 ``mirrored`` when any of the claims is a mirrored expense: its status is decided at the source
    (submitting, approving or paying it here would not reach the source without write-back)."""
    found = repository.mirrored_claim(session, company_id=company_id, expensable_ids=expensable_ids)
    if found is not None:
        claim, source = found
        raise Conflict(
            f"expensable {claim} is mirrored from {source.split('#')[0]}: decide it there, then sync",
            code="mirrored",
            details={"resource": "expensable", "id": claim, "status": "mirrored"},
        )

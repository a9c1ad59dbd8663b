"""The generic list/get mechanism (``db/resources.py``, ``api/resources.py``) on a real database.

A description written here, over employees, exercises what every resource relies on: company
scoping through the bound ``:company_id``, filters with defaults, joins added once, rules over several
parameters, 404 for another company's id, versions that do not serve a resource, and statements that
are built once rather than per request.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

import pytest
from fastapi import APIRouter, Depends, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.api.openapi import RESOURCES_PREFIX, version_document
from expensehub.api.resources import filters_model, mount
from expensehub.config import Settings
from expensehub.db.engine import transaction
from expensehub.db.resources import (
    COMPANY,
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    Values,
    accepted,
    any_of,
    get_scoped,
    list_page,
    per_row,
    text_search,
    views_of,
)
from expensehub.errors import NotFound
from expensehub.kit.pagination import PageRequest
from expensehub.models import Employee, LegalEntity
from expensehub.versions import VERSIONS
from tests.factories import Tenant, make_tenant


class PersonView(TypedDict):
    id: int
    name: str


class PersonOut(BaseModel):
    id: str
    name: str


def _in_country(country: str, _scope: Scope) -> Clause:
    return LegalEntity.country == country


def _legal_entity_join(stmt: Any) -> Any:
    return stmt.join(LegalEntity, LegalEntity.id == Employee.legal_entity_id)


def _named_rule(values: Values, _scope: Scope) -> list[Clause]:
    """``first`` and ``last`` together mean "either of them" (a rule over two parameters)."""
    first, last = values.get("first"), values.get("last")
    if first is not None and last is not None:
        return [(Employee.first_name == first) | (Employee.last_name == last)]
    if first is not None:
        return [Employee.first_name == first]
    if last is not None:
        return [Employee.last_name == last]
    return []


PEOPLE: Resource[PersonView] = Resource(
    key="test/people",
    noun="person",
    tag="test",
    select=select(Employee).where(Employee.company_id == COMPANY),
    id_column=Employee.id,
    view=per_row(lambda row: PersonView(id=row[0].id, name=f"{row[0].first_name} {row[0].last_name}")),
    out=PersonOut,
    list_doc=Doc("List people", "People."),
    get_doc=Doc("Get a person", "One person."),
    filters=(
        any_of("ids", Employee.id, "Only these"),
        Filter("country", str, "In this country", where=_in_country, join=_legal_entity_join),
        Filter("country_again", str, "Same join, another filter", where=_in_country, join=_legal_entity_join),
        Filter(
            "terminated",
            bool,
            "Terminated people; absent: only the others",
            where=lambda yes, _s: (
                Employee.terminated_on.is_not(None) if yes else Employee.terminated_on.is_(None)
            ),
            absent=lambda _s: Employee.terminated_on.is_(None),
        ),
        Filter("first", str, "First name (OR'ed with `last`)"),
        Filter("last", str, "Last name (OR'ed with `first`)"),
        text_search("Text in the first name", Employee.first_name),
    ),
    combine=_named_rule,
)

NEW_ONLY: Resource[PersonView] = Resource(
    key="test/new_people",
    noun="person",
    tag="test",
    select=PEOPLE.select,
    id_column=Employee.id,
    view=PEOPLE.view,
    out=PersonOut,
    list_doc=Doc("List people (new)", "Only in the current version."),
    get_doc=Doc("Get a person (new)", "Only in the current version."),
    versions=frozenset({"2026-10-01"}),
)


def _names(session: Session, tenant: Tenant, **values: Any) -> list[str]:
    listing = list_page(session, PEOPLE, company_id=tenant.company_id, values=values, page=PageRequest())
    return [p["name"] for p in listing.items]


def _employees(session: Session, tenant: Tenant) -> list[Employee]:
    return list(
        session.scalars(
            select(Employee).where(Employee.company_id == tenant.company_id).order_by(Employee.id)
        )
    )


def test_scoped_filtered_and_paged(session_factory: sessionmaker[Session]) -> None:
    tenant, other = make_tenant(session_factory), make_tenant(session_factory, name="Other")
    with transaction(session_factory) as s:
        mine = _employees(s, tenant)
        everyone = [f"{e.first_name} {e.last_name}" for e in mine]
        assert _names(s, tenant) == everyone  # the other company's people never appear
        assert _names(s, tenant, ids=[mine[1].id, *other.employee_ids]) == everyone[1:2]
        assert _names(s, tenant, first=mine[0].first_name, last=mine[2].last_name) == [
            everyone[0],
            everyone[2],
        ]
        assert _names(s, tenant, search=mine[0].first_name[1:4].upper()) == [everyone[0]]
        listing = list_page(s, PEOPLE, company_id=tenant.company_id, values={}, page=PageRequest(limit=2))
        assert listing.page.total == 3
        assert listing.page.has_next_page
        assert len(listing.items) == 2


def test_absent_default_and_join_added_once(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    with transaction(session_factory) as s:
        mine = _employees(s, tenant)
        mine[0].terminated_on = mine[0].created_at.date()
        s.flush()
        assert len(_names(s, tenant)) == 2  # the default leaves the terminated one out
        assert _names(s, tenant, terminated=True) == [f"{mine[0].first_name} {mine[0].last_name}"]
        countries = {
            le.country
            for le in s.scalars(select(LegalEntity).where(LegalEntity.company_id == tenant.company_id))
        }
        country = sorted(countries)[0]
        stmt = PEOPLE.where({"country": country, "country_again": country}, Scope(s, tenant.company_id))
        sql = str(stmt.compile())
        assert sql.count("JOIN legal_entities") == 1
        assert _names(s, tenant, country=country, country_again=country, terminated=False)


def test_get_scoped_is_404_for_another_company(session_factory: sessionmaker[Session]) -> None:
    tenant, other = make_tenant(session_factory), make_tenant(session_factory, name="Other")
    with transaction(session_factory) as s:
        mine = _employees(s, tenant)[0]
        assert get_scoped(s, PEOPLE, company_id=tenant.company_id, item_id=mine.id)["id"] == mine.id
        with pytest.raises(NotFound, match=f"person {other.employee_ids[0]} not found"):
            get_scoped(s, PEOPLE, company_id=tenant.company_id, item_id=other.employee_ids[0])


@pytest.mark.parametrize("item_id", [2**31, 2**63 - 1])
def test_get_scoped_is_404_for_an_id_beyond_32_bits(
    session_factory: sessionmaker[Session], item_id: int
) -> None:
    """Ids are 64-bit: a get of a large id that does not exist is a 404, not a database error."""
    tenant = make_tenant(session_factory)
    with transaction(session_factory) as s, pytest.raises(NotFound, match=f"person {item_id} not found"):
        get_scoped(s, PEOPLE, company_id=tenant.company_id, item_id=item_id)


def test_statements_are_built_once(session_factory: sessionmaker[Session]) -> None:
    """No filter given: the prebuilt select itself runs; a get reuses one statement object, and the
    database sees the same SQL text for every company (the company is a bound parameter)."""
    tenant, other = make_tenant(session_factory), make_tenant(session_factory, name="Other")
    with transaction(session_factory) as s:
        scope = Scope(s, tenant.company_id)
        assert NEW_ONLY.where({}, scope) is NEW_ONLY.select
        assert PEOPLE.get_statement is PEOPLE.get_statement
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            get_scoped(s, PEOPLE, company_id=tenant.company_id, item_id=tenant.employee_ids[0])
            with pytest.raises(NotFound):
                get_scoped(s, PEOPLE, company_id=other.company_id, item_id=tenant.employee_ids[0])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) == 2
        assert seen[0] == seen[1]
        assert str(tenant.company_id) not in seen[0].split("WHERE", 1)[1]


def test_filters_model_is_the_query_contract() -> None:
    model = filters_model(PEOPLE)
    schema = model.model_json_schema(by_alias=True)
    assert set(schema["properties"]) == {f.name for f in PEOPLE.filters}
    assert "ids[]" in schema["properties"]
    assert schema["properties"]["country"]["description"] == "In this country"
    parsed = model.model_validate({"ids[]": ["3", 4], "terminated": "false"})
    assert dict(parsed)["ids"] == [3, 4]
    assert dict(parsed)["terminated"] is False


@pytest.fixture
def people_app(settings: Settings) -> Any:
    from expensehub.api.app import create_app

    app = create_app(settings)
    router = APIRouter()
    mount(router, PEOPLE)
    mount(router, NEW_ONLY)
    app.include_router(router, prefix=RESOURCES_PREFIX.rstrip("/"))
    yield app
    app.state.engine.dispose()


def test_http_routes_and_versions(people_app: Any, session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    headers = {"x-api-key": tenant.api_key}
    with TestClient(people_app, raise_server_exceptions=False) as http:
        listed = http.get(
            "/api/2026-10-01/resources/test/people", params={"ids[]": tenant.employee_ids[0]}, headers=headers
        )
        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()["data"]] == [str(tenant.employee_ids[0])]
        old = http.get("/api/2026-04-01/resources/test/people", headers=headers).json()
        assert [p["id"] for p in old["data"]] == tenant.employee_ids  # integers in 2026-04-01
        bad = http.get(
            "/api/2026-10-01/resources/test/people", params={"terminated": "perhaps"}, headers=headers
        )
        assert bad.status_code == 422
        assert "terminated" in bad.json()["errors"]
        one = http.get(f"/api/2026-10-01/resources/test/new_people/{tenant.employee_ids[1]}", headers=headers)
        assert one.status_code == 200
        assert one.json()["id"] == str(tenant.employee_ids[1])
        gone = http.get(
            f"/api/2026-04-01/resources/test/new_people/{tenant.employee_ids[1]}", headers=headers
        )
        assert gone.status_code == 404
        assert gone.json()["code"] == "not_in_version"
        assert http.get("/api/2026-04-01/resources/test/new_people", headers=headers).status_code == 404
    current = people_app.openapi()
    assert "/api/{version}/resources/test/new_people" in current["paths"]
    older = version_document(current, VERSIONS["2026-04-01"])
    assert "/api/{version}/resources/test/new_people" not in older["paths"]
    assert "/api/{version}/resources/test/people" in older["paths"]


def _greeted(scope: Scope, rows: Any) -> list[PersonView]:
    """A view reading what the route hands it (``scope.context``), e.g. a URL signer."""
    greeting = scope.context if isinstance(scope.context, str) else "no context"
    return [PersonView(id=row[0].id, name=f"{greeting} {row[0].first_name}") for row in rows]


GREETED: Resource[PersonView] = Resource(
    key="test/greeted_people",
    noun="person",
    tag="test",
    select=PEOPLE.select,
    id_column=Employee.id,
    view=_greeted,
    out=PersonOut,
    list_doc=Doc("List people, greeted", "The view reads the route's context."),
    get_doc=Doc("Get a person, greeted", "The view reads the route's context."),
)


def _greeting(x_greeting: Annotated[str, Header()] = "hello") -> str:
    return x_greeting


def test_context_reaches_the_view(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """``mount(..., context=dependency)``: both routes resolve it and the view reads it; direct calls
    pass it as ``context=`` (``None`` when not given)."""
    from expensehub.api.app import create_app

    tenant = make_tenant(session_factory)
    first = tenant.employee_ids[0]
    with transaction(session_factory) as s:
        name = get_scoped(s, GREETED, company_id=tenant.company_id, item_id=first)["name"]
        assert name.startswith("no context ")
        listing = list_page(
            s, GREETED, company_id=tenant.company_id, values={}, page=PageRequest(), context="hi"
        )
        assert all(p["name"].startswith("hi ") for p in listing.items)
        rows = [(s.get(Employee, first),)]
        assert views_of(s, GREETED, company_id=tenant.company_id, rows=rows, context="hey")[0][
            "name"
        ].startswith("hey ")
    app = create_app(settings)
    router = APIRouter()
    mount(router, GREETED, context=Annotated[str, Depends(_greeting)])
    app.include_router(router, prefix=RESOURCES_PREFIX.rstrip("/"))
    headers = {"x-api-key": tenant.api_key, "x-greeting": "howdy"}
    try:
        with TestClient(app) as http:
            base = "/api/2026-10-01/resources/test/greeted_people"
            listed = http.get(base, headers=headers)
            assert listed.status_code == 200, listed.text
            assert all(p["name"].startswith("howdy ") for p in listed.json()["data"])
            one = http.get(f"{base}/{first}", headers=headers)
            assert one.status_code == 200, one.text
            assert one.json()["name"].startswith("howdy ")
    finally:
        app.state.engine.dispose()


# --- parameters a view reads (``Scope.values``, ``get_filters``) and per-version adaptation ----------


def _shouted_views(scope: Scope, rows: Any) -> list[PersonView]:
    shout = bool(scope.values.get("shout"))
    names = [f"{row[0].first_name} {row[0].last_name}" for row in rows]
    return [
        PersonView(id=row[0].id, name=n.upper() if shout else n) for row, n in zip(rows, names, strict=True)
    ]


SHOUTED: Resource[PersonView] = Resource(
    key="test/shouted_people",
    noun="person",
    tag="test",
    select=PEOPLE.select,
    id_column=Employee.id,
    view=_shouted_views,
    out=PersonOut,
    list_doc=Doc("List people, perhaps shouted", "The view reads a flag."),
    get_doc=Doc("Get a person, perhaps shouted", "The get takes the flag too."),
    filters=(accepted("shout", bool, "Upper-case the names"),),
    get_filters=(accepted("shout", bool, "Upper-case the name"),),
)


def test_views_read_the_request_values(session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    with transaction(session_factory) as s:
        first = tenant.employee_ids[0]
        loud = list_page(s, SHOUTED, company_id=tenant.company_id, values={"shout": True}, page=PageRequest())
        assert all(p["name"] == p["name"].upper() for p in loud.items)
        quiet = get_scoped(s, SHOUTED, company_id=tenant.company_id, item_id=first)
        assert quiet["name"] != quiet["name"].upper()
        shouted = get_scoped(s, SHOUTED, company_id=tenant.company_id, item_id=first, values={"shout": True})
        assert shouted["name"] == quiet["name"].upper()


@pytest.fixture
def shouted_app(settings: Settings) -> Any:
    from expensehub.api.app import create_app

    app = create_app(settings)
    router = APIRouter()
    mount(router, SHOUTED, adapt=lambda version, view: {**view, "name": f"{view['name']} @{version.name}"})
    app.include_router(router, prefix=RESOURCES_PREFIX.rstrip("/"))
    yield app
    app.state.engine.dispose()


def test_get_parameters_and_adapt(shouted_app: Any, session_factory: sessionmaker[Session]) -> None:
    tenant = make_tenant(session_factory)
    headers = {"x-api-key": tenant.api_key}
    base = "/api/2026-10-01/resources/test/shouted_people"
    with TestClient(shouted_app, raise_server_exceptions=False) as http:
        listed = http.get(base, params={"shout": "true"}, headers=headers).json()["data"]
        assert listed
        assert all(p["name"].endswith(" @2026-10-01") for p in listed)
        assert all(p["name"].removesuffix(" @2026-10-01").isupper() for p in listed)
        one = http.get(f"{base}/{tenant.employee_ids[0]}", params={"shout": "true"}, headers=headers)
        assert one.status_code == 200, one.text
        assert one.json()["name"] == listed[0]["name"]
        plain = http.get(f"{base}/{tenant.employee_ids[0]}", headers=headers).json()
        assert plain["name"] != plain["name"].upper()
        bad = http.get(f"{base}/{tenant.employee_ids[0]}", params={"shout": "perhaps"}, headers=headers)
        assert bad.status_code == 422
    operation = shouted_app.openapi()["paths"]["/api/{version}/resources/test/shouted_people/{id}"]["get"]
    [shout] = [p for p in operation["parameters"] if p["name"] == "shout"]
    assert (shout["in"], shout["description"]) == ("query", "Upper-case the name")

"""Test data builders that go through the real services (no fixtures of rows by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from expensehub.auth import service as auth_service
from expensehub.companies import service as companies
from expensehub.db.engine import transaction
from expensehub.webhooks.rules import Author


@dataclass
class Tenant:
    """Ids of a test company's rows, and its API key."""

    company_id: int
    api_key: str
    api_key_id: int
    legal_entity_ids: list[int] = field(default_factory=list)
    employee_ids: list[int] = field(default_factory=list)

    @property
    def author(self) -> Author:
        """The author of the changes its API key makes (the company)."""
        return Author.company(self.company_id)

    @property
    def le_es(self) -> int:
        return self.legal_entity_ids[0]

    @property
    def le_gb(self) -> int:
        return self.legal_entity_ids[1]


def make_tenant(factory: sessionmaker[Session], name: str = "Acme Test SL") -> Tenant:
    with transaction(factory) as s:
        company = companies.create_company(s, name=name, legal_name=f"{name} Legal")
        es = companies.create_legal_entity(
            s, company_id=company.id, country="es", legal_name=f"{name} España SL", currency="EUR"
        )
        gb = companies.create_legal_entity(
            s, company_id=company.id, country="gb", legal_name=f"{name} UK Ltd", currency="GBP"
        )
        boss = companies.create_employee(
            s,
            company_id=company.id,
            first_name="Ana",
            last_name="García",
            email="ana@example.test",
            legal_entity_id=es.id,
            is_manager=True,
        )
        e1 = companies.create_employee(
            s,
            company_id=company.id,
            first_name="Luis",
            last_name="Pérez",
            email="luis@example.test",
            legal_entity_id=es.id,
            manager_id=boss.id,
        )
        e2 = companies.create_employee(
            s,
            company_id=company.id,
            first_name="Emma",
            last_name="Smith",
            email="emma@example.test",
            legal_entity_id=gb.id,
            manager_id=boss.id,
        )
        key, plaintext = auth_service.create_api_key(s, company_id=company.id, name="tests")
        return Tenant(
            company_id=company.id,
            api_key=plaintext,
            api_key_id=key.id,
            legal_entity_ids=[es.id, gb.id],
            employee_ids=[boss.id, e1.id, e2.id],
        )


class ApiClient:
    """Thin wrapper: paths relative to ``/api/{version}/resources/``, credentials attached."""

    def __init__(self, http: Any, api_key: str, version: str = "2026-10-01") -> None:
        self.http = http
        self.version = version
        self.headers = {"x-api-key": api_key}

    def url(self, path: str) -> str:
        return f"/api/{self.version}/resources/{path.lstrip('/')}"

    def get(self, path: str, params: Any = None, **kw: Any) -> Any:
        return self.http.get(self.url(path), params=params, headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.http.post(
            self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.http.put(self.url(path), json=json, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.http.delete(self.url(path), headers=self.headers, **kw)

    def list_all(
        self, path: str, params: dict[str, Any] | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Follow ``end_cursor`` through every page."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        while True:
            r = self.get(path, params=query)
            assert r.status_code == 200, r.text
            body = r.json()
            items.extend(body["data"])
            if not body["meta"]["has_next_page"]:
                return items
            query["after_id"] = body["meta"]["end_cursor"]

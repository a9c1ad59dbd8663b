"""Onboarding writes through both Factorial SDKs against a live expensehub: legal entities, employees
(create_with_contract, update, terminate, unterminate) and the project actions.

The official SDK (factorial-api-client 3.0.0, 2026-10-01) builds each body with its own request models and
parses each answer with its response models; the community client (factorialhr 7.0.0, 2026-04-01,
integer ids) validates the answers with its pydantic models. An answer that either SDK could not parse,
or that did not read back the same, fails here.
"""

from __future__ import annotations

import uuid

import anyio
import factorialhr
import pytest
from factorial_api_client import FactorialClient
from factorial_api_client.generated.models import (
    post_api_20261001_resources_companies_legal_entities_body as le_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_employees_employees_create_with_contract_body as create_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_employees_employees_terminate_body as terminate_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_employees_employees_unterminate_body as unterminate_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_activate_body as activate_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_body as project_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_change_status_body as status_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_change_status_body_status as status_enum,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_close_body as close_body,
)
from factorial_api_client.generated.models import (
    post_api_20261001_resources_project_management_projects_soft_delete_body as delete_body,
)
from factorial_api_client.generated.models import (
    put_api_20261001_resources_employees_employees_id_body as put_body,
)
from factorial_api_client.generated.models import (
    put_api_20261001_resources_employees_employees_id_body_bank_number_format as number_format,
)
from factorial_api_client.generated.models import (
    put_api_20261001_resources_project_management_projects_id_body as project_put_body,
)

from tests.compat.conftest import LiveServer

IBAN = "ES9121000418450200051332"


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> FactorialClient:
    return FactorialClient(api_key=live_server.api_key, base_url=live_server.base_url)


def _email() -> str:
    return f"sdk-{uuid.uuid4().hex[:10]}@example.test"


def test_official_sdk_creates_a_legal_entity(client: FactorialClient, live_server: LiveServer) -> None:
    created = client.companies.legal_entities.create(
        body=le_body.PostApi20261001ResourcesCompaniesLegalEntitiesBody(
            company_id=str(live_server.company_id),
            country="pt",
            legal_name="Demo Portugal Lda",
            currency="EUR",
            tin="PT509999990",
            city="Lisboa",
        )
    )
    assert created is not None
    assert (created.country, created.legal_name, created.tin, created.city) == (
        "pt",
        "Demo Portugal Lda",
        "PT509999990",
        "Lisboa",
    )
    assert client.companies.legal_entities.get(id=created.id).to_dict() == created.to_dict()


def test_official_sdk_hires_updates_terminates_and_unterminates(
    client: FactorialClient, live_server: LiveServer
) -> None:
    manager = client.employees.employees.all()[0]
    email = _email()
    hired = client.employees.employees.create_with_contract(
        body=create_body.PostApi20261001ResourcesEmployeesEmployeesCreateWithContractBody(
            company_id=str(live_server.company_id),
            first_name="Iris",
            last_name="Mendes",
            email=email,
            manager_id=str(manager.id),
            company_identifier=f"SDK-{uuid.uuid4().hex[:6]}",
            bank_number=IBAN,
            birthday_on="1992-02-29",
            nationality="pt",
            contract_starts_on="2026-12-01",
        )
    )
    assert hired is not None
    assert (hired.email, hired.manager_id, hired.birthday_on) == (email, manager.id, "1992-02-29")
    assert (hired.bank_number, hired.bank_number_format.value) == (IBAN, "iban")

    updated = client.employees.employees.update(
        id=hired.id,
        body=put_body.PutApi20261001ResourcesEmployeesEmployeesIdBody(
            id=hired.id,
            preferred_name="Iri",
            bank_number="GB29NWBK60161331926819",
            bank_number_format=number_format.PutApi20261001ResourcesEmployeesEmployeesIdBodyBankNumberFormat.IBAN,
            swift_bic="NWBKGB2L",
        ),
    )
    assert (updated.preferred_name, updated.bank_number, updated.swift_bic) == (
        "Iri",
        "GB29NWBK60161331926819",
        "NWBKGB2L",
    )
    assert updated.first_name == "Iris"

    terminated = client.employees.employees.terminate(
        body=terminate_body.PostApi20261001ResourcesEmployeesEmployeesTerminateBody(
            id=hired.id, terminated_on="2026-12-31", termination_reason="end of project"
        )
    )
    assert terminated.terminated_on == "2026-12-31"
    back = client.employees.employees.unterminate(
        body=unterminate_body.PostApi20261001ResourcesEmployeesEmployeesUnterminateBody(id=hired.id)
    )
    assert back.terminated_on is None or not back.terminated_on
    assert client.employees.employees.get(id=hired.id).to_dict() == back.to_dict()


def test_official_sdk_updates_and_moves_a_project_through_its_statuses(client: FactorialClient) -> None:
    created = client.project_management.projects.create(
        body=project_body.PostApi20261001ResourcesProjectManagementProjectsBody(
            name="SDK launch", code=f"SDK{uuid.uuid4().hex[:6]}"
        )
    )
    pid = created.id
    updated = client.project_management.projects.update(
        id=pid,
        body=project_put_body.PutApi20261001ResourcesProjectManagementProjectsIdBody(
            id=pid, name="SDK launch 2", description="phase two", due_date="2027-03-31"
        ),
    )
    assert (updated.name, updated.description, updated.due_date) == (
        "SDK launch 2",
        "phase two",
        "2027-03-31",
    )
    projects = client.project_management.projects
    closed = projects.close(
        body=close_body.PostApi20261001ResourcesProjectManagementProjectsCloseBody(id=pid)
    )
    assert closed.status.value == "closed"
    active = projects.activate(
        body=activate_body.PostApi20261001ResourcesProjectManagementProjectsActivateBody(id=pid)
    )
    assert active.status.value == "active"
    draft = projects.change_status(
        body=status_body.PostApi20261001ResourcesProjectManagementProjectsChangeStatusBody(
            id=pid,
            status=status_enum.PostApi20261001ResourcesProjectManagementProjectsChangeStatusBodyStatus.DRAFT,
        )
    )
    assert draft.status.value == "draft"
    deleted = projects.soft_delete(
        body=delete_body.PostApi20261001ResourcesProjectManagementProjectsSoftDeleteBody(id=pid)
    )
    assert deleted.id == pid
    assert pid not in {p.id for p in projects.all()}


def test_community_client_writes_employees_legal_entities_and_projects(live_server: LiveServer) -> None:
    async def run() -> None:
        auth = factorialhr.ApiKeyAuth(live_server.api_key)
        async with factorialhr.ApiClient(live_server.base_url, auth=auth, timeout=60) as api:
            entities = factorialhr.LegalEntitiesEndpoint(api)
            entity = await entities.create(
                {
                    "company_id": live_server.company_id,
                    "country": "fr",
                    "legal_name": "Demo SAS",
                    "currency": "EUR",
                }
            )
            assert (entity.country, entity.currency) == ("fr", "EUR")
            assert await entities.get_by_id(entity.id) == entity

            employees = factorialhr.EmployeesEndpoint(api)
            email = _email()
            hired = await employees.create_with_contract(
                {
                    "company_id": live_server.company_id,
                    "first_name": "Jean",
                    "last_name": "Dupont",
                    "email": email,
                    "legal_entity_id": entity.id,
                }
            )
            assert (hired.email, hired.legal_entity_id) == (email, entity.id)
            renamed = await employees.update(hired.id, {"id": hired.id, "preferred_name": "Jeannot"})
            assert renamed.preferred_name == "Jeannot"
            gone = await employees.terminate({"id": hired.id, "terminated_on": "2026-11-30"})
            assert str(gone.terminated_on) == "2026-11-30"
            back = await employees.unterminate({"id": hired.id})
            assert back.terminated_on is None
            assert await employees.get_by_id(hired.id) == back

            projects = factorialhr.ProjectEndpoint(api)
            project = await projects.create({"name": "Community"})
            changed = await projects.update(project.id, {"id": project.id, "name": "Community 2"})
            assert changed.name == "Community 2"
            assert (await projects.close({"id": project.id})).status == "closed"
            assert (await projects.activate({"id": project.id})).status == "active"
            assert (await projects.change_status({"id": project.id, "status": "draft"})).status == "draft"
            assert (await projects.delete(project.id)).id == project.id
            assert project.id not in {p.id for p in (await projects.all()).data()}

    anyio.run(run)

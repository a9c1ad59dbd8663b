"""Property-based fuzzing of every operation in our own OpenAPI documents (schemathesis).

Whatever the generated path, query and body, the server answers with a JSON error or a success:
never a 5xx, and only with a status the operation's OpenAPI entry documents. Runs on a fresh tenant per
backend with a small number of examples per operation, so the suite stays fast
(``EXPENSEHUB_FUZZ_EXAMPLES`` raises it for a long run); Hypothesis prints the failing example.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expensehub.versions import SUPPORTED
from tests.factories import Tenant

EXAMPLES = int(os.environ.get("EXPENSEHUB_FUZZ_EXAMPLES", "8"))


# /openapi.json (the current version's, whose `version` parameter is free: both versions are sent) and
# the document of each older version (whose `version` parameter is pinned to it).
DOCUMENTS = ["/openapi.json", *(f"/api/{v}/openapi.json" for v in SUPPORTED[1:])]


def _operations(app: Any, document: str) -> list[Any]:
    schema = schemathesis.openapi.from_asgi(document, app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_server_errors_and_no_undocumented_status(app: Any, tenant: Tenant, document: str) -> None:
    operations = _operations(app, document)
    assert len(operations) > 30
    seen: dict[str, set[int]] = {}
    undocumented: dict[str, set[int]] = {}
    for operation in operations:
        documented = set(operation.definition.raw.get("responses", {}))
        statuses = _fuzz(operation, tenant, any_version=document == "/openapi.json")
        name = f"{operation.method.upper()} {operation.path}"
        seen[name] = statuses
        extra = {s for s in statuses if str(s) not in documented and "default" not in documented}
        if extra:
            undocumented[name] = extra
    assert undocumented == {}
    # The run reached past the guards: successes and validation errors were both answered somewhere.
    everything = set().union(*seen.values())
    assert {200, 422} <= everything, everything


def _fuzz(operation: Any, tenant: Tenant, any_version: bool) -> set[int]:
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        if any_version and "version" in (case.path_parameters or {}):
            case.path_parameters["version"] = data.draw(st.sampled_from(SUPPORTED))
        response = case.call(headers={"x-api-key": tenant.api_key})
        where = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:300]}"
        assert response.status_code < 500, (where, response.text[:500])
        statuses.add(response.status_code)
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("code"), str), (where, body)
            assert isinstance(body.get("message"), str), (where, body)

    run()
    return statuses

"""Property-based fuzzing of every operation in our own OpenAPI document (schemathesis).

Whatever the generated path, query and body, the server answers with a JSON error or a success:
never a 5xx. Runs on a fresh tenant per backend with a small number of examples per operation, so the
suite stays fast; Hypothesis prints the failing example when one is found.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import Tenant


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_server_errors(app: Any, tenant: Tenant) -> None:
    operations = _operations(app)
    assert len(operations) > 30

    for operation in operations:
        _fuzz(operation, tenant)


def _fuzz(operation: Any, tenant: Tenant) -> None:
    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        if "version" in (case.path_parameters or {}):
            case.path_parameters["version"] = data.draw(st.sampled_from(["2026-10-01", "2026-04-01"]))
        response = case.call(headers={"x-api-key": tenant.api_key})
        where = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:300]}"
        assert response.status_code < 500, (where, response.text[:500])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("code"), str), (where, body)
            assert isinstance(body.get("message"), str), (where, body)

    run()

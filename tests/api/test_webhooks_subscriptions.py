"""api_public/webhook_subscriptions: create, list, get, update, delete, rotate_secret; bad input; tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from expensehub.config import Settings
from tests.factories import ApiClient, Tenant

PATH = "api_public/webhook_subscriptions"
URL = "https://hooks.example.com/factorial"
TYPE = "finance/cost_center/create"


def create(api: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"subscription_type": TYPE, "target_url": URL, "company_id": str(tenant.company_id), **fields}
    r = api.post(PATH, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def total(api: ApiClient) -> int:
    return int(api.get(PATH).json()["meta"]["total"])


def test_create_returns_201_with_the_secret_once(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant, name="ERP", challenge="s3cret", api_version="2026-04-01", enabled=False)
    secret = sub.pop("secret")
    assert secret.startswith("whsec_")
    assert sub == {
        "id": sub["id"],
        "target_url": URL,
        "type": TYPE,
        "company_id": str(tenant.company_id),
        "enabled": False,
        "api_version": "2026-04-01",
        "delivery_order": "strict",
        "name": "ERP",
        "challenge": "s3cret",
        "previous_secret_expires_at": None,
        "disabled_reason": None,
        "disabled_at": None,
        "created_at": sub["created_at"],
        "updated_at": sub["updated_at"],
    }
    got = api.get(f"{PATH}/{sub['id']}").json()
    assert "secret" not in got
    assert got == sub
    listed = api.get(PATH).json()["data"]
    assert listed == [sub]
    assert secret not in str(listed)


def test_defaults(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant)
    assert sub["enabled"] is True
    assert sub["api_version"] == "2026-10-01"
    assert sub["name"] is None
    assert sub["challenge"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_url": URL}, "subscription_type"),
        ({"subscription_type": TYPE}, "target_url"),
        ({"subscription_type": "employees/employee/create", "target_url": URL}, "subscription_type"),
        ({"subscription_type": 5, "target_url": URL}, "subscription_type"),
        ({"subscription_type": TYPE, "target_url": URL, "api_version": "2024-01-01"}, "api_version"),
        ({"subscription_type": TYPE, "target_url": URL, "enabled": "maybe"}, "enabled"),
        ({"subscription_type": TYPE, "target_url": URL, "name": "n" * 201}, "name"),
        ({"subscription_type": TYPE, "target_url": URL, "challenge": ["x"]}, "challenge"),
        ({"subscription_type": TYPE, "target_url": ""}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "ftp://example.com/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "hooks.example.com/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://127.0.0.1:9000/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://localhost:9000/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://[::1]/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://10.0.0.8/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://192.168.1.1/x"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "http://169.254.169.254/latest"}, "target_url"),
        ({"subscription_type": TYPE, "target_url": "https://u:p@example.com/"}, "target_url"),
    ],
)
def test_create_bad_input_is_422_and_creates_nothing(
    api: ApiClient, tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    before = total(api)
    r = api.post(PATH, json={"company_id": str(tenant.company_id), **body})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert total(api) == before


def test_private_target_has_a_stable_code(api: ApiClient, tenant: Tenant) -> None:
    r = api.post(
        PATH,
        json={
            "subscription_type": TYPE,
            "target_url": "http://127.0.0.1/",
            "company_id": str(tenant.company_id),
        },
    )
    assert r.json()["code"] == "invalid_target_url"


# Every numeric or shortened form of a private address is refused at once, as 127.0.0.1 is.
NUMERIC_PRIVATE_HOSTS = [
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0x7f.1",
    "0X7F.0.0.1",
    "0177.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "0",
    "0.0.0.0",
    "10.1",
    "0xa.0.0.1",
    "192.168.1",
    "2852039166",
    "169.254.169.254.",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:10.0.0.1]",
    "[::127.0.0.1]",
    "[2002:7f00:1::]",
    "[64:ff9b::a9fe:a9fe]",
    "[fe80::1%25eth0]",
    "localhost.",
]


@pytest.mark.parametrize("host", NUMERIC_PRIVATE_HOSTS)
def test_numeric_private_hosts_are_refused_on_create(api: ApiClient, tenant: Tenant, host: str) -> None:
    before = total(api)
    body = {
        "subscription_type": TYPE,
        "target_url": f"http://{host}:9000/x",
        "company_id": str(tenant.company_id),
    }
    r = api.post(PATH, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_target_url"
    assert "target_url" in r.json()["errors"]
    assert total(api) == before


@pytest.mark.parametrize("host", NUMERIC_PRIVATE_HOSTS)
def test_numeric_private_hosts_are_refused_on_update(api: ApiClient, tenant: Tenant, host: str) -> None:
    sub = create(api, tenant)
    sub.pop("secret")
    r = api.put(f"{PATH}/{sub['id']}", json={"target_url": f"http://{host}/x"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_target_url"
    assert api.get(f"{PATH}/{sub['id']}").json() == sub


@pytest.mark.parametrize("host", ["999.1.1.1", "1.2.3.4.5", "%31%32%37.0.0.1", "[::1::]"])
def test_hosts_that_only_look_like_addresses_are_refused(api: ApiClient, tenant: Tenant, host: str) -> None:
    body = {"subscription_type": TYPE, "target_url": f"http://{host}/x", "company_id": str(tenant.company_id)}
    r = api.post(PATH, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_target_url"


def test_public_numeric_hosts_are_accepted(api: ApiClient, tenant: Tenant) -> None:
    for host in ("8.8.8.8", "134744072", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]"):
        assert create(api, tenant, target_url=f"http://{host}/x")["target_url"] == f"http://{host}/x"


def test_delivery_order_defaults_to_strict_and_can_be_chosen(api: ApiClient, tenant: Tenant) -> None:
    assert create(api, tenant)["delivery_order"] == "strict"
    sub = create(api, tenant, delivery_order="independent")
    assert sub["delivery_order"] == "independent"
    assert api.get(f"{PATH}/{sub['id']}").json()["delivery_order"] == "independent"
    r = api.put(f"{PATH}/{sub['id']}", json={"delivery_order": "strict"})
    assert r.status_code == 200, r.text
    assert r.json()["delivery_order"] == "strict"


@pytest.mark.parametrize("value", ["fifo", "STRICT", "", "independent "])
def test_unknown_delivery_orders_are_422_with_a_stable_code(
    api: ApiClient, tenant: Tenant, value: str
) -> None:
    before = total(api)
    body = {"subscription_type": TYPE, "target_url": URL, "company_id": str(tenant.company_id)}
    r = api.post(PATH, json={**body, "delivery_order": value})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_delivery_order"
    assert "delivery_order" in r.json()["errors"]
    assert total(api) == before
    sub = create(api, tenant)
    sub.pop("secret")
    r = api.put(f"{PATH}/{sub['id']}", json={"delivery_order": value, "name": "changed"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_delivery_order"
    assert api.get(f"{PATH}/{sub['id']}").json() == sub


@pytest.mark.parametrize("value", [None, 1, ["strict"]])
def test_delivery_order_of_the_wrong_type_is_422(api: ApiClient, tenant: Tenant, value: object) -> None:
    sub = create(api, tenant)
    sub.pop("secret")
    r = api.put(f"{PATH}/{sub['id']}", json={"delivery_order": value})
    assert r.status_code == 422, r.text
    assert "delivery_order" in r.json()["errors"]
    assert api.get(f"{PATH}/{sub['id']}").json() == sub


def test_private_targets_are_allowed_by_the_app_settings(settings: Settings, tenant: Tenant) -> None:
    """EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS is read from the app's one ``Settings``."""
    from fastapi.testclient import TestClient

    from expensehub.api.app import create_app

    application = create_app(settings.model_copy(update={"webhook_allow_private_targets": True}))
    try:
        with TestClient(application) as client:
            api = ApiClient(client, tenant.api_key)
            sub = create(api, tenant, target_url="http://127.0.0.1:9/hook")
            assert sub["target_url"] == "http://127.0.0.1:9/hook"
    finally:
        application.state.engine.dispose()


def test_missing_company_id_is_422(api: ApiClient) -> None:
    r = api.post(PATH, json={"subscription_type": TYPE, "target_url": URL})
    assert r.status_code == 422
    assert "company_id" in r.json()["errors"]


def test_malformed_json_is_400(api: ApiClient) -> None:
    before = total(api)
    r = api.post(PATH, content=b'{"target_url": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"
    assert total(api) == before


def test_other_company_in_body_is_404_and_nothing_created(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = total(api)
    r = api.post(
        PATH, json={"subscription_type": TYPE, "target_url": URL, "company_id": str(other_tenant.company_id)}
    )
    assert r.status_code == 404
    assert total(api) == before


def test_filters(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    a = create(api, tenant)
    b = create(api, tenant, subscription_type="finance/cost_center/edit", enabled=False)
    c = create(api, tenant, subscription_type="finance/cost_center/edit")

    def ids(params: dict[str, Any]) -> list[str]:
        r = api.get(PATH, params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["data"]]

    assert ids({}) == [a["id"], b["id"], c["id"]]
    assert ids({"id": b["id"]}) == [b["id"]]
    assert ids({"type": "finance/cost_center/edit"}) == [b["id"], c["id"]]
    assert ids({"enabled": "true"}) == [a["id"], c["id"]]
    assert ids({"enabled": "false"}) == [b["id"]]
    assert ids({"type": "finance/cost_center/edit", "enabled": "true"}) == [c["id"]]
    assert ids({"company_id": str(tenant.company_id)}) == [a["id"], b["id"], c["id"]]
    assert ids({"company_id": str(other_tenant.company_id)}) == []
    assert api.get(PATH, params={"enabled": "perhaps"}).status_code == 422
    assert api.get(PATH, params={"id": "x"}).status_code == 422


def test_pagination(api: ApiClient, tenant: Tenant) -> None:
    made = [create(api, tenant)["id"] for _ in range(5)]
    assert [s["id"] for s in api.list_all(PATH, limit=2)] == made


def test_update_changes_only_sent_keys(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant, name="A", challenge="c1")
    r = api.put(f"{PATH}/{sub['id']}", json={"id": sub["id"], "name": "B"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["name"] == "B"
    assert got["challenge"] == "c1"
    assert got["target_url"] == URL
    assert "secret" not in got
    r = api.put(
        f"{PATH}/{sub['id']}",
        json={
            "challenge": None,
            "target_url": "https://other.example.com/x",
            "subscription_type": "finance/cost_center/delete",
            "api_version": "2026-07-01",
            "enabled": False,
        },
    )
    got = r.json()
    assert got["challenge"] is None
    assert got["name"] == "B"
    assert got["target_url"] == "https://other.example.com/x"
    assert got["type"] == "finance/cost_center/delete"
    assert got["api_version"] == "2026-07-01"
    assert got["enabled"] is False
    assert api.get(f"{PATH}/{sub['id']}").json() == got


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_url": None}, "target_url"),
        ({"target_url": "http://127.0.0.1/x"}, "target_url"),
        ({"subscription_type": None}, "subscription_type"),
        ({"subscription_type": "nope/nope/nope"}, "subscription_type"),
        ({"api_version": "2020-01-01"}, "api_version"),
        ({"api_version": None}, "api_version"),
        ({"enabled": None}, "enabled"),
        ({"enabled": "sometimes"}, "enabled"),
        ({"id": "999999999"}, "id"),
    ],
)
def test_update_bad_input_is_422_and_changes_nothing(
    api: ApiClient, tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    sub = create(api, tenant)
    sub.pop("secret")
    r = api.put(f"{PATH}/{sub['id']}", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert api.get(f"{PATH}/{sub['id']}").json() == sub


def test_update_malformed_json_is_400(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant)
    r = api.http.put(
        api.url(f"{PATH}/{sub['id']}"),
        content=b"{",
        headers={**api.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400


def test_delete_returns_the_object_then_404(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant)
    sub.pop("secret")
    r = api.delete(f"{PATH}/{sub['id']}")
    assert r.status_code == 200
    deleted = r.json()
    assert deleted["id"] == sub["id"]
    assert deleted["enabled"] is False
    assert api.get(f"{PATH}/{sub['id']}").status_code == 404
    assert api.delete(f"{PATH}/{sub['id']}").status_code == 404
    assert api.put(f"{PATH}/{sub['id']}", json={"name": "x"}).status_code == 404
    assert total(api) == 0


def test_rotate_secret(api: ApiClient, tenant: Tenant) -> None:
    sub = create(api, tenant)
    r = api.post(f"{PATH}/rotate_secret", json={"id": sub["id"]})
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != sub["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    assert rotated["previous_secret_expires_at"] > rotated["updated_at"]
    assert "secret" not in api.get(f"{PATH}/{sub['id']}").json()
    r = api.post(f"{PATH}/rotate_secret", json={"id": sub["id"], "overlap_seconds": 0})
    assert r.json()["previous_secret_expires_at"] is None


@pytest.mark.parametrize(
    "body", [{}, {"id": "x"}, {"id": "1", "overlap_seconds": -1}, {"id": "1", "overlap_seconds": 31 * 86400}]
)
def test_rotate_secret_bad_input_is_422(api: ApiClient, body: dict[str, Any]) -> None:
    assert api.post(f"{PATH}/rotate_secret", json=body).status_code == 422


def test_another_companys_subscription_is_404_and_unchanged(
    api: ApiClient, other_api: ApiClient, tenant: Tenant
) -> None:
    sub = create(api, tenant)
    sub.pop("secret")
    path = f"{PATH}/{sub['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.put(path, json={"name": "stolen"}).status_code == 404
    assert other_api.delete(path).status_code == 404
    assert other_api.post(f"{PATH}/rotate_secret", json={"id": sub["id"]}).status_code == 404
    assert other_api.get(PATH, params={"id": sub["id"]}).json()["data"] == []
    assert api.get(path).json() == sub


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999999"])
def test_impossible_ids_are_404(api: ApiClient, raw: str) -> None:
    assert api.get(f"{PATH}/{raw}").status_code == 404

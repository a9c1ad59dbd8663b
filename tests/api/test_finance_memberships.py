"""finance/cost_center_memberships: bulk_create_update (history kept, all or nothing) and the list filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from expensehub.db.engine import transaction
from expensehub.errors import NotFound, ValidationFailed
from expensehub.finance import service
from expensehub.webhooks.rules import Author
from tests.factories import ApiClient, Tenant

PATH = "finance/cost_center_memberships"
BULK = f"{PATH}/bulk_create_update"


def center(api: ApiClient, tenant: Tenant, name: str, **extra: Any) -> str:
    r = api.post("finance/cost_centers", json={"name": name, "company_id": str(tenant.company_id), **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def body(tenant: Tenant, employee_id: int, *items: dict[str, Any]) -> dict[str, Any]:
    return {"employee_id": str(employee_id), "company_id": str(tenant.company_id), "memberships": list(items)}


def item(cc: str, pct: Any, start: str = "2020-01-01", **extra: Any) -> dict[str, Any]:
    return {"cost_center_id": cc, "start_date": start, "percentage": pct, **extra}


def history(api: ApiClient, **params: Any) -> list[dict[str, Any]]:
    return api.list_all(PATH, {"only_active": "false", **params})


@pytest.fixture
def ccs(api: ApiClient, tenant: Tenant) -> tuple[str, str, str]:
    return center(api, tenant, "A"), center(api, tenant, "B"), center(api, tenant, "C")


def test_bulk_returns_array_with_numbers(api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]) -> None:
    a, b, _ = ccs
    e1 = tenant.employee_ids[1]
    r = api.post(BULK, json=body(tenant, e1, item(a, 0.3), item(b, 0.7, end_date="2999-12-31")))
    assert r.status_code == 200, r.text
    out = r.json()
    assert isinstance(out, list)
    assert [(m["cost_center_id"], m["percentage"], m["end_date"]) for m in out] == [
        (a, 0.3, None),
        (b, 0.7, "2999-12-31"),
    ]
    assert all(m["employee_id"] == str(e1) and m["start_date"] == "2020-01-01" for m in out)
    assert isinstance(out[0]["percentage"], float)
    assert isinstance(out[0]["id"], str)


def test_replacing_keeps_history(api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]) -> None:
    a, b, _ = ccs
    e1 = tenant.employee_ids[1]
    first = api.post(BULK, json=body(tenant, e1, item(a, 1))).json()[0]
    second = api.post(
        BULK, json=body(tenant, e1, item(a, "0.25", "2024-03-01"), item(b, "0.75", "2024-03-01"))
    )
    assert second.status_code == 200
    new_ids = [m["id"] for m in second.json()]
    everything = {m["id"]: m for m in history(api)}
    assert everything[first["id"]]["end_date"] == "2024-02-29"  # closed the day before (leap year)
    assert everything[first["id"]]["start_date"] == "2020-01-01"
    assert all(everything[i]["end_date"] is None for i in new_ids)
    assert len(everything) == 3
    # default listing: only memberships not ended today
    assert [m["id"] for m in api.list_all(PATH)] == new_ids
    assert [m["id"] for m in api.list_all(PATH, {"only_active": "true"})] == new_ids
    assert [m["id"] for m in api.list_all(PATH, {"active_on": "2022-05-05"})] == [first["id"]]
    assert [m["id"] for m in api.list_all(PATH, {"applying_on": "2024-03-01"})] == new_ids
    assert [m["id"] for m in api.list_all(PATH, {"active_on": "2024-02-29"})] == [first["id"]]


def test_same_day_replacement_removes_superseded(
    api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    a, b, _ = ccs
    e2 = tenant.employee_ids[2]
    api.post(BULK, json=body(tenant, e2, item(a, 1, "2024-01-01")))
    r = api.post(BULK, json=body(tenant, e2, item(b, 1, "2024-01-01")))
    assert r.status_code == 200
    assert [(m["cost_center_id"], m["end_date"]) for m in history(api)] == [(b, None)]


def test_other_employees_untouched(api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]) -> None:
    a, b, _ = ccs
    boss, e1, _ = tenant.employee_ids
    api.post(BULK, json=body(tenant, boss, item(a, 1)))
    api.post(BULK, json=body(tenant, e1, item(a, 1)))
    api.post(BULK, json=body(tenant, e1, item(b, 1, "2024-01-01")))
    boss_rows = history(api, employee_id=str(boss))
    assert [(m["cost_center_id"], m["end_date"]) for m in boss_rows] == [(a, None)]


def test_item_with_id_updates_in_place(api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]) -> None:
    a, b, _ = ccs
    e1 = tenant.employee_ids[1]
    old = api.post(BULK, json=body(tenant, e1, item(a, 1))).json()[0]
    r = api.post(BULK, json=body(tenant, e1, item(a, 0.5, id=old["id"]), item(b, 0.5)))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out[0]["id"] == old["id"]
    assert out[0]["percentage"] == 0.5
    assert out[0]["end_date"] is None
    assert len(history(api)) == 2


def test_float_shares_that_are_exact_decimals_are_accepted(
    api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    a, b, c = ccs
    r = api.post(BULK, json=body(tenant, tenant.employee_ids[0], item(a, 0.1), item(b, 0.2), item(c, 0.7)))
    assert r.status_code == 200, r.text
    assert [m["percentage"] for m in r.json()] == [0.1, 0.2, 0.7]


def snapshot(api: ApiClient) -> list[dict[str, Any]]:
    return history(api)


@pytest.mark.parametrize(
    ("shares", "field"),
    [
        ([0.5], "memberships"),
        ([0.5, 0.6], "memberships"),
        ([1 / 3, 1 / 3, 1 / 3], "memberships.0.percentage"),  # more places than stored
        (["0.333333333333", "0.333333333333", "0.333333333333"], "memberships"),
        ([1.5], "memberships.0.percentage"),
        ([-0.5, 1.5], "memberships.0.percentage"),
        ([0, 1], "memberships.0.percentage"),
        (["abc"], "memberships.0.percentage"),
        ([None], "memberships.0.percentage"),
        ([], "memberships"),
    ],
)
def test_bad_percentages_are_422_and_change_nothing(
    api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str], shares: list[Any], field: str
) -> None:
    e1 = tenant.employee_ids[1]
    api.post(BULK, json=body(tenant, e1, item(ccs[2], 1)))
    before = snapshot(api)
    items = [item(ccs[i], pct, "2024-01-01") for i, pct in enumerate(shares)]
    r = api.post(BULK, json=body(tenant, e1, *items))
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert snapshot(api) == before


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("employee_id"), "employee_id"),
        (lambda b: b.pop("company_id"), "company_id"),
        (lambda b: b.pop("memberships"), "memberships"),
        (lambda b: b.update(memberships="x"), "memberships"),
        (lambda b: b["memberships"][0].pop("start_date"), "memberships.0.start_date"),
        (lambda b: b["memberships"][0].pop("cost_center_id"), "memberships.0.cost_center_id"),
        (lambda b: b["memberships"][0].update(start_date="2024-02-30"), "memberships.0.start_date"),
        (lambda b: b["memberships"][0].update(end_date="2019-12-31"), "memberships.0.end_date"),
        (lambda b: b["memberships"].append(dict(b["memberships"][0])), "memberships.1.cost_center_id"),
        (lambda b: b.update(employee_id="emp"), "employee_id"),
    ],
)
def test_bad_bodies_are_422_and_change_nothing(
    api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str], mutate: Any, field: str
) -> None:
    e1 = tenant.employee_ids[1]
    api.post(BULK, json=body(tenant, e1, item(ccs[2], 1)))
    before = snapshot(api)
    payload = body(tenant, e1, item(ccs[0], 1))
    mutate(payload)
    r = api.post(BULK, json=payload)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert snapshot(api) == before


def test_inactive_cost_center_is_422(api: ApiClient, tenant: Tenant) -> None:
    closed = center(api, tenant, "Closed", deactivation_date="2023-01-01")
    r = api.post(BULK, json=body(tenant, tenant.employee_ids[1], item(closed, 1, "2023-01-01")))
    assert r.status_code == 422
    assert "memberships.0.cost_center_id" in r.json()["errors"]
    ok = api.post(BULK, json=body(tenant, tenant.employee_ids[1], item(closed, 1, "2022-12-31")))
    assert ok.status_code == 200


def test_foreign_ids_are_404_and_change_nothing(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    a, b, _ = ccs
    e1 = tenant.employee_ids[1]
    mine = api.post(BULK, json=body(tenant, e1, item(a, 1))).json()[0]
    theirs_cc = center(other_api, other_tenant, "Theirs")
    theirs = other_api.post(
        BULK, json=body(other_tenant, other_tenant.employee_ids[0], item(theirs_cc, 1))
    ).json()[0]
    before = snapshot(api)
    cases = [
        body(tenant, e1, item(theirs_cc, 1, "2024-01-01")),
        body(tenant, other_tenant.employee_ids[1], item(a, 1, "2024-01-01")),
        {**body(tenant, e1, item(a, 1, "2024-01-01")), "company_id": str(other_tenant.company_id)},
        body(tenant, e1, item(b, 1, "2024-01-01", id=theirs["id"])),
        body(tenant, e1, item(b, 1, "2024-01-01", id="999999999")),
    ]
    for payload in cases:
        r = api.post(BULK, json=payload)
        assert r.status_code == 404, (payload, r.text)
    assert snapshot(api) == before
    # and the other company cannot touch this tenant's employee or memberships
    r = other_api.post(BULK, json=body(other_tenant, e1, item(theirs_cc, 1)))
    assert r.status_code == 404
    r = other_api.post(
        BULK, json=body(other_tenant, other_tenant.employee_ids[0], item(theirs_cc, 1, id=mine["id"]))
    )
    assert r.status_code == 404
    assert snapshot(api) == before


def test_membership_of_another_employee_is_404(
    api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    boss, e1, _ = tenant.employee_ids
    boss_m = api.post(BULK, json=body(tenant, boss, item(ccs[0], 1))).json()[0]
    r = api.post(BULK, json=body(tenant, e1, item(ccs[1], 1, id=boss_m["id"])))
    assert r.status_code == 404


def test_list_filters(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    a, b, c = ccs
    boss, e1, e2 = tenant.employee_ids
    api.post(BULK, json=body(tenant, boss, item(a, 1)))
    api.post(BULK, json=body(tenant, e1, item(a, 0.5), item(b, 0.5)))
    api.post(BULK, json=body(tenant, e2, item(c, 1)))

    def pairs(**params: Any) -> list[tuple[str, str]]:
        return [(m["employee_id"], m["cost_center_id"]) for m in api.list_all(PATH, params)]

    assert pairs(cost_center_id=a) == [(str(boss), a), (str(e1), a)]
    assert pairs(**{"cost_center_ids[]": [b, c]}) == [(str(e1), b), (str(e2), c)]
    assert pairs(cost_center_id=a, **{"cost_center_ids[]": [b]}) == []
    assert pairs(employee_id=str(e1)) == [(str(e1), a), (str(e1), b)]
    assert len(pairs(company_id=str(tenant.company_id))) == 4
    assert pairs(company_id=str(other_tenant.company_id)) == []
    assert pairs(active_on="2019-12-31") == []
    assert len(pairs(applying_on="2030-01-01")) == 4


def test_other_company_sees_nothing(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, ccs: tuple[str, str, str]
) -> None:
    api.post(BULK, json=body(tenant, tenant.employee_ids[0], item(ccs[0], 1)))
    assert other_api.get(PATH, params={"only_active": "false"}).json()["data"] == []
    assert other_api.get(PATH, params={"cost_center_id": ccs[0]}).json()["data"] == []


def test_service_for_seeders_and_other_domains(session_factory, tenant: Tenant, other_tenant: Tenant) -> None:
    from datetime import date

    c = tenant.company_id
    with transaction(session_factory) as s:
        a = service.create_cost_center(s, company_id=c, name="A", code="SA", author=Author.company(c))
        b = service.create_cost_center(s, company_id=c, name="B", author=Author.company(c))
        created = service.set_memberships(
            s,
            company_id=c,
            employee_id=tenant.employee_ids[1],
            memberships=[
                service.MembershipSpec(cost_center_id=a.id, percentage="0.4", start_date=date(2024, 1, 1)),
                service.MembershipSpec(
                    cost_center_id=b.id, percentage=Decimal("0.6"), start_date=date(2024, 1, 1)
                ),
            ],
        )
        assert [m.percentage for m in created] == [Decimal("0.4"), Decimal("0.6")]
        on = service.memberships_on(s, company_id=c, employee_id=tenant.employee_ids[1], day=date(2024, 5, 1))
        assert [m.cost_center_id for m in on] == [a.id, b.id]
        assert (
            service.memberships_on(s, company_id=c, employee_id=tenant.employee_ids[1], day=date(2023, 5, 1))
            == []
        )
        edited = service.edit_cost_center(
            s, company_id=c, cost_center_id=a.id, description="d", author=Author.company(c)
        )
        assert edited.code == "SA"
        assert edited.description == "d"
    with session_factory() as s:
        with pytest.raises(ValidationFailed):
            service.set_memberships(
                s,
                company_id=c,
                employee_id=tenant.employee_ids[1],
                memberships=[
                    service.MembershipSpec(
                        cost_center_id=a.id, percentage="1.0001", start_date=date(2024, 1, 1)
                    )
                ],
            )
        with pytest.raises(NotFound):
            service.set_memberships(
                s,
                company_id=other_tenant.company_id,
                employee_id=tenant.employee_ids[1],
                memberships=[
                    service.MembershipSpec(cost_center_id=a.id, percentage=1, start_date=date(2024, 1, 1))
                ],
            )
        with pytest.raises(NotFound):
            service.delete_cost_center(
                s,
                company_id=other_tenant.company_id,
                cost_center_id=a.id,
                author=Author.company(other_tenant.company_id),
            )

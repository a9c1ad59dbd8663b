"""finance/categories: read-only API over categories created through the service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from expensehub.db.engine import transaction
from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.finance import service
from tests.factories import ApiClient, Tenant

PATH = "finance/categories"


@dataclass
class Cats:
    travel: int
    flights: int
    meals: int
    lodging: int
    car: int
    car_sub: int
    disabled: int
    deleted: int


@pytest.fixture
def cats(session_factory, tenant: Tenant) -> Cats:
    c = tenant.company_id
    with transaction(session_factory) as s:
        travel = service.create_category(
            s, company_id=c, identifier="travel", default_label="Travel", position=1
        )
        flights = service.create_category(
            s, company_id=c, identifier="flights", default_label="Flights", parent_category_id=travel.id
        )
        meals = service.create_category(
            s, company_id=c, identifier="restaurants", default_label="Restaurants", label="Meals", position=2
        )
        lodging = service.create_category(
            s, company_id=c, identifier="accommodation", default_label="Hotels", label="Lodging"
        )
        car = service.create_category(s, company_id=c, identifier="car", default_label="Car", type="mileage")
        car_sub = service.create_category(
            s, company_id=c, identifier="van", default_label="Van", type="mileage", parent_category_id=car.id
        )
        disabled = service.create_category(
            s, company_id=c, identifier="gifts", default_label="Gifts", status="disabled", visible=False
        )
        deleted = service.create_category(
            s, company_id=c, identifier="old", default_label="Old", status="deleted"
        )
        return Cats(travel.id, flights.id, meals.id, lodging.id, car.id, car_sub.id, disabled.id, deleted.id)


def ids_of(api: ApiClient, params: dict | None = None) -> list[int]:
    return [int(x["id"]) for x in api.list_all(PATH, params)]


def test_shape_and_label_fallback(api: ApiClient, cats: Cats) -> None:
    meals = api.get(f"{PATH}/{cats.meals}").json()
    assert meals == {
        "id": str(cats.meals),
        "label": "Meals",
        "default_label": "Restaurants",
        "identifier": "restaurants",
        "visible": True,
        "enabled": True,
        "parent_category_id": None,
        "position": 2,
    }
    flights = api.get(f"{PATH}/{cats.flights}").json()
    assert flights["label"] == "Flights"
    assert flights["parent_category_id"] == str(cats.travel)
    assert flights["position"] is None
    gifts = api.get(f"{PATH}/{cats.disabled}").json()
    assert gifts["enabled"] is False
    assert gifts["visible"] is False


def test_default_statuses_exclude_deleted(api: ApiClient, cats: Cats) -> None:
    ids = ids_of(api)
    assert cats.deleted not in ids
    assert cats.disabled in ids
    assert len(ids) == 7
    assert ids == sorted(ids)


def test_statuses_filter(api: ApiClient, cats: Cats) -> None:
    assert ids_of(api, {"statuses[]": ["deleted"]}) == [cats.deleted]
    assert ids_of(api, {"statuses[]": ["disabled"]}) == [cats.disabled]
    assert len(ids_of(api, {"statuses[]": ["enabled", "disabled", "deleted"]})) == 8
    assert cats.disabled not in ids_of(api, {"statuses[]": ["enabled"]})


def test_deleted_category_still_readable_by_id(api: ApiClient, cats: Cats) -> None:
    r = api.get(f"{PATH}/{cats.deleted}")
    assert r.status_code == 200
    assert r.json()["enabled"] is False


def test_category_level_filter(api: ApiClient, cats: Cats) -> None:
    assert sorted(ids_of(api, {"category_level": "subcategory"})) == [cats.flights, cats.car_sub]
    top = ids_of(api, {"category_level": "category"})
    assert cats.flights not in top
    assert cats.travel in top
    assert len(ids_of(api, {"category_level": "all"})) == 7


def test_type_filter(api: ApiClient, cats: Cats) -> None:
    assert ids_of(api, {"type": "mileage"}) == [cats.car, cats.car_sub]
    assert ids_of(api, {"type": "perdiem"}) == []
    assert cats.car not in ids_of(api, {"type": "expense"})
    assert len(ids_of(api, {"type": "all"})) == 7


def test_ids_and_parent_filters(api: ApiClient, cats: Cats) -> None:
    assert ids_of(api, {"ids[]": [cats.meals, cats.car]}) == [cats.meals, cats.car]
    assert ids_of(api, {"parent_category_ids[]": [cats.travel]}) == [cats.flights]
    assert ids_of(api, {"parent_category_ids[]": [cats.travel, cats.car]}) == [cats.flights, cats.car_sub]


def test_company_ids_filter(api: ApiClient, cats: Cats, tenant: Tenant, other_tenant: Tenant) -> None:
    assert len(ids_of(api, {"company_ids[]": [tenant.company_id]})) == 7
    assert ids_of(api, {"company_ids[]": [other_tenant.company_id]}) == []


def test_search_label_default_label_identifier_case_insensitive(api: ApiClient, cats: Cats) -> None:
    assert ids_of(api, {"search": "LODG"}) == [cats.lodging]  # label
    assert ids_of(api, {"search": "hotel"}) == [cats.lodging]  # default label
    assert ids_of(api, {"search": "accommod"}) == [cats.lodging]  # identifier
    assert ids_of(api, {"search": "meals"}) == [cats.meals]
    assert ids_of(api, {"search": "%"}) == []  # LIKE wildcards match literally


def test_filters_combine(api: ApiClient, cats: Cats) -> None:
    params = {"type": "mileage", "category_level": "subcategory", "search": "va"}
    assert ids_of(api, params) == [cats.car_sub]


def test_other_company_cannot_read(other_api: ApiClient, cats: Cats) -> None:
    for cat_id in (cats.travel, cats.deleted):
        assert other_api.get(f"{PATH}/{cat_id}").status_code == 404
    listed = other_api.get(PATH, params={"ids[]": [cats.travel, cats.meals]}).json()
    assert listed["data"] == []
    assert listed["meta"]["total"] == 0


def test_unknown_ids_are_404(api: ApiClient) -> None:
    assert api.get(f"{PATH}/999999999").status_code == 404
    assert api.get(f"{PATH}/nope").status_code == 404


def test_service_validation(session_factory, tenant: Tenant, other_tenant: Tenant, cats: Cats) -> None:
    c = tenant.company_id
    with session_factory() as s:
        with pytest.raises(Conflict) as dup:
            service.create_category(s, company_id=c, identifier="travel", default_label="Again")
        assert dup.value.code == "duplicate_identifier"
        s.rollback()
        with pytest.raises(NotFound):
            service.create_category(
                s,
                company_id=other_tenant.company_id,
                identifier="x",
                default_label="X",
                parent_category_id=cats.travel,
            )
        with pytest.raises(ValidationFailed) as nested:
            service.create_category(
                s, company_id=c, identifier="x", default_label="X", parent_category_id=cats.flights
            )
        assert "parent_category_id" in nested.value.fields
        with pytest.raises(ValidationFailed) as mixed:
            service.create_category(
                s,
                company_id=c,
                identifier="x",
                default_label="X",
                type="perdiem",
                parent_category_id=cats.travel,
            )
        assert "type" in mixed.value.fields
        with pytest.raises(ValidationFailed) as bad:
            service.create_category(
                s, company_id=c, identifier=" ", default_label="", type="all", status="gone"
            )
        assert set(bad.value.fields) == {"identifier", "default_label", "type", "status"}
    # a deleted category's identifier can be used again
    with transaction(session_factory) as s:
        again = service.create_category(s, company_id=c, identifier="old", default_label="Old again")
        assert service.find_category(s, company_id=c, identifier="old") is not None
        assert service.find_category(s, company_id=c, identifier="old").id == again.id  # type: ignore[union-attr]

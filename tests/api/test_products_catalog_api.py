"""/api/products for everyone: the list, its filters, sort and pages, search, the detail, and the spec."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models.base import utcnow
from tests.builders import make_product
from tests.helpers import assert_problem, page_ids

pytestmark = pytest.mark.products

Headers = dict[str, str]
PRODUCT_FIELDS = {
    "id",
    "sku",
    "name",
    "description",
    "price",
    "currency",
    "stock",
    "in_stock",
    "category",
    "image_url",
    "is_active",
    "created_at",
    "updated_at",
}


# ---------------------------------------------------------------- public list


def test_list_shows_active_products_newest_first_in_a_page_envelope(client: FlaskClient, db_session: Session) -> None:
    now = utcnow()
    older = make_product(db_session, created_at=now - timedelta(days=2))
    newer = make_product(db_session, created_at=now - timedelta(days=1))

    response = client.get("/api/products")

    assert response.status_code == 200
    body = response.get_json()
    assert page_ids(response) == [newer.id, older.id]
    assert {k: body[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 1,
        "per_page": 20,
        "total": 2,
        "pages": 1,
    }
    assert set(body["items"][0]) == PRODUCT_FIELDS


def test_list_hides_archived_products(client: FlaskClient, db_session: Session) -> None:
    shown = make_product(db_session)
    make_product(db_session, is_active=False)

    assert page_ids(client.get("/api/products")) == [shown.id]


def test_pages_never_repeat_or_skip_products_with_equal_sort_keys(client: FlaskClient, db_session: Session) -> None:
    same_moment = utcnow()
    products = [make_product(db_session, price="5.00", created_at=same_moment) for _ in range(7)]

    for sort in ("-created_at", "price", "-price"):
        seen: list[int] = []
        for page in (1, 2, 3):
            seen += page_ids(client.get(f"/api/products?per_page=3&page={page}&sort={sort}"))
        assert sorted(seen) == sorted(p.id for p in products), sort
        assert len(seen) == len(set(seen)) == 7


def test_list_counts_total_and_pages(client: FlaskClient, db_session: Session) -> None:
    for _ in range(5):
        make_product(db_session)

    body = client.get("/api/products?per_page=2&page=2").get_json()

    assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 2)


def test_a_page_past_the_end_is_empty_with_the_real_total(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)

    body = client.get("/api/products?page=9").get_json()

    assert (body["items"], body["total"], body["pages"]) == ([], 1, 1)


def test_list_filters_by_category(client: FlaskClient, db_session: Session) -> None:
    mug = make_product(db_session, category="kitchen")
    make_product(db_session, category="garden")

    assert page_ids(client.get("/api/products?category=kitchen")) == [mug.id]


def test_list_filters_by_price_range_inclusively(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session, price="4.99")
    low = make_product(db_session, price="5.00")
    high = make_product(db_session, price="10.00")
    make_product(db_session, price="10.01")

    response = client.get("/api/products?min_price=5&max_price=10.00&sort=price")

    assert page_ids(response) == [low.id, high.id]


@pytest.mark.parametrize(("in_stock", "expected"), [("true", "stocked"), ("false", "sold_out")])
def test_list_filters_by_stock(client: FlaskClient, db_session: Session, in_stock: str, expected: str) -> None:
    products = {"stocked": make_product(db_session, stock=3), "sold_out": make_product(db_session, stock=0)}

    assert page_ids(client.get(f"/api/products?in_stock={in_stock}")) == [products[expected].id]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["apple", "banana", "cherry"]),
        ("-name", ["cherry", "banana", "apple"]),
        ("price", ["banana", "cherry", "apple"]),
        ("-price", ["apple", "cherry", "banana"]),
        ("created_at", ["cherry", "apple", "banana"]),
        ("-created_at", ["banana", "apple", "cherry"]),
    ],
)
def test_list_sorts(client: FlaskClient, db_session: Session, sort: str, expected: list[str]) -> None:
    now = utcnow()
    make_product(db_session, name="apple", price="3.00", created_at=now - timedelta(hours=2))
    make_product(db_session, name="banana", price="1.00", created_at=now - timedelta(hours=1))
    make_product(db_session, name="cherry", price="2.00", created_at=now - timedelta(hours=3))

    body = client.get(f"/api/products?sort={sort}").get_json()

    assert [item["name"] for item in body["items"]] == expected


# ---------------------------------------------------------------- search


def test_search_ranks_name_matches_above_description_matches(client: FlaskClient, db_session: Session) -> None:
    in_description = make_product(db_session, name="Kettle", description="Pairs well with a ceramic mug")
    in_name = make_product(db_session, name="Ceramic mug", description="Holds coffee")
    make_product(db_session, name="Teapot", description="Porcelain")

    response = client.get("/api/products?q=ceramic mug")

    assert page_ids(response) == [in_name.id, in_description.id]


def test_search_matches_word_prefixes_case_insensitively(client: FlaskClient, db_session: Session) -> None:
    laptop = make_product(db_session, name="Gaming LAPTOP", description="Fast")
    make_product(db_session, name="Desktop", description="Tower")

    assert page_ids(client.get("/api/products?q=lapt")) == [laptop.id]


def test_search_needs_every_word(client: FlaskClient, db_session: Session) -> None:
    both = make_product(db_session, name="Red wool scarf")
    make_product(db_session, name="Red cotton shirt")

    assert page_ids(client.get("/api/products?q=red%20wool")) == [both.id]


def test_search_combines_with_filters_and_an_explicit_sort(client: FlaskClient, db_session: Session) -> None:
    cheap = make_product(db_session, name="Blue mug", price="4.00", category="kitchen")
    dear = make_product(db_session, name="Blue mug deluxe", price="9.00", category="kitchen")
    make_product(db_session, name="Blue mug", price="4.00", category="garden")

    response = client.get("/api/products?q=mug&category=kitchen&sort=-price")

    assert page_ids(response) == [dear.id, cheap.id]


def test_search_with_only_punctuation_finds_nothing(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session, name="Anything")

    body = client.get("/api/products?q=%26%7C!()%3A*").get_json()

    assert (body["items"], body["total"]) == ([], 0)


# ---------------------------------------------------------------- include_archived


@pytest.mark.admin
def test_admins_can_list_archived_products(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    active = make_product(db_session)
    archived = make_product(db_session, is_active=False)

    response = client.get("/api/products?include_archived=true&sort=created_at", headers=admin_headers)

    assert response.status_code == 200
    assert page_ids(response) == [active.id, archived.id]
    assert response.get_json()["items"][1]["is_active"] is False


def test_customers_may_not_list_archived_products(client: FlaskClient, customer_headers: Headers) -> None:
    assert_problem(client.get("/api/products?include_archived=true", headers=customer_headers), 403, "forbidden")


def test_anonymous_clients_need_a_token_to_list_archived_products(client: FlaskClient) -> None:
    assert_problem(client.get("/api/products?include_archived=true"), 401, "missing_token")


def test_a_bad_token_does_not_break_public_browsing(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)

    response = client.get("/api/products", headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 200


# ---------------------------------------------------------------- detail


def test_detail_shows_exactly_the_product_fields(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, price="19.90", stock=0, sku="TEA-1", name="Tea", category="drinks")

    response = client.get(f"/api/products/{product.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == PRODUCT_FIELDS
    assert body["price"] == "19.90"
    assert body["currency"] == "USD"
    assert (body["sku"], body["name"], body["stock"], body["in_stock"]) == ("TEA-1", "Tea", 0, False)
    assert body["created_at"].endswith("Z")


def test_detail_of_an_archived_product_is_404(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, is_active=False)

    assert_problem(client.get(f"/api/products/{product.id}"), 404, "product_not_found")


@pytest.mark.parametrize("product_id", ["0", "-1", "999999", str(2**31), str(2**63), "abc", "1.5", "%00"])
def test_detail_of_an_unknown_or_malformed_id_is_404(client: FlaskClient, product_id: str) -> None:
    # A well-formed id names no product; anything else names no route at all.
    code = "product_not_found" if product_id == "999999" else "not_found"
    assert_problem(client.get(f"/api/products/{product_id}"), 404, code)


# ---------------------------------------------------------------- OpenAPI


def test_the_spec_documents_every_catalog_operation(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    listing, item = paths["/api/products"], paths["/api/products/{product_id}"]

    query = {p["name"] for p in listing["get"]["parameters"] if p["in"] == "query"}
    assert query == {
        "page",
        "per_page",
        "q",
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "include_archived",
        "cursor",
    }
    for operation in (listing["get"], item["get"]):
        assert {"200", "304"} <= set(operation["responses"])
        assert "If-None-Match" in {p["name"] for p in operation["parameters"]}
    assert "404" in item["get"]["responses"]
    for operation, statuses in [
        (listing["post"], {"201", "401", "403", "409", "422"}),
        (item["put"], {"200", "401", "403", "404", "409", "422"}),
        (item["patch"], {"200", "401", "403", "404", "409", "422"}),
        (item["delete"], {"204", "401", "403", "404"}),
    ]:
        assert operation["security"] == [{"bearerAuth": []}]
        assert statuses <= set(operation["responses"])
        assert operation["summary"]

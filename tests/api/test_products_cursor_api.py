"""Keyset pagination of the catalog: next_cursor and ?cursor= under every sort, and bad cursors."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models import Product
from app.models.base import utcnow
from tests.builders import make_product
from tests.helpers import assert_problem, page_ids

pytestmark = pytest.mark.products


def _catalog(db_session: Session) -> list[int]:
    now = utcnow()
    # Ties on price and on created_at, so the id tie-break is exercised.
    products = [
        make_product(
            db_session,
            name=f"Mug {i % 3}",
            price=f"{5 + i % 4}.00",
            created_at=now - timedelta(minutes=i // 2),
            description="stoneware" if i % 2 else "ceramic mug",
        )
        for i in range(11)
    ]
    db_session.commit()
    return [p.id for p in products]


def _walk(client: FlaskClient, query: str) -> tuple[list[int], list[dict[str, Any]]]:
    """Every id of the list, following next_cursor from the first page; and each page's envelope."""
    ids: list[int] = []
    pages = []
    response = client.get(f"/api/products?{query}")
    while True:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        pages.append(body)
        ids += page_ids(response)
        if body["next_cursor"] is None:
            return ids, pages
        response = client.get(f"/api/products?{query}&cursor={body['next_cursor']}")


@pytest.mark.parametrize(
    "query",
    [
        "per_page=3",
        "per_page=3&sort=price",
        "per_page=4&sort=-price",
        "per_page=3&sort=name",
        "per_page=2&sort=-name",
        "per_page=3&sort=created_at",
        "per_page=3&q=mug",
        "per_page=2&q=mug&min_price=6.00",
    ],
)
def test_following_next_cursor_gives_the_same_list_as_the_pages(
    client: FlaskClient, db_session: Session, query: str
) -> None:
    _catalog(db_session)
    by_cursor, envelopes = _walk(client, query)

    by_page: list[int] = []
    for page in range(1, len(envelopes) + 1):
        by_page += page_ids(client.get(f"/api/products?{query}&page={page}"))
    assert by_cursor == by_page
    assert len(set(by_cursor)) == len(by_cursor) == envelopes[0]["total"]
    assert [e["page"] for e in envelopes] == list(range(1, len(envelopes) + 1))
    assert all(e["total"] == envelopes[0]["total"] for e in envelopes)


def test_the_last_page_has_no_next_cursor(client: FlaskClient, db_session: Session) -> None:
    _catalog(db_session)

    assert client.get("/api/products?per_page=11").get_json()["next_cursor"] is None
    assert client.get("/api/products?per_page=10").get_json()["next_cursor"] is not None
    assert client.get("/api/products?per_page=5&page=3").get_json()["next_cursor"] is None


def test_a_cursor_continues_after_its_row_when_rows_before_it_are_archived(
    client: FlaskClient, db_session: Session
) -> None:
    _catalog(db_session)
    expected_second = page_ids(client.get("/api/products?per_page=3&sort=price&page=2"))
    first = client.get("/api/products?per_page=3&sort=price").get_json()
    for item in first["items"]:
        product = db_session.get(Product, item["id"])
        assert product is not None
        product.is_active = False
    db_session.commit()

    second = client.get(f"/api/products?per_page=3&sort=price&cursor={first['next_cursor']}")

    assert page_ids(second) == expected_second  # OFFSET would now skip three products


def _forge(**body: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%00",
        "x" * 600,
        _forge(p=2, s="price", k="1.00", i=1),
        _forge(p=2, s="price", k="NaN", i=1, f="0"),
        _forge(p="2", s="price", k="1.00", i=1, f="0"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
    ids=["garbage", "nul", "too-long", "no-scope", "nan", "page-as-text", "not-utf8", "not-an-object"],
)
def test_a_bad_cursor_is_a_422_not_a_500(client: FlaskClient, db_session: Session, cursor: str) -> None:
    _catalog(db_session)

    body = assert_problem(client.get(f"/api/products?per_page=3&cursor={cursor}"), 422, "validation_error")
    assert "cursor" in body["errors"]


def test_a_cursor_of_other_filters_or_another_sort_is_refused(client: FlaskClient, db_session: Session) -> None:
    _catalog(db_session)
    cursor = client.get("/api/products?per_page=3&sort=price").get_json()["next_cursor"]

    for other in ("per_page=3&sort=-price", "per_page=4&sort=price", "per_page=3&sort=price&category=x"):
        body = assert_problem(client.get(f"/api/products?{other}&cursor={cursor}"), 422, "validation_error")
        assert "same" in body["errors"]["cursor"][0]
    assert client.get(f"/api/products?per_page=3&sort=price&cursor={cursor}").status_code == 200


def test_a_forged_cursor_with_the_right_scope_and_a_wrong_key_type_is_a_422(
    client: FlaskClient, db_session: Session
) -> None:
    _catalog(db_session)
    real = client.get("/api/products?per_page=3&sort=price").get_json()["next_cursor"]
    data = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))

    for key in (5, None, [1], "2026-01-01"):
        forged = _forge(**{**data, "k": key})
        assert_problem(client.get(f"/api/products?per_page=3&sort=price&cursor={forged}"), 422, "validation_error")
    forged = _forge(**{**data, "s": "created_at", "k": "2026-01-01T00:00:00"})  # naive time
    assert_problem(client.get(f"/api/products?per_page=3&sort=price&cursor={forged}"), 422, "validation_error")
    for sort, key in (("name", "abc"), ("relevance", 1), ("created_at", "2026-01-01T00:00:00+00:00")):
        forged = _forge(**{**data, "s": sort, "k": key})  # a valid key, of another order than the list's
        response = client.get(f"/api/products?per_page=3&sort=price&cursor={forged}")
        assert "sort" in assert_problem(response, 422, "validation_error")["errors"]["cursor"][0]


def test_a_search_walks_its_name_matches_then_its_other_matches_by_cursor_and_by_page(
    client: FlaskClient, db_session: Session
) -> None:
    # Ids interleave the two ranks, so each rank's pages skip the other's rows; 7 of each cross page ends.
    products = [
        make_product(db_session, name=f"Teapot {i}" if i % 2 else f"Kettle {i}", description="a teapot stand")
        for i in range(14)
    ]
    db_session.commit()
    expected = [p.id for p in products if p.name.startswith("Teapot")] + [
        p.id for p in products if p.name.startswith("Kettle")
    ]

    for per_page in (2, 3, 7, 14, 20):
        by_cursor, envelopes = _walk(client, f"per_page={per_page}&q=teapot")
        by_page: list[int] = []
        for page in range(1, len(envelopes) + 1):
            by_page += page_ids(client.get(f"/api/products?per_page={per_page}&q=teapot&page={page}"))
        assert by_cursor == by_page == expected, per_page

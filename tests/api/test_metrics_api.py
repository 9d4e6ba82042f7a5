"""/metrics: Prometheus text, off unless METRICS_ENABLED, and then only for the METRICS_TOKEN bearer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.extensions import db
from app.models import User
from tests.builders import make_address, make_cart, make_product, make_user

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def metered(make_app: Callable[..., Flask], app: Flask, db_session: Session) -> FlaskClient:
    with app.app_context():
        connection = db.engines[None]
    metered_app = make_app(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
    with metered_app.app_context():
        db.engines[None] = connection
    return metered_app.test_client()


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(label in line for label in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_are_off_by_default(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_metrics_need_the_token(metered: FlaskClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = metered.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["code"] == "missing_token"


def test_enabling_metrics_without_a_token_refuses_to_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        make_app(METRICS_ENABLED=True, METRICS_TOKEN="")


def test_requests_are_counted_by_route_and_status_with_latencies(metered: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session)
    before = scrape(metered)

    metered.get(f"/api/products/{product.id}")
    metered.get("/api/products/999999")
    text = scrape(metered)

    route = "/api/products/<id:product_id>"
    for status in ("200", "404"):
        counted = sample(text, "http_requests_total", route=route, status=status)
        assert counted == sample(before, "http_requests_total", route=route, status=status) + 1
    assert sample(text, "http_request_duration_seconds_count", route=route) >= 2
    assert "http_request_duration_seconds_bucket" in text


def test_cache_hits_and_misses_are_counted_by_family(metered: FlaskClient, db_session: Session) -> None:
    make_product(db_session)
    before = scrape(metered)

    metered.get("/api/products?per_page=7")
    metered.get("/api/products?per_page=7")
    text = scrape(metered)

    for result in ("hit", "miss"):
        now = sample(text, "cache_lookups_total", family="catalog", result=result)
        assert now == sample(before, "cache_lookups_total", family="catalog", result=result) + 1


def test_checkouts_are_counted_by_outcome(
    metered: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    buyer = make_user(db_session)
    address = make_address(db_session, buyer)
    make_cart(db_session, buyer, {make_product(db_session, stock=1): 1})
    headers = auth_headers(buyer)
    before = scrape(metered)

    assert (
        metered.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers).status_code
        == 201
    )
    assert (
        metered.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers).status_code
        == 422
    )
    text = scrape(metered)

    for outcome in ("created", "cart_empty"):
        assert (
            sample(text, "checkouts_total", outcome=outcome) == sample(before, "checkouts_total", outcome=outcome) + 1
        )

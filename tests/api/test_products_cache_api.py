"""/api/products caching: hits that skip SQL, ETags, reads never stale after a write, logs, and Redis down."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models import Product
from tests.builders import make_product, product_body
from tests.helpers import count_statements, page_ids

pytestmark = [pytest.mark.products, pytest.mark.cache]

Headers = dict[str, str]
AppFactory = Callable[..., Flask]
ShareTransaction = Callable[[Flask], Flask]


# ---------------------------------------------------------------- hits, statement counts, keys


@pytest.mark.parametrize("url", ["/api/products?per_page=5", "/api/products/{id}"])
def test_a_cached_read_issues_no_sql(client: FlaskClient, db_session: Session, url: str) -> None:
    product = make_product(db_session)
    url = url.format(id=product.id)
    first = client.get(url)

    with count_statements() as sql:
        second = client.get(url)

    assert sql.count == 0, sql.statements
    assert second.status_code == 200
    assert second.get_json() == first.get_json()


@pytest.mark.parametrize("per_page", [1, 20, 100])
def test_an_uncached_list_page_costs_at_most_two_statements(
    client: FlaskClient, db_session: Session, per_page: int
) -> None:
    for _ in range(101):  # every page size below is a full page, so the count runs too
        make_product(db_session)

    with count_statements() as sql:
        response = client.get(f"/api/products?per_page={per_page}&q=product&in_stock=true")

    assert (response.status_code, len(response.get_json()["items"])) == (200, per_page)
    assert sql.count <= 2, sql.statements


def test_an_uncached_detail_read_costs_one_statement(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session)

    with count_statements() as sql:
        response = client.get(f"/api/products/{product.id}")

    assert response.status_code == 200
    assert sql.count == 1, sql.statements


def test_the_count_of_a_filter_set_is_reused_across_its_pages(client: FlaskClient, db_session: Session) -> None:
    for _ in range(5):
        make_product(db_session)
    client.get("/api/products?per_page=2&page=1")

    with count_statements() as sql:
        body = client.get("/api/products?per_page=2&page=2").get_json()

    assert sql.count == 1, sql.statements  # the page only; the total came from the cache
    assert body["total"] == 5


def test_parameter_order_does_not_split_the_cache(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)
    client.get("/api/products?page=1&per_page=5&sort=name")

    with count_statements() as sql:
        response = client.get("/api/products?sort=name&per_page=5&page=1")

    assert response.status_code == 200
    assert sql.count == 0


def test_different_pages_are_different_entries(client: FlaskClient, db_session: Session) -> None:
    first, second = make_product(db_session), make_product(db_session)

    page_one = page_ids(client.get("/api/products?per_page=1&page=1&sort=created_at"))
    page_two = page_ids(client.get("/api/products?per_page=1&page=2&sort=created_at"))

    assert (page_one, page_two) == ([first.id], [second.id])


def test_entries_live_for_the_configured_ttls(client: FlaskClient, db_session: Session, redis_db: redis.Redis) -> None:
    product = make_product(db_session)
    client.get("/api/products")
    client.get(f"/api/products/{product.id}")

    ttls = {
        key.decode().split(":")[3]: redis_db.ttl(key)
        for key in redis_db.scan_iter(redis_db.key("e:catalog:*"))
        if key.decode().split(":")[3] in {"list", "product"}
    }

    assert 1790 <= ttls["list"] <= 1800
    assert 3590 <= ttls["product"] <= 3600


def test_a_404_is_not_cached(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, is_active=False)
    assert client.get(f"/api/products/{product.id}").status_code == 404

    product.is_active = True  # straight in the database: no generation bump
    db_session.flush()

    assert client.get(f"/api/products/{product.id}").status_code == 200


# ---------------------------------------------------------------- ETag and 304


@pytest.mark.parametrize("url", ["/api/products", "/api/products/{id}"])
def test_a_matching_etag_gets_304_without_a_body(client: FlaskClient, db_session: Session, url: str) -> None:
    product = make_product(db_session)
    url = url.format(id=product.id)
    etag = client.get(url).headers["ETag"]

    with count_statements() as sql:
        response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert sql.count == 0


def test_a_stale_etag_gets_the_new_body(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session, price="1.00")
    etag = client.get(f"/api/products/{product.id}").headers["ETag"]
    client.patch(f"/api/products/{product.id}", json={"price": "2.00"}, headers=admin_headers)

    response = client.get(f"/api/products/{product.id}", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.get_json()["price"] == "2.00"


# ---------------------------------------------------------------- never stale


@pytest.mark.admin
def test_a_created_product_is_listed_on_the_next_read(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    client.get("/api/products")  # cache the list without it

    created = client.post("/api/products", json=product_body(), headers=admin_headers).get_json()

    assert page_ids(client.get("/api/products")) == [created["id"]]


@pytest.mark.admin
@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"price": "3.33"}), ("put", {"sku": "S-2", "name": "Renamed", "price": "3.33"})],
)
def test_a_changed_product_is_fresh_on_the_next_read(
    client: FlaskClient, db_session: Session, admin_headers: Headers, method: str, body: dict[str, str]
) -> None:
    product = make_product(db_session, price="1.00")
    client.get(f"/api/products/{product.id}")
    client.get("/api/products")

    getattr(client, method)(f"/api/products/{product.id}", json=body, headers=admin_headers)

    assert client.get(f"/api/products/{product.id}").get_json()["price"] == "3.33"
    assert client.get("/api/products").get_json()["items"][0]["price"] == "3.33"


@pytest.mark.admin
def test_an_archived_product_leaves_cached_reads_at_once(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    client.get(f"/api/products/{product.id}")
    client.get("/api/products")

    client.delete(f"/api/products/{product.id}", headers=admin_headers)

    assert client.get(f"/api/products/{product.id}").status_code == 404
    assert page_ids(client.get("/api/products")) == []


@pytest.mark.admin
def test_a_write_bumps_one_generation_and_deletes_nothing(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    product = make_product(db_session)
    for page in range(1, 6):
        client.get(f"/api/products?page={page}")
    generation = int(redis_db.get(redis_db.key("g:catalog")) or 0)
    keys_before = set(redis_db.scan_iter(redis_db.key("e:catalog:*")))

    client.patch(f"/api/products/{product.id}", json={"stock": 1}, headers=admin_headers)

    assert int(redis_db.get(redis_db.key("g:catalog")) or 0) > generation
    assert keys_before <= set(redis_db.scan_iter(redis_db.key("e:catalog:*")))  # old entries just expire


@pytest.mark.admin
def test_a_failed_write_leaves_the_cache_alone(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    client.get("/api/products")
    generation = redis_db.get(redis_db.key("g:catalog"))

    client.post("/api/products", json=product_body(price="1.005"), headers=admin_headers)

    assert redis_db.get(redis_db.key("g:catalog")) == generation


@pytest.mark.admin
def test_another_app_instance_sees_a_write_on_its_next_read(
    client: FlaskClient,
    db_session: Session,
    admin_headers: Headers,
    make_app: AppFactory,
    share_test_transaction: ShareTransaction,
) -> None:
    product = make_product(db_session, price="1.00")
    other = share_test_transaction(make_app()).test_client()
    assert other.get(f"/api/products/{product.id}").get_json()["price"] == "1.00"
    assert other.get("/api/products").get_json()["items"][0]["price"] == "1.00"

    client.patch(f"/api/products/{product.id}", json={"price": "5.55"}, headers=admin_headers)

    assert other.get(f"/api/products/{product.id}").get_json()["price"] == "5.55"
    assert other.get("/api/products").get_json()["items"][0]["price"] == "5.55"


# ---------------------------------------------------------------- development log lines


@pytest.fixture
def cache_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The app's loggers do not propagate to the root, so attach pytest's handler to app.cache itself."""
    logger = logging.getLogger("app.cache")
    level = logger.level  # each app sets it from its DEBUG flag when built
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)


def cache_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    """app.cache records at `level`, each once (a record may reach pytest's handler by two paths)."""
    unique = {id(r): r for r in caplog.records if r.name == "app.cache" and r.levelno == level}
    return list(unique.values())


def test_debug_mode_logs_misses_hits_and_invalidations(
    make_app: AppFactory,
    share_test_transaction: ShareTransaction,
    db_session: Session,
    admin_headers: Headers,
    cache_log: pytest.LogCaptureFixture,
) -> None:
    product = make_product(db_session)
    debug_client = share_test_transaction(make_app(DEBUG=True)).test_client()

    debug_client.get(f"/api/products/{product.id}")
    debug_client.get(f"/api/products/{product.id}")
    debug_client.get("/api/products")
    debug_client.patch(f"/api/products/{product.id}", json={"stock": 2}, headers=admin_headers)

    messages = [r.getMessage() for r in cache_records(cache_log, logging.DEBUG)]
    assert any(m.startswith(f"CACHE MISS: product {product.id} - Cached for 3600s") for m in messages)
    assert any(m.startswith(f"CACHE HIT: product {product.id}") for m in messages)
    assert any(m.startswith("CACHE MISS: product list - Cached for 1800s") for m in messages)
    assert "catalog cache invalidated" in messages


def test_without_debug_the_cache_lines_are_not_logged(
    make_app: AppFactory,
    share_test_transaction: ShareTransaction,
    db_session: Session,
    cache_log: pytest.LogCaptureFixture,
) -> None:
    share_test_transaction(make_app(DEBUG=False)).test_client().get("/api/products")

    assert not [r for r in cache_records(cache_log, logging.DEBUG) if r.getMessage().startswith("CACHE")]


# ---------------------------------------------------------------- Redis down


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_reads_are_served_from_the_database_when_redis_is_down(
    make_app: AppFactory, share_test_transaction: ShareTransaction, db_session: Session
) -> None:
    product = make_product(db_session)
    down = share_test_transaction(make_app(CACHE_REDIS_URL=DEAD_REDIS)).test_client()

    started = time.monotonic()
    responses = [down.get(f"/api/products/{product.id}") for _ in range(10)]
    responses += [down.get("/api/products") for _ in range(10)]
    elapsed = time.monotonic() - started

    assert [r.status_code for r in responses] == [200] * 20
    assert page_ids(responses[-1]) == [product.id]
    assert elapsed < 2.0


@pytest.mark.admin
def test_admin_writes_succeed_when_redis_is_down(
    make_app: AppFactory, share_test_transaction: ShareTransaction, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    down = share_test_transaction(make_app(CACHE_REDIS_URL=DEAD_REDIS)).test_client()

    started = time.monotonic()
    created = down.post("/api/products", json=product_body(), headers=admin_headers)
    changed = down.patch(f"/api/products/{product.id}", json={"price": "4.44"}, headers=admin_headers)
    archived = down.delete(f"/api/products/{product.id}", headers=admin_headers)
    elapsed = time.monotonic() - started

    assert (created.status_code, changed.status_code, archived.status_code) == (201, 200, 204)
    assert elapsed < 2.0
    db_session.expire_all()
    assert db_session.get(Product, created.get_json()["id"]) is not None
    assert db_session.get(Product, product.id).is_active is False  # type: ignore[union-attr]


def test_a_dead_redis_is_reported_by_health_and_warned_about_once(
    make_app: AppFactory,
    share_test_transaction: ShareTransaction,
    db_session: Session,
    cache_log: pytest.LogCaptureFixture,
) -> None:
    make_product(db_session)
    down = share_test_transaction(make_app(CACHE_REDIS_URL=DEAD_REDIS, CACHE_RETRY_AFTER_SECONDS=0)).test_client()

    for _ in range(5):
        assert down.get("/api/products").status_code == 200

    assert down.get("/api/health").get_json()["cache"] == "error"
    assert len(cache_records(cache_log, logging.WARNING)) == 1


def test_caching_resumes_by_itself_when_redis_is_back(
    make_app: AppFactory, share_test_transaction: ShareTransaction, db_session: Session, app: Flask
) -> None:
    product = make_product(db_session)
    flaky = share_test_transaction(make_app(CACHE_REDIS_URL=DEAD_REDIS, CACHE_RETRY_AFTER_SECONDS=0.2))
    reader = flaky.test_client()
    assert reader.get(f"/api/products/{product.id}").status_code == 200  # fails, opens the breaker

    with flaky.app_context():  # Redis "comes back": the same backend now reaches the live server
        backend = flaky.extensions["cache_store"]
        backend.__init__(app.config["REDIS_URL"], socket_timeout=0.25, socket_connect_timeout=0.25)
        live = backend.client
    time.sleep(0.25)  # the breaker's window passes

    reader.get(f"/api/products/{product.id}")
    with count_statements() as sql:
        hit = reader.get(f"/api/products/{product.id}")

    assert hit.status_code == 200
    assert sql.count == 0
    live.close()


@pytest.mark.admin
def test_a_write_during_a_redis_outage_is_not_hidden_by_older_entries_afterwards(
    make_app: AppFactory,
    share_test_transaction: ShareTransaction,
    db_session: Session,
    admin_headers: Headers,
    app: Flask,
) -> None:
    product = make_product(db_session, price="1.00")
    flaky = share_test_transaction(make_app(CACHE_RETRY_AFTER_SECONDS=0.2))
    flaky_client = flaky.test_client()
    assert flaky_client.get(f"/api/products/{product.id}").get_json()["price"] == "1.00"  # cached
    with flaky.app_context():
        backend = flaky.extensions["cache_store"]
        backend.__init__(DEAD_REDIS, socket_timeout=0.25, socket_connect_timeout=0.25)  # unreachable (entries survive)
        dead = backend.client

    changed = flaky_client.patch(f"/api/products/{product.id}", json={"price": "2.00"}, headers=admin_headers)
    assert changed.status_code == 200
    with flaky.app_context():
        # Back, still holding the old entry.
        backend.__init__(app.config["REDIS_URL"], socket_timeout=0.25, socket_connect_timeout=0.25)
    time.sleep(0.25)

    assert flaky_client.get(f"/api/products/{product.id}").get_json()["price"] == "2.00"
    dead.close()

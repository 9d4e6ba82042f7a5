"""GET / and GET /api point a newcomer at the docs and the spec."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize("path", ["/", "/api"])
def test_the_roots_link_to_the_docs_and_the_spec(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    links = response.get_json()["links"]
    assert links["docs"] == "/api/docs"
    assert links["openapi"] == "/api/openapi.json"
    assert client.get(links["docs"]).status_code == 200
    assert client.get(links["openapi"]).get_json()["openapi"].startswith("3.")

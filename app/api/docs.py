"""The Swagger UI page at /api/docs: no inline script, so a strict Content-Security-Policy holds."""

from __future__ import annotations

import json
from html import escape
from typing import Any

# Only the app's own assets. Swagger UI's stylesheet draws its icons as data: images; the spec and
# "Try it out" are fetched from this origin. No page may frame the docs (clickjacking).
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
# No badge fetched from validator.swagger.io: the docs work offline and the CSP allows no other host.
DEFAULT_UI_CONFIG: dict[str, Any] = {"validatorUrl": None}

# Reads its settings from the container's data attributes instead of an inline <script>.
INIT_SCRIPT = """\
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config);
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
"""


def docs_page(*, title: str, spec_url: str, assets_url: str, init_url: str, ui_config: dict[str, Any]) -> str:
    """The HTML of the docs page; every value is escaped into an attribute or a text node."""
    config = json.dumps(DEFAULT_UI_CONFIG | ui_config)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{escape(title)}</title>
    <link href="{escape(assets_url)}swagger-ui.css" rel="stylesheet" type="text/css">
  </head>
  <body>
    <div id="swagger-ui-container" data-spec-url="{escape(spec_url)}" data-config="{escape(config)}"></div>
    <script src="{escape(assets_url)}swagger-ui-standalone-preset.js"></script>
    <script src="{escape(assets_url)}swagger-ui-bundle.js"></script>
    <script src="{escape(init_url)}"></script>
  </body>
</html>
"""

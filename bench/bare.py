"""The bare-Flask floor for `make bench`: one route answering a small JSON, nothing else (no extensions,
no hooks), served by the same gunicorn.conf.py as the app."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def live() -> dict[str, str]:
    return {"status": "ok"}

# Developer and CI commands. `make help` lists them; `make dev` and `make test` are the two that matter.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Prerequisites are listed in the order they must run (keys before migrate, migrate before seed).
.NOTPARALLEL:

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
# The port of make dev / run / serve: PORT=... on the command line or in the environment, else FLASK_RUN_PORT,
# else PORT in .env, else 5001.
PORT ?= $(or $(FLASK_RUN_PORT),$(shell sed -n 's/^PORT=\([0-9]*\).*/\1/p' .env 2>/dev/null | tail -n 1),5001)
BIND ?= 127.0.0.1:$(PORT)

# Each run creates its own database next to this one (<name>_run_<id>, dropped at the end) and writes Redis
# keys only under its own prefix, so parallel runs never collide (tests/isolation.py).
TEST_DATABASE_URL ?= postgresql://ecommerce_user:ecommerce_2024_secure@127.0.0.1:5432/ecommerce_backend_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL
PYTEST_ARGS ?=
COVERAGE_FLOOR := 95
COVERAGE := --cov=app --cov-report=term-missing:skip-covered --cov-report=html
# The floor applies to the full suite only; a run narrowed with PYTEST_ARGS reports coverage without failing on it.
COVERAGE_GATE := $(if $(strip $(PYTEST_ARGS)),--cov-fail-under=0,--cov-fail-under=$(COVERAGE_FLOOR))

.PHONY: help dev reset-dev setup install-deps setup-env services setup-db generate-keys migrate \
	generate-migration seed run serve test test-fast test-cache test-services lint fmt status check-redis clean bench \
	db-diagram

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

dev: install-deps setup-env generate-keys migrate seed run ## Fresh clone to a served API with demo data and admin (PORT=5001)

reset-dev: install-deps setup-env ## Start the development database over (drop every table), then as make dev
	$(FLASK) reset-dev-db --yes
	@$(MAKE) --no-print-directory dev

setup: install-deps setup-env services setup-db generate-keys check-redis migrate ## Full setup on PostgreSQL and Redis

install-deps: $(INSTALLED) ## Create .venv and install the project with its dev extras

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e ".[dev]"
	touch $@

setup-env: ## Create .env from env.example, or add the settings an existing .env lacks (never changes a value)
	@$(PYTHON) scripts/sync_env.py env.example .env

services: ## Make sure local PostgreSQL and Redis are running (starts or installs them)
	bash scripts/ensure_services.sh

setup-db: ## Create the PostgreSQL role and databases (setup_database.sh)
	bash setup_database.sh

generate-keys: install-deps ## Generate the JWT RSA key pair in keys/ (keeps existing keys)
	$(BIN)/python generate_keys.py

migrate: install-deps ## Apply database migrations
	$(FLASK) db upgrade

generate-migration: install-deps ## Create a migration from model changes: make generate-migration MSG="..."
	@if [[ -z "$(MSG)" ]]; then echo 'usage: make generate-migration MSG="what changed"' >&2; exit 1; fi
	$(FLASK) db migrate -m "$(MSG)"

seed: install-deps ## Load the demo catalog and the demo admin from ADMIN_EMAIL/ADMIN_PASSWORD (development only)
	@$(FLASK) seed-demo

run: install-deps ## Start the development server on 127.0.0.1:PORT (default 5001; make run PORT=5002)
	@$(BIN)/python scripts/check_port.py 127.0.0.1:$(PORT) PORT
	@echo "Serving http://127.0.0.1:$(PORT)/api  (docs: http://127.0.0.1:$(PORT)/api/docs; requests: api.http)"
	@$(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: install-deps generate-keys ## Serve with gunicorn in production mode on BIND (default 127.0.0.1:PORT; needs PostgreSQL, Redis)
	@$(BIN)/python scripts/check_port.py $(BIND) PORT
	APP_ENV=production BIND=$(BIND) $(BIN)/gunicorn -c gunicorn.conf.py

test: test-services ## Run the test suite with coverage; fails under 95% only on the full suite (PYTEST_ARGS="...")
	@# Coverage data per run (it is a SQLite file: two runs writing one would lock each other out).
	rc=0; COVERAGE_FILE=.coverage.run-$$$$ $(BIN)/python -m pytest $(COVERAGE) $(COVERAGE_GATE) $(PYTEST_ARGS) || rc=$$?; \
	mv -f .coverage.run-$$$$ .coverage 2>/dev/null || true; exit $$rc

test-fast: test-services ## The edit-test loop: skip the slow and concurrency tests (fuzz, races, scale-out); no coverage
	$(BIN)/python -m pytest -m "not slow and not concurrency" --no-cov $(PYTEST_ARGS)

test-cache: test-services ## Run only the cache tests
	$(BIN)/python -m pytest -m cache $(PYTEST_ARGS)

test-services: install-deps ## Make sure PostgreSQL, the test Redis and the test database are ready
	REDIS_URL="$(TEST_REDIS_URL)" bash scripts/ensure_services.sh
	bash setup_database.sh

bench: install-deps generate-keys services setup-db ## Benchmark with 100,000 products under gunicorn and wrk; writes bench/RESULTS.md
	bash scripts/ensure_wrk.sh
	$(BIN)/python bench/run.py

db-diagram: install-deps ## Regenerate db-relations.md and db-relations.png from the models (installs Graphviz if missing)
	$(BIN)/python scripts/db_relations.py --markdown-only
	bash scripts/ensure_graphviz.sh
	$(BIN)/python scripts/db_relations.py

lint: install-deps ## Check style, formatting, types and the layer rules (ruff, mypy, import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/lint-imports

fmt: install-deps ## Fix lint findings and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

status: install-deps ## Show the app's database, cache and migration status
	$(FLASK) status

check-redis: install-deps ## Ping the configured Redis (REDIS_URL or REDIS_HOST/...)
	$(BIN)/python scripts/check_redis.py

clean: ## Remove caches, coverage and build output (keeps .venv, instance/ and keys/)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .hypothesis htmlcov .coverage .coverage.* build dist ./*.egg-info
	find . -path ./.venv -prune -o -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

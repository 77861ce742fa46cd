# pactum developer tasks. `make help` lists them; everything runs from .venv, which `make install`
# builds from the hash-pinned requirements-dev.lock with nothing but python3.11 and pip.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK_FLAGS := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes
MYPY_PATHS := shared services deploy tests bench verifier
COMPOSE_ENV := $(firstword $(wildcard deploy/.env) deploy/.env.example)
# The example leaves the secrets empty: validate it with placeholders (a real deploy/.env as is).
COMPOSE_SECRETS := POSTGRES_PASSWORD PACTUM_IDENTITY_DB_PASSWORD PACTUM_AGREEMENTS_DB_PASSWORD \
	PACTUM_AUDIT_DB_PASSWORD PACTUM_NOTIFIER_DB_PASSWORD PACTUM_CONSOLE_DB_PASSWORD NATS_ROUTE_PASSWORD \
	PACTUM_IDENTITY_RUNTIME_DB_PASSWORD PACTUM_AGREEMENTS_RUNTIME_DB_PASSWORD PACTUM_AUDIT_RUNTIME_DB_PASSWORD \
	PACTUM_NOTIFIER_RUNTIME_DB_PASSWORD PACTUM_CONSOLE_RUNTIME_DB_PASSWORD \
	NATS_IDENTITY_PASSWORD NATS_AGREEMENTS_PASSWORD NATS_AUDIT_PASSWORD NATS_NOTIFIER_PASSWORD \
	NATS_OPERATOR_PASSWORD PACTUM_DELIVERY_KEY PACTUM_PSEUDONYM_KEY GRAFANA_ADMIN_PASSWORD
COMPOSE_PLACEHOLDERS := $(if $(filter deploy/.env.example,$(COMPOSE_ENV)),$(foreach secret,$(COMPOSE_SECRETS),$(secret)=validation-only))

.DEFAULT_GOAL := help
.PHONY: help venv install run demo test test-fast proof lint format bench lock clean openapi compose-config migrate \
	audit-deps image-pin

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z -]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv install: $(STAMP) ## Create .venv and install the locked dependencies and pactum (editable)

$(STAMP): requirements-dev.lock pyproject.toml verifier/pyproject.toml
	@test -n "$(PYTHON)" || { echo "python3.11 not found: install Python 3.11 or pass PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "pactum needs Python 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1): pass PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# --no-deps: the lock is the whole closure (make lint's lock_check holds that), so pip installs
	@# exactly it and never looks upstream for a dependency's extra (pip 23's hash mode refuses a
	@# newer release it finds there: pypa/pip#9644). pip check then confirms the closure is whole.
	$(BIN)/python -m pip install --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip check
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m pip install --no-deps -e ./verifier
	touch $@

run: $(STAMP) ## Start NATS, the console and the four services on SQLite, with demo data (Ctrl-C stops all)
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHONUNBUFFERED=1 PACTUM_DEMO_DATA="$${PACTUM_DEMO_DATA:-true}" \
		PACTUM_ENVIRONMENT="$${PACTUM_ENVIRONMENT:-development}" \
		PACTUM_IDENTITY_RESET_ACCOUNT_LIMIT="$${PACTUM_IDENTITY_RESET_ACCOUNT_LIMIT:-20}" \
		PACTUM_IDENTITY_RESET_ADDRESS_LIMIT="$${PACTUM_IDENTITY_RESET_ADDRESS_LIMIT:-100}" \
		PACTUM_LOG_FORMAT="$${PACTUM_LOG_FORMAT:-console}" \
		$(BIN)/honcho -f deploy/Procfile -d . start

demo: $(STAMP) ## Walk through the whole product over its HTTP APIs (uses `make run`'s platform, or starts one)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m deploy.demo

# The suite runs in parallel, one test file per worker at a time (module fixtures such as a
# browser stay in one process); TEST_WORKERS=0 runs it serially, e.g. to debug one failure.
TEST_WORKERS ?= auto

test: $(STAMP) ## Run the test suite in parallel (TEST_WORKERS=4; extra pytest arguments: PYTEST_ARGS="-k outbox -x")
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: $(STAMP) ## Only the unit layer: pure rules, no NATS, database or browser (seconds)
	$(BIN)/python -m pytest tests/unit -q $(PYTEST_ARGS)

proof: $(STAMP) ## Full fault injection, fuzzing, cross-tenant matrix, secret hygiene; one summary (PROOF_ARGS="--quick"; PROOF_WORKERS=0: one process)
	$(BIN)/python -m deploy.proof --json var/proof/summary.json $(PROOF_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, mypy, generated docs, message catalogues and lock files up to date, compose file valid
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/python -m deploy.docs_export --check
	$(BIN)/python -m services.console.catalogue check
	$(BIN)/python -m services.notifier.catalogue check
	$(BIN)/python -m deploy.lock_check
	$(MAKE) --no-print-directory compose-config

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

BENCH_SECTIONS ?= pipeline identity timing agreements audit notifier durability fullstack console

bench: $(STAMP) ## Run the benchmarks, each beside its raw baseline (BENCH_SECTIONS="pipeline audit")
	@for section in $(BENCH_SECTIONS); do \
		echo "== bench: $$section"; \
		if [ "$$section" = pipeline ]; then $(BIN)/python -m bench $(BENCH_ARGS) || exit 1; \
		else $(BIN)/python -m bench.$$section || exit 1; fi; \
	done

lock: $(STAMP) ## Regenerate requirements.lock and requirements-dev.lock from pyproject.toml
	test -x $(BIN)/uv || $(BIN)/python -m pip install uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock

# Exit 2 from deploy.audit_deps: the advisory service did not answer and nothing was audited; that
# is reported and passes unless REQUIRE_AUDIT=1 (a CI runner with internet access sets it).
audit-deps: $(STAMP) ## pip-audit both locks, less the reviewed advisories of deploy/pip-audit-allow.toml
	@$(BIN)/python -m deploy.audit_deps; status=$$?; \
	if [ $$status -eq 2 ] && [ "$${REQUIRE_AUDIT:-0}" != 1 ]; then \
		echo "audit-deps skipped: no advisory service reachable (REQUIRE_AUDIT=1 makes this fail)"; exit 0; fi; \
	exit $$status

image-pin: $(STAMP) ## Pin deploy/.env's images by digest (IMAGES="PACTUM_PYTHON_IMAGE ..." for some)
	$(BIN)/python -m deploy.image_pin --env-file deploy/.env $(IMAGES)

clean: ## Remove var/ (the local databases, NATS store and signing key of make run)
	rm -rf var

openapi: $(STAMP) ## Regenerate docs/openapi/*.json, docs/asyncapi.json and docs/events.md from the code
	$(BIN)/python -m deploy.docs_export

migrate: $(STAMP) ## Upgrade every service's database to the newest revision (ACTION=check compares it with the models)
	$(BIN)/pactum migrate all $(or $(ACTION),upgrade) --operator "$${PACTUM_OPERATOR:-$$(whoami)}"

compose-config: ## Validate docker-compose.yml and the NATS config (fails in CI without a compose binary)
	@if test -x $(BIN)/docker-compose; then compose=$(BIN)/docker-compose; \
	elif docker compose version >/dev/null 2>&1; then compose="docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then compose=docker-compose; \
	elif test -n "$$CI"; then echo "compose-config: no compose binary: make install provides $(BIN)/docker-compose" >&2; exit 1; \
	else echo "compose-config skipped: no $(BIN)/docker-compose, docker compose or docker-compose found"; exit 0; fi; \
	echo "$$compose --env-file $(COMPOSE_ENV) --profile operator -f docker-compose.yml config -q"; \
	env $(COMPOSE_PLACEHOLDERS) $$compose --env-file $(COMPOSE_ENV) --profile operator -f docker-compose.yml config -q \
		&& echo "docker-compose.yml is valid"
	@tls=$$(mktemp -d) && $(BIN)/python -m deploy.nats_certificates $$tls >/dev/null && \
	env NATS_SERVER_NAME=nats-1 NATS_ROUTE_PASSWORD=validation-only NATS_IDENTITY_PASSWORD=validation-only \
		NATS_AGREEMENTS_PASSWORD=validation-only NATS_AUDIT_PASSWORD=validation-only \
		NATS_NOTIFIER_PASSWORD=validation-only NATS_OPERATOR_PASSWORD=validation-only \
		NATS_TLS_CERT=$$tls/server.crt NATS_TLS_KEY=$$tls/server.key \
		$(BIN)/nats-server -c deploy/nats/nats.conf -t; status=$$?; rm -rf $$tls; exit $$status

# Everyday commands. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench install ui dev redis clean check-bedrock check soak

$(STAMP): pyproject.toml
	@scripts/ensure-system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ui:
	@if [ -f frontend/package.json ]; then \
	  cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	else echo "ui: no frontend yet, API only"; fi

redis:
	@scripts/ensure-redis.sh

## the Vite dev server on http://localhost:3000, forwarding /api to the API on :8000 (run `make run` alongside)
dev:
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run dev

## the whole product: API + UI on :$${PORT:-8000}, worker, Flower on :$${FLOWER_PORT:-5555},
## on 127.0.0.1 unless HOST says otherwise; crashed processes are restarted (supervisord)
run: install ui redis
	$(BIN)/python scripts/run.py

## every suite: UI unit tests, then Python (real Redis, worker processes, RabbitMQ, Chromium)
test: install
	@scripts/ensure-test-services.sh
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test
	$(BIN)/python -m pytest

## unit tests only (no worker processes)
test-fast: install
	$(BIN)/python -m pytest -m "not integration and not e2e"

lint: install
	$(BIN)/ruff check core api worker tests bench
	$(BIN)/ruff format --check core api worker tests bench

format: install
	$(BIN)/ruff format core api worker tests bench
	$(BIN)/ruff check --fix core api worker tests bench

## the long soak: ten minutes on each broker, two Redis failovers (docs/scaling.md)
soak: install
	@scripts/ensure-test-services.sh
	SOAK_MINUTES=10 SOAK_BROKERS=rabbitmq,redis $(BIN)/python -m pytest -m soak tests/faults/test_soak.py

## performance figures (printed, never asserted): see docs/performance.md
bench: install
	@scripts/ensure-test-services.sh
	$(BIN)/python -m bench.run

## the status of each part of a running stack (Redis, broker, workers, LLM, API, Flower)
check: install
	@$(BIN)/python scripts/check.py

## one tiny real Bedrock call: are the credentials, region and model usable?
check-bedrock: install
	$(BIN)/python -m core.providers.bedrock

clean:
	rm -rf .run .pytest_cache .ruff_cache .hypothesis

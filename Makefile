# Réemploi — every set-up step lives here, so a fresh machine needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run install install-dev migrate demo test lint test-postgres bench loadtest loadtest-postgres translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

translations: | $(BIN)/python
	@test -x $(BIN)/pybabel || $(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pybabel compile -d translations >/dev/null

instance/config.py: | $(VENV)/.runtime
	$(BIN)/python -m app.setup_instance

migrate: install instance/config.py
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) reemploi seed-demo

## make run: install, migrate, load the demo data once, serve on http://$(HOST):$(PORT)
run: demo
	FLASK_DEVELOPMENT=true $(FLASK) run --host $(HOST) --port $(PORT)

## make test: install, lint, then the whole suite (browser tests included)
test: install-dev lint
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make test-postgres: the same suite against a throwaway PostgreSQL cluster
test-postgres: install-dev
	bash scripts/with-postgres.sh $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage

## make bench: a large data set served by gunicorn (2 workers), each route loaded with wrk
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "Install wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make loadtest: 4 gunicorn workers under a mixed read/write load, then with a worker killed
loadtest: install
	$(BIN)/python -m bench.loadtest $(LOAD_ARGS)

## make loadtest-postgres: the same load test on a throwaway PostgreSQL cluster, durable settings
loadtest-postgres: install
	PG_DURABLE=1 bash scripts/with-postgres.sh $(BIN)/python -m bench.loadtest --postgres $(LOAD_ARGS)

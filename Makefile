# Mairie Bus: `make run` serves the app with demo content, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export MAIRIEBUS_INSTANCE_PATH ?= $(CURDIR)/instance
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run install install-test translations test test-sqlite test-postgres lint browser-deps bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml scripts/install_validator.sh requirements-validator.txt
	$(BIN)/pip install --quiet -e '.[test]'
	PYTHON=$(CURDIR)/$(BIN)/python bash scripts/install_validator.sh
	@touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations browser-deps

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d app/translations

# Links printed on posters and in emails follow the port `make run PORT=…` serves on.
run: export MAIRIEBUS_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo
	@echo
	@echo "Mairie Bus: http://$(HOST):$(PORT)"
	@echo "Staff login at http://$(HOST):$(PORT)/login"
	@echo "  coordinator: coordinatrice@example.org / demo-mairiebus"
	@echo "  aidant:      aidant@example.org / demo-mairiebus"
	@echo "  background jobs (reminder emails): flask --app wsgi worker, on REDIS_URL"
	@echo
	@# The worker runs beside the web server; Ctrl-C stops both (and the worker goes if the server exits).
	@$(BIN)/flask --app wsgi worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

browser-deps:
	bash scripts/install_browser.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# Two processes for the tests that need no browser (one SQLite file or PostgreSQL database per
# process), then the headless-Chromium tests one at a time.
TEST_WORKERS ?= 2

test-sqlite: install-test
	TEST_DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) -m "not browser"
	TEST_DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider -m browser

test-postgres: install-test
	bash scripts/ensure_postgres.sh
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) -m "not browser"

test: lint test-sqlite test-postgres

bench: install-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache

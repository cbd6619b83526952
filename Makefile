# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Development settings for the commands run here besides the site (messages, mypy);
# `make run` serves with its own (scripts/run-dev), tests and production set theirs.
RUN_ENV := DEBUG=1

.PHONY: run test bench load deps venv messages lint test-sqlite test-postgres lock clean

# Serve the demo office on http://127.0.0.1:$(PORT) with a fresh or migrated SQLite file,
# with the background worker (text messages) beside the server; Ctrl-C stops both and
# ends quietly. With DEBUG off, as production (scripts/run-dev says how): whoever follows
# a stale link sees the site's own error pages, never Django's technical page, which
# shows the settings and the code. Developers run `DEBUG=1 .venv/bin/python manage.py …`.
run: venv messages
	BIN=$(BIN) PORT=$(PORT) scripts/run-dev

# The whole suite: lint, then every test on SQLite, then on a throwaway PostgreSQL cluster
# all but the browser and property-based tests (marker one_database, set by path and by
# @given in tests/conftest.py: they test pages and input handling, not SQL); then
# scripts/every-test-ran checks that the runs together ran every collected test (under CI
# a test that ran nowhere fails). Or, when DATABASE_URL is set, every test on that
# database only. Each database: first in parallel (pytest-xdist, one worker per core,
# each with its own test database and var/) all but the race tests, then the race tests
# (marker race) alone: they fork processes against timeouts and use both cores themselves.
# worksteal: an idle worker takes tests from a busy one (the browser tests are long).
XDIST := -n auto --dist worksteal
RUNS := var/test-runs
test: venv deps messages lint
ifdef DATABASE_URL
	$(BIN)/pytest $(XDIST) -m "not race"
	$(BIN)/pytest -p no:xdist -m race
else
	rm -rf $(RUNS) && mkdir -p $(RUNS)
	$(MAKE) --no-print-directory test-sqlite RAN=$(RUNS)/sqlite
	$(MAKE) --no-print-directory test-postgres RAN=$(RUNS)/postgresql
	scripts/every-test-ran $(RUNS)/all.txt $(RUNS)/*.ran.txt
endif

# With RAN set, each run writes the tests it ran to $(RAN).*.ran.txt (and the SQLite run
# every collected test to the folder's all.txt) for scripts/every-test-ran.
ran_file = $(if $(RAN),--ran-file $(RAN).$(1).ran.txt)

test-sqlite: venv
	@echo "== tests on SQLite: all of them"
	env -u DATABASE_URL $(BIN)/pytest $(XDIST) -m "not race" $(call ran_file,parallel) \
	  $(if $(RAN),--collected-file $(dir $(RAN))all.txt)
	env -u DATABASE_URL $(BIN)/pytest -p no:xdist -m race $(call ran_file,race)

test-postgres: venv deps
	@echo "== tests on PostgreSQL: all but one_database (browser, property-based)"
	scripts/with-postgres $(BIN)/pytest $(XDIST) -m "not race and not one_database" \
	  $(call ran_file,parallel)
	scripts/with-postgres $(BIN)/pytest -p no:xdist -m race $(call ran_file,race)

# Benchmarks on SQLite and PostgreSQL; results go to bench/RESULTS.md. Messages are
# compiled, as in production, because the pages benchmark serves translated pages.
bench: venv deps messages
	env -u DATABASE_URL $(BIN)/python -m bench.run --database sqlite
	scripts/with-postgres $(BIN)/python -m bench.run --database postgresql

# Load test on a throwaway PostgreSQL cluster: residents browsing and booking at once
# against gunicorn on 127.0.0.1 for LOAD_SECONDS, then the database is checked for double
# bookings; figures printed and written to bench/RESULTS.md. Not part of `make test`.
LOAD_SECONDS ?= 60
load: venv deps messages
	scripts/with-postgres $(BIN)/python -m bench.load --seconds $(LOAD_SECONDS)

# mypy's Django plugin imports config.settings ([tool.django-stubs]), which load without a
# secret only with DEBUG on; the files it checks are listed in [tool.mypy].
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive .
	$(RUN_ENV) $(BIN)/mypy

deps:
	scripts/system-deps

venv: $(BIN)/.installed

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

messages: venv deps
	$(RUN_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

# Re-pin requirements*.txt from the ranges in pyproject.toml.
lock:
	PYTHON=$(PYTHON) scripts/lock

clean:
	rm -rf $(VENV) var

# Gongzhi: two commands on a fresh clone, `make run` and `make test` (see README).
# Python 3.11 exactly (Django 5.2 LTS; see README): python3.11, or a python3 that is 3.11.
PYTHON ?= $(shell for p in python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
	&& command -v $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench screenshots lint format messages serve clean

$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Gongzhi needs Python 3.11 (python3.11 not found)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# axe-core for the browser tests' accessibility checks (package.json). Without npm those checks
# skip locally; CI installs npm and requires them.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found: tests/e2e's axe-core checks will skip (CI installs npm)."; fi

## run: set up, migrate, load the demo community and serve it at http://$(HOST):$(PORT), with
## the task worker that sends notices (db_worker) and the minute tick beside daphne; both stop
## when daphne stops
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving Gongzhi at http://$(HOST):$(PORT)/ (with the notice worker and the tick)"
	@$(PY) manage.py db_worker --no-reload & worker=$$!; \
	( while sleep 60; do $(PY) manage.py deliberation_tick >/dev/null; done ) & tick=$$!; \
	trap 'kill $$worker $$tick 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

## test: set up and run the whole test suite (and the live room's JS tests, where node is installed)
test: $(VENV)/.dev node_modules/.installed
	@if command -v node >/dev/null 2>&1; then node --test tests/js/*.test.mjs; \
	else echo "node not found: skipping tests/js (the live room's reducer; CI installs nodejs)."; fi
	$(PY) -m pytest $(PYTEST_ARGS)

## bench: live rooms against a bare WebSocket server, N = 100, 1,000 and 5,000, plus the fault
## runs; writes bench/results/ and the table in docs/benchmarks.md (about 10 minutes)
BENCH_ARGS ?= --n 100,1000,5000 --servers bare,one,two --faults
bench: $(VENV)/.dev
	$(PY) -m bench $(BENCH_ARGS) --doc docs/benchmarks.md

## screenshots: photograph the demo in Debian's Chromium for the README (docs/screenshots/)
screenshots: $(VENV)/.dev
	$(PY) -m tests.e2e.screenshots --out docs/screenshots

## lint: ruff's checks and format check, and the import contracts (layers, no cycles), as CI runs them
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## messages: extract strings (needs gettext's xgettext) and compile .mo files (pure Python)
messages: $(VENV)/.dev
	DJANGO_DEBUG=1 $(PY) manage.py makemessages --locale zh_Hans --no-obsolete \
		--ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'node_modules/*'
	DJANGO_DEBUG=1 $(PY) manage.py compiletranslations

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
export PYTHONPATH := $(CURDIR)

PO := portal/translations/zh_Hant/LC_MESSAGES/messages.po
MO := $(PO:.po=.mo)

.PHONY: run dev test lint unit e2e translations extract-messages browser bench-tools nginx worker clean

run: $(VENV)/.runtime $(MO)
	@bash scripts/run.sh

# The same set-up, served by Flask's reloading debug server instead of gunicorn.
dev: $(VENV)/.runtime $(MO)
	@bash scripts/run.sh dev

# Two pytest-xdist workers (the CI machine has 2 cores), a test file each at a time.
XDIST := -n 2 --dist loadfile

test: $(VENV)/.dev $(MO) browser bench-tools nginx lint
	$(BIN)/pytest $(XDIST)

# Every benchmark of docs/performance.md on this machine's PostgreSQL and Redis (~30 min on 2 cores).
bench: $(VENV)/.dev $(MO) bench-tools nginx
	@bash scripts/bench.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check portal jobs tests migrations scripts bench wsgi.py gunicorn.conf.py

unit: $(VENV)/.dev $(MO)
	$(BIN)/pytest $(XDIST) -m "not e2e"

e2e: $(VENV)/.dev $(MO) browser
	$(BIN)/pytest $(XDIST) tests/e2e

worker: $(VENV)/.runtime $(MO)
	$(BIN)/python -m jobs.worker

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

$(MO): $(PO) | $(VENV)/.runtime
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations -l zh_Hant

translations: $(MO)

# After changing user-visible text: extract, merge into the catalogue, then translate the new entries.
extract-messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i messages.pot -d portal/translations -l zh_Hant --no-fuzzy-matching --width 0

browser: $(VENV)/.dev
	@bash scripts/ensure-chromium.sh

# The web benchmark's load generator (Debian's wrk); its tiny run is part of `make test`.
bench-tools:
	@bash scripts/ensure-bench-tools.sh

# nginx in front of two instances for tests/test_scaleout.py (Debian's nginx-light)
nginx:
	@bash scripts/ensure-nginx.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

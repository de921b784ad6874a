# The two commands a newcomer needs:
#   make run    build .venv if needed, migrate, load the meeting and serve it on 127.0.0.1:8000
#   make test   build .venv if needed and run the test suite (ARGS="-k agenda" passes options on)
# Both honour DATABASE_URL and the other variables listed in README.md.

VENV := .venv
PYTHON := $(VENV)/bin/python
# Records which pyproject.toml the environment was installed from, so a change reinstalls it.
INSTALLED := $(VENV)/.installed-from-pyproject
ADDRESS ?= 127.0.0.1:8000
ARGS ?=

PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.DEFAULT_GOAL := help
.PHONY: help install messages run test lint format superuser bench ci

help:
	@echo "make run        set everything up and serve the site on http://$(ADDRESS)/"
	@echo "make test       run the tests (options: ARGS=\"-k agenda -x\"; DATABASE_URL=... for PostgreSQL)"
	@echo "make install    create .venv and install the project with its test tools (only what changed)"
	@echo "make messages   compile the translation catalogues (.po to .mo; needs gettext's msgfmt)"
	@echo "make superuser  create an administrator account (no terminal: DJANGO_SUPERUSER_EMAIL, _PASSWORD)"
	@echo "make lint       ruff check, ruff format --check and the import layers (lint-imports)"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make bench      serve the agenda with gunicorn and measure it (bench/agenda/run.py)"
	@echo "make ci         everything CI runs, PostgreSQL included (.ci/run; installs system packages as root)"

$(PYTHON):
	@python="$$(bin/find-python)" && \
		echo "Creating $(VENV) with $$python ($$("$$python" --version))" && \
		"$$python" -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --editable ".[test]"
	@touch $@

install: $(INSTALLED) $(MO_FILES)

# The compiled catalogues are committed, so a machine without gettext still gets translated pages;
# with msgfmt at hand, a catalogue edited since is compiled again.
%.mo: %.po
	@if command -v msgfmt >/dev/null 2>&1; then \
		echo "msgfmt $<"; msgfmt --check-format --output-file=$@ $<; \
	else \
		echo "msgfmt not found (apt-get install gettext): using the committed $@"; \
	fi

messages: $(MO_FILES)

run: install
	$(PYTHON) manage.py migrate --no-input
	$(PYTHON) manage.py load_meeting
	@echo
	@echo "  The meeting's site:  http://$(ADDRESS)/es/  (Spanish)"
	@echo "                       http://$(ADDRESS)/en/  (English)"
	@echo "                       http://$(ADDRESS)/pt-br/  (Portuguese)"
	@echo "                       http://$(ADDRESS)/fr/  (French)"
	@echo "  Administration:      http://$(ADDRESS)/es/admin/  (an account: make superuser)"
	@echo "  Stop with Ctrl+C."
	@echo
	$(PYTHON) manage.py runserver $(ADDRESS)

test: install
	$(PYTHON) -m pytest $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

superuser: install
	$(PYTHON) manage.py migrate --no-input
	@PYTHON=$(PYTHON) bin/create-superuser

bench: install
	$(PYTHON) bench/agenda/run.py $(ARGS)

ci:
	bash .ci/run

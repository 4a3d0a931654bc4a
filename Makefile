# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup migrate seed lint format messages bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.12 or newer is required") if sys.version_info < (3, 12) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# axe-core for the accessibility browser tests (package.json pins it); skipped with a note without npm.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $(NODE_STAMP); \
	else echo "npm not found: the accessibility tests need axe-core (apt-get install npm, then make setup)"; fi

setup: $(STAMP) $(NODE_STAMP)
	mkdir -p var/mail var/media var/static

migrate: setup
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: the site on http://127.0.0.1:8000/ with demo data (SQLite, eager tasks, mail in var/mail/),
## and the periodic tasks (reminders, seminar updates, the outbox sweep) beside it, as beat runs them.
run: seed
	$(BIN)/python manage.py embedded_beat & beat=$$!; trap 'kill $$beat 2>/dev/null' EXIT; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: the whole suite. Uses DATABASE_URL and REDIS_URL when set, SQLite and eager tasks when not.
test: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: refresh the Korean catalogue after changing UI strings, then compile it.
messages: setup
	$(BIN)/python manage.py makemessages -l ko --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python manage.py compilemessages -l ko --ignore=.venv

## make bench: figures and ratios on its own PostgreSQL database and gunicorn; writes bench/results/latest.md.
bench: setup
	bash bench/run.sh

clean:
	rm -rf var/db.sqlite3 var/mail var/media var/static

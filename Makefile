# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup dirs migrate seed lint format messages bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.12 or newer is required") if sys.version_info < (3, 12) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# What the browser tests need besides Python: Debian's chromium, fonts-nanum, npm and axe-core,
# installed once where set-up can (root and apt-get); elsewhere one line says so and the browser
# tests skip with the reason. CI (.ci/run) takes this same path.
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): bin/setup-browser package.json package-lock.json | $(BIN)/python
	@bin/setup-browser $@

dirs:
	mkdir -p var/mail var/media var/static

## make setup: everything `make test` needs (`make run` needs only the Python part).
setup: $(STAMP) $(BROWSER_STAMP) dirs

migrate: $(STAMP) dirs
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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: refresh the Korean catalogue after changing UI strings, then compile it.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l ko --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=node_modules
	$(BIN)/python manage.py compilemessages -l ko --ignore=.venv

## make bench: figures and ratios on its own PostgreSQL database and gunicorn; writes bench/results/latest.md.
bench: setup
	bash bench/run.sh

clean:
	rm -rf var/db.sqlite3 var/mail var/media var/static

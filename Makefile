# The desk's two everyday commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEV = DESK_ENV=development

.PHONY: demo test lint install

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/flask

## Set up the desk on SQLite with demo data, and serve it on http://127.0.0.1:5000
demo: install
	$(DEV) $(BIN)/flask --app wsgi db upgrade
	$(DEV) $(BIN)/flask --app wsgi demo
	$(DEV) $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

## Lint, type-check and run the whole test suite against PostgreSQL
test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

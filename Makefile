# The desk's two everyday commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEV = DESK_ENV=development
# The demo's port: `make demo PORT=5001` when 5000 is taken.
PORT ?= 5000

.PHONY: demo screenshots test lint install chromium nginx vendor

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/flask

## Set up the desk on SQLite with demo data, and serve it on http://127.0.0.1:$(PORT)
demo: install
	$(DEV) $(BIN)/flask --app wsgi db upgrade
	$(DEV) $(BIN)/flask --app wsgi demo
	@echo "The desk: http://127.0.0.1:$(PORT)/sign-in, the dev phone: http://127.0.0.1:$(PORT)/devphone"
	$(DEV) $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

## The README's screenshots, taken from the tour on a throwaway demo desk (Debian's Chromium)
screenshots: install chromium
	$(BIN)/python tools/screenshots.py

## Lint, type-check and run the whole test suite against PostgreSQL (and Chromium)
test: install lint chromium nginx
	$(BIN)/pytest

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The topology test (tests/topology) runs Debian's nginx as its own process, on high ports.
nginx:
	@test -x /usr/sbin/nginx || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# The layers contract in pyproject.toml: no import points up.
	$(BIN)/lint-imports
	$(BIN)/bandit -q -r desk ivr verification -c pyproject.toml
	# Known vulnerabilities in every installed package (pip-audit asks PyPI's advisories), and
	# plainly how many it could not check: here, without PyPI's per-version data, all of them.
	$(BIN)/python tools/audit_dependencies.py

## Refresh the vendored browser assets from npm: the exact versions pinned in package-lock.json
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	$(PYTHON) tools/vendor_assets.py

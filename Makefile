# Baoxue: `make dev` runs the whole system, `make test` passes the tests. Python 3.11+ is all it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: install dev test unit integration lint typecheck contracts bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev,devstack]"
	@touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install everything

dev: install ## run PostgreSQL, the broker, the four services and the console until Ctrl-C
	$(BIN)/baoxue dev

# The browser tests need Debian's chromium and chromium-driver; without them they are skipped, and said so.
BROWSER_CHECK = { command -v chromium || command -v chromium-browser || command -v google-chrome; } >/dev/null 2>&1 \
	&& command -v chromedriver >/dev/null 2>&1 \
	|| echo "browser tests will be skipped: no Chromium and chromedriver here (apt-get install chromium chromium-driver fonts-noto-cjk runs them)"

# pytest exits 5 when it collects no test: that fails the target, as any other failure does.
test: install ## unit and integration tests (integration starts a real broker and database)
	@$(BROWSER_CHECK)
	$(PYTEST)

unit: install
	$(PYTEST) -m "not integration"

integration: install
	@$(BROWSER_CHECK)
	$(PYTEST) -m integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

contracts: install ## regenerate contracts/ (JSON Schema, AsyncAPI, OpenAPI) from the code
	$(BIN)/baoxue contracts generate

bench: install ## benchmarks; results in bench/results.json
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

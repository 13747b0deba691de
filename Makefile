# One entry point for set-up, tests, lint, benchmarks and the demo.
# Every target installs what it needs first, so a fresh clone works:
# Python packages into .venv, the front-end's npm packages, Debian's Chromium.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UI := src/labelloop/ui/js
BUNDLE := src/labelloop/ui/static/labeller.js
UI_SOURCES := $(shell find $(UI) -name '*.js' -not -path '*/node_modules/*') $(UI)/styles.css $(UI)/build.mjs

.PHONY: install ui chromium demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(UI)/node_modules/.installed: $(UI)/package.json $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BUNDLE): $(UI)/node_modules/.installed $(UI_SOURCES)
	cd $(UI) && node build.mjs

ui: $(BUNDLE)

install: $(STAMP) $(BUNDLE)

# Debian's Chromium for the browser tests (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BIN)/labelloop demo

test: install chromium
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	cd $(UI) && npm run --silent check

bench: install
	@for script in benchmarks/[a-z]*.py; do name=$$(basename $$script .py); \
		echo "== $$name"; $(BIN)/python -m benchmarks.$$name || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache $(UI)/node_modules src/labelloop/ui/static

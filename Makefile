# Lineclose: `make demo` runs the product on SQLite with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo uses the command line's own defaults (var/lineclose.db, var/data.key), so
# `.venv/bin/lineclose precheck ...` in another terminal reads the demo's database.
PORT ?= 8000

.PHONY: setup system-deps demo test test-fast lint typecheck bench bench-quick screenshots clean

$(BIN)/lineclose: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: system-deps $(BIN)/lineclose

system-deps:
	@bash scripts/install-system-deps.sh

demo: setup
	$(BIN)/lineclose demo --port $(PORT)

test: setup
	@bash scripts/run-tests.sh

test-fast: $(BIN)/lineclose
	$(BIN)/python -m pytest -q -x

lint: $(BIN)/lineclose
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(BIN)/lineclose
	$(BIN)/mypy src

# Sizes from BENCH_* variables (benchmarks/common.py); figures also in var/bench.json.
bench: setup
	$(BIN)/python benchmarks/run.py

# The browser stories write their screenshots to a temporary folder; this refreshes the ones
# the README shows.
screenshots: setup
	LINECLOSE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/e2e

bench-quick: $(BIN)/lineclose
	BENCH_QUICK=1 $(BIN)/python benchmarks/run.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

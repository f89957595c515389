# rightturn — two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install the project with its dependencies on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DB ?= sqlite:///demo.db

.PHONY: demo test test-fast test-full bench-full lint format bench clean help

help:
	@echo "make demo   build a realistic demo org, import it, show what is there"
	@echo "make test   run everything CI runs (lint + tests on SQLite and PostgreSQL)"
	@echo "make test-fast   the inner loop: pytest -m 'not slow and not postgres' (~30 s)"
	@echo "make test-full   the same, with the concurrency races and fuzzing run longer"
	@echo "make bench  print speed and memory figures on a 100-rep org"
	@echo "make bench-full   the README's figures: 1,000 reps x 12 months"
	@echo "make lint   ruff check and format check, import-linter's layer contracts, mypy"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rightturn needs Python 3.11 or newer; set PYTHON=python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,mining]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rightturn demo --db $(DEMO_DB) --fresh --keep demo-org

test: $(STAMP) lint
	$(BIN)/python -m pytest

# The inner loop: no whole-org builds, no browser, SQLite only (about 30 s).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not postgres"

# The same suite with the races and fuzzing run longer (20 concurrent-capture races per case).
test-full: $(STAMP) lint
	RIGHTTURN_STRESS_RUNS=20 RIGHTTURN_FUZZ_EXAMPLES=500 $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check rightturn tests benchmarks
	$(BIN)/ruff format --check rightturn tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format rightturn tests benchmarks
	$(BIN)/ruff check --fix rightturn tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --reps 100

# The README's figures: 1,000 reps x 12 months (1.1 million emails).
bench-full: $(STAMP)
	$(BIN)/python benchmarks/run.py --reps 1000

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm demo-org artifacts .pytest_cache .ruff_cache

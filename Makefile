# Kizuna — two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KIZUNA_HOME ?= $(CURDIR)
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export DO_NOT_TRACK := 1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# Python keeps the bytecode it compiles (an environment that forbids it would have every
# process compile dbt, Airflow and scikit-learn from source again: ~11 s CPU each)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo airflow test lint lint-python lint-sql lint-types parse install lock clean bench

## install: create .venv and install the pinned lock (reused when up to date)
install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: Kizuna needs Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing the pinned environment into $(VENV)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.txt
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

## lock: recompile requirements.txt from requirements.in
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv==0.13.9; }
	$(BIN)/uv pip compile -p 3.11 requirements.in -o requirements.txt

## demo: simulate a B2B world and run it through the real Airflow DAGs into DuckDB
demo: install
	@$(BIN)/kizuna demo

## airflow: a local Airflow (scheduler and UI on http://localhost:8080, login admin / kizuna)
## with the project's DAGs and the pool kizuna_duckdb, under .airflow/ (Ctrl-C stops it)
airflow: install
	@$(BIN)/kizuna dbt-parse --quiet
	@$(BIN)/kizuna airflow

## test: lint and run every test
test: install
	@$(MAKE) --no-print-directory -j 3 --output-sync=target lint-python lint-sql lint-types parse
	@$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25

## lint: ruff, sqlfluff over the dbt SQL, mypy over include/ and models_ml/ (ruff format is not applied)
lint: install
	@$(MAKE) --no-print-directory -j 3 --output-sync=target lint-python lint-sql lint-types

# the checks run side by side (sqlfluff and mypy each keep about one core busy)
lint-python:
	@$(BIN)/ruff check .
lint-sql:
	@$(BIN)/sqlfluff lint dbt_project --processes 2
lint-types:
	@$(BIN)/mypy
parse:
	@$(BIN)/kizuna dbt-parse --quiet

## bench: time and memory of each pipeline stage (BENCH_ARGS="--accounts 20000 --stages simulate")
bench: install
	@$(BIN)/python -m kizuna.bench $(BENCH_ARGS)

clean:
	rm -rf landing truth warehouse reports models .airflow dbt_project/target dbt_project/logs .demo

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

.PHONY: demo test lint install lock clean bench

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

## test: lint and run every test
test: install
	@$(BIN)/ruff check .
	@$(BIN)/sqlfluff lint dbt_project --processes 2
	@$(BIN)/mypy
	@$(BIN)/kizuna dbt-parse --quiet
	@$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25

## lint: ruff, sqlfluff over the dbt SQL, mypy over include/ and models_ml/ (ruff format is not applied)
lint: install
	@$(BIN)/ruff check .
	@$(BIN)/sqlfluff lint dbt_project --processes 2
	@$(BIN)/mypy

## bench: time and memory of each pipeline stage (BENCH_ARGS="--accounts 20000 --stages simulate")
bench: install
	@$(BIN)/python -m kizuna.bench $(BENCH_ARGS)

clean:
	rm -rf landing truth warehouse reports models .airflow dbt_project/target dbt_project/logs .demo

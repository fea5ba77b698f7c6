# Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock | cut -c1-12)
UV_VERSION := 0.13.9

# The embedded Airflow: SQLite metadata, LocalExecutor, no examples, API on 127.0.0.1 only.
DEMO_HOME := $(CURDIR)/.airflow_home
DEMO_DATE ?= $(shell date -u +%Y-%m-%d)
AIRFLOW_PORT ?= 8080
AIRFLOW_ENV := AIRFLOW_HOME=$(DEMO_HOME) \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__PLUGINS_FOLDER=$(CURDIR)/plugins \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__CORE__EXECUTOR=LocalExecutor \
	AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///$(DEMO_HOME)/airflow.db \
	AIRFLOW__API__HOST=127.0.0.1 \
	AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
	AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$(AIRFLOW_PORT)/execution/ \
	AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin \
	COMMENTS_TASK_RETRIES=$${COMMENTS_TASK_RETRIES:-0}
# One JWT secret for every component of the embedded Airflow, made once by airflow-init.
SECRETS := $(DEMO_HOME)/secrets.env
AIRFLOW_COMPONENTS := api-server scheduler dag-processor triggerer

.PHONY: help venv demo demo-all run-dag test test-quick lint bench clean airflow-init \
	airflow-up airflow-down backfill

help:
	@echo "make demo     - create .venv, install the locked deps, run the daily DAG on the seed page"
	@echo "make demo-all - the same with one sample of every supported format"
	@echo "make run-dag  - run the daily DAG on whatever is in data/landing (DEMO_DATE=YYYY-MM-DD)"
	@echo "make test   - lint + the whole test suite (starts a real Airflow; Celery tests need"
	@echo "              Debian's postgresql + redis-server, which .ci/run installs)"
	@echo "make test-quick - lint + everything but the real-Airflow tests (local iteration)"
	@echo "make airflow-up / airflow-down - the embedded Airflow (UI on 127.0.0.1:8080) in the background"
	@echo "make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD - one run per day, one at a time (needs airflow-up)"
	@echo "make lint   - ruff (lint + format check) and mypy (type check, config in pyproject.toml)"
	@echo "make bench  - the benchmarks in bench/ (minutes; prints rows/s and peak memory)"
	@echo "make clean  - remove the demo's Airflow home and data/"

$(STAMP): requirements.lock pyproject.toml
	@echo "creating $(VENV) and installing the locked dependencies (requirements.lock)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	@$(BIN)/python -m pip --version > /dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade > /dev/null
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) 2>&1 \
		| grep -v "^WARNING: Location" || true
	@# Compiled to bytecode once here: every Airflow task, dbt run and test process then starts
	@# seconds faster, also where PYTHONDONTWRITEBYTECODE keeps Python from caching it itself.
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes --compile-bytecode \
		-r requirements.lock
	@# Our package itself (src/comment_etl), editable, built with the locked setuptools.
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

airflow-init: venv
	@mkdir -p $(DEMO_HOME)
	@echo "airflow home $(DEMO_HOME): db migrate, pool duckdb_writer (1 slot)"
	@$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(DEMO_HOME)/db-migrate.log 2>&1 \
		|| (cat $(DEMO_HOME)/db-migrate.log; exit 1)
	@$(AIRFLOW_ENV) $(BIN)/airflow pools set duckdb_writer 1 \
		"DuckDB allows one writer per file: every warehouse writer runs here" > /dev/null
	@test -f $(SECRETS) || (umask 077; $(BIN)/python -c "import secrets; \
		print('AIRFLOW__API_AUTH__JWT_SECRET=' + secrets.token_hex(32)); \
		print('AIRFLOW__API__SECRET_KEY=' + secrets.token_hex(16))" > $(SECRETS))

# The embedded Airflow as a user runs it: every component in the background, logs and pids in
# .airflow_home/. The admin password is in .airflow_home/simple_auth_manager_passwords.json.generated.
airflow-up: airflow-init
	@set -a; . $(SECRETS); set +a; for c in $(AIRFLOW_COMPONENTS); do \
		if [ -f $(DEMO_HOME)/$$c.pid ] && kill -0 $$(cat $(DEMO_HOME)/$$c.pid) 2>/dev/null; then \
			echo "$$c already running"; continue; fi; \
		$(AIRFLOW_ENV) setsid $(BIN)/airflow $$c > $(DEMO_HOME)/$$c.log 2>&1 & \
		echo $$! > $(DEMO_HOME)/$$c.pid; echo "started $$c (log $(DEMO_HOME)/$$c.log)"; done
	@echo "Airflow UI: http://127.0.0.1:$(AIRFLOW_PORT) (user admin, password in" \
		"$(DEMO_HOME)/simple_auth_manager_passwords.json.generated once the api-server is up)"

airflow-down:
	@for c in $(AIRFLOW_COMPONENTS); do \
		if [ -f $(DEMO_HOME)/$$c.pid ]; then \
			kill -TERM -- -$$(cat $(DEMO_HOME)/$$c.pid) 2>/dev/null && echo "stopped $$c"; \
			rm -f $(DEMO_HOME)/$$c.pid; fi; done

# A backfill runs through the scheduler (make airflow-up): one run per day, one at a time, each
# taking its day's landing/YYYY-MM-DD/ folder. Without --max-active-runs a backfill runs 10 days
# at once, which the one-writer pool would only queue.
backfill: airflow-init
	@test -n "$(FROM)" -a -n "$(TO)" || (echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2)
	@set -a; . $(SECRETS); set +a; $(AIRFLOW_ENV) $(BIN)/airflow backfill create \
		--dag-id comments_daily --from-date $(FROM) --to-date $(TO) --max-active-runs 1

# Run the real daily DAG once on whatever is in data/landing, then print the marts.
run-dag: airflow-init
	@mkdir -p data/landing
	@echo "running comments_daily for $(DEMO_DATE) (log: $(DEMO_HOME)/demo-run.log)"
	@$(AIRFLOW_ENV) $(BIN)/airflow dags test comments_daily $(DEMO_DATE) \
		> $(DEMO_HOME)/demo-run.log 2>&1 || (tail -80 $(DEMO_HOME)/demo-run.log; exit 1)
	@grep -q "DagRun Finished.*state=success" $(DEMO_HOME)/demo-run.log \
		|| (grep -E "ERROR|FAILED|failed" $(DEMO_HOME)/demo-run.log | tail -40; \
		    echo "the DAG run did not succeed: see $(DEMO_HOME)/demo-run.log"; exit 1)
	@$(BIN)/python -m comment_etl.summary
	@# Under `airflow dags test` an asset event schedules nothing: run the report DAG ourselves.
	@echo "running comments_report (log: $(DEMO_HOME)/demo-report.log)"
	@$(AIRFLOW_ENV) $(BIN)/airflow dags test comments_report $(DEMO_DATE) \
		> $(DEMO_HOME)/demo-report.log 2>&1 || (tail -80 $(DEMO_HOME)/demo-report.log; exit 1)
	@grep -q "DagRun Finished.*state=success" $(DEMO_HOME)/demo-report.log \
		|| (grep -E "ERROR|FAILED|failed" $(DEMO_HOME)/demo-report.log | tail -40; \
		    echo "the report run did not succeed: see $(DEMO_HOME)/demo-report.log"; exit 1)
	@$(BIN)/python -m comment_etl.report

# The seed page (samples/*.txt) only.
demo:
	@mkdir -p data/landing
	@cp -n samples/*.txt data/landing/ 2>/dev/null || true
	@$(MAKE) --no-print-directory run-dag

# The seed page plus one example of every other format (samples/formats/).
demo-all:
	@mkdir -p data/landing
	@cp -n samples/*.txt samples/formats/* data/landing/ 2>/dev/null || true
	@$(MAKE) --no-print-directory run-dag

lint: venv
	$(BIN)/ruff check src plugins dags tests bench
	$(BIN)/ruff format --check src plugins dags tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

test-quick: lint
	$(BIN)/python -m pytest -q -m "not airflow_server"

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(DEMO_HOME) data
